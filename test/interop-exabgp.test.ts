// routed against a real ExaBGP, in namespaces: exabgp (AS 65050) ═ routed (AS 65020) over two
// links. ExaBGP connects out (routed is passive for it) over IPv4 and over IPv6 on e0, one family
// per session, and announces its static routes (with MED, origin and a community); routed
// receives them and sends its own static routes back. Through ExaBGP's API it announces and
// withdraws more routes, and asks routed for a route refresh (routed re-sends its routes). On e1
// routed expects another AS: its OPEN check sends 2/2, and ExaBGP reports the session down for
// that NOTIFICATION. Last, ExaBGP is killed and started again: routed as its graceful-restart helper. (routed's own `refresh in` is not tried here: ExaBGP 4.2.21 resets the
// session when it receives a ROUTE-REFRESH, a TypeError in its update code, Exa-Networks/exabgp#1237.)

import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';

import { createTopology } from './harness/netns.js';
import { ExaBgp, pollUntil } from './harness/peers.js';
import { canonicalAddress as canon, Routed } from './harness/routed.js';

const EXA_AS = 65050;
const ROUTED_AS = 65020;
const WAIT = 20_000;
const P = { v4: '198.19.50.0/24', v6: '2001:db8:50::/48', v4w: '198.19.51.0/24', v6w: '2001:db8:51::/48', ours4: '198.19.20.0/24', ours6: '2001:db8:20::/48' };

test('ExaBGP connects to a passive routed over IPv4 and IPv6; routes both ways, withdrawal, route refresh from ExaBGP, bad peer AS sent, graceful-restart helper', async (t) => {
  const topo = await createTopology({ nodes: ['exa', 'routed'], links: [{ a: 'exa', b: 'routed' }, { a: 'exa', b: 'routed' }] }, import.meta.url);
  t.teardown(() => topo.destroy());
  const [l0, l1] = [topo.links[0]!, topo.links[1]!];
  const e = { v4: l0.a.v4, v6: canon(l0.a.v6), bad: l1.a.v4 };
  const r = { v4: l0.b.v4, v6: canon(l0.b.v6), bad: l1.b.v4 };
  const exa = new ExaBgp(topo, 'exa', {
    routerId: '198.18.255.50',
    localAs: EXA_AS,
    neighbors: [
      { address: r.v4, remoteAs: ROUTED_AS, localAddress: e.v4, families: ['ipv4'], gracefulRestartTime: 60 },
      { address: r.v6, remoteAs: ROUTED_AS, localAddress: e.v6, families: ['ipv6'], gracefulRestartTime: 60 },
      { address: r.bad, remoteAs: ROUTED_AS, localAddress: e.bad, families: ['ipv4'] },
    ],
    originate: [P.v4, P.v6],
    nextHopV6: e.v6,
  });
  // The statics with attributes: ExaBGP's `route … med … origin … community […]`.
  const conf = readFileSync(exa.config, 'utf8').replace(/(route \S+ next-hop \S+);/g, '$1 med 70 origin egp community [65050:5];');
  writeFileSync(exa.config, conf);
  const routed = new Routed(topo, 'routed', {
    routerId: '198.18.255.20',
    localAs: ROUTED_AS,
    staticRoutes: [{ prefix: P.ours4 }, { prefix: P.ours6 }],
    neighbors: [
      { address: e.v4, remoteAs: EXA_AS, localAddress: r.v4, families: ['ipv4'], passive: true },
      { address: e.v6, remoteAs: EXA_AS, localAddress: r.v6, families: ['ipv6'], passive: true },
      // routed expects another AS from ExaBGP here: routed sends the NOTIFICATION.
      { address: e.bad, remoteAs: 65999, localAddress: r.bad, families: ['ipv4'], passive: true },
    ],
  });
  t.teardown(async () => {
    if (!t.passed) t.log(routed.logTail(50), exa.logTail(30));
    await routed.stop();
    await exa.stop();
  });
  await routed.start();
  await exa.start();
  for (const addr of [e.v4, e.v6]) {
    const n = await routed.waitEstablished(addr, WAIT);
    t.deepEqual(n.families, [addr.includes(':') ? 'ipv6' : 'ipv4']);
  }
  for (const [p, via] of [[P.v4, e.v4], [P.v6, e.v6]] as const) {
    const best = await routed.waitRoute(p, WAIT);
    t.like(best, { source: 'bgp', neighbor: via, nextHop: via, asPath: String(EXA_AS), origin: 'EGP', med: 70, communities: ['65050:5'] });
  }
  // routed's own routes reach ExaBGP (its API process records the UPDATEs).
  await exa.waitRoute(P.ours4, WAIT);
  await exa.waitRoute(P.ours6, WAIT);
  // … with routed's AS and next hop self: ExaBGP's JSON keys announcements by next hop.
  for (const [p, fam, hop] of [[P.ours4, 'ipv4 unicast', r.v4], [P.ours6, 'ipv6 unicast', r.v6]] as const) {
    const update = exa
      .messages()
      .map((m) => m.neighbor?.message?.update as { attribute?: { 'as-path'?: number[] }; announce?: Record<string, Record<string, { nlri?: string }[]>> } | undefined)
      .find((u) => Object.values(u?.announce?.[fam] ?? {}).some((l) => l.some((x) => x.nlri === p)));
    const hops = Object.entries(update?.announce?.[fam] ?? {}).filter(([, l]) => l.some((x) => x.nlri === p)).map(([h]) => canon(h));
    t.deepEqual(hops, [hop]);
    t.deepEqual(update?.attribute?.['as-path'], [ROUTED_AS]);
  }

  // Announced and withdrawn through ExaBGP's API.
  for (const [p, local, hop] of [[P.v4w, r.v4, e.v4], [P.v6w, r.v6, e.v6]] as const) {
    exa.command(`neighbor ${local} announce route ${p} next-hop ${hop}`);
    t.like(await routed.waitRoute(p, WAIT), { neighbor: hop, nextHop: hop });
    exa.command(`neighbor ${local} withdraw route ${p} next-hop ${hop}`);
    await routed.waitNoRoute(p, WAIT);
  }
  t.truthy(await routed.best(P.v4));

  // ExaBGP asks for a route refresh: routed re-sends its routes (ExaBGP records the UPDATE again).
  const announcedOurs = (): number => exa.messages().filter((m) => Object.values(m.neighbor?.message?.update?.announce?.['ipv4 unicast'] ?? {}).some((l) => l.some((x) => x.nlri === P.ours4))).length;
  const before = announcedOurs();
  exa.command(`neighbor ${r.v4} announce route-refresh ipv4 unicast`);
  await pollUntil(async () => routed.log().split('\n').some((l) => l.includes(`peer=${e.v4} `) && l.includes('event=route-refresh ')), WAIT, 'routed receives ExaBGP\'s ROUTE-REFRESH', () => routed.logTail());
  await pollUntil(async () => announcedOurs() > before, WAIT, 'ExaBGP receives routed\'s routes again', () => exa.logTail());

  // Bad peer AS on e1: ExaBGP reports the session down for routed's 2/2.
  let last = '';
  await pollUntil(async () => /^sent OPEN Message Error \/ Bad Peer AS/.test((last = (await routed.neighbor(e.bad)).lastError ?? '')), WAIT, `routed sends 2/2 (last: ${last})`, () => routed.logTail());
  const downReasons = (): string[] =>
    exa.messages().filter((m) => m.type === 'state' && m.neighbor?.address?.peer === r.bad).map((m) => (m.neighbor as { reason?: string }).reason ?? '');
  await pollUntil(async () => downReasons().some((x) => /notification received \(2,2\).*Bad Peer AS/.test(x)), WAIT, 'ExaBGP reports the 2/2 it received', () => exa.logTail());
  // Refused between attempts (routed Idle): closed, never reset.
  t.deepEqual(downReasons().filter((x) => /reset by peer|ECONNRESET/i.test(x)), []);

  // Graceful restart helper (RFC 4724): ExaBGP dies without a NOTIFICATION; routed keeps its
  // routes, best and stale; ExaBGP back (its statics again): learned afresh, no longer stale.
  t.true((await routed.neighbor(e.v4)).capabilities.some((c) => c.startsWith('graceful-restart')));
  await exa.kill();
  for (const p of [P.v4, P.v6]) t.true((await routed.waitRoute(p, WAIT, (x) => x.stale, 'stale')).best);
  await exa.start();
  for (const [p, via] of [[P.v4, e.v4], [P.v6, e.v6]] as const) t.is((await routed.waitRoute(p, WAIT, (x) => !x.stale, 'learned again')).neighbor, via);
});
