// A minimal BGP speaker for benchmarks and interop tests: one TCP session, OPEN with 4-octet AS
// (RFC 6793), multiprotocol IPv4/IPv6 unicast (RFC 4760) and route refresh (RFC 2918), KEEPALIVEs,
// message framing, and a callback per decoded UPDATE. No RIB, no policy, no FSM beyond what a
// session needs to come up and stay up: it exists to push and pull tables fast around a device
// under test, on the project's own codec.

import net from 'node:net';

import { checkHeader, CodecError, decodeMessage, encodeMessage, makeContext } from '../../../src/bgp/wire/index.js';
import type { Capability, CodecContext, OpenMessage, UpdateMessage } from '../../../src/bgp/wire/types.js';

export type LiteFamily = 'ipv4' | 'ipv6';
export type LiteState = 'OpenSent' | 'OpenConfirm' | 'Established' | 'Closed';

export interface LiteOptions {
  localAs: number;
  routerId: string;
  /** Hold time offered, seconds (default 90). */
  holdTime?: number;
  /** Families announced in the OPEN (default both). */
  families?: LiteFamily[];
  /** When set, an OPEN from another AS is refused with OPEN error 2 (bad peer AS). */
  peerAs?: number;
}

const AS_TRANS = 23456;
const AFI: Record<LiteFamily, number> = { ipv4: 1, ipv6: 2 };
/** Bytes handed to one socket.write when streaming: large enough to keep the kernel busy. */
const STREAM_CHUNK = 256 * 1024;

/** Monotonic clock shared by every process on the machine (CLOCK_MONOTONIC), in nanoseconds. */
export function nowNs(): bigint {
  return process.hrtime.bigint();
}

function openMessage(o: LiteOptions): OpenMessage {
  const caps: Capability[] = (o.families ?? ['ipv4', 'ipv6']).map((f) => ({ code: 1, name: 'MULTIPROTOCOL', value: { afi: AFI[f], safi: 1 } }));
  caps.push({ code: 2, name: 'ROUTE_REFRESH', value: null }, { code: 65, name: 'FOUR_OCTET_AS', value: o.localAs });
  return {
    type: 'OPEN',
    version: 4,
    myAs: o.localAs > 0xffff ? AS_TRANS : o.localAs,
    holdTime: o.holdTime ?? 90,
    bgpId: o.routerId,
    params: [{ type: 2, capabilities: caps }],
  };
}

function capabilitiesOf(open: OpenMessage): Capability[] {
  return open.params.flatMap((p) => ('capabilities' in p ? p.capabilities : []));
}

/** The peer's AS: the 4-octet capability's value when present (RFC 6793 §4.1), else My AS. */
export function peerAsOf(open: OpenMessage): number {
  const four = capabilitiesOf(open).find((c) => c.code === 65);
  return four ? (four.value as number) : open.myAs;
}

/**
 * Gaps between messages received, in milliseconds: the longest between any two messages (what a
 * hold timer sees) and between two KEEPALIVEs, since the last reset.
 */
export class GapRecorder {
  keepalives = 0;
  maxKeepaliveGapMs = 0;
  maxMessageGapMs = 0;
  private lastKeepalive: bigint | undefined;
  private lastMessage: bigint | undefined;

  message(): void {
    const now = nowNs();
    if (this.lastMessage !== undefined) this.maxMessageGapMs = Math.max(this.maxMessageGapMs, Number(now - this.lastMessage) / 1e6);
    this.lastMessage = now;
  }

  keepalive(): void {
    const now = nowNs();
    this.keepalives++;
    if (this.lastKeepalive !== undefined) this.maxKeepaliveGapMs = Math.max(this.maxKeepaliveGapMs, Number(now - this.lastKeepalive) / 1e6);
    this.lastKeepalive = now;
  }

  /** Start a new window; the gap running at the reset counts from the reset. */
  reset(): void {
    const now = nowNs();
    this.keepalives = 0;
    this.maxKeepaliveGapMs = 0;
    this.maxMessageGapMs = 0;
    this.lastKeepalive = now;
    this.lastMessage = now;
  }

  /** The window's figures, the gap still open at this moment included. */
  read(): { keepalives: number; maxKeepaliveGapMs: number; maxMessageGapMs: number } {
    const now = nowNs();
    const open = (t: bigint | undefined): number => (t === undefined ? 0 : Number(now - t) / 1e6);
    return {
      keepalives: this.keepalives,
      maxKeepaliveGapMs: Math.max(this.maxKeepaliveGapMs, open(this.lastKeepalive)),
      maxMessageGapMs: Math.max(this.maxMessageGapMs, open(this.lastMessage)),
    };
  }
}

/** The end of the last whole message from `at` that ends by `limit` (at least one message). */
function messageBoundary(wire: Buffer, at: number, limit: number): number {
  let end = at;
  while (end + 19 <= wire.length) {
    // RFC 4271 §4.1: the 2-octet Length follows the 16-octet Marker.
    const length = wire.readUInt16BE(end + 16);
    // Not a message stream (a test sending raw bytes): no boundaries to keep.
    if (length < 19) return Math.min(wire.length, limit);
    const next = end + length;
    if (next > limit && end > at) break;
    end = next;
  }
  return end > at ? Math.min(end, wire.length) : Math.min(wire.length, limit);
}

export class LiteSession {
  readonly socket: net.Socket;
  readonly opts: LiteOptions;
  state: LiteState = 'OpenSent';
  peerOpen: OpenMessage | undefined;
  /** Decoding/encoding context; as4 once both sides announced 4-octet AS support. */
  ctx: CodecContext = makeContext();
  /** Called for every UPDATE, synchronously, in arrival order. */
  onUpdate: (msg: UpdateMessage) => void = () => {};
  /** Why the session ended (undefined: closed by us without error). */
  closeReason: Error | undefined;
  readonly established: Promise<void>;
  readonly closed: Promise<Error | undefined>;
  messagesIn = 0;
  updatesIn = 0;
  /** Bytes and socket reads received (how the peer's writes arrived: fewer, larger reads cost less). */
  bytesIn = 0;
  readsIn = 0;
  /** The peer's pacing as this side's hold timer sees it (routectl bench: keepalives on time). */
  readonly gaps = new GapRecorder();

  private pending: Buffer | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private lastReceived = Date.now();
  private holdTime = 0;
  private resolveEstablished!: () => void;
  private rejectEstablished!: (e: Error) => void;
  private resolveClosed!: (e: Error | undefined) => void;

  constructor(socket: net.Socket, opts: LiteOptions) {
    this.socket = socket;
    this.opts = opts;
    this.established = new Promise((res, rej) => {
      this.resolveEstablished = res;
      this.rejectEstablished = rej;
    });
    this.established.catch(() => {});
    this.closed = new Promise((res) => (this.resolveClosed = res));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (e) => this.end(e));
    socket.on('close', () => this.end(new Error('connection closed by peer')));
    socket.write(encodeMessage(openMessage(opts), this.ctx));
  }

  /** Write bytes; false means the socket's buffer is full (wait for 'drain'). */
  write(bytes: Uint8Array): boolean {
    return this.socket.write(bytes);
  }

  /** Encode and send one message with the session's context. */
  send(msg: UpdateMessage): boolean {
    return this.write(encodeMessage(msg, this.ctx));
  }

  /**
   * Stream pre-encoded messages as fast as the socket takes them, waiting for 'drain' whenever
   * write() says the buffer is full. Resolves with when the first byte was handed to the socket
   * and when the last write was accepted.
   */
  async stream(wire: Buffer): Promise<{ firstNs: bigint; lastNs: bigint }> {
    if (this.state !== 'Established') throw new Error(`stream: session is ${this.state}`);
    let firstNs = 0n;
    for (let at = 0; at < wire.length; ) {
      if (this.state !== 'Established') throw new Error(`session ended while streaming: ${this.closeReason?.message ?? 'closed'}`);
      if (at === 0) firstNs = nowNs();
      // Chunks end on message boundaries: a KEEPALIVE the timer writes while we wait for 'drain'
      // must land between two messages, not inside one.
      const end = messageBoundary(wire, at, at + STREAM_CHUNK);
      const more = this.socket.write(wire.subarray(at, end));
      at = end;
      if (!more) await this.drained();
    }
    return { firstNs, lastNs: nowNs() };
  }

  /** Send a NOTIFICATION (Cease by default) and close. */
  close(code = 6, subcode = 2): Promise<Error | undefined> {
    if (this.state !== 'Closed') {
      this.socket.end(encodeMessage({ type: 'NOTIFICATION', code, subcode, data: '' }, this.ctx));
      this.end(undefined);
    }
    return this.closed;
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.socket.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        this.socket.off('drain', onDrain);
        reject(new Error(`session ended while streaming: ${this.closeReason?.message ?? 'closed'}`));
      };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  private receive(chunk: Buffer): void {
    this.lastReceived = Date.now();
    this.bytesIn += chunk.length;
    this.readsIn++;
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    while (buf.length - off >= 19 && this.state !== 'Closed') {
      const h = checkHeader(buf, off, this.ctx);
      if (h instanceof CodecError) return this.fail(h.error.code, h.error.subcode, h.message);
      if (buf.length - off < h.length) break;
      this.handle(buf.subarray(off, off + h.length));
      off += h.length;
    }
    buf = buf.subarray(off);
    this.pending = buf.length > 0 ? Buffer.from(buf) : undefined;
  }

  private handle(bytes: Buffer): void {
    this.messagesIn++;
    this.gaps.message();
    const r = decodeMessage(bytes, this.ctx);
    if (!r.ok) return this.fail(r.error.code, r.error.subcode, r.reason);
    const msg = r.msg;
    switch (msg.type) {
      case 'OPEN':
        return this.onOpen(msg);
      case 'KEEPALIVE':
        this.gaps.keepalive();
        if (this.state === 'OpenConfirm') this.becomeEstablished();
        return;
      case 'UPDATE':
        if (this.state !== 'Established') return this.fail(5, 0, 'UPDATE before Established');
        this.updatesIn++;
        this.onUpdate(msg);
        return;
      case 'NOTIFICATION':
        return this.end(new Error(`NOTIFICATION from peer: ${msg.code}/${msg.subcode}${msg.shutdownMessage ? ` "${msg.shutdownMessage}"` : ''} data ${msg.data}`));
      case 'ROUTE_REFRESH':
        return;
    }
  }

  private onOpen(open: OpenMessage): void {
    if (this.state !== 'OpenSent') return this.fail(5, 0, 'OPEN in state ' + this.state);
    // RFC 4271 §6.2: unsupported version → OPEN error 1, data the largest version we support.
    if (open.version !== 4) return this.fail(2, 1, `BGP version ${open.version}`);
    const peerAs = peerAsOf(open);
    if (this.opts.peerAs !== undefined && peerAs !== this.opts.peerAs) return this.fail(2, 2, `peer AS ${peerAs}, expected ${this.opts.peerAs}`);
    this.peerOpen = open;
    // Received UPDATEs decode as the daemon's session decodes them (keyed holders): the collector
    // reads their prefix keys, and no list is defined per message.
    this.ctx = makeContext({ as4: capabilitiesOf(open).some((c) => c.code === 65), keyedLists: true });
    // RFC 4271 §4.2: the session uses the smaller of the two hold times.
    this.holdTime = Math.min(open.holdTime, this.opts.holdTime ?? 90);
    this.state = 'OpenConfirm';
    this.socket.write(encodeMessage({ type: 'KEEPALIVE' }, this.ctx));
  }

  private becomeEstablished(): void {
    this.state = 'Established';
    if (this.holdTime > 0) {
      const every = Math.max(1, Math.floor(this.holdTime / 3)) * 1000;
      this.keepaliveTimer = setInterval(() => this.tick(), every);
    }
    this.resolveEstablished();
  }

  private tick(): void {
    // RFC 4271 §6.5: hold timer expiry is NOTIFICATION 4 (Hold Timer Expired).
    if (Date.now() - this.lastReceived > this.holdTime * 1000) return this.fail(4, 0, 'hold timer expired');
    this.socket.write(encodeMessage({ type: 'KEEPALIVE' }, this.ctx));
  }

  private fail(code: number, subcode: number, reason: string): void {
    if (this.state === 'Closed') return;
    this.socket.end(encodeMessage({ type: 'NOTIFICATION', code, subcode, data: '' }, this.ctx));
    this.end(new Error(`sent NOTIFICATION ${code}/${subcode}: ${reason}`));
  }

  private end(reason: Error | undefined): void {
    if (this.state === 'Closed') return;
    this.state = 'Closed';
    this.closeReason = reason;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.socket.destroySoon();
    this.rejectEstablished(reason ?? new Error('closed before Established'));
    this.resolveClosed(reason);
  }
}

export interface ConnectOptions extends LiteOptions {
  host: string;
  port?: number;
  localAddress?: string;
}

/** Connect to a peer and start a session; resolves once the TCP connection is up. */
export function connectLite(o: ConnectOptions): Promise<LiteSession> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: o.host, port: o.port ?? 179, localAddress: o.localAddress });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(new LiteSession(socket, o));
    });
  });
}

export interface ListenOptions extends LiteOptions {
  host: string;
  port?: number;
}

/**
 * Listen, and start a session on the first connection accepted. Resolves with the listening
 * server (already bound) and a promise of the session; later connections are refused.
 */
export async function listenLite(
  o: ListenOptions,
  /** Called as the session is made, before any of its messages is handled (to set onUpdate). */
  onSession: (s: LiteSession) => void = () => {},
): Promise<{ server: net.Server; session: Promise<LiteSession> }> {
  const server = net.createServer();
  const session = new Promise<LiteSession>((resolve) => {
    server.on('connection', (socket) => {
      if (server.listening) server.close();
      else return socket.destroy();
      const s = new LiteSession(socket, o);
      onSession(s);
      resolve(s);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: o.host, port: o.port ?? 179 }, () => resolve());
  });
  return { server, session };
}
