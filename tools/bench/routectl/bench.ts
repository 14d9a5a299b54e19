// routectl benchmark: `routectl show rib --json` on a full table while the peer keeps sending,
// and whether the daemon's KEEPALIVEs stay on time meanwhile. BIRD's `birdc show route all` on
// the same table, under the same churn, is the reference.
//
//   node dist/tools/bench/routectl/bench.js [--v4 N] [--v6 N] [--runs K] [--seed S]
//                                           [--churn N] [--churn-ms MS] [--no-bird] [--keep-output DIR]
//
// Topology: two namespaces, feeder ↔ dut, on one veth pair (198.18.0.0/24, 2001:db8::/64). The
// feeder is a lite BGP speaker (tools/bench/lib/agent.ts) in its own process. The DUT, routed or
// BIRD (one after the other, same addresses), holds one passive eBGP session with it. The feeder
// offers hold time 9 s, so the DUT sends a KEEPALIVE every 3 s at most (RFC 4271 §4.4 jitter:
// 2.25..3 s) and nothing else (routes are not sent back to the neighbour they came from).
//
// Per DUT: the feeder builds N IPv4 + N IPv6 prefixes (tools/bench/lib/fulltable.ts), sends them,
// and once the DUT holds them all starts the churn: every --churn-ms it announces --churn /26s of
// 198.19.0.0/16 again with another AS path. Then, with the churn running, K runs of
//   routectl show rib --json --socket S    (routed)      birdc -s S show route all table all (BIRD)
// and one of `routectl show rib` (text) are timed from spawn: time to the first byte on stdout
// and to the end, bytes and lines read. The feeder records the gaps between the messages it
// receives from the DUT over the whole window: the longest gap between two KEEPALIVEs is the
// figure (above 3000 ms: a keepalive was late). A `cat` of a file holding the same JSON bytes
// gives the pipe's own speed. Numbers are printed as a table and as one JSON line at the end.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { LiteAgent } from '../../../test/harness/lite.js';
import { createTopology, stopProcess, type Topology } from '../../../test/harness/netns.js';
import { Bird, pollUntil } from '../../../test/harness/peers.js';
import type { StatusView } from '../../../src/mgmt/views.js';
import type { SimpleRoute } from '../lib/feeder.js';
import { nowNs } from '../lib/bgp-speaker-lite.js';
import { routedConfig } from '../convergence/routed-config.js';
import { ROUTED_NODE_FLAGS } from '../../../src/cli/node-flags.js';

const FEEDER_AS = 65001;
const DUT_AS = 65002;
const HOLD_TIME = 9;
const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../../../..');
const ROUTED = path.join(repoRoot, 'dist/src/cli/routed.js');
const ROUTECTL = path.join(repoRoot, 'dist/src/cli/routectl.js');

interface Options {
  v4: number;
  v6: number;
  runs: number;
  seed: number;
  churn: number;
  churnMs: number;
  bird: boolean;
  keepOutput?: string;
  /** routed runs under `node --cpu-prof --cpu-prof-dir DIR` (summarise with tools/bench/lib/cpuprofile-top). */
  cpuProfDir?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { v4: 900_000, v6: 100_000, runs: 3, seed: 0x5eed, churn: 1024, churnMs: 100, bird: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--no-bird') {
      o.bird = false;
      continue;
    }
    const v = argv[++i];
    const num = (): number => {
      const n = Number(v);
      if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${a} wants a number`);
      return Math.floor(n);
    };
    if (a === '--v4') o.v4 = num();
    else if (a === '--v6') o.v6 = num();
    else if (a === '--runs') o.runs = Math.max(1, num());
    else if (a === '--seed') o.seed = num();
    else if (a === '--churn') o.churn = Math.min(16384, num());
    else if (a === '--churn-ms') o.churnMs = num();
    else if (a === '--keep-output' && v) o.keepOutput = path.resolve(v);
    else if (a === '--cpu-prof' && v) o.cpuProfDir = path.resolve(v);
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

interface Timing {
  what: string;
  ttfbMs: number;
  totalMs: number;
  bytes: number;
  lines: number;
  code: number | null;
  stderr: string;
}

/** Spawn a command and time its stdout: first byte and end, from the spawn. */
function timeCommand(what: string, cmd: string, args: string[], saveTo?: string): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const start = nowNs();
    let first: bigint | undefined;
    let bytes = 0;
    let lines = 0;
    let stderr = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const save = saveTo ? createWriteStream(saveTo) : undefined;
    child.stdout.on('data', (d: Buffer) => {
      first ??= nowNs();
      bytes += d.length;
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
      save?.write(d);
    });
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.once('error', reject);
    child.once('close', (code) => {
      const end = nowNs();
      save?.end();
      const ms = (t: bigint | undefined): number => (t === undefined ? NaN : Number(t - start) / 1e6);
      resolve({ what, ttfbMs: ms(first), totalMs: ms(end), bytes, lines, code, stderr: stderr.trim() });
    });
  });
}

/** The churn: /26s of 198.19.0.0/16, announced again and again with alternating AS paths. */
function churnRoutes(n: number, nextHop: string, round: number): SimpleRoute[] {
  return Array.from({ length: n }, (_, i) => ({
    prefix: `198.19.${i >> 2}.${(i & 3) * 64}/26`,
    nextHop,
    asPath: round % 2 === 0 ? [65010] : [65010, 65011],
    communities: [(65010 << 16) | (round & 0xffff)],
  }));
}

class Churn {
  rounds = 0;
  private stopped = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly agent: LiteAgent,
    private readonly o: Options,
    private readonly nextHop: string,
  ) {}

  /** Announce the churn set once (so the table holds it) and return. */
  async prime(): Promise<void> {
    await this.agent.announce(churnRoutes(this.o.churn, this.nextHop, 0), 60_000);
  }

  start(): void {
    this.done = (async () => {
      while (!this.stopped) {
        await this.agent.announce(churnRoutes(this.o.churn, this.nextHop, ++this.rounds), 60_000);
        await new Promise((r) => setTimeout(r, this.o.churnMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

interface Dut {
  name: string;
  pid: number;
  /** Prefixes held (both families). */
  count(): Promise<number>;
  /** The timed commands: [label, command, args]. */
  commands(): [string, string, string[]][];
  logTail(): string;
  stop(): Promise<void>;
}

async function startRouted(topo: Topology, dir: string, cpuProfDir: string | undefined): Promise<Dut> {
  const file = path.join(dir, 'routed.yaml');
  const socket = path.join(dir, 'routed.sock');
  const feeder = topo.addr('feeder', 'dut');
  writeFileSync(file, routedConfig({ routerId: '198.18.255.2', localAs: DUT_AS, controlSocket: socket, logLevel: 'info', neighbors: [{ address: feeder, remoteAs: FEEDER_AS, localAddress: topo.addr('dut', 'feeder'), description: 'feeder' }] }));
  const prof = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const child = topo.spawn('dut', process.execPath, [...ROUTED_NODE_FLAGS, '--max-old-space-size=8192', ...prof, ROUTED, '--config', file]);
  let out = '';
  const keep = (d: Buffer): void => void (out = (out + d.toString()).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const logTail = (): string => out.split('\n').slice(-20).join('\n');
  const ctl = (args: string[]): Promise<Timing> => timeCommand(args.join(' '), process.execPath, [ROUTECTL, ...args, '--socket', socket]);
  await pollUntil(async () => child.exitCode === null && (await ctl(['show', 'status'])).code === 0, 15_000, 'routed control socket', logTail);
  return {
    name: 'routed',
    pid: child.pid!,
    async count() {
      const r = await new Promise<string>((resolve) => {
        const c = spawn(process.execPath, [ROUTECTL, 'show', 'status', '--json', '--socket', socket], { stdio: ['ignore', 'pipe', 'ignore'] });
        let s = '';
        c.stdout.on('data', (d: Buffer) => (s += d.toString()));
        c.once('close', () => resolve(s));
      });
      const status = JSON.parse(r) as StatusView;
      return status.rib.reduce((n, f) => n + f.prefixes, 0);
    },
    commands: () => [
      ['routectl show status (start-up, one round trip)', process.execPath, [ROUTECTL, 'show', 'status', '--socket', socket]],
      ['routectl show rib --json', process.execPath, [ROUTECTL, 'show', 'rib', '--json', '--socket', socket]],
      ['routectl show rib (text)', process.execPath, [ROUTECTL, 'show', 'rib', '--socket', socket]],
    ],
    logTail,
    stop: () => stopProcess(child, 5000),
  };
}

async function startBird(topo: Topology): Promise<Dut> {
  const bird = new Bird(topo, 'dut', {
    routerId: '198.18.255.2',
    localAs: DUT_AS,
    neighbors: [{ address: topo.addr('feeder', 'dut'), remoteAs: FEEDER_AS, localAddress: topo.addr('dut', 'feeder'), passive: true }],
  });
  await bird.start();
  return {
    name: 'BIRD',
    pid: bird.pid!,
    async count() {
      const c = await bird.routeCount();
      return c.v4 + c.v6;
    },
    commands: () => [
      ['birdc show status (start-up, one round trip)', 'birdc', ['-s', bird.socket, 'show', 'status']],
      ['birdc show route all table all', 'birdc', ['-s', bird.socket, 'show', 'route', 'table', 'all', 'all']],
      ['birdc show route table all', 'birdc', ['-s', bird.socket, 'show', 'route', 'table', 'all']],
    ],
    logTail: () => bird.logTail(20),
    stop: () => bird.stop(),
  };
}

interface DutResult {
  dut: string;
  prefixes: number;
  runs: Timing[];
  churnRounds: number;
  keepalives: number;
  maxKeepaliveGapMs: number;
  maxMessageGapMs: number;
  windowS: number;
}

async function measure(o: Options, topo: Topology, dir: string, kind: 'routed' | 'bird'): Promise<DutResult> {
  const dut = kind === 'routed' ? await startRouted(topo, dir, o.cpuProfDir) : await startBird(topo);
  const agent = await LiteAgent.start(topo, 'feeder');
  try {
    const nextHopV4 = topo.addr('feeder', 'dut');
    await agent.build({ v4: o.v4, v6: o.v6, seed: o.seed, localAs: FEEDER_AS, nextHopV4, nextHopV6: topo.addr('feeder', 'dut', 'ipv6') }, 600_000);
    await pollUntil(
      async () => {
        await agent.connect({ host: topo.addr('dut', 'feeder'), localAddress: nextHopV4, localAs: FEEDER_AS, peerAs: DUT_AS, routerId: '198.18.255.1', holdTime: HOLD_TIME }, 15_000);
        return true;
      },
      30_000,
      `${dut.name}: session with the feeder`,
      dut.logTail,
    );
    await agent.send(600_000);
    const churn = new Churn(agent, o, nextHopV4);
    await churn.prime();
    const want = o.v4 + o.v6 + o.churn;
    let held = 0;
    await pollUntil(async () => (held = await dut.count()) >= want, 600_000, `${dut.name} holds ${want} prefixes (last ${held})`, dut.logTail);
    churn.start();
    await agent.gaps(true);
    const windowStart = nowNs();
    const runs: Timing[] = [];
    const [status, json, text] = dut.commands();
    runs.push(await timeCommand(status![0], status![1], status![2]));
    for (let r = 0; r < o.runs; r++) {
      const save = r === 0 && o.keepOutput ? path.join(o.keepOutput, `${kind}.out`) : undefined;
      runs.push(await timeCommand(json![0], json![1], json![2], save));
    }
    runs.push(await timeCommand(text![0], text![1], text![2]));
    const gaps = await agent.gaps();
    const windowS = Number(nowNs() - windowStart) / 1e9;
    await churn.stop();
    for (const r of runs) if (r.code !== 0) throw new Error(`${r.what} exited ${r.code}: ${r.stderr}`);
    return { dut: dut.name, prefixes: held, runs, churnRounds: churn.rounds, ...gaps, windowS };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- ${dut.name} log tail ---\n${dut.logTail()}`);
  } finally {
    await agent.stop();
    await dut.stop();
  }
}

/** The pipe's own pace: cat of a file of the given size (the JSON output's byte count). */
async function catReference(dir: string, bytes: number): Promise<Timing> {
  const file = path.join(dir, 'cat-reference');
  const line = `${'x'.repeat(511)}\n`;
  const block = line.repeat(2048);
  const stream = createWriteStream(file);
  for (let left = bytes; left > 0; left -= block.length) {
    if (!stream.write(left >= block.length ? block : block.slice(0, left))) await new Promise<void>((r) => stream.once('drain', () => r()));
  }
  await new Promise<void>((r) => stream.end(() => r()));
  return timeCommand(`cat (${(bytes / 1048576).toFixed(0)} MiB file)`, 'cat', [file]);
}

function row(dut: string, t: Timing): string {
  return `${dut} | ${t.what} | ${t.ttfbMs.toFixed(0)} | ${t.totalMs.toFixed(0)} | ${(t.bytes / 1048576).toFixed(1)} | ${t.lines}`;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const topo = await createTopology({ nodes: ['feeder', 'dut'], links: [{ a: 'feeder', b: 'dut' }] }, 'rctlbench');
  const stop = (): void => {
    topo.destroySync();
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const dir = mkdtempSync('/tmp/routed-routectl-bench-');
  try {
    console.log(`routectl bench: ${o.v4} IPv4 + ${o.v6} IPv6 prefixes (+ ${o.churn} churned every ${o.churnMs} ms), hold time ${HOLD_TIME} s, ${o.runs} run(s)`);
    const results: DutResult[] = [await measure(o, topo, dir, 'routed')];
    if (o.bird) results.push(await measure(o, topo, dir, 'bird'));
    const jsonBytes = results[0]!.runs[1]!.bytes;
    const cat = await catReference(dir, jsonBytes);
    console.log('DUT | command | first byte (ms) | total (ms) | MiB | lines');
    for (const r of results) for (const t of r.runs) console.log(row(r.dut, t));
    console.log(row('-', cat));
    console.log('DUT | prefixes | window (s) | churn rounds | KEEPALIVEs | max KEEPALIVE gap (ms) | max message gap (ms)');
    for (const r of results) console.log(`${r.dut} | ${r.prefixes} | ${r.windowS.toFixed(1)} | ${r.churnRounds} | ${r.keepalives} | ${r.maxKeepaliveGapMs.toFixed(0)} | ${r.maxMessageGapMs.toFixed(0)}`);
    console.log(JSON.stringify({ v4: o.v4, v6: o.v6, churn: o.churn, churnMs: o.churnMs, holdTime: HOLD_TIME, results, cat }));
  } finally {
    await topo.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exitCode = 1;
});
