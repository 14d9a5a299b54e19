// The routectl protocol: newline-delimited JSON over a Unix stream socket. One request per
// connection; the reply is a stream of `data` frames ended by one `end` frame, so that a large
// answer (a full table) starts at once and is paced by the reader, never built whole in memory.

export interface MgmtRequest {
  /** Command words, e.g. ["show", "rib"]. */
  command: string[];
  /** Positional arguments after the command words. */
  args: string[];
  /** Options, e.g. { family: "ipv4", json: true }. */
  options: Record<string, string | boolean>;
}

export type MgmtFrame =
  | { type: 'data'; data: unknown }
  | { type: 'end'; status: ExitStatus; error?: string };

/** Exit codes scripts can rely on. */
export const EXIT = {
  OK: 0,
  /** The command ran and found what it reports as a failure (e.g. a difference, a missing item). */
  NOT_FOUND: 1,
  /** Bad usage: unknown command, bad argument. */
  USAGE: 2,
  /** The daemon could not be reached or failed. */
  UNAVAILABLE: 3,
} as const;
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

export function encodeFrame(frame: MgmtFrame | MgmtRequest): string {
  return JSON.stringify(frame) + '\n';
}

/** Splits a byte stream into JSON lines; keeps the partial tail between chunks. */
export class LineDecoder {
  private tail = '';

  push(chunk: string): unknown[] {
    const text = this.tail + chunk;
    const lines = text.split('\n');
    this.tail = lines.pop() ?? '';
    const out: unknown[] = [];
    for (const line of lines) if (line.trim()) out.push(JSON.parse(line));
    return out;
  }
}

export function isRequest(v: unknown): v is MgmtRequest {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    Array.isArray(r.command) &&
    r.command.every((w) => typeof w === 'string') &&
    Array.isArray(r.args) &&
    r.args.every((w) => typeof w === 'string') &&
    typeof r.options === 'object' &&
    r.options !== null
  );
}
