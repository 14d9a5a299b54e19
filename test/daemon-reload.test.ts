// Reload (routectl reload, SIGHUP) of a running routed against a real BIRD 2, in namespaces:
//
//   bird (AS 65010) ── routed (AS 65020)      one IPv4 session (r4) and one IPv6 session (r6)
//
// The serial tests share the topology and edit routed's file between reloads. "No flap" is read
// on both sides: BIRD's log (debug states: every state change and every NOTIFICATION received is
// a line naming the protocol) and routed's `show neighbors` (the time in the current state only
// grows while nothing happens to the session).

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';

import { createTopology, type Topology } from './harness/netns.js';
import { Bird, pollUntil } from './harness/peers.js';
import { canonicalAddress as canon, Routed, routedYaml, type RoutedSpec } from './harness/routed.js';
import type { NeighborView } from '../src/mgmt/views.js';

const BIRD_AS = 65010;
const ROUTED_AS = 65020;
const WAIT = 20_000;

const P = {
  a4: '198.19.40.0/24', // from BIRD over r4
  b4: '198.19.41.0/24', // from BIRD over r4
  a6: '2001:db8:40::/48', // from BIRD over r6
  ours4: '198.19.50.0/24', // routed's static route, exported to BIRD by policy
  extra4: '198.19.51.0/24', // a static route added by a reload
};

const POLICIES = `  reject-all:
    default-action: reject
  drop-b:
    default-action: accept
    terms:
      - { name: b, match: { prefix: [${JSON.stringify(P.b4)}] }, action: reject }
`;

interface Shared {
  topo: Topology;
  bird: Bird;
  routed: Routed;
  v4: { bird: string; routed: string };
  v6: { bird: string; routed: string };
  spec: RoutedSpec;
}

const cleanups: (() => Promise<void>)[] = [];
test.after.always(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

function birdConf(logFile: string, v4: Shared['v4'], v6: Shared['v6']): string {
  return [
    'router id 198.18.255.10;',
    `log "${logFile}" all;`,
    'debug protocols { states, events };',
    'protocol device { scan time 10; }',
    `protocol static st4 { ipv4; route ${P.a4} blackhole; route ${P.b4} blackhole; }`,
    `protocol static st6 { ipv6; route ${P.a6} blackhole; }`,
    `protocol bgp r4 { local ${v4.bird} as ${BIRD_AS}; neighbor ${v4.routed} as ${ROUTED_AS}; connect retry time 2; error wait time 1, 3; ipv4 { import all; export all; }; }`,
    `protocol bgp r6 { local ${v6.bird} as ${BIRD_AS}; neighbor ${v6.routed} as ${ROUTED_AS}; connect retry time 2; error wait time 1, 3; ipv6 { import all; export all; }; }`,
  ].join('\n') + '\n';
}

let shared: Promise<Shared> | undefined;

async function setup(): Promise<Shared> {
  const topo = await createTopology({ nodes: ['bird', 'routed'], links: [{ a: 'bird', b: 'routed' }] }, import.meta.url);
  cleanups.push(() => topo.destroy());
  const v4 = { bird: topo.addr('bird', 'routed'), routed: topo.addr('routed', 'bird') };
  const v6 = { bird: canon(topo.addr('bird', 'routed', 'ipv6')), routed: canon(topo.addr('routed', 'bird', 'ipv6')) };
  const bird = new Bird(topo, 'bird', { routerId: '198.18.255.10', localAs: BIRD_AS, neighbors: [] }, 'router id 198.18.255.10;\n');
  writeFileSync(bird.config, birdConf(`${bird.dir}/bird.log`, v4, v6));
  cleanups.push(() => bird.stop());
  const spec: RoutedSpec = {
    routerId: '198.18.255.20',
    localAs: ROUTED_AS,
    logLevel: 'info',
    staticRoutes: [{ prefix: P.ours4 }],
    policiesYaml: POLICIES,
    neighbors: [
      { address: v4.bird, remoteAs: BIRD_AS, localAddress: v4.routed, families: ['ipv4'], description: 'bird-v4', export: ['reject-all'] },
      { address: v6.bird, remoteAs: BIRD_AS, localAddress: v6.routed, families: ['ipv6'], description: 'bird-v6' },
    ],
  };
  const routed = new Routed(topo, 'routed', spec);
  cleanups.push(() => routed.stop());
  await Promise.all([bird.start(), routed.start()]);
  await Promise.all([routed.waitEstablished(v4.bird, WAIT), routed.waitEstablished(v6.bird, WAIT)]);
  return { topo, bird, routed, v4, v6, spec };
}

const getShared = (): Promise<Shared> => (shared ??= setup());

function logOnFailure(t: ExecutionContext, s: Shared): void {
  t.teardown(() => {
    if (!t.passed) for (const tail of [s.routed.logTail(60), s.bird.logTail(40)]) t.log(tail);
  });
}

/** Write routed's file from the spec with `edit` applied (the shared spec is updated too). */
function writeSpec(s: Shared, edit: (spec: RoutedSpec) => RoutedSpec): void {
  s.spec = edit(s.spec);
  writeFileSync(s.routed.configFile, routedYaml(s.spec, s.routed.socket));
}

/** One neighbour of the spec changed. */
function neighborEdit(address: string, change: Partial<RoutedSpec['neighbors'][number]>): (spec: RoutedSpec) => RoutedSpec {
  return (spec) => ({ ...spec, neighbors: spec.neighbors.map((n) => (n.address === address ? { ...n, ...change } : n)) });
}

async function reload(s: Shared): Promise<{ code: number; stdout: string; stderr: string }> {
  return s.routed.ctl(['reload']);
}

async function reloadOk(t: ExecutionContext, s: Shared): Promise<string> {
  const r = await reload(s);
  t.is(r.code, 0, `routectl reload: ${r.stderr}`);
  return r.stdout;
}

function birdLog(s: Shared): string {
  try {
    return readFileSync(`${s.bird.dir}/bird.log`, 'utf8');
  } catch {
    return '';
  }
}

/** BIRD's log lines about protocol `proto` that say its session changed or a NOTIFICATION arrived. */
function birdEvents(s: Shared, proto: string): string[] {
  return birdLog(s)
    .split('\n')
    .filter((l) => new RegExp(`\\b${proto}: (State changed|Received: )`).test(l));
}

/** A mark of a session's history: BIRD's events for it and routed's view. */
async function mark(s: Shared, proto: 'r4' | 'r6'): Promise<{ events: number; view: NeighborView }> {
  const address = proto === 'r4' ? s.v4.bird : s.v6.bird;
  return { events: birdEvents(s, proto).length, view: await s.routed.neighbor(address) };
}

/** Nothing happened to the session since `before`: no BIRD event, still Established, its time in state grew. */
async function untouched(t: ExecutionContext, s: Shared, proto: 'r4' | 'r6', before: { events: number; view: NeighborView }): Promise<void> {
  const now = await mark(s, proto);
  t.deepEqual(birdEvents(s, proto).slice(before.events), [], `${proto}: BIRD saw no state change and no NOTIFICATION`);
  t.is(now.view.state, 'Established', proto);
  t.true(now.view.sinceSeconds > before.view.sinceSeconds, `${proto}: in Established since before the reload (${before.view.sinceSeconds} s then, ${now.view.sinceSeconds} s now)`);
}

async function waitBirdRoute(s: Shared, prefix: string, present: boolean): Promise<void> {
  const fam = prefix.includes(':') ? 'ipv6' : 'ipv4';
  await pollUntil(async () => (await s.bird.routes(fam)).includes(prefix) === present, WAIT, `bird: ${prefix} ${present ? 'present' : 'gone'}`, () => s.bird.logTail());
}

/** Wait until BIRD's log has a line for `proto` matching `re` after `from` lines of its events. */
async function waitBirdEvent(s: Shared, proto: string, from: number, re: RegExp): Promise<void> {
  await pollUntil(async () => birdEvents(s, proto).slice(from).some((l) => re.test(l)), WAIT, `bird: ${proto} event ${re}`, () => s.bird.logTail());
}

test.serial('an unrelated change (description, a static route) reloads without touching either session', async (t) => {
  const s = await getShared();
  logOnFailure(t, s);
  await s.routed.waitRoute(P.a4, WAIT);
  const [r4, r6] = [await mark(s, 'r4'), await mark(s, 'r6')];
  writeSpec(s, (spec) => neighborEdit(s.v4.bird, { description: 'bird-v4-renamed' })({ ...spec, staticRoutes: [...(spec.staticRoutes ?? []), { prefix: P.extra4 }] }));
  const out = await reloadOk(t, s);
  t.regex(out, /updated without reset \(description\)/);
  t.regex(out, /static routes: 1 added, 0 removed, 0 changed/);
  t.is((await s.routed.neighbor(s.v4.bird)).description, 'bird-v4-renamed');
  await s.routed.waitRoute(P.extra4, WAIT, (p) => p.source === 'static');
  // The same file again: nothing to do.
  t.regex(await reloadOk(t, s), /^no changes$/m);
  await untouched(t, s, 'r4', r4);
  await untouched(t, s, 'r6', r6);
});

test.serial('policy changes run import and export again without a reset', async (t) => {
  const s = await getShared();
  logOnFailure(t, s);
  await s.routed.waitRoute(P.b4, WAIT);
  await waitBirdRoute(s, P.ours4, false);
  const [r4, r6] = [await mark(s, 'r4'), await mark(s, 'r6')];

  // The neighbour's lists: import drops b4, export now announces the static routes.
  writeSpec(s, neighborEdit(s.v4.bird, { import: ['drop-b'], export: ['accept-all'] }));
  t.regex(await reloadOk(t, s), new RegExp(`neighbor ${s.v4.bird}: import and export policy run again \\(no reset\\)`));
  await s.routed.waitNoRoute(P.b4, WAIT);
  t.truthy(await s.routed.best(P.a4), `${P.a4} still accepted`);
  await waitBirdRoute(s, P.ours4, true);

  // A policy definition: drop-b now drops a4 instead; only import of its users runs again.
  writeSpec(s, (spec) => ({ ...spec, policiesYaml: POLICIES.replace(JSON.stringify(P.b4), JSON.stringify(P.a4)) }));
  t.regex(await reloadOk(t, s), new RegExp(`neighbor ${s.v4.bird}: import policy run again`));
  await s.routed.waitNoRoute(P.a4, WAIT);
  await s.routed.waitRoute(P.b4, WAIT);

  // Export back to nothing: BIRD loses the route.
  writeSpec(s, neighborEdit(s.v4.bird, { export: ['reject-all'] }));
  await reloadOk(t, s);
  await waitBirdRoute(s, P.ours4, false);
  await untouched(t, s, 'r4', r4);
  await untouched(t, s, 'r6', r6);

  writeSpec(s, (spec) => neighborEdit(s.v4.bird, { import: ['accept-all'] })({ ...spec, policiesYaml: POLICIES }));
  await reloadOk(t, s);
  await s.routed.waitRoute(P.a4, WAIT);
});

test.serial('a transport change resets that session only, with Cease / Administrative Reset', async (t) => {
  const s = await getShared();
  logOnFailure(t, s);
  const [r4, r6] = [await mark(s, 'r4'), await mark(s, 'r6')];
  writeSpec(s, neighborEdit(s.v6.bird, { holdTime: 60 }));
  t.regex(await reloadOk(t, s), new RegExp(`neighbor ${s.v6.bird}: session reset \\(hold-time, keepalive\\)`));
  await waitBirdEvent(s, 'r6', r6.events, /Received: Administrative reset/);
  const back = await s.routed.waitEstablished(s.v6.bird, WAIT);
  t.is(back.holdTime, 60);
  await s.routed.waitRoute(P.a6, WAIT);
  await untouched(t, s, 'r4', r4);
});

test.serial('a neighbour removed gets Cease / Peer De-configured and its routes go; added again, it comes up', async (t) => {
  const s = await getShared();
  logOnFailure(t, s);
  const r4 = await mark(s, 'r4');
  const r6 = await mark(s, 'r6');
  const v6 = s.spec.neighbors.find((n) => n.address === s.v6.bird)!;
  writeSpec(s, (spec) => ({ ...spec, neighbors: spec.neighbors.filter((n) => n !== v6) }));
  t.regex(await reloadOk(t, s), new RegExp(`neighbor ${s.v6.bird}: removed`));
  await waitBirdEvent(s, 'r6', r6.events, /Received: Peer de-configured/);
  t.is((await s.routed.ctl(['show', 'neighbors', s.v6.bird])).code, 1, 'no longer a neighbour');
  await s.routed.waitNoRoute(P.a6, WAIT);

  writeSpec(s, (spec) => ({ ...spec, neighbors: [...spec.neighbors, v6] }));
  t.regex(await reloadOk(t, s), new RegExp(`neighbor ${s.v6.bird}: added`));
  await s.routed.waitEstablished(s.v6.bird, WAIT);
  await s.routed.waitRoute(P.a6, WAIT);
  await untouched(t, s, 'r4', r4);
});

test.serial('a bad file changes nothing: file:line:col in the reply and the log, exit 4, the old configuration runs on', async (t) => {
  const s = await getShared();
  logOnFailure(t, s);
  const [r4, r6] = [await mark(s, 'r4'), await mark(s, 'r6')];
  const good = readFileSync(s.routed.configFile, 'utf8');
  // Two edits, one of them wrong: neither may apply.
  const text = routedYaml(neighborEdit(s.v4.bird, { import: ['no-such-policy'], description: 'never' })(s.spec), s.routed.socket);
  writeFileSync(s.routed.configFile, text);
  const line = text.split('\n').findIndex((l) => l.includes('no-such-policy')) + 1;
  const r = await reload(s);
  t.is(r.code, 4);
  const where = new RegExp(`${s.routed.configFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${line}:\\d+: unknown policy "no-such-policy"`);
  t.regex(r.stderr, where);
  t.regex(r.stderr, /running configuration is unchanged/);
  t.regex(s.routed.log(), where);
  t.is((await s.routed.neighbor(s.v4.bird)).description, 'bird-v4-renamed');
  t.truthy(await s.routed.best(P.a4), 'import unchanged: still accepted');
  await untouched(t, s, 'r4', r4);
  await untouched(t, s, 'r6', r6);
  // Fixed, it reloads (nothing was left half-done or locked).
  writeFileSync(s.routed.configFile, good);
  t.regex(await reloadOk(t, s), /^no changes$/m);
});

test.serial('the log level changes on reload', async (t) => {
  const s = await getShared();
  logOnFailure(t, s);
  const debugLines = (): string[] => s.routed.log().split('\n').filter((l) => /^\S+ debug /.test(l));
  const before = debugLines().length;
  t.is(before, 0, 'nothing at debug while the level is info');
  writeSpec(s, (spec) => ({ ...spec, logLevel: 'debug' }));
  t.regex(await reloadOk(t, s), /log level info -> debug/);
  t.true(debugLines().some((l) => l.includes('reload: running configuration replaced')));
  writeSpec(s, (spec) => ({ ...spec, logLevel: 'info' }));
  t.regex(await reloadOk(t, s), /log level debug -> info/);
  const after = debugLines().length;
  await reloadOk(t, s);
  t.is(debugLines().length, after, 'back at info: no more debug lines');
});

test.serial('SIGHUP reloads', async (t) => {
  const s = await getShared();
  logOnFailure(t, s);
  const r4 = await mark(s, 'r4');
  writeSpec(s, neighborEdit(s.v4.bird, { description: 'from-sighup' }));
  process.kill(s.routed.pid!, 'SIGHUP');
  await pollUntil(async () => (await s.routed.neighbor(s.v4.bird)).description === 'from-sighup', WAIT, 'description from the SIGHUP reload', () => s.routed.logTail());
  t.regex(s.routed.log(), /reload \(SIGHUP\): reading/);
  await untouched(t, s, 'r4', r4);
});

test.serial('a new router id resets every session (as BIRD and FRR do), and the peer sees the new id', async (t) => {
  const s = await getShared();
  logOnFailure(t, s);
  const [r4, r6] = [await mark(s, 'r4'), await mark(s, 'r6')];
  writeSpec(s, (spec) => ({ ...spec, routerId: '198.18.255.21' }));
  const out = await reloadOk(t, s);
  t.regex(out, /session reset \(router-id changed\)/);
  await waitBirdEvent(s, 'r4', r4.events, /Received: Administrative reset/);
  await waitBirdEvent(s, 'r6', r6.events, /Received: Administrative reset/);
  await s.routed.waitEstablished(s.v4.bird, WAIT);
  await s.routed.waitEstablished(s.v6.bird, WAIT);
  const neighborId = /Neighbor ID:\s+198\.18\.255\.21/;
  await pollUntil(async () => neighborId.test(await s.bird.birdc('show protocols all r4')), WAIT, 'bird: r4 neighbor id', () => s.bird.logTail());
  t.regex(await s.bird.birdc('show protocols all r6'), neighborId);
});
