// The convergence bench's paired runs (tools/bench/lib/pairs.ts): ratios per pair, their
// medians and ranges.

import test from 'ava';
import { median, pairOf, pairSummary } from '../tools/bench/lib/pairs.js';

test('a pair is routed over BIRD for T, peak RSS and CPU', (t) => {
  t.deepEqual(pairOf({ seconds: 3, peakRssMiB: 300, cpuDuring: 1 }, { seconds: 2, peakRssMiB: 200, cpuDuring: 2 }), { t: 1.5, rss: 1.5, cpu: 0.5 });
});

test('the median of an odd and an even count, in any order', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.true(Number.isNaN(median([])));
});

test('the summary gives each ratio\'s median and range', (t) => {
  const pairs = [pairOf({ seconds: 1.1, peakRssMiB: 120, cpuDuring: 0.3 }, { seconds: 1, peakRssMiB: 100, cpuDuring: 0.3 }), pairOf({ seconds: 0.9, peakRssMiB: 130, cpuDuring: 0.2 }, { seconds: 1, peakRssMiB: 100, cpuDuring: 0.4 })];
  t.is(pairSummary(pairs), 'routed/BIRD over 2 pair(s): T median 1.00× (0.90–1.10); peak RSS median 1.25× (1.20–1.30); CPU during median 0.75× (0.50–1.00)');
});

test('with withdrawal times on both sides, a pair and the summary give their ratio too', (t) => {
  const p = pairOf({ seconds: 1, peakRssMiB: 100, cpuDuring: 1, withdrawSeconds: 0.3 }, { seconds: 1, peakRssMiB: 100, cpuDuring: 1, withdrawSeconds: 0.6 });
  t.is(p.withdraw, 0.5);
  t.regex(pairSummary([p]), /; withdraw median 0\.50× \(0\.50–0\.50\)$/);
  t.is(pairOf({ seconds: 1, peakRssMiB: 1, cpuDuring: 1, withdrawSeconds: 1 }, { seconds: 1, peakRssMiB: 1, cpuDuring: 1 }).withdraw, undefined);
});

test('with settled RSS on both sides, a pair and the summary give its ratio after the withdrawal ratio', (t) => {
  const p = pairOf({ seconds: 1, peakRssMiB: 100, cpuDuring: 1, withdrawSeconds: 0.3, settledRssMiB: 90 }, { seconds: 1, peakRssMiB: 100, cpuDuring: 1, withdrawSeconds: 0.6, settledRssMiB: 60 });
  t.is(p.settled, 1.5);
  t.regex(pairSummary([p]), /; withdraw median 0\.50× \(0\.50–0\.50\); settled RSS median 1\.50× \(1\.50–1\.50\)$/);
  // A pair without it on one side leaves it out of the summary.
  const q = pairOf({ seconds: 1, peakRssMiB: 1, cpuDuring: 1 }, { seconds: 1, peakRssMiB: 1, cpuDuring: 1, settledRssMiB: 1 });
  t.is(q.settled, undefined);
  t.notRegex(pairSummary([p, q]), /settled/);
});
