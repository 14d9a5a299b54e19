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

/**
 * Exit codes scripts can rely on: routectl exits with the end frame's status, and with
 * UNAVAILABLE or REFUSED when it cannot get one. The one table; `routectl --help` prints it.
 */
export const EXIT = {
  OK: 0,
  /**
   * A named item does not exist (neighbour, prefix, forwarding plane), or a check found a
   * difference (check fib). A listing whose filters match nothing is not this: it exits 0.
   */
  NOT_FOUND: 1,
  /** Bad usage: unknown command or option, bad argument. Nothing was done. */
  USAGE: 2,
  /** The daemon could not be reached: no socket, nobody listening, connection lost. */
  UNAVAILABLE: 3,
  /** The daemon refused the command (permission) or failed while running it. */
  REFUSED: 4,
} as const;
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** The exit code table as `routectl --help` prints it. */
export const EXIT_HELP: readonly (readonly [ExitStatus, string])[] = [
  [EXIT.OK, 'ok'],
  [EXIT.NOT_FOUND, 'not found (neighbor, prefix), or a check found differences'],
  [EXIT.USAGE, 'usage error: unknown command or option, bad argument'],
  [EXIT.UNAVAILABLE, 'routed unreachable: no control socket, nobody listening, connection lost'],
  [EXIT.REFUSED, 'routed refused the command (permission) or failed running it'],
];

export function encodeFrame(frame: MgmtFrame | MgmtRequest): string {
  return JSON.stringify(frame) + '\n';
}

/** What encodeFrame writes before a data frame's payload (JSON.stringify keeps key order). */
export const DATA_PREFIX = '{"type":"data","data":';

/** A data frame's line from its payload's JSON text: streams serialise each payload once. */
export function dataLine(payloadJson: string): string {
  return `${DATA_PREFIX}${payloadJson}}\n`;
}

/**
 * A data frame's payload as JSON text, without parsing it (routectl --json passes it through);
 * undefined for any other line (an end frame).
 */
export function dataPayload(line: string): string | undefined {
  return line.startsWith(DATA_PREFIX) && line.endsWith('}') ? line.slice(DATA_PREFIX.length, -1) : undefined;
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
