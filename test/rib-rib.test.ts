// The RIB: import (loops, route-reflection loops, filters, max-prefix), treat-as-withdraw,
// graceful-restart stale routes, next-hop resolution and its re-evaluation, static, connected
// and kernel sources, and the coalesced change log.
import test from 'ava';
import { ribConfig } from './helpers/rib-config.js';
import type { PathAttribute, UpdateMessage } from '../src/bgp/wire/index.js';
import { Rib } from '../src/rib/index.js';
import type { BestChange, PeerInfo, RibConfig } from '../src/rib/index.js';

const cfg: RibConfig = ribConfig;

const EBGP: PeerInfo = { address: '192.0.2.1', asn: 65001, routerId: '1.1.1.1', ibgp: false, routeReflectorClient: false };
const EBGP2: PeerInfo = { address: '192.0.2.2', asn: 65002, routerId: '2.2.2.2', ibgp: false, routeReflectorClient: false };
const IBGP: PeerInfo = { address: '10.0.0.2', asn: 65000, routerId: '10.0.0.2', ibgp: true, routeReflectorClient: false };

function update(prefixes: string[], o: { asns?: number[]; nextHop?: string; extra?: PathAttribute[]; withdrawn?: string[] } = {}): UpdateMessage {
  return {
    type: 'UPDATE',
    withdrawn: (o.withdrawn ?? []).map((prefix) => ({ prefix })),
    attributes: prefixes.length
      ? [
          { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' },
          { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: o.asns ?? [65001] }] },
          { code: 3, name: 'NEXT_HOP', flags: 0x40, value: o.nextHop ?? '192.0.2.1' },
          ...(o.extra ?? []),
        ]
      : [],
    nlri: prefixes.map((prefix) => ({ prefix })),
  };
}

/** A RIB with eth0 = 192.0.2.0/24 and the eBGP peer up. */
function setup(): Rib {
  const rib = new Rib(cfg);
  rib.setConnected([{ prefix: '192.0.2.10/24', interface: 'eth0' }]);
  rib.peerUp(EBGP);
  rib.drainChanges();
  return rib;
}

const bestOf = (rib: Rib, prefix: string): string[] =>
  (rib.lookup('ipv4', prefix)?.best ?? []).map((r) => (r.source.kind === 'bgp' ? r.source.peer.address : r.source.kind));
const changed = (changes: BestChange[]): string[] => changes.map((c) => `${c.prefix}:${c.best.length}`).sort();

test('an announcement is selected, reported once, and its withdrawal reported', (t) => {
  const rib = setup();
  const r = rib.applyUpdate(EBGP.address, update(['203.0.113.0/24', '198.51.100.0/24']), [], true);
  t.is(r.announced, 2);
  t.deepEqual(changed(rib.drainChanges()), ['198.51.100.0/24:1', '203.0.113.0/24:1']);
  t.deepEqual(rib.drainChanges(), []);
  const best = rib.lookup('ipv4', '203.0.113.0/24')!.best[0]!;
  t.is(best.gateway, '192.0.2.1');
  t.is(best.interface, 'eth0');
  rib.applyUpdate(EBGP.address, update([], { withdrawn: ['203.0.113.0/24'] }), [], true);
  t.deepEqual(changed(rib.drainChanges()), ['203.0.113.0/24:0']);
  t.is(rib.lookup('ipv4', '203.0.113.0/24'), undefined);
});

test('a capped drain gives at most that many changes, the rest in order at the next ones, each prefix once in its latest state', (t) => {
  const rib = setup();
  const prefixes = Array.from({ length: 10 }, (_, i) => `203.0.${113 + i}.0/24`);
  rib.applyUpdate(EBGP.address, update(prefixes), [], true);
  t.is(rib.pendingChanges(), 10);
  const first = rib.drainChanges(false, 4);
  t.deepEqual(first.map((c) => c.prefix), prefixes.slice(0, 4));
  t.is(rib.pendingChanges(), 6);
  // A prefix still waiting changes again: it is reported once, as it is now (withdrawn).
  rib.applyUpdate(EBGP.address, update([], { withdrawn: [prefixes[6]!] }), [], true);
  const second = rib.drainChanges(true, 4);
  t.deepEqual(second.map((c) => `${c.prefix}:${c.best.length}`), prefixes.slice(4, 8).map((p) => `${p}:${p === prefixes[6] ? 0 : 1}`));
  t.deepEqual(changed(rib.drainChanges(false, 4)), [`${prefixes[8]}:1`, `${prefixes[9]}:1`]);
  t.is(rib.pendingChanges(), 0);
  t.deepEqual(rib.drainChanges(false, 4), []);
});

test('changes are coalesced per prefix: announce, replace and withdraw in one tick give one record', (t) => {
  const rib = setup();
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24']), [], true);
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24'], { asns: [65001, 7] }), [], true);
  const changes = rib.drainChanges();
  t.is(changes.length, 1);
  t.deepEqual(changes[0]!.best[0]!.attrs.asPath, [{ type: 'AS_SEQUENCE', asns: [65001, 7] }]);
  // The same attributes again: the best set does not change and nothing is reported.
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24'], { asns: [65001, 7] }), [], true);
  const again = rib.drainChanges();
  t.is(again.length, 1, 'a re-announcement is a new route object: reported, but with equal attributes');
  t.is(again[0]!.best[0]!.attrs, changes[0]!.best[0]!.attrs);
});

test('treat-as-withdraw findings withdraw every prefix of the UPDATE', (t) => {
  const rib = setup();
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24']), [], true);
  rib.drainChanges();
  const r = rib.applyUpdate(EBGP.address, update(['203.0.113.0/24', '198.51.100.0/24']), [{ action: 'treat-as-withdraw', attrCode: 8, reason: 'x' }], true);
  t.deepEqual(r, { announced: 0, withdrawn: 1 });
  t.deepEqual(changed(rib.drainChanges()), ['203.0.113.0/24:0']);
});

test('AS loop: a path with our AS is kept in Adj-RIB-In, not accepted (RFC 4271 §9.1.2)', (t) => {
  const rib = setup();
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24'], { asns: [65001, 65000, 7] }), [], true);
  t.deepEqual(rib.drainChanges(), []);
  const [entry] = [...rib.adjRibIn(EBGP.address, 'ipv4')];
  t.is(entry!.accepted, false);
  t.is(rib.peerStats(EBGP.address)!.accepted, 0);
});

test('route reflection loops: our ORIGINATOR_ID or our CLUSTER_ID in CLUSTER_LIST is rejected (RFC 4456 §8)', (t) => {
  const rib = new Rib(cfg);
  rib.setConnected([{ prefix: '10.0.0.0/24', interface: 'eth1' }]);
  rib.peerUp(IBGP);
  const lp: PathAttribute = { code: 5, name: 'LOCAL_PREF', flags: 0x40, value: 100 };
  rib.applyUpdate(IBGP.address, update(['203.0.113.0/24'], { nextHop: '10.0.0.2', extra: [lp, { code: 9, name: 'ORIGINATOR_ID', flags: 0x80, value: '10.0.0.1' }] }), [], true);
  rib.applyUpdate(IBGP.address, update(['198.51.100.0/24'], { nextHop: '10.0.0.2', extra: [lp, { code: 10, name: 'CLUSTER_LIST', flags: 0x80, value: ['10.9.9.9', '10.0.0.1'] }] }), [], true);
  rib.applyUpdate(IBGP.address, update(['192.0.2.0/25'], { nextHop: '10.0.0.2', extra: [lp, { code: 10, name: 'CLUSTER_LIST', flags: 0x80, value: ['10.9.9.9'] }] }), [], true);
  t.deepEqual(changed(rib.drainChanges()).filter((c) => !c.startsWith('10.0.0.0')), ['192.0.2.0/25:1']);
});

test('LOCAL_PREF from an eBGP peer is ignored (RFC 4271 §5.1.5)', (t) => {
  const rib = setup();
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24'], { extra: [{ code: 5, name: 'LOCAL_PREF', flags: 0x40, value: 900 }] }), [], true);
  t.is(rib.lookup('ipv4', '203.0.113.0/24')!.best[0]!.attrs.localPref, undefined);
  t.is([...rib.adjRibIn(EBGP.address, 'ipv4')][0]!.attrs.localPref, 900, 'Adj-RIB-In keeps what was received');
});

test('reimport: a new import policy applies to the Adj-RIB-In without a route refresh', (t) => {
  const rib = setup();
  rib.peerUp(EBGP2);
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24']), [], true);
  rib.applyUpdate(EBGP2.address, update(['203.0.113.0/24'], { asns: [65002], nextHop: '192.0.2.2' }), [], true);
  t.deepEqual(bestOf(rib, '203.0.113.0/24'), ['192.0.2.1']);
  rib.drainChanges();
  rib.reimport(EBGP2.address, { importFilter: (route) => ({ ...route.attrs, localPref: 300 }) });
  t.deepEqual(bestOf(rib, '203.0.113.0/24'), ['192.0.2.2']);
  t.is(rib.lookup('ipv4', '203.0.113.0/24')!.step, 'local-pref');
  t.deepEqual(changed(rib.drainChanges()), ['203.0.113.0/24:1']);
  rib.reimport(EBGP2.address, { importFilter: () => null });
  t.deepEqual(bestOf(rib, '203.0.113.0/24'), ['192.0.2.1']);
  t.is(rib.peerStats(EBGP2.address)!.accepted, 0);
  t.is(rib.peerStats(EBGP2.address)!.received, 1);
  // Unchanged outcome: nothing to report.
  rib.drainChanges();
  rib.reimport(EBGP.address);
  t.deepEqual(rib.drainChanges(), []);
});

test('max-prefix warn/reset: the UPDATE that crosses the limit says so, once', (t) => {
  const rib = setup();
  rib.peerUp(EBGP, { maxPrefix: { limit: 2, action: 'reset' } });
  t.is(rib.applyUpdate(EBGP.address, update(['203.0.113.0/24', '198.51.100.0/24']), [], true).maxPrefixExceeded, undefined);
  const over = rib.applyUpdate(EBGP.address, update(['203.0.113.128/25']), [], true);
  t.deepEqual(over.maxPrefixExceeded, { accepted: 3, limit: 2, action: 'reset' });
  t.is(rib.applyUpdate(EBGP.address, update(['203.0.113.64/26']), [], true).maxPrefixExceeded, undefined);
  // Back under the limit, then over it again: reported again.
  rib.applyUpdate(EBGP.address, update([], { withdrawn: ['203.0.113.64/26', '203.0.113.128/25'] }), [], true);
  t.deepEqual(rib.applyUpdate(EBGP.address, update(['203.0.113.32/27']), [], true).maxPrefixExceeded, { accepted: 3, limit: 2, action: 'reset' });
});

test('max-prefix drop: routes beyond the limit are not accepted', (t) => {
  const rib = setup();
  rib.peerUp(EBGP, { maxPrefix: { limit: 1, action: 'drop' } });
  const r = rib.applyUpdate(EBGP.address, update(['203.0.113.0/24', '198.51.100.0/24']), [], true);
  t.deepEqual(r.maxPrefixExceeded, { accepted: 1, limit: 1, action: 'drop' });
  t.is(rib.peerStats(EBGP.address)!.accepted, 1);
  t.is(rib.peerStats(EBGP.address)!.received, 2);
  t.is(changed(rib.drainChanges()).length, 1);
});

test('graceful restart: routes kept stale, refreshed ones kept, End-of-RIB sweeps the rest (RFC 4724 §4.2)', (t) => {
  const rib = setup();
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24', '198.51.100.0/24']), [], true);
  rib.drainChanges();
  rib.peerDown(EBGP.address, { gracefulRestart: true });
  t.deepEqual(rib.drainChanges(), []);
  t.true(rib.lookup('ipv4', '203.0.113.0/24')!.best[0]!.stale);
  t.is(rib.peerStats(EBGP.address)!.stale, 2);
  rib.peerUp(EBGP);
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24']), [], true);
  t.false(rib.lookup('ipv4', '203.0.113.0/24')!.best[0]!.stale);
  rib.drainChanges();
  const eor = rib.applyUpdate(EBGP.address, { type: 'UPDATE', withdrawn: [], attributes: [], nlri: [] }, [], true);
  t.is(eor.endOfRib, 'ipv4');
  t.deepEqual(changed(rib.drainChanges()), ['198.51.100.0/24:0']);
});

test('graceful restart: the restart timer sweeps a peer that did not come back', (t) => {
  const rib = setup();
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24']), [], true);
  rib.peerDown(EBGP.address, { gracefulRestart: true });
  rib.drainChanges();
  t.is(rib.sweepStale(EBGP.address), 1);
  t.deepEqual(changed(rib.drainChanges()), ['203.0.113.0/24:0']);
  t.is(rib.peerStats(EBGP.address), undefined);
});

test('a session loss without graceful restart withdraws everything', (t) => {
  const rib = setup();
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24']), [], true);
  rib.drainChanges();
  rib.peerDown(EBGP.address);
  t.deepEqual(changed(rib.drainChanges()), ['203.0.113.0/24:0']);
  t.throws(() => rib.applyUpdate(EBGP.address, update(['203.0.113.0/24']), [], true));
});

test('next hop: an unresolvable route stays, unselected, until a static route resolves it', (t) => {
  const rib = setup();
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24'], { nextHop: '198.51.100.7' }), [], true);
  const entry = rib.lookup('ipv4', '203.0.113.0/24')!;
  t.is(entry.candidates[0]!.resolved, false);
  t.deepEqual(entry.best, []);
  t.deepEqual(rib.drainChanges(), []);
  // Recursive: 198.51.100.0/24 via 192.0.2.254, which is on eth0.
  rib.setStatic([{ prefix: '198.51.100.0/24', type: 'via', via: ['192.0.2.254'] }]);
  const changes = rib.drainChanges();
  t.deepEqual(changed(changes), ['198.51.100.0/24:1', '203.0.113.0/24:1']);
  const best = rib.lookup('ipv4', '203.0.113.0/24')!.best[0]!;
  t.is(best.gateway, '192.0.2.254');
  t.is(best.interface, 'eth0');
  // The connected route goes: the static no longer resolves, nor does the BGP route.
  rib.setConnected([]);
  t.deepEqual(changed(rib.drainChanges()), ['192.0.2.0/24:0', '198.51.100.0/24:0', '203.0.113.0/24:0']);
  t.is(rib.lookup('ipv4', '203.0.113.0/24')!.candidates[0]!.resolved, false);
  t.false(rib.resolveNextHop('198.51.100.7').resolved);
});

test('next hop: never through BGP routes; a longer IGP route takes over; costs from kernel metrics', (t) => {
  const rib = setup();
  rib.peerUp(EBGP2);
  // 198.51.100.0/24 learned over BGP does not resolve a next hop inside it.
  rib.applyUpdate(EBGP.address, update(['198.51.100.0/24']), [], true);
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24'], { nextHop: '198.51.100.7' }), [], true);
  rib.applyUpdate(EBGP2.address, update(['203.0.113.0/24'], { asns: [65002], nextHop: '198.51.100.9' }), [], true);
  t.deepEqual(rib.lookup('ipv4', '203.0.113.0/24')!.best, []);
  rib.setKernel([{ prefix: '198.51.100.0/24', gateway: '192.0.2.254', interface: 'eth0', metric: 50 }]);
  t.deepEqual(bestOf(rib, '203.0.113.0/24'), ['192.0.2.1']);
  t.is(rib.lookup('ipv4', '203.0.113.0/24')!.step, 'router-id');
  // A more specific kernel route with a lower metric for .9 only: the IGP cost decides now.
  rib.addKernel({ prefix: '198.51.100.8/29', gateway: '192.0.2.253', interface: 'eth0', metric: 10 });
  t.deepEqual(bestOf(rib, '203.0.113.0/24'), ['192.0.2.2']);
  t.is(rib.lookup('ipv4', '203.0.113.0/24')!.step, 'igp-cost');
  t.is(rib.lookup('ipv4', '203.0.113.0/24')!.best[0]!.gateway, '192.0.2.253');
  rib.removeKernel('198.51.100.8/29');
  t.deepEqual(bestOf(rib, '203.0.113.0/24'), ['192.0.2.1']);
});

test('next hop: a static route does not resolve through itself, and a static loop resolves nothing', (t) => {
  const rib = setup();
  rib.setStatic([
    { prefix: '10.0.0.0/8', type: 'via', via: ['10.1.1.1'] },
    { prefix: '10.1.0.0/16', type: 'via', via: ['10.2.2.2'] },
  ]);
  t.deepEqual(rib.lookup('ipv4', '10.0.0.0/8')!.best, []);
  t.deepEqual(rib.lookup('ipv4', '10.1.0.0/16')!.best, []);
  rib.setStatic([
    { prefix: '10.0.0.0/8', type: 'via', via: ['10.1.1.1'] },
    { prefix: '10.1.0.0/16', type: 'via', via: ['192.0.2.9'] },
  ]);
  t.deepEqual(bestOf(rib, '10.0.0.0/8'), ['static']);
  t.is(rib.lookup('ipv4', '10.0.0.0/8')!.best[0]!.gateway, '192.0.2.9');
});

test('static routes: a diff keeps unchanged routes, blackholes never resolve next hops, ECMP over vias', (t) => {
  const rib = setup();
  rib.setStatic([
    { prefix: '198.51.100.0/24', type: 'via', via: ['192.0.2.8', '192.0.2.9'] },
    { prefix: '203.0.113.0/24', type: 'blackhole' },
  ]);
  t.deepEqual(changed(rib.drainChanges()), ['198.51.100.0/24:2', '203.0.113.0/24:1']);
  rib.setStatic([
    { prefix: '198.51.100.0/24', type: 'via', via: ['192.0.2.8', '192.0.2.9'] },
    { prefix: '203.0.113.0/24', type: 'blackhole' },
  ]);
  t.deepEqual(rib.drainChanges(), []);
  rib.applyUpdate(EBGP.address, update(['192.0.2.128/25'], { nextHop: '203.0.113.5' }), [], true);
  t.deepEqual(rib.lookup('ipv4', '192.0.2.128/25')!.best, []);
  t.throws(() => rib.setStatic([{ prefix: '300.0.0.0/8', type: 'blackhole' }]));
});

test('admin preference: a static route beats the same prefix from eBGP, and BGP takes over when it goes', (t) => {
  const rib = setup();
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24']), [], true);
  rib.setStatic([{ prefix: '203.0.113.0/24', type: 'interface', interface: 'eth0' }]);
  t.deepEqual(bestOf(rib, '203.0.113.0/24'), ['static']);
  t.is(rib.lookup('ipv4', '203.0.113.0/24')!.step, 'preference');
  rib.setStatic([]);
  t.deepEqual(bestOf(rib, '203.0.113.0/24'), ['192.0.2.1']);
});

test('IPv6: MP_REACH routes with a link-local next hop resolve on the link', (t) => {
  const rib = setup();
  const msg: UpdateMessage = {
    type: 'UPDATE', withdrawn: [], nlri: [],
    attributes: [
      { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' },
      { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: [65001] }] },
      { code: 14, name: 'MP_REACH_NLRI', flags: 0x90, value: { afi: 2, safi: 1, nextHops: ['fe80::1'], nlri: [{ prefix: '2001:db8::/32' }] } },
    ],
  };
  rib.applyUpdate(EBGP.address, msg, [], true);
  const change = rib.drainChanges();
  t.deepEqual(change.map((c) => [c.family, c.prefix, c.best.length]), [['ipv6', '2001:db8::/32', 1]]);
});

test('every interned reference is given back when all routes go', (t) => {
  const rib = setup();
  rib.peerUp(EBGP2);
  rib.applyUpdate(EBGP.address, update(['203.0.113.0/24', '198.51.100.0/24'], { asns: [65001, 5] }), [], true);
  rib.applyUpdate(EBGP2.address, update(['203.0.113.0/24'], { asns: [65002], nextHop: '192.0.2.2' }), [], true);
  rib.reimport(EBGP.address, { importFilter: (r) => ({ ...r.attrs, med: 7 }) });
  rib.setStatic([{ prefix: '198.18.0.0/15', type: 'blackhole' }]);
  rib.peerDown(EBGP.address);
  rib.peerDown(EBGP2.address);
  rib.setStatic([]);
  rib.setConnected([]);
  t.is(rib.store.size, 0);
});
