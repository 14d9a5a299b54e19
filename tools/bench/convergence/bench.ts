// Convergence benchmark: how long a device under test takes to pass a full table through.
//
//   node dist/tools/bench/convergence/bench.js [--dut bird|routed|both] [--prefixes N] [--v6 N]
//                                              [--seed S] [--timeout-s S] [--runs K]
//                                              [--cpu-prof DIR] [--node-arg ARG]... [--dut-log FILE] [--no-warm-up]
//                                              [--withdraw] [--settle S]
//
// --withdraw: after T the feeder's session ends (its process closes the connection) and the run
// also reports the time until the collector holds nothing, and the DUT's CPU meanwhile.
// --settle S: S seconds after T (before --withdraw's close) the DUT's RSS again: what it holds
// with its table loaded and nothing coming, as an operator's `top` shows it between bursts.
// --dut both: each of the K runs is a pair, BIRD and routed one after the other on the same
// topology (BIRD first in odd runs, routed first in even ones, so neither always meets the
// machine's later phase), with the pair's ratios (routed / BIRD: T, peak RSS, CPU during) and at
// the end their medians and ranges: on a shared machine whose speed drifts by ±25 % between
// minutes, a ratio of two runs seconds apart says more than two medians taken apart.
// --cpu-prof DIR (routed only): the daemon runs under `node --cpu-prof --cpu-prof-dir DIR`; the
// profile is written when it stops (summarise with dist/tools/bench/lib/cpuprofile-top.js); the
// stop then waits up to 120 s (with --fib, withdrawing a million kernel routes takes a while).
// --node-arg ARG (repeatable, routed only): an extra V8/Node flag for the daemon, e.g.
// `--node-arg --max-semi-space-size=64`, to compare GC settings.
// --no-warm-up (routed only): the daemon starts without its warm-up (warm-up: false), for an A/B.
// --dut-log FILE (routed only): the daemon's stdout and stderr written to FILE, e.g. with
// `--node-arg --trace-opt --node-arg --trace-deopt` to see what V8 compiles and throws away.
//
// Topology: three network namespaces in a chain, feeder ↔ dut ↔ collector, on veth pairs
// (198.18.0.0/24 and 198.18.1.0/24, 2001:db8:0:0::/64 and 2001:db8:0:1::/64). The feeder and the
// collector are lite BGP speakers (tools/bench/lib/agent.ts), each its own Node process in its own
// namespace; the DUT holds one eBGP session to each (feeder AS 65001, DUT 65002, collector 65003),
// both carrying IPv4 and IPv6 unicast. The DUT runs with no kernel/FIB synchronisation.
//
// The feeder builds its table first (tools/bench/lib/fulltable.ts: N IPv4 and --v6 IPv6
// prefixes, its own AS prepended and its address as next hop), both sessions come up, then it
// streams every UPDATE as fast as TCP takes them. Reported:
//   T        first UPDATE byte handed to the feeder's socket → the collector holds every prefix
//            (both timestamps CLOCK_MONOTONIC, shared by the processes);
//   feed     first → last byte accepted by the feeder's socket (the DUT's reading pace);
//   first out, half  first UPDATE byte → the collector's first announced prefix, and → it holds half the
//            prefixes (where the DUT's time goes: latency to its first export, then its pace);
//   peak RSS VmHWM of the DUT process (/proc/PID/status) at the end, and in brackets the part
//            of its RSS then mapped from files (RssFile: its binary and libraries);
//   CPU      utime+stime of the DUT (/proc/PID/stat) spent between the start of the feed and
//            convergence, and in all since it started;
//   agents CPU  the feeder's and the collector's CPU during T, the collector's in brackets (it
//            decodes everything the DUT sends, on the same two cores; more UPDATEs or reads
//            cost it more);
//   UPDATEs out  what the collector received until T, with its bytes and socket reads (how the
//            DUT packed and wrote the table).
// The JSON also has each run's `faultsDuring`: the DUT's minor page faults during T (memory
// touched for the first time; BIRD and routed take about as many for a table).
// The JSON's `window` is T's ends in CLOCK_MONOTONIC seconds, to cut a system-wide
// `perf record -k CLOCK_MONOTONIC` down to the feed (`perf report --pid DUT --time A,B`).
// --fib makes both DUTs program the kernel too (BIRD: kernel protocols exporting all; routed:
// fib.mode kernel), for the forwarding-plane comparison; without it neither does. Then also:
//   FIB      first UPDATE byte → the DUT reports every prefix written to the kernel (routed:
//            `show status` kernel routes, BIRD: its kernel protocols' exported count), polled
//            every 100 ms once T is reached.
// --dut routed starts `node FLAGS dist/src/cli/routed.js --config FILE` (FLAGS: the installed
// wrapper's, src/cli/node-flags.ts) in the DUT namespace with a
// configuration generated for this topology (tools/bench/convergence/routed-config.ts).

import { appendFileSync, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { LiteAgent } from '../../../test/harness/lite.js';
import { createTopology, stopProcess, type Topology } from '../../../test/harness/netns.js';
import { Bird, pollUntil } from '../../../test/harness/peers.js';
import { routedConfig } from './routed-config.js';
import { ROUTED_NODE_FLAGS } from '../../../src/cli/node-flags.js';
import { nowNs } from '../lib/bgp-speaker-lite.js';
import { median, pairOf, pairSummary, type Pair } from '../lib/pairs.js';
import { request } from '../../../src/mgmt/client.js';

const FEEDER_AS = 65001;
const DUT_AS = 65002;
const COLLECTOR_AS = 65003;
const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../../../..');

type DutKind = 'bird' | 'routed';

interface Options {
  /** 'both': each run is a pair, BIRD and routed back to back (alternating which goes first), and their ratios. */
  dut: DutKind | 'both';
  /** Both DUTs also program the kernel: BIRD with a kernel protocol, routed with fib.mode kernel. */
  fib: boolean;
  prefixes: number;
  v6: number;
  seed: number;
  timeoutS: number;
  runs: number;
  cpuProfDir?: string;
  dutLog?: string;
  warmUp: boolean;
  /** After T, the feeder's session ends: how long until the collector holds nothing. */
  withdraw: boolean;
  nodeArgs: string[];
  /** --settle S: S seconds after T, the DUT's RSS again (what it holds once quiet). */
  settleS?: number;
}

/** Options without a value. */
const FLAGS: Record<string, ((o: Options) => void) | undefined> = {
  '--fib': (o) => void (o.fib = true),
  '--no-warm-up': (o) => void (o.warmUp = false),
  '--withdraw': (o) => void (o.withdraw = true),
};

function parseArgs(argv: string[]): Options {
  const o: Options = { warmUp: true, withdraw: false, fib: false, dut: 'bird', prefixes: 100_000, v6: 0, seed: 0x5eed, timeoutS: 600, runs: 1, nodeArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[++i];
    const num = (): number => {
      const n = Number(v);
      if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${a} wants a number`);
      return Math.floor(n);
    };
    const flag = FLAGS[a];
    if (flag) {
      flag(o);
      i--;
      continue;
    }
    if (a === '--dut') {
      if (v !== 'bird' && v !== 'routed' && v !== 'both') throw new Error('--dut bird|routed|both');
      o.dut = v;
    } else if (a === '--prefixes') o.prefixes = num();
    else if (a === '--v6') o.v6 = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--timeout-s') o.timeoutS = num();
    else if (a === '--runs') o.runs = Math.max(1, num());
    else if (a === '--settle') o.settleS = num();
    else if (a === '--cpu-prof' && v) o.cpuProfDir = path.resolve(v);
    else if (a === '--node-arg' && v) o.nodeArgs.push(v);
    else if (a === '--dut-log' && v) o.dutLog = path.resolve(v);
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** Fields of /proc/PID/stat, numbered as in proc(5) (1: pid, 2: comm, 3: state, ...). */
function statFields(pid: number): (n: number) => number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After "pid (comm) " (comm may hold spaces), fields[0] is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (n) => Number(fields[n - 3]);
}

/** utime + stime of a process, seconds (fields 14 and 15, in clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number): number {
  const field = statFields(pid);
  return (field(14) + field(15)) / 100;
}

/** Minor page faults of a process so far (field 10): memory touched for the first time. */
function minorFaults(pid: number): number {
  return statFields(pid)(10);
}

/** A size field of /proc/PID/status ("VmHWM", "RssFile", ...), MiB. */
function statusMiB(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Dut {
  pid: number;
  describe: string;
  logTail(): string;
  /** Prefixes in the DUT's table, when it can say. */
  count(): Promise<{ v4: number; v6: number } | undefined>;
  /** Routes the DUT says it has written to the kernel (--fib). */
  fibRoutes(): Promise<number>;
  stop(): Promise<void>;
}

// BIRD's kernel sync for the --fib comparison: every best route exported to the main table.
const BIRD_KERNEL_PROTOCOLS = `
protocol kernel kernel4 { ipv4 { export all; }; merge paths on; }
protocol kernel kernel6 { ipv6 { export all; }; merge paths on; }
`;

async function startBird(topo: Topology, fib: boolean): Promise<Dut> {
  const bird = new Bird(topo, 'dut', {
    routerId: '198.18.255.2',
    localAs: DUT_AS,
    neighbors: [
      { address: topo.addr('feeder', 'dut'), remoteAs: FEEDER_AS, localAddress: topo.addr('dut', 'feeder'), passive: true },
      { address: topo.addr('collector', 'dut'), remoteAs: COLLECTOR_AS, localAddress: topo.addr('dut', 'collector'), passive: true },
    ],
  });
  if (fib) appendFileSync(bird.config, BIRD_KERNEL_PROTOCOLS);
  await bird.start();
  const version = (await bird.birdc('show status')).split('\n').find((l) => l.startsWith('BIRD')) ?? 'BIRD';
  const exported = async (proto: string): Promise<number> => Number(/(\d+) exported/.exec(await bird.birdc(`show protocols all ${proto}`))?.[1] ?? 0);
  const fibRoutes = async (): Promise<number> => (await exported('kernel4')) + (await exported('kernel6'));
  return { pid: bird.pid!, describe: version.trim(), logTail: () => bird.logTail(20), count: () => bird.routeCount(), fibRoutes, stop: () => bird.stop() };
}

async function startRouted(topo: Topology, dir: string, o: Options): Promise<Dut> {
  const file = path.join(dir, 'routed.yaml');
  writeFileSync(
    file,
    routedConfig({
      routerId: '198.18.255.2',
      localAs: DUT_AS,
      controlSocket: path.join(dir, 'routed.sock'),
      fibMode: o.fib ? 'kernel' : 'off',
      warmUp: o.warmUp,
      neighbors: [
        { address: topo.addr('feeder', 'dut'), remoteAs: FEEDER_AS, localAddress: topo.addr('dut', 'feeder'), description: 'feeder' },
        { address: topo.addr('collector', 'dut'), remoteAs: COLLECTOR_AS, localAddress: topo.addr('dut', 'collector'), description: 'collector' },
      ],
    }),
  );
  const nodeArgs = [...ROUTED_NODE_FLAGS, '--max-old-space-size=8192', ...o.nodeArgs];
  if (o.cpuProfDir) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', o.cpuProfDir);
  const child = topo.spawn('dut', process.execPath, [...nodeArgs, path.join(repoRoot, 'dist/src/cli/routed.js'), '--config', file]);
  let out = '';
  const keep = (d: Buffer): void => void (out = (out + d.toString()).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  if (o.dutLog) {
    const log = createWriteStream(o.dutLog);
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
  }
  const tail = (): string => out.split('\n').slice(-20).join('\n');
  await new Promise((r) => setTimeout(r, 300));
  if (child.exitCode !== null) throw new Error(`routed exited at once (${child.exitCode}):\n${tail()}`);
  const fibRoutes = async (): Promise<number> => {
    for await (const v of request(path.join(dir, 'routed.sock'), { command: ['show', 'status'], args: [], options: {} })) {
      const kernelRoutes = (v as { fib?: { kernelRoutes?: number } }).fib?.kernelRoutes;
      if (kernelRoutes !== undefined) return kernelRoutes;
    }
    return 0;
  };
  return { pid: child.pid!, describe: `routed (${file})`, logTail: tail, count: async () => undefined, fibRoutes, stop: () => stopProcess(child, o.cpuProfDir ? 120_000 : 5000) };
}

/** Connect, retrying while the DUT is not listening yet. */
async function connectWithRetry(agent: LiteAgent, c: Parameters<LiteAgent['connect']>[0], timeoutMs: number, tail: () => string): Promise<void> {
  let last: Error | undefined;
  await pollUntil(
    async () => {
      try {
        await agent.connect(c, 15_000);
        return true;
      } catch (e) {
        last = e as Error;
        if (!/ECONNREFUSED/.test(last.message)) throw last;
        return false;
      }
    },
    timeoutMs,
    `connect to the DUT at ${c.host} (${last?.message ?? ''})`,
    tail,
  );
}

/** When the DUT reports every route in the kernel (CLOCK_MONOTONIC ns, as the agents' times). */
async function fibDone(dut: Dut, total: number, timeoutMs: number): Promise<bigint> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if ((await dut.fibRoutes()) >= total) return process.hrtime.bigint();
    if (Date.now() > end) throw new Error(`the DUT's kernel routes never reached ${total} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface RunResult {
  seconds: number;
  /** --fib: first UPDATE sent → every route in the DUT's kernel. */
  fibSeconds?: number;
  feedSeconds: number;
  /** First UPDATE sent → the collector's first announced prefix (the DUT's latency to its first export). */
  firstOutSeconds: number;
  /** First UPDATE sent → the collector holds half the prefixes. */
  halfSeconds: number;
  peakRssMiB: number;
  /**
   * Of the RSS at the end, the pages mapped from files (RssFile): the DUT's binary and libraries,
   * shared with every process that maps them and reclaimable. For routed mostly the node
   * binary's code (~40 MiB), which no table size changes.
   */
  fileRssMiB: number;
  cpuDuring: number;
  cpuTotal: number;
  /** CPU seconds of the feeder and collector together while T ran (they share the machine's cores). */
  agentsCpu: number;
  /** Of agentsCpu, the collector's (decoding what the DUT sends: more UPDATEs or socket reads cost it more). */
  collectorCpu: number;
  updates: number;
  /** The DUT's minor page faults during T (each a page touched for the first time, ~1–3 µs here). */
  faultsDuring: number;
  /** UPDATEs the collector received until T (how the DUT packed the table). */
  updatesOut: number;
  /** The collector's bytes and socket reads until T. */
  bytesOut: number;
  readsOut: number;
  /** T's ends as CLOCK_MONOTONIC seconds, to cut a profile taken with `perf record -k CLOCK_MONOTONIC` (`perf report --time`). */
  window: [number, number];
  bytes: number;
  dutCount: string;
  /** --withdraw: the feeder's session closed → the collector holds nothing; the DUT's CPU meanwhile. */
  withdrawSeconds?: number;
  withdrawCpu?: number;
  /** --settle: the DUT's RSS that many seconds after T (VmRSS: its table held, nothing coming). */
  settledRssMiB?: number;
}

async function runOnce(o: Options & { dut: DutKind }, topo: Topology, dir: string): Promise<RunResult & { dut: string }> {
  const feeder = await LiteAgent.start(topo, 'feeder');
  const collector = await LiteAgent.start(topo, 'collector');
  const dut = o.dut === 'bird' ? await startBird(topo, o.fib) : await startRouted(topo, dir, o);
  try {
    const built = await feeder.build({ v4: o.prefixes, v6: o.v6, seed: o.seed, localAs: FEEDER_AS, nextHopV4: topo.addr('feeder', 'dut'), nextHopV6: topo.addr('feeder', 'dut', 'ipv6') }, 300_000);
    await connectWithRetry(collector, { host: topo.addr('dut', 'collector'), localAddress: topo.addr('collector', 'dut'), localAs: COLLECTOR_AS, peerAs: DUT_AS, routerId: '198.18.255.3' }, 20_000, dut.logTail);
    await connectWithRetry(feeder, { host: topo.addr('dut', 'feeder'), localAddress: topo.addr('feeder', 'dut'), localAs: FEEDER_AS, peerAs: DUT_AS, routerId: '198.18.255.1' }, 20_000, dut.logTail);

    const cpuBefore = cpuSeconds(dut.pid);
    const faultsBefore = minorFaults(dut.pid);
    const collectorBefore = cpuSeconds(collector.child.pid!);
    const agentsBefore = cpuSeconds(feeder.child.pid!) + collectorBefore;
    const [sent, held] = await Promise.all([feeder.send(o.timeoutS * 1000), collector.waitFor(built.v4, built.v6, o.timeoutS * 1000)]);
    const cpuAfter = cpuSeconds(dut.pid);
    const faultsDuring = minorFaults(dut.pid) - faultsBefore;
    const collectorCpu = cpuSeconds(collector.child.pid!) - collectorBefore;
    const agentsCpu = cpuSeconds(feeder.child.pid!) + collectorCpu + collectorBefore - agentsBefore;
    const fibAt = o.fib ? await fibDone(dut, o.prefixes + o.v6, o.timeoutS * 1000) : undefined;
    const count = await dut.count();
    const settledRssMiB = o.settleS !== undefined ? await settledRss(dut.pid, o.settleS) : undefined;
    const withdrawn = o.withdraw ? await feederGoesDown(feeder, collector, dut.pid, o.timeoutS * 1000) : undefined;
    return {
      ...withdrawn,
      dut: dut.describe,
      seconds: Number(held.atNs - sent.firstNs) / 1e9,
      ...(fibAt !== undefined ? { fibSeconds: Number(fibAt - sent.firstNs) / 1e9 } : {}),
      feedSeconds: Number(sent.lastNs - sent.firstNs) / 1e9,
      firstOutSeconds: Number(held.firstNs - sent.firstNs) / 1e9,
      halfSeconds: Number(held.halfNs - sent.firstNs) / 1e9,
      peakRssMiB: statusMiB(dut.pid, 'VmHWM'),
      fileRssMiB: statusMiB(dut.pid, 'RssFile'),
      cpuDuring: cpuAfter - cpuBefore,
      cpuTotal: cpuAfter,
      agentsCpu,
      collectorCpu,
      faultsDuring,
      updates: built.updates,
      updatesOut: held.counts.updates,
      bytesOut: held.counts.bytesIn,
      readsOut: held.counts.readsIn,
      window: [Number(sent.firstNs) / 1e9, Number(held.atNs) / 1e9],
      bytes: built.bytes,
      dutCount: count ? `${count.v4} + ${count.v6}` : 'n/a',
      ...(settledRssMiB !== undefined ? { settledRssMiB } : {}),
    };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- DUT log tail ---\n${dut.logTail()}`);
  } finally {
    await feeder.stop();
    await collector.stop();
    await dut.stop();
  }
}

/** The DUT's RSS after `seconds` of quiet (its table loaded, the feeder idle). */
async function settledRss(pid: number, seconds: number): Promise<number> {
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return statusMiB(pid, 'VmRSS');
}

/**
 * --withdraw: the feeder's session ends (its process closes the connection, as a neighbour that
 * goes away does), and the DUT withdraws every route from the collector: the time from the close
 * to the collector holding nothing, and the DUT's CPU meanwhile.
 */
async function feederGoesDown(feeder: LiteAgent, collector: LiteAgent, dutPid: number, timeoutMs: number): Promise<{ withdrawSeconds: number; withdrawCpu: number }> {
  const cpu0 = cpuSeconds(dutPid);
  const empty = collector.waitFor(0, 0, timeoutMs);
  const startNs = nowNs();
  await feeder.stop();
  const { atNs } = await empty;
  return { withdrawSeconds: Number(atNs - startNs) / 1e9, withdrawCpu: cpuSeconds(dutPid) - cpu0 };
}

function row(r: number, dut: DutKind, res: RunResult, o: Options): string {
  const total = o.prefixes + o.v6;
  return `${r} | ${dut} | ${res.seconds.toFixed(2)} | ${res.feedSeconds.toFixed(2)} | ${Math.round(total / res.seconds)} | ${res.peakRssMiB.toFixed(0)} (${res.fileRssMiB.toFixed(0)}) | ${res.cpuDuring.toFixed(2)} | ${res.cpuTotal.toFixed(2)} | ${res.agentsCpu.toFixed(2)} (${res.collectorCpu.toFixed(2)}) | ${res.updatesOut} (${(res.bytesOut / 1e6).toFixed(2)} MB, ${res.readsOut} reads) | ${res.dutCount} | ${res.firstOutSeconds.toFixed(3)} | ${res.halfSeconds.toFixed(2)}${res.fibSeconds !== undefined ? ` | ${res.fibSeconds.toFixed(2)}` : ''}${res.withdrawSeconds !== undefined ? ` | ${res.withdrawSeconds.toFixed(2)} | ${res.withdrawCpu!.toFixed(2)}` : ''}${res.settledRssMiB !== undefined ? ` | ${res.settledRssMiB.toFixed(0)}` : ''}`;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const topo = await createTopology({ nodes: ['feeder', 'dut', 'collector'], links: [{ a: 'feeder', b: 'dut' }, { a: 'dut', b: 'collector' }] }, 'convergence');
  const stop = (): void => {
    topo.destroySync();
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const dir = mkdtempSync('/tmp/routed-convergence-');
  try {
    console.log(`convergence: DUT ${o.dut}, ${o.prefixes} IPv4 + ${o.v6} IPv6 prefixes, seed ${o.seed}, ${o.runs} run(s)`);
    console.log(`run | DUT | T (s) | feed (s) | prefixes/s | DUT peak RSS (MiB) (files) | DUT CPU during (s) | DUT CPU total (s) | agents CPU (s) (collector) | UPDATEs out (bytes, reads) | DUT table | first out (s) | half (s)${o.fib ? ' | FIB (s)' : ''}${o.withdraw ? ' | withdraw (s) | withdraw CPU (s)' : ''}${o.settleS !== undefined ? ` | RSS after ${o.settleS} s (MiB)` : ''}`);
    const results: (RunResult & { dut: string; kind: DutKind })[] = [];
    const pairs: Pair[] = [];
    for (let r = 1; r <= o.runs; r++) {
      const order: DutKind[] = o.dut !== 'both' ? [o.dut] : r % 2 === 1 ? ['bird', 'routed'] : ['routed', 'bird'];
      const pair: Partial<Record<DutKind, RunResult>> = {};
      for (const dut of order) {
        const res = await runOnce({ ...o, dut }, topo, dir);
        results.push({ ...res, kind: dut });
        pair[dut] = res;
        console.log(row(r, dut, res, o));
        if (r === 1) console.log(`  ${dut}: ${res.dut}; feed ${res.updates} UPDATEs, ${(res.bytes / 1048576).toFixed(1)} MiB`);
      }
      if (pair.bird && pair.routed) {
        const p = pairOf(pair.routed, pair.bird);
        pairs.push(p);
        console.log(`${r} | routed/BIRD | ${p.t.toFixed(2)}× T, ${p.rss.toFixed(2)}× peak RSS, ${p.cpu.toFixed(2)}× CPU during${p.withdraw !== undefined ? `, ${p.withdraw.toFixed(2)}× withdraw` : ''}${p.settled !== undefined ? `, ${p.settled.toFixed(2)}× settled RSS` : ''}`);
      }
    }
    if (pairs.length > 0) console.log(pairSummary(pairs));
    const of = (dut: DutKind): number[] => results.filter((x) => x.kind === dut).map((x) => x.seconds);
    const medianSeconds = o.dut === 'both' ? { bird: median(of('bird')), routed: median(of('routed')) } : median(of(o.dut));
    console.log(JSON.stringify({ dut: o.dut, prefixes: o.prefixes, v6: o.v6, medianSeconds, ...(pairs.length > 0 && { pairs }), runs: results }));
  } finally {
    await topo.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exitCode = 1;
});
