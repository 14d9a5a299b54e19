// The FIB manager: Loc-RIB best-path changes into kernel routes (rtnetlink, proto 186) and the
// XDP forwarder's maps. Changes are coalesced per prefix and written one batch at a time. What is
// installed and pending is kept per prefix in flat arrays (installed.ts), each prefix's forwarding
// state as a shared, interned shape (desired.ts): no object or string per route.
//
// Ordering invariant: every XDP trie entry always has a kernel route behind it, so whatever the
// XDP program passes up is routed by the kernel the same way. Additions and changes go to the
// kernel first and to the maps after it; removals leave the maps first and the kernel after.
// Prefixes whose best route is the kernel's own (connected, kernel) get a "pass" entry in the
// trie, so a shorter BGP prefix can never catch their traffic in XDP.

import { RoutedXdp } from './bpf/routed.js';
import type { RoutedMapName } from './bpf/routed.js';
import { withNetns } from './bpf/netns.js';
import { KernelFib } from './kernel/backend.js';
import { NlSocket } from './kernel/socket.js';
import { NlEventSocket } from './kernel/events.js';
import { RTM_NEWLINK } from './kernel/nlmsg.js';
import type { RxMsg } from './kernel/nlmsg.js';
import { routeOif } from './kernel/lookup.js';
import { RTM_DELLINK, RTNLGRP_LINK, decodeLink, dumpLinkInfo, linkChanged } from './links.js';
import type { LinkInfo } from './links.js';
import { NeighTable } from './neigh.js';
import { XdpNextHops } from './xdp-nexthops.js';
import { adoptInto, readPrevious } from './adopt.js';
import { FibTables } from './tables.js';
import { NO_SHAPE } from './desired.js';
import type { Desired } from './desired.js';
import { PENDING, STALE } from './installed.js';
import type { FamilyState } from './installed.js';
import { OP_DELETE, OP_REPLACE, RouteBatch } from './kernel/batch.js';
import { Turns } from './turns.js';
import type { XdpHop } from './xdp-nexthops.js';
import type { FibFamily, FibRoute } from './types.js';
import type { BestChange } from '../rib/types.js';
import type { PrefixTable } from '../rib/ptable.js';

export { desiredOf } from './desired.js';

export type FibMode = 'xdp+kernel' | 'kernel' | 'xdp' | 'off';

export interface FibLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface FibManagerOptions {
  mode: Exclude<FibMode, 'off'>;
  /** Interfaces to attach the XDP forwarder to (XDP modes); none: XDP stays off. */
  xdpInterfaces: string[];
  /** bpffs directory to pin the maps in; absent: unpinned (they go with the process). */
  pinDir?: string;
  /** Network namespace (/run/netns/NAME) to program instead of the caller's (tests). */
  netns?: string;
  /** XDP object file and map sizes (tests load small maps). */
  objectPath?: string;
  maxEntries?: Partial<Record<RoutedMapName, number>>;
  log: FibLog;
  /**
   * The RIB's prefix tables (Rib.prefixTables): a change submitted with its BestChange.id is then
   * keyed by that id, without parsing its prefix (installed.ts). Absent: tables of its own only.
   */
  prefixes?: Readonly<Record<FibFamily, PrefixTable>>;
  /** Changes a submit sorts in at once (default 65536); a larger submit waits for the write loop (tests lower it). */
  submitAtOnce?: number;
  /** A batch was written: seconds since its oldest change was submitted (metrics). */
  onBatch?: (seconds: number, prefixes: number) => void;
}

export interface FibStats {
  mode: Exclude<FibMode, 'off'>;
  kernel: boolean;
  xdp: boolean;
  xdpInterfaces: string[];
  prefixes: number;
  kernelRoutes: number;
  xdpEntries: number;
  nextHops: number;
  errors: number;
  /** Differences the periodic reconciliation (src/fib/reconcile.ts) found and rewrote. */
  repaired: number;
}

const hostPrefix = (addr: string): string => (addr.includes(':') ? `${addr}/128` : `${addr}/32`);

export class FibManager {
  /** What is installed and pending, per prefix. */
  private readonly t: FibTables;
  /** The kernel operations of a batch (reused). */
  private readonly ops = new RouteBatch(1 << 16);
  private readonly local = new Map<string, XdpHop>();
  private running: Promise<void> | undefined;
  private errors = 0;
  private unsubscribe: (() => void) | undefined;

  private constructor(
    private readonly opts: FibManagerOptions,
    private readonly sock: NlSocket,
    private links: Map<number, LinkInfo>,
    readonly kernel: KernelFib | undefined,
    readonly xdp: RoutedXdp | undefined,
    readonly neigh: NeighTable | undefined,
    private readonly attached: string[],
  ) {
    this.t = new FibTables(opts.prefixes, opts.submitAtOnce, (c) => {
      this.errors++;
      opts.log.warn(`fib: not an ${c.family} prefix: ${c.prefix}`, { event: 'fib' });
    });
  }

  /** Open the backends the mode asks for. XDP failing (no CAP_BPF, no driver support) leaves kernel-only, with a warning. */
  static async open(opts: FibManagerOptions): Promise<FibManager> {
    const sock = new NlSocket({ ...(opts.netns !== undefined ? { netns: opts.netns } : {}) });
    const links = await dumpLinkInfo(sock);
    const wantXdp = opts.mode !== 'kernel' && opts.xdpInterfaces.length > 0;
    if (opts.mode !== 'kernel' && !wantXdp) opts.log.info('fib: no XDP interfaces configured, kernel routes only', { event: 'fib' });
    const xdpSide = wantXdp ? await FibManager.openXdp(opts, links) : undefined;
    // The kernel always gets our routes unless XDP alone was asked for and works.
    const kernel = opts.mode === 'xdp' && xdpSide ? undefined : await KernelFib.open({ ...(opts.netns !== undefined ? { netns: opts.netns } : {}) });
    const m = new FibManager(opts, sock, links, kernel, xdpSide?.xdp, xdpSide?.neigh, xdpSide?.attached ?? []);
    if (m.neigh) m.unsubscribe = m.neigh.onChange((cur, prev) => {
      const n = cur ?? prev!;
      const used = m.hops?.neighbourChanged(n.ifindex, n.address) ?? false;
      // The kernel flushed the entry of a next hop in use (its link changed address or went
      // down and up): ask for it again rather than wait for traffic through the kernel to.
      if (used && !cur) m.hops?.wantAgain(n.ifindex, n.address);
    });
    if (m.xdp) m.watchLinks();
    await m.adopt();
    return m;
  }

  /**
   * Follow link changes (RTM_NEWLINK): a new MAC address is the source MAC of every frame XDP
   * sends out of that link, and a new MTU the size above which it hands packets to the kernel.
   */
  private watchLinks(): void {
    // A socket of its own that an overflow cannot abort (kernel/events.ts).
    const events = new NlEventSocket({ groups: [RTNLGRP_LINK], recvBufferSize: 1 << 20, ...(this.opts.netns !== undefined ? { netns: this.opts.netns } : {}) });
    this.linkEvents = events;
    events.onEvent = (msg) => this.linkEvent(msg);
    // Lost events: read every link again and rewrite the next hops of those that changed.
    events.onError = () => void dumpLinkInfo(this.sock).then((links) => {
      for (const l of links.values()) this.setLink(l);
    }, () => undefined);
  }

  private linkEvents: NlEventSocket | undefined;

  /** Runs in the socket's callback: never throws. */
  private linkEvent(msg: RxMsg): void {
    try {
      if (msg.type === RTM_NEWLINK) this.setLink(decodeLink(msg));
      else if (msg.type === RTM_DELLINK) this.links.delete(msg.buf.readInt32LE(msg.off + 4));
    } catch (e) {
      this.opts.log.warn(`fib: link event: ${(e as Error).message}`, { event: 'fib' });
    }
  }

  private setLink(l: LinkInfo): void {
    const before = this.links.get(l.ifindex);
    this.links.set(l.ifindex, l);
    if (before && linkChanged(before, l)) this.hopsTable?.linkChanged(l.ifindex);
  }

  private static async openXdp(opts: FibManagerOptions, links: Map<number, LinkInfo>): Promise<{ xdp: RoutedXdp; neigh: NeighTable; attached: string[] } | undefined> {
    let xdp: RoutedXdp | undefined;
    const inNs = <T>(fn: () => T): T => (opts.netns !== undefined ? withNetns(opts.netns, fn) : fn());
    try {
      // Names first: a typo must not leave a loaded (and pinned) object behind.
      const targets = opts.xdpInterfaces.map((name) => {
        const link = [...links.values()].find((l) => l.name === name);
        if (!link) throw new Error(`XDP interface ${name} does not exist`);
        return link;
      });
      xdp = RoutedXdp.load({ ...(opts.objectPath ? { objectPath: opts.objectPath } : {}), ...(opts.pinDir ? { pinDir: opts.pinDir } : {}), ...(opts.maxEntries ? { maxEntries: opts.maxEntries } : {}) });
      const attached: string[] = [];
      // Every interface into tx_ports before the program replaces a previous run's on any of
      // them: a packet arriving on the first one attached may leave through the last one.
      for (const link of targets) inNs(() => xdp!.txPorts.add(link.ifindex));
      for (const link of targets) {
        const mode = inNs(() => xdp!.attach(link.ifindex));
        attached.push(link.name);
        opts.log.info(`fib: XDP forwarder attached to ${link.name} (${mode})`, { event: 'fib' });
      }
      const neigh = await NeighTable.open({ ...(opts.netns !== undefined ? { netns: opts.netns } : {}) });
      return { xdp, neigh, attached };
    } catch (e) {
      try {
        if (xdp) inNs(() => xdp!.close());
      } catch {
        // Already failing: the warning below says why.
      }
      opts.log.warn(`fib: XDP unavailable, forwarding with kernel routes only: ${(e as Error).message}`, { event: 'fib' });
      return undefined;
    }
  }

  /**
   * Adopt the previous run's kernel routes and trie entries as stale (adopt.ts says why the trie
   * entries move onto the "pass" slot). The kernel routes stay exactly as they are.
   */
  private async adopt(): Promise<void> {
    const prev = await readPrevious(this.kernel, this.xdp);
    adoptInto(this.t, prev, this.xdp, this.hops, this.kernel !== undefined);
    if (this.t.stale > 0) this.opts.log.info(`fib: adopted ${prev.kernel.length} kernel routes and ${prev.trie.length} XDP entries from the previous run, stale until re-installed`, { event: 'fib' });
  }

  /** Adopted entries not written again yet. */
  get staleEntries(): number {
    return this.t.stale;
  }

  /**
   * The sessions have resynchronised: remove what was adopted and not re-installed since, through
   * the normal write path (maps first, then the kernel). Resolves with how many prefixes went.
   */
  async sweepStale(): Promise<number> {
    await this.idle();
    let gone = 0;
    if (this.t.queue.size === 0) this.pendingSince = performance.now();
    for (const f of this.t.states) {
      for (const id of [...f.ids()]) {
        const flags = f.flags[id]!;
        if (!(flags & STALE)) continue;
        f.flags[id] = flags & ~STALE;
        this.t.stale--;
        // A prefix with a change on its way is written by it anyway.
        if (flags & PENDING) continue;
        this.t.enqueue(f, id, NO_SHAPE);
        gone++;
      }
    }
    if (gone > 0) this.kick();
    await this.idle();
    return gone;
  }

  private hopsTable: XdpNextHops | undefined;
  private get hops(): XdpNextHops | undefined {
    if (!this.xdp || !this.neigh) return undefined;
    const neigh = this.neigh;
    this.hopsTable ??= new XdpNextHops({
      nextHops: this.xdp.nextHops,
      ecmp: this.xdp.ecmp,
      link: (i) => this.links.get(i),
      neighbour: (i, a) => neigh.get(i, a),
      wanted: (i, a) => void neigh.resolve(i, a, { managed: true }).catch((e: Error) => this.opts.log.warn(`fib: resolving ${a}: ${e.message}`, { event: 'fib' })),
      unwanted: () => undefined,
    });
    return this.hopsTable;
  }

  /** When the oldest pending change was submitted (performance.now(), ms). */
  private pendingSince = 0;

  /** Queue best-path changes; they are written in the next batches (a later change of a prefix wins). */
  submit(changes: readonly BestChange[]): void {
    if (changes.length === 0) return;
    if (this.t.empty) this.pendingSince = performance.now();
    this.t.submit(changes);
    this.kick();
  }

  /** Resolves once everything submitted so far is written. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(): void {
    if (this.running) return;
    this.running = (async () => {
      const turns = new Turns();
      for (;;) {
        await this.t.sortInbox(turns);
        if (this.t.queue.size === 0) break;
        const since = this.pendingSince;
        const batch = this.t.takeBatch();
        if (this.t.queue.size > 0 || this.t.inboxSize > 0) this.pendingSince = performance.now();
        await this.write(batch).catch((e: Error) => {
          this.errors++;
          this.opts.log.warn(`fib: batch of ${batch.length} failed: ${e.message}`, { event: 'fib' });
        });
        this.opts.onBatch?.((performance.now() - since) / 1000, batch.length);
        // A batch with nothing for the kernel to do never waited: turn the loop anyway.
        await turns.maybe();
      }
    })().finally(() => (this.running = undefined));
  }

  /** The router's own addresses: LOCAL entries in the tries (the kernel answers them). */
  setLocalAddresses(addresses: readonly string[]): void {
    const hops = this.hops;
    if (!hops || !this.xdp) return;
    const want = new Set(addresses.map(hostPrefix));
    for (const [p, hop] of this.local) {
      if (want.has(p)) continue;
      this.trie(p).delete(p);
      this.local.delete(p);
      hops.release(hop);
      // A RIB prefix at the same place gets its own entry back.
      const own = this.hopAt(p);
      if (own) this.trie(p).set(p, own.id);
    }
    for (const p of want) {
      if (this.local.has(p)) continue;
      const hop = hops.special('local');
      this.local.set(p, hop);
      this.trie(p).set(p, hop.id);
    }
  }

  private trie(prefix: string): RoutedXdp['v4'] {
    return prefix.includes(':') ? this.xdp!.v6 : this.xdp!.v4;
  }

  /** Write a batch of pending prefixes (queue entries). */
  private async write(batch: readonly number[]): Promise<void> {
    // The pending shapes move here (with their references) so that a change submitted while
    // this batch is written queues the prefix again rather than altering the batch.
    const want = new Uint32Array(batch.length);
    batch.forEach((v, k) => {
      const f = this.t.famOf(v);
      const id = v >>> 2;
      const flags = f.flags[id]!;
      if (flags & STALE) this.t.stale--;
      f.flags[id] = flags & ~(PENDING | STALE);
      want[k] = f.want[id]!;
      f.want[id] = NO_SHAPE;
    });
    try {
      await this.writeBatch(batch, want);
    } finally {
      batch.forEach((v, k) => {
        this.t.shapes.unref(want[k]!);
        this.t.famOf(v).releaseIfEmpty(v >>> 2);
      });
    }
  }

  private async writeBatch(batch: readonly number[], want: Uint32Array): Promise<void> {
    const hops = this.hops;
    // 1. Maps first for what loses its kernel route or its entry.
    if (hops) {
      batch.forEach((v, k) => {
        const f = this.t.famOf(v);
        const id = v >>> 2;
        const w = this.t.shapes.get(want[k]!);
        if (f.hop(id) && (!w?.xdp || (f.kernel[id] !== NO_SHAPE && !w.kernel))) this.setEntry(f, id, w?.xdp && !w.kernel ? hops.special('pass') : undefined);
      });
    }
    // 2. The kernel.
    const failed = this.kernel ? await this.writeKernel(batch, want) : undefined;
    if (!hops) return;
    // 3. Maps after the kernel for what was added or changed (not where the kernel refused).
    const entries: [number, XdpHop][] = [];
    for (let k = 0; k < batch.length; k++) {
      const x = this.t.shapes.get(want[k]!)?.xdp;
      if (!x || failed?.[k]) continue;
      const hop = await this.acquire(x);
      if (hop) entries.push([k, hop]);
    }
    for (const [k, hop] of entries) this.setEntry(this.t.famOf(batch[k]!), batch[k]! >>> 2, hop);
  }

  /** Point (or with no hop, remove) a prefix's trie entry, releasing the next hop it used. */
  private setEntry(f: FamilyState, id: number, hop: XdpHop | undefined): void {
    const old = f.hop(id);
    if (old === hop) {
      if (hop) this.hops!.release(hop);
      return;
    }
    const prefix = f.text(id);
    if (!this.local.has(prefix)) {
      if (hop) this.trie(prefix).set(prefix, hop.id);
      else this.trie(prefix).delete(prefix);
    }
    this.t.setHop(f, id, hop);
    if (old) this.hops!.release(old);
  }

  /**
   * Kernel replaces and deletes for the batch, encoded from the prefix ids and shapes; returns
   * which items' replace failed (by position in the batch), or undefined when none did.
   */
  private async writeKernel(batch: readonly number[], want: Uint32Array): Promise<Uint8Array | undefined> {
    const ops = this.ops;
    ops.clear();
    const item: number[] = [];
    batch.forEach((v, k) => {
      const f = this.t.famOf(v);
      const id = v >>> 2;
      const was = f.kernel[id]!;
      const w = this.t.shapes.get(want[k]!)?.kernel;
      const route = w ?? (was !== NO_SHAPE ? this.t.shapes.get(was)!.kernel : undefined);
      if (!route || (w && was === want[k])) return;
      const op = w ? OP_REPLACE : OP_DELETE;
      if (f.family === 'ipv6') ops.push(op, route, f.pt.length(id), f.pt.word(id, 0), f.pt.word(id, 1), f.pt.word(id, 2), f.pt.word(id, 3));
      else ops.push(op, route, f.pt.length(id), f.pt.word(id, 0));
      item.push(k);
    });
    if (ops.length === 0) return undefined;
    const res = await this.kernel!.applyBatch(ops);
    for (const e of res.errors.slice(0, 10)) this.opts.log.warn(`fib: kernel ${e.message}`, { event: 'fib' });
    this.errors += res.errors.length;
    const bad = new Uint8Array(ops.length);
    for (const e of res.errors) bad[e.index] = 1;
    const failed = new Uint8Array(batch.length);
    item.forEach((k, j) => {
      const replace = ops.op[j] === OP_REPLACE;
      if (bad[j] && replace) {
        failed[k] = 1;
        return;
      }
      const v = batch[k]!;
      this.t.setKernel(this.t.famOf(v), v >>> 2, replace ? want[k]! : NO_SHAPE);
    });
    return failed;
  }

  /** A reference on the XDP next hop for a desired state (undefined: no usable interface). */
  private async acquire(x: NonNullable<Desired['xdp']>): Promise<XdpHop | undefined> {
    const hops = this.hops!;
    if (x.kind !== 'forward') return hops.special(x.kind);
    const members: XdpHop[] = [];
    for (const h of x.hops) {
      let ifindex = h.ifindex ?? this.ifindexOf(h.interface);
      if (ifindex === undefined && h.interface !== undefined) {
        this.links = await dumpLinkInfo(this.sock);
        ifindex = this.ifindexOf(h.interface);
      }
      ifindex ??= await routeOif(this.sock, h.gateway).catch(() => undefined);
      // The kernel knows no way to the gateway yet: let it route (and fail) the packets itself.
      if (ifindex === undefined) {
        for (const m of members) hops.release(m);
        return hops.special('pass');
      }
      // An interface that appeared after the last dump: its MAC and MTU are needed to forward.
      if (!this.links.has(ifindex)) this.links = await dumpLinkInfo(this.sock);
      members.push(hops.forward(ifindex, h.gateway));
    }
    return members.length === 1 ? members[0]! : hops.ecmp(members);
  }

  private ifindexOf(name: string | undefined): number | undefined {
    if (name === undefined) return undefined;
    for (const l of this.links.values()) if (l.name === name) return l.ifindex;
    return undefined;
  }

  stats(): FibStats {
    const kernelRoutes = this.t.counted.kernel;
    const xdpEntries = this.t.counted.hop;
    return {
      mode: this.opts.mode,
      kernel: this.kernel !== undefined,
      xdp: this.xdp !== undefined,
      xdpInterfaces: this.attached,
      prefixes: this.t.counted.prefixes,
      kernelRoutes,
      xdpEntries: xdpEntries + this.local.size,
      nextHops: this.hopsTable?.size ?? 0,
      errors: this.errors,
      repaired: this.repairs,
    };
  }

  /** The XDP next hops in use (routectl show fib, tests). */
  nextHops(): XdpHop[] {
    return this.hopsTable?.all() ?? [];
  }

  /**
   * Stop. keepForwarding: leave the kernel routes, the pinned maps and the attached program in
   * place (a restart adopts them); otherwise withdraw everything, maps before the kernel.
   */
  async close(opts: { keepForwarding?: boolean } = {}): Promise<void> {
    clearInterval(this.repairTimer);
    this.t.clear();
    await this.idle();
    this.unsubscribe?.();
    const inNs = <T>(fn: () => T): T => (this.opts.netns !== undefined ? withNetns(this.opts.netns, fn) : fn());
    if (this.xdp) {
      // Pinned maps outlive the process: empty the tries (before the kernel routes go).
      if (!opts.keepForwarding) this.clearTries();
      if (opts.keepForwarding) this.xdp.object.close();
      else inNs(() => this.xdp!.close());
    }
    if (this.kernel && !opts.keepForwarding) await this.kernel.flush();
    await this.kernel?.close();
    // The RIB's prefix table outlives the manager (a reload opens another): its ids go back.
    if (this.t.rib) for (const f of [this.t.rib.ipv4, this.t.rib.ipv6]) f.releaseAll();
    this.neigh?.close();
    this.linkEvents?.close();
    this.sock.close();
  }

  // Reconciliation hooks (src/fib/reconcile.ts reads the planes and repairs through these).
  private repairs = 0;
  private repairTimer: NodeJS.Timeout | undefined;

  /** The router's own addresses, as their LOCAL trie prefixes. */
  localPrefixes(): string[] {
    return [...this.local.keys()];
  }

  /** The interface name of an ifindex, as of the last link dump. */
  linkName(ifindex: number): string | undefined {
    return this.links.get(ifindex)?.name;
  }

  /** Interfaces the XDP program is attached to, with the mode the kernel accepted. */
  xdpAttachments(): { interface: string; ifindex: number; mode: string }[] {
    return [...(this.xdp?.modes() ?? [])].map(([ifindex, mode]) => ({ interface: this.linkName(ifindex) ?? String(ifindex), ifindex, mode }));
  }

  /** The next hop of the manager's trie entry at exactly this prefix. */
  private hopAt(prefix: string): XdpHop | undefined {
    const at = this.t.held(prefix.includes(':') ? 'ipv6' : 'ipv4', prefix);
    return at?.f.hop(at.id);
  }

  /** Whether the manager put a trie entry at exactly this prefix. */
  hasEntry(prefix: string): boolean {
    return this.local.has(prefix) || this.hopAt(prefix) !== undefined;
  }

  /** The kernel route the manager recorded for a prefix (installed, or adopted from a previous run). */
  installedKernel(family: string, prefix: string): FibRoute | undefined {
    const at = this.t.held(family === 'ipv6' ? 'ipv6' : 'ipv4', prefix);
    const spec = at && this.t.shapes.get(at.f.kernel[at.id]!)?.kernel;
    return spec && { ...spec, prefix: at.f.text(at.id) };
  }

  /** Forget the kernel route recorded for a prefix, so its next submit writes it again. */
  forgetKernel(family: string, prefix: string): void {
    const at = this.t.held(family === 'ipv6' ? 'ipv6' : 'ipv4', prefix);
    if (!at) return;
    this.t.setKernel(at.f, at.id, NO_SHAPE);
    at.f.releaseIfEmpty(at.id);
  }

  /** Write a prefix's trie entry again from what the manager holds; false: it holds none. */
  rewriteEntry(prefix: string): boolean {
    const hop = this.local.get(prefix) ?? this.hopAt(prefix);
    if (!hop || !this.xdp) return false;
    this.trie(prefix).set(prefix, hop.id);
    return true;
  }

  /** Run a repair pass every intervalMs (not overlapping itself; 0: never); each pass returns how many it fixed. */
  repairEvery(intervalMs: number, pass: () => Promise<number>): void {
    clearInterval(this.repairTimer);
    this.repairTimer = undefined;
    if (intervalMs <= 0) return;
    let busy = false;
    this.repairTimer = setInterval(() => {
      if (busy) return;
      busy = true;
      void this.repairNow(pass).finally(() => (busy = false));
    }, intervalMs);
    this.repairTimer.unref();
  }

  /** One repair pass now (routectl check fib --repair, the timer); resolves with how many it fixed. */
  async repairNow(pass: () => Promise<number>): Promise<number> {
    const n = await pass().catch((e: Error) => {
      this.opts.log.warn(`fib: repair failed: ${e.message}`, { event: 'fib' });
      return 0;
    });
    this.repairs += n;
    if (n > 0) this.opts.log.warn(`fib: repaired ${n} forwarding entries that differed from the RIB`, { event: 'fib' });
    return n;
  }

  private clearTries(): void {
    const out: Record<FibFamily, string[]> = { ipv4: [], ipv6: [] };
    for (const f of this.t.states) for (const id of f.ids()) if (f.hop(id)) out[f.family].push(f.text(id));
    for (const p of this.local.keys()) out[p.includes(':') ? 'ipv6' : 'ipv4'].push(p);
    this.xdp!.v4.deleteMany(out.ipv4);
    this.xdp!.v6.deleteMany(out.ipv6);
  }
}
