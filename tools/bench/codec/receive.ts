// Receive-path benchmark: the convergence feeder's UPDATEs through the session's framing and the
// codec, read the way the RIB reads them (prefix keys, not prefix text). Single thread.
//
//   node dist/tools/bench/codec/receive.js [--prefixes N] [--v6 N] [--runs K] [--chunk BYTES] [--against DIR]
//
// The stream is the one `bench:convergence --prefixes N` sends (tools/bench/lib/feeder.ts: same
// seed, AS and next hops), cut into chunks of --chunk bytes (64 KiB, a socket read) and handed to
// a Connection (src/bgp/session/transport-conn.ts) as 'data' events. Each UPDATE it reports is
// consumed as src/rib/attrs-wire.ts routesOf and src/rib/rib.ts do: the findings scanned, every
// list counted (nlriCount) and its keys walked (wireKeys), the attribute values touched.
//
// Printed: median ms per pass (min..max), ns per UPDATE, GC ms per pass (perf_hooks), the
// process's CPU time per pass (GC helper threads included; steadier than wall time on a loaded
// machine), and bytes allocated per UPDATE (new-space growth over a batch no scavenge interrupted).
//
// --against DIR: also the build in DIR (a checkout with its dist/, e.g. a git worktree of the
// revision before), its passes alternating with this build's in the same process, so that a
// loaded machine slows both alike: an A/B of the receive path in one run.

import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import path from 'node:path';
import { pathToFileURL } from 'node:url';

import * as conn from '../../../src/bgp/session/transport-conn.js';
import * as wire from '../../../src/bgp/wire/index.js';
import type { UpdateFinding, UpdateMessage } from '../../../src/bgp/wire/index.js';
import { buildFeed } from '../lib/feeder.js';

/** What a pass needs of a build: its Connection and the codec's prefix-key readers. */
interface Build {
  label: string;
  Connection: typeof conn.Connection;
  makeContext: typeof wire.makeContext;
  nlriCount: typeof wire.nlriCount;
  wireKeys: typeof wire.wireKeys;
}

const THIS_BUILD: Build = { label: 'this build', Connection: conn.Connection, makeContext: wire.makeContext, nlriCount: wire.nlriCount, wireKeys: wire.wireKeys };

async function loadBuild(dir: string): Promise<Build> {
  const at = (file: string): string => pathToFileURL(path.resolve(dir, 'dist', file)).href;
  const c = (await import(at('src/bgp/session/transport-conn.js'))) as typeof conn;
  const w = (await import(at('src/bgp/wire/index.js'))) as typeof wire;
  return { label: dir, Connection: c.Connection, makeContext: w.makeContext, nlriCount: w.nlriCount, wireKeys: w.wireKeys };
}

interface Options {
  prefixes: number;
  v6: number;
  runs: number;
  chunk: number;
  against: string | undefined;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { prefixes: 1_000_000, v6: 0, runs: 7, chunk: 65536, against: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i]!;
    if (a === '--against' && argv[i + 1] !== undefined) {
      o.against = argv[i + 1];
      continue;
    }
    const n = Number(argv[i + 1]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${a} wants a number`);
    if (a === '--prefixes') o.prefixes = Math.floor(n);
    else if (a === '--v6') o.v6 = Math.floor(n);
    else if (a === '--runs') o.runs = Math.max(1, Math.floor(n));
    else if (a === '--chunk') o.chunk = Math.max(19, Math.floor(n));
    else throw new Error(`unknown argument ${a} (--prefixes N --v6 N --runs K --chunk BYTES --against DIR)`);
  }
  return o;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const gcPauses: { start: number; duration: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push({ start: e.startTime, duration: e.duration });
}).observe({ entryTypes: ['gc'] });

/**
 * What the session needs of a socket to read from it: 'data' events and pause/resume. The
 * Connection pauses after each chunk and reports its messages a slice a turn, resuming once the
 * last is reported: the pass hands it the next chunk then, as a socket would.
 */
class ChunkSource extends EventEmitter {
  private paused = false;
  private resumed: (() => void) | undefined;
  isPaused(): boolean {
    return this.paused;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    const resumed = this.resumed;
    this.resumed = undefined;
    resumed?.();
  }
  destroy(): void {}
  /** Settles when the Connection reads again (at once if it is not paused). */
  readable(): Promise<void> {
    return this.paused ? new Promise((resolve) => (this.resumed = resolve)) : Promise.resolve();
  }
}

/** The RIB's reading of one UPDATE (routesOf, hasTreatAsWithdraw, withdrawList/announceList). */
class Consumer {
  updates = 0;
  prefixes = 0;
  check = 0;

  constructor(private readonly build: Build) {}

  take(msg: UpdateMessage, findings: readonly UpdateFinding[]): void {
    this.updates++;
    for (const f of findings) if (f.action === 'treat-as-withdraw') this.check++;
    this.list(msg, 'withdrawn');
    for (const a of msg.attributes) {
      if (a.name === 'MP_REACH_NLRI') this.list(a.value, 'nlri');
      else if (a.name === 'MP_UNREACH_NLRI') this.list(a.value, 'withdrawn');
      else if (a.name === 'AS_PATH') this.check += a.value.length;
      else if (a.name === 'COMMUNITIES') this.check += a.value.length;
    }
    this.list(msg, 'nlri');
  }

  private list(holder: { nlri?: unknown[]; withdrawn?: unknown[] }, field: 'nlri' | 'withdrawn'): void {
    if (this.build.nlriCount(holder as never, field) === 0) return;
    const k = this.build.wireKeys(holder, field);
    if (!k) throw new Error('a list without keys: the pass would build prefix text');
    const stride = k.stride;
    for (let o = k.start, end = k.end; o < end; o += stride) this.check = (this.check + k.keys[o]!) | 0;
    this.prefixes += k.count;
  }
}

async function pass(build: Build, chunks: readonly Buffer[]): Promise<Consumer> {
  const consumer = new Consumer(build);
  const socket = new ChunkSource();
  // As the session's after the OPENs (src/bgp/session/negotiate.ts): keyed holders.
  const ctx = build.makeContext({ as4: true, keyedLists: true });
  new build.Connection(socket as unknown as net.Socket, 'inbound', () => ctx, {
    event: (ev) => {
      throw new Error(`unexpected event ${ev.type}`);
    },
    update: (msg, findings) => consumer.take(msg, findings),
    closed: () => undefined,
    drain: () => undefined,
  });
  for (const c of chunks) {
    socket.emit('data', c);
    await socket.readable();
  }
  return consumer;
}

/** New-space bytes allocated per UPDATE: the largest growth seen over batches (a scavenge only shrinks it). */
async function bytesPerUpdate(build: Build, chunks: readonly Buffer[], updatesPerChunk: number): Promise<number> {
  const newSpace = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;
  let best = 0;
  // The stream's first chunks (a batch must start at a message), 40 times.
  const batch = chunks.slice(0, 4);
  for (let t = 0; t < 40; t++) {
    const before = newSpace();
    await pass(build, batch);
    best = Math.max(best, newSpace() - before);
  }
  return best / (batch.length * updatesPerChunk);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const feed = buildFeed({ v4: o.prefixes, v6: o.v6, localAs: 65001, nextHopV4: '198.18.0.1', nextHopV6: '2001:db8::1' });
  const chunks: Buffer[] = [];
  for (let at = 0; at < feed.stream.wire.length; at += o.chunk) chunks.push(feed.stream.wire.subarray(at, at + o.chunk));
  console.log(`${feed.updates} UPDATEs, ${(feed.stream.wire.length / 1048576).toFixed(1)} MiB in ${chunks.length} chunks of ${o.chunk} bytes`);
  const builds = o.against === undefined ? [THIS_BUILD] : [THIS_BUILD, await loadBuild(o.against)];
  for (const b of builds) {
    const first = await pass(b, chunks);
    if (first.updates !== feed.updates || first.prefixes !== o.prefixes + o.v6) {
      throw new Error(`${b.label}: pass saw ${first.updates} UPDATEs and ${first.prefixes} prefixes`);
    }
  }
  const samples = builds.map(() => [] as Sample[]);
  for (let r = 0; r < o.runs; r++) {
    // Builds take turns, in the other order every round.
    for (let j = 0; j < builds.length; j++) {
      const i = r % 2 === 0 ? j : builds.length - 1 - j;
      samples[i]!.push(await timedPass(builds[i]!, chunks));
    }
  }
  for (const [i, b] of builds.entries()) {
    console.log(`${b.label}: ${summary(samples[i]!, feed.updates)}; allocated ${(await bytesPerUpdate(b, chunks, feed.updates / chunks.length)).toFixed(0)} B/UPDATE`);
  }
}

interface Sample {
  ms: number;
  cpuMs: number;
  gcMs: number;
}

async function timedPass(build: Build, chunks: readonly Buffer[]): Promise<Sample> {
  gc();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await pass(build, chunks);
  const t1 = performance.now();
  const c = process.cpuUsage(c0);
  await new Promise((resolve) => setTimeout(resolve, 20));
  let gcMs = 0;
  for (const g of gcPauses) if (g.start >= t0 && g.start < t1) gcMs += g.duration;
  return { ms: t1 - t0, cpuMs: (c.user + c.system) / 1000, gcMs };
}

function summary(samples: Sample[], updates: number): string {
  const byTime = samples.slice().sort((a, b) => a.ms - b.ms);
  const mid = byTime[byTime.length >> 1]!;
  const cpu = samples.map((x) => x.cpuMs).sort((a, b) => a - b);
  return (
    `median ${mid.ms.toFixed(1)} ms (${byTime[0]!.ms.toFixed(1)}..${byTime[byTime.length - 1]!.ms.toFixed(1)}), ` +
    `${((mid.ms * 1e6) / updates).toFixed(0)} ns/UPDATE, GC ${mid.gcMs.toFixed(1)} ms; ` +
    `process CPU median ${cpu[cpu.length >> 1]!.toFixed(1)} ms (min ${cpu[0]!.toFixed(1)})`
  );
}

await main();
