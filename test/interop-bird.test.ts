// routed against a real BIRD 2 (and GoBGP downstream), in namespaces:
//
//   bird (AS 65010) ── e0 ── routed (AS 65020) ── e1 ── gobgp (AS 65030)
//
// One IPv4 session (ipv4 routes) and one IPv6 session (ipv6 routes) on each link. The serial tests
// share that topology: routes both ways and re-advertised to GoBGP, withdrawals, route refresh,
// then graceful restart (BIRD killed and started again). A second topology, two links between
// a BIRD and a routed, carries the error cases: TCP-MD5 right and wrong, and a bad peer AS each way.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { writeFileSync } from 'node:fs';

import { createTopology, type Topology } from './harness/netns.js';
import { Bird, GoBgp, pollUntil } from './harness/peers.js';
import { canonicalAddress as canon, Routed } from './harness/routed.js';

const BIRD_AS = 65010;
const ROUTED_AS = 65020;
const GOBGP_AS = 65030;
const WAIT = 20_000;

const P = {
  v4: '198.19.10.0/24',
  v6: '2001:db8:10::/48',
  v4w: '198.19.11.0/24', // withdrawn by disabling its static protocol
  v6w: '2001:db8:11::/48',
  v4gr: '198.19.12.0/24', // not in BIRD's configuration after its restart
  ours4: '198.19.20.0/24', // routed's static routes
  ours6: '2001:db8:20::/48',
};

// Export: routed's own prefixes by prefix list, and every route with a non-empty AS path (BGP's).
const PREFIX_LISTS = `prefix-lists:
  ours: [${JSON.stringify(P.ours4)}, ${JSON.stringify(P.ours6)}]
`;
const EXPORT_POLICY = `  out-bgp:
    default-action: reject
    terms:
      - { name: ours, match: { prefix-list: ours }, action: accept }
      - { name: learned, match: { as-path-length: { min: 1 } }, action: accept }
`;

interface BirdSession {
  name: string;
  local: string;
  neighbor: string;
  peerAs: number;
  family: 'ipv4' | 'ipv6';
  extra?: string[];
}

/** A BIRD configuration: statics per family, and one BGP protocol per session with one channel. */
function birdConf(logFile: string, sessions: BirdSession[], statics: Record<string, string[]>): string {
  const out = [`router id 198.18.255.10;`, `log "${logFile}" all;`, 'debug protocols { states, events };', 'protocol device { scan time 10; }'];
  for (const [name, prefixes] of Object.entries(statics)) {
    const fam = prefixes.some((p) => p.includes(':')) ? 'ipv6' : 'ipv4';
    out.push(`protocol static ${name} { ${fam}; ${prefixes.map((p) => `route ${p} blackhole;`).join(' ')} }`);
  }
  for (const s of sessions) {
    out.push(`protocol bgp ${s.name} {`, `  local ${s.local} as ${BIRD_AS};`, `  neighbor ${s.neighbor} as ${s.peerAs};`);
    out.push('  connect retry time 2;', '  error wait time 1, 3;', ...(s.extra ?? []).map((l) => `  ${l}`));
    // MED, origin and communities set here reach routed on every route BIRD sends.
    const exp = 'export filter { bgp_med = 50; bgp_origin = ORIGIN_EGP; bgp_community.add((65010, 7)); bgp_large_community.add((65010, 1, 2)); accept; }';
    out.push(`  ${s.family} { import all; ${exp}; };`, '}');
  }
  return out.join('\n') + '\n';
}

interface Shared {
  topo: Topology;
  bird: Bird;
  routed: Routed;
  gobgp: GoBgp;
  a: { bird: { v4: string; v6: string }; routed: { v4: string; v6: string } };
  b: { routed: { v4: string; v6: string }; gobgp: { v4: string; v6: string } };
  birdText: (statics: Record<string, string[]>) => string;
}

const cleanups: (() => Promise<void>)[] = [];
test.after.always(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

function logOnFailure(t: ExecutionContext, ...tails: (() => string)[]): void {
  t.teardown(() => {
    if (!t.passed) for (const tail of tails) t.log(tail());
  });
}

let shared: Promise<Shared> | undefined;

async function setup(): Promise<Shared> {
  const topo = await createTopology({ nodes: ['bird', 'routed', 'gobgp'], links: [{ a: 'bird', b: 'routed' }, { a: 'routed', b: 'gobgp' }] }, import.meta.url);
  cleanups.push(() => topo.destroy());
  const e = (n: string, p: string): { v4: string; v6: string } => ({ v4: topo.addr(n, p), v6: canon(topo.addr(n, p, 'ipv6')) });
  const a = { bird: e('bird', 'routed'), routed: e('routed', 'bird') };
  const b = { routed: e('routed', 'gobgp'), gobgp: e('gobgp', 'routed') };
  const gr = ['graceful restart on;', 'graceful restart time 60;'];
  const sessions: BirdSession[] = [
    { name: 'r4', local: a.bird.v4, neighbor: a.routed.v4, peerAs: ROUTED_AS, family: 'ipv4', extra: gr },
    { name: 'r6', local: a.bird.v6, neighbor: a.routed.v6, peerAs: ROUTED_AS, family: 'ipv6', extra: gr },
  ];
  const bird = new Bird(topo, 'bird', { routerId: '198.18.255.10', localAs: BIRD_AS, neighbors: [] }, 'router id 198.18.255.10;\n');
  const birdText = (statics: Record<string, string[]>): string => birdConf(`${bird.dir}/bird.log`, sessions, statics);
  writeFileSync(bird.config, birdText({ st4: [P.v4, P.v4gr], st4w: [P.v4w], st6: [P.v6], st6w: [P.v6w] }));
  cleanups.push(() => bird.stop());
  const gobgp = new GoBgp(topo, 'gobgp', {
    routerId: '198.18.255.30',
    localAs: GOBGP_AS,
    neighbors: [
      { address: b.routed.v4, remoteAs: ROUTED_AS, localAddress: b.gobgp.v4, passive: true, families: ['ipv4'] },
      { address: b.routed.v6, remoteAs: ROUTED_AS, localAddress: b.gobgp.v6, passive: true, families: ['ipv6'] },
    ],
  });
  cleanups.push(() => gobgp.stop());
  const routed = new Routed(topo, 'routed', {
    routerId: '198.18.255.20',
    localAs: ROUTED_AS,
    staticRoutes: [{ prefix: P.ours4 }, { prefix: P.ours6 }],
    extraYaml: PREFIX_LISTS,
    policiesYaml: EXPORT_POLICY,
    neighbors: [
      { address: a.bird.v4, remoteAs: BIRD_AS, localAddress: a.routed.v4, families: ['ipv4'], gracefulRestart: { enabled: true }, export: ['out-bgp'] },
      { address: a.bird.v6, remoteAs: BIRD_AS, localAddress: a.routed.v6, families: ['ipv6'], gracefulRestart: { enabled: true }, export: ['out-bgp'] },
      { address: b.gobgp.v4, remoteAs: GOBGP_AS, localAddress: b.routed.v4, families: ['ipv4'], export: ['out-bgp'] },
      { address: b.gobgp.v6, remoteAs: GOBGP_AS, localAddress: b.routed.v6, families: ['ipv6'], export: ['out-bgp'] },
    ],
  });
  cleanups.push(() => routed.stop());
  await Promise.all([bird.start(), gobgp.start(), routed.start()]);
  return { topo, bird, routed, gobgp, a, b, birdText };
}

const getShared = (): Promise<Shared> => (shared ??= setup());

/** `show route for PREFIX all` in BIRD, or '' while BIRD has no route for it. */
async function birdRoute(bird: Bird, prefix: string): Promise<string> {
  const text = await bird.routeDetail(prefix);
  return text.includes(prefix) ? text : '';
}

async function waitBirdRoute(bird: Bird, prefix: string, present: boolean): Promise<string> {
  let text = '';
  await pollUntil(async () => (text = await birdRoute(bird, prefix)) !== '' === present, WAIT, `bird: route ${prefix} ${present ? 'present' : 'gone'}`, () => bird.logTail());
  return text;
}

async function waitGobgp(s: Shared, prefix: string, present: boolean): Promise<void> {
  const fam = prefix.includes(':') ? 'ipv6' : 'ipv4';
  await pollUntil(async () => (await s.gobgp.routes(fam)).includes(prefix) === present, WAIT, `gobgp: route ${prefix} ${present ? 'present' : 'gone'}`, () => s.gobgp.logTail());
}

test.serial('IPv4 and IPv6 sessions come up; BIRD → routed → GoBGP and routed → BIRD carry the right attributes', async (t) => {
  const s = await getShared();
  logOnFailure(t, () => s.routed.logTail(), () => s.bird.logTail(), () => s.gobgp.logTail());
  for (const addr of [s.a.bird.v4, s.a.bird.v6, s.b.gobgp.v4, s.b.gobgp.v6]) {
    const n = await s.routed.waitEstablished(addr, WAIT);
    // Each session carries its own family only.
    t.deepEqual(n.families, [addr.includes(':') ? 'ipv6' : 'ipv4'], addr);
  }
  // routectl finds a neighbour however its address is written (2001:db8:0:0::1 is 2001:db8::1).
  t.is((await s.routed.neighbor(s.topo.addr('bird', 'routed', 'ipv6'))).address, s.a.bird.v6);
  // What BIRD originates, as routed holds it: BIRD's export filter set MED, origin and communities.
  for (const [prefix, hop, via] of [[P.v4, s.a.bird.v4, s.a.bird.v4], [P.v6, s.a.bird.v6, s.a.bird.v6]] as const) {
    const r = await s.routed.waitRoute(prefix, WAIT);
    t.like(r, { source: 'bgp', neighbor: via, nextHop: hop, asPath: String(BIRD_AS), origin: 'EGP', med: 50, communities: ['65010:7'], largeCommunities: ['65010:1:2'], stale: false });
  }
  // routed's static routes, exported by policy to BIRD: our AS, next hop our session address.
  const b4 = await waitBirdRoute(s.bird, P.ours4, true);
  t.regex(b4, new RegExp(`BGP\\.as_path: ${ROUTED_AS}\\n`));
  t.regex(b4, new RegExp(`BGP\\.next_hop: ${s.a.routed.v4.replace(/\./g, '\\.')}`));
  t.regex(b4, /BGP\.origin: IGP/);
  const b6 = await waitBirdRoute(s.bird, P.ours6, true);
  t.regex(b6, new RegExp(`BGP\\.as_path: ${ROUTED_AS}\\n`));
  t.regex(b6, new RegExp(`BGP\\.next_hop: ${s.a.routed.v6}`));
  // Split horizon: BIRD's own routes do not come back to it from routed.
  t.notRegex(await birdRoute(s.bird, P.v4), /as_path: 65020/);
  // Re-advertised to GoBGP: routed's AS prepended, next hop self, communities kept, MED dropped (eBGP → eBGP).
  for (const [prefix, fam, hop] of [[P.v4, 'ipv4', s.b.routed.v4], [P.v6, 'ipv6', s.b.routed.v6]] as const) {
    await waitGobgp(s, prefix, true);
    const g = (await s.gobgp.paths(fam)).find((p) => p.prefix === prefix);
    t.like(g, { asPath: [ROUTED_AS, BIRD_AS], nextHop: hop, origin: 1, med: undefined, communities: ['65010:7'] });
  }
  for (const [prefix, fam, hop] of [[P.ours4, 'ipv4', s.b.routed.v4], [P.ours6, 'ipv6', s.b.routed.v6]] as const) {
    await waitGobgp(s, prefix, true);
    t.like((await s.gobgp.paths(fam)).find((p) => p.prefix === prefix), { asPath: [ROUTED_AS], nextHop: hop, origin: 0 });
  }
});

test.serial('a route BIRD withdraws leaves routed and GoBGP', async (t) => {
  const s = await getShared();
  logOnFailure(t, () => s.routed.logTail(), () => s.bird.logTail(), () => s.gobgp.logTail());
  await s.routed.waitRoute(P.v4w, WAIT);
  await s.routed.waitRoute(P.v6w, WAIT);
  await waitGobgp(s, P.v4w, true);
  await waitGobgp(s, P.v6w, true);
  await s.bird.birdc('disable st4w');
  await s.bird.birdc('disable st6w');
  await s.routed.waitNoRoute(P.v4w, WAIT);
  await s.routed.waitNoRoute(P.v6w, WAIT);
  await waitGobgp(s, P.v4w, false);
  await waitGobgp(s, P.v6w, false);
  // The others stay.
  t.truthy(await s.routed.best(P.v4));
  t.true((await s.gobgp.routes('ipv6')).includes(P.v6));
});

/** BIRD's count of UPDATE-carried route changes received on a protocol (`show protocols all`). */
async function birdImportUpdates(bird: Bird, proto: string): Promise<number> {
  const m = /Import updates:\s+(\d+)/.exec(await bird.birdc(`show protocols all ${proto}`));
  if (!m) throw new Error(`no import statistics for ${proto}`);
  return Number(m[1]);
}

test.serial('BIRD reload in sends ROUTE-REFRESH; routed re-sends its Adj-RIB-Out; routed refresh in is answered', async (t) => {
  const s = await getShared();
  logOnFailure(t, () => s.routed.logTail(), () => s.bird.logTail());
  for (const [proto, prefix, family] of [['r4', P.ours4, 'ipv4'], ['r6', P.ours6, 'ipv6']] as const) {
    await waitBirdRoute(s.bird, prefix, true);
    const before = await birdImportUpdates(s.bird, proto);
    const refreshes = s.routed.log().split('\n').filter((l) => l.includes('event=route-refresh') && l.includes(`family=${family}`)).length;
    await s.bird.birdc(`reload in ${proto}`);
    await pollUntil(async () => (await birdImportUpdates(s.bird, proto)) > before, WAIT, `bird ${proto}: routes received again after reload in`, () => s.routed.logTail());
    const after = s.routed.log().split('\n').filter((l) => l.includes('event=route-refresh') && l.includes(`family=${family}`)).length;
    t.true(after > refreshes, `routed logged the ${family} ROUTE-REFRESH`);
    t.truthy(await birdRoute(s.bird, prefix));
  }
  // And routed asks BIRD (`routectl neighbor X refresh in`): BIRD answers between a BoRR and an
  // EoRR (RFC 7313, on by default in BIRD), and routed purges nothing BIRD sent again.
  for (const [peer, prefix] of [[s.a.bird.v4, P.v4], [s.a.bird.v6, P.v6]] as const) {
    const ends = (): number => s.routed.log().split('\n').filter((l) => l.includes(`peer=${peer} `) && l.includes('EoRR received, 0 stale routes purged')).length;
    const before = ends();
    const rr = await s.routed.ctl(['neighbor', peer, 'refresh', 'in']);
    t.is(rr.code, 0, rr.stderr);
    await pollUntil(async () => ends() > before, WAIT, `routed receives BIRD's answer from ${peer} between BoRR and EoRR`, () => s.routed.logTail());
    t.is((await s.routed.best(prefix))?.neighbor, peer);
  }
});

test.serial('graceful restart helper: BIRD killed → its routes stay best and stale; after its restart, End-of-RIB sweeps what it no longer has', async (t) => {
  const s = await getShared();
  logOnFailure(t, () => s.routed.logTail(60), () => s.bird.logTail(), () => s.gobgp.logTail());
  const n = await s.routed.neighbor(s.a.bird.v4);
  t.true(n.capabilities.some((c) => c.startsWith('graceful-restart')), n.capabilities.join(','));
  await s.routed.waitRoute(P.v4gr, WAIT);
  await s.bird.kill();
  for (const prefix of [P.v4, P.v6, P.v4gr]) {
    const r = await s.routed.waitRoute(prefix, WAIT, (p) => p.stale, 'stale');
    t.true(r.best);
  }
  // Still advertised downstream while stale.
  t.true((await s.gobgp.routes('ipv4')).includes(P.v4gr));
  t.not((await s.routed.neighbor(s.a.bird.v4)).state, 'Established');
  // BIRD comes back in graceful-restart recovery (-R) without 198.19.12.0/24.
  writeFileSync(s.bird.config, s.birdText({ st4: [P.v4], st4w: [P.v4w], st6: [P.v6], st6w: [P.v6w] }));
  await s.bird.start(10_000, ['-R']);
  await s.routed.waitEstablished(s.a.bird.v4, WAIT);
  await s.routed.waitEstablished(s.a.bird.v6, WAIT);
  await s.routed.waitNoRoute(P.v4gr, WAIT);
  await waitGobgp(s, P.v4gr, false);
  for (const prefix of [P.v4, P.v6, P.v4w, P.v6w]) {
    const r = await s.routed.waitRoute(prefix, WAIT, (p) => !p.stale, 'no longer stale');
    t.is(r.neighbor, prefix.includes(':') ? s.a.bird.v6 : s.a.bird.v4);
  }
  // BIRD in recovery preserved forwarding (F bit): the stale routes waited for its End-of-RIB.
  const grLines = (peer: string, event: string): string[] => s.routed.log().split('\n').filter((l) => l.includes(`peer=${peer} `) && l.includes(`event=${event}`));
  t.true(grLines(s.a.bird.v4, 'end-of-rib').length >= 2, 'End-of-RIB before and after the restart');
  t.deepEqual(grLines(s.a.bird.v4, 'gr-sweep'), []);

  // Killed again and started normally (no -R): no F bit, so routed drops the stale routes at once
  // (RFC 4724 §4.2) instead of waiting for End-of-RIB.
  await s.bird.kill();
  await s.routed.waitRoute(P.v4, WAIT, (p) => p.stale, 'stale');
  await s.bird.start();
  await s.routed.waitEstablished(s.a.bird.v4, WAIT);
  await pollUntil(async () => grLines(s.a.bird.v4, 'gr-sweep').length > 0, WAIT, 'routed sweeps stale routes without the F bit', () => s.routed.logTail());
  await s.routed.waitRoute(P.v4, WAIT, (p) => !p.stale, 'learned again');
});

type Ends = { a: { v4: string; v6: string }; b: { v4: string; v6: string } };

/** A TcpExt counter of a namespace (/proc/net/netstat is per network namespace). */
async function tcpExt(topo: Topology, node: string, name: string): Promise<number> {
  const lines = (await topo.run(node, 'cat', ['/proc/net/netstat'])).stdout.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const keys = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  return Number(values[keys.indexOf(name)] ?? NaN);
}

test('TCP-MD5 and bad peer AS: right password Established, wrong password never OPENs, wrong AS either way is NOTIFICATION 2/2', async (t) => {
  const topo = await createTopology({ nodes: ['bird', 'routed'], links: [{ a: 'bird', b: 'routed' }, { a: 'bird', b: 'routed' }] }, `${import.meta.url}err`);
  cleanups.push(() => topo.destroy());
  const [l0, l1] = topo.links.map((l) => ({ a: { v4: l.a.v4, v6: canon(l.a.v6) }, b: { v4: l.b.v4, v6: canon(l.b.v6) } })) as [Ends, Ends];
  const sessions: BirdSession[] = [
    { name: 'md5ok', local: l0.a.v4, neighbor: l0.b.v4, peerAs: ROUTED_AS, family: 'ipv4', extra: ['password "s3cret";'] },
    { name: 'md5bad', local: l0.a.v6, neighbor: l0.b.v6, peerAs: ROUTED_AS, family: 'ipv6', extra: ['password "wrong";'] },
    // routed expects another AS from BIRD here: routed sends the NOTIFICATION.
    { name: 'asbyrouted', local: l1.a.v4, neighbor: l1.b.v4, peerAs: ROUTED_AS, family: 'ipv4' },
    // BIRD expects another AS from routed here: BIRD sends it.
    { name: 'asbybird', local: l1.a.v6, neighbor: l1.b.v6, peerAs: 65998, family: 'ipv6' },
  ];
  const bird = new Bird(topo, 'bird', { routerId: '198.18.255.10', localAs: BIRD_AS, neighbors: [] }, 'router id 198.18.255.10;\n');
  writeFileSync(bird.config, birdConf(`${bird.dir}/bird.log`, sessions, {}));
  cleanups.push(() => bird.stop());
  const routed = new Routed(topo, 'routed', {
    routerId: '198.18.255.20',
    localAs: ROUTED_AS,
    neighbors: [
      { address: l0.a.v4, remoteAs: BIRD_AS, localAddress: l0.b.v4, families: ['ipv4'], password: 's3cret' },
      { address: l0.a.v6, remoteAs: BIRD_AS, localAddress: l0.b.v6, families: ['ipv6'], password: 's3cret' },
      { address: l1.a.v4, remoteAs: 65999, localAddress: l1.b.v4, families: ['ipv4'] },
      { address: l1.a.v6, remoteAs: BIRD_AS, localAddress: l1.b.v6, families: ['ipv6'] },
    ],
  });
  cleanups.push(() => routed.stop());
  logOnFailure(t, () => routed.logTail(60), () => bird.logTail(60));
  await Promise.all([bird.start(), routed.start()]);

  await routed.waitEstablished(l0.a.v4, WAIT);
  await pollUntil(async () => (await bird.birdc('show protocols md5ok')).includes('Established'), WAIT, 'bird md5ok Established', () => bird.logTail());

  // routed's OPEN check: RFC 4271 §6.2 "If the Autonomous System field of the OPEN message is
  // unacceptable, then the Error Subcode MUST be set to Bad Peer AS."
  let lastError = '';
  await pollUntil(async () => /^sent OPEN Message Error.*Bad Peer AS/i.test((lastError = (await routed.neighbor(l1.a.v4)).lastError ?? '')), WAIT, `routed sends 2/2 to ${l1.a.v4} (last: ${lastError})`, () => routed.logTail());
  await pollUntil(async () => /Last error:\s+Received: Bad peer AS/i.test(await bird.birdc('show protocols all asbyrouted')), WAIT, 'bird shows the 2/2 it received', () => bird.logTail());
  // BIRD's check of routed's AS: routed shows what it received.
  await pollUntil(async () => /^received OPEN Message Error.*Bad Peer AS/i.test((lastError = (await routed.neighbor(l1.a.v6)).lastError ?? '')), WAIT, `routed receives 2/2 from ${l1.a.v6} (last: ${lastError})`, () => routed.logTail());
  let shown = '';
  await pollUntil(async () => /Last error:\s+BGP Error: Bad peer AS/.test((shown = await bird.birdc('show protocols all asbybird'))), WAIT, 'bird shows the 2/2 it sent', () => shown);

  // Wrong key: each side's kernel drops the other's signed SYNs (RFC 2385 §2.0), counted in
  // TCPMD5Failure; wait until both have dropped some, then nothing got as far as an OPEN.
  await pollUntil(async () => (await tcpExt(topo, 'routed', 'TCPMD5Failure')) >= 2 && (await tcpExt(topo, 'bird', 'TCPMD5Failure')) >= 2, WAIT, 'TCP-MD5 failures counted on both sides', () => routed.logTail());
  const bad = await routed.neighbor(l0.a.v6);
  t.true(['Idle', 'Connect', 'Active'].includes(bad.state), bad.state);
  const opened = routed.log().split('\n').filter((l) => l.includes(`peer=${l0.a.v6}`) && /-> (OpenSent|OpenConfirm|Established)/.test(l));
  t.deepEqual(opened, []);
  t.regex(await bird.birdc('show protocols md5bad'), /md5bad\s+BGP\s+\S+\s+start\s+\S+\s+(Connect|Active|Idle)/);
});
