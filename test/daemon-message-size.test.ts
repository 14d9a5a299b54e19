// The RFC 8654 §4 size check on export (src/daemon/message-size.ts): the cheap bound from an
// interned set's packed size must never be below the set's real wire size, so that the shortcut
// only lets through sets that fit; sets that do not fit are refused with it as without it.
import test from 'ava';
import fc from 'fast-check';
import { makeContext } from '../src/bgp/wire/index.js';
import type { AsPathSegment } from '../src/bgp/wire/index.js';
import { messageSizeFilter, packedWireBound } from '../src/daemon/message-size.js';
import { AttrStore, baseAttrs, encodeHead } from '../src/rib/index.js';
import type { ExportFilter, Family, PathAttrs, PeerInfo, Route } from '../src/rib/index.js';
import { ipv4Arb, ipv6Arb } from './helpers/wire-arbitraries.js';

const u32 = fc.nat({ max: 0xffffffff });
const asnArb = fc.oneof(fc.integer({ min: 1, max: 0xffff }), u32);
const segmentArb: fc.Arbitrary<AsPathSegment> = fc.record({
  type: fc.constantFrom('AS_SEQUENCE' as const, 'AS_SET' as const, 'AS_CONFED_SEQUENCE' as const, 'AS_CONFED_SET' as const),
  asns: fc.oneof({ weight: 6, arbitrary: fc.array(asnArb, { maxLength: 10 }) }, { weight: 1, arbitrary: fc.array(asnArb, { minLength: 50, maxLength: 700, size: 'max' }) }),
});
const hex = (n: number, seed: number): string => Buffer.from(Array.from({ length: n }, (_, i) => (seed + 7 * i) & 0xff)).toString('hex');
const few = <T>(a: fc.Arbitrary<T>, max: number): fc.Arbitrary<T[]> => fc.oneof({ weight: 5, arbitrary: fc.array(a, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.array(a, { maxLength: max, size: 'max' }) });
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });

/** Well-formed sets, as the codec decodes them and policies build them: every member, short and long lists. */
const setArb = (family: Family): fc.Arbitrary<PathAttrs> =>
  fc
    .record({
      asPath: few(segmentArb, 30),
      nextHop: family === 'ipv4' ? ipv4Arb : fc.oneof(ipv6Arb, fc.constant('::')),
      linkLocal: opt(fc.constantFrom('fe80::1', '::')),
      med: opt(u32),
      localPref: opt(u32),
      atomicAggregate: fc.boolean(),
      aggregator: opt(fc.record({ asn: asnArb, address: ipv4Arb })),
      communities: few(u32, 900),
      extCommunities: few(fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => hex(8, a ^ b)), 300),
      largeCommunities: few(fc.tuple(u32, u32, u32), 300),
      originatorId: opt(ipv4Arb),
      clusterList: few(ipv4Arb, 200),
      otc: opt(u32),
      unknown: fc.uniqueArray(fc.record({ code: fc.integer({ min: 36, max: 255 }), flags: fc.constant(0xc0), value: fc.tuple(fc.nat({ max: 3000 }), fc.nat()).map(([n, s]) => hex(n, s)) }), { maxLength: 3, selector: (u) => u.code }),
    })
    .map((r) => {
      const a: PathAttrs = { ...baseAttrs(r.nextHop), asPath: r.asPath, atomicAggregate: r.atomicAggregate, communities: r.communities, extCommunities: r.extCommunities, largeCommunities: r.largeCommunities, clusterList: r.clusterList, unknown: r.unknown };
      if (family === 'ipv6' && r.linkLocal !== undefined) a.nextHopLinkLocal = r.linkLocal;
      for (const k of ['med', 'localPref', 'aggregator', 'originatorId', 'otc'] as const) if (r[k] !== undefined) Object.assign(a, { [k]: r[k] });
      return a;
    });

test('the packed bound is never below the attributes\' wire size, 2- and 4-octet sessions, both families (fast-check)', (t) => {
  const store = new AttrStore();
  const caseArb = fc.tuple(fc.constantFrom<Family>('ipv4', 'ipv6'), fc.boolean()).chain(([family, as4]) => setArb(family).map((a) => [a, family, as4] as const));
  fc.assert(
    fc.property(caseArb, ([a, family, as4]) => {
      const head = encodeHead(a, makeContext({ as4, extendedMessage: true }), family);
      if (!head) return true;
      const held = store.intern(a);
      const packed = store.packedSizeOf(held);
      store.release(held);
      // The head less the header and the two length fields is the attributes' wire size.
      return packed > 0 && head.length - 23 <= packedWireBound(packed);
    }),
    { seed: 0x51ce, numRuns: 500 },
  );
  t.is(store.packedSizeOf({ ...baseAttrs('192.0.2.1') }), -1, 'a set not handed out by the store has no packed size');
});

const PEER: PeerInfo = { address: '198.51.100.2', asn: 65002, routerId: '2.2.2.2', ibgp: false, routeReflectorClient: false };
const routeWith = (attrs: PathAttrs): Route => ({ family: 'ipv4', prefix: '203.0.113.0/24', pathId: 0, source: { kind: 'bgp', peer: PEER }, type: 'unicast', attrs, stale: false });

test('with the packed size, sets that fit pass and sets over one message are refused and reported, as without it', (t) => {
  const store = new AttrStore();
  const accept: ExportFilter = (route) => route.attrs;
  const ctx = makeContext({ as4: true });
  const small = store.intern({ ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE', asns: [65001] }], communities: [1, 2, 3] });
  const large = store.intern({ ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE', asns: [65001] }], communities: Array.from({ length: 1010 }, (_, i) => i) });
  for (const packed of [store, undefined]) {
    const refused: string[] = [];
    const filter = messageSizeFilter(accept, ctx, (prefix) => refused.push(prefix), packed);
    t.is(filter(routeWith(small), PEER), small);
    t.is(filter(routeWith(large), PEER), null);
    t.deepEqual(refused, ['203.0.113.0/24']);
  }
});
