// The FIB manager: Loc-RIB best-path changes into kernel routes (rtnetlink, proto 186) and the
// XDP forwarder's maps. Changes are coalesced per prefix and written one batch at a time.
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
import { StaleSet, readPrevious } from './adopt.js';
import { Turns } from './turns.js';
import type { XdpHop } from './xdp-nexthops.js';
import type { FibFamily, FibNextHop, FibOp, FibRoute } from './types.js';
import type { BestChange, Route } from '../rib/types.js';

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
  /** A batch was written: seconds since its oldest change was submitted (metrics). */
  onBatch?: (seconds: number, prefixes: number) => void;
}

/** What one prefix has in the forwarding plane. */
interface Installed {
  /** Our kernel route (absent: none, e.g. a connected prefix). */
  kernel?: FibRoute;
  /** The XDP next hop the trie entry points at (absent: no trie entry). */
  hop?: XdpHop;
}

/** Where a prefix should be: the kernel route to install, and what XDP should do. */
interface Desired {
  kernel?: FibRoute;
  xdp?: { kind: 'pass' | 'blackhole' | 'unreachable' } | { kind: 'forward'; hops: { gateway: string; ifindex?: number; interface?: string }[] };
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

const key = (c: { family: string; prefix: string }): string => `${c.family}|${c.prefix}`;
const hostPrefix = (addr: string): string => (addr.includes(':') ? `${addr}/128` : `${addr}/32`);

/** The desired forwarding state of one prefix from its best set. */
export function desiredOf(change: BestChange): Desired {
  const best = change.best[0];
  if (!best) return {};
  // The kernel routes these itself (its own connected and foreign routes): nothing to install.
  if (best.source.kind === 'connected' || best.source.kind === 'kernel') return { xdp: { kind: 'pass' } };
  const base = { family: change.family, prefix: change.prefix };
  if (best.type !== 'unicast') return { kernel: { ...base, kind: best.type, nextHops: [] }, xdp: { kind: best.type } };
  const hops = new Map<string, FibNextHop>();
  for (const r of change.best) {
    const h = hopOf(r);
    if (h) hops.set(`${h.gateway ?? ''}|${h.interface ?? ''}`, h);
  }
  if (hops.size === 0) return { xdp: { kind: 'pass' } };
  const nextHops = [...hops.values()];
  const kernel: FibRoute = { ...base, kind: 'unicast', nextHops };
  // A route onto a link without a gateway has a neighbour per destination: the kernel handles it.
  if (nextHops.some((h) => h.gateway === undefined)) return { kernel, xdp: { kind: 'pass' } };
  return { kernel, xdp: { kind: 'forward', hops: nextHops.map((h) => ({ gateway: h.gateway!, ...(h.interface !== undefined ? { interface: h.interface } : {}) })) } };
}

/** The directly reachable gateway (resolved through the IGP) and interface of one route. */
function hopOf(r: Route): FibNextHop | undefined {
  const gateway = r.gateway ?? (r.attrs.nextHop || undefined);
  if (gateway === undefined && r.interface === undefined) return undefined;
  return { ...(gateway !== undefined ? { gateway } : {}), ...(r.interface !== undefined ? { interface: r.interface } : {}) };
}

export class FibManager {
  private readonly installed = new Map<string, Installed>();
  private readonly pending = new Map<string, BestChange>();
  private readonly local = new Map<string, XdpHop>();
  private running: Promise<void> | undefined;
  private errors = 0;
  private unsubscribe: (() => void) | undefined;
  /** Entries adopted from a previous run and not written again yet (restart without loss). */
  private readonly stale = new StaleSet();

  private constructor(
    private readonly opts: FibManagerOptions,
    private readonly sock: NlSocket,
    private links: Map<number, LinkInfo>,
    readonly kernel: KernelFib | undefined,
    readonly xdp: RoutedXdp | undefined,
    readonly neigh: NeighTable | undefined,
    private readonly attached: string[],
  ) {}

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
    for (const r of prev.kernel) {
      const inst: Installed = {};
      this.setKernel(inst, r);
      this.installed.set(key(r), inst);
      this.stale.add(key(r));
    }
    const hops = this.hops;
    if (hops && prev.trie.length > 0 && !this.kernel) {
      // xdp only: no kernel route behind the entries, so they keep their slots (adopt.ts).
      for (const e of prev.trie) {
        const k = key(e);
        const inst: Installed = {};
        this.setHop(inst, hops.adopt(e.id));
        this.installed.set(k, inst);
        this.stale.add(k);
      }
    } else if (hops && prev.trie.length > 0) {
      const moved: Record<FibFamily, [string, number][]> = { ipv4: [], ipv6: [] };
      for (const e of prev.trie) {
        const k = key(e);
        const inst = this.installed.get(k) ?? {};
        const hop = hops.special('pass');
        this.setHop(inst, hop);
        this.installed.set(k, inst);
        this.stale.add(k);
        moved[e.family].push([e.prefix, hop.id]);
      }
      this.xdp!.v4.setMany(moved.ipv4);
      this.xdp!.v6.setMany(moved.ipv6);
    }
    if (this.stale.size > 0) this.opts.log.info(`fib: adopted ${prev.kernel.length} kernel routes and ${prev.trie.length} XDP entries from the previous run, stale until re-installed`, { event: 'fib' });
  }

  /** Adopted entries not written again yet. */
  get staleEntries(): number {
    return this.stale.size;
  }

  /**
   * The sessions have resynchronised: remove what was adopted and not re-installed since, through
   * the normal write path (maps first, then the kernel). Resolves with how many prefixes went.
   */
  async sweepStale(): Promise<number> {
    await this.idle();
    const gone = this.stale.take().filter((k) => !this.pending.has(k));
    this.submit(
      gone.map((k) => {
        const [family, prefix] = k.split('|') as [FibFamily, string];
        return { family, prefix, best: [] };
      }),
    );
    await this.idle();
    return gone.length;
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

  /** When the oldest change in `pending` was submitted (performance.now(), ms). */
  private pendingSince = 0;

  /**
   * Changes submitted and not yet sorted into `pending`: a session going down submits a full table
   * at once, and keying 100k changes there held the event loop ~0.4 s; the write loop does it in
   * steps instead.
   */
  private readonly inbox: (readonly BestChange[])[] = [];

  /** Queue best-path changes; they are written in the next batches (a later change of a prefix wins). */
  submit(changes: readonly BestChange[]): void {
    if (changes.length === 0) return;
    if (this.pending.size === 0 && this.inbox.length === 0) this.pendingSince = performance.now();
    this.inbox.push(changes);
    this.kick();
  }

  /** Sort the inbox into `pending`, letting the event loop turn on a large one. */
  private async sortInbox(turns: Turns): Promise<void> {
    for (let list = this.inbox.shift(); list; list = this.inbox.shift()) {
      for (const c of list) {
        this.pending.set(key(c), c);
        if (turns.due()) await turns.next();
      }
    }
  }

  /** At most this many prefixes per write: a batch's own work (desired state, kernel messages) stays a few tens of ms. */
  private static readonly BATCH = 8192;

  /** The next batch: the oldest pending changes, at most BATCH. */
  private takeBatch(): BestChange[] {
    const batch: BestChange[] = [];
    for (const [k, c] of this.pending) {
      batch.push(c);
      this.pending.delete(k);
      if (batch.length >= FibManager.BATCH) break;
    }
    return batch;
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
        await this.sortInbox(turns);
        if (this.pending.size === 0) break;
        const since = this.pendingSince;
        const batch = this.takeBatch();
        if (this.pending.size > 0 || this.inbox.length > 0) this.pendingSince = performance.now();
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
      const inst = this.installed.get(`${p.includes(':') ? 'ipv6' : 'ipv4'}|${p}`);
      if (inst?.hop) this.trie(p).set(p, inst.hop.id);
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

  private async write(batch: BestChange[]): Promise<void> {
    const desired = batch.map((c) => ({ c, k: key(c), want: desiredOf(c), was: this.installed.get(key(c)) ?? {} }));
    for (const d of desired) this.stale.written(d.k);
    // 1. Maps first for what loses its kernel route or its entry.
    for (const d of desired) if (d.was.hop && (!d.want.xdp || (d.was.kernel && !d.want.kernel))) this.setEntry(d.k, d.c.prefix, d.was, d.want.xdp && !d.want.kernel ? this.hops!.special('pass') : undefined);
    // 2. The kernel.
    const failed = this.kernel ? await this.writeKernel(desired) : new Set<string>();
    // 3. Maps after the kernel for what was added or changed (not where the kernel refused).
    const entries: { k: string; prefix: string; inst: Installed; hop: XdpHop }[] = [];
    for (const d of desired) {
      const inst = this.installed.get(d.k) ?? {};
      if (d.want.xdp && this.hops && !failed.has(d.k)) {
        const hop = await this.acquire(d.want.xdp);
        if (hop) entries.push({ k: d.k, prefix: d.c.prefix, inst, hop });
      }
      this.installed.set(d.k, inst);
    }
    for (const e of entries) this.setEntry(e.k, e.prefix, e.inst, e.hop);
    for (const d of desired) {
      const inst = this.installed.get(d.k);
      if (inst && !inst.kernel && !inst.hop) this.installed.delete(d.k);
    }
  }

  /** Point (or with no hop, remove) a prefix's trie entry, releasing the next hop it used. */
  private setEntry(k: string, prefix: string, inst: Installed, hop: XdpHop | undefined): void {
    const old = inst.hop;
    if (old === hop) {
      if (hop) this.hops!.release(hop);
      return;
    }
    if (!this.local.has(prefix)) {
      if (hop) this.trie(prefix).set(prefix, hop.id);
      else this.trie(prefix).delete(prefix);
    }
    this.setHop(inst, hop);
    if (old) this.hops!.release(old);
    this.installed.set(k, inst);
  }

  /** Kernel replaces and deletes for the batch; returns the keys whose replace failed. */
  private async writeKernel(desired: { c: BestChange; k: string; want: Desired; was: Installed }[]): Promise<Set<string>> {
    const ops: { op: FibOp; k: string }[] = [];
    for (const d of desired) {
      if (d.want.kernel) {
        if (!d.was.kernel || !sameRoute(d.was.kernel, d.want.kernel)) ops.push({ op: { op: 'replace', route: d.want.kernel }, k: d.k });
      } else if (d.was.kernel) ops.push({ op: { op: 'delete', route: d.was.kernel }, k: d.k });
    }
    const failed = new Set<string>();
    if (ops.length === 0) return failed;
    const res = await this.kernel!.apply(ops.map((o) => o.op));
    const bad = new Set(res.errors.map((e) => e.index));
    for (const e of res.errors.slice(0, 10)) this.opts.log.warn(`fib: kernel ${e.message}`, { event: 'fib' });
    this.errors += res.errors.length;
    ops.forEach((o, i) => {
      const inst = this.installed.get(o.k) ?? {};
      if (bad.has(i) && o.op.op === 'replace') {
        failed.add(o.k);
        return;
      }
      this.setKernel(inst, o.op.op === 'replace' ? o.op.route : undefined);
      this.installed.set(o.k, inst);
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

  /**
   * How many prefixes have a kernel route and a trie entry, kept as they change: stats() is read
   * at every metrics scrape, and counting a full table there held the event loop ~0.1 s each time.
   */
  private readonly counted = { kernel: 0, hop: 0 };

  private setKernel(inst: Installed, route: FibRoute | undefined): void {
    this.counted.kernel += Number(route !== undefined) - Number(inst.kernel !== undefined);
    inst.kernel = route;
  }

  private setHop(inst: Installed, hop: XdpHop | undefined): void {
    this.counted.hop += Number(hop !== undefined) - Number(inst.hop !== undefined);
    inst.hop = hop;
  }

  stats(): FibStats {
    const kernelRoutes = this.counted.kernel;
    const xdpEntries = this.counted.hop;
    return {
      mode: this.opts.mode,
      kernel: this.kernel !== undefined,
      xdp: this.xdp !== undefined,
      xdpInterfaces: this.attached,
      prefixes: this.installed.size,
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
    this.inbox.length = 0;
    this.pending.clear();
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

  /** Whether the manager put a trie entry at exactly this prefix. */
  hasEntry(prefix: string): boolean {
    return this.local.has(prefix) || this.installed.get(`${prefix.includes(':') ? 'ipv6' : 'ipv4'}|${prefix}`)?.hop !== undefined;
  }

  /** The kernel route the manager recorded for a prefix (installed, or adopted from a previous run). */
  installedKernel(family: string, prefix: string): FibRoute | undefined {
    return this.installed.get(key({ family, prefix }))?.kernel;
  }

  /** Forget the kernel route recorded for a prefix, so its next submit writes it again. */
  forgetKernel(family: string, prefix: string): void {
    const inst = this.installed.get(key({ family, prefix }));
    if (inst) this.setKernel(inst, undefined);
  }

  /** Write a prefix's trie entry again from what the manager holds; false: it holds none. */
  rewriteEntry(prefix: string): boolean {
    const hop = this.local.get(prefix) ?? this.installed.get(`${prefix.includes(':') ? 'ipv6' : 'ipv4'}|${prefix}`)?.hop;
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
    const v4: string[] = [];
    const v6: string[] = [];
    for (const [k, i] of this.installed) if (i.hop) (k.startsWith('ipv6') ? v6 : v4).push(k.slice(5));
    for (const p of this.local.keys()) (p.includes(':') ? v6 : v4).push(p);
    this.xdp!.v4.deleteMany(v4);
    this.xdp!.v6.deleteMany(v6);
  }
}

function sameRoute(a: FibRoute, b: FibRoute): boolean {
  return a.kind === b.kind && a.metric === b.metric && JSON.stringify(a.nextHops) === JSON.stringify(b.nextHops);
}
