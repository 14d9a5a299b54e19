// A Lazy export's UPDATE head written straight from the packed set as received with BGP's rewrite
// applied (src/rib/attrs-head-rewrite.ts, OutValues.headInto) must be byte for byte the head of the
// rewritten set the old way, encodeHead(rewriteForPeer(...)), for every set, route source,
// target, session and family; and an Adj-RIB-Out's UPDATEs must not change by a byte.
import test from 'ava';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, makeContext } from '../src/bgp/wire/index.js';
import type { AsPathSegment, CodecContext, UpdateMessage } from '../src/bgp/wire/index.js';
import { OutValues } from '../src/rib/adjout-values.js';
import { appendIpv4Nlri, insertMpReachNlri } from '../src/rib/adjout-wire.js';
import { rewrittenHead } from '../src/rib/attrs-head-rewrite.js';
import { peerRewrite, rewriteForPeer, rewrittenNextHop } from '../src/rib/export.js';
import { AdjRibOut, AttrStore, attrsFromWire, baseAttrs, encodeHead, exportAttrs, Rib, toWire } from '../src/rib/index.js';
import type { ExportContext, ExportFilter, Family, PathAttrs, PeerInfo, Route, RouteSource } from '../src/rib/index.js';
import { PrefixTable } from '../src/rib/ptable.js';
import { ribConfig } from './helpers/rib-config.js';
import { ipv4Arb, ipv6Arb } from './helpers/wire-arbitraries.js';

const SEED = 0x3e_ad_77;
const RUNS = 2000;

const same = (x: Buffer | null | undefined, y: Buffer | null | undefined): boolean => (x && y ? x.equals(y) : x == y);

/** Where the heads below are written: not at 0, as a message's in a batch is not (the bytes before it stay). */
const AT = 7;

/** rewrittenHead's bytes as a buffer of their own, or null where it leaves the head to encodeHead. */
function rewritten(store: AttrStore, id: number, rw: ReturnType<typeof peerRewrite>, codec: CodecContext, family: Family): Buffer | null {
  const out = Buffer.alloc(AT + (1 << 16), 0xa5);
  const n = rewrittenHead(out, AT, store.packedArena(), store.packedAt(id), store.nextHop(id), rw, codec, family);
  if (out.subarray(0, AT).some((b) => b !== 0xa5)) throw new Error('rewrittenHead wrote before its offset');
  return n < 0 ? null : Buffer.from(out.subarray(AT, AT + n));
}

/** OutValues.headInto's bytes as a buffer of their own, or undefined where none can be sent. */
function valuesHead(values: OutValues, v: number, codec: CodecContext, family: Family): Buffer | undefined {
  const out = Buffer.alloc(AT + (1 << 16), 0xa5);
  const n = values.headInto(v, codec, family, out, AT);
  if (out.subarray(0, AT).some((b) => b !== 0xa5)) throw new Error('headInto wrote before its offset');
  return n < 0 ? undefined : Buffer.from(out.subarray(AT, AT + n));
}

// ---- peers and contexts ----

const EBGP_SRC: PeerInfo = { address: '192.0.2.1', asn: 65001, routerId: '1.1.1.1', ibgp: false, routeReflectorClient: false };
const EBGP: PeerInfo = { address: '198.51.100.2', asn: 65002, routerId: '2.2.2.2', ibgp: false, routeReflectorClient: false };
const CLIENT: PeerInfo = { address: '10.0.0.3', asn: 65000, routerId: '10.0.0.3', ibgp: true, routeReflectorClient: true };
const NONCLIENT: PeerInfo = { address: '10.0.0.4', asn: 65000, routerId: '10.0.0.4', ibgp: true, routeReflectorClient: false };
const CLIENT2: PeerInfo = { ...CLIENT, address: '10.0.0.6', routerId: '10.0.0.6' };

const SOURCES: RouteSource[] = [
  { kind: 'bgp', peer: EBGP_SRC },
  { kind: 'bgp', peer: CLIENT },
  { kind: 'bgp', peer: NONCLIENT },
  { kind: 'static' },
];
const TARGETS: PeerInfo[] = [EBGP, CLIENT2, NONCLIENT];

/** Session addresses: both families with and without a link-local one, IPv4 only (IPv6 routes: mapped), IPv6 only, none. */
const ADDRESSES: ExportContext['localAddress'][] = [
  { ipv4: '198.51.100.1', ipv6: '2001:db8:ff::1', ipv6LinkLocal: 'fe80::1' },
  { ipv4: '198.51.100.1', ipv6: '2001:db8:ff::1' },
  { ipv4: '198.51.100.1' },
  { ipv6: '2001:db8:ff::1', ipv6LinkLocal: 'fe80::abcd:1' },
  {},
];

/** Lets every route through unchanged (the RIB's own ones included): exports stay Lazy. */
const passAll: ExportFilter = Object.assign((r: Route) => r.attrs, { perAttributes: true });

const cxArb: fc.Arbitrary<ExportContext> = fc
  .record({
    asn: fc.constantFrom(65000, 64512, 4200000000),
    target: fc.constantFrom(...TARGETS),
    localAddress: fc.constantFrom(...ADDRESSES),
    nextHopSelf: fc.boolean(),
    filter: fc.boolean(),
  })
  .map((r) => ({
    local: { asn: r.asn, routerId: '10.0.0.1', clusterId: '10.0.0.1' },
    target: r.target,
    localAddress: r.localAddress,
    nextHopSelf: r.nextHopSelf,
    ...(r.filter ? { filter: passAll } : {}),
  }));

const codecArb: fc.Arbitrary<CodecContext> = fc.record({ as4: fc.boolean(), extendedMessage: fc.boolean() }).map((c) => makeContext(c));

// ---- sets ----

const SEGMENT_TYPES: AsPathSegment['type'][] = ['AS_SEQUENCE', 'AS_SET', 'AS_CONFED_SEQUENCE', 'AS_CONFED_SET'];
const u32 = fc.nat({ max: 0xffffffff });
const asnArb = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 0xffff }) }, { weight: 1, arbitrary: u32 });
/** Short lists mostly; 254, 255 and 256 ASNs (where our AS stops joining the first segment), long ones. */
const asnsArb = fc.oneof(
  { weight: 10, arbitrary: fc.array(asnArb, { maxLength: 10 }) },
  { weight: 3, arbitrary: fc.constantFrom(254, 255, 256).chain((n) => fc.array(asnArb, { minLength: n, maxLength: n })) },
  { weight: 1, arbitrary: fc.array(asnArb, { minLength: 257, maxLength: 700 }) },
);
const segmentArb: fc.Arbitrary<AsPathSegment> = fc.record({
  type: fc.oneof({ weight: 6, arbitrary: fc.constant('AS_SEQUENCE' as const) }, { weight: 3, arbitrary: fc.constantFrom(...SEGMENT_TYPES) }),
  asns: asnsArb,
});
const pathArb = fc.array(segmentArb, { maxLength: 4 });

const linkLocalArb = fc.uint8Array({ minLength: 2, maxLength: 2 }).map((b) => `fe80::${((b[0]! << 8) | b[1]!).toString(16)}`);
const nextHopArb = (family: Family): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 12, arbitrary: family === 'ipv4' ? ipv4Arb : ipv6Arb },
    { weight: 1, arbitrary: family === 'ipv4' ? ipv6Arb : ipv4Arb },
    { weight: 1, arbitrary: fc.constantFrom('', 'self', '300.1.1.1') },
  );
/** A value of `len` bytes as hex (a pattern, so large values cost no random byte each). */
const bytesHex = (len: number, seed: number): string => {
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) b[i] = (seed + i * 131) & 0xff;
  return b.toString('hex');
};
const unknownArb = fc.record({
  code: fc.integer({ min: 36, max: 255 }),
  flags: fc.integer({ min: 0, max: 255 }),
  value: fc.oneof(
    { weight: 12, arbitrary: fc.tuple(fc.integer({ min: 0, max: 300 }), fc.nat()).map(([n, s]) => bytesHex(n, s)) },
    // Around the 4096-octet limit with the rest of the set.
    { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 3700, max: 4100 }), fc.nat()).map(([n, s]) => bytesHex(n, s)) },
    { weight: 1, arbitrary: fc.constantFrom('abc', 'zz', 'a', 'ABCDEF', '0g') },
  ),
});
const extArb = fc.oneof(
  { weight: 20, arbitrary: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex')) },
  { weight: 1, arbitrary: fc.constantFrom('0102', '000000000000000g', 'ABCDEF0123456789') },
);
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
const short = <T>(a: fc.Arbitrary<T>, max = 6): fc.Arbitrary<T[]> => fc.array(a, { maxLength: max });

const attrsArb = (family: Family): fc.Arbitrary<PathAttrs> =>
  fc
    .record({
      origin: fc.constantFrom('IGP' as const, 'EGP' as const, 'INCOMPLETE' as const),
      asPath: pathArb,
      nextHop: nextHopArb(family),
      nextHopLinkLocal: opt(linkLocalArb),
      med: opt(u32),
      localPref: opt(u32),
      atomicAggregate: fc.boolean(),
      aggregator: opt(fc.record({ asn: asnArb, address: fc.oneof({ weight: 9, arbitrary: ipv4Arb }, { weight: 1, arbitrary: fc.constant('1.2.3') }) })),
      communities: fc.oneof({ weight: 6, arbitrary: short(u32) }, { weight: 1, arbitrary: fc.array(u32, { minLength: 60, maxLength: 1100 }) }),
      extCommunities: short(extArb),
      largeCommunities: short(fc.tuple(u32, u32, u32)),
      originatorId: opt(ipv4Arb),
      clusterList: short(fc.oneof({ weight: 9, arbitrary: ipv4Arb }, { weight: 1, arbitrary: fc.constant('10.0.0') })),
      otc: opt(u32),
      unknown: fc.uniqueArray(unknownArb, { maxLength: 2, selector: (u) => u.code }),
    })
    .map((r) => {
      // Absent rather than undefined, as decoded sets have them.
      const a: PathAttrs = { ...baseAttrs(r.nextHop), origin: r.origin, asPath: r.asPath, atomicAggregate: r.atomicAggregate };
      for (const k of ['nextHopLinkLocal', 'med', 'localPref', 'aggregator', 'originatorId', 'otc'] as const) {
        if (r[k] !== undefined) Object.assign(a, { [k]: r[k] });
      }
      return { ...a, communities: r.communities, extCommunities: r.extCommunities, largeCommunities: r.largeCommunities, clusterList: r.clusterList, unknown: r.unknown };
    });

interface Case {
  family: Family;
  attrs: PathAttrs;
  source: RouteSource;
  cx: ExportContext;
  codec: CodecContext;
}
const caseArb: fc.Arbitrary<Case> = fc
  .tuple(fc.constantFrom<Family>('ipv4', 'ipv6'), fc.constantFrom(...SOURCES), cxArb, codecArb)
  .chain(([family, source, cx, codec]) => attrsArb(family).map((attrs) => ({ family, attrs, source, cx, codec })));

/** The old way: the rewritten set, then its head (null: the rewrite has no next hop). */
function oldHead(c: Case): Buffer | undefined | null {
  const out = rewriteForPeer({ source: c.source, family: c.family, attrs: c.attrs }, c.attrs, c.cx);
  return out && encodeHead(out, c.codec, c.family);
}

test('the rewritten head written from the packed set is the old way\'s bytes wherever it is written', (t) => {
  let written = 0;
  let left = 0;
  let ebgp = 0;
  t.notThrows(() =>
    fc.assert(
      fc.property(caseArb, (c) => {
        const store = new AttrStore();
        const id = store.internId(c.attrs);
        const rw = peerRewrite(c.source, c.family, c.cx);
        const old = oldHead(c);
        const direct = rewritten(store, id, rw, c.codec, c.family);
        // exportNow's rule: a Lazy is made exactly when the rewrite has a next hop.
        if (!rewrittenNextHop(rw, store.nextHop(id)) !== (old === null)) return false;
        if (direct === null) {
          left++;
          return true;
        }
        written++;
        if (!c.cx.target.ibgp) ebgp++;
        return same(direct, old);
      }),
      { seed: SEED, numRuns: RUNS },
    ),
  );
  // Both ways taken often, eBGP written often: else the property says little.
  t.true(written > RUNS / 4 && left > RUNS / 20 && ebgp > RUNS / 16, `written ${written} (eBGP ${ebgp}), left ${left}`);
});

test('OutValues.headInto gives the old way\'s head for any route it exports, written or not', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(caseArb, (c) => {
        const store = new AttrStore();
        const route: Route = { family: c.family, prefix: c.family === 'ipv4' ? '203.0.113.0/24' : '2001:db8::/32', pathId: 0, source: c.source, type: 'unicast', attrs: store.intern(c.attrs), stale: false };
        const values = new OutValues({ ...c.cx, store });
        values.begin();
        const v = values.exported(route);
        const expected = exportAttrs(route, c.cx);
        if (v === null || expected === null) return v === null && expected === null;
        // The old path: the rewritten set, as outAttrs still gives it, then its head.
        return same(valuesHead(values, v, c.codec, c.family), encodeHead(expected, c.codec, c.family)) && same(encodeHead(values.outAttrs(v), c.codec, c.family), encodeHead(expected, c.codec, c.family));
      }),
      { seed: SEED + 1, numRuns: RUNS / 2 },
    ),
  );
});

// ---- explicit cases ----

const EBGP_CX: ExportContext = { local: { asn: 65000, routerId: '10.0.0.1', clusterId: '10.0.0.1' }, target: EBGP, localAddress: ADDRESSES[0]!, nextHopSelf: false };
const FROM_EBGP: RouteSource = { kind: 'bgp', peer: EBGP_SRC };
const AS4 = makeContext({ as4: true });

/** The rewritten head from the packed set, and the old way's. */
function heads(attrs: PathAttrs, family: Family, codec: CodecContext, cx = EBGP_CX): [Buffer | null, Buffer | null | undefined] {
  const store = new AttrStore();
  const id = store.internId(attrs);
  const direct = rewritten(store, id, peerRewrite(FROM_EBGP, family, cx), codec, family);
  return [direct, oldHead({ family, attrs, source: FROM_EBGP, cx, codec })];
}

function decodedPath(head: Buffer, codec: CodecContext): AsPathSegment[] {
  const r = decodeMessage(head, codec);
  if (!r.ok || r.msg.type !== 'UPDATE') throw new Error('head does not decode');
  return [...attrsFromWire((r.msg as UpdateMessage).attributes, codec.as4).asPath];
}

test('our AS joins a leading AS_SEQUENCE of 254 ASNs; before one of 255 or 256 it opens a segment (RFC 4271 §4.3)', (t) => {
  for (const [n, lengths] of [[254, [255]], [255, [1, 255]], [256, [1, 255, 1]], [0, [1]]] as const) {
    const asns = Array.from({ length: n }, (_, i) => 64512 + i);
    const a: PathAttrs = { ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE', asns }, { type: 'AS_SET', asns: [7, 8] }] };
    const [direct, old] = heads(a, 'ipv4', AS4);
    t.truthy(direct, `${n} ASNs written directly`);
    t.true(same(direct, old), `${n} ASNs`);
    const path = decodedPath(direct!, AS4);
    t.deepEqual(path.map((s) => s.asns.length), [...lengths, 2], `${n} ASNs`);
    t.deepEqual(path.flatMap((s) => s.asns).slice(0, n + 1), [65000, ...asns]);
  }
});

test('towards eBGP confederation segments go (RFC 5065 §5.3); an AS_SET first gets a segment of our AS before it', (t) => {
  const a: PathAttrs = {
    ...baseAttrs('192.0.2.1'),
    asPath: [{ type: 'AS_CONFED_SEQUENCE', asns: [65100] }, { type: 'AS_SET', asns: [65001, 65002] }, { type: 'AS_CONFED_SET', asns: [65101] }, { type: 'AS_SEQUENCE', asns: [65003] }],
  };
  const [direct, old] = heads(a, 'ipv4', AS4);
  t.truthy(direct);
  t.true(same(direct, old));
  t.deepEqual(decodedPath(direct!, AS4), [{ type: 'AS_SEQUENCE', asns: [65000] }, { type: 'AS_SET', asns: [65001, 65002] }, { type: 'AS_SEQUENCE', asns: [65003] }]);
});

test('a 2-octet session: written directly without 4-octet ASNs, else left to the old way (AS4_PATH)', (t) => {
  const as2 = makeContext({ as4: false });
  const small: PathAttrs = { ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE', asns: [65001, 65002] }], aggregator: { asn: 65003, address: '192.0.2.9' } };
  const [direct, old] = heads(small, 'ipv4', as2);
  t.truthy(direct);
  t.true(same(direct, old));
  for (const big of [
    { ...small, asPath: [{ type: 'AS_SEQUENCE' as const, asns: [65001, 4200000001] }] },
    { ...small, aggregator: { asn: 4200000003, address: '192.0.2.9' } },
  ]) {
    t.is(heads(big, 'ipv4', as2)[0], null);
  }
  // Our own AS beyond 2 octets.
  t.is(heads(small, 'ipv4', as2, { ...EBGP_CX, local: { ...EBGP_CX.local, asn: 4200000000 } })[0], null);
});

test('IPv6: our global and link-local addresses in MP_REACH_NLRI, the set\'s own link-local one never', (t) => {
  const a: PathAttrs = { ...baseAttrs('2001:db8::7'), nextHopLinkLocal: 'fe80::7', asPath: [{ type: 'AS_SEQUENCE', asns: [65001] }], med: 9, localPref: 200 };
  for (const localAddress of ADDRESSES.slice(0, 3)) {
    const [direct, old] = heads(a, 'ipv6', AS4, { ...EBGP_CX, localAddress });
    t.truthy(direct);
    t.true(same(direct, old), JSON.stringify(localAddress));
  }
  t.is(heads(a, 'ipv6', AS4, { ...EBGP_CX, localAddress: {} })[0], null, 'no address of the family: no next hop');
});

test('a rewritten head of exactly 4096 octets is written; one of 4097 only with extended messages (RFC 8654 §4)', (t) => {
  // Header and lengths 23, ORIGIN 4, AS_PATH 3 + 2 + 8, NEXT_HOP 7, the unknown attribute 4 + value.
  const set = (bytes: number): PathAttrs => ({ ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE', asns: [65001] }], med: 5, unknown: [{ code: 200, flags: 0xc0, value: bytesHex(bytes, 3) }] });
  const [fits, fitsOld] = heads(set(4045), 'ipv4', AS4);
  t.is(fits?.length, 4096);
  t.true(same(fits, fitsOld));
  const [over, overOld] = heads(set(4046), 'ipv4', AS4);
  t.is(over, null);
  t.is(overOld, undefined, 'the old way does not send it either');
  const ext = makeContext({ as4: true, extendedMessage: true });
  const [big, bigOld] = heads(set(4046), 'ipv4', ext);
  t.is(big?.length, 4097);
  t.true(same(big, bigOld));
});

// ---- the Adj-RIB-Out's UPDATEs ----

const v4 = (i: number): string => `${10 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}.0/24`;
const v6 = (i: number): string => `2001:db8:${i.toString(16)}::/48`;

/** Each prefix's set: a few of the arbitrary sets, the RIB's next hops (resolvable on the connected link). */
const ribSetsArb = fc.array(attrsArb('ipv4'), { minLength: 1, maxLength: 8 });

function ribOf(sets: PathAttrs[], n: number): Rib {
  const rib = new Rib(ribConfig);
  rib.setConnected([{ prefix: '192.0.2.10/24', interface: 'eth0' }]);
  rib.peerUp(EBGP_SRC);
  for (let i = 0; i < n; i++) {
    const a = sets[i % sets.length]!;
    rib.announce(EBGP_SRC.address, 'ipv4', { prefix: v4(i) }, { ...a, nextHop: '192.0.2.1' });
    rib.announce(EBGP_SRC.address, 'ipv6', { prefix: v6(i) }, { ...a, nextHop: 'fe80::1' });
  }
  rib.drainChanges();
  return rib;
}

/**
 * Every UPDATE of an initial dump to EBGP. `old`: heads the way announceMessage made them before
 * OutValues.headInto, encodeHead(outAttrs(v)) (the rewritten set), all else alike.
 */
function dump(rib: Rib, codec: CodecContext, localAddress: ExportContext['localAddress'], old: boolean): Buffer[] {
  const out = new AdjRibOut({ ...EBGP_CX, localAddress, codec, families: ['ipv4', 'ipv6'], store: rib.store });
  if (old) {
    const values = (out as unknown as { values: OutValues }).values;
    values.headInto = (v, c, family, buf, at) => {
      const head = encodeHead(values.outAttrs(v), c, family);
      if (!head) return -1;
      head.copy(buf, at);
      return head.length;
    };
  }
  out.initialDump(rib);
  const all: Buffer[] = [];
  for (let batch = out.nextBatch(1 << 16); batch.length; batch = out.nextBatch(1 << 16)) for (const b of batch) all.push(Buffer.from(b));
  out.close();
  return all;
}

test('the UPDATEs an eBGP peer gets are byte for byte those of the old way (rewritten sets, then their heads)', (t) => {
  let messages = 0;
  t.notThrows(() =>
    fc.assert(
      fc.property(ribSetsArb, codecArb, fc.constantFrom(...ADDRESSES.slice(0, 3)), (sets, codec, localAddress) => {
        const rib = ribOf(sets, 40);
        const lazy = dump(rib, codec, localAddress, false);
        const old = dump(rib, codec, localAddress, true);
        messages += lazy.length;
        return lazy.length === old.length && lazy.every((b, i) => b.equals(old[i]!));
      }),
      { seed: SEED + 2, numRuns: 60 },
    ),
  );
  t.true(messages > 60 * 4, `${messages} UPDATEs compared`);
});

// ---- a message assembled in its place ----

test('an UPDATE assembled in place (head at its offset, prefixes after or inside MP_REACH_NLRI) is the codec\'s encoding of it', (t) => {
  let checked = 0;
  const nlriArb = (family: Family) => fc.uniqueArray(family === 'ipv4' ? ipv4Arb : ipv6Arb, { minLength: 1, maxLength: 40 });
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.constantFrom<Family>('ipv4', 'ipv6').chain((family) => fc.tuple(fc.constant(family), attrsArb(family), nlriArb(family))),
        codecArb,
        fc.nat(300),
        ([family, attrs, addresses], codec, at) => {
          const head = encodeHead(attrs, codec, family);
          if (!head) return true;
          const prefixes = addresses.map((a, i) => `${a}/${family === 'ipv4' ? 8 + (i % 25) : 16 + (i % 113)}`);
          const table = new PrefixTable(family);
          const ids = prefixes.map((p) => table.acquire(p));
          const nlriLen = ids.reduce((n, id) => n + table.nlriSize(id), 0);
          const size = head.length + nlriLen;
          if (size > (codec.extendedMessage ? 65535 : 4096)) return true;
          const buf = Buffer.alloc(at + size + 16, 0xa5);
          head.copy(buf, at);
          const write = (b: Buffer, p: number): number => ids.reduce((q, id) => q + table.writeNlri(id, b, q), p);
          (family === 'ipv4' ? appendIpv4Nlri : insertMpReachNlri)(buf, at, head.length, size, write);
          // The codec's own message of the set's attributes (encodeHead's bytes are its head), the
          // prefixes where the family puts them.
          const nlri = ids.map((id) => ({ prefix: table.text(id) }));
          const attributes = toWire(attrs, { as4: codec.as4, family });
          for (const a of attributes) if (a.name === 'MP_REACH_NLRI') a.value.nlri = nlri;
          const msg: UpdateMessage = { type: 'UPDATE', withdrawn: [], attributes, nlri: family === 'ipv4' ? nlri : [] };
          checked++;
          const untouched = (b: number): boolean => b === 0xa5;
          return buf.subarray(at, at + size).equals(encodeMessage(msg, codec)) && buf.subarray(0, at).every(untouched) && buf.subarray(at + size).every(untouched);
        },
      ),
      { seed: SEED + 3, numRuns: 400 },
    ),
  );
  t.true(checked > 150, `${checked} messages compared`);
});
