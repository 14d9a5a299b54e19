// Routes whose prefix text is made when read (src/rib/lazy-route.ts): the import filter and the
// Adj-RIB-Out's reader of drained views get them. A filter that reads the prefix must see each
// route's own canonical text, IPv4 and IPv6, and decide per prefix.
import test from 'ava';
import { ribConfig } from './helpers/rib-config.js';
import { makeContext } from '../src/bgp/wire/index.js';
import { AdjRibOut, Rib, baseAttrs } from '../src/rib/index.js';
import type { ExportFilter, ImportFilter, PeerInfo } from '../src/rib/index.js';

const SRC: PeerInfo = { address: '192.0.2.1', asn: 65001, routerId: '1.1.1.1', ibgp: false, routeReflectorClient: false };
const DST: PeerInfo = { address: '198.51.100.2', asn: 65002, routerId: '2.2.2.2', ibgp: false, routeReflectorClient: false };
const V4 = ['203.0.113.0/24', '198.51.100.128/25', '10.0.0.0/8'];
const V6 = ['2001:db8::/32', '2001:db8:0:1::/64', '2001:db8:a:b:c:d::/96'];
// The same prefixes as an UPDATE may carry them (host bits set, IPv6 not in RFC 5952 form).
const V4_IN = ['203.0.113.7/24', '198.51.100.200/25', '10.1.2.3/8'];
const V6_IN = ['2001:0db8::1/32', '2001:db8:0:1:0:0:0:0/64', '2001:db8:a:b:c:d:0:0/96'];

function ribWith(importFilter: ImportFilter): Rib {
  const rib = new Rib(ribConfig);
  rib.setConnected([{ prefix: '192.0.2.10/24', interface: 'eth0' }, { prefix: '2001:db8:ff::10/64', interface: 'eth0' }]);
  rib.peerUp(SRC, { importFilter });
  rib.drainChanges();
  // One attribute set for all: a filter that depends on the prefix must not be remembered per set.
  const attrs = { ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE' as const, asns: [65001] }] };
  for (const prefix of V4_IN) rib.announce(SRC.address, 'ipv4', { prefix }, attrs);
  for (const prefix of V6_IN) rib.announce(SRC.address, 'ipv6', { prefix }, { ...attrs, nextHop: '2001:db8:ff::1' });
  return rib;
}

test('the import filter reads each route\'s canonical prefix and decides per prefix', (t) => {
  const seen: string[] = [];
  const filter: ImportFilter = (route) => {
    seen.push(route.prefix);
    return route.prefix === V4[1] || route.prefix === V6[2] ? null : route.attrs;
  };
  const rib = ribWith(filter);
  t.deepEqual(seen, [...V4, ...V6]);
  const bgp = (family: 'ipv4' | 'ipv6'): string[] =>
    [...rib.bestRoutes(family)].filter((c) => c.best[0]?.source.kind === 'bgp').map((c) => c.prefix).sort();
  t.deepEqual(bgp('ipv4'), [V4[0], V4[2]].sort());
  t.deepEqual(bgp('ipv6'), [V6[0], V6[1]].sort());
  // The route a filter was given keeps its text after the RIB moved on.
  const kept: { prefix: string }[] = [];
  ribWith((route) => (kept.push(route), route.attrs));
  t.deepEqual(kept.map((r) => r.prefix), [...V4, ...V6]);
});

test('an export filter reading the prefix of drained views sees each one\'s own text', (t) => {
  const rib = ribWith((route) => route.attrs);
  const seen: string[] = [];
  const filter: ExportFilter = (route) => {
    seen.push(route.prefix);
    return route.prefix === V4[0] || route.prefix === V6[1] ? null : route.attrs;
  };
  const codec = makeContext({ as4: true });
  const out = new AdjRibOut({
    local: { asn: 65000, routerId: '10.0.0.1', clusterId: '10.0.0.1' },
    target: DST,
    localAddress: { ipv4: '198.51.100.1', ipv6: '2001:db8:ff::2' },
    nextHopSelf: false,
    filter,
    codec,
    families: ['ipv4', 'ipv6'],
    store: rib.store,
    prefixes: rib.prefixTables,
  });
  const views = rib.drainChanges(true);
  t.is(views.length, 6);
  out.enqueue(views);
  t.deepEqual(seen.sort(), [...V4, ...V6].sort());
  while (out.nextBatch(65536).length > 0);
  t.deepEqual([...out.sentRoutes('ipv4')].map((r) => r.prefix).sort(), [V4[1], V4[2]].sort());
  t.deepEqual([...out.sentRoutes('ipv6')].map((r) => r.prefix).sort(), [V6[0], V6[2]].sort());
  // A view's routes read after the drain still carry their prefix.
  t.deepEqual(views.map((v) => v.best[0]!.prefix).sort(), [...V4, ...V6].sort());
});
