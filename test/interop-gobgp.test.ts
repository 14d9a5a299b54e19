// routed against a real GoBGP, in namespaces: gobgp (AS 65030) ═ routed (AS 65020) over two
// links. On e0 one IPv4 session carrying ipv4 and one IPv6 session carrying ipv6; on e1 an IPv4
// session where routed expects another AS (its OPEN check sends 2/2, which GoBGP must count as a
// NOTIFICATION received). GoBGP originates routes with `gobgp global rib add` (with MED, origin
// and a community) and withdraws them with `rib del`. Route refresh both ways: routed's
// `neighbor X refresh in` sends GoBGP a ROUTE-REFRESH, which GoBGP answers with its routes;
// `refresh out` and GoBGP's `softresetout` re-send the Adj-RIB-Out; GoBGP's `softresetin` replays
// its own Adj-RIB-In (GoBGP keeps one) and sends routed nothing. Graceful-restart helper: gobgpd
// killed, its routes stay in routed as stale (those of the IPv6 session, whose restart time is
// short, until that time passes); started again in restart mode (-r) without one of them, routed
// drops that one and keeps the others.

import test from 'ava';

import { createTopology } from './harness/netns.js';
import { GoBgp, pollUntil } from './harness/peers.js';
import { canonicalAddress as canon, Routed } from './harness/routed.js';

const GOBGP_AS = 65030;
const ROUTED_AS = 65020;
const WAIT = 20_000;
const P = {
  v4: '198.19.30.0/24', v6: '2001:db8:30::/48', v4w: '198.19.31.0/24', v6w: '2001:db8:31::/48', v4gr: '198.19.32.0/24',
  ours4: '198.19.20.0/24', ours6: '2001:db8:20::/48',
};

/** GoBGP's message counters for one neighbour (`gobgp neighbor X -j`). */
interface GoBgpCounters {
  notification?: number;
  update?: number;
  refresh?: number;
}

async function counters(gobgp: GoBgp, address: string): Promise<{ received: GoBgpCounters; sent: GoBgpCounters }> {
  const j = JSON.parse(await gobgp.gobgp(['neighbor', address, '-j'])) as { state?: { messages?: { received?: GoBgpCounters; sent?: GoBgpCounters } } };
  return { received: j.state?.messages?.received ?? {}, sent: j.state?.messages?.sent ?? {} };
}

test('GoBGP: IPv4 and IPv6 sessions, routes both ways with attributes, withdrawal, route refresh, bad peer AS sent, graceful-restart helper', async (t) => {
  const topo = await createTopology({ nodes: ['gobgp', 'routed'], links: [{ a: 'gobgp', b: 'routed' }, { a: 'gobgp', b: 'routed' }] }, import.meta.url);
  t.teardown(() => topo.destroy());
  const [l0, l1] = [topo.links[0]!, topo.links[1]!];
  const g = { v4: l0.a.v4, v6: canon(l0.a.v6), bad: l1.a.v4 };
  const r = { v4: l0.b.v4, v6: canon(l0.b.v6), bad: l1.b.v4 };
  const gobgp = new GoBgp(topo, 'gobgp', {
    routerId: '198.18.255.30',
    localAs: GOBGP_AS,
    neighbors: [
      { address: r.v4, remoteAs: ROUTED_AS, localAddress: g.v4, families: ['ipv4'], gracefulRestartTime: 60 },
      // A short restart time on the IPv6 session: routed's restart timer sweeps it while gobgpd is down.
      { address: r.v6, remoteAs: ROUTED_AS, localAddress: g.v6, families: ['ipv6'], gracefulRestartTime: 8 },
      { address: r.bad, remoteAs: ROUTED_AS, localAddress: g.bad, families: ['ipv4'] },
    ],
  });
  const routed = new Routed(topo, 'routed', {
    routerId: '198.18.255.20',
    localAs: ROUTED_AS,
    staticRoutes: [{ prefix: P.ours4 }, { prefix: P.ours6 }],
    neighbors: [
      // routed waits for GoBGP here: the passive side of each session.
      { address: g.v4, remoteAs: GOBGP_AS, localAddress: r.v4, families: ['ipv4'], passive: true, gracefulRestart: { enabled: true } },
      { address: g.v6, remoteAs: GOBGP_AS, localAddress: r.v6, families: ['ipv6'], passive: true, gracefulRestart: { enabled: true } },
      // routed expects another AS from GoBGP here: routed sends the NOTIFICATION.
      { address: g.bad, remoteAs: 65999, localAddress: r.bad, families: ['ipv4'], passive: true },
    ],
  });
  t.teardown(async () => {
    if (!t.passed) t.log(routed.logTail(50), gobgp.logTail(30));
    await routed.stop();
    await gobgp.stop();
  });
  await Promise.all([routed.start(), gobgp.start()]);
  const originate = async (list: (readonly [string, string])[]): Promise<void> => {
    for (const [p, fam] of list) await gobgp.gobgp(['global', 'rib', 'add', p, 'origin', 'egp', 'med', '30', 'community', '65030:9', '-a', fam]);
  };
  await originate([[P.v4, 'ipv4'], [P.v6, 'ipv6'], [P.v4w, 'ipv4'], [P.v6w, 'ipv6'], [P.v4gr, 'ipv4']]);
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

  // routed asks GoBGP for its routes (RFC 2918): GoBGP counts the ROUTE-REFRESH and answers
  // with UPDATEs; its routes stay in routed's RIB.
  for (const [peer, gAddr] of [[g.v4, r.v4], [g.v6, r.v6]] as const) {
    const before = await counters(gobgp, gAddr);
    const rr = await routed.ctl(['neighbor', peer, 'refresh', 'in']);
    t.is(rr.code, 0, rr.stderr);
    await pollUntil(async () => {
      const now = await counters(gobgp, gAddr);
      return (now.received.refresh ?? 0) > (before.received.refresh ?? 0) && (now.sent.update ?? 0) > (before.sent.update ?? 0);
    }, WAIT, `GoBGP receives routed's ROUTE-REFRESH from ${peer} and answers it`, () => gobgp.logTail());
  }
  t.truthy(await routed.best(P.v4));
  t.truthy(await routed.best(P.v6));
  // routed re-sends its Adj-RIB-Out (`refresh out`), GoBGP its own (`softresetout`): both are
  // counted as UPDATEs received, and the routes stay.
  const beforeOut = await counters(gobgp, r.v4);
  const ro = await routed.ctl(['neighbor', g.v4, 'refresh', 'out']);
  t.is(ro.code, 0, ro.stderr);
  await pollUntil(async () => ((await counters(gobgp, r.v4)).received.update ?? 0) > (beforeOut.received.update ?? 0), WAIT, 'GoBGP receives routed\'s re-sent routes', () => routed.logTail());
  const sentBefore = (await counters(gobgp, r.v4)).sent.update ?? 0;
  await gobgp.gobgp(['neighbor', r.v4, 'softresetout']);
  await pollUntil(async () => ((await counters(gobgp, r.v4)).sent.update ?? 0) > sentBefore, WAIT, 'GoBGP re-sends its routes after softresetout', () => gobgp.logTail());
  t.like(await routed.waitRoute(P.v4, WAIT), { neighbor: g.v4, med: 30 });
  // softresetin re-runs GoBGP's import over the Adj-RIB-In it keeps: routed's routes stay there,
  // and GoBGP never needed to ask routed with a ROUTE-REFRESH.
  await gobgp.gobgp(['neighbor', r.v4, 'softresetin']);
  await gobgp.waitRoute(P.ours4, WAIT);
  t.is((await counters(gobgp, r.v4)).sent.refresh ?? 0, 0);
  // Not negotiated or not up: refresh says why, exit 1; bad usage exits 2.
  t.is((await routed.ctl(['neighbor', g.bad, 'refresh', 'in'])).code, 1);
  t.is((await routed.ctl(['neighbor', g.v4, 'refresh', 'sideways'])).code, 2);

  // Bad peer AS on e1: routed refuses GoBGP's OPEN with 2/2, and GoBGP counts a NOTIFICATION
  // received (not a reset). GoBGP keeps no code for it: in OpenConfirm it treats any message but
  // KEEPALIVE as invalid (its log says reason=invalid-msg), so the code is checked on routed's side.
  let last = '';
  await pollUntil(async () => /^sent OPEN Message Error \/ Bad Peer AS/.test((last = (await routed.neighbor(g.bad)).lastError ?? '')), WAIT, `routed sends 2/2 (last: ${last})`, () => routed.logTail());
  await pollUntil(async () => ((await counters(gobgp, r.bad)).received.notification ?? 0) > 0, WAIT, 'GoBGP counts the NOTIFICATION', () => gobgp.logTail());
  t.not((await routed.neighbor(g.bad)).state, 'Established');
  t.is((await routed.neighbor(g.v4)).state, 'Established');

  // Graceful restart helper (RFC 4724): gobgpd dies without a NOTIFICATION; routed keeps its
  // routes, best and stale, while the session is down.
  t.true((await routed.neighbor(g.v4)).capabilities.some((c) => c.startsWith('graceful-restart')));
  await routed.waitRoute(P.v4gr, WAIT);
  await gobgp.kill();
  for (const prefix of [P.v4, P.v4gr]) t.true((await routed.waitRoute(prefix, WAIT, (p) => p.stale, 'stale')).best);
  t.not((await routed.neighbor(g.v4)).state, 'Established');
  // RFC 4724 §4.2: the IPv6 session's 8 s restart time passes without it coming back: swept.
  await routed.waitNoRoute(P.v6, WAIT);
  t.true(routed.log().split('\n').some((l) => l.includes(`peer=${g.v6} `) && l.includes('graceful restart timer expired')), routed.logTail());
  t.true((await routed.waitRoute(P.v4, WAIT, (p) => p.stale, 'stale')).best);
  // Back in restart mode, without 198.19.32.0/24: routed drops it and learns the others afresh.
  await gobgp.start(10_000, ['-r']);
  await originate([[P.v4, 'ipv4'], [P.v6, 'ipv6']]);
  await routed.waitEstablished(g.v4, WAIT);
  await routed.waitNoRoute(P.v4gr, WAIT);
  for (const [prefix, via] of [[P.v4, g.v4], [P.v6, g.v6]] as const) {
    t.is((await routed.waitRoute(prefix, WAIT, (p) => !p.stale, 'no longer stale')).neighbor, via);
  }
});
