// OPEN building and negotiation (RFC 4271 §4.2/§6.2, RFC 6793, RFC 6286, RFC 4760, RFC 2918,
// RFC 7313, RFC 7911, RFC 8654, RFC 4724, RFC 8950), collision resolution (RFC 4271 §6.8) and
// the backoff bounds.
import test from 'ava';
import fc from 'fast-check';
import { buildOpen, capabilitiesOf, negotiate, type NegotiationResult } from '../src/bgp/session/negotiate.js';
import { resolveCollision } from '../src/bgp/session/collision.js';
import { backoffMs, keepaliveJitterMs, nextRandom } from '../src/bgp/session/backoff.js';
import type { Negotiated, PeerConfig } from '../src/bgp/session/types.js';
import { decodeMessage, encodeMessage, makeContext, type Capability, type OpenMessage } from '../src/bgp/wire/index.js';
import { as4cap, mp, peerConfig, remoteOpen } from './session-fixtures.js';

function agreed(r: NegotiationResult): Negotiated {
  if (!r.ok) throw new Error(`negotiation failed: ${r.reason}`);
  return r.negotiated;
}

function failure(r: NegotiationResult): string {
  if (r.ok) throw new Error('negotiation succeeded');
  return `${r.error.code}/${r.error.subcode}`;
}

function run(remoteCaps: Capability[] | undefined, p: Partial<PeerConfig> = {}, open: Partial<OpenMessage> = {}): NegotiationResult {
  const cfg = peerConfig(p);
  return negotiate(buildOpen(cfg), remoteOpen(remoteCaps, open), cfg);
}

const capNames = (o: OpenMessage) => capabilitiesOf(o).map((c) => c.name);

test('buildOpen: 2-octet AS in My AS, capabilities for the configured families', (t) => {
  const open = buildOpen(peerConfig(), { hostname: 'r1', domain: 'example.net' });
  t.is(open.myAs, 65001);
  t.is(open.holdTime, 90);
  t.is(open.bgpId, '192.0.2.1');
  t.deepEqual(capNames(open), ['MULTIPROTOCOL', 'MULTIPROTOCOL', 'ROUTE_REFRESH', 'ENHANCED_ROUTE_REFRESH', 'FOUR_OCTET_AS', 'EXTENDED_MESSAGE', 'FQDN']);
  t.deepEqual(capabilitiesOf(open).find((c) => c.name === 'FQDN')?.value, { hostname: 'r1', domain: 'example.net' });
});

test('buildOpen: AS_TRANS in My AS for a 4-octet AS (RFC 6793 §4.1)', (t) => {
  const open = buildOpen(peerConfig({ localAs: 4200000001 }));
  t.is(open.myAs, 23456);
  t.deepEqual(capabilitiesOf(open).find((c) => c.name === 'FOUR_OCTET_AS')?.value, 4200000001);
});

test('buildOpen: ADD-PATH modes per family, graceful restart, extended next hop', (t) => {
  const open = buildOpen(
    peerConfig({ addPath: { receive: ['ipv4', 'ipv6'], send: ['ipv4'] }, gracefulRestart: { enabled: true, restartTime: 90 } }),
    { extendedNextHop: true },
  );
  const caps = capabilitiesOf(open);
  t.deepEqual(caps.find((c) => c.name === 'ADD_PATH')?.value, [
    { afi: 1, safi: 1, sendReceive: 3 },
    { afi: 2, safi: 1, sendReceive: 1 },
  ]);
  t.deepEqual(caps.find((c) => c.name === 'GRACEFUL_RESTART')?.value, {
    restarting: false,
    notification: false,
    restartTime: 90,
    families: [
      { afi: 1, safi: 1, forwardingPreserved: false },
      { afi: 2, safi: 1, forwardingPreserved: false },
    ],
  });
  t.deepEqual(caps.find((c) => c.name === 'EXTENDED_NEXT_HOP')?.value, [{ afi: 1, safi: 1, nextHopAfi: 2 }]);
});

test('buildOpen: the OPEN encodes and decodes to itself, even with a long host name', (t) => {
  const open = buildOpen(peerConfig({ gracefulRestart: { enabled: true, restartTime: 120 } }), { hostname: 'h'.repeat(300) });
  const r = decodeMessage(encodeMessage(open, makeContext()), makeContext());
  t.true(r.ok);
  if (r.ok) t.deepEqual(r.msg, open);
});

test('peer AS: mismatch is Bad Peer AS (2/2)', (t) => {
  t.is(failure(run([mp(1)], {}, { myAs: 65003 })), '2/2');
  t.is(failure(run([mp(1), as4cap(65003)])), '2/2');
});

test('peer AS: a 4-octet AS through AS_TRANS (RFC 6793)', (t) => {
  const n = agreed(run([mp(1), as4cap(4200000002)], { remoteAs: 4200000002 }, { myAs: 23456 }));
  t.is(n.peerAs, 4200000002);
  t.true(n.as4);
  t.is(failure(run([mp(1), as4cap(4200000002)], { remoteAs: 4200000002 }, { myAs: 65002 })), '2/2');
  t.is(failure(run([mp(1)], { remoteAs: 4200000002 }, { myAs: 23456 })), '2/2');
});

test('4-octet AS needs both sides: an old speaker gets 2-octet contexts', (t) => {
  const n = agreed(run([mp(1)]));
  t.false(n.as4);
  t.false(n.recvCtx.as4);
  t.false(n.sendCtx.as4);
});

test('BGP identifier equal to ours: Bad BGP Identifier for iBGP only (RFC 6286 §2.2)', (t) => {
  t.is(failure(run([mp(1)], { remoteAs: 65001 }, { myAs: 65001, bgpId: '192.0.2.1' })), '2/3');
  t.true(agreed(run([mp(1)], { remoteAs: 65001 }, { myAs: 65001 })).ibgp);
  t.false(agreed(run([mp(1)], {}, { bgpId: '192.0.2.1' })).ibgp);
});

test('hold time: the smaller one, 0 allowed, 1 and 2 rejected (2/6)', (t) => {
  t.is(agreed(run([mp(1)], { holdTime: 90 }, { holdTime: 30 })).holdTime, 30);
  t.is(agreed(run([mp(1)], { holdTime: 9 }, { holdTime: 180 })).holdTime, 9);
  const zero = agreed(run([mp(1)], {}, { holdTime: 0 }));
  t.deepEqual([zero.holdTime, zero.keepalive], [0, 0]);
  t.is(failure(run([mp(1)], {}, { holdTime: 1 })), '2/6');
  t.is(failure(run([mp(1)], {}, { holdTime: 2 })), '2/6');
});

test('keepalive: a third of the hold time, or the configured value when lower', (t) => {
  t.is(agreed(run([mp(1)], { holdTime: 90 })).keepalive, 30);
  t.is(agreed(run([mp(1)], { holdTime: 90, keepalive: 10 })).keepalive, 10);
  t.is(agreed(run([mp(1)], { holdTime: 90, keepalive: 60 })).keepalive, 30);
  t.is(agreed(run([mp(1)], { holdTime: 3 })).keepalive, 1);
});

test('families: the intersection; no Multiprotocol capability means IPv4 unicast (RFC 4760 §8)', (t) => {
  t.deepEqual(agreed(run([mp(1), mp(2)])).families, ['ipv4', 'ipv6']);
  t.deepEqual(agreed(run([mp(2), mp(1, 128)])).families, ['ipv6']);
  t.deepEqual(agreed(run([mp(1), mp(2)], { families: ['ipv4'] })).families, ['ipv4']);
  t.deepEqual(agreed(run(undefined)).families, ['ipv4']);
  t.deepEqual(agreed(run([as4cap(65002)])).families, ['ipv4']);
});

test('route refresh: code 2 or 128 from the peer; enhanced needs both sides', (t) => {
  t.true(agreed(run([mp(1), { code: 2, name: 'ROUTE_REFRESH', value: null }])).routeRefresh);
  t.true(agreed(run([mp(1), { code: 128, name: 'ROUTE_REFRESH_OLD', value: null }])).routeRefresh);
  t.false(agreed(run([mp(1)])).routeRefresh);
  t.true(agreed(run([mp(1), { code: 70, name: 'ENHANCED_ROUTE_REFRESH', value: null }])).enhancedRouteRefresh);
  t.false(agreed(run([mp(1)])).enhancedRouteRefresh);
});

const addPath = (...v: [number, number][]): Capability => ({ code: 69, name: 'ADD_PATH', value: v.map(([afi, sendReceive]) => ({ afi, safi: 1, sendReceive })) });

test('ADD-PATH per family and direction (RFC 7911 §4)', (t) => {
  const cfg: Partial<PeerConfig> = { addPath: { receive: ['ipv4', 'ipv6'], send: ['ipv4', 'ipv6'] } };
  // Peer sends on IPv4 only, receives on IPv6 only.
  const n = agreed(run([mp(1), mp(2), addPath([1, 2], [2, 1])], cfg));
  t.deepEqual(n.addPath, { receive: ['ipv4'], send: ['ipv6'] });
  t.deepEqual([...n.recvCtx.addPath], ['1/1']);
  t.deepEqual([...n.sendCtx.addPath], ['2/1']);
  // We only receive: the peer's "both" gives receive only.
  const recvOnly = agreed(run([mp(1), addPath([1, 3])], { addPath: { receive: ['ipv4'], send: [] } }));
  t.deepEqual(recvOnly.addPath, { receive: ['ipv4'], send: [] });
  // Not configured here: nothing, whatever the peer says.
  t.deepEqual(agreed(run([mp(1), addPath([1, 3])])).addPath, { receive: [], send: [] });
});

test('extended message only when both advertise it (RFC 8654 §3)', (t) => {
  const n = agreed(run([mp(1), { code: 6, name: 'EXTENDED_MESSAGE', value: null }]));
  t.true(n.extendedMessage && n.recvCtx.extendedMessage && n.sendCtx.extendedMessage);
  t.false(agreed(run([mp(1)])).extendedMessage);
});

test('graceful restart: the peer restart time, R bit and forwarding state per family (RFC 4724)', (t) => {
  const gr: Capability = {
    code: 64,
    name: 'GRACEFUL_RESTART',
    value: { restarting: true, notification: false, restartTime: 120, families: [{ afi: 1, safi: 1, forwardingPreserved: true }, { afi: 2, safi: 1, forwardingPreserved: false }] },
  };
  t.deepEqual(agreed(run([mp(1), gr])).gracefulRestart, {
    restartTime: 120,
    restarting: true,
    families: [
      { family: 'ipv4', forwardingPreserved: true },
      { family: 'ipv6', forwardingPreserved: false },
    ],
  });
  t.is(agreed(run([mp(1)])).gracefulRestart, undefined);
});

test('extended next hop: tuples both sides advertised (RFC 8950); FQDN host name', (t) => {
  const enh: Capability = { code: 5, name: 'EXTENDED_NEXT_HOP', value: [{ afi: 1, safi: 1, nextHopAfi: 2 }] };
  const cfg = peerConfig();
  const local = buildOpen(cfg, { extendedNextHop: true });
  const fqdn: Capability = { code: 73, name: 'FQDN', value: { hostname: 'peer1', domain: '' } };
  const n = agreed(negotiate(local, remoteOpen([mp(1), enh, fqdn]), cfg));
  t.deepEqual(n.extendedNextHop, [{ afi: 1, safi: 1, nextHopAfi: 2 }]);
  t.is(n.peerHostname, 'peer1');
  t.deepEqual(agreed(run([mp(1), enh])).extendedNextHop, []);
});

test('collision: the connection opened by the higher BGP identifier stays (RFC 4271 §6.8)', (t) => {
  const base = { localAs: 65001, remoteAs: 65002 };
  t.deepEqual(resolveCollision({ ...base, localId: '10.0.0.1', remoteId: '10.0.0.2' }), { keep: 'inbound', close: 'outbound' });
  t.deepEqual(resolveCollision({ ...base, localId: '10.0.0.2', remoteId: '10.0.0.1' }), { keep: 'outbound', close: 'inbound' });
  // Compared as unsigned 32-bit numbers, not as text or signed values.
  t.deepEqual(resolveCollision({ ...base, localId: '9.0.0.0', remoteId: '10.0.0.0' }), { keep: 'inbound', close: 'outbound' });
  t.deepEqual(resolveCollision({ ...base, localId: '200.0.0.1', remoteId: '100.0.0.1' }), { keep: 'outbound', close: 'inbound' });
  // RFC 6286 §2.3: equal identifiers, the larger AS's connection stays.
  t.deepEqual(resolveCollision({ ...base, localId: '10.0.0.1', remoteId: '10.0.0.1' }), { keep: 'inbound', close: 'outbound' });
  t.deepEqual(resolveCollision({ localAs: 65009, remoteAs: 65002, localId: '10.0.0.1', remoteId: '10.0.0.1' }), { keep: 'outbound', close: 'inbound' });
});

test('collision: both ends reach the same decision', (t) => {
  fc.assert(
    fc.property(fc.ipV4(), fc.ipV4(), fc.integer({ min: 1, max: 4294967295 }), fc.integer({ min: 1, max: 4294967295 }), (a, b, asA, asB) => {
      fc.pre(a !== b || asA !== asB);
      const atA = resolveCollision({ localId: a, remoteId: b, localAs: asA, remoteAs: asB });
      const atB = resolveCollision({ localId: b, remoteId: a, localAs: asB, remoteAs: asA });
      // The connection A opened is outbound at A and inbound at B: both keep the same one.
      t.is(atA.keep === 'outbound', atB.keep === 'inbound');
    }),
  );
});

test('backoff: doubles from the base, capped, within ±25 %', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 300 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, base, r) => {
      const nominal = Math.min(base * 2 ** attempt, Math.max(base, 120)) * 1000;
      const ms = backoffMs(attempt, base, 120, r);
      return ms >= Math.floor(nominal * 0.75) && ms <= Math.ceil(nominal * 1.25);
    }),
  );
  t.is(backoffMs(0, 5, 120, 0), 3750);
  t.is(backoffMs(0, 5, 120, 0.5), 5000);
  t.is(backoffMs(3, 5, 120, 0.5), 40000);
  t.is(backoffMs(10, 5, 120, 0.5), 120000);
});

test('keepalive jitter stays within 75–100 % (RFC 4271 §10); the generator stays in [0, 1)', (t) => {
  t.is(keepaliveJitterMs(30, 0), 22500);
  t.true(keepaliveJitterMs(30, 0.999999) <= 30000);
  let seed = 1;
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const r = nextRandom(seed);
    t.true(r.value >= 0 && r.value < 1);
    seen.add(Math.floor(r.value * 10));
    seed = r.seed;
  }
  t.is(seen.size, 10);
});
