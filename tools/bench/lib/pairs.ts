// Paired runs of two devices under test (the convergence bench's --dut both): each pair's
// ratios, routed over BIRD, and the medians and ranges of those ratios over all pairs.

/** One pair's ratios, routed over BIRD. */
export interface Pair {
  t: number;
  rss: number;
  cpu: number;
  /** The time to withdraw the table (the convergence bench's --withdraw). */
  withdraw?: number;
  /** RSS some seconds after T (the convergence bench's --settle). */
  settled?: number;
}

/** What a run reports that a pair compares. */
export interface PairedRun {
  seconds: number;
  peakRssMiB: number;
  cpuDuring: number;
  withdrawSeconds?: number;
  settledRssMiB?: number;
}

export function pairOf(routed: PairedRun, bird: PairedRun): Pair {
  const p: Pair = { t: routed.seconds / bird.seconds, rss: routed.peakRssMiB / bird.peakRssMiB, cpu: routed.cpuDuring / bird.cpuDuring };
  if (routed.withdrawSeconds !== undefined && bird.withdrawSeconds !== undefined) p.withdraw = routed.withdrawSeconds / bird.withdrawSeconds;
  if (routed.settledRssMiB !== undefined && bird.settledRssMiB !== undefined) p.settled = routed.settledRssMiB / bird.settledRssMiB;
  return p;
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The ratios of all pairs in one line: each one's median and range. */
export function pairSummary(pairs: readonly Pair[]): string {
  const part = (name: string, xs: number[]): string => `${name} median ${median(xs).toFixed(2)}× (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
  // An optional ratio is summarised when every pair has it.
  const optional = (name: string, pick: (p: Pair) => number | undefined): string => {
    const xs = pairs.flatMap((p) => (pick(p) !== undefined ? [pick(p)!] : []));
    return xs.length === pairs.length && pairs.length > 0 ? `; ${part(name, xs)}` : '';
  };
  return `routed/BIRD over ${pairs.length} pair(s): ${part('T', pairs.map((p) => p.t))}; ${part('peak RSS', pairs.map((p) => p.rss))}; ${part('CPU during', pairs.map((p) => p.cpu))}${optional('withdraw', (p) => p.withdraw)}${optional('settled RSS', (p) => p.settled)}`;
}
