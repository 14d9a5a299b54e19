// routectl's side of the control socket: send one request, iterate the data frames as they come,
// and return the end frame's status. The raw form hands over each socket read's payloads as JSON
// text, unparsed, so that `--json` passes a full table through without decoding it.

import net from 'node:net';
import { EXIT, dataPayload, encodeFrame } from './protocol.js';
import type { ExitStatus, MgmtFrame, MgmtRequest } from './protocol.js';

export interface EndStatus {
  status: ExitStatus;
  error?: string;
}

/** Socket errors that mean the daemon is there but will not talk to us. */
const REFUSED_CODES = new Set(['EACCES', 'EPERM']);

function failureStatus(e: NodeJS.ErrnoException): EndStatus {
  const status = e.code !== undefined && REFUSED_CODES.has(e.code) ? EXIT.REFUSED : EXIT.UNAVAILABLE;
  return { status, error: `routed: ${e.message}` };
}

/** Reading stops while this many payloads wait for the consumer: backpressure reaches the daemon. */
const HIGH_WATER = 4096;

/**
 * Yields the payloads of the data frames as JSON text, in batches (one per socket read); the
 * generator's return value is the end frame's status.
 */
export async function* requestRaw(socketPath: string, req: MgmtRequest): AsyncGenerator<string[], EndStatus> {
  const sock = net.createConnection(socketPath);
  sock.setEncoding('utf8');
  const queue: string[][] = [];
  let queued = 0;
  let end: EndStatus | undefined;
  let failure: EndStatus | undefined;
  let closed = false;
  let tail = '';
  let wake: (() => void) | undefined;
  sock.on('data', (chunk: string) => {
    const lines = (tail + chunk).split('\n');
    tail = lines.pop() ?? '';
    const batch: string[] = [];
    for (const line of lines) {
      const payload = dataPayload(line);
      if (payload !== undefined) batch.push(payload);
      else if (line.trim() !== '') end = endOf(line);
    }
    if (batch.length > 0) {
      queue.push(batch);
      queued += batch.length;
      if (queued > HIGH_WATER) sock.pause();
    }
    wake?.();
  });
  sock.on('error', (e: NodeJS.ErrnoException) => {
    failure = failureStatus(e);
    wake?.();
  });
  sock.on('close', () => {
    closed = true;
    wake?.();
  });
  sock.write(encodeFrame(req));
  try {
    for (;;) {
      const batch = queue.shift();
      if (batch) {
        queued -= batch.length;
        if (queued < HIGH_WATER / 4) sock.resume();
        yield batch;
        continue;
      }
      if (end) return end;
      if (failure) return failure;
      if (closed) return { status: EXIT.UNAVAILABLE, error: 'routed closed the connection without an answer' };
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    sock.destroy();
  }
}

function endOf(line: string): EndStatus {
  let frame: MgmtFrame;
  try {
    frame = JSON.parse(line) as MgmtFrame;
  } catch {
    return { status: EXIT.UNAVAILABLE, error: `routed sent a line that is not JSON: ${line.slice(0, 80)}` };
  }
  if (frame.type !== 'end') return { status: EXIT.UNAVAILABLE, error: `routed sent an unexpected frame: ${line.slice(0, 80)}` };
  return { status: frame.status, ...(frame.error ? { error: frame.error } : {}) };
}

/** Yields each data frame's payload, parsed; the generator's return value is the end frame. */
export async function* request(socketPath: string, req: MgmtRequest): AsyncGenerator<unknown, EndStatus> {
  const it = requestRaw(socketPath, req);
  for (;;) {
    const r = await it.next();
    if (r.done) return r.value;
    for (const payload of r.value) yield JSON.parse(payload) as unknown;
  }
}
