// Soak benchmark (issue 6 item 3; not a CI test): routed under session flaps and churn, with its
// memory, event-loop lag and forwarding plane watched throughout.
//
//   node dist/tools/bench/soak/bench.js [--flaps N] [--churn-s S] [--rate R] [--prefixes N]
//                                       [--settle-s S] [--seed S] [--heap-snapshot DIR] [--cpu-prof DIR]
//
// Defaults are the issue's figures: 1,000 flaps of a feeder carrying 100,000 IPv4 prefixes, then
// 10,000 prefix changes a second for 600 s.
//
// Topology: four namespaces, feeder ↔ dut ↔ collector and dut ↔ watcher. routed runs in dut with
// fib.mode kernel (so `routectl check fib` has kernel routes to check) and its metrics endpoint on
// the dut's loopback. The feeder and the collector are soak agents (agent.ts, lite BGP speakers);
// the watcher is one too, a neighbour with no policy (RFC 8212: nothing exchanged) whose only
// job is to stay up: a NOTIFICATION to it (hold timer expired under load, say) fails the run.
//
// Phases:
//   load     the feeder sends its table; the collector holds every prefix; RSS after settling is
//            the baseline;
//   flaps    N times: the feeder closes its session (Cease), the collector sees every prefix
//            withdrawn, the feeder connects again and re-sends the table, the collector holds it
//            all again; then RSS after settling;
//   churn    R changes a second for S seconds (withdrawals, re-announcements, attribute changes);
//            the collector converges to what the feeder holds; the feeder re-sends the full table
//            (so the table is the baseline's again) and RSS after settling is read;
//   end      `routectl check fib` must exit 0; the watcher's session never ended.
// Reported: RSS (VmRSS of routed, MiB) at each point and its ratio to the baseline (within 10 %),
// the largest event-loop delay routed's monitorEventLoopDelay saw (nodejs_eventloop_lag_max_seconds,
// scraped every 2 s; prom-client resets the histogram at each scrape, so the largest scrape is the
// largest delay of the run), the heap in use at each point, and the time each phase took.
// Settling: the daemon idles --settle-s seconds, then two full GCs are forced through its
// inspector (routed runs with --inspect on the dut's loopback; gc.ts), then RSS is sampled each
// second five times and the figure is the median; the heap figures are read right after the GCs.
// The event-loop delay of the forced GCs (and of heap snapshots) is the bench's, not routed's: it
// is reported apart and not held against the 1 s limit. Each flap's steps (withdrawn, connected,
// sent, relearned) are timed. --heap-snapshot DIR: routed runs with --heapsnapshot-signal=SIGUSR2
// and a snapshot is taken after load, after the flaps and at the end (summarise with the Chrome
// devtools or tools/bench/rib/heapdump.ts's census). --cpu-prof DIR: routed runs under
// `node --cpu-prof`, written when it stops; long-tasks.js lists the longest busy stretches (where
// the lag comes from) and what ran in them.

import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync, appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createTopology, stopProcess, type Topology } from '../../../test/harness/netns.js';
import { SoakAgent } from './client.js';
import { soakConfig } from './config.js';
import { ROUTED_NODE_FLAGS } from '../../../src/cli/node-flags.js';

const FEEDER_AS = 65001;
const DUT_AS = 65002;
const COLLECTOR_AS = 65003;
const WATCHER_AS = 65004;
const METRICS_PORT = 9181;
/** routed's inspector, on the dut's loopback: the bench forces full GCs through it before reading RSS. */
const INSPECT_PORT = 9239;
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');

interface Options {
  flaps: number;
  churnS: number;
  rate: number;
  prefixes: number;
  settleS: number;
  seed: number;
  heapSnapshotDir?: string;
  cpuProfDir?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { flaps: 1000, churnS: 600, rate: 10_000, prefixes: 100_000, settleS: 20, seed: 0x5eed };
  const keys: Record<string, keyof Omit<Options, 'heapSnapshotDir' | 'cpuProfDir'>> = { '--flaps': 'flaps', '--churn-s': 'churnS', '--rate': 'rate', '--prefixes': 'prefixes', '--settle-s': 'settleS', '--seed': 'seed' };
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i]!;
    const v = argv[i + 1];
    if (a === '--heap-snapshot' && v) {
      o.heapSnapshotDir = path.resolve(v);
      continue;
    }
    if (a === '--cpu-prof' && v) {
      o.cpuProfDir = path.resolve(v);
      continue;
    }
    const key = keys[a];
    const n = Number(v);
    if (!key || v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`bad option ${a} ${v ?? ''}`);
    o[key] = Math.floor(n);
  }
  return o;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** routed, its log in a file, its metrics scraped every 2 s for the event-loop lag and the heap. */
class Dut {
  maxLagS = 0;
  /** The largest delay since the last phaseLag() call. */
  private phaseMaxS = 0;
  heapUsedMiB = NaN;
  heapTotalMiB = NaN;
  externalMiB = NaN;
  scrapes = 0;
  private scraper: NodeJS.Timeout | undefined;
  readonly child: ChildProcess;
  readonly logFile: string;

  constructor(
    private readonly topo: Topology,
    readonly dir: string,
    o: Options,
  ) {
    const file = path.join(dir, 'routed.yaml');
    writeFileSync(file, soakConfig(topo, { dutAs: DUT_AS, feederAs: FEEDER_AS, collectorAs: COLLECTOR_AS, watcherAs: WATCHER_AS, socket: this.socket, metricsPort: METRICS_PORT }));
    this.logFile = path.join(dir, 'routed.log');
    const args = [...ROUTED_NODE_FLAGS, '--max-old-space-size=8192', `--inspect=127.0.0.1:${INSPECT_PORT}`];
    if (o.heapSnapshotDir) args.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${o.heapSnapshotDir}`);
    if (o.cpuProfDir) args.push('--cpu-prof', '--cpu-prof-dir', o.cpuProfDir);
    // routed runs with dut as its working directory, like the other daemons under test.
    this.child = topo.spawn('dut', process.execPath, [...args, path.join(repoRoot, 'dist/src/cli/routed.js'), '--config', file]);
    this.child.stdout!.on('data', (d: Buffer) => appendFileSync(this.logFile, d));
    this.child.stderr!.on('data', (d: Buffer) => appendFileSync(this.logFile, d));
    this.exited = new Promise((_, reject) => this.child.once('exit', (code, sig) => reject(new Error(`routed exited (${code ?? sig})`))));
    this.exited.catch(() => {});
  }

  get socket(): string {
    return path.join(this.dir, 'routed.sock');
  }

  get pid(): number {
    return this.child.pid!;
  }

  log(): string {
    return readFileSync(this.logFile, 'utf8');
  }

  tail(): string {
    return this.log().split('\n').slice(-30).join('\n');
  }

  /** Rejects when routed exits: every wait of the run races against it. */
  exited!: Promise<never>;

  watch(): void {
    this.scraper = setInterval(() => {
      if (!this.paused) void this.scrape();
    }, 2000);
  }

  /** The largest delay seen while the bench itself held routed (forced GCs, heap snapshots), s. */
  benchHeldMaxS = 0;
  private paused = false;
  private inflight: Promise<void> = Promise.resolve();

  /**
   * Run something of the bench's that blocks routed (a forced full GC, a heap snapshot) with its
   * event-loop delay kept apart: the window before it is closed by a scrape, periodic scrapes
   * stop, and the scrape after it goes to benchHeldMaxS instead of the run's figures. routed
   * never does either on its own.
   */
  async held<T>(fn: () => Promise<T>): Promise<T> {
    this.paused = true;
    try {
      await this.inflight;
      await this.scrape();
      const v = await fn();
      await this.scrape('held');
      return v;
    } finally {
      this.paused = false;
    }
  }

  scrape(into: 'run' | 'held' = 'run'): Promise<void> {
    const p = this.scrapeOnce(into);
    this.inflight = p;
    return p;
  }

  private async scrapeOnce(into: 'run' | 'held'): Promise<void> {
    const r = await this.topo.run('dut', 'curl', ['-sf', `http://127.0.0.1:${METRICS_PORT}/metrics`], { allowFail: true, timeoutMs: 5000 });
    if (r.code !== 0) return;
    this.scrapes++;
    const lag = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(r.stdout);
    if (lag && into === 'held') this.benchHeldMaxS = Math.max(this.benchHeldMaxS, Number(lag[1]));
    else if (lag) {
      this.maxLagS = Math.max(this.maxLagS, Number(lag[1]));
      this.phaseMaxS = Math.max(this.phaseMaxS, Number(lag[1]));
    }
    const read = (metric: string): number => Number(new RegExp(`^${metric} (\\S+)$`, 'm').exec(r.stdout)?.[1] ?? NaN) / 1048576;
    this.heapUsedMiB = read('nodejs_heap_size_used_bytes');
    this.heapTotalMiB = read('nodejs_heap_size_total_bytes');
    this.externalMiB = read('nodejs_external_memory_bytes');
  }

  /** The largest delay since the last call, ms; starts a new window. */
  phaseLag(): number {
    const ms = this.phaseMaxS * 1000;
    this.phaseMaxS = 0;
    return ms;
  }

  async stop(): Promise<void> {
    clearInterval(this.scraper);
    await stopProcess(this.child, 10_000);
  }
}

interface Point {
  phase: string;
  /** Largest event-loop delay during the phase (settling included), ms. */
  maxLagMs: number;
  rssMiB: number;
  /** V8 heap committed (used or not) and external memory (Buffers), from the metrics. */
  heapTotalMiB: number;
  externalMiB: number;
  heapUsedMiB: number;
  seconds: number;
}

/** Two full garbage collections in routed (gc.ts, through its inspector). */
async function collectGarbage(topo: Topology): Promise<void> {
  const r = await topo.run('dut', process.execPath, ['--experimental-websocket', path.join(here, 'gc.js'), String(INSPECT_PORT), '2'], { allowFail: true, timeoutMs: 90_000 });
  if (r.code !== 0) throw new Error(`forcing a GC in routed failed: ${r.stderr.trim()}`);
}

/**
 * RSS once the daemon has been idle settleS seconds and two full GCs have run: the median of the
 * last five samples after the GC.
 */
async function settledRss(topo: Topology, dut: Dut, settleS: number): Promise<number> {
  await sleep(Math.max(0, settleS - 5) * 1000);
  await dut.held(() => collectGarbage(topo));
  const samples: number[] = [];
  for (let s = 0; s < 5; s++) {
    await sleep(1000);
    samples.push(rssMiB(dut.pid));
  }
  // The heap figures are the scrape's right after the GCs (held() above), before a periodic FIB
  // reconcile can start and allocate.
  const last = samples.slice(-5).sort((a, b) => a - b);
  return last[2]!;
}

async function snapshot(dut: Dut, o: Options, what: string): Promise<void> {
  if (!o.heapSnapshotDir) return;
  // The snapshot blocks routed while it is written; wait for the file to stop growing.
  await dut.held(async () => {
    process.kill(dut.pid, 'SIGUSR2');
    await sleep(20_000);
  });
  console.log(`  heap snapshot (${what}) requested in ${o.heapSnapshotDir}`);
}

interface Agents {
  feeder: SoakAgent;
  collector: SoakAgent;
  watcher: SoakAgent;
}

function connectArgs(topo: Topology, node: string, localAs: number, routerId: string): Record<string, unknown> {
  return { host: topo.addr('dut', node), localAddress: topo.addr(node, 'dut'), localAs, peerAs: DUT_AS, routerId, timeoutMs: 30_000 };
}

/** Time spent in each step of the flaps, ms (summed; printed as a mean per flap). */
const flapSteps = { withdrawn: 0, connected: 0, sent: 0, relearned: 0 };

async function flap(a: Agents, topo: Topology, o: Options): Promise<void> {
  const bound = 300_000;
  let t = performance.now();
  const step = (k: keyof typeof flapSteps): void => {
    const now = performance.now();
    flapSteps[k] += now - t;
    t = now;
  };
  await a.feeder.request('disconnect');
  await a.collector.request('wait', { v4: 0, timeoutMs: bound }, bound + 5000);
  step('withdrawn');
  await a.feeder.request('connect', connectArgs(topo, 'feeder', FEEDER_AS, '198.18.255.1'), 40_000);
  step('connected');
  await a.feeder.request('send', {}, bound);
  step('sent');
  await a.collector.request('wait', { v4: o.prefixes, timeoutMs: bound }, bound + 5000);
  step('relearned');
}

function flapStepsText(n: number): string {
  return Object.entries(flapSteps).map(([k, ms]) => `${k} ${(ms / n / 1000).toFixed(2)} s`).join(', ');
}

async function run(o: Options, topo: Topology, dut: Dut, a: Agents): Promise<Point[]> {
  const points: Point[] = [];
  const mark = async (phase: string, t0: number): Promise<void> => {
    const seconds = (Date.now() - t0) / 1000;
    const rss = await settledRss(topo, dut, o.settleS);
    const maxLagMs = dut.phaseLag();
    points.push({ phase, maxLagMs, rssMiB: rss, heapUsedMiB: dut.heapUsedMiB, heapTotalMiB: dut.heapTotalMiB, externalMiB: dut.externalMiB, seconds });
    console.log(
      `${phase}: ${seconds.toFixed(1)} s; settled RSS ${rss.toFixed(1)} MiB, heap ${dut.heapUsedMiB.toFixed(1)} used of ${dut.heapTotalMiB.toFixed(1)} MiB, external ${dut.externalMiB.toFixed(1)} MiB, max event-loop lag in the phase ${maxLagMs.toFixed(0)} ms`,
    );
  };
  const built = await a.feeder.request('build', { v4: o.prefixes, seed: o.seed, localAs: FEEDER_AS, nextHopV4: topo.addr('feeder', 'dut'), nextHopV6: topo.addr('feeder', 'dut', 'ipv6') }, 300_000);
  console.log(`table: ${String(built.v4)} IPv4 prefixes in ${String(built.updates)} UPDATEs`);
  await a.collector.request('connect', connectArgs(topo, 'collector', COLLECTOR_AS, '198.18.255.3'), 40_000);
  await a.watcher.request('connect', connectArgs(topo, 'watcher', WATCHER_AS, '198.18.255.4'), 40_000);
  await a.feeder.request('connect', connectArgs(topo, 'feeder', FEEDER_AS, '198.18.255.1'), 40_000);
  dut.watch();

  let t0 = Date.now();
  await a.feeder.request('send', {}, 300_000);
  await a.collector.request('wait', { v4: o.prefixes, timeoutMs: 300_000 }, 305_000);
  await mark('load (baseline)', t0);
  await snapshot(dut, o, 'baseline');

  t0 = Date.now();
  for (let i = 1; i <= o.flaps; i++) {
    await flap(a, topo, o);
    if (i % 50 === 0 || i === o.flaps) console.log(`  flap ${i}/${o.flaps}: ${((Date.now() - t0) / 1000).toFixed(0)} s, RSS ${rssMiB(dut.pid).toFixed(0)} MiB, max lag ${(dut.maxLagS * 1000).toFixed(0)} ms; per flap: ${flapStepsText(i)}`);
  }
  await mark(`after ${o.flaps} flaps`, t0);
  await snapshot(dut, o, 'after the flaps');

  t0 = Date.now();
  if (o.churnS > 0) {
    const churn = await a.feeder.request('churn', { rate: o.rate, seconds: o.churnS }, o.churnS * 1000 + 600_000);
    console.log(`  churn: ${String(churn.changes)} changes (${String(churn.announced)} announced, ${String(churn.withdrawn)} withdrawn) in ${String(churn.messages)} UPDATEs over ${Number(churn.seconds).toFixed(1)} s; feeder at most ${String(churn.behindMs)} ms behind schedule`);
    await a.collector.request('wait', { v4: churn.held, timeoutMs: 300_000 }, 305_000);
    console.log(`  collector converged on ${String(churn.held)} prefixes ${((Date.now() - t0) / 1000 - Number(churn.seconds)).toFixed(1)} s after the churn ended`);
    // The full table again: the same contents as at the baseline.
    await a.feeder.request('send', {}, 300_000);
    await a.collector.request('wait', { v4: o.prefixes, timeoutMs: 300_000 }, 305_000);
  }
  await mark(`after ${o.churnS} s of churn`, t0);
  await snapshot(dut, o, 'end');
  return points;
}

async function checkFib(topo: Topology, dut: Dut): Promise<{ code: number; out: string }> {
  const r = await topo.run('dut', process.execPath, [path.join(repoRoot, 'dist/src/cli/routectl.js'), 'check', 'fib', '--socket', dut.socket], { allowFail: true, timeoutMs: 120_000 });
  return { code: r.code, out: (r.stdout + r.stderr).trim() };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.heapSnapshotDir) mkdirSync(o.heapSnapshotDir, { recursive: true });
  const topo = await createTopology(
    { nodes: ['feeder', 'dut', 'collector', 'watcher'], links: [{ a: 'feeder', b: 'dut' }, { a: 'dut', b: 'collector' }, { a: 'dut', b: 'watcher' }] },
    'soak',
  );
  const abort = (): void => {
    topo.destroySync();
    process.exit(130);
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  const dir = mkdtempSync('/tmp/routed-soak-');
  console.log(`soak: ${o.prefixes} IPv4 prefixes, ${o.flaps} flaps, ${o.churnS} s of churn at ${o.rate} changes/s, settle ${o.settleS} s (log ${dir}/routed.log)`);
  const dut = new Dut(topo, dir, o);
  const agents: Agents = { feeder: await SoakAgent.start(topo, 'feeder'), collector: await SoakAgent.start(topo, 'collector'), watcher: await SoakAgent.start(topo, 'watcher') };
  let failed = false;
  try {
    const points = await Promise.race([run(o, topo, dut, agents), dut.exited]);
    const lagBeforeCheck = dut.maxLagS;
    dut.phaseLag();
    const fib = await checkFib(topo, dut);
    await dut.scrape();
    const checkLagMs = dut.phaseLag();
    const watcherClosed = ((await agents.watcher.request('events')).closed as string[]).concat(agents.watcher.events.map((e) => String(e.reason)));
    const watcherAddr = topo.addr('watcher', 'dut').replace(/\./g, '\\.');
    const downLines = dut.log().split('\n').filter((l) => new RegExp(`session down.*peer=${watcherAddr}\\b`).test(l));
    const base = points[0]!.rssMiB;
    const ratios = points.map((p) => p.rssMiB / base);
    const rssOk = ratios.every((r) => r <= 1.1);
    console.log('\nphase | s | RSS MiB | RSS / baseline | heap used / committed MiB | external MiB | max event-loop lag ms');
    for (const [i, p] of points.entries()) {
      console.log(`${p.phase} | ${p.seconds.toFixed(1)} | ${p.rssMiB.toFixed(1)} | ${ratios[i]!.toFixed(3)} | ${p.heapUsedMiB.toFixed(1)} / ${p.heapTotalMiB.toFixed(1)} | ${p.externalMiB.toFixed(1)} | ${p.maxLagMs.toFixed(0)}`);
    }
    console.log(`max event-loop lag: ${(lagBeforeCheck * 1000).toFixed(1)} ms over ${dut.scrapes} scrapes (limit 1000 ms); during routectl check fib: ${checkLagMs.toFixed(0)} ms; while the bench held routed (forced full GCs${o.heapSnapshotDir ? ', heap snapshots' : ''}; not counted): ${(dut.benchHeldMaxS * 1000).toFixed(0)} ms`);
    if (o.flaps > 0) console.log(`flap steps, mean per flap: ${flapStepsText(o.flaps)}`);
    console.log(`routectl check fib: exit ${fib.code}${fib.code === 0 ? '' : `\n${fib.out.split('\n').slice(0, 20).join('\n')}`}`);
    console.log(`watcher: ${watcherClosed.length === 0 && downLines.length === 0 ? 'session up throughout, no NOTIFICATION' : `ended: ${watcherClosed.join('; ')} ${downLines.join('; ')}`}`);
    const ok = rssOk && lagBeforeCheck < 1 && checkLagMs < 1000 && fib.code === 0 && watcherClosed.length === 0 && downLines.length === 0;
    console.log(`result: ${ok ? 'PASS' : 'FAIL'} (RSS within 10 %: ${rssOk}, lag < 1 s: ${lagBeforeCheck < 1 && checkLagMs < 1000}, fib clean: ${fib.code === 0}, watcher untouched: ${watcherClosed.length === 0 && downLines.length === 0})`);
    console.log(JSON.stringify({ options: o, points, maxLagS: lagBeforeCheck, checkLagMs, benchHeldLagMs: dut.benchHeldMaxS * 1000, flapStepsMs: flapSteps, checkFibExit: fib.code, watcherClosed, ok }));
    failed = !ok;
  } catch (e) {
    failed = true;
    console.error(`${(e as Error).message}\n--- routed log tail ---\n${dut.tail()}`);
  } finally {
    for (const a of Object.values(agents)) await a.stop();
    await dut.stop();
    await topo.destroy();
    if (!failed) rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exitCode = 1;
});
