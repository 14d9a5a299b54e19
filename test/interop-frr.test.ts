// routed against a real FRR bgpd (without zebra), in namespaces: frr (AS 65040) ═ routed (AS 65020)
// over two links. On e0 one IPv4 session carrying ipv4 and one IPv6 session carrying ipv6; on e1
// an IPv4 session where routed expects another AS: routed's OPEN check sends 2/2, and FRR (with
// `bgp log-neighbor-changes`) logs that NOTIFICATION; no connection of that neighbour ends in a
// reset (routed closes with a FIN after the NOTIFICATION, never with unread data, which would make
// Linux send a RST). FRR originates prefixes with `network … route-map` (MED, origin,
// community), withdraws one with `no network`, and asks for a refresh with `clear bgp … soft in`,
// which routed answers within Enhanced Route Refresh markers (RFC 7313); routed asks FRR the same
// with `routectl neighbor X refresh in`. Last, FRR is killed and restarted: routed as its
// graceful-restart helper.

import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';

import { createTopology } from './harness/netns.js';
import { Frr, pollUntil } from './harness/peers.js';
import { canonicalAddress as canon, Routed } from './harness/routed.js';

const FRR_AS = 65040;
const ROUTED_AS = 65020;
const WAIT = 20_000;
const P = { v4: '198.19.40.0/24', v6: '2001:db8:40::/48', v4w: '198.19.41.0/24', v6w: '2001:db8:41::/48', ours4: '198.19.20.0/24', ours6: '2001:db8:20::/48' };

interface Addrs {
  frr: { v4: string; v6: string; bad: string };
  routed: { v4: string; v6: string; bad: string };
}

/** bgpd.conf: a route map giving the originated prefixes their attributes, three neighbours. */
function frrConf(logFile: string, a: Addrs): string {
  const nb = (addr: string, src: string): string[] => [` neighbor ${addr} remote-as ${ROUTED_AS}`, ` neighbor ${addr} timers connect 2`, ` neighbor ${addr} update-source ${src}`];
  return [
    'frr defaults traditional',
    // Logs the Enhanced Route Refresh markers FRR receives.
    'debug bgp neighbor-events',
    `log file ${logFile}`,
    'route-map SETATTR permit 10',
    ' set metric 40',
    ' set origin egp',
    ' set community 65040:4',
    'exit',
    `router bgp ${FRR_AS}`,
    ' bgp router-id 198.18.255.40',
    ' bgp log-neighbor-changes',
    ' no bgp ebgp-requires-policy',
    ' no bgp network import-check',
    ' no bgp default ipv4-unicast',
    ...nb(a.routed.v4, a.frr.v4),
    ...nb(a.routed.v6, a.frr.v6),
    ...nb(a.routed.bad, a.frr.bad),
    ' address-family ipv4 unicast',
    ...[P.v4, P.v4w].map((p) => `  network ${p} route-map SETATTR`),
    `  neighbor ${a.routed.v4} activate`,
    `  neighbor ${a.routed.bad} activate`,
    ' exit-address-family',
    ' address-family ipv6 unicast',
    ...[P.v6, P.v6w].map((p) => `  network ${p} route-map SETATTR`),
    `  neighbor ${a.routed.v6} activate`,
    ' exit-address-family',
    '!',
  ].join('\n');
}

interface FrrPath {
  aspath?: { string?: string };
  origin?: string;
  nexthops?: { ip?: string }[];
}

test('FRR: IPv4 and IPv6 sessions, routes both ways with attributes, withdrawal, route refresh both ways, bad peer AS sent, graceful-restart helper', async (t) => {
  const topo = await createTopology({ nodes: ['frr', 'routed'], links: [{ a: 'frr', b: 'routed' }, { a: 'frr', b: 'routed' }] }, import.meta.url);
  t.teardown(() => topo.destroy());
  const [l0, l1] = [topo.links[0]!, topo.links[1]!];
  const a: Addrs = { frr: { v4: l0.a.v4, v6: canon(l0.a.v6), bad: l1.a.v4 }, routed: { v4: l0.b.v4, v6: canon(l0.b.v6), bad: l1.b.v4 } };
  const frr = new Frr(topo, 'frr', { routerId: '198.18.255.40', localAs: FRR_AS, neighbors: [] });
  writeFileSync(frr.config, frrConf(`${frr.dir}/bgpd.log`, a));
  const routed = new Routed(topo, 'routed', {
    routerId: '198.18.255.20',
    localAs: ROUTED_AS,
    staticRoutes: [{ prefix: P.ours4 }, { prefix: P.ours6 }],
    neighbors: [
      // Graceful restart on: FRR sends End-of-RIB only to peers with the capability, and ignores
      // ROUTE-REFRESH requests until it has sent one ("rcvd route-refresh (REQUEST) … before EoR").
      { address: a.frr.v4, remoteAs: FRR_AS, localAddress: a.routed.v4, families: ['ipv4'], gracefulRestart: { enabled: true } },
      { address: a.frr.v6, remoteAs: FRR_AS, localAddress: a.routed.v6, families: ['ipv6'], gracefulRestart: { enabled: true } },
      { address: a.frr.bad, remoteAs: 65999, localAddress: a.routed.bad, families: ['ipv4'] },
    ],
  });
  t.teardown(async () => {
    if (!t.passed) t.log(routed.logTail(50), frr.logTail(30));
    await routed.stop();
    await frr.stop();
  });
  await Promise.all([routed.start(), frr.start()]);
  await routed.waitEstablished(a.frr.v4, WAIT);
  await routed.waitEstablished(a.frr.v6, WAIT);

  // FRR → routed.
  for (const [p, via] of [[P.v4, a.frr.v4], [P.v6, a.frr.v6]] as const) {
    const best = await routed.waitRoute(p, WAIT);
    t.like(best, { source: 'bgp', neighbor: via, nextHop: via, asPath: String(FRR_AS), origin: 'EGP', med: 40, communities: ['65040:4'] });
  }
  // routed → FRR: static routes, routed's AS, next hop self.
  for (const [p, fam, hop] of [[P.ours4, 'ipv4', a.routed.v4], [P.ours6, 'ipv6', a.routed.v6]] as const) {
    await frr.waitRoute(p, WAIT);
    const j = JSON.parse(await frr.vtysh(`show bgp ${fam} unicast ${p} json`)) as { paths?: FrrPath[] };
    const path = j.paths?.[0];
    t.is(path?.aspath?.string, String(ROUTED_AS));
    t.is(path?.origin, 'IGP');
    t.is(canon(path?.nexthops?.[0]?.ip ?? '?'), hop);
  }

  // Withdrawal.
  await routed.waitRoute(P.v4w, WAIT);
  await routed.waitRoute(P.v6w, WAIT);
  const conf = (fam: string, p: string): Promise<unknown> =>
    topo.run('frr', 'vtysh', ['--vty_socket', frr.vtyDir, '-d', 'bgpd', '-c', 'configure terminal', '-c', `router bgp ${FRR_AS}`, '-c', `address-family ${fam} unicast`, '-c', `no network ${p} route-map SETATTR`]);
  await conf('ipv4', P.v4w);
  await conf('ipv6', P.v6w);
  await routed.waitNoRoute(P.v4w, WAIT);
  await routed.waitNoRoute(P.v6w, WAIT);
  t.truthy(await routed.best(P.v4));

  // ROUTE-REFRESH: FRR without soft-reconfiguration inbound asks routed to re-send.
  for (const [fam, peer, local] of [['ipv4', a.frr.v4, a.routed.v4], ['ipv6', a.frr.v6, a.routed.v6]] as const) {
    const count = (): number => routed.log().split('\n').filter((l) => l.includes(`peer=${peer} `) && l.includes('event=route-refresh')).length;
    const before = count();
    await frr.vtysh(`clear bgp ${fam} unicast ${local} soft in`);
    await pollUntil(async () => count() > before, WAIT, `routed receives FRR's ${fam} ROUTE-REFRESH`, () => routed.logTail());
  }
  // RFC 7313 (negotiated both ways): routed's answer comes between a BoRR and an EoRR. FRR marks
  // routed's routes stale at the BoRR and removes, at the EoRR, those not sent again: they stay.
  const frrLog = (): string => readFileSync(`${frr.dir}/bgpd.log`, 'utf8');
  for (const [afi, local] of [['IPv4', a.routed.v4], ['IPv6', a.routed.v6]] as const) {
    for (const marker of ['BoRR', 'EoRR']) {
      // "198.18.0.2(Unknown) rcvd route-refresh (BoRR) for IPv4/unicast": FRR adds the peer's host name.
      const line = new RegExp(`${local.replace(/\./g, '\\.')}\\S* rcvd route-refresh \\(${marker}\\) for ${afi}/unicast`);
      await pollUntil(async () => line.test(frrLog()), WAIT, `FRR receives routed's ${marker} for ${afi}`, () => frr.logTail());
    }
  }
  await frr.waitRoute(P.ours4, WAIT);
  await frr.waitRoute(P.ours6, WAIT);
  // And the other way: routed asks FRR (`neighbor X refresh in`); FRR answers between its own
  // BoRR and EoRR, and routed purges nothing FRR sent again.
  for (const peer of [a.frr.v4, a.frr.v6]) {
    const rr = await routed.ctl(['neighbor', peer, 'refresh', 'in']);
    t.is(rr.code, 0, rr.stderr);
    const eorr = (): boolean => routed.log().split('\n').some((l) => l.includes(`peer=${peer} `) && l.includes('EoRR received, 0 stale routes purged'));
    await pollUntil(async () => eorr(), WAIT, `routed receives FRR's answer from ${peer} between BoRR and EoRR`, () => routed.logTail() + frr.logTail());
  }
  t.like(await routed.best(P.v4), { neighbor: a.frr.v4, med: 40 });
  t.like(await routed.best(P.v6), { neighbor: a.frr.v6, med: 40 });

  // Bad peer AS on e1: routed refuses FRR's OPEN with 2/2, and FRR logs that it received it.
  let last = '';
  await pollUntil(async () => /^sent OPEN Message Error \/ Bad Peer AS/.test((last = (await routed.neighbor(a.frr.bad)).lastError ?? '')), WAIT, `routed sends 2/2 (last: ${last})`, () => routed.logTail());
  const received = `%NOTIFICATION: received from neighbor ${a.routed.bad} 2/2 (OPEN Message Error/Bad Peer AS)`;
  await pollUntil(async () => frrLog().includes(received), WAIT, 'FRR logs the 2/2 it received', () => frr.logTail());
  // FRR's own attempts meet routed in Idle between tries: refused with a FIN, not a RST.
  t.deepEqual(frrLog().split('\n').filter((l) => l.includes(a.routed.bad) && /reset by peer/i.test(l)), []);
  const j = JSON.parse(await frr.vtysh(`show bgp neighbors ${a.routed.bad} json`)) as Record<string, { bgpState?: string }>;
  t.not(j[a.routed.bad]?.bgpState, 'Established');
  t.not((await routed.neighbor(a.frr.bad)).state, 'Established');

  // Graceful restart helper (RFC 4724): FRR (a GR helper itself, so it advertises the capability)
  // dies without a NOTIFICATION; routed keeps its routes, best and stale. FRR restarts without
  // preserved forwarding (no F bit): routed removes the stale routes at once (§4.2) and learns
  // them again.
  t.true((await routed.neighbor(a.frr.v4)).capabilities.some((c) => c.startsWith('graceful-restart')));
  await frr.kill();
  for (const p of [P.v4, P.v6]) t.true((await routed.waitRoute(p, WAIT, (x) => x.stale, 'stale')).best);
  await frr.start();
  await routed.waitEstablished(a.frr.v4, WAIT);
  const swept = (): boolean => routed.log().split('\n').some((l) => l.includes(`peer=${a.frr.v4} `) && l.includes('event=gr-sweep'));
  await pollUntil(async () => swept(), WAIT, 'routed sweeps the stale routes (no F bit)', () => routed.logTail());
  for (const [p, via] of [[P.v4, a.frr.v4], [P.v6, a.frr.v6]] as const) t.is((await routed.waitRoute(p, WAIT, (x) => !x.stale, 'learned again')).neighbor, via);
});
