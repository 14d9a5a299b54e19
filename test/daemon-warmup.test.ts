// The start-up warm-up (src/daemon/warmup.ts): its synthetic table goes through the RIB and an
// Adj-RIB-Out and leaves nothing behind, and the RIB works as before after it.

import test from 'ava';
import { ribConfig } from './helpers/rib-config.js';
import { makeContext } from '../src/bgp/wire/index.js';
import { baseAttrs, Rib } from '../src/rib/index.js';
import type { PeerInfo } from '../src/rib/index.js';
import { warmUp, warmUpFeed } from '../src/daemon/warmup.js';

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
