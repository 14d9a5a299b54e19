// Export and the Adj-RIB-Out: the eBGP/iBGP/route-reflection rules and attribute changes, and
// the packed UPDATEs decoded back with the codec (every prefix once, within the size limit,
// grouped by attribute set, End-of-RIB last, withdrawals cancelling unsent announcements).
import test from 'ava';
import { ribConfig } from './helpers/rib-config.js';
import { decodeMessage, endOfRib, findAttr, makeContext } from '../src/bgp/wire/index.js';
import type { CodecContext, Nlri, UpdateMessage } from '../src/bgp/wire/index.js';
import { AdjRibOut, Rib, baseAttrs, exportAttrs } from '../src/rib/index.js';
import type { AdjRibOutOptions, ExportContext, ExportFilter, PathAttrs, PeerInfo, RibConfig, Route } from '../src/rib/index.js';

const cfg: RibConfig = ribConfig;
const SRC: PeerInfo = { address: '192.0.2.1', asn: 65001, routerId: '1.1.1.1', ibgp: false, routeReflectorClient: false };
const EBGP: PeerInfo = { address: '198.51.100.2', asn: 65002, routerId: '2.2.2.2', ibgp: false, routeReflectorClient: false };
const CLIENT: PeerInfo = { address: '10.0.0.3', asn: 65000, routerId: '10.0.0.3', ibgp: true, routeReflectorClient: true };
const NONCLIENT: PeerInfo = { address: '10.0.0.4', asn: 65000, routerId: '10.0.0.4', ibgp: true, routeReflectorClient: false };
const NONCLIENT2: PeerInfo = { address: '10.0.0.5', asn: 65000, routerId: '10.0.0.5', ibgp: true, routeReflectorClient: false };

function route(peer: PeerInfo, attrs: Partial<PathAttrs> = {}, family: 'ipv4' | 'ipv6' = 'ipv4'): Route {
  return {
    family,
    prefix: family === 'ipv4' ? '203.0.113.0/24' : '2001:db8::/32',
    pathId: 0,
    source: { kind: 'bgp', peer },
    type: 'unicast',
    attrs: { ...baseAttrs(peer.ibgp ? '10.0.0.9' : '192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE', asns: [65001] }], ...attrs },
    stale: false,
  };
}

function cx(target: PeerInfo, o: Partial<ExportContext> = {}): ExportContext {
  return {
    local: { asn: 65000, routerId: '10.0.0.1', clusterId: '10.0.0.1' },
    target,
    localAddress: { ipv4: '198.51.100.1', ipv6: '2001:db8:ff::1' },
    nextHopSelf: false,
    ...o,
  };
}

test('eBGP export: prepend our AS, next hop self, no LOCAL_PREF, no received MED, no reflection attributes', (t) => {
  const r = route(CLIENT, { localPref: 300, med: 20, originatorId: '10.0.0.7', clusterList: ['10.0.0.8'] });
  const out = exportAttrs(r, cx(EBGP))!;
  t.deepEqual(out.asPath, [{ type: 'AS_SEQUENCE', asns: [65000, 65001] }]);
  t.is(out.nextHop, '198.51.100.1');
  t.is(out.localPref, undefined);
  t.is(out.med, undefined);
  t.is(out.originatorId, undefined);
  t.deepEqual(out.clusterList, []);
  // A MED and next hop the export policy sets are kept.
  const policy = exportAttrs(r, cx(EBGP, { filter: (x) => ({ ...x.attrs, med: 5, nextHop: '198.51.100.77' }) }))!;
  t.is(policy.med, 5);
  t.is(policy.nextHop, '198.51.100.77');
});

test('iBGP export: LOCAL_PREF always, next hop kept unless next-hop-self; own routes carry our address', (t) => {
  const fromEbgp = route(SRC, { med: 20 });
  const kept = exportAttrs(fromEbgp, cx(NONCLIENT))!;
  t.is(kept.localPref, 100);
  t.is(kept.nextHop, '192.0.2.1');
  t.is(kept.med, 20);
  t.deepEqual(kept.asPath, fromEbgp.attrs.asPath);
  t.is(exportAttrs(fromEbgp, cx(NONCLIENT, { nextHopSelf: true }))!.nextHop, '198.51.100.1');
  const own: Route = { ...route(SRC), source: { kind: 'static' }, attrs: baseAttrs('192.0.2.77') };
  t.is(exportAttrs(own, cx(NONCLIENT)), null, 'no filter: only BGP routes are exported');
  t.is(exportAttrs(own, cx(NONCLIENT, { filter: (x) => x.attrs }))!.nextHop, '198.51.100.1');
});

test('split horizon and the iBGP rules with route reflection (RFC 4456 §8)', (t) => {
  t.is(exportAttrs(route(SRC), cx(SRC)), null);
  t.is(exportAttrs(route(NONCLIENT), cx(NONCLIENT2)), null, 'non-client to non-client: not sent');
  const toClient = exportAttrs(route(NONCLIENT, { clusterList: ['10.9.9.9'] }), cx(CLIENT))!;
  t.is(toClient.originatorId, '10.0.0.4');
  t.deepEqual(toClient.clusterList, ['10.0.0.1', '10.9.9.9']);
  t.is(toClient.nextHop, '10.0.0.9', 'a reflector keeps the next hop');
  t.is(exportAttrs(route(NONCLIENT), cx(CLIENT, { nextHopSelf: true }))!.nextHop, '10.0.0.9');
  const fromClient = exportAttrs(route(CLIENT, { originatorId: '10.0.0.33' }), cx(NONCLIENT))!;
  t.is(fromClient.originatorId, '10.0.0.33', 'an existing ORIGINATOR_ID is kept');
  t.deepEqual(fromClient.clusterList, ['10.0.0.1']);
  t.is(exportAttrs(route(CLIENT), cx({ ...CLIENT, address: '10.0.0.6' }))!.originatorId, '10.0.0.3');
});

test('RFC 1997 well-known communities', (t) => {
  t.is(exportAttrs(route(SRC, { communities: [0xffffff01] }), cx(EBGP)), null);
  t.truthy(exportAttrs(route(SRC, { communities: [0xffffff01] }), cx(NONCLIENT)));
  t.is(exportAttrs(route(SRC, { communities: [0xffffff02] }), cx(NONCLIENT)), null);
  // NO_EXPORT_SUBCONFED as NO_EXPORT outside a confederation; NO_ADVERTISE wins wherever it is in the list.
  t.is(exportAttrs(route(SRC, { communities: [65001 * 65536 + 1, 0xffffff03] }), cx(EBGP)), null);
  t.truthy(exportAttrs(route(SRC, { communities: [65001 * 65536 + 1, 0xffffff03] }), cx(NONCLIENT)));
  t.is(exportAttrs(route(SRC, { communities: [0xffffff01, 0xfde80001, 0xffffff02] }), cx(NONCLIENT)), null);
  t.truthy(exportAttrs(route(SRC, { communities: [0xfde80001, 0xffffff04] }), cx(EBGP)));
  t.is(exportAttrs(route(SRC), cx(EBGP, { filter: () => null })), null);
});

test('IPv6 eBGP export: our global address with our link-local beside it', (t) => {
  const out = exportAttrs(route(SRC, {}, 'ipv6'), cx(EBGP, { localAddress: { ipv6: '2001:db8:ff::1', ipv6LinkLocal: 'fe80::1' } }))!;
  t.is(out.nextHop, '2001:db8:ff::1');
  t.is(out.nextHopLinkLocal, 'fe80::1');
  t.is(exportAttrs(route(SRC, {}, 'ipv6'), cx(EBGP, { localAddress: { ipv4: '198.51.100.1' } }))!.nextHop, '::ffff:198.51.100.1');
});

// ---- Packing ----

const v4 = (i: number): string => `${10 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}.0/24`;
const v6 = (i: number): string => `2001:db8:${i.toString(16)}::/48`;

/** A RIB with `n4` IPv4 and `n6` IPv6 prefixes from SRC, in three attribute sets by i % 3. */
function fullRib(n4: number, n6: number): Rib {
  const rib = new Rib(cfg);
  rib.setConnected([{ prefix: '192.0.2.10/24', interface: 'eth0' }]);
  rib.peerUp(SRC);
  const attrs = (i: number): PathAttrs => ({ ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE', asns: [65001, 100 + (i % 3)] }], med: 7 });
  for (let i = 0; i < n4; i++) rib.announce(SRC.address, 'ipv4', { prefix: v4(i) }, attrs(i));
  for (let i = 0; i < n6; i++) rib.announce(SRC.address, 'ipv6', { prefix: v6(i) }, { ...attrs(i), nextHop: 'fe80::1' });
  rib.drainChanges();
  return rib;
}

function adjOut(rib: Rib, codec: CodecContext, o: Partial<AdjRibOutOptions> = {}): AdjRibOut {
  return new AdjRibOut({ ...cx(EBGP), codec, families: ['ipv4', 'ipv6'], store: rib.store, ...o });
}

function drain(out: AdjRibOut, codec: CodecContext, maxBytes = 65536): { buf: Buffer; msg: UpdateMessage }[] {
  const all: { buf: Buffer; msg: UpdateMessage }[] = [];
  for (let batch = out.nextBatch(maxBytes); batch.length; batch = out.nextBatch(maxBytes)) {
    for (const buf of batch) {
      const d = decodeMessage(buf, codec);
      if (!d.ok || d.msg.type !== 'UPDATE') throw new Error('bad UPDATE produced');
      all.push({ buf, msg: d.msg });
    }
  }
  return all;
}

function announced(msg: UpdateMessage): Nlri[] {
  return [...msg.nlri, ...(findAttr(msg.attributes, 'MP_REACH_NLRI')?.value.nlri ?? [])];
}
function withdrawn(msg: UpdateMessage): Nlri[] {
  return [...msg.withdrawn, ...(findAttr(msg.attributes, 'MP_UNREACH_NLRI')?.value.withdrawn ?? [])];
}
/** The attribute section without the NLRI it carries: what groups prefixes. */
function attrSignature(msg: UpdateMessage): string {
  return JSON.stringify(msg.attributes.map((a) => (a.name === 'MP_REACH_NLRI' ? { ...a, value: { ...a.value, nlri: [] } } : a)));
}

for (const extendedMessage of [false, true]) {
  test(`initial dump${extendedMessage ? ' (extended messages)' : ''}: every prefix once, packed per attribute set, End-of-RIB last`, (t) => {
    const rib = fullRib(6000, 1500);
    const codec = makeContext({ as4: true, extendedMessage });
    const out = adjOut(rib, codec);
    out.initialDump(rib);
    const msgs = drain(out, codec, 20000);
    const max = extendedMessage ? 65535 : 4096;
    t.true(msgs.every((m) => m.buf.length <= max));
    const eors = msgs.map((m, i) => [i, endOfRib(m.msg)] as const).filter(([, e]) => e);
    t.deepEqual(eors.map(([i, e]) => [i, e!.afi]), [[msgs.length - 2, 1], [msgs.length - 1, 2]]);
    const seen = new Map<string, number>();
    for (const m of msgs) for (const n of announced(m.msg)) seen.set(n.prefix, (seen.get(n.prefix) ?? 0) + 1);
    t.is(seen.size, 7500);
    t.true([...seen.values()].every((c) => c === 1));
    // Packed: per attribute set, at most one message had room for one more prefix (the last).
    const bySet = new Map<string, number[]>();
    for (const m of msgs) {
      if (!announced(m.msg).length) continue;
      const k = attrSignature(m.msg);
      bySet.set(k, [...(bySet.get(k) ?? []), m.buf.length]);
    }
    t.is(bySet.size, 6, 'three attribute sets per family');
    for (const sizes of bySet.values()) t.true(sizes.filter((s) => s + 4 <= max).length <= 1);
    // The attributes towards eBGP.
    const first = msgs[0]!.msg;
    t.deepEqual(findAttr(first.attributes, 'AS_PATH')!.value[0]!.asns.slice(0, 2), [65000, 65001]);
    t.is(findAttr(first.attributes, 'NEXT_HOP')!.value, '198.51.100.1');
    t.is(findAttr(first.attributes, 'MULTI_EXIT_DISC'), undefined);
    t.is(findAttr(first.attributes, 'LOCAL_PREF'), undefined);
    t.false(out.hasPending());
    t.is(out.sentCount('ipv4'), 6000);
  });
}

test('pacing: nextBatch stops at maxBytes; work left is pending prefixes', (t) => {
  const rib = fullRib(3000, 0);
  const codec = makeContext({ as4: true });
  const out = adjOut(rib, codec, { families: ['ipv4'] });
  out.initialDump(rib);
  const one = out.nextBatch(1);
  t.is(one.length, 1);
  t.true(out.pendingCount() > 0 && out.pendingCount() < 3000);
  const some = out.nextBatch(10000);
  t.true(some.reduce((n, b) => n + b.length, 0) < 10000 + 4096);
});

test('changes: a withdrawal cancels an unsent announcement; withdrawals of sent prefixes are batched', (t) => {
  const rib = fullRib(500, 200);
  const codec = makeContext({ as4: true });
  const out = adjOut(rib, codec);
  out.initialDump(rib);
  drain(out, codec);
  // New prefix announced then withdrawn before the session pulled: nothing goes out.
  rib.announce(SRC.address, 'ipv4', { prefix: '198.18.0.0/15' }, { ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE', asns: [65001] }] });
  out.enqueue(rib.drainChanges());
  t.is(out.pendingCount(), 1);
  rib.withdrawRoute(SRC.address, 'ipv4', { prefix: '198.18.0.0/15' });
  out.enqueue(rib.drainChanges());
  t.is(out.pendingCount(), 0);
  t.deepEqual(out.nextBatch(65536), []);
  // Withdraw everything: every prefix withdrawn exactly once, IPv4 in the withdrawn field, IPv6 in MP_UNREACH.
  rib.peerDown(SRC.address);
  out.enqueue(rib.drainChanges());
  const msgs = drain(out, codec);
  const gone = msgs.flatMap((m) => withdrawn(m.msg).map((n) => n.prefix));
  t.is(gone.length, 700);
  t.is(new Set(gone).size, 700);
  t.true(msgs.every((m) => announced(m.msg).length === 0 && m.buf.length <= 4096));
  t.true(msgs.some((m) => m.msg.withdrawn.length > 0) && msgs.some((m) => findAttr(m.msg.attributes, 'MP_UNREACH_NLRI')));
  t.is(out.sentCount('ipv4') + out.sentCount('ipv6'), 0);
});

test('changes: a re-announcement with the same exported attributes sends nothing', (t) => {
  const rib = fullRib(10, 0);
  const codec = makeContext({ as4: true });
  const out = adjOut(rib, codec, { families: ['ipv4'] });
  out.initialDump(rib);
  drain(out, codec);
  rib.announce(SRC.address, 'ipv4', { prefix: v4(0) }, { ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE', asns: [65001, 100] }], med: 99 });
  out.enqueue(rib.drainChanges());
  t.deepEqual(out.nextBatch(65536), [], 'only the MED changed, and MED is not sent to eBGP');
});

test('RFC 8654 §4: attributes too large for a 4096-octet message are not sent (and withdrawn); with extended messages they go', (t) => {
  const rib = fullRib(3, 0);
  const big = { ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE' as const, asns: [65001] }], communities: Array.from({ length: 1100 }, (_, i) => 0x10000 + i) };
  const small = makeContext({ as4: true });
  const out = adjOut(rib, small, { families: ['ipv4'] });
  out.initialDump(rib);
  t.is(drain(out, small).flatMap((m) => announced(m.msg)).length, 3);
  rib.announce(SRC.address, 'ipv4', { prefix: v4(0) }, big);
  out.enqueue(rib.drainChanges());
  const sent = drain(out, small);
  t.deepEqual(sent.flatMap((m) => announced(m.msg)), [], 'nothing announced with 4,400 octets of communities');
  t.deepEqual(sent.flatMap((m) => withdrawn(m.msg)), [{ prefix: v4(0) }], 'the older announcement is withdrawn');
  t.is(out.pendingCount(), 0);
  const extended = makeContext({ as4: true, extendedMessage: true });
  const out2 = adjOut(rib, extended, { families: ['ipv4'] });
  out2.initialDump(rib);
  t.deepEqual(drain(out2, extended).flatMap((m) => announced(m.msg)).map((n) => n.prefix).sort(), [v4(0), v4(1), v4(2)].sort());
});

test('extended messages: one set of 6000 prefixes goes out in few UPDATEs of more than 1024 prefixes each, every prefix once', (t) => {
  // More keys per message than the Adj-RIB-Out's preallocated key list holds: its growth path.
  const rib = new Rib(cfg);
  rib.setConnected([{ prefix: '192.0.2.10/24', interface: 'eth0' }]);
  rib.peerUp(SRC);
  const attrs: PathAttrs = { ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE', asns: [65001] }] };
  for (let i = 0; i < 6000; i++) rib.announce(SRC.address, 'ipv4', { prefix: v4(i) }, attrs);
  rib.drainChanges();
  const extended = makeContext({ as4: true, extendedMessage: true });
  const out = adjOut(rib, extended, { families: ['ipv4'] });
  out.initialDump(rib);
  const sent = drain(out, extended);
  const perMessage = sent.map((m) => announced(m.msg).length).filter((n) => n > 0);
  t.true(perMessage.length <= 3 && perMessage.every((n) => n > 1024), `prefixes per UPDATE: ${perMessage.join(', ')}`);
  const prefixes = sent.flatMap((m) => announced(m.msg)).map((n) => n.prefix);
  t.is(prefixes.length, 6000);
  t.is(new Set(prefixes).size, 6000);
});

test('ADD-PATH send: the multipath set goes out with path ids, a shrinking set withdraws the extra id', (t) => {
  const rib = new Rib({ ...cfg, bestPath: { ...cfg.bestPath, maxPaths: 2 } });
  rib.setConnected([{ prefix: '192.0.2.10/24', interface: 'eth0' }]);
  const SRC2 = { ...SRC, address: '192.0.2.2', routerId: '1.1.1.2' };
  rib.peerUp(SRC);
  rib.peerUp(SRC2);
  const a = { ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE' as const, asns: [65001] }] };
  rib.announce(SRC.address, 'ipv4', { prefix: '203.0.113.0/24' }, a);
  rib.announce(SRC2.address, 'ipv4', { prefix: '203.0.113.0/24' }, { ...a, nextHop: '192.0.2.2' });
  rib.drainChanges();
  const codec = makeContext({ as4: true, addPath: new Set(['1/1']) });
  const out = adjOut(rib, codec, { families: ['ipv4'], target: { ...NONCLIENT } , localAddress: { ipv4: '10.0.0.1' } });
  out.initialDump(rib);
  const msgs = drain(out, codec);
  const ids = msgs.flatMap((m) => announced(m.msg).map((n) => `${n.prefix}#${n.pathId}`)).sort();
  t.deepEqual(ids, ['203.0.113.0/24#1', '203.0.113.0/24#2']);
  rib.withdrawRoute(SRC2.address, 'ipv4', { prefix: '203.0.113.0/24' });
  out.enqueue(rib.drainChanges());
  const after = drain(out, codec);
  t.deepEqual(after.flatMap((m) => withdrawn(m.msg)), [{ prefix: '203.0.113.0/24', pathId: 2 }]);
});

test('2-octet peer: 4-octet ASNs go out as AS_TRANS with AS4_PATH', (t) => {
  const rib = new Rib({ ...cfg, localAs: 4200000000 });
  rib.setConnected([{ prefix: '192.0.2.10/24', interface: 'eth0' }]);
  rib.peerUp(SRC);
  rib.announce(SRC.address, 'ipv4', { prefix: '203.0.113.0/24' }, { ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE', asns: [65001] }] });
  rib.drainChanges();
  const codec = makeContext({ as4: false });
  const out = adjOut(rib, codec, { families: ['ipv4'], local: { asn: 4200000000, routerId: '10.0.0.1', clusterId: '10.0.0.1' } });
  out.initialDump(rib);
  const [m] = drain(out, codec);
  t.deepEqual(findAttr(m!.msg.attributes, 'AS_PATH')!.value, [{ type: 'AS_SEQUENCE', asns: [23456, 65001] }]);
  t.deepEqual(findAttr(m!.msg.attributes, 'AS4_PATH')!.value, [{ type: 'AS_SEQUENCE', asns: [4200000000, 65001] }]);
});

test('close gives back every reference the Adj-RIB-Out held (exports as received, and sets a filter changed)', (t) => {
  const changing: ExportFilter = Object.assign((r: Route) => ({ ...r.attrs, med: 50 }), { perAttributes: true });
  for (const filter of [undefined, changing]) {
    const rib = fullRib(100, 10);
    const before = rib.store.size;
    const received = [...rib.bestRoutes('ipv4')].map((c) => c.best[0]!).find((r) => r.source.kind === 'bgp')!.attrs;
    const refsBefore = rib.store.refs(received);
    const codec = makeContext({ as4: true });
    const out = adjOut(rib, codec, filter ? { filter } : {});
    out.initialDump(rib);
    // One message out, the rest pending.
    out.nextBatch(1);
    if (filter) t.true(rib.store.size > before, 'the changed sets are interned');
    else t.true(rib.store.refs(received) > refsBefore, 'exports as received hold the received set');
    out.close();
    t.is(rib.store.size, before);
    t.is(rib.store.refs(received), refsBefore);
  }
});

test('route refresh re-sends every sent prefix of the family once; a change still pending wins over the old announcement', (t) => {
  const rib = fullRib(300, 50);
  const codec = makeContext({ as4: true });
  const out = adjOut(rib, codec);
  out.initialDump(rib);
  drain(out, codec);
  // A newer announcement for one prefix, not yet pulled when the refresh arrives.
  const changed = { ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE' as const, asns: [65001, 999] }] };
  rib.announce(SRC.address, 'ipv4', { prefix: v4(0) }, changed);
  out.enqueue(rib.drainChanges());
  out.refresh('ipv4');
  const msgs = drain(out, codec);
  const again = msgs.flatMap((m) => announced(m.msg).map((n) => n.prefix));
  t.is(again.length, 300);
  t.is(new Set(again).size, 300);
  t.true(again.every((p) => !p.includes(':')), 'IPv6 is not refreshed');
  const first = msgs.find((m) => announced(m.msg).some((n) => n.prefix === v4(0)))!;
  t.deepEqual(findAttr(first.msg.attributes, 'AS_PATH')!.value[0]!.asns, [65000, 65001, 999]);
  t.is(out.sentCount('ipv4'), 300);
  t.is(out.sentCount('ipv6'), 50);
  const shown = [...out.sentRoutes('ipv4')].find((r) => r.prefix === v4(0))!;
  t.deepEqual(shown.attrs.asPath[0]!.asns, [65000, 65001, 999]);
});

test('the peer the routes came from gets none back, and its Adj-RIB-Out keeps no prefix id (shared prefix table)', (t) => {
  const rib = new Rib(cfg);
  rib.setConnected([{ prefix: '192.0.2.10/24', interface: 'eth0' }]);
  rib.drainChanges();
  const before = rib.prefixTables.ipv4.size;
  rib.peerUp(SRC);
  for (let i = 0; i < 1000; i++) rib.announce(SRC.address, 'ipv4', { prefix: v4(i) }, { ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE', asns: [65001] }] });
  const codec = makeContext({ as4: true });
  const out = adjOut(rib, codec, { ...cx(SRC), prefixes: rib.prefixTables });
  out.enqueue(rib.drainChanges(true));
  t.is(out.pendingCount(), 0);
  t.deepEqual(out.nextBatch(65536), []);
  rib.peerDown(SRC.address);
  out.enqueue(rib.drainChanges(true));
  rib.drainChanges();
  t.is(rib.prefixTables.ipv4.size, before);
});
