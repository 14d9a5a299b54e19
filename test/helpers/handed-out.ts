// What the attribute store hands out (src/rib/attrs.ts): the set's object frozen (its members
// cannot be replaced), its lists plain arrays and read-only by type only (V8 reads a frozen
// array's elements through its generic path, ~5× slower, on every read the route path makes),
// empty ones the one shared EMPTY; every member present, undefined when absent, in baseAttrs'
// order (one hidden class for every set: reads of sets of many shapes are megamorphic lookups).
import type { ExecutionContext } from 'ava';
import { baseAttrs, EMPTY } from '../../src/rib/attrs.js';
import type { PathAttrs } from '../../src/rib/index.js';

const LISTS = ['asPath', 'communities', 'extCommunities', 'largeCommunities', 'clusterList', 'unknown'] as const;
const MEMBERS = Object.keys(baseAttrs()).join();

/** Whether `a` has every member of a set, in the one order; `t.fail`s with its members if not. */
export function hasOneShape(t: ExecutionContext, a: PathAttrs, what = 'set'): boolean {
  const members = Object.keys(a).join();
  if (members === MEMBERS) return true;
  t.fail(`${what}: members ${members}, not ${MEMBERS}`);
  return false;
}

/** Whether `a` has the handed-out shape; `t.fail`s with the member that has not. */
export function isHandedOut(t: ExecutionContext, a: PathAttrs): boolean {
  const bad = (what: string): boolean => {
    t.fail(`handed-out set: ${what}`);
    return false;
  };
  if (!Object.isFrozen(a)) return bad('the object is not frozen');
  if (!hasOneShape(t, a, 'handed-out set')) return false;
  for (const name of LISTS) {
    const list: readonly unknown[] = a[name];
    if (list.length === 0 && list !== EMPTY) return bad(`${name} is empty but not the shared EMPTY`);
    if (list.length > 0 && Object.isFrozen(list)) return bad(`${name} is a frozen array`);
  }
  for (const seg of a.asPath) if (Object.isFrozen(seg.asns)) return bad("a segment's ASN list is a frozen array");
  return true;
}
