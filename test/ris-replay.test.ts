// The RIS capture (test/data/ris-rrc15-updates.20100227.1600.gz, the shared
// ../shared/data/mrt file) replayed into routed and into BIRD gives the same best path — the same
// neighbour and the same AS path — for every prefix.
//
// Topology: namespace `replay` linked to `routed` (198.18.0.0/24) and to `bird` (198.18.1.0/24).
// One process (tools/bench/lib/ris-replay-agent.ts) holds one lite session per RIS peer and
// device: the session of RIS peer i comes from 198.18.0.(11+i) / 198.18.1.(11+i) with the peer's
// AS, and sends the peer's UPDATEs in capture order (next hop rewritten to the session's address;
// AS path, ORIGIN, MED, communities kept), then a sentinel route. Both devices have AS 64999
// (in no captured path), every neighbour eBGP and passive, import everything, export nothing.
//
// The decision processes are configured alike, and their defaults already agree here:
// - the neighbours' ASes are all different, so MED is never compared (RFC 4271 §9.1.2.2 c, both
//   defaults; neither always-compare-med nor deterministic-med is set);
// - next hops are on the connected link: IGP cost 0 on both;
// - BIRD's `prefer older` is off by default (routed has no oldest-path step), so both end at the
//   BGP identifier and then the peer address (RFC 4271 §9.1.2.2 f, g). The router ids descend
//   as the session addresses ascend, so a prefix decided there tells the two steps apart.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

import test from 'ava';

import type { RibEntryView } from '../src/mgmt/views.js';
import { createTopology, stopProcess, type Topology } from './harness/netns.js';
import { Bird, birdProtoName, pollUntil } from './harness/peers.js';
import { risPeerStreams } from '../tools/bench/lib/ris-replay.js';
import { jsonLines, REPO, RoutedProcess } from './helpers/routed.js';

const SHARED = path.resolve(REPO, '../shared/data/mrt/ris-rrc15-updates.20100227.1600.gz');
const MRT = existsSync(SHARED) ? SHARED : path.join(REPO, 'test/data/ris-rrc15-updates.20100227.1600.gz');
const AGENT = path.join(REPO, 'dist/tools/bench/lib/ris-replay-agent.js');
const DUT_AS = 64999;
/** The capture has 5 peers that send UPDATEs; room for up to 8. */
const PEERS = 8;
const idx = [...Array(PEERS).keys()];
const ROUTER_IDS = idx.map((i) => `198.18.255.${100 - i}`);
const SENTINELS = idx.map((i) => `198.19.255.${i}/32`);
const local = (link: 0 | 1, i: number): string => `198.18.${link}.${11 + i}`;

interface Best {
  /** Index of the RIS peer session the best path came from. */
  peer: number;
  asPath: string;
}

function routedConfig(peers: { as: number }[]): string {
  const lines = [
    `router-id: 198.18.255.2`,
    `local-as: ${DUT_AS}`,
    'listen:',
    '  addresses: [198.18.0.2]',
    'log:',
    '  level: warn',
    'policies:',
    '  all: { default-action: accept }',
    '  none: { default-action: reject }',
    'neighbors:',
  ];
  peers.forEach((p, i) => lines.push(`  - { address: ${local(0, i)}, remote-as: ${p.as}, passive: true, families: [ipv4], import: all, export: none }`));
  return lines.join('\n') + '\n';
}

function birdConfig(peers: { as: number }[]): string {
  const out = ['router id 198.18.255.3;', 'log stderr { warning, error, fatal };', 'protocol device { scan time 10; }'];
  peers.forEach((p, i) => {
    out.push(
      `protocol bgp ${birdProtoName(local(1, i))} {`,
      `  local 198.18.1.2 as ${DUT_AS};`,
      `  neighbor ${local(1, i)} as ${p.as};`,
      '  passive on;',
      '  ipv4 { import all; export none; };',
      '}',
    );
  });
  return out.join('\n') + '\n';
}

/** routed's best BGP paths, by prefix. */
function routedBest(rib: RibEntryView[]): Map<string, Best> {
  const out = new Map<string, Best>();
  for (const e of rib) {
    const p = e.paths[0];
    if (!p || !p.best || p.source !== 'bgp' || !p.neighbor) continue;
    out.set(e.prefix, { peer: Number(p.neighbor.split('.')[3]) - 11, asPath: p.asPath });
  }
  return out;
}

/** BIRD's best paths from `show route primary all`: the route line names the protocol, BGP.as_path follows. */
function birdBest(text: string): Map<string, Best> {
  const out = new Map<string, Best>();
  let prefix: string | undefined;
  let peer: number | undefined;
  for (const line of text.split('\n')) {
    const route = /^([0-9.]+\/\d+)\s+\S+\s+\[n_198_18_1_(\d+)\s/.exec(line);
    if (route) {
      prefix = route[1];
      peer = Number(route[2]) - 11;
      continue;
    }
    const asPath = /^\s+BGP\.as_path:\s*(.*)$/.exec(line);
    if (asPath && prefix !== undefined && peer !== undefined) {
      out.set(prefix, { peer, asPath: asPath[1]!.trim() });
      prefix = undefined;
    }
  }
  return out;
}

interface Replay {
  peers: { peerIp: string; peerAs: number; updates: number }[];
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Start the replay agent; resolves once it has read the capture and named its peers. */
async function startReplay(topo: Topology): Promise<Replay> {
  const plan = {
    mrt: MRT,
    peers: PEERS,
    routerIds: ROUTER_IDS,
    sentinels: SENTINELS,
    families: ['ipv4'],
    targets: ([0, 1] as const).map((link) => ({ host: `198.18.${link}.2`, localAddresses: idx.map((i) => local(link, i)) })),
  };
  const child = topo.spawn('replay', process.execPath, [AGENT, JSON.stringify(plan)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const events: Record<string, unknown>[] = [];
  const lines = readline.createInterface({ input: child.stdout! });
  /** Resolves at the first event named `name`; rejects at an error event or the agent's exit. */
  const waitEvent = (name: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const seen = events.find((e) => e.event === name);
      if (seen) return resolve(seen);
      lines.on('line', () => {
        const ev = events[events.length - 1]!;
        if (ev.event === name) resolve(ev);
        if (ev.event === 'error') reject(new Error(`replay agent: ${String(ev.error)}`));
      });
      child.once('exit', (code) => reject(new Error(`replay agent exited (${code}): ${stderr} events: ${JSON.stringify(events.slice(-5))}`)));
    });
  lines.on('line', (line) => events.push(JSON.parse(line) as Record<string, unknown>));
  const ready = await waitEvent('ready');
  const done = waitEvent('done').then(() => undefined);
  done.catch(() => undefined);
  return { peers: ready.peers as Replay['peers'], done, stop: () => stopProcess(child, 3000) };
}

test('RIS rrc15 replayed into routed and BIRD: the same best path (neighbour and AS path) for every prefix', async (t) => {
  const topo = await createTopology({ nodes: ['replay', 'routed', 'bird'], links: [{ a: 'replay', b: 'routed' }, { a: 'replay', b: 'bird' }] }, import.meta.url);
  t.teardown(() => topo.destroy());
  const adds = idx.flatMap((i) => [`addr add ${local(0, i)}/24 dev e0`, `addr add ${local(1, i)}/24 dev e1`]);
  execFileSync('ip', ['-n', topo.ns('replay'), '-batch', '-'], { input: adds.join('\n') + '\n' });

  // The devices' configurations name the capture's peers; the agent reads the same capture and
  // connects once the devices listen.
  const inCapture = risPeerStreams(MRT, PEERS).map((p) => ({ peerIp: p.peerIp, peerAs: p.peerAs, updates: p.updates.length }));
  const peersInCapture = inCapture.length;
  t.true(peersInCapture >= 2, `peers in the capture: ${peersInCapture}`);
  const peers = inCapture.map((p) => ({ as: p.peerAs }));
  const routed = new RoutedProcess(topo, 'routed', routedConfig(peers));
  t.teardown(() => routed.stop());
  const bird = new Bird(topo, 'bird', { routerId: '198.18.255.3', localAs: DUT_AS, neighbors: [] }, birdConfig(peers));
  t.teardown(() => bird.stop());
  await Promise.all([routed.start(), bird.start()]);
  const replay = await startReplay(topo);
  t.teardown(() => replay.stop());
  t.deepEqual(replay.peers, inCapture);
  const logs = (): string => `${routed.logTail()}\n${bird.logTail()}`;

  await replay.done;
  // Every sentinel in place: every UPDATE before it has been processed (per-session order).
  const sentinels = SENTINELS.slice(0, peersInCapture);
  await pollUntil(async () => {
    for (const s of sentinels) if ((await routed.ctl(['show', 'rib', s])).code !== 0) return false;
    return true;
  }, 40_000, 'routed: every sentinel route', logs);
  await pollUntil(async () => {
    const text = await bird.birdc(`show route where net ~ [ 198.19.255.0/24+ ]`, 10_000);
    return sentinels.every((s) => text.includes(s));
  }, 40_000, 'bird: every sentinel route', logs);

  const rib = jsonLines<RibEntryView>((await routed.ctl(['show', 'rib', '--family', 'ipv4', '--json'])).stdout);
  const r = routedBest(rib);
  const b = birdBest(await bird.birdc('show route primary all', 60_000));
  for (const s of sentinels) {
    r.delete(s);
    b.delete(s);
  }
  const onlyRouted = [...r.keys()].filter((p) => !b.has(p));
  const onlyBird = [...b.keys()].filter((p) => !r.has(p));
  const differ = [...r].filter(([p, x]) => {
    const y = b.get(p);
    return y !== undefined && (y.peer !== x.peer || y.asPath !== x.asPath);
  });
  const steps = new Map<string, number>();
  for (const e of rib) if (e.paths.length > 1) steps.set(e.paths[0]!.decidedBy ?? '-', (steps.get(e.paths[0]!.decidedBy ?? '-') ?? 0) + 1);
  t.log(`peers: ${replay.peers.map((p) => `${p.peerIp} AS${p.peerAs} (${p.updates} UPDATEs)`).join(', ')}`);
  t.log(`prefixes: routed ${r.size}, bird ${b.size}; several candidates decided by: ${JSON.stringify(Object.fromEntries(steps))}`);
  t.true(r.size > 40_000, `routed holds ${r.size} prefixes`);
  t.deepEqual(onlyRouted.slice(0, 20), [], `${onlyRouted.length} prefixes only in routed`);
  t.deepEqual(onlyBird.slice(0, 20), [], `${onlyBird.length} prefixes only in BIRD`);
  t.deepEqual(
    differ.slice(0, 20).map(([p, x]) => ({ prefix: p, routed: x, bird: b.get(p) })),
    [],
    `${differ.length} prefixes with different best paths`,
  );
});
