// routed against a real GoBGP, in namespaces: gobgp (AS 65030) ── e0 ── routed (AS 65020), one
// IPv4 session carrying ipv4 and one IPv6 session carrying ipv6. GoBGP originates routes with
// `gobgp global rib add` (with MED, origin and a community) and withdraws them with `rib del`.

import test from 'ava';

import { createTopology } from './harness/netns.js';
import { GoBgp } from './harness/peers.js';
import { canonicalAddress as canon, Routed } from './harness/routed.js';

const GOBGP_AS = 65030;
const ROUTED_AS = 65020;
const WAIT = 20_000;
const P = { v4: '198.19.30.0/24', v6: '2001:db8:30::/48', v4w: '198.19.31.0/24', v6w: '2001:db8:31::/48', ours4: '198.19.20.0/24', ours6: '2001:db8:20::/48' };

test('GoBGP: IPv4 and IPv6 sessions, routes both ways with attributes, withdrawal', async (t) => {
  const topo = await createTopology({ nodes: ['gobgp', 'routed'], links: [{ a: 'gobgp', b: 'routed' }] }, import.meta.url);
  t.teardown(() => topo.destroy());
  const g = { v4: topo.addr('gobgp', 'routed'), v6: canon(topo.addr('gobgp', 'routed', 'ipv6')) };
  const r = { v4: topo.addr('routed', 'gobgp'), v6: canon(topo.addr('routed', 'gobgp', 'ipv6')) };
  const gobgp = new GoBgp(topo, 'gobgp', {
    routerId: '198.18.255.30',
    localAs: GOBGP_AS,
    neighbors: [
      { address: r.v4, remoteAs: ROUTED_AS, localAddress: g.v4, families: ['ipv4'] },
      { address: r.v6, remoteAs: ROUTED_AS, localAddress: g.v6, families: ['ipv6'] },
    ],
  });
  const routed = new Routed(topo, 'routed', {
    routerId: '198.18.255.20',
    localAs: ROUTED_AS,
    staticRoutes: [{ prefix: P.ours4 }, { prefix: P.ours6 }],
    neighbors: [
      // routed waits for GoBGP here: the passive side of each session.
      { address: g.v4, remoteAs: GOBGP_AS, localAddress: r.v4, families: ['ipv4'], passive: true },
      { address: g.v6, remoteAs: GOBGP_AS, localAddress: r.v6, families: ['ipv6'], passive: true },
    ],
  });
  t.teardown(async () => {
    if (!t.passed) t.log(routed.logTail(50), gobgp.logTail(30));
    await routed.stop();
    await gobgp.stop();
  });
  await Promise.all([routed.start(), gobgp.start()]);
  for (const [p, fam] of [[P.v4, 'ipv4'], [P.v6, 'ipv6'], [P.v4w, 'ipv4'], [P.v6w, 'ipv6']] as const) {
    await gobgp.gobgp(['global', 'rib', 'add', p, 'origin', 'egp', 'med', '30', 'community', '65030:9', '-a', fam]);
  }
  await routed.waitEstablished(g.v4, WAIT);
  await routed.waitEstablished(g.v6, WAIT);
  await gobgp.waitEstablished(r.v4, WAIT);

  // GoBGP → routed: next hop GoBGP's session address, its AS, the attributes it set.
  for (const [p, via] of [[P.v4, g.v4], [P.v6, g.v6]] as const) {
    const best = await routed.waitRoute(p, WAIT);
    t.like(best, { source: 'bgp', neighbor: via, nextHop: via, asPath: String(GOBGP_AS), origin: 'EGP', med: 30, communities: ['65030:9'] });
  }
  // routed → GoBGP: static routes through the export policy, routed's AS, next hop self.
  for (const [p, fam, hop] of [[P.ours4, 'ipv4', r.v4], [P.ours6, 'ipv6', r.v6]] as const) {
    await gobgp.waitRoute(p, WAIT);
    t.like((await gobgp.paths(fam)).find((x) => x.prefix === p), { asPath: [ROUTED_AS], nextHop: hop, origin: 0 });
  }

  // Withdrawal.
  await routed.waitRoute(P.v4w, WAIT);
  await routed.waitRoute(P.v6w, WAIT);
  await gobgp.gobgp(['global', 'rib', 'del', P.v4w, '-a', 'ipv4']);
  await gobgp.gobgp(['global', 'rib', 'del', P.v6w, '-a', 'ipv6']);
  await routed.waitNoRoute(P.v4w, WAIT);
  await routed.waitNoRoute(P.v6w, WAIT);
  t.truthy(await routed.best(P.v4));

  // (No ROUTE-REFRESH case here: `gobgp neighbor X softresetin` replays GoBGP's own Adj-RIB-In
  // and sends nothing; BIRD's and FRR's tests cover it.)
  t.is((await routed.neighbor(g.v4)).state, 'Established');
});
