// The start-up warm-up (src/daemon/warmup.ts): its synthetic table goes through the RIB and an
// Adj-RIB-Out and leaves nothing behind, the RIB works as before after it, and with a configured
// neighbour's options its routes go through that neighbour's policies.

import test from 'ava';
import { ribConfig } from './helpers/rib-config.js';
import { setFlagsFromString } from 'node:v8';
import { decodeMessage, findAttr, makeContext, type UpdateMessage } from '../src/bgp/wire/index.js';
import { buildOpen, negotiate } from '../src/bgp/session/negotiate.js';
import { as4cap, mp, peerConfig, remoteOpen } from './session-fixtures.js';
import { baseAttrs, Rib } from '../src/rib/index.js';
import type { PeerInfo } from '../src/rib/index.js';
import { WARM_UP_RECV_CTX, warmUp, warmUpFeed } from '../src/daemon/warmup.js';
import type { NeighborShape } from '../src/daemon/warmup.js';
import { exportFilterFor, NeighborRef, peerOptionsFor, sessionAddresses } from '../src/daemon/neighbor-filters.js';
import { parseConfig } from '../src/config/index.js';
import type { Config } from '../src/config/index.js';
import { compilePolicies } from '../src/policy/index.js';

const EBGP: PeerInfo = { address: '192.0.2.1', asn: 65001, routerId: '1.1.1.1', ibgp: false, routeReflectorClient: false };

test('the warm-up runs its table through import, best path and export, then leaves the RIB empty', (t) => {
  const rib = new Rib(ribConfig);
  const w = warmUp(rib, ribConfig, 65536);
  t.true(w.prefixes > 10_000, `${w.prefixes} prefixes`);
  t.is(w.rounds, 3);
  // Every set goes out as UPDATEs (one per set and round, beside End-of-RIB): the export path ran.
  t.true(w.updatesOut > 3 * 3000, `${w.updatesOut} UPDATEs out`);
  t.is(rib.prefixCount('ipv4'), 0);
  t.is(rib.prefixCount('ipv6'), 0);
  t.is(rib.store.size, 0);
  t.is(rib.pendingChanges(), 0);
  t.is(rib.peerStats('192.0.2.1'), undefined);
  t.is(rib.resolveNextHop('192.0.2.1').resolved, false, 'its connected route is gone');
});

test('after the warm-up the RIB takes, selects and reports routes as a fresh one does', (t) => {
  const fresh = new Rib(ribConfig);
  const warmed = new Rib(ribConfig);
  warmUp(warmed, ribConfig, 65536);
  const asPath = [{ type: 'AS_SEQUENCE' as const, asns: [65001, 64500] }];
  const run = (rib: Rib): unknown => {
    rib.setConnected([{ prefix: '192.0.2.10/24', interface: 'eth0' }]);
    rib.peerUp(EBGP);
    rib.announce(EBGP.address, 'ipv4', { prefix: '203.0.113.0/24' }, { ...baseAttrs('192.0.2.1'), asPath });
    rib.announce(EBGP.address, 'ipv6', { prefix: '2001:db8:5::/48' }, { ...baseAttrs('2001:db8::1'), asPath });
    const changes = rib.drainChanges().map((c) => ({ prefix: c.prefix, best: c.best.map((r) => r.attrs.nextHop) }));
    return { changes, v4: rib.prefixCount('ipv4'), v6: rib.prefixCount('ipv6'), sets: rib.store.size, stats: rib.peerStats(EBGP.address) };
  };
  t.deepEqual(run(warmed), run(fresh));
});

test('the warm-up table is the same at every start', (t) => {
  const ctx = makeContext({ as4: true });
  t.deepEqual(warmUpFeed(ctx), warmUpFeed(ctx));
});

/** A neighbour's RIB options and export filter as its session makes them (neighbor-filters.ts). */
function neighborShape(importPolicy: string): { shape: NeighborShape; cfg: Config } {
  const parsed = parseConfig(
    `router-id: 192.0.2.250
local-as: 65000
neighbors:
  - { address: 192.0.2.1, remote-as: 65001, import: ${importPolicy}, export: all }
policies:
  all: { default-action: accept }
  none: { default-action: reject }
  long-only: { terms: [{ match: { prefix-list: long }, action: accept }] }
prefix-lists:
  long: [{ prefix: 0.0.0.0/0, ge: 24 }, { prefix: '::/0', ge: 48 }]
`,
    'w.yaml',
  );
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const cfg = parsed.config;
  const engine = compilePolicies(cfg);
  if (Array.isArray(engine)) throw new Error('policies do not compile');
  const host = { config: () => cfg, policy: () => engine };
  const neighbor = new NeighborRef(cfg.neighbors[0]!);
  return {
    cfg,
    shape: {
      peerOptions: () => peerOptionsFor(host, neighbor, () => undefined),
      exportFilter: (local) => exportFilterFor(host, neighbor, local),
    },
  };
}

test("with a neighbour's options the warm-up's routes go through that neighbour's policies", (t) => {
  const runWith = (policy: string): number => {
    const { shape, cfg } = neighborShape(policy);
    const rib = new Rib(ribConfig);
    const w = warmUp(rib, cfg, 65536, shape);
    t.is(rib.prefixCount('ipv4') + rib.prefixCount('ipv6'), 0, `${policy}: nothing left`);
    t.is(rib.store.size, 0, `${policy}: no attribute set left`);
    return w.updatesOut;
  };
  const all = runWith('all');
  const none = runWith('none');
  const longOnly = runWith('long-only');
  t.true(all > 3 * 3000, `accept-all: ${all} UPDATEs out`);
  // Rejected on import: only the End-of-RIB markers (two families, three rounds) go out.
  t.is(none, 6);
  t.true(longOnly > 6 && longOnly < all, `prefix-list: ${longOnly} UPDATEs out, between ${none} and ${all}`);
});

test("a session's own addresses: its address, and the other family's first on the same interface", (t) => {
  const onLink = [
    { family: 'ipv4' as const, address: '198.18.1.1' },
    { family: 'ipv6' as const, address: '2001:db8:0:1::1' },
    { family: 'ipv6' as const, address: '2001:db8:0:1::2' },
  ];
  t.deepEqual(sessionAddresses('198.18.1.1', onLink), { ipv4: '198.18.1.1', ipv6: '2001:db8:0:1::1' });
  t.deepEqual(sessionAddresses('2001:db8:0:1::2', onLink), { ipv6: '2001:db8:0:1::2', ipv4: '198.18.1.1' });
  t.deepEqual(sessionAddresses('198.18.1.1', []), { ipv4: '198.18.1.1' });
  // The warm-up's are made the same way: members in the order a real session's have them.
  t.deepEqual(Object.keys(sessionAddresses('192.0.2.254', [{ family: 'ipv6', address: '2001:db8::fe' }])), ['ipv4', 'ipv6']);
});

setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

test("the warm-up decodes its table into what a session's receive path makes (the same V8 maps: its compiled code holds)", (t) => {
  const cfg = peerConfig({ families: ['ipv4', 'ipv6'] });
  const n = negotiate(buildOpen(cfg), remoteOpen([mp(1), mp(2), as4cap(65002)]), cfg);
  if (!n.ok) return t.fail(n.reason);
  const feed = warmUpFeed(makeContext({ as4: true }));
  const decodeWith = (ctx: typeof WARM_UP_RECV_CTX): UpdateMessage[] => {
    const out: UpdateMessage[] = [];
    for (let off = 0; off < feed.length; off += feed.readUInt16BE(off + 16)) {
      const r = decodeMessage(feed.subarray(off, off + feed.readUInt16BE(off + 16)), ctx);
      if (r.ok && r.msg.type === 'UPDATE') out.push(r.msg);
    }
    return out;
  };
  const warm = decodeWith(WARM_UP_RECV_CTX);
  const session = decodeWith(n.negotiated.recvCtx);
  const v6 = (list: UpdateMessage[]) => list.find((m) => findAttr(m.attributes, 'MP_REACH_NLRI'))!;
  t.true(haveSameMap(warm[0]!, session[0]!), 'an IPv4 UPDATE');
  t.true(haveSameMap(v6(warm), v6(session)), 'an IPv6 UPDATE');
  t.true(haveSameMap(findAttr(v6(warm).attributes, 'MP_REACH_NLRI')!.value, findAttr(v6(session).attributes, 'MP_REACH_NLRI')!.value), 'its MP_REACH_NLRI');
  t.false(haveSameMap(warm[0]!, decodeWith(makeContext({ as4: true }))[0]!), 'a plain decode makes other holders');
});
