// A small coverage-guided fuzzer driven by V8's own block coverage (node:inspector,
// Profiler.startPreciseCoverage with detailed: true), in the manner of libFuzzer: a corpus of
// inputs that each reached a block no earlier input reached, mutated by a stack of byte-level
// operators and splices with a BGP dictionary, with a seeded PRNG so a run is replayable.
//
// Why our own loop: jazzer.js 4 ships only a prebuilt addon that needs glibc 2.38 (Debian 12 has
// 2.36) and no sources; jazzer.js 2.x ships sources but instruments CommonJS only (istanbul's
// require hook), so it would see no coverage in this ESM project; no other maintained npm fuzzer
// is coverage-guided. V8's block counters need no instrumentation step and see ESM code as it runs.
//
// Cost control: taking coverage serialises every function's counters, so inputs run in batches
// and coverage is taken once per batch. Only a batch that reached a new block is replayed one
// input at a time to find the inputs that did (new coverage is rare once the corpus settles).

import { Session } from 'node:inspector';

export interface Finding {
  kind: 'crash' | 'slow';
  message: string;
  input: Uint8Array;
}

/** One fuzz target: runs an input, returns a finding message or undefined. Must not throw. */
export interface Target {
  name: string;
  maxLen: number;
  /** Extra tokens for the dictionary mutator. */
  dictionary?: Uint8Array[];
  run(input: Uint8Array): string | undefined;
}

export interface RunOptions {
  runs: number;
  seed: number;
  seeds: Uint8Array[];
  /** Stop after this many ms even if runs are not done (benchmark runs). */
  timeLimitMs?: number;
  /** An input slower than this is reported as a hang candidate. */
  slowMs?: number;
  batch?: number;
  /** Only coverage of scripts whose URL contains this counts (the code under test). */
  coverUrl?: string;
  onProgress?: (s: Stats) => void;
}

export interface Stats {
  target: string;
  runs: number;
  corpus: number;
  /** Corpus size after the seeds alone: the rest was found by coverage. */
  seedCorpus: number;
  blocks: number;
  findings: Finding[];
  ms: number;
  peakHeapMiB: number;
}

/** xorshift32: small, fast and replayable. */
export class Rng {
  constructor(private s: number) {
    this.s = s >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
}

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface ScriptCoverage {
  url: string;
  functions: { ranges: Range[] }[];
}

/**
 * Block coverage through an in-process inspector session (its calls complete synchronously).
 *
 * V8 reports a function's ranges nested, and leaves out a block whose count equals its
 * enclosing range's: one input that runs a block shows no range for it, only the blocks it did
 * not run (count 0). So every range ever reported is remembered per function, and a block's
 * count is that of the innermost range reported now that contains it.
 */
class Coverage {
  private readonly session = new Session();
  /** Per function (url and start): every block range seen, as [start, end]. */
  private readonly known = new Map<string, Map<string, [number, number]>>();
  constructor(private readonly urlPart: string) {
    this.session.connect();
    this.call('Profiler.enable', {});
    this.call('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }
  private call(method: string, params: object): unknown {
    let out: unknown;
    let err: Error | null = null;
    this.session.post(method, params, (e, r) => {
      err = e;
      out = r;
    });
    if (err) throw err;
    return out;
  }
  /** Keys of the blocks executed since the last call (the counters reset on each take). */
  take(): string[] {
    const r = this.call('Profiler.takePreciseCoverage', {}) as { result: ScriptCoverage[] };
    const keys: string[] = [];
    for (const s of r.result) {
      if (!s.url.includes(this.urlPart)) continue;
      for (const f of s.functions) {
        const head = f.ranges[0];
        if (!head) continue;
        const fk = `${s.url}:${head.startOffset}`;
        let blocks = this.known.get(fk);
        if (!blocks) this.known.set(fk, (blocks = new Map()));
        for (const range of f.ranges) blocks.set(`${range.startOffset}:${range.endOffset}`, [range.startOffset, range.endOffset]);
        if (head.count === 0) continue;
        for (const [k, [start, end]] of blocks) if (innermostCount(f.ranges, start, end) > 0) keys.push(`${s.url}:${k}`);
      }
    }
    return keys;
  }
  close(): void {
    this.call('Profiler.stopPreciseCoverage', {});
    this.session.disconnect();
  }
}

/** Count of the smallest reported range that contains [start, end]. */
function innermostCount(ranges: Range[], start: number, end: number): number {
  let best: Range | undefined;
  for (const r of ranges) {
    if (r.startOffset <= start && r.endOffset >= end && (!best || r.endOffset - r.startOffset < best.endOffset - best.startOffset)) best = r;
  }
  return best?.count ?? 0;
}

const INTERESTING8 = [0, 1, 2, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING16 = [0, 1, 19, 23, 29, 255, 256, 4095, 4096, 4097, 0x7fff, 0x8000, 0xfffe, 0xffff];

type Mutator = (d: number[], rng: Rng, other: Uint8Array, dict: Uint8Array[]) => void;

/** libFuzzer's byte-level operators, plus splices of other corpus entries and dictionary tokens. */
const MUTATORS: Mutator[] = [
  (d, rng) => {
    if (d.length) d[rng.below(d.length)]! ^= 1 << rng.below(8);
  },
  (d, rng) => {
    if (d.length) d[rng.below(d.length)] = rng.below(256);
  },
  (d, rng) => {
    if (d.length) d[rng.below(d.length)] = INTERESTING8[rng.below(INTERESTING8.length)]!;
  },
  (d, rng) => {
    if (d.length < 2) return;
    const v = INTERESTING16[rng.below(INTERESTING16.length)]!;
    const i = rng.below(d.length - 1);
    d[i] = v >> 8;
    d[i + 1] = v & 0xff;
  },
  (d, rng) => {
    if (d.length) d[rng.below(d.length)] = (d[rng.below(d.length)]! + rng.below(9) - 4) & 0xff;
  },
  (d, rng) => {
    const n = 1 + rng.below(8);
    const at = rng.below(d.length + 1);
    d.splice(at, 0, ...Array.from({ length: n }, () => rng.below(256)));
  },
  (d, rng) => {
    if (!d.length) return;
    const at = rng.below(d.length);
    d.splice(at, 1 + rng.below(Math.min(16, d.length - at)));
  },
  (d, rng) => {
    if (!d.length) return;
    const at = rng.below(d.length);
    const len = 1 + rng.below(Math.min(64, d.length - at));
    d.splice(rng.below(d.length + 1), 0, ...d.slice(at, at + len));
  },
  (d, rng, other) => {
    if (!other.length) return;
    const at = rng.below(other.length);
    const len = 1 + rng.below(Math.min(128, other.length - at));
    d.splice(rng.below(d.length + 1), 0, ...other.subarray(at, at + len));
  },
  (d, rng, other) => {
    // Crossover: our head, the other's tail.
    const cut = rng.below(d.length + 1);
    d.splice(cut, d.length - cut, ...other.subarray(rng.below(other.length + 1)));
  },
  (d, rng, _o, dict) => {
    const tok = dict[rng.below(dict.length)];
    if (!tok) return;
    const at = rng.below(d.length + 1);
    if (rng.below(2)) d.splice(at, 0, ...tok);
    else d.splice(at, Math.min(tok.length, d.length - at), ...tok);
  },
];

/** The dictionary every target shares: BGP markers, attribute headers, families, lengths. */
export const BGP_DICTIONARY: Uint8Array[] = [
  new Uint8Array(16).fill(0xff),
  Uint8Array.of(0x40, 0x01, 0x01, 0x00),
  Uint8Array.of(0x40, 0x02, 0x00),
  Uint8Array.of(0x40, 0x03, 0x04),
  Uint8Array.of(0x80, 0x04, 0x04),
  Uint8Array.of(0x40, 0x05, 0x04),
  Uint8Array.of(0xc0, 0x07, 0x08),
  Uint8Array.of(0xc0, 0x08, 0x04),
  Uint8Array.of(0x80, 0x0e),
  Uint8Array.of(0x90, 0x0e, 0x00),
  Uint8Array.of(0x80, 0x0f),
  Uint8Array.of(0xc0, 0x10, 0x08),
  Uint8Array.of(0xc0, 0x20, 0x0c),
  Uint8Array.of(0x80, 0x09, 0x04),
  Uint8Array.of(0x80, 0x0a, 0x04),
  Uint8Array.of(0x02, 0x01),
  Uint8Array.of(0x00, 0x01, 0x01),
  Uint8Array.of(0x00, 0x02, 0x01),
  Uint8Array.of(0x00, 0x01, 0x04),
  Uint8Array.of(0x02, 0x06, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01),
  Uint8Array.of(0x41, 0x04),
  Uint8Array.of(0x45, 0x04),
  Uint8Array.of(0x40, 0x06),
];

function mutate(input: Uint8Array, rng: Rng, corpus: Uint8Array[], dict: Uint8Array[], maxLen: number): Uint8Array {
  const d = Array.from(input);
  const other = corpus[rng.below(corpus.length)] ?? input;
  const n = 1 + rng.below(5);
  for (let i = 0; i < n; i++) MUTATORS[rng.below(MUTATORS.length)]!(d, rng, other, dict);
  if (d.length > maxLen) d.length = maxLen;
  return Uint8Array.from(d);
}

/** Run a target until `runs` inputs, a finding, or the time limit; findings carry their input. */
export async function fuzz(target: Target, o: RunOptions): Promise<Stats> {
  const rng = new Rng(o.seed);
  const cov = new Coverage(o.coverUrl ?? '/dist/src/');
  const seen = new Set<string>();
  const corpus: Uint8Array[] = [];
  const findings: Finding[] = [];
  const dict = [...BGP_DICTIONARY, ...(target.dictionary ?? [])];
  const minBatch = 16;
  const maxBatch = o.batch ?? 1024;
  const slowMs = o.slowMs ?? 1000;
  const t0 = performance.now();
  let runs = 0;
  let seedCorpus = 0;
  let peakHeap = 0;
  const stats = (): Stats => ({
    target: target.name,
    runs,
    corpus: corpus.length,
    seedCorpus,
    blocks: seen.size,
    findings,
    ms: performance.now() - t0,
    peakHeapMiB: peakHeap / 1048576,
  });

  const exec = (input: Uint8Array): void => {
    const t = performance.now();
    let msg: string | undefined;
    try {
      msg = target.run(input);
    } catch (e) {
      msg = `threw: ${(e as Error)?.stack ?? String(e)}`;
    }
    runs++;
    if (msg !== undefined) findings.push({ kind: 'crash', message: withStack(input) ?? msg, input });
    else if (performance.now() - t > slowMs && slowAgain(input)) findings.push({ kind: 'slow', message: `took ${Math.round(performance.now() - t)} ms twice`, input });
  };
  // The codec and the MRT reader fail through Error subclasses by design: capturing a stack for
  // each costs a fifth of the run, so stacks are off while fuzzing and on for a finding's replay.
  const stackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const withStack = (input: Uint8Array): string | undefined => {
    Error.stackTraceLimit = stackLimit;
    try {
      return target.run(input);
    } catch (e) {
      return `threw: ${(e as Error)?.stack ?? String(e)}`;
    } finally {
      Error.stackTraceLimit = 0;
    }
  };
  // A pause of the whole process (GC, a machine shared with other jobs) is not the input's doing:
  // only an input that is slow again when replayed is reported.
  const slowAgain = (input: Uint8Array): boolean => {
    const t = performance.now();
    try {
      target.run(input);
    } catch {
      // reported by exec
    }
    return performance.now() - t > slowMs;
  };
  const isNew = (keys: string[]): boolean => keys.some((k) => !seen.has(k));
  const admit = (input: Uint8Array, keys: string[]): void => {
    for (const k of keys) seen.add(k);
    corpus.push(input);
  };

  cov.take();
  for (const s of o.seeds) {
    exec(s.subarray(0, target.maxLen));
    const keys = cov.take();
    if (isNew(keys) || corpus.length === 0) admit(s.subarray(0, target.maxLen), keys);
  }
  if (corpus.length === 0) corpus.push(new Uint8Array(0));
  seedCorpus = corpus.length;

  /** Inputs of a batch that reached a new block, found by halving (a block is new to the union
   * only if one input reached it): about two replays of the batch and 2·log2(n) takes per find. */
  const bisect = (inputs: Uint8Array[]): void => {
    for (const input of inputs) {
      try {
        target.run(input);
      } catch {
        // reported by exec already
      }
    }
    const keys = cov.take();
    if (!isNew(keys)) return;
    if (inputs.length === 1) return admit(inputs[0]!, keys);
    const mid = inputs.length >> 1;
    bisect(inputs.slice(0, mid));
    bisect(inputs.slice(mid));
  };

  let lastReport = t0;
  let batchSize = minBatch;
  while (runs < o.runs && findings.length === 0) {
    if (o.timeLimitMs !== undefined && performance.now() - t0 > o.timeLimitMs) break;
    const n = Math.min(batchSize, o.runs - runs);
    const batch = Array.from({ length: n }, () => mutate(corpus[rng.below(corpus.length)]!, rng, corpus, dict, target.maxLen));
    for (const input of batch) exec(input);
    const keys = cov.take();
    if (isNew(keys)) {
      bisect(batch);
      // Blocks that ran once only (lazy initialisation) do not show again on replay: count them
      // as seen, or every later batch would be bisected for them.
      for (const k of keys) seen.add(k);
      batchSize = minBatch;
    } else {
      // Nothing new: longer batches, fewer coverage takes (each walks every function's counters).
      batchSize = Math.min(maxBatch, batchSize * 2);
    }
    // Let the event loop run between batches: sockets a target closed, timers it set.
    await new Promise((resolve) => setImmediate(resolve));
    if (runs % 8192 < n) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    if (o.onProgress && performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      o.onProgress(stats());
    }
  }
  cov.close();
  Error.stackTraceLimit = stackLimit;
  return stats();
}
