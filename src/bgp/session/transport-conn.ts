// One TCP connection of a session: framing of the byte stream into BGP messages (RFC 4271 §4.1,
// RFC 8654 for the extended length), decoding with the codec, and mapping of each message or
// error onto the FSM event it is (RFC 4271 §8.1.4). Writes go straight to the socket; whoever
// sends bulk data watches the socket's backpressure.

import type net from 'node:net';
import {
  CodecError,
  ERR,
  HEADER_LEN,
  OPEN_SUB,
  checkHeader,
  decodeMessage,
  type CodecContext,
  type DecodeResult,
} from '../wire/index.js';
import type { ConnectionDirection } from './collision.js';
import type { SessionEvent } from './types.js';

export interface ConnectionHandlers {
  /** A message or a message error, as an FSM event. */
  event(ev: SessionEvent): void;
  /** The TCP connection closed or failed without us closing it. */
  closed(reason: string): void;
  /** The socket can take more data. */
  drain(): void;
}

/** How long a connection being closed may take to flush a NOTIFICATION and see the peer's FIN. */
const CLOSE_GRACE_MS = 2000;

/**
 * End a connection with a FIN after what was written (a NOTIFICATION, typically) or `last` is
 * flushed, and destroy it once the peer's FIN arrives or CLOSE_GRACE_MS passed. Until then
 * everything the peer still sends is read and dropped: Linux answers a close() with unread data
 * in the receive queue with a RST instead of a FIN, and a peer that gets the RST before it has
 * read the NOTIFICATION reports a connection reset instead of the error (FRR does).
 */
export function closeGracefully(socket: net.Socket, last?: Buffer): void {
  socket.removeAllListeners('data');
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  if (socket.connecting || socket.destroyed) {
    socket.destroy();
    return;
  }
  // The connection may be paused between chunks (Connection.yieldAfterChunk).
  socket.resume();
  // With allowHalfOpen off (net's default), the peer's FIN after our own ends the socket.
  socket.once('end', () => {
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy());
  });
  if (last) socket.end(last);
  else socket.end();
  const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** RFC 4271 §8.1.4: each decoded message (or decode error) is one event. */
function toEvent(r: DecodeResult): SessionEvent {
  if (!r.ok) {
    const e = { error: r.error, reason: r.reason };
    if (r.error.code === ERR.OPEN) return { type: 'BGPOpenMsgErr', ...e };
    if (r.error.code === ERR.UPDATE) return { type: 'UpdateMsgErr', ...e };
    return { type: 'BGPHeaderErr', ...e };
  }
  const msg = r.msg;
  switch (msg.type) {
    case 'OPEN':
      return { type: 'BGPOpen', open: msg };
    case 'UPDATE':
      return { type: 'UpdateMsg', msg, findings: r.findings };
    case 'NOTIFICATION':
      // Event 24 is a NOTIFICATION naming an unsupported version (OPEN error, subcode 1).
      return msg.code === ERR.OPEN && msg.subcode === OPEN_SUB.UNSUPPORTED_VERSION ? { type: 'NotifMsgVerErr', msg } : { type: 'NotifMsg', msg };
    case 'KEEPALIVE':
      return { type: 'KeepAliveMsg' };
    case 'ROUTE_REFRESH':
      return { type: 'RouteRefreshMsg', msg };
  }
}

export class Connection {
  private pending: Buffer = Buffer.alloc(0);
  /** Once closing, nothing more is read or reported. */
  private closing = false;

  constructor(
    readonly socket: net.Socket,
    readonly direction: ConnectionDirection,
    /** The context messages are decoded with now: it changes when the OPENs are exchanged. */
    private readonly recvCtx: () => CodecContext,
    private readonly handlers: ConnectionHandlers,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.receive(chunk);
      this.yieldAfterChunk();
    });
    socket.on('error', (e: Error) => this.lost(`TCP error: ${e.message}`));
    socket.on('end', () => this.lost('TCP connection closed by peer'));
    socket.on('close', () => this.lost('TCP connection closed'));
    socket.on('drain', () => {
      if (!this.closing) handlers.drain();
    });
  }

  get open(): boolean {
    return !this.closing;
  }

  private lost(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.destroy();
    this.handlers.closed(reason);
  }

  /**
   * libuv reads a readable socket up to 32 times per poll (2 MiB of 64 KiB chunks) before the
   * loop moves on, so a full-table feed would be decoded and imported in one long turn while the
   * RIB's changes (drained in a setImmediate tick) and the other sessions' sends and keepalives
   * wait. One chunk per turn: pause, and read on after the check phase, so import, export and
   * timers take turns.
   */
  private yieldAfterChunk(): void {
    if (this.closing || this.socket.isPaused()) return;
    this.socket.pause();
    setImmediate(() => {
      if (!this.closing) this.socket.resume();
    });
  }

  /** Split the stream into messages; each one is decoded and reported before the next is read. */
  private receive(chunk: Buffer): void {
    if (this.closing) return;
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let off = 0;
    while (!this.closing && buf.length - off >= HEADER_LEN) {
      const ctx = this.recvCtx();
      const h = checkHeader(buf, off, ctx);
      if (h instanceof CodecError) {
        this.handlers.event({ type: 'BGPHeaderErr', error: h.error, reason: h.message });
        return;
      }
      if (buf.length - off < h.length) break;
      const r = decodeMessage(buf.subarray(off, off + h.length), ctx);
      off += h.length;
      this.handlers.event(toEvent(r));
    }
    if (off === buf.length) buf = Buffer.alloc(0);
    else if (off > 0) buf = Buffer.from(buf.subarray(off));
    this.pending = buf;
  }

  /** Write; false when the socket's buffer is over its high-water mark (wait for 'drain'). */
  write(data: Buffer): boolean {
    if (this.closing) return false;
    return this.socket.write(data);
  }

  writeAll(data: Buffer[]): boolean {
    if (this.closing) return false;
    this.socket.cork();
    for (const d of data) this.socket.write(d);
    this.socket.uncork();
    return !this.socket.writableNeedDrain;
  }

  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** Close after what was written is flushed (a NOTIFICATION, typically): see closeGracefully. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    closeGracefully(this.socket);
  }
}
