// The session runner: the I/O edge around the pure FSM for one neighbour. It owns the sockets
// and timers, feeds socket and timer events into step(), carries out the actions, resolves
// connection collisions (RFC 4271 §6.8) and reports to its owner through typed events.
//
// Up to two connections exist at once: the primary, which the session's FSM drives, and an
// inbound candidate accepted while the primary is in OpenSent or OpenConfirm. The candidate runs
// its own FSM (passive) until one of the two receives the peer's OPEN; then the collision rule
// keeps one and the other is closed with Cease / Connection Collision Resolution (6/7).

import { EventEmitter } from 'node:events';
import net from 'node:net';
import {
  CEASE_SUB,
  ERR,
  encodeMessage,
  makeContext,
  shutdownData,
  type BgpMessage,
  type CodecContext,
  type NotifyError,
  type RouteRefreshMessage,
  type UpdateFinding,
  type UpdateMessage,
} from '../wire/index.js';
import type { PeerInfo } from '../../rib/types.js';
import { resolveCollision, type ConnectionDirection } from './collision.js';
import { fsmConfig, holdRestartMs, initialState, step } from './fsm.js';
import { buildOpen, type BuildOpenOptions } from './negotiate.js';
import { createConnectSocket, secureAccepted, type SocketSecurity } from './socket.js';
import { closeGracefully, Connection } from './transport-conn.js';
import type {
  DownInfo,
  FsmConfig,
  FsmStateName,
  Negotiated,
  PeerConfig,
  SessionAction,
  SessionEvent,
  SessionState,
  TimerName,
} from './types.js';

export interface SessionOptions {
  peer: PeerConfig;
  /** The peer's TCP port (179 unless testing). */
  port?: number;
  /** What goes into our OPEN besides the neighbour configuration (host name, …). */
  open?: BuildOpenOptions;
  /** Backoff tuning (defaults: cap 120 s, first idle hold 1 s). */
  backoff?: Partial<Pick<FsmConfig, 'backoffCapSeconds' | 'idleHoldSeconds'>>;
  /** Seed of the FSM's jitter generator; random by default. */
  seed?: number;
  /** Node's write buffer size before send() reports backpressure. */
  writableHighWaterMark?: number;
}

export interface StateChange {
  from: FsmStateName;
  to: FsmStateName;
  reason: string;
}

export interface SessionEvents {
  established: [negotiated: Negotiated, peer: PeerInfo];
  update: [msg: UpdateMessage, findings: UpdateFinding[]];
  'route-refresh': [msg: RouteRefreshMessage];
  down: [info: DownInfo];
  state: [change: StateChange];
  /**
   * A NOTIFICATION sent or received on the primary connection in any state, so that errors
   * before Established (an OPEN refused either way) are seen too; 'down' covers only Established.
   */
  notification: [n: NotificationEvent];
  /** The socket took what send() could not: the Adj-RIB-Out may send more. */
  drain: [];
}

export interface NotificationEvent {
  direction: 'sent' | 'received';
  code: number;
  subcode: number;
  /** What led to it: the FSM event's description (e.g. the OPEN check that failed). */
  reason: string;
  /** RFC 9003 shutdown communication, when received with one. */
  shutdownMessage?: string;
}

export interface ShutdownNotice {
  /** Cease subcode (default 2, Administrative Shutdown; 4 is Administrative Reset). */
  subcode?: number;
  /** RFC 9003 shutdown communication (UTF-8, at most 255 bytes), sent with subcodes 2 and 4. */
  message?: string;
}

const TIMER_EVENTS: Record<TimerName, SessionEvent['type']> = {
  connectRetry: 'ConnectRetryTimer_Expires',
  hold: 'HoldTimer_Expires',
  keepalive: 'KeepaliveTimer_Expires',
  idleHold: 'IdleHoldTimer_Expires',
};

/** One FSM instance with its connection and timers. */
interface Fsm {
  state: SessionState;
  conn?: Connection;
  timers: Map<TimerName, { handle: NodeJS.Timeout; ms: number }>;
  /** The socket read (Connection.read) in which an UPDATE last restarted the hold timer. */
  holdRead?: number;
}

const PRE_OPEN_CTX: CodecContext = makeContext();
const KEEPALIVE = encodeMessage({ type: 'KEEPALIVE' }, PRE_OPEN_CTX);
const WITH_CONNECTION: ReadonlySet<FsmStateName> = new Set(['OpenSent', 'OpenConfirm', 'Established']);

function describe(ev: SessionEvent): string {
  if ('reason' in ev) return ev.reason;
  if (ev.type === 'NotifMsg' || ev.type === 'NotifMsgVerErr') {
    return `NOTIFICATION ${ev.msg.code}/${ev.msg.subcode}${ev.msg.shutdownMessage ? ` "${ev.msg.shutdownMessage}"` : ''}`;
  }
  return ev.type;
}

/** RFC 9003 §2: a shutdown communication goes with Cease / Administrative Shutdown or Reset. */
function ceaseWith(notice: ShutdownNotice, defaultSubcode: number): NotifyError {
  const subcode = notice.subcode ?? defaultSubcode;
  const withText = notice.message !== undefined && (subcode === CEASE_SUB.ADMIN_SHUTDOWN || subcode === CEASE_SUB.ADMIN_RESET);
  return { code: ERR.CEASE, subcode, data: withText ? shutdownData(notice.message!) : '' };
}

export class Session extends EventEmitter<SessionEvents> {
  readonly address: string;
  private readonly cfg: FsmConfig;
  private readonly port: number;
  private readonly security: SocketSecurity;
  private readonly highWaterMark: number;
  private primary: Fsm;
  private candidate: Fsm | undefined;
  /** Administratively down (neighbour `shutdown`, or stop()): start() does nothing until enable(). */
  private adminDown: boolean;
  /** Owner-facing events of the step being run: emitted after its actions, so handlers see settled state. */
  private outbox: (() => void)[] = [];

  constructor(opts: SessionOptions) {
    super();
    const peer = opts.peer;
    this.address = peer.address;
    this.port = opts.port ?? 179;
    this.cfg = fsmConfig(peer, buildOpen(peer, opts.open), opts.backoff);
    this.security = {
      ...(peer.password && { password: peer.password }),
      ...(peer.ttlSecurity && { ttlSecurityHops: peer.ttlSecurity.hops }),
    };
    this.highWaterMark = opts.writableHighWaterMark ?? 64 * 1024;
    this.adminDown = peer.shutdown;
    const seed = opts.seed ?? (Math.random() * 0x100000000) >>> 0;
    this.primary = { state: initialState(this.cfg, seed), timers: new Map() };
  }

  get state(): FsmStateName {
    return this.primary.state.name;
  }

  get negotiated(): Negotiated | undefined {
    return this.primary.state.name === 'Established' ? this.primary.state.negotiated : undefined;
  }

  /** Our OPEN, as sent. */
  get localOpen(): FsmConfig['localOpen'] {
    return this.cfg.localOpen;
  }

  /** True when established and the socket is below its high-water mark. */
  /** Administratively down (configured shutdown, or stop() until enable()). */
  get disabled(): boolean {
    return this.adminDown;
  }

  /** Our address on the current connection (next hop self), when there is one. */
  get localAddress(): string | undefined {
    return this.primary.conn?.socket.localAddress;
  }

  get writable(): boolean {
    return this.state === 'Established' && !!this.primary.conn?.open && !this.primary.conn.needsDrain;
  }

  /** Begin (ManualStart, passive when configured) unless administratively down. */
  start(): void {
    if (this.adminDown || this.state !== 'Idle') return;
    this.run(this.primary, { type: this.cfg.peer.passive ? 'ManualStart_with_PassiveTcpEstablishment' : 'ManualStart' });
  }

  /** Clear the administrative shutdown and start. */
  enable(): void {
    this.adminDown = false;
    this.start();
  }

  /** ManualStop: Cease (default Administrative Shutdown, RFC 9003 message), and stay down until enable(). */
  stop(notice: ShutdownNotice = {}): void {
    this.adminDown = true;
    const notification = ceaseWith(notice, CEASE_SUB.ADMIN_SHUTDOWN);
    if (this.candidate) this.discard(this.candidate, { type: 'ManualStop', notification });
    this.run(this.primary, { type: 'ManualStop', notification });
    this.clearTimers(this.primary);
    this.flush();
  }

  /** Administrative reset: Cease / Administrative Reset (6/4), then start again at once. */
  reset(message?: string): void {
    const notification = ceaseWith({ subcode: CEASE_SUB.ADMIN_RESET, ...(message !== undefined && { message }) }, CEASE_SUB.ADMIN_RESET);
    if (this.candidate) this.discard(this.candidate, { type: 'ManualStop', notification });
    this.run(this.primary, { type: 'ManualStop', notification });
    this.clearTimers(this.primary);
    this.start();
  }

  /** RFC 4271 Event 8: end the session for a local reason (max-prefix, configuration change); it restarts after backoff. */
  automaticStop(notification: NotifyError, reason: string): void {
    this.run(this.primary, { type: 'AutomaticStop', notification, reason });
  }

  /**
   * Write encoded messages in Established, in one buffer (an Adj-RIB-Out batch: UPDATEs back to
   * back; a ROUTE-REFRESH). False: wait for 'drain' before more.
   */
  send(bytes: Buffer): boolean {
    const conn = this.primary.conn;
    if (this.state !== 'Established' || !conn) return false;
    return conn.write(bytes);
  }

  /** Encode with the negotiated sending context and send. */
  sendMessage(msg: BgpMessage): boolean {
    const n = this.negotiated;
    if (!n) return false;
    return this.send(encodeMessage(msg, n.sendCtx));
  }

  /**
   * A connection the daemon's listener accepted from this neighbour's address. RFC 4271 §8.2.2:
   * Idle refuses connections; Active takes it; Connect (our own attempt under way), OpenSent and
   * OpenConfirm track it for collision detection, so that two speakers connecting at once settle
   * on one connection instead of each dropping its own; Established refuses it, unless the peer
   * is graceful-restart capable, in which case a new connection means the peer restarted
   * (RFC 4724 §4.2).
   */
  acceptInbound(socket: net.Socket): void {
    try {
      secureAccepted(socket, this.security);
    } catch {
      socket.destroy();
      return;
    }
    const name = this.state;
    if (this.adminDown || name === 'Idle') {
      // Refused, but with a FIN: a RST could cost the peer a NOTIFICATION we sent it on another connection.
      closeGracefully(socket);
    } else if (name === 'Active') {
      this.adopt(this.primary, socket);
    } else if (name === 'Established') {
      if (!this.primary.state.negotiated?.gracefulRestart) {
        this.refuse(socket);
        return;
      }
      this.run(this.primary, { type: 'TcpConnectionFails', reason: 'peer reconnected (graceful restart)' });
      this.run(this.primary, { type: 'AutomaticStart_with_PassiveTcpEstablishment' });
      this.adopt(this.primary, socket);
    } else if (this.candidate) {
      this.refuse(socket);
    } else {
      this.startCandidate(socket);
    }
  }

  // ---- internals ----

  /** RFC 4271 §6.8: a connection that loses to an existing one is closed with Cease 6/7. */
  private refuse(socket: net.Socket): void {
    closeGracefully(socket, encodeMessage({ type: 'NOTIFICATION', code: ERR.CEASE, subcode: CEASE_SUB.COLLISION, data: '' }, PRE_OPEN_CTX));
  }

  private startCandidate(socket: net.Socket): void {
    const passiveCfg: FsmConfig = { ...this.cfg, peer: { ...this.cfg.peer, passive: true } };
    // Straight to Active (the passive start's only action stops an idle-hold timer it has not
    // got), then the accepted connection takes it to OpenSent.
    const idle = initialState(passiveCfg, this.primary.state.rng ^ 0x5bd1e995);
    const fsm: Fsm = { state: step(idle, { type: 'ManualStart_with_PassiveTcpEstablishment' }).state, timers: new Map() };
    this.candidate = fsm;
    this.adopt(fsm, socket);
  }

  /** Attach an accepted socket to an FSM in Connect/Active and report TcpConnectionConfirmed. */
  private adopt(fsm: Fsm, socket: net.Socket): void {
    fsm.conn?.close();
    fsm.conn = this.connection(fsm, socket, 'inbound');
    this.run(fsm, { type: 'TcpConnectionConfirmed' });
  }

  private connection(fsm: Fsm, socket: net.Socket, direction: ConnectionDirection): Connection {
    const conn: Connection = new Connection(socket, direction, () => fsm.state.negotiated?.recvCtx ?? PRE_OPEN_CTX, {
      event: (ev) => this.fromConnection(fsm, conn, ev),
      update: (msg, findings) => this.updateFrom(fsm, conn, msg, findings),
      closed: (reason) => this.fromConnection(fsm, conn, { type: 'TcpConnectionFails', reason }),
      drain: () => {
        if (fsm === this.primary && this.state === 'Established') this.emit('drain');
      },
    });
    return conn;
  }

  private live(fsm: Fsm): boolean {
    return fsm === this.primary || fsm === this.candidate;
  }

  private fromConnection(fsm: Fsm, conn: Connection, ev: SessionEvent): void {
    if (!this.live(fsm) || fsm.conn !== conn) return;
    if (ev.type === 'BGPOpen' && this.collides(fsm, ev.open.bgpId)) this.flush();
    else this.run(fsm, ev);
  }

  /**
   * An UPDATE (RFC 4271 §8.1.4 Event 27). On the primary in Established, the path of every route
   * a peer sends, the runner applies the FSM's one row for it without building its event, actions
   * and result: restart the HoldTimer, deliver (what run() does with step()'s answer there).
   * Anywhere else the FSM decides: an UPDATE before Established is an FSM error.
   */
  private updateFrom(fsm: Fsm, conn: Connection, msg: UpdateMessage, findings: UpdateFinding[]): void {
    if (fsm !== this.primary || fsm.conn !== conn || fsm.state.name !== 'Established' || this.candidate) {
      this.fromConnection(fsm, conn, { type: 'UpdateMsg', msg, findings });
      return;
    }
    const hold = holdRestartMs(fsm.state);
    // Once per socket read (Connection.read): a second restart in the same turn of the event
    // loop would set the same expiry, and cost a timer refresh per UPDATE.
    if (hold > 0 && fsm.holdRead !== conn.read) {
      fsm.holdRead = conn.read;
      this.startTimer(fsm, 'hold', hold);
    }
    this.emit('update', msg, findings);
  }

  /**
   * RFC 4271 §6.8: when an OPEN arrives on one connection while the other is in OpenSent or
   * OpenConfirm, keep one by the BGP Identifiers. True when `fsm` lost (its OPEN is not processed).
   */
  private collides(fsm: Fsm, remoteId: string): boolean {
    const other = fsm === this.primary ? this.candidate : this.primary;
    if (!other?.conn || !fsm.conn || !WITH_CONNECTION.has(other.state.name)) return false;
    let loser: Fsm;
    if (fsm.conn.direction === other.conn.direction) {
      loser = fsm === this.candidate ? this.primary : this.candidate!; // two inbound: the newer one stays
    } else {
      const outcome = resolveCollision({ localId: this.cfg.peer.routerId, remoteId, localAs: this.cfg.peer.localAs, remoteAs: this.cfg.peer.remoteAs });
      loser = fsm.conn.direction === outcome.close ? fsm : other;
    }
    this.discard(loser, { type: 'OpenCollisionDump' });
    return loser === fsm;
  }

  /** End a connection's FSM with `ev` (its NOTIFICATION is sent), then forget it; the other one becomes primary. */
  private discard(fsm: Fsm, ev: SessionEvent): void {
    const { actions } = step(fsm.state, ev);
    for (const a of actions) if (a.type === 'send-notification' || a.type === 'drop') this.execute(fsm, a);
    this.clearTimers(fsm);
    fsm.conn?.close();
    delete fsm.conn;
    if (fsm === this.candidate) {
      this.candidate = undefined;
    } else if (this.candidate) {
      this.promote(`collision: kept the inbound connection`);
    }
  }

  private promote(reason: string): void {
    const from = this.primary.state.name;
    const winner = this.candidate!;
    this.clearTimers(this.primary);
    this.primary.conn?.close();
    this.candidate = undefined;
    winner.state = { ...winner.state, cfg: this.cfg, autoRestart: true };
    this.primary = winner;
    const change = { from, to: winner.state.name, reason };
    if (from !== change.to) this.outbox.push(() => this.emit('state', change));
  }

  private run(fsm: Fsm, ev: SessionEvent): void {
    const from = fsm.state.name;
    const { state, actions } = step(fsm.state, ev);
    fsm.state = state;
    for (const a of actions) this.execute(fsm, a);
    if (fsm === this.primary) this.reportNotifications(ev, actions);
    if (fsm === this.primary && from !== state.name) {
      const change = { from, to: state.name, reason: describe(ev) };
      this.outbox.push(() => this.emit('state', change));
    }
    this.settle(fsm);
    this.flush();
  }

  private reportNotifications(ev: SessionEvent, actions: readonly SessionAction[]): void {
    const reason = describe(ev);
    if (ev.type === 'NotifMsg' || ev.type === 'NotifMsgVerErr') {
      const n: NotificationEvent = { direction: 'received', code: ev.msg.code, subcode: ev.msg.subcode, reason, ...(ev.msg.shutdownMessage !== undefined && { shutdownMessage: ev.msg.shutdownMessage }) };
      this.outbox.push(() => this.emit('notification', n));
    }
    for (const a of actions) {
      if (a.type !== 'send-notification') continue;
      const n: NotificationEvent = { direction: 'sent', code: a.error.code, subcode: a.error.subcode, reason };
      this.outbox.push(() => this.emit('notification', n));
    }
  }

  private flush(): void {
    const outbox = this.outbox;
    this.outbox = [];
    for (const emit of outbox) emit();
  }

  /**
   * After a step: a failed candidate is forgotten; a primary without a BGP connection yields to
   * a live candidate (while our own connect is still under way, only once the candidate has the
   * peer's OPEN); an Established primary closes the candidate (RFC 4271 §6.8).
   */
  private settle(fsm: Fsm): void {
    const c = this.candidate;
    if (!c) return;
    const primary = this.primary.state.name;
    if (fsm === c && !WITH_CONNECTION.has(c.state.name)) {
      this.clearTimers(c);
      c.conn?.close();
      this.candidate = undefined;
    } else if (!WITH_CONNECTION.has(primary) && !this.adminDown && (primary !== 'Connect' || c.state.name === 'OpenConfirm')) {
      this.promote(primary === 'Connect' ? 'peer connected first; kept its connection' : 'primary connection failed; kept the inbound connection');
    } else if (primary === 'Established') {
      this.discard(c, { type: 'OpenCollisionDump' });
    }
  }

  private execute(fsm: Fsm, a: SessionAction): void {
    switch (a.type) {
      case 'send-open':
        fsm.conn?.write(encodeMessage(a.open, PRE_OPEN_CTX));
        return;
      case 'send-keepalive':
        fsm.conn?.write(KEEPALIVE);
        return;
      case 'send-notification': {
        const ctx = fsm.state.negotiated?.sendCtx ?? PRE_OPEN_CTX;
        fsm.conn?.write(encodeMessage({ type: 'NOTIFICATION', ...a.error }, ctx));
        return;
      }
      case 'start-timer':
        this.startTimer(fsm, a.timer, a.ms);
        return;
      case 'stop-timer':
        this.stopTimer(fsm, a.timer);
        return;
      case 'connect':
        this.connectOut(fsm);
        return;
      case 'drop':
        fsm.conn?.close();
        delete fsm.conn;
        return;
      default:
        this.report(fsm, a);
    }
  }

  /** Owner-facing actions, queued until the step's actions are done. Only the primary speaks to the owner. */
  private report(fsm: Fsm, a: SessionAction): void {
    if (fsm !== this.primary) return;
    switch (a.type) {
      case 'deliver-update':
        this.outbox.push(() => this.emit('update', a.msg, a.findings));
        return;
      case 'deliver-route-refresh':
        this.outbox.push(() => this.emit('route-refresh', a.msg));
        return;
      case 'established': {
        const n = a.negotiated;
        const peer: PeerInfo = { address: this.address, asn: n.peerAs, routerId: n.peerId, ibgp: n.ibgp, routeReflectorClient: this.cfg.peer.routeReflectorClient };
        this.outbox.push(() => this.emit('established', n, peer));
        return;
      }
      case 'down':
        this.outbox.push(() => this.emit('down', a.info));
        return;
      default:
        return;
    }
  }

  private startTimer(fsm: Fsm, timer: TimerName, ms: number): void {
    const running = fsm.timers.get(timer);
    if (running && running.ms === ms) {
      running.handle.refresh();
      return;
    }
    if (running) clearTimeout(running.handle);
    const handle = setTimeout(() => {
      fsm.timers.delete(timer);
      if (this.live(fsm)) this.run(fsm, { type: TIMER_EVENTS[timer] } as SessionEvent);
    }, ms);
    fsm.timers.set(timer, { handle, ms });
  }

  private stopTimer(fsm: Fsm, timer: TimerName): void {
    const running = fsm.timers.get(timer);
    if (running) clearTimeout(running.handle);
    fsm.timers.delete(timer);
  }

  private clearTimers(fsm: Fsm): void {
    for (const t of fsm.timers.values()) clearTimeout(t.handle);
    fsm.timers.clear();
  }

  /** RFC 4271 §8.2.2 "initiates a TCP connection": MD5/GTSM are set on the descriptor before connect. */
  private connectOut(fsm: Fsm): void {
    fsm.conn?.close();
    let socket: net.Socket;
    try {
      socket = createConnectSocket(this.address, this.security, { writableHighWaterMark: this.highWaterMark });
    } catch (e) {
      const reason = `socket setup failed: ${(e as Error).message}`;
      setImmediate(() => {
        if (this.live(fsm) && !fsm.conn) this.run(fsm, { type: 'TcpConnectionFails', reason });
      });
      return;
    }
    const conn = this.connection(fsm, socket, 'outbound');
    fsm.conn = conn;
    socket.setNoDelay(true);
    socket.once('connect', () => {
      if (this.live(fsm) && fsm.conn === conn) this.run(fsm, { type: 'Tcp_CR_Acked' });
    });
    const local = this.cfg.peer.localAddress;
    socket.connect({ host: this.address, port: this.port, ...(local && { localAddress: local }) });
  }
}

