// What the attribute store hands out (src/rib/attrs.ts): the set's object and the objects in its
// lists frozen; the lists themselves plain arrays, read-only by type only (V8 reads a frozen
// array's elements through a generic stub, ~5× slower, on every read the route path makes).
import type { ExecutionContext } from 'ava';
import { EMPTY } from '../../src/rib/attrs.js';
import type { PathAttrs } from '../../src/rib/index.js';

const LISTS = ['asPath', 'communities', 'extCommunities', 'largeCommunities', 'clusterList', 'unknown'] as const;

/** Whether `a` has the handed-out shape; `t.fail`s with the member that has not. */
export function isHandedOut(t: ExecutionContext, a: PathAttrs): boolean {
  const bad = (what: string): boolean => {
    t.fail(`handed-out set: ${what}`);
    return false;
  };
  if (!Object.isFrozen(a)) return bad('the object is not frozen');
  for (const name of LISTS) {
    const list: readonly unknown[] = a[name];
    if (list.length === 0 && list !== EMPTY) return bad(`${name} is empty but not the shared EMPTY`);
    if (list.length > 0 && Object.isFrozen(list)) return bad(`${name} is a frozen array`);
  }
  for (const seg of a.asPath) {
    if (!Object.isFrozen(seg)) return bad('an AS path segment is not frozen');
    if (Object.isFrozen(seg.asns)) return bad('a segment\'s ASN list is a frozen array');
  }
  for (const u of a.unknown) if (!Object.isFrozen(u)) return bad('an unknown attribute is not frozen');
  if (a.aggregator !== undefined && !Object.isFrozen(a.aggregator)) return bad('the aggregator is not frozen');
  return true;
}
