// What the attribute store hands out (src/rib/attrs.ts): the set's object frozen (its members
// cannot be replaced), its lists plain arrays and read-only by type only (V8 reads a frozen
// array's elements through its generic path, ~5× slower, on every read the route path makes),
// empty ones the one shared EMPTY.
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
  for (const seg of a.asPath) if (Object.isFrozen(seg.asns)) return bad("a segment's ASN list is a frozen array");
  return true;
}
