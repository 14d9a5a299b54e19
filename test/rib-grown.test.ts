// The RIB's typed tables grow through one function (src/rib/grown.ts): contents kept, the new
// entries filled, the length doubled until the asked size fits, the array itself when it does.
import test from 'ava';
import { grown } from '../src/rib/grown.js';

test('an array that holds the size already is returned as it is', (t) => {
  const a = new Int32Array([1, 2, 3, 4]);
  t.is(grown(a, 4), a);
  t.is(grown(a, 0, -1), a);
});

test('a copy doubled until the size fits, the old entries kept, the new ones filled', (t) => {
  const a = new Int32Array([5, -6, 7]);
  const b = grown(a, 13, -1);
  t.not(b, a);
  t.true(b instanceof Int32Array);
  t.is(b.length, 24);
  t.deepEqual([...b.subarray(0, 3)], [5, -6, 7]);
  t.true(b.subarray(3).every((v) => v === -1));
  // The original is left as it was (holders of it see no change).
  t.deepEqual([...a], [5, -6, 7]);
});

test('the new entries are zero without a fill, and each kind stays its kind', (t) => {
  for (const a of [new Uint8Array([9]), new Uint16Array([9]), new Uint32Array([0xffffffff]), new Float64Array([0.5])]) {
    const b = grown(a, 5);
    t.is(b.constructor, a.constructor);
    t.is(b.length, 8);
    t.is(b[0], a[0]);
    t.true(b.subarray(1).every((v) => v === 0));
  }
});

test('an empty array starts at 16 entries', (t) => {
  t.is(grown(new Int32Array(0), 1).length, 16);
  t.is(grown(new Int32Array(0), 17).length, 32);
});
