// The attribute store's hash index and arena against a simple model: random runs of interning
// (given and handed over), releasing and reading give the ids and sets a Map of sets gives. Runs
// are long enough to fill, grow and rebuild the index (deleted slots reused and dropped) and to
// compact the arena, and some sets are larger than the arena's free end.
import test from 'ava';
import fc from 'fast-check';
import { AttrStore, baseAttrs } from '../src/rib/index.js';
import type { PathAttrs } from '../src/rib/index.js';
import { isHandedOut } from './helpers/handed-out.js';

/** Set number k: distinct k, distinct sets (sizes vary; a few are kilobytes long). */
function setOf(k: number): PathAttrs {
  const a: PathAttrs = {
    ...baseAttrs(`198.18.${k & 3}.1`),
    asPath: [{ type: 'AS_SEQUENCE', asns: [65001, 65002 + (k % 7)] }],
    communities: k % 3 ? [k, 0xfde80001] : [],
    med: k,
  };
  if (k % 97 === 5) a.unknown = [{ code: 99, flags: 0xd0, value: 'ab'.repeat(2500 + k) }];
  return a;
}

type Op =
  | { kind: 'intern'; from: number; count: number; handOver: boolean }
  | { kind: 'release'; from: number; count: number }
  | { kind: 'read'; k: number };

const UNIVERSE = 6000;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('intern' as const), from: fc.nat(UNIVERSE - 1), count: fc.integer({ min: 1, max: 2500 }), handOver: fc.boolean() }),
  fc.record({ kind: fc.constant('release' as const), from: fc.nat(UNIVERSE - 1), count: fc.integer({ min: 1, max: 2500 }) }),
  fc.record({ kind: fc.constant('read' as const), k: fc.nat(UNIVERSE - 1) }),
);

test('index and arena: random intern/release/read runs give the ids and sets of a Map model (fast-check)', (t) => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 24 }), (ops) => {
      const store = new AttrStore();
      /** Per held set number: its id and references. */
      const model = new Map<number, { id: number; refs: number }>();
      const idsHeld = new Set<number>();
      /** Objects read (handed out), with the set they are of while it stays interned; null once it was freed. */
      const readObjs = new Map<PathAttrs, number | null>();
      for (const op of ops) {
        if (op.kind === 'intern') {
          for (let k = op.from; k < Math.min(op.from + op.count, UNIVERSE); k++) {
            const id = store.internId(setOf(k), op.handOver);
            const m = model.get(k);
            if (m) {
              if (id !== m.id) return false;
              m.refs++;
            } else {
              // A new set: an id no held set has.
              if (idsHeld.has(id)) return false;
              idsHeld.add(id);
              model.set(k, { id, refs: 1 });
            }
          }
        } else if (op.kind === 'release') {
          for (let k = op.from; k < Math.min(op.from + op.count, UNIVERSE); k++) {
            const m = model.get(k);
            if (!m) continue;
            store.releaseId(m.id);
            if (--m.refs === 0) {
              model.delete(k);
              idsHeld.delete(m.id);
              for (const [o, of] of readObjs) if (of === k) readObjs.set(o, null);
            }
          }
        } else {
          const m = model.get(op.k);
          if (m) {
            const a = store.attrs(m.id);
            t.deepEqual(a, setOf(op.k));
            readObjs.set(a, op.k);
          }
        }
        if (store.size !== model.size) return false;
      }
      // An object handed out earlier is its set's while that stays interned, and no set's after.
      for (const [o, of] of readObjs) if (store.idOf(o) !== (of === null ? -1 : model.get(of)!.id)) return false;
      // Every held set reads back as itself, frozen, under its id, and is found again by content.
      for (const [k, m] of model) {
        const a = store.attrs(m.id);
        t.deepEqual(a, setOf(k));
        if (!isHandedOut(t, a)) return false;
        if (store.idOf(a) !== m.id || store.refs(a) !== m.refs) return false;
        if (store.internId(setOf(k)) !== m.id) return false;
      }
      return true;
    }),
    { numRuns: 60 },
  );
});
