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
  decodeChecked,
  decodeMessage,
  headerLength,
  headerOf,
  type CodecContext,
  type DecodeResult,
  type UpdateFinding,
  type UpdateMessage,
} from '../wire/index.js';
import type { ConnectionDirection } from './collision.js';
import type { SessionEvent } from './types.js';

export interface ConnectionHandlers {
  /** A message or a message error, as an FSM event. */
  event(ev: SessionEvent): void;
  /** An UPDATE decoded (RFC 7606 findings beside it): Event 27 without the event object. Absent: as an event. */
  update?(msg: UpdateMessage, findings: UpdateFinding[]): void;
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

const NOTHING = Buffer.alloc(0);
/** Bytes of messages reported per turn of the event loop (see slice). */
const SLICE_BYTES = 16384;

/** Socket reads of every connection, numbered: no two reads share a number. */
let readSeq = 0;

export class Connection {
  /**
   * The number of the socket read whose messages are being reported. The messages of one read
   * are handled in one turn of the event loop, which timers take their clock from: the session
   * restarts its hold timer once per read.
   */
  read = 0;
  /** The start of a message whose end has not arrived yet (empty: none). */
  private pending: Buffer = NOTHING;
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
      this.read = ++readSeq;
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
   * wait. One slice of a chunk per turn (see slice): pause, report the rest of the chunk a slice
   * a turn after the check phase, then read on, so import, export and timers take turns.
   */
  private yieldAfterChunk(): void {
    if (this.closing || this.socket.isPaused()) return;
    this.socket.pause();
    setImmediate(() => this.afterTurn());
  }

  /** The rest of a chunk, a slice a turn (see receive), then the socket again. */
  private afterTurn(): void {
    if (this.closing) return;
    if (!this.holdsWholeMessage()) {
      this.socket.resume();
      return;
    }
    this.read = ++readSeq;
    this.slice(this.pending, 0);
    if (!this.closing) setImmediate(() => this.afterTurn());
  }

  /** Whether pending starts with a whole message (or a header frames() will refuse). */
  private holdsWholeMessage(): boolean {
    const m = this.pending;
    if (m.length < HEADER_LEN) return false;
    const h = headerOf(m, 0, this.recvCtx());
    return typeof h !== 'number' || headerLength(h) <= m.length;
  }

  /** Split the stream into messages; each one is decoded and reported before the next is read. */
  private receive(chunk: Buffer): void {
    if (this.closing) return;
    if (this.holdsWholeMessage()) {
      // Messages of an earlier chunk not yet reported (the socket is paused until they are, so
      // only if something resumed it): they go first.
      const all = Buffer.concat([this.pending, chunk]);
      this.pending = NOTHING;
      this.slice(all, 0);
      return;
    }
    const off = this.pending.length === 0 ? 0 : this.completePending(chunk);
    if (off < 0) return;
    this.slice(chunk, off);
  }

  /**
   * Report the messages of buf from `off` up to SLICE_BYTES of them; keep the rest as pending,
   * for the next turns (afterTurn). A 64 KiB read of a table is ~650 UPDATEs: reported in one
   * turn, the first changes reached the RIB's export only after all of them were imported (the
   * convergence bench's first UPDATE out 6–21 ms after the feed began, at 100k; 3–5 ms in slices).
   */
  private slice(buf: Buffer, off: number): void {
    const end = this.frames(buf, off, off + SLICE_BYTES);
    if (end < 0) return;
    this.pending = end === buf.length ? NOTHING : buf.subarray(end);
    // Only the start of a message left: a copy, the chunk is not held (with whole messages left,
    // it is, until afterTurn has read them).
    if (this.pending.length > 0 && !this.holdsWholeMessage()) this.pending = Buffer.from(this.pending);
  }

  /**
   * Complete the message an earlier chunk began with the bytes of `chunk` it lacks, and report
   * it: the rest of the chunk is read where it lies, not copied behind the pending bytes. Returns
   * the offset after it, or -1 (still incomplete and kept, or the stream failed).
   */
  private completePending(chunk: Buffer): number {
    let m = this.pending;
    let off = 0;
    if (m.length < HEADER_LEN) {
      off = Math.min(HEADER_LEN - m.length, chunk.length);
      m = Buffer.concat([m, chunk.subarray(0, off)]);
      if (m.length < HEADER_LEN) {
        this.pending = m;
        return -1;
      }
    }
    const h = checkHeader(m, 0, this.recvCtx());
    if (h instanceof CodecError) {
      this.handlers.event({ type: 'BGPHeaderErr', error: h.error, reason: h.message });
      return -1;
    }
    const take = Math.min(h.length - m.length, chunk.length - off);
    if (take > 0) m = Buffer.concat([m, chunk.subarray(off, off + take)]);
    off += take;
    if (m.length < h.length) {
      this.pending = m;
      return -1;
    }
    this.pending = NOTHING;
    this.deliver(decodeMessage(m, this.recvCtx()));
    return this.closing ? -1 : off;
  }

  /** Report the whole messages in buf from `off`; returns where the first incomplete one starts, or -1 (the stream failed). */
  private frames(buf: Buffer, off: number, until: number): number {
    while (!this.closing && buf.length - off >= HEADER_LEN && off < until) {
      // The header word, not checkHeader's object: one message after another, nothing allocated.
      const ctx = this.recvCtx();
      const h = headerOf(buf, off, ctx);
      if (typeof h !== 'number') {
        this.handlers.event({ type: 'BGPHeaderErr', error: h.error, reason: h.message });
        return -1;
      }
      const length = headerLength(h);
      if (buf.length - off < length) break;
      this.deliver(decodeChecked(buf, ctx, off, h));
      off += length;
    }
    return this.closing ? -1 : off;
  }

  /** Report a decoded message (or its error). */
  private deliver(r: DecodeResult): void {
    if (r.ok && r.msg.type === 'UPDATE' && this.handlers.update) this.handlers.update(r.msg, r.findings);
    else this.handlers.event(toEvent(r));
  }

  /** Write; false when the socket's buffer is over its high-water mark (wait for 'drain'). */
  write(data: Buffer): boolean {
    if (this.closing) return false;
    return this.socket.write(data);
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
