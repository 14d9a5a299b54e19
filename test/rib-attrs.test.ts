// Attribute interning and the conversions between the codec's wire attributes and the RIB's.
import test from 'ava';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, makeContext } from '../src/bgp/wire/index.js';
import type { Nlri, PathAttribute, UpdateMessage } from '../src/bgp/wire/index.js';
import { AttrStore, attrsFromWire, baseAttrs, routesOf, toWire } from '../src/rib/index.js';
import type { Family, PathAttrs } from '../src/rib/index.js';
import { Packer, Unpacker } from '../src/rib/attrs-pack.js';
import { rewriteForPeer } from '../src/rib/export.js';
import type { ExportContext, PeerInfo } from '../src/rib/index.js';
import { hasOneShape, isHandedOut } from './helpers/handed-out.js';

const attrs = (extra: Partial<PathAttrs> = {}): PathAttrs => ({
  ...baseAttrs('192.0.2.1'),
  asPath: [{ type: 'AS_SEQUENCE', asns: [65001, 65002] }],
  communities: [0xfde80001],
  ...extra,
});

test('interning: equal sets give the same frozen object, different sets do not', (t) => {
  const store = new AttrStore();
  const a = store.intern(attrs());
  const b = store.intern(attrs());
  t.is(a, b);
  t.true(isHandedOut(t, a));
  t.not(store.intern(attrs({ med: 1 })), a);
  t.is(store.intern(a), a);
  t.is(store.size, 2);
  t.is(store.refs(a), 3);
});

test('interning: an absent member and an undefined one are the same set, handed out with every member', (t) => {
  const store = new AttrStore();
  const lacking = attrs();
  delete lacking.med;
  delete lacking.otc;
  const a = store.intern(lacking);
  t.is(a, store.intern(attrs({ med: undefined })));
  t.true(isHandedOut(t, a));
});

test('interning: the set is freed with its last reference, and a new one made afterwards', (t) => {
  const store = new AttrStore();
  const a = store.intern(attrs());
  store.intern(attrs());
  store.release(a);
  t.is(store.size, 1);
  store.release(a);
  t.is(store.size, 0);
  t.is(store.refs(a), 0);
  t.throws(() => store.release(a));
  const again = store.intern(attrs());
  t.not(again, a);
  t.deepEqual(again, a);
});

test('interning: the caller mutating its input afterwards does not change the interned set', (t) => {
  const store = new AttrStore();
  const input = attrs();
  const a = store.intern(input);
  input.asPath[0]!.asns.push(9);
  t.deepEqual(a.asPath, [{ type: 'AS_SEQUENCE', asns: [65001, 65002] }]);
});

/** What one UPDATE says, per family, as routesOf hands it to the RIB. */
function updateRoutes(msg: UpdateMessage, as4: boolean): { withdraw: { family: Family; nlri: readonly Nlri[] }[]; announce: { family: Family; nlri: readonly Nlri[]; attrs: PathAttrs }[] } {
  const out: ReturnType<typeof updateRoutes> = { withdraw: [], announce: [] };
  routesOf(msg, as4, {
    withdraw: (family, holder, field) => out.withdraw.push({ family, nlri: holder[field] ?? [] }),
    announce: (family, holder, attrs) => out.announce.push({ family, nlri: holder.nlri ?? [], attrs }),
  });
  return out;
}

const ORIGIN: PathAttribute = { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' };

test('fromWire: 2-octet session merges AS4_PATH and takes AS4_AGGREGATOR for AS_TRANS (RFC 6793 §4.2.3)', (t) => {
  const list: PathAttribute[] = [
    ORIGIN,
    { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: [65001, 23456, 23456] }] },
    { code: 7, name: 'AGGREGATOR', flags: 0xc0, value: { asn: 23456, address: '10.0.0.9' } },
    { code: 17, name: 'AS4_PATH', flags: 0xc0, value: [{ type: 'AS_SEQUENCE', asns: [4200000001, 4200000002] }] },
    { code: 18, name: 'AS4_AGGREGATOR', flags: 0xc0, value: { asn: 4200000002, address: '10.0.0.9' } },
  ];
  const a = attrsFromWire(list, false);
  t.deepEqual(a.asPath, [{ type: 'AS_SEQUENCE', asns: [65001, 4200000001, 4200000002] }]);
  t.deepEqual(a.aggregator, { asn: 4200000002, address: '10.0.0.9' });
});

test('fromWire: a real 2-octet AGGREGATOR makes AS4_PATH and AS4_AGGREGATOR ignored; 4-octet sessions ignore them', (t) => {
  const list: PathAttribute[] = [
    ORIGIN,
    { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: [65001, 23456] }] },
    { code: 7, name: 'AGGREGATOR', flags: 0xc0, value: { asn: 65001, address: '10.0.0.9' } },
    { code: 17, name: 'AS4_PATH', flags: 0xc0, value: [{ type: 'AS_SEQUENCE', asns: [4200000001] }] },
    { code: 18, name: 'AS4_AGGREGATOR', flags: 0xc0, value: { asn: 4200000002, address: '10.0.0.9' } },
  ];
  t.deepEqual(attrsFromWire(list, false).asPath, [{ type: 'AS_SEQUENCE', asns: [65001, 23456] }]);
  t.deepEqual(attrsFromWire(list, false).aggregator, { asn: 65001, address: '10.0.0.9' });
  t.deepEqual(attrsFromWire(list, true).asPath, [{ type: 'AS_SEQUENCE', asns: [65001, 23456] }]);
});

test('fromWire: unknown optional transitive attributes are kept, non-transitive ones dropped (RFC 4271 §5)', (t) => {
  const list: PathAttribute[] = [
    ORIGIN,
    { code: 99, name: 'UNKNOWN', flags: 0xc0, value: 'abcd' },
    { code: 98, name: 'UNKNOWN', flags: 0x80, value: '01' },
  ];
  t.deepEqual(attrsFromWire(list, true).unknown, [{ code: 99, flags: 0xc0, value: 'abcd' }]);
});

test('updateRoutes: IPv4 NLRI with NEXT_HOP, IPv6 from MP_REACH with link-local, withdrawals per family', (t) => {
  const msg: UpdateMessage = {
    type: 'UPDATE',
    withdrawn: [{ prefix: '198.51.100.0/24' }],
    attributes: [
      { code: 15, name: 'MP_UNREACH_NLRI', flags: 0x90, value: { afi: 2, safi: 1, withdrawn: [{ prefix: '2001:db8:9::/48' }] } },
      ORIGIN,
      { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: [65001] }] },
      { code: 3, name: 'NEXT_HOP', flags: 0x40, value: '192.0.2.1' },
      {
        code: 14, name: 'MP_REACH_NLRI', flags: 0x90,
        value: { afi: 2, safi: 1, nextHops: ['2001:db8::1', 'fe80::1'], nlri: [{ prefix: '2001:db8:1::/48' }] },
      },
    ],
    nlri: [{ prefix: '203.0.113.0/24' }],
  };
  const r = updateRoutes(msg, true);
  t.deepEqual(r.withdraw.map((w) => [w.family, w.nlri]), [
    ['ipv4', [{ prefix: '198.51.100.0/24' }]],
    ['ipv6', [{ prefix: '2001:db8:9::/48' }]],
  ]);
  const v6 = r.announce.find((a) => a.family === 'ipv6')!;
  const v4 = r.announce.find((a) => a.family === 'ipv4')!;
  t.is(v6.attrs.nextHop, '2001:db8::1');
  t.is(v6.attrs.nextHopLinkLocal, 'fe80::1');
  t.is(v4.attrs.nextHop, '192.0.2.1');
  t.is(v4.attrs.nextHopLinkLocal, undefined);
});

test('one shape: sets decoded with and without optional attributes, unpacked, and rewritten for export have every member in one order', (t) => {
  const path: PathAttribute = { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: [65001] }] };
  const optional: PathAttribute[] = [
    { code: 16, name: 'EXTENDED_COMMUNITIES', flags: 0xc0, value: ['0002fde800000001'] },
    { code: 35, name: 'ONLY_TO_CUSTOMER', flags: 0xc0, value: 65001 },
    { code: 9, name: 'ORIGINATOR_ID', flags: 0x80, value: '192.0.2.9' },
    { code: 7, name: 'AGGREGATOR', flags: 0xc0, value: { asn: 65001, address: '192.0.2.7' } },
    { code: 5, name: 'LOCAL_PREF', flags: 0x40, value: 200 },
    { code: 4, name: 'MULTI_EXIT_DISC', flags: 0x80, value: 7 },
  ];
  const mpReach: PathAttribute = {
    code: 14, name: 'MP_REACH_NLRI', flags: 0x90,
    value: { afi: 2, safi: 1, nextHops: ['2001:db8::1', 'fe80::1'], nlri: [{ prefix: '2001:db8:1::/48' }] },
  };
  const sets: PathAttrs[] = [];
  for (let n = 0; n <= optional.length; n++) {
    const list = [ORIGIN, path, ...optional.slice(0, n)];
    sets.push(attrsFromWire(list, true));
    const msg: UpdateMessage = { type: 'UPDATE', withdrawn: [], attributes: [...list, mpReach], nlri: [] };
    sets.push(...updateRoutes(msg, true).announce.map((a) => a.attrs));
  }
  const store = new AttrStore();
  const peer = (address: string, ibgp: boolean): PeerInfo => ({ address, asn: ibgp ? 65000 : 65001, routerId: address, ibgp, routeReflectorClient: false });
  const cx = (target: PeerInfo): ExportContext => ({
    local: { asn: 65000, routerId: '192.0.2.100', clusterId: '192.0.2.100' },
    target,
    localAddress: { ipv4: '192.0.2.100', ipv6: '2001:db8::100', ipv6LinkLocal: 'fe80::100' },
    nextHopSelf: false,
  });
  for (const a of [...sets]) {
    const held = store.intern(a);
    sets.push(new Unpacker().unpack(Buffer.from(packed(a), 'hex'), 0, a.nextHop), held);
    for (const [from, to] of [[peer('192.0.2.1', false), peer('192.0.2.2', false)], [peer('192.0.2.3', true), peer('192.0.2.4', true)]] as const) {
      const out = rewriteForPeer({ source: { kind: 'bgp', peer: from }, family: a.nextHopLinkLocal ? 'ipv6' : 'ipv4', attrs: held }, held, cx(to));
      if (out) sets.push(out);
    }
  }
  t.true(sets.length > 60);
  t.is(sets.filter((a) => hasOneShape(t, a)).length, sets.length);
});

test('toWire: canonical order, AS4_PATH/AS4_AGGREGATOR only to 2-octet peers with 4-octet ASNs, Partial on unknowns', (t) => {
  const a = attrs({
    asPath: [{ type: 'AS_SEQUENCE', asns: [65000, 4200000001] }],
    med: 5, localPref: 200, atomicAggregate: true, aggregator: { asn: 4200000001, address: '10.0.0.9' },
    originatorId: '10.0.0.5', clusterList: ['10.0.0.1'], extCommunities: ['0002fde800000001'],
    largeCommunities: [[65000, 1, 2]], otc: 65001, unknown: [{ code: 99, flags: 0xd0, value: 'ab' }],
  });
  const two = toWire(a, { as4: false, family: 'ipv4' });
  t.deepEqual(two.map((x) => x.code), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 17, 18, 32, 35, 99]);
  t.is(two.find((x) => x.code === 99)!.flags, 0xe0);
  const four = toWire(a, { as4: true, family: 'ipv6', nlri: [{ prefix: '2001:db8::/32' }] });
  t.deepEqual(four.map((x) => x.code), [1, 2, 4, 5, 6, 7, 8, 9, 10, 14, 16, 32, 35, 99]);
  const small = toWire(attrs(), { as4: false, family: 'ipv4' });
  t.false(small.some((x) => x.code === 17 || x.code === 18));
});

test('toWire then the codec then fromWire gives the same attributes (2-octet and 4-octet sessions)', (t) => {
  const a = attrs({
    asPath: [{ type: 'AS_SEQUENCE', asns: [65000, 4200000001, 7] }, { type: 'AS_SET', asns: [1, 2] }],
    med: 5, aggregator: { asn: 4200000001, address: '10.0.0.9' }, largeCommunities: [[65000, 1, 2]],
    unknown: [{ code: 99, flags: 0xe0, value: 'ab' }],
  });
  for (const as4 of [false, true]) {
    const ctx = makeContext({ as4 });
    const msg: UpdateMessage = { type: 'UPDATE', withdrawn: [], attributes: toWire(a, { as4, family: 'ipv4' }), nlri: [{ prefix: '203.0.113.0/24' }] };
    const decoded = decodeMessage(encodeMessage(msg, ctx), ctx);
    if (!decoded.ok || decoded.msg.type !== 'UPDATE') return t.fail('did not decode');
    t.deepEqual(updateRoutes(decoded.msg, as4).announce[0]!.attrs, a);
  }
});

// ---- The store's packed form ----

const hex = (minLength: number, maxLength: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength, maxLength });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const text = fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 6 }));
const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });
const attrsArb: fc.Arbitrary<PathAttrs> = fc
  .record({
    origin: fc.constantFrom('IGP' as const, 'EGP' as const, 'INCOMPLETE' as const),
    asPath: fc.array(fc.record({ type: fc.constantFrom('AS_SET' as const, 'AS_SEQUENCE' as const, 'AS_CONFED_SEQUENCE' as const, 'AS_CONFED_SET' as const), asns: fc.array(u32, { maxLength: 200 }) }), { maxLength: 4 }),
    nextHop: text,
    nextHopLinkLocal: opt(text),
    med: opt(u32),
    localPref: opt(u32),
    atomicAggregate: fc.boolean(),
    aggregator: opt(fc.record({ asn: u32, address: fc.ipV4() })),
    communities: fc.array(u32, { maxLength: 300 }),
    extCommunities: fc.array(hex(16, 16), { maxLength: 4 }),
    largeCommunities: fc.array(fc.tuple(u32, u32, u32), { maxLength: 4 }),
    originatorId: opt(fc.ipV4()),
    clusterList: fc.array(fc.ipV4(), { maxLength: 4 }),
    otc: opt(u32),
    unknown: fc.array(fc.record({ code: fc.integer({ min: 0, max: 255 }), flags: fc.integer({ min: 0, max: 255 }), value: hex(0, 40) }), { maxLength: 3 }),
  })
  // Every member present, undefined when absent: as the store hands sets out (one hidden class).
  .map((a): PathAttrs => ({ ...a }));

const packed = (a: PathAttrs): string => {
  const p = new Packer();
  p.pack(a);
  return Buffer.from(p.buf.subarray(0, p.n)).toString('hex');
};

test('packed form: every set unpacks to itself, and equal sets pack to equal bytes (fast-check)', (t) => {
  fc.assert(
    fc.property(attrsArb, (a) => {
      const p = new Packer();
      p.pack(a);
      const bytes = Buffer.from(p.buf.subarray(0, p.n));
      const u = new Unpacker();
      t.deepEqual(u.unpack(bytes, 0, a.nextHop), a);
      t.is(packed(structuredClone(a)), bytes.toString('hex'));
    }),
    { numRuns: 500 },
  );
});

test('packed form: sets that differ in any member pack to different bytes (fast-check)', (t) => {
  fc.assert(
    fc.property(attrsArb, attrsArb, (a, b) => {
      const sameSet = JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
      t.is(packed(a) === packed(b), sameSet);
    }),
    { numRuns: 500 },
  );
});

test('interning: a copy of a handed-out set is not taken for it (releases by a copy fail, a copy is interned by content)', (t) => {
  const store = new AttrStore();
  const a = store.intern(attrs());
  const copy = { ...a, med: 9 };
  t.is(store.refs(copy), 0);
  t.throws(() => store.release(copy));
  t.not(store.internId(copy), store.internId(a));
  t.is(store.size, 2);
});

test('interning: sets read back after the read cache moved on are equal to what was interned, with the same id', (t) => {
  const store = new AttrStore();
  const ids: number[] = [];
  for (let i = 0; i < 40000; i++) ids.push(store.internId(attrs({ med: i, communities: [i, 0xfde80001] })));
  for (let i = 0; i < 40000; i += 997) {
    const a = store.attrs(ids[i]!);
    t.deepEqual(a, attrs({ med: i, communities: [i, 0xfde80001] }));
    t.is(store.idOf(a), ids[i]!);
    t.true(isHandedOut(t, a));
  }
  // Freed sets make room: the arena is compacted and every set still reads back.
  for (let i = 0; i < 40000; i++) if (i % 4) store.releaseId(ids[i]!);
  for (let i = 0; i < 40000; i++) store.internId(attrs({ med: 100000 + i }));
  for (let i = 0; i < 40000; i += 4) t.is(store.attrs(ids[i]!).med, i);
});

test('packed form: texts of any length an attribute can carry (an unknown attribute of 65,535 bytes is 131,070 hex digits)', (t) => {
  const store = new AttrStore();
  const long = attrs({ unknown: [{ code: 99, flags: 0xd0, value: 'ab'.repeat(65535) }], nextHopLinkLocal: '\u2603'.repeat(40000) });
  const id = store.internId(long);
  // Push it out of the read cache: what comes back is unpacked from the arena.
  for (let i = 0; i < 40000; i++) store.internId(attrs({ med: i }));
  t.deepEqual(store.attrs(id), long);
  t.is(store.internId(structuredClone(long)), id);
});
