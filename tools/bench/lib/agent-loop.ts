// The control loop every bench agent process runs: one JSON request per stdin line
// ({id, op, ...}), answered by one JSON line on stdout ({id, ok, ...} or {id, ok: false, error});
// `{event: 'ready'}` once listening; exit when the controlling process closes stdin.

import readline from 'node:readline';

export type Req = Record<string, unknown> & { id: number; op: string };
export type Reply = Record<string, unknown>;
export type Ops = Record<string, (r: Req) => Promise<Reply>>;

/** One line of JSON on stdout (bigints as decimal text). */
export function out(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');
}

/** A value an earlier op must have set, or the error naming that op. */
export function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`${what} first`);
  return v;
}

async function serve(ops: Ops, r: Req): Promise<void> {
  try {
    const op = ops[r.op];
    if (!op) throw new Error(`unknown op ${r.op}`);
    out({ id: r.id, ok: true, ...(await op(r)) });
  } catch (e) {
    out({ id: r.id, ok: false, error: (e as Error).message });
  }
}

/** Serve `ops` until stdin closes. */
export function runAgent(ops: Ops): void {
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() !== '') void serve(ops, JSON.parse(line) as Req);
  });
  // The controlling process went away: nothing more can be asked, so stop.
  rl.on('close', () => process.exit(0));
  out({ event: 'ready', pid: process.pid });
}
