// Connect-retry and idle-hold delays: exponential backoff with jitter. Pure: the random number
// comes in as an argument, and the FSM carries its own seeded generator so that a step is
// replayable in tests.

/** Default ceiling of the exponential part, seconds. */
export const BACKOFF_CAP_SECONDS = 120;

/**
 * Delay before retry number `attempt` (0 = first), in milliseconds: base · 2^attempt, capped,
 * then jittered by ±25 % (RFC 4271 §10 asks for jitter on ConnectRetry so that peers that
 * failed together do not retry in lockstep). `random` is in [0, 1).
 */
export function backoffMs(attempt: number, baseSeconds: number, capSeconds: number, random: number): number {
  const base = Math.max(1, baseSeconds);
  const exponential = Math.min(base * 2 ** Math.max(0, attempt), Math.max(base, capSeconds));
  return Math.round(exponential * 1000 * (0.75 + 0.5 * clampUnit(random)));
}

/** RFC 4271 §10 jitter for the KeepaliveTimer: 75–100 % of the interval. */
export function keepaliveJitterMs(seconds: number, random: number): number {
  return Math.round(seconds * 1000 * (0.75 + 0.25 * clampUnit(random)));
}

function clampUnit(r: number): number {
  return r < 0 ? 0 : r >= 1 ? 1 - Number.EPSILON : r;
}

/** xorshift32: the next generator state and a number in [0, 1) from it. The seed must be non-zero. */
export function nextRandom(seed: number): { seed: number; value: number } {
  let x = seed >>> 0 || 0x9e3779b9;
  x ^= x << 13;
  x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5;
  x >>>= 0;
  return { seed: x, value: x / 0x100000000 };
}
