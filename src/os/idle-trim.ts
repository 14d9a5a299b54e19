// Memory back to the system once the daemon goes quiet.
//
// A feed, and the start-up warm-up before it, grows V8's young generation to its maximum (two
// 16 MiB semi-spaces), and V8 shrinks it again only in a collection that finds the allocation
// rate low (its tracer's last five seconds). A daemon that then only waits for keepalives
// allocates too little for any collection to come, so the empty semi-spaces stay committed for
// good: routed idle after its warm-up held 112 MiB of RSS, 32 MiB of it the young generation's
// (heap statistics), and glibc's heap kept ~4 MiB of free blocks on top. The feed's garbage in
// the old generation (typed arrays outgrown, buffers written) waits for a full collection,
// which came on its own in a quiet spell in some runs and not in others (V8's memory reducer;
// 250k IPv4, 30 s after the feed: 94–96 MiB where it came, 104–107 where not).
// Here: once the event loop has been all but idle for a few intervals, one full collection
// (4–20 ms at 250k and 1M), in which V8 finds the rate low and shrinks the semi-spaces to
// their floor, and `malloc_trim` a moment later. 25–45 s after a 250k IPv4 feed (the
// convergence bench's --settle, nine runs): 94–107 MiB, median 99, against 94–107, median 105.5
// over six with a young-generation collection only (what decides between ~94 and ~105 in a
// run is not known: V8's memory-reducing collection, when it comes, gives ~94); 1M 169–176
// against 170–178. Before the trim RSS stayed at the peak (250k 141–143, 1M 209 MiB).

import v8 from 'node:v8';
import vm from 'node:vm';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** V8's gc() as --expose-gc gives it (options since V8 11). */
export type Gc = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

/**
 * V8's gc(): the global one when node runs with --expose-gc, else the one of a context made
 * while the flag is set (V8 installs it in every context created then; the flag is cleared again).
 */
export function exposedGc(): Gc | undefined {
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') return global as Gc;
  v8.setFlagsFromString('--expose-gc');
  try {
    // A Node whose V8 ignored the flag has none: undefined, and no trim.
    const made = vm.runInNewContext('typeof gc === "function" ? gc : undefined') as unknown;
    return typeof made === 'function' ? (made as Gc) : undefined;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

/** The young generation's committed bytes (V8's new space, both semi-spaces). */
export function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.physical_space_size ?? 0;
}

export interface IdleTrimOptions {
  /** How often the event loop's use is looked at. */
  intervalMs: number;
  /**
   * Intervals in a row below `busyShare` before a trim: V8 judges the rate over its last five
   * seconds (back to its last collection), so they should span more, and one interval should
   * be five seconds at least for a retry to see only quiet time.
   */
  quietIntervals: number;
  /** The event loop's share of busy time from which an interval is not quiet. */
  busyShare: number;
  /** A young generation at or below this is not trimmed (V8 shrinks it to 1 MiB). */
  youngFloorBytes: number;
  /** Trims per quiet spell, when V8 does not shrink (a collection came too recently). */
  attempts: number;
  /** glibc's malloc_trim(0), when the platform has it. */
  mallocTrim?: () => void;
  /** An interval after each try: the young generation before it and then. */
  onTrim?: (youngBefore: number, youngAfter: number) => void;
}

export const IDLE_TRIM_DEFAULTS: IdleTrimOptions = { intervalMs: 5000, quietIntervals: 2, busyShare: 0.05, youngFloorBytes: 4 << 20, attempts: 3 };

export class IdleTrim {
  private timer: NodeJS.Timeout | undefined;
  private last: EventLoopUtilization | undefined;
  private quiet = 0;
  private tries = 0;
  /** The young generation's bytes before the last try, until its outcome is reported. */
  private youngBeforeTry: number | undefined;
  /** Made at the first trim: the context that brings it is not made for a daemon never quiet. */
  private gc: Gc | undefined | null;
  /** Trims made (each a full collection). */
  trims = 0;

  constructor(private readonly opts: IdleTrimOptions = IDLE_TRIM_DEFAULTS) {}

  start(): void {
    this.last = performance.eventLoopUtilization();
    // unref: the trim never keeps the process alive.
    this.timer = setInterval(() => this.check(), this.opts.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const now = performance.eventLoopUtilization();
    const share = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    this.report();
    if (share >= this.opts.busyShare) {
      this.quiet = 0;
      this.tries = 0;
      return;
    }
    if (++this.quiet < this.opts.quietIntervals || this.tries >= this.opts.attempts) return;
    const before = youngGenerationBytes();
    if (before <= this.opts.youngFloorBytes) return;
    // A try that finds the rate too high is made again one interval on: its collection is then
    // V8's last, and the five seconds it looks back over are quiet ones.
    this.quiet = this.opts.quietIntervals - 1;
    this.gc ??= exposedGc() ?? null;
    if (!this.gc) return this.stop();
    this.tries++;
    this.trims++;
    this.gc({ type: 'major' });
    this.youngBeforeTry = before;
    // The collection's dead ArrayBuffers give their blocks back to glibc's heap after it.
    const mallocTrim = this.opts.mallocTrim;
    if (mallocTrim) setTimeout(mallocTrim, 1000).unref();
  }

  /** The last try's outcome, an interval on: V8 returns the semi-spaces' pages in its own time. */
  private report(): void {
    if (this.youngBeforeTry === undefined) return;
    this.opts.onTrim?.(this.youngBeforeTry, youngGenerationBytes());
    this.youngBeforeTry = undefined;
  }
}
