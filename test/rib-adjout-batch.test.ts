// enqueueBatch (a drained ChangeBatch, one export per run of changes sharing a set and source)
// against enqueue of the same drain as views (one export per change): for any sequence of
// announcements, withdrawals and peers going down, towards eBGP and iBGP peers, with and
// without ADD-PATH and a prefix-dependent filter, the UPDATEs sent are the same bytes, and
// once both are drained the prefix ids are all given back.
import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { ribConfig } from './helpers/rib-config.js';
import { decodeMessage, makeContext } from '../src/bgp/wire/index.js';
import { AdjRibOut, Rib, baseAttrs } from '../src/rib/index.js';
import type { ExportFilter, Family, PathAttrs, PeerInfo } from '../src/rib/index.js';

const A: PeerInfo = { address: '198.18.0.1', asn: 65001, routerId: '198.18.0.1', ibgp: false, routeReflectorClient: false };
const B: PeerInfo = { address: '198.18.0.2', asn: 65002, routerId: '198.18.0.2', ibgp: false, routeReflectorClient: false };
const I: PeerInfo = { address: '198.18.0.3', asn: 65000, routerId: '198.18.0.3', ibgp: true, routeReflectorClient: false };
const SOURCES = [A, B, I];
const EBGP_TARGET: PeerInfo = { address: '198.18.1.1', asn: 65009, routerId: '198.18.1.1', ibgp: false, routeReflectorClient: false };
const IBGP_TARGET: PeerInfo = { address: '198.18.1.2', asn: 65000, routerId: '198.18.1.2', ibgp: true, routeReflectorClient: true };

const prefixOf = (family: Family, i: number): string => (family === 'ipv4' ? `10.${i >> 4}.${i & 15}.0/24` : `2001:db8:${i.toString(16)}::/48`);

/** A small pool of sets: runs of one set, and neighbours that differ. */
function attrsOf(peer: PeerInfo, family: Family, set: number): PathAttrs {
  const hop = family === 'ipv4' ? peer.address : `2001:db8::${peer.address.split('.')[3]}`;
  return { ...baseAttrs(hop), asPath: [{ type: 'AS_SEQUENCE', asns: peer.ibgp ? [65100 + set] : [peer.asn, 65100 + set] }], ...(set % 2 ? { med: set } : {}) };
}

type Op =
  | { op: 'announce'; peer: number; family: Family; first: number; count: number; set: number }
  | { op: 'withdraw'; peer: number; family: Family; first: number; count: number }
  | { op: 'down'; peer: number }
  | { op: 'send'; maxBytes: number };

const family = fc.constantFrom<Family>('ipv4', 'ipv6');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('announce' as const), peer: fc.nat(2), family, first: fc.nat(60), count: fc.integer({ min: 1, max: 20 }), set: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('withdraw' as const), peer: fc.nat(2), family, first: fc.nat(60), count: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('down' as const), peer: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('send' as const), maxBytes: fc.integer({ min: 1, max: 3000 }) }) },
);

interface Side {
  rib: Rib;
  out: AdjRibOut;
  up: Set<number>;
}

function side(target: PeerInfo, addPath: boolean, filter: ExportFilter | undefined): Side {
  const rib = new Rib(ribConfig);
  rib.setConnected([{ prefix: '198.18.0.0/16', interface: 'eth0' }, { prefix: '2001:db8::/64', interface: 'eth0' }]);
  const codec = makeContext({ as4: true, ...(addPath ? { addPath: new Set(['2/1']) } : {}) });
  const out = new AdjRibOut({
    local: { asn: 65000, routerId: '198.18.1.0', clusterId: '198.18.1.0' },
    target,
    localAddress: { ipv4: '198.18.1.0', ipv6: '2001:db8:1::' },
    nextHopSelf: false,
    ...(filter ? { filter } : {}),
    codec,
    families: ['ipv4', 'ipv6'],
    store: rib.store,
    prefixes: rib.prefixTables,
  });
  return { rib, out, up: new Set() };
}

function apply(s: Side, o: Op): void {
  if (o.op === 'send') return;
  const peer = SOURCES[o.peer]!;
  if (o.op === 'down') {
    if (s.up.delete(o.peer)) s.rib.peerDown(peer.address);
    return;
  }
  if (!s.up.has(o.peer)) {
    s.rib.peerUp(peer);
    s.up.add(o.peer);
  }
  for (let i = o.first; i < o.first + o.count; i++) {
    const nlri = { prefix: prefixOf(o.family, i) };
    if (o.op === 'announce') s.rib.announce(peer.address, o.family, nlri, attrsOf(peer, o.family, o.set));
    else s.rib.withdrawRoute(peer.address, o.family, nlri);
  }
}

const sent = (s: Side, maxBytes: number): string[] => s.out.nextBatch(maxBytes).map((b) => b.toString('hex'));

/** Prefix-dependent: the filter's answer is per route, so every change has its own export. */
const perPrefix: ExportFilter = (route) => (route.prefix.endsWith('5.0/24') ? null : route.attrs);
const perSet: ExportFilter = Object.assign((route: Parameters<ExportFilter>[0]) => (route.attrs.med === 3 ? null : route.attrs), { perAttributes: true });

const cases: [string, PeerInfo, boolean, ExportFilter | undefined][] = [
  ['eBGP', EBGP_TARGET, false, undefined],
  ['iBGP reflector client, ADD-PATH IPv6', IBGP_TARGET, true, undefined],
  ['eBGP, per-set filter', EBGP_TARGET, false, perSet],
  ['eBGP, prefix-dependent filter', EBGP_TARGET, false, perPrefix],
  ['a source peer (split horizon)', A, false, undefined],
  ['an iBGP source peer, ADD-PATH IPv6 (iBGP rules)', I, true, undefined],
];

for (const [name, target, addPath, filter] of cases) {
  test(`enqueueBatch sends what enqueue of views sends: ${name}`, (t) => {
    t.notThrows(() =>
      fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const views = side(target, addPath, filter);
        const batch = side(target, addPath, filter);
        for (const o of ops) {
          apply(views, o);
          apply(batch, o);
          views.out.enqueue(views.rib.drainChanges(true));
          batch.out.enqueueBatch(batch.rib.drainBatch());
          if (o.op === 'send') assert.deepEqual(sent(batch, o.maxBytes), sent(views, o.maxBytes));
          // The same references held: the same sets live.
          assert.equal(batch.rib.store.size, views.rib.store.size);
        }
        assert.deepEqual(sent(batch, 1 << 20), sent(views, 1 << 20));
        assert.equal(views.out.pendingCount(), 0);
        assert.equal(batch.out.pendingCount(), 0);
        for (const fam of ['ipv4', 'ipv6'] as const) {
          assert.equal(batch.out.sentCount(fam), views.out.sentCount(fam));
          assert.deepEqual([...batch.out.sentRoutes(fam)], [...views.out.sentRoutes(fam)]);
        }
        // Every source gone and drained: neither side keeps a prefix id.
        for (const s of [views, batch]) for (const p of [...s.up]) apply(s, { op: 'down', peer: p });
        views.out.enqueue(views.rib.drainChanges(true));
        batch.out.enqueueBatch(batch.rib.drainBatch());
        assert.deepEqual(sent(batch, 1 << 20), sent(views, 1 << 20));
        for (const s of [views, batch]) {
          s.out.close();
          s.rib.drainBatch();
        }
        for (const fam of ['ipv4', 'ipv6'] as const) assert.equal(batch.rib.prefixTables[fam].size, views.rib.prefixTables[fam].size);
        assert.equal(batch.rib.store.size, views.rib.store.size);
      }),
      { numRuns: 150 },
    ));
  });
}

test('a drained batch keys the changes of one set and source as one run', (t) => {
  const s = side(EBGP_TARGET, false, undefined);
  s.rib.drainBatch();
  s.rib.peerUp(A);
  for (let i = 0; i < 10; i++) s.rib.announce(A.address, 'ipv4', { prefix: prefixOf('ipv4', i) }, attrsOf(A, 'ipv4', i < 6 ? 0 : 1));
  for (let i = 0; i < 3; i++) s.rib.announce(A.address, 'ipv6', { prefix: prefixOf('ipv6', i) }, attrsOf(A, 'ipv6', 0));
  const b = s.rib.drainBatch();
  t.is(b.n, 13);
  const runs: number[] = [];
  for (let i = 0; i < b.n; i = b.runEnd(i)) runs.push(b.runEnd(i) - i);
  t.deepEqual(runs, [6, 4, 3]);
  // A run's key is the id of its best route's attributes in the store (the Adj-RIB-Out's export
  // takes it from the key instead of looking it up on the object).
  for (let i = 0; i < b.n; i++) t.is(b.key[i], s.rib.store.idOf(b.route(i).attrs));
  t.is(b.view(12).family, 'ipv6');
  // Withdrawn by one call: a run of changes without a best route.
  for (let i = 0; i < 10; i++) s.rib.withdrawRoute(A.address, 'ipv4', { prefix: prefixOf('ipv4', i) });
  const w = s.rib.drainBatch();
  t.is(w.runEnd(0), 10);
  t.is(w.view(0).best.length, 0);
});

test('withdrawn, announced again as the peer has it, withdrawn again: one withdrawal of the prefix, nothing left pending', (t) => {
  // Found by the property above (both ways of enqueueing): the withdrawal's first queue entry,
  // left by the cancelled withdrawal, counted again, so the prefix went out twice in one UPDATE.
  for (const batched of [false, true]) {
    const s = side(EBGP_TARGET, false, undefined);
    const flush = (): void => (batched ? s.out.enqueueBatch(s.rib.drainBatch()) : s.out.enqueue(s.rib.drainChanges(true)));
    const nlri = { prefix: prefixOf('ipv4', 0) };
    s.rib.peerUp(B);
    s.rib.announce(B.address, 'ipv4', nlri, attrsOf(B, 'ipv4', 0));
    flush();
    t.true(s.out.nextBatch(1 << 20).length > 0);
    s.rib.peerDown(B.address);
    flush();
    s.rib.peerUp(B);
    s.rib.announce(B.address, 'ipv4', nlri, attrsOf(B, 'ipv4', 0));
    flush();
    t.is(s.out.pendingCount(), 0, 'announced again as sent: the withdrawal is cancelled');
    s.rib.withdrawRoute(B.address, 'ipv4', nlri);
    flush();
    t.is(s.out.pendingCount(), 1);
    const msgs = s.out.nextBatch(1 << 20);
    t.is(msgs.length, 1);
    const d = decodeMessage(msgs[0]!, makeContext({ as4: true }));
    t.true(d.ok && d.msg.type === 'UPDATE' && d.msg.withdrawn.length === 1 && d.msg.withdrawn[0]!.prefix === nlri.prefix);
    t.is(s.out.pendingCount(), 0);
  }
});
