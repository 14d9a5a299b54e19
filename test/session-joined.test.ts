// joined (src/bgp/session/transport-conn.ts): the messages of one write as one buffer. Views that
// follow each other in one memory (an Adj-RIB-Out batch) become one view without a copy; any
// other list is copied together. The bytes are always the messages' bytes in order.
import test from 'ava';
import fc from 'fast-check';
import { joined } from '../src/bgp/session/transport-conn.js';

/** Pieces of `sizes` laid out one after another in one buffer, `gaps` bytes apart. */
function views(sizes: number[], gaps: number[]): Buffer[] {
  const total = sizes.reduce((a, n, i) => a + n + (gaps[i] ?? 0), 0);
  const buf = Buffer.alloc(total);
  for (let i = 0; i < total; i++) buf[i] = (i * 37 + 11) & 0xff;
  const out: Buffer[] = [];
  let at = 0;
  sizes.forEach((n, i) => {
    out.push(buf.subarray(at, at + n));
    at += n + (gaps[i] ?? 0);
  });
  return out;
}

test('joined gives the bytes of the list in order, adjacent views without a copy (fast-check)', (t) => {
  const sizes = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 });
  fc.assert(
    fc.property(sizes, fc.array(fc.constantFrom(0, 0, 0, 1, 5), { maxLength: 20 }), fc.boolean(), (ns, gaps, shuffle) => {
      let list = views(ns, gaps);
      if (shuffle && list.length > 1) list = [...list.slice(1), list[0]!];
      const out = joined(list);
      if (!out.equals(Buffer.concat(list))) return false;
      const adjacent = !shuffle || list.length === 1 ? gaps.slice(0, ns.length - 1).every((g) => g === 0) : false;
      // Adjacent views: a view of the same memory; otherwise a copy.
      return adjacent ? out.buffer === list[0]!.buffer : list.length === 1 || out.buffer !== list[0]!.buffer;
    }),
    { seed: 0x101ed, numRuns: 400 },
  );
  // Separate buffers are copied together.
  const a = Buffer.from([1, 2]);
  const b = Buffer.from([3]);
  t.deepEqual([...joined([a, b])], [1, 2, 3]);
});
