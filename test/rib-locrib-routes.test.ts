// The Routes the Loc-RIB builds for BGP records (LocRib.routeOf): as plain objects (drainChanges,
// lookup) and as LazyRoutes (ChangeBatch.route, views), the next-hop members present exactly
// when the attribute set has a next hop, with the same values both ways.

import test from 'ava';
import { ribConfig } from './helpers/rib-config.js';
import { Rib, baseAttrs } from '../src/rib/index.js';
import type { PeerInfo, Route } from '../src/rib/index.js';

const EBGP: PeerInfo = { address: '192.0.2.1', asn: 65001, routerId: '1.1.1.1', ibgp: false, routeReflectorClient: false };

const NEXT_HOP_MEMBERS = ['resolved', 'igpCost', 'gateway', 'interface'] as const;

/** The members a route carries, read as a consumer reads them. */
function shape(r: Route): Record<string, unknown> {
  const out: Record<string, unknown> = { prefix: r.prefix, nextHop: r.attrs.nextHop, accepted: r.accepted, stale: r.stale };
  for (const k of NEXT_HOP_MEMBERS) if (k in r) out[k] = r[k];
  return out;
}

test('routes of sets with and without a next hop carry the next-hop members exactly when there is one, lazy or not', (t) => {
  const rib = new Rib(ribConfig);
  rib.setConnected([{ prefix: '192.0.2.10/24', interface: 'eth0' }]);
  rib.peerUp(EBGP);
  rib.drainChanges();
  const asPath = [{ type: 'AS_SEQUENCE' as const, asns: [65001] }];
  rib.announce(EBGP.address, 'ipv4', { prefix: '203.0.113.0/24' }, { ...baseAttrs('192.0.2.1'), asPath });
  rib.announce(EBGP.address, 'ipv4', { prefix: '198.51.100.0/24' }, { ...baseAttrs(''), asPath });
  rib.announce(EBGP.address, 'ipv4', { prefix: '198.51.100.128/25' }, { ...baseAttrs('198.18.0.9'), asPath });

  const batch = rib.drainBatch();
  const lazy = new Map<string, Route>();
  for (let i = 0; i < batch.n; i++) if (batch.key[i]! >= 0) lazy.set(batch.view(i).prefix, batch.route(i));
  // Selected: the resolvable route and the one that needs no next hop.
  t.deepEqual([...lazy.keys()].sort(), ['198.51.100.0/24', '203.0.113.0/24']);
  for (const [prefix, route] of lazy) {
    const entry = rib.lookup('ipv4', prefix)!;
    t.deepEqual(shape(route), shape(entry.best[0]!), prefix);
    t.deepEqual(shape(route), shape(entry.candidates[0]!), prefix);
  }
  const direct = shape(rib.lookup('ipv4', '198.51.100.0/24')!.candidates[0]!);
  t.deepEqual(direct, { prefix: '198.51.100.0/24', nextHop: '', accepted: true, stale: false });
  const viaEth0 = shape(rib.lookup('ipv4', '203.0.113.0/24')!.candidates[0]!);
  t.like(viaEth0, { resolved: true, interface: 'eth0' });
  const unresolved = shape(rib.lookup('ipv4', '198.51.100.128/25')!.candidates[0]!);
  t.like(unresolved, { resolved: false, igpCost: 0 });
});
