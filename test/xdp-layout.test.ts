// The map-layout generator: the committed TS matches the header, layouts equal what the compiler
// lays out (sizes/offsets checked against the header's own arithmetic), the subset is enforced.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseHeader, emit } from '../tools/gen-bpf-layout.js';
import {
  RoutedNextHopSize, RoutedNextHopOffsets, RoutedEcmpGroupSize, RoutedStat, encodeRoutedNextHop, decodeRoutedNextHop,
  type RoutedNextHop,
} from '../src/fib/bpf/layout.generated.js';
import { encodePrefix, decodePrefix } from '../src/fib/bpf/maps.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('layout.generated.ts is what the generator makes of the header', (t) => {
  const header = readFileSync(`${root}bpf/routed_maps.h`, 'utf8');
  t.is(emit(parseHeader(header), 'bpf/routed_maps.h'), readFileSync(`${root}src/fib/bpf/layout.generated.ts`, 'utf8'));
});

test('sizes and offsets follow C layout', (t) => {
  t.is(RoutedNextHopSize, 28);
  t.deepEqual(RoutedNextHopOffsets, { ifindex: 0, flags: 4, dstMac: 8, srcMac: 14, vlanId: 20, mtu: 22, ecmpGroup: 24 });
  t.is(RoutedEcmpGroupSize, 4 + 16 * 4);
  t.is(RoutedStat.FORWARDED, 0);
  t.is(RoutedStat.MAX as number, Object.keys(RoutedStat).length - 1);
});

test('next hop encode/decode round trip, little-endian', (t) => {
  const nh: RoutedNextHop = {
    ifindex: 7, flags: 1, dstMac: Uint8Array.from([1, 2, 3, 4, 5, 6]), srcMac: Uint8Array.from([7, 8, 9, 10, 11, 12]),
    vlanId: 100, mtu: 1500, ecmpGroup: 3,
  };
  const buf = Buffer.alloc(RoutedNextHopSize);
  encodeRoutedNextHop(nh, buf);
  t.is(buf.toString('hex'), '07000000010000000102030405060708090a0b0c6400dc0503000000');
  t.deepEqual(decodeRoutedNextHop(buf), nh);
  t.throws(() => encodeRoutedNextHop({ ...nh, dstMac: new Uint8Array(5) }, buf), { instanceOf: RangeError });
});

test('the generator rejects implicit padding and C outside its subset', (t) => {
  t.throws(() => parseHeader('struct a { __u8 x; __u32 y; };'), { message: /implicit padding before y/ });
  t.throws(() => parseHeader('struct a { __u32 x; __u8 y; };'), { message: /tail padding/ });
  t.throws(() => parseHeader('struct a { int x; };'), { message: /unsupported declaration/ });
  t.throws(() => parseHeader('typedef int foo;'), { message: /outside the documented subset/ });
  const l = parseHeader('#define N 3\nenum e { A = 2, B, C = N };\nstruct s { __u16 a; __u8 b[N]; __u8 _pad[3]; __u64 c; };');
  t.deepEqual(l.enums[0]!.members, [{ name: 'A', value: 2 }, { name: 'B', value: 3 }, { name: 'C', value: 3 }]);
  t.is(l.structs[0]!.size, 16);
});

test('LPM keys: prefix text ↔ key bytes, host bits cleared', (t) => {
  const k = Buffer.alloc(20);
  encodePrefix(4, '198.18.7.9/16', k);
  t.is(k.subarray(0, 8).toString('hex'), '10000000c6120000');
  t.is(decodePrefix(4, k), '198.18.0.0/16');
  encodePrefix(6, '2001:db8:ffff::1/33', k);
  t.is(decodePrefix(6, k), '2001:db8:8000::/33');
  t.throws(() => encodePrefix(4, '198.18.0.0/33', k), { instanceOf: RangeError });
  t.throws(() => encodePrefix(6, '198.18.0.0/8', k), { instanceOf: RangeError });
});
