// routectl's side of the control socket: send one request, iterate the data frames as they come,
// and return the end frame's status.

import net from 'node:net';
import { EXIT, LineDecoder, encodeFrame } from './protocol.js';
import type { ExitStatus, MgmtFrame, MgmtRequest } from './protocol.js';

/** Yields each data frame's payload; the generator's return value is the end frame. */
export async function* request(socketPath: string, req: MgmtRequest): AsyncGenerator<unknown, { status: ExitStatus; error?: string }> {
  const sock = net.createConnection(socketPath);
  sock.setEncoding('utf8');
  const queue: MgmtFrame[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let closed = false;
  const lines = new LineDecoder();
  sock.on('data', (chunk: string) => {
    try {
      for (const f of lines.push(chunk)) queue.push(f as MgmtFrame);
    } catch (e) {
      failure = e as Error;
    }
    // Pause reading while the consumer catches up: backpressure reaches the daemon.
    if (queue.length > 1000) sock.pause();
    wake?.();
  });
  sock.on('error', (e) => {
    failure = e;
    wake?.();
  });
  sock.on('close', () => {
    closed = true;
    wake?.();
  });
  sock.write(encodeFrame(req));
  try {
    for (;;) {
      const frame = queue.shift();
      if (frame) {
        if (queue.length < 100) sock.resume();
        if (frame.type === 'end') return { status: frame.status, ...(frame.error ? { error: frame.error } : {}) };
        yield frame.data;
        continue;
      }
      if (failure) return { status: EXIT.UNAVAILABLE, error: `routed: ${failure.message}` };
      if (closed) return { status: EXIT.UNAVAILABLE, error: 'routed closed the connection without an answer' };
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    sock.destroy();
  }
}
