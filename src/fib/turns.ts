// Long passes over a whole table (100k routes and more: the FIB reconcile, `routectl check fib`,
// kernel dumps, large write batches) give the event loop back every few milliseconds, so keepalives,
// UPDATEs and routectl requests are served while they run. A pass calls due() per item (a clock
// read) and awaits next() when it says so: a macrotask (setImmediate), so pending I/O runs first.

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Turns {
  private since = performance.now();

  /** budgetMs: how long a pass may run before it lets the loop turn. */
  constructor(private readonly budgetMs = 20) {}

  /** Whether the pass has used its budget since the loop last turned. */
  due(): boolean {
    return performance.now() - this.since >= this.budgetMs;
  }

  /** Let the event loop turn, then start a new budget. */
  async next(): Promise<void> {
    await immediate();
    this.since = performance.now();
  }

  /** next() when due(), else nothing (a resolved promise). */
  async maybe(): Promise<void> {
    if (this.due()) await this.next();
  }
}

/** Run a generator that yields between units of work, letting the event loop turn whenever its budget is spent. */
export async function runCooperative<T>(steps: Generator<unknown, T, undefined>, turns = new Turns()): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (turns.due()) await turns.next();
  }
}

/** Run the same generator to the end without yielding (pure callers, tests). */
export function runAtOnce<T>(steps: Generator<unknown, T, undefined>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
