// The idle trim (src/os/idle-trim.ts) in this test's own process: V8's gc() without
// --expose-gc, no trim while the event loop is busy, and a trim that shrinks a grown young
// generation once it is quiet.

import v8 from 'node:v8';
import vm from 'node:vm';
import test from 'ava';
import { exposedGc, IDLE_TRIM_DEFAULTS, IdleTrim, youngGenerationBytes } from '../src/os/idle-trim.js';

const MiB = 1048576;

/** Objects that outlive a few young-generation collections: V8 grows the semi-spaces. */
function growYoungGeneration(): void {
  let keep: number[][] = [];
  for (let round = 0; round < 40; round++) {
    const batch: number[][] = [];
    for (let i = 0; i < 20_000; i++) batch.push([i, round, i * round]);
    keep.push(...batch);
    if (keep.length > 400_000) keep = keep.slice(200_000);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Bytes of live and dead objects in the young generation now. */
const youngUsed = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;

test.serial('gc() comes without --expose-gc, and collects the young generation on request', (t) => {
  t.is((globalThis as { gc?: unknown }).gc, undefined);
  const gc = exposedGc();
  if (!gc) return t.fail('no gc()');
  // 50,000 objects dropped at once: garbage in the young generation.
  t.is(Array.from({ length: 50_000 }, (_, i) => ({ i })).length, 50_000);
  const before = youngUsed();
  gc({ type: 'minor' });
  t.true(youngUsed() < before / 2, `young generation used ${before} → ${youngUsed()} bytes`);
  // The flag is cleared again: a context made later has no gc().
  t.is(vm.runInNewContext('typeof gc'), 'undefined');
});

test.serial('no trim while the event loop is busy', async (t) => {
  growYoungGeneration();
  const trim = new IdleTrim({ ...IDLE_TRIM_DEFAULTS, intervalMs: 200, youngFloorBytes: 0 });
  trim.start();
  // Busy for six intervals: 20 ms of work in every turn of the loop.
  const end = Date.now() + 1200;
  while (Date.now() < end) {
    const until = Date.now() + 20;
    while (Date.now() < until) continue;
    await new Promise((resolve) => setImmediate(resolve));
  }
  trim.stop();
  t.is(trim.trims, 0);
});

test.serial('once quiet, a grown young generation is shrunk, and only once', async (t) => {
  growYoungGeneration();
  const grown = youngGenerationBytes();
  t.true(grown > 8 * MiB, `young generation ${(grown / MiB).toFixed(1)} MiB`);
  const seen: [number, number][] = [];
  const trim = new IdleTrim({ ...IDLE_TRIM_DEFAULTS, onTrim: (before, after) => seen.push([before, after]) });
  trim.start();
  t.teardown(() => trim.stop());
  // The defaults: a try after ten quiet seconds; V8 shrinks only when its last five seconds'
  // allocation rate is low, and a try that finds it too high is made again five seconds on.
  for (let i = 0; i < 45 && youngGenerationBytes() > IDLE_TRIM_DEFAULTS.youngFloorBytes; i++) await sleep(1000);
  const tries = (): string => seen.map(([before, after]) => `${(before / MiB).toFixed(1)} → ${(after / MiB).toFixed(1)}`).join(', ');
  t.true(youngGenerationBytes() <= IDLE_TRIM_DEFAULTS.youngFloorBytes, `young generation ${(youngGenerationBytes() / MiB).toFixed(1)} MiB after tries ${tries()}`);
  const trims = trim.trims;
  t.true(trims >= 1 && trims <= IDLE_TRIM_DEFAULTS.attempts);
  // The last try reports the shrink an interval after its collection.
  await sleep(IDLE_TRIM_DEFAULTS.intervalMs + 500);
  t.true(seen.length === trims && seen.at(-1)![1] <= IDLE_TRIM_DEFAULTS.youngFloorBytes, `tries ${tries()}`);
  // Shrunk, it is left alone (one more interval).
  await sleep(IDLE_TRIM_DEFAULTS.intervalMs);
  t.is(trim.trims, trims);
});
