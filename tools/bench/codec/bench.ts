// Codec throughput benchmark (single thread).
//
//   node dist/tools/bench/codec/bench.js [--prefixes N] [--v6 N] [--runs K] [--seed S]
//                                        [--only table|ris|decode|encode] [--mrt FILE]
//
// 1. A synthetic full table (tools/bench/lib/fulltable.ts: N IPv4 prefixes, default 1M, plus
//    ~23% as many IPv6), packed into UPDATEs of <= 4096 bytes and encoded once into one stream.
//    Timed, median of K runs after a warm-up run:
//      floor   a plain loop walking the same stream: read each message's length field and touch
//              every byte (the memory-bandwidth floor every figure is also quoted against);
//      decode  decodeMessage of every message (ctx as4), counting prefixes and UPDATEs;
//      encode  encodeMessage of the prepared UpdateMessage objects.
//    Then the retained heap of the whole decoded table and the process's peak RSS.
// 2. The RIS capture ../shared/data/mrt/ris-rrc15-updates.20100227.1600.gz (gunzip, MRT walk by
//    src/mrt), every BGP message decoded with its record's context, then encoded back (and how
//    many come back byte for byte).
//
// --only runs one part (for profiling: node --cpu-prof dist/tools/bench/codec/bench.js --only decode).

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { decodeMessage, encodeMessage, makeContext } from '../../../src/bgp/wire/index.js';
import type { BgpMessage, CodecContext, UpdateMessage } from '../../../src/bgp/wire/types.js';
import { loadMrtFile } from '../../../src/mrt/input.js';
import { readMrt } from '../../../src/mrt/reader.js';
import { describeTable, generateFullTable } from '../lib/fulltable.js';
import { concatMessages, encodeStream, packUpdates, type WireStream } from '../lib/updates.js';

// ---- options ----

interface Options {
  prefixes: number;
  v6: number | undefined;
  runs: number;
  seed: number;
  only: string | undefined;
  mrt: string;
}

const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../../../..');

function parseArgs(argv: string[]): Options {
  const o: Options = {
    prefixes: 1_000_000,
    v6: undefined,
    runs: 5,
    seed: 0x5eed,
    only: undefined,
    mrt: path.join(repoRoot, '..', 'shared', 'data', 'mrt', 'ris-rrc15-updates.20100227.1600.gz'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1];
    const num = (): number => {
      const n = Number(v);
      if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${a} wants a number`);
      i++;
      return n;
    };
    switch (a) {
      case '--prefixes':
        o.prefixes = Math.floor(num());
        break;
      case '--v6':
        o.v6 = Math.floor(num());
        break;
      case '--runs':
        o.runs = Math.max(1, Math.floor(num()));
        break;
      case '--seed':
        o.seed = Math.floor(num());
        break;
      case '--only':
        if (v === undefined || !['table', 'ris', 'decode', 'encode'].includes(v)) throw new Error('--only table|ris|decode|encode');
        o.only = v;
        i++;
        break;
      case '--mrt':
        if (v === undefined) throw new Error('--mrt wants a file');
        o.mrt = v;
        i++;
        break;
      case '-h':
      case '--help':
        console.log('usage: node dist/tools/bench/codec/bench.js [--prefixes N] [--v6 N] [--runs K] [--seed S] [--only table|ris|decode|encode] [--mrt FILE]');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  return o;
}

// ---- timing helpers ----

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Timing {
  /** Median ms of one pass over the input. */
  ms: number;
  min: number;
  max: number;
  /** GC pause ms per pass, in the run whose time is the median (from perf_hooks 'gc' entries). */
  gcMs: number;
  /** Whatever the pass returned (checked to be the same every run). */
  result: number;
}

// GC pauses, as perf_hooks reports them. The entries arrive asynchronously, so `time` is async
// and lets the event loop turn before it reads them.
const gcPauses: { start: number; duration: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push({ start: e.startTime, duration: e.duration });
}).observe({ entryTypes: ['gc'] });

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

function gcWithin(t0: number, t1: number): number {
  let ms = 0;
  for (const g of gcPauses) if (g.start >= t0 && g.start < t1) ms += g.duration;
  return ms;
}

/**
 * One warm-up run, then `runs` timed runs of `reps` passes each (reps chosen so that a run lasts
 * at least minRunMs, for small inputs). Figures are per pass.
 */
async function time(fn: () => number, runs: number, minRunMs = 200): Promise<Timing> {
  gc();
  let t0 = performance.now();
  const result = fn();
  const once = Math.max(performance.now() - t0, 0.001);
  const reps = Math.max(1, Math.ceil(minRunMs / once));
  const samples: { ms: number; t0: number; t1: number }[] = [];
  for (let r = 0; r < runs; r++) {
    gc();
    t0 = performance.now();
    for (let i = 0; i < reps; i++) {
      if (fn() !== result) throw new Error('benchmark pass gave a different result');
    }
    const t1 = performance.now();
    samples.push({ ms: (t1 - t0) / reps, t0, t1 });
  }
  await settle();
  const sorted = samples.slice().sort((x, y) => x.ms - y.ms);
  const mid = sorted[sorted.length >> 1]!;
  return {
    ms: median(samples.map((x) => x.ms)),
    min: sorted[0]!.ms,
    max: sorted[sorted.length - 1]!.ms,
    gcMs: gcWithin(mid.t0, mid.t1) / reps,
    result,
  };
}

// ---- the measured loops ----

/** The floor: per message, read the length field and touch every byte. */
function floorPass(s: WireStream): number {
  const w = s.wire;
  const off = s.offsets;
  let acc = 0;
  for (let i = 0; i < s.count; i++) {
    const at = off[i]!;
    const len = (w[at + 16]! << 8) | w[at + 17]!;
    for (let j = at; j < at + len; j++) acc = (acc + w[j]!) | 0;
  }
  return acc;
}

function countPrefixes(m: BgpMessage): number {
  if (m.type !== 'UPDATE') return 0;
  let n = m.nlri.length + m.withdrawn.length;
  for (const a of m.attributes) {
    if (a.name === 'MP_REACH_NLRI') n += a.value.nlri.length;
    else if (a.name === 'MP_UNREACH_NLRI') n += a.value.withdrawn.length;
  }
  return n;
}

function decodePass(s: WireStream, ctxOf: (i: number) => CodecContext): number {
  const w = s.wire;
  const off = s.offsets;
  let prefixes = 0;
  for (let i = 0; i < s.count; i++) {
    const r = decodeMessage(w.subarray(off[i]!, off[i + 1]!), ctxOf(i));
    if (!r.ok) throw new Error(`message ${i} does not decode: ${r.reason}`);
    prefixes += countPrefixes(r.msg);
  }
  return prefixes;
}

function encodePass(msgs: readonly BgpMessage[], ctxOf: (i: number) => CodecContext): number {
  let bytes = 0;
  for (let i = 0; i < msgs.length; i++) bytes += encodeMessage(msgs[i]!, ctxOf(i)).length;
  return bytes;
}

// ---- output ----

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtRate = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));
const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

function report(title: string, rows: [string, Timing][], floor: Timing, prefixes: number, updates: number, bytes: number): void {
  console.log(`\n${title}`);
  console.log(
    `  ${'pass'.padEnd(10)} ${'median ms'.padStart(10)} ${'(min..max)'.padStart(17)} ${'prefixes/s'.padStart(11)} ${'UPDATEs/s'.padStart(10)} ${'MB/s'.padStart(8)} ${'x floor'.padStart(8)} ${'GC %'.padStart(5)}`,
  );
  for (const [name, t] of [['floor', floor] as [string, Timing], ...rows]) {
    const s = t.ms / 1000;
    console.log(
      `  ${name.padEnd(10)} ${t.ms.toFixed(2).padStart(10)} ${`(${t.min.toFixed(1)}..${t.max.toFixed(1)})`.padStart(17)} ` +
        `${fmtRate(prefixes / s).padStart(11)} ${fmtRate(updates / s).padStart(10)} ${(bytes / 1e6 / s).toFixed(0).padStart(8)} ` +
        `${(t.ms / floor.ms).toFixed(1).padStart(8)} ${((100 * t.gcMs) / t.ms).toFixed(0).padStart(5)}`,
    );
  }
}

function verdict(name: string, prefixesPerSec: number): string {
  return `${name} ${fmtRate(prefixesPerSec)} prefixes/s: ${prefixesPerSec >= 2e6 ? 'meets' : 'BELOW'} the 2M prefixes/s target`;
}

// ---- parts ----

interface Prepared {
  stream: WireStream;
  /** The packed UPDATEs (input of the encode pass); dropped before the decode pass. */
  msgs: UpdateMessage[] | undefined;
  prefixes: number;
}

/** Generate, pack and encode once. The generator's own structures go out of scope on return. */
function prepare(o: Options, ctx: CodecContext): Prepared {
  let t0 = performance.now();
  const table = generateFullTable({ v4: o.prefixes, ...(o.v6 !== undefined ? { v6: o.v6 } : {}), seed: o.seed });
  const genMs = performance.now() - t0;
  console.log(`synthetic full table (seed ${o.seed}, generated in ${(genMs / 1000).toFixed(1)} s)`);
  console.log(describeTable(table).replace(/^/gm, '  '));

  t0 = performance.now();
  const packed = packUpdates([...table.v4, ...table.v6]);
  const stream = encodeStream(packed, (m) => encodeMessage(m, ctx));
  const prefixes = table.v4Prefixes + table.v6Prefixes;
  const v4Updates = packed.findIndex((p) => p.msg.nlri.length === 0);
  console.log(
    `  ${fmtInt(stream.count)} UPDATEs (${fmtInt(v4Updates < 0 ? stream.count : v4Updates)} IPv4, the rest MP_REACH IPv6), ` +
      `${mb(stream.wire.length)} on the wire, mean ${(stream.wire.length / stream.count).toFixed(0)} B/UPDATE, ` +
      `${(prefixes / stream.count).toFixed(2)} prefixes/UPDATE; packed and encoded in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
      (stream.sizeMismatches > 0 ? `; WARNING ${stream.sizeMismatches} messages differ in size from the packer's estimate` : ''),
  );
  return { stream, msgs: packed.map((p) => p.msg), prefixes };
}

function liveHeap(): string {
  gc();
  return mb(process.memoryUsage().heapUsed);
}

/** In a function of its own, so that no frame of the caller keeps the messages alive after. */
function timeEncode(prep: Prepared, ctxOf: (i: number) => CodecContext, runs: number): Promise<Timing> {
  const msgs = prep.msgs;
  if (msgs === undefined) throw new Error('messages already released');
  prep.msgs = undefined;
  return time(() => encodePass(msgs, ctxOf), runs);
}

async function fullTable(o: Options): Promise<void> {
  const part = o.only;
  const ctx = makeContext({ as4: true });
  const ctxOf = (): CodecContext => ctx;
  const prep = prepare(o, ctx);
  const { stream, prefixes } = prep;

  // Correctness of the setup, untimed: every message decodes and the prefixes all come back.
  const decodedPrefixes = decodePass(stream, ctxOf);
  if (decodedPrefixes !== prefixes) throw new Error(`decoded ${decodedPrefixes} prefixes, packed ${prefixes}`);

  const floor = await time(() => floorPass(stream), o.runs);
  const rows: [string, Timing][] = [];
  const notes: string[] = [];
  // Encode first: its input (the UpdateMessage objects) must be alive. Then drop it, so that the
  // decode pass runs with only the wire stream live (a large live heap makes every major GC that
  // falls inside a timed pass cost hundreds of ms, which is noise here, not codec cost).
  const live = liveHeap();
  if (part === undefined || part === 'table') {
    // The same decode while the packed messages are still alive: a live heap of a few hundred MB,
    // as a daemon holding a full RIB has; shows what major GCs add.
    notes.push(`decode+LH timed with ${live} live heap`);
    rows.push(['decode+LH', await time(() => decodePass(stream, ctxOf), o.runs)]);
  }
  if (part === undefined || part === 'encode' || part === 'table') {
    notes.push(`encode timed with ${live} live heap`);
    rows.push(['encode', await timeEncode(prep, ctxOf, o.runs)]);
  }
  prep.msgs = undefined;
  if (part === undefined || part === 'decode' || part === 'table') {
    notes.push(`decode timed with ${liveHeap()} live heap`);
    rows.push(['decode', await time(() => decodePass(stream, ctxOf), o.runs)]);
  }
  report(`full table, ${o.runs} runs (median per pass; x floor = time / floor time)`, rows, floor, prefixes, stream.count, stream.wire.length);
  for (const [name, t] of rows) console.log(`  ${verdict(name, prefixes / (t.ms / 1000))}`);
  console.log(`  (${notes.join('; ')})`);

  if (part === undefined || part === 'table') {
    // Retained size of the whole decoded table: everything else alive stays alive across both
    // measurements, so the difference is the decoded messages.
    gc();
    const before = process.memoryUsage();
    const kept: BgpMessage[] = new Array(stream.count);
    for (let i = 0; i < stream.count; i++) {
      const r = decodeMessage(stream.wire.subarray(stream.offsets[i]!, stream.offsets[i + 1]!), ctx);
      if (r.ok) kept[i] = r.msg;
    }
    gc();
    const after = process.memoryUsage();
    const heap = after.heapUsed - before.heapUsed;
    console.log(
      `\nmemory: the decoded full table (${fmtInt(kept.length)} UpdateMessage objects) retains ${mb(heap)} of heap, ` +
        `${(heap / prefixes).toFixed(0)} B/prefix; heap used ${mb(after.heapUsed)}, RSS ${mb(after.rss)}; ` +
        `process peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} (the peak includes the generator and packer)`,
    );
  }
}

async function risCapture(o: Options): Promise<void> {
  if (!existsSync(o.mrt)) {
    console.log(`\nRIS capture: ${o.mrt} not found, skipped`);
    return;
  }
  const data = loadMrtFile(o.mrt);
  const bufs: Uint8Array[] = [];
  const ctxs: CodecContext[] = [];
  const ctxCache = new Map<string, CodecContext>();
  let records = 0;
  for (const rec of readMrt(data)) {
    records++;
    if (rec.kind !== 'message') continue;
    const key = `${rec.as4}/${rec.addPath}`;
    let ctx = ctxCache.get(key);
    if (ctx === undefined) {
      ctx = makeContext({ as4: rec.as4, addPath: rec.addPath ? new Set(['1/1', '2/1']) : new Set(), extendedMessage: true });
      ctxCache.set(key, ctx);
    }
    bufs.push(rec.message);
    ctxs.push(ctx);
  }
  const stream = concatMessages(bufs);
  const ctxOf = (i: number): CodecContext => ctxs[i]!;

  // Untimed setup: the decoded messages (input of the encode pass) and the round-trip check.
  const msgs: BgpMessage[] = [];
  let updates = 0;
  let failed = 0;
  let identical = 0;
  let prefixes = 0;
  for (let i = 0; i < stream.count; i++) {
    const b = stream.wire.subarray(stream.offsets[i]!, stream.offsets[i + 1]!);
    const r = decodeMessage(b, ctxs[i]!);
    if (!r.ok) {
      failed++;
      continue;
    }
    msgs.push(r.msg);
    if (r.msg.type === 'UPDATE') updates++;
    prefixes += countPrefixes(r.msg);
    if (Buffer.from(encodeMessage(r.msg, ctxs[i]!)).equals(b)) identical++;
  }
  console.log(
    `\nRIS capture ${path.basename(o.mrt)}: ${fmtInt(records)} MRT records, ${fmtInt(stream.count)} BGP messages ` +
      `(${fmtInt(updates)} UPDATEs, ${fmtInt(prefixes)} announced + withdrawn prefixes), ${mb(stream.wire.length)}; ` +
      `${failed} do not decode, ${fmtInt(identical)} of ${fmtInt(msgs.length)} re-encode byte for byte`,
  );
  if (failed > 0) {
    console.log('  (messages that do not decode are left out of the decode pass; figures are for the rest)');
    const good: Uint8Array[] = [];
    const goodCtx: CodecContext[] = [];
    for (let i = 0; i < stream.count; i++) {
      const b = stream.wire.subarray(stream.offsets[i]!, stream.offsets[i + 1]!);
      if (decodeMessage(b, ctxs[i]!).ok) {
        good.push(b);
        goodCtx.push(ctxs[i]!);
      }
    }
    Object.assign(stream, concatMessages(good));
    ctxs.splice(0, ctxs.length, ...goodCtx);
  }
  const floor = await time(() => floorPass(stream), o.runs);
  const decode = await time(() => decodePass(stream, ctxOf), o.runs);
  const encode = await time(() => encodePass(msgs, ctxOf), o.runs);
  report(`RIS capture, ${o.runs} runs (prefixes = announced + withdrawn, both families)`, [['decode', decode], ['encode', encode]], floor, prefixes, updates, stream.wire.length);
}

/** The commit the codec was built from, and whether src/bgp/wire had uncommitted changes. */
function codecVersion(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'src/bgp/wire') !== '';
    return `at ${head}${dirty ? ' + uncommitted changes in src/bgp/wire' : ''}`;
  } catch {
    return 'version unknown (no git)';
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  console.log(`codec bench: node ${process.version}, ${process.arch}, single thread; runs ${o.runs} after one warm-up; codec ${codecVersion()}`);
  if (o.only !== 'ris' && o.prefixes + (o.v6 ?? 0) > 0) await fullTable(o);
  if (o.only === undefined || o.only === 'ris') await risCapture(o);
}

await main();
