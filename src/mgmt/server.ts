// The control socket: a Unix stream server that dispatches each request to a handler from a
// table keyed by the command words. Handlers write frames through a Reply that respects the
// socket's backpressure, so a streamed answer never piles up in memory.

import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { EXIT, LineDecoder, encodeFrame, isRequest } from './protocol.js';
import type { ExitStatus, MgmtRequest } from './protocol.js';
import { mayChange, peerCred } from './peercred.js';
import type { PeerCred } from './peercred.js';

export interface Reply {
  /** Send one data frame; resolves when the socket can take more (await it in long streams). */
  write(data: unknown): Promise<void>;
  /**
   * Send data frames already encoded (protocol.ts dataLine, concatenated) in one socket write:
   * long streams batch many rows per write (bytes: already UTF-8). Resolves as write does.
   */
  writeFrames(lines: string | Uint8Array): Promise<void>;
  end(status?: ExitStatus, error?: string): void;
  /** True once the client has gone away: stop producing. */
  readonly closed: boolean;
}

export type Handler = (req: MgmtRequest, reply: Reply) => void | Promise<void>;

export interface CommandSpec {
  words: string[];
  handler: Handler;
  /**
   * Does this request change state (root and the routed user only)? Default: every command but
   * `show …` does, so a new command is refused to the read-only group until marked otherwise.
   */
  change?: boolean | ((req: MgmtRequest) => boolean);
}

function changes(spec: CommandSpec, req: MgmtRequest): boolean {
  const c = spec.change ?? spec.words[0] !== 'show';
  return typeof c === 'function' ? c(req) : c;
}

class SocketReply implements Reply {
  closed = false;
  private ended = false;

  constructor(private readonly sock: net.Socket) {
    sock.on('close', () => (this.closed = true));
  }

  write(data: unknown): Promise<void> {
    return this.writeFrames(encodeFrame({ type: 'data', data }));
  }

  writeFrames(lines: string | Uint8Array): Promise<void> {
    if (this.closed || this.ended) return Promise.resolve();
    if (this.sock.write(lines)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.sock.off('drain', done);
        this.sock.off('close', done);
        resolve();
      };
      this.sock.once('drain', done);
      this.sock.once('close', done);
    });
  }

  end(status: ExitStatus = EXIT.OK, error?: string): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.closed) this.sock.end(encodeFrame({ type: 'end', status, ...(error ? { error } : {}) }));
  }
}

export class MgmtServer {
  private server: net.Server | undefined;

  constructor(
    readonly socketPath: string,
    private readonly commands: CommandSpec[],
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  /** Longest matching command words win ("show rib in" before "show rib"). */
  private find(words: string[]): CommandSpec | undefined {
    let best: CommandSpec | undefined;
    for (const c of this.commands) {
      if (c.words.length <= words.length && c.words.every((w, i) => words[i] === w)) {
        if (!best || c.words.length > best.words.length) best = c;
      }
    }
    return best;
  }

  async listen(mode = 0o660): Promise<void> {
    fs.mkdirSync(path.dirname(this.socketPath), { recursive: true });
    // A stale socket from a previous run would make listen fail with EADDRINUSE.
    fs.rmSync(this.socketPath, { force: true });
    const server = net.createServer((sock) => this.accept(sock));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(this.socketPath, mode);
  }

  private accept(sock: net.Socket): void {
    sock.setEncoding('utf8');
    const lines = new LineDecoder();
    let started = false;
    // Read once, at accept: the credentials are the connecting process's, fixed by the kernel.
    const cred = peerCred(sock);
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: string) => {
      if (started) return;
      let msgs: unknown[];
      try {
        msgs = lines.push(chunk);
      } catch {
        started = true;
        new SocketReply(sock).end(EXIT.USAGE, 'request is not JSON');
        return;
      }
      const first = msgs[0];
      if (first === undefined) return;
      started = true;
      void this.dispatch(first, new SocketReply(sock), cred);
    });
  }

  private async dispatch(msg: unknown, reply: SocketReply, cred: PeerCred | undefined): Promise<void> {
    if (!isRequest(msg)) return reply.end(EXIT.USAGE, 'malformed request');
    const spec = this.find(msg.command);
    if (!spec) return reply.end(EXIT.USAGE, `unknown command: ${msg.command.join(' ')}`);
    const req: MgmtRequest = { ...msg, args: [...msg.command.slice(spec.words.length), ...msg.args], command: spec.words };
    if (changes(spec, req) && !mayChange(cred)) {
      return reply.end(EXIT.REFUSED, `${spec.words.join(' ')}: permission denied (changes are for root and the routed user; uid ${cred?.uid ?? '?'} may only read)`);
    }
    try {
      await spec.handler(req, reply);
      reply.end();
    } catch (err) {
      this.onError(err as Error);
      reply.end(EXIT.REFUSED, (err as Error).message);
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }
}
