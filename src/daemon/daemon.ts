// The one place that wires routed together: configuration, the RIB, the policy engine, one Peer
// per neighbour, the BGP listeners, the kernel view (connected and kernel routes), and the
// control socket. The route path (decode → RIB → Adj-RIB-Out) runs to completion per event;
// the RIB's changes are drained and distributed once per tick.

import net from 'node:net';
import os from 'node:os';
import { Listener } from '../bgp/session/socket.js';
import type { Config, NeighborConfig } from '../config/types.js';
import { compilePolicies, formatPolicyError } from '../policy/index.js';
import type { PolicyEngine } from '../policy/index.js';
import { Rib } from '../rib/index.js';
import { MgmtServer } from '../mgmt/server.js';
import type { Logger } from './log.js';
import { KernelWatcher } from './kernel.js';
import type { KernelRouteChange, KernelView } from './kernel.js';
import { Peer } from './peer.js';
import type { PeerHost } from './peer.js';
import { mgmtCommands } from './commands.js';
import { Reloader } from './reload.js';
import { WARM_UP_CONNECTED, warmUp } from './warmup.js';
import { warmUpPeers, type SessionWarmUpResult } from './warmup-session.js';
import { exportFilterFor, NeighborRef, peerOptionsFor, sessionAddresses } from './neighbor-filters.js';
import type { SessionAddresses } from './neighbor-filters.js';
import type { ReloadHost } from './reload.js';

import { RTPROT_ROUTED } from '../fib/types.js';
import type { FibManager } from '../fib/manager.js';
import type { Metrics } from './metrics.js';
import type { Notifier } from './notify.js';

/**
 * The forwarding-plane code (manager, kernel and XDP backends, reconcile) and the metrics endpoint
 * (prom-client) are imported when first used: with fib.mode off and no metrics.listen they stay
 * out of the process (~6 MiB of RSS).
 */
type FibCode = typeof import('../fib/manager.js') & typeof import('../fib/reconcile.js');

async function loadFibCode(): Promise<FibCode> {
  const [manager, reconcile] = await Promise.all([import('../fib/manager.js'), import('../fib/reconcile.js')]);
  return { ...manager, ...reconcile };
}

/** Changes drained per tick without a FIB (the FIB takes every change of a drain). */
const DRAIN_MAX = 65536;

/** The warm-up's rounds through neighbours on loopback (see warmUpPeers). */
export const WARM_UP_ROUNDS = 3;

/** A log that writes nothing. */
const QUIET: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, setLevel: () => undefined };

export interface DaemonOptions {
  /** BGP port (179; tests use others). */
  port?: number;
  /** Read connected and kernel routes from the kernel (off in pure unit tests). */
  kernel?: boolean;
  /** The configuration file, read again by a reload. */
  configPath?: string;
}

/** IPv4-mapped IPv6 text (from a dual-stack listener) to plain IPv4. */
function unmap(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class Daemon implements PeerHost, ReloadHost {
  readonly rib: Rib;
  readonly peers = new Map<string, Peer>();
  private engine: PolicyEngine;
  private listeners: Listener[] = [];
  private mgmt: MgmtServer | undefined;
  /** The Prometheus endpoint (metrics.listen), if configured. */
  metrics: Metrics | undefined;
  /** The service manager's notify socket (Type=notify), when run by one; reload sends RELOADING/READY. */
  notifier: Notifier | undefined;
  private kernelWatcher: KernelWatcher | undefined;
  /** Best routes into kernel routes and XDP maps (absent: fib.mode off, or no kernel access). */
  fib: FibManager | undefined;
  /** Loaded by the first FIB opened. */
  private fibCode: FibCode | undefined;
  private kernelView: KernelView = { connected: [], routes: [] };
  private tickPending = false;
  /** Kernel changes that came during the warm-up's session round, applied after it. */
  private warmUpQueue: (() => void)[] | undefined;
  /** Bounds the wait for End-of-RIB before the FIB's adopted stale entries are swept. */
  private fibSweepTimer: NodeJS.Timeout | undefined;
  /** Started with the previous run's forwarding kept, until its stale entries are swept (PeerHost). */
  restarting = false;
  /** start() has set the static routes and the neighbours up (before that no resync can be judged). */
  private started = false;
  readonly startedAt = Date.now();
  readonly port: number;
  /** SIGHUP and `routectl reload`; its 'start'/'end' events bracket each reload. */
  readonly reloader: Reloader;

  constructor(
    private cfg: Config,
    private readonly baseLog: Logger,
    private readonly opts: DaemonOptions = {},
  ) {
    this.port = opts.port ?? cfg.listen.port;
    this.rib = new Rib(cfg);
    this.engine = Daemon.compile(cfg);
    this.reloader = new Reloader(this, opts.configPath);
  }

  /** The log; quiet while the warm-up's synthetic neighbours come and go (their sessions are no operator's). */
  get log(): Logger {
    return this.warmUpQueue ? QUIET : this.baseLog;
  }

  private static compile(cfg: Config): PolicyEngine {
    const engine = compilePolicies(cfg);
    // The config loader has compiled the same policies already; a failure here is a bug.
    if (Array.isArray(engine)) throw new Error(`policies do not compile: ${engine.map(formatPolicyError).join('; ')}`);
    return engine;
  }

  config(): Config {
    return this.cfg;
  }

  policy(): PolicyEngine {
    return this.engine;
  }

  /** Reload: the new configuration and its policies become the running ones. */
  commit(cfg: Config, engine: PolicyEngine): void {
    this.cfg = cfg;
    this.engine = engine;
  }

  /** Coalesce RIB changes: one drain per tick, fanned out to every Adj-RIB-Out. */
  schedule(): void {
    if (this.tickPending) return;
    this.tickPending = true;
    setImmediate(() => this.tick());
  }

  private tick(): void {
    this.tickPending = false;
    // The warm-up's routes go nowhere near the FIB.
    if (!this.fib || this.warmUpQueue) return this.tickBatch();
    // The FIB keeps the changes it is given past this tick: plain records, handed out whole.
    const changes = this.rib.drainChanges();
    if (changes.length > 0) this.fib.submit(changes);
    if (this.fibSweepTimer && this.started && this.resynchronised()) this.sweepFib('every neighbor sent End-of-RIB');
    if (changes.length === 0) return;
    const out = this.outPeers();
    for (const peer of out) peer.adjOut!.enqueue(changes);
    for (const peer of out) peer.pump();
  }

  /** Without a FIB: the changes as a batch (no object per change), at most DRAIN_MAX per tick. */
  private tickBatch(): void {
    const batch = this.rib.drainBatch(DRAIN_MAX);
    // A larger drain goes on in the next turn of the event loop (keepalives and routectl in between).
    if (this.rib.pendingChanges() > 0) this.schedule();
    if (batch.n === 0) return;
    const out = this.outPeers();
    for (const peer of out) peer.adjOut!.enqueueBatch(batch);
    for (const peer of out) peer.pump();
  }

  private outPeers(): Peer[] {
    return [...this.peers.values()].filter((p) => p.adjOut);
  }

  localAddresses(localAddress: string): SessionAddresses {
    const local = unmap(localAddress);
    const iface = this.kernelView.connected.find((c) => c.address === local)?.interface;
    return sessionAddresses(local, iface ? this.kernelView.connected.filter((c) => c.interface === iface) : []);
  }

  private async openFib(): Promise<void> {
    const fib = this.cfg.fib;
    if (this.opts.kernel === false || fib.mode === 'off') return;
    // No rtnetlink access (not root) is an operator problem to report, not a reason to stop routing.
    const onBatch = (seconds: number): void => this.metrics?.fibBatch(seconds);
    const code = (this.fibCode ??= await loadFibCode());
    this.fib = await code.FibManager.open({ mode: fib.mode, xdpInterfaces: fib.xdpInterfaces, pinDir: fib.pinDir, prefixes: this.rib.prefixTables, log: this.log, onBatch }).catch((e: Error) => {
      this.log.error(`fib: cannot program forwarding, best routes stay in the RIB only: ${e.message}`, { event: 'fib' });
      return undefined;
    });
  }

  /** Reload of the fib settings: what is kept is adopted as stale and swept once everything is written again. */
  async reopenFib(keepForwarding: boolean): Promise<void> {
    const old = this.fib;
    this.fib = undefined;
    await old?.close({ keepForwarding });
    await this.openFib();
    const fib = this.fib as FibManager | undefined;
    if (!fib) return;
    fib.setLocalAddresses(this.kernelView.connected.map((c) => c.address));
    fib.submit([...this.rib.bestRoutes('ipv4'), ...this.rib.bestRoutes('ipv6')]);
    const { repairFib } = this.fibCode!;
    fib.repairEvery(this.cfg.fib.reconcileInterval * 1000, () => repairFib(fib, this.rib));
    if (fib.staleEntries > 0) await fib.sweepStale();
  }

  async start(): Promise<void> {
    await this.openFib();
    if (this.fib && this.fib.staleEntries > 0) {
      this.restarting = true;
      this.armFibSweep();
    }
    let kernelView: KernelView | undefined;
    if (this.opts.kernel !== false) {
      this.kernelWatcher = new KernelWatcher(
        (view) => this.afterWarmUp(() => this.applyKernel(view)),
        RTPROT_ROUTED,
        (changes) => this.afterWarmUp(() => this.applyKernelRoutes(changes)),
      );
      kernelView = await this.kernelWatcher.watch();
    }
    // After the kernel's first read, before its view is applied and before the neighbours: the
    // warm-up's routes reach no consumer (the FIB takes changes only in the daemon's tick, and the
    // warm-up drains every change it makes before it returns). Not before that read: the first
    // netlink reply from the `netlink` package's native binding invalidated the code V8 had
    // compiled (--trace-deopt: about thirty RIB and codec functions marked for deoptimization at
    // once), and all of it was compiled again during the first feed.
    if (this.cfg.warmUp) {
      const first = this.cfg.neighbors[0];
      // Its peer's options and export filter as the first neighbour's session will make them
      // (max-prefix-length reports are not for it: a no-op).
      const ref = first && new NeighborRef(first);
      const like = ref && { peerOptions: () => peerOptionsFor(this, ref, () => undefined), exportFilter: (local: string) => exportFilterFor(this, ref, local) };
      const w = warmUp(this.rib, this.cfg, DRAIN_MAX, like);
      this.log.info(`warm-up: ${w.prefixes} prefixes × ${w.rounds} rounds through the route path in ${w.ms.toFixed(0)} ms`, { event: 'warm-up' });
      if (first) await this.warmUpPeers(first);
      // Its ~10k prefix ids gone, the walks over ids start from the few the daemon's own routes take.
      this.rib.trimPrefixIds();
    }
    if (kernelView) this.applyKernel(kernelView);
    this.flushWarmUpQueue();
    this.rib.setStatic(this.cfg.staticRoutes);
    for (const n of this.cfg.neighbors) this.addPeer(n);
    await this.openListeners();
    if (this.fib && this.fibCode) {
      const { repairFib } = this.fibCode;
      this.fib.repairEvery(this.cfg.fib.reconcileInterval * 1000, () => repairFib(this.fib!, this.rib));
    }
    this.mgmt = new MgmtServer(this.cfg.controlSocket, mgmtCommands(this), (err) =>
      this.log.error(`control socket handler failed: ${err.message}`, { event: 'mgmt' }),
    );
    await this.mgmt.listen();
    await this.setMetrics(this.cfg.metrics.listen);
    for (const p of this.peers.values()) if (!p.cfg.shutdown) p.session.start();
    this.started = true;
    this.schedule();
    this.log.info(`routed started`, {
      event: 'start',
      routerId: this.cfg.routerId,
      as: this.cfg.localAs,
      neighbors: this.peers.size,
      socket: this.cfg.controlSocket,
    });
  }

  /**
   * The warm-up's round through two synthetic neighbours on loopback (warmup-session.ts), with
   * their next hops' connected routes, and the log quiet. It awaits, so the kernel's
   * changes that arrive meanwhile wait until its first view is applied after it (the round drains
   * the RIB's change log itself: applied now, they would go with it and the FIB would never see
   * them; and the first view, applied later, would overwrite them).
   */
  private async warmUpPeers(first: NeighborConfig): Promise<void> {
    this.warmUpQueue = [];
    this.rib.setConnected(WARM_UP_CONNECTED);
    // Three times: the end of each of the first two rounds (their sessions stopped, their FSM
    // states of other shapes) and the next round's new connections (other handler closures)
    // threw away the code compiled for the session path (`--trace-deopt`: frames "wrong call
    // target", update, onUpdate and the session's negotiated getter by code dependencies, at the
    // second round's end too); compiled again in the third round, it holds for the neighbours'
    // sessions (with two, onUpdate was compiled again during the first 100k feed).
    const rounds: SessionWarmUpResult[] = [];
    let failure = '';
    for (let round = 0; round < WARM_UP_ROUNDS; round++) {
      const s = await warmUpPeers(this, first, DRAIN_MAX).catch((e: Error) => void (failure = `: ${e.message}`));
      if (!s) break;
      rounds.push(s);
    }
    this.rib.setConnected([]);
    while (this.rib.pendingChanges() > 0) this.rib.drainBatch(DRAIN_MAX);
    const sum = (f: (s: SessionWarmUpResult) => number): number => rounds.reduce((a, s) => a + f(s), 0);
    if (rounds.length === WARM_UP_ROUNDS) {
      this.baseLog.info(`warm-up: ${sum((s) => s.updates)} UPDATEs in and ${sum((s) => s.updatesOut)} out through two neighbours on loopback (${WARM_UP_ROUNDS} rounds) in ${sum((s) => s.ms).toFixed(0)} ms`, { event: 'warm-up' });
    } else this.baseLog.info(`warm-up: the rounds through neighbours on loopback did not complete${failure}; skipped`, { event: 'warm-up' });
  }

  /** The kernel's changes held during the warm-up, in the order they came (after its first view). */
  private flushWarmUpQueue(): void {
    const queued = this.warmUpQueue ?? [];
    this.warmUpQueue = undefined;
    for (const apply of queued) apply();
  }

  /** Run `apply` now, or after the warm-up's session round when one is under way. */
  private afterWarmUp(apply: () => void): void {
    if (this.warmUpQueue) this.warmUpQueue.push(apply);
    else apply();
  }

  /**
   * Restart without loss: the FIB adopted the previous run's entries; they are swept once every
   * enabled neighbour is Established and has sent End-of-RIB for each negotiated family, or when
   * the timer runs out (the shortest graceful-restart restart-time configured, at most 120 s).
   * RFC 4724 §4.1: the Restarting Speaker "MUST defer route selection for an address family until
   * it either (a) receives the End-of-RIB marker from all its peers [...] or (b) the
   * Selection_Deferral_Timer [...] expires."
   */
  private armFibSweep(): void {
    const times = this.cfg.neighbors.filter((n) => n.gracefulRestart.enabled).map((n) => n.gracefulRestart.restartTime);
    const seconds = Math.min(120, ...times);
    this.fibSweepTimer = setTimeout(() => this.sweepFib(`no full resync after ${seconds} s`), seconds * 1000);
  }

  /** Serve metrics on `listen` (undefined: no endpoint); a reload that changes it calls this again. */
  async setMetrics(listen: string | undefined): Promise<void> {
    await this.metrics?.close();
    this.metrics = undefined;
    if (listen === undefined) return;
    const { Metrics } = await import('./metrics.js');
    const m = new Metrics({
      peers: () => [...this.peers.values()].map((p) => ({ address: p.address, state: p.session.state, ...p.prefixCounts(), updatesIn: p.updatesIn, updatesOut: p.updatesOut })),
      ribPrefixes: (f) => this.rib.prefixCount(f),
      fib: () => this.fib?.stats(),
      xdpCounters: () => (this.fib?.xdp && this.fibCode ? this.fibCode.counterViews(this.fib.xdp) : []),
    });
    await m.listen(listen);
    this.metrics = m;
  }

  private resynchronised(): boolean {
    for (const p of this.peers.values()) {
      if (p.cfg.shutdown || p.session.disabled) continue;
      const n = p.session.negotiated;
      if (p.session.state !== 'Established' || !n || !p.info) return false;
      if (n.families.some((f) => !p.endOfRib.has(f))) return false;
    }
    return true;
  }

  private sweepFib(why: string): void {
    clearTimeout(this.fibSweepTimer);
    this.fibSweepTimer = undefined;
    // Sessions built from now on (a reload's new neighbours) are not part of the restart, and the
    // announcements deferred for it go out now (RFC 4724 §4.1).
    if (this.restarting) {
      this.restarting = false;
      for (const p of this.peers.values()) p.resumeExport();
      this.schedule();
    }
    const fib = this.fib;
    if (!fib) return;
    void fib.sweepStale().then((n) => this.log.info(`fib: ${why}, ${n} stale entries swept`, { event: 'fib-sweep' }));
  }

  /** Other protocols' routes that changed (route events): next-hop resolution follows them. */
  private applyKernelRoutes(changes: readonly KernelRouteChange[]): void {
    for (const c of changes) {
      const r = c.route;
      if (!r) this.rib.removeKernel(c.prefix);
      else this.rib.addKernel({ prefix: r.prefix, ...(r.nextHop && { gateway: r.nextHop }), ...(r.interface && { interface: r.interface }), metric: r.metric });
    }
    this.schedule();
  }

  private applyKernel(view: KernelView): void {
    this.kernelView = view;
    this.fib?.setLocalAddresses(view.connected.map((c) => c.address));
    this.rib.setConnected(view.connected.map((c) => ({ prefix: c.prefix, interface: c.interface })));
    this.rib.setKernel(
      view.routes.map((r) => ({
        prefix: r.prefix,
        ...(r.nextHop && { gateway: r.nextHop }),
        ...(r.interface && { interface: r.interface }),
        metric: r.metric,
      })),
    );
    this.schedule();
  }

  addPeer(n: NeighborConfig): Peer {
    const peer = new Peer(n, this);
    this.peers.set(n.address, peer);
    for (const l of this.listeners) this.setListenerKey(l, n);
    return peer;
  }

  /** Reload: close with this Cease, drop the TCP-MD5 key and every route the neighbour left (stale ones too). */
  removePeer(address: string, notice: { subcode: number; message: string }): void {
    const peer = this.peers.get(address);
    if (!peer) return;
    peer.close(notice.message, notice.subcode);
    this.peers.delete(address);
    if (peer.cfg.password) for (const l of this.listeners) this.setListenerKey(l, { ...peer.cfg, password: '' });
    this.rib.sweepStale(address);
    this.schedule();
  }

  /** '' removes the key (a neighbour removed, or its password changed). */
  private setListenerKey(l: Listener, n: NeighborConfig): void {
    if (n.password === undefined) return;
    if (l.family === 4 && net.isIPv6(n.address)) return;
    l.setPeerKey(n.address, n.password);
  }

  /**
   * Listen on the configured addresses. "::" on Linux also takes IPv4 (mapped) connections, so
   * with both "0.0.0.0" and "::" configured one dual-stack socket serves both.
   */
  private async openListeners(): Promise<void> {
    const addrs = this.cfg.listen.addresses;
    const list = addrs.includes('::') ? addrs.filter((a) => a !== '0.0.0.0') : addrs;
    for (const address of list) {
      const l = await Listener.open(address, this.port);
      l.server.on('connection', (sock) => this.accept(sock));
      for (const n of this.cfg.neighbors) this.setListenerKey(l, n);
      this.listeners.push(l);
    }
  }

  /** Inbound TCP: hand it to the neighbour's session; refuse unconfigured addresses at once. */
  private accept(sock: net.Socket): void {
    const remote = unmap(sock.remoteAddress ?? '');
    const peer = this.peers.get(remote);
    if (!peer || peer.cfg.shutdown) {
      this.log.debug('connection refused: not a configured neighbor', { peer: remote, event: 'refused' });
      sock.destroy();
      return;
    }
    peer.session.acceptInbound(sock);
  }

  async stop(message = 'routed shutting down'): Promise<void> {
    clearTimeout(this.fibSweepTimer);
    this.fibSweepTimer = undefined;
    // Keeping forwarding: the withdrawals the closing sessions cause must not reach the FIB.
    const fib = this.fib;
    const keep = this.cfg.fib.keepForwardingOnStop;
    if (keep) this.fib = undefined;
    // Forwarding kept and graceful restart negotiated: the peer is to keep our routes as a helper,
    // which a Cease would stop (RFC 4724 §4.2, RFC 8538 §3 without the N bit): no NOTIFICATION.
    for (const p of this.peers.values()) {
      if (keep && p.cfg.gracefulRestart.enabled && p.session.negotiated?.gracefulRestart) p.leaveForRestart();
      else p.close(message);
    }
    // Give the NOTIFICATIONs a moment to leave before the sockets close with the process.
    await new Promise((r) => setTimeout(r, 100));
    for (const l of this.listeners) await l.close();
    this.listeners = [];
    await this.mgmt?.close();
    await this.metrics?.close();
    await this.kernelWatcher?.close();
    await fib?.close({ keepForwarding: this.cfg.fib.keepForwardingOnStop });
    this.fib = undefined;
    this.log.info('routed stopped', { event: 'stop' });
  }

  hostname(): string {
    return os.hostname();
  }
}
