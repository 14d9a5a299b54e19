// The kernel FIB backend: routed's routes in the main table over rtnetlink, hundreds of
// hand-built messages per sendmsg(2). Only the last message of a datagram asks for an ACK; the
// kernel still answers every failing message with its own NLMSG_ERROR, so errors map back to
// their routes by sequence number while successes cost no reply at all.
//
// Unicast routes point at refcounted nexthop objects (nexthops.ts) when the kernel has them, or
// carry their gateway/interface (RTA_MULTIPATH for ECMP) otherwise.

import { errnoName, MsgWriter, RT_TABLE_MAIN, familyNumber } from './nlmsg.js';
import { NexthopTable, gatewayFamily, groupKey, singleKey, writeDelNexthop, writeNexthop } from './nexthops.js';
import type { NhMember, NhObject } from './nexthops.js';
import { NetlinkError, NlSocket } from './socket.js';
import { BulkSocket } from './bulk.js';
import { RouteNhTable } from './route-nh.js';
import { rtnOf, writeDelete, writeDeleteAt, writeReplaceAt } from './routes.js';
import { OP_DELETE, OP_REPLACE, RouteBatch } from './batch.js';
import type { BatchError, BatchResult, RouteSpec } from './batch.js';
import type { DumpedRoute, ResolvedHop, RouteTarget } from './routes.js';
import { dumpLinks, dumpNexthops, dumpRoutes, routeOif } from './lookup.js';
import type { DumpedNexthop } from './lookup.js';
import { RTPROT_ROUTED } from '../types.js';
import type { FibBackend, FibError, FibFamily, FibNextHop, FibOp, FibResult, FibRoute } from '../types.js';
import type { Turns } from '../turns.js';

const EINVAL = 22;
const ENODEV = 19;
const ESRCH = 3;
/** Receive-buffer bytes one error reply can take (skb truesize, measured with generous margin). */
const ERROR_REPLY_COST = 1280;
/** Messages per datagram: large enough that the per-send cost vanishes, small enough to pipeline. */
const DEFAULT_BATCH = 2048;

export interface KernelFibOptions {
  /** Program this network namespace (/run/netns/NAME) instead of the caller's. */
  netns?: string;
  /** Use nexthop objects (default: when the kernel has them). false: gateways in every route. */
  nexthopObjects?: boolean;
  /** Messages per sendmsg (default 2048; lowered so every error reply of a batch fits the receive buffer). */
  batchSize?: number;
}

export interface KernelFibStats {
  nexthopObjects: boolean;
  /** routed's nexthop objects (singles and groups) in the kernel. */
  nexthops: number;
  /** Routes known to point at one of them. */
  routesOnNexthops: number;
  batchSize: number;
}

function toErrno(e: unknown): number {
  if (e instanceof NetlinkError) return e.errno;
  const errno = (e as { errno?: unknown }).errno;
  return typeof errno === 'number' ? Math.abs(errno) : EINVAL;
}

/** The gateway of a route through exactly one gateway and nothing else (no interface, weight 1). */
function soleGateway(hops: readonly FibNextHop[]): string | undefined {
  if (hops.length !== 1) return undefined;
  const h = hops[0]!;
  return h.ifindex === undefined && h.interface === undefined && (h.weight === undefined || h.weight === 1) ? h.gateway : undefined;
}

/**
 * RouteSpecs for apply(): routes of one kind and metric through the same sole gateway, or sharing
 * one next-hop array, share a spec (so their next hops are resolved once per batch).
 */
function specSharer(): (r: FibRoute) => RouteSpec {
  const byKey = new Map<string, RouteSpec>();
  const byHops = new Map<readonly FibNextHop[], RouteSpec>();
  return (r) => {
    const gw = r.kind === 'unicast' ? soleGateway(r.nextHops) : '';
    const key = gw !== undefined ? `${r.family}|${r.kind}|${r.metric ?? ''}|${gw}` : undefined;
    let s = key !== undefined ? byKey.get(key) : byHops.get(r.nextHops);
    if (s && s.family === r.family && s.kind === r.kind && s.metric === r.metric) return s;
    s = { family: r.family, kind: r.kind, nextHops: r.nextHops, ...(r.metric !== undefined ? { metric: r.metric } : {}) };
    if (key !== undefined) byKey.set(key, s);
    else byHops.set(r.nextHops, s);
    return s;
  };
}

export class KernelFib implements FibBackend {
  readonly name = 'kernel';
  private readonly w = new MsgWriter(1 << 18);
  /** sendAll's second buffer: one datagram is built while the other is in the kernel. */
  private readonly w2 = new MsgWriter(1 << 18);
  private readonly nh = new NexthopTable();
  /** Route identity → the nexthop object it uses (only routes that use one). */
  private readonly routeNh = new RouteNhTable();
  private busy: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly sock: NlSocket,
    private readonly bulk: BulkSocket,
    private links: Map<string, number>,
    readonly nexthopObjects: boolean,
    readonly batchSize: number,
  ) {}

  /**
   * Open the backend. routed's nexthop objects and routes already in the kernel (from a previous
   * run) are adopted, so replacing them works and objects nothing uses any more are deleted.
   */
  static async open(opts: KernelFibOptions = {}): Promise<KernelFib> {
    const sock = new NlSocket({ netns: opts.netns, recvBufferSize: 8 << 20 });
    let bulk: BulkSocket | undefined;
    try {
      bulk = new BulkSocket({ ...(opts.netns !== undefined ? { netns: opts.netns } : {}), recvBufferSize: 16 << 20 });
      let useNh = opts.nexthopObjects ?? true;
      let nhs: DumpedNexthop[] = [];
      if (useNh) {
        try {
          nhs = await dumpNexthops(sock);
        } catch (e) {
          if (opts.nexthopObjects === true) throw e;
          useNh = false;
        }
      }
      const byBuffer = Math.floor(bulk.recvBufferSize() / ERROR_REPLY_COST);
      const batch = Math.max(16, Math.min(opts.batchSize ?? DEFAULT_BATCH, byBuffer));
      const fib = new KernelFib(sock, bulk, await dumpLinks(sock), useNh, batch);
      await fib.adopt(nhs);
      return fib;
    } catch (e) {
      bulk?.close();
      sock.close();
      throw e;
    }
  }

  private async adopt(nhs: DumpedNexthop[]): Promise<void> {
    const mine = nhs.filter((n) => n.protocol === RTPROT_ROUTED && !n.blackhole);
    for (const n of nhs) if (!mine.includes(n)) this.nh.foreign.add(n.id);
    // Singles before groups: a group holds references on its members.
    for (const n of [...mine].sort((a, b) => Number(a.group !== undefined) - Number(b.group !== undefined))) {
      if (n.group) this.nh.add({ id: n.id, key: groupKey(n.group), family: 0, members: n.group });
      else this.nh.add({ id: n.id, key: singleKey(n.family, n.gateway, n.ifindex ?? 0), family: n.family, ifindex: n.ifindex ?? 0, ...(n.gateway !== undefined ? { gateway: n.gateway } : {}) });
    }
    if (this.nh.size === 0) return;
    for (const d of await dumpRoutes(this.sock, RTPROT_ROUTED, RT_TABLE_MAIN)) {
      if (d.nhid === undefined || !this.nh.byId.has(d.nhid)) continue;
      this.routeNh.reserve(1);
      this.routeNh.set(d.route, this.routeNh.slot(d.route), d.nhid);
      this.nh.ref(d.nhid);
    }
    await this.collect();
  }

  stats(): KernelFibStats {
    return { nexthopObjects: this.nexthopObjects, nexthops: this.nh.size, routesOnNexthops: this.routeNh.size, batchSize: this.batchSize };
  }

  /** Calls run one at a time: each relies on the reference counts the previous one left. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    // Not run.catch(): that would hold the result (a full dump, 100k routes) until the next call.
    this.busy = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Apply operations given as routes: they go into a RouteBatch with one RouteSpec per shape
   * (routes sharing a next-hop array, or through the same sole gateway, share one), then through
   * applyBatch. Per-operation errors come back by position in `ops`.
   */
  async apply(ops: readonly FibOp[]): Promise<FibResult> {
    const b = new RouteBatch(Math.max(16, ops.length));
    const at: number[] = [];
    const early: FibError[] = [];
    const specOf = specSharer();
    ops.forEach((op, i) => {
      try {
        b.pushText(op.op === 'delete' ? OP_DELETE : OP_REPLACE, specOf(op.route), op.route.prefix);
        at.push(i);
      } catch (e) {
        early.push({ index: i, op, errno: EINVAL, code: 'EINVAL', message: `${op.op} ${op.route.prefix}: ${(e as Error).message}` });
      }
    });
    const res = await this.applyBatch(b);
    const errors = early.concat(res.errors.map((e) => ({ ...e, index: at[e.index]!, op: ops[at[e.index]!]! })));
    errors.sort((x, y) => x.index - y.index);
    return { applied: res.applied, errors };
  }

  /** Apply a batch in order (a later operation on the same route wins); never rejects for a per-route error. */
  applyBatch(b: RouteBatch): Promise<BatchResult> {
    return this.serial(() => this.applyNow(b));
  }

  private async applyNow(b: RouteBatch): Promise<BatchResult> {
    const errors: BatchError[] = [];
    const fail = (i: number, errno: number, why?: string): void => {
      const message = `${b.op[i] === OP_DELETE ? 'delete' : 'replace'} ${b.prefix(i)}: ${why ?? errnoName(errno)}`;
      errors.push({ index: i, errno, code: errnoName(errno), message });
    };
    const targets = await this.targets(b);
    this.routeNh.reserve(b.length);
    const applied = await this.sendRoutes(b, targets, fail);
    await this.collect();
    errors.sort((x, y) => x.index - y.index);
    return { applied, errors };
  }

  /** Resolve each distinct shape of the batch's replaces once, creating the nexthop objects they need. */
  private async targets(b: RouteBatch): Promise<Map<RouteSpec, RouteTarget | Error>> {
    const distinct = new Set<RouteSpec>();
    for (let i = 0; i < b.length; i++) if (b.op[i] === OP_REPLACE) distinct.add(b.spec[i]!);
    const specs = [...distinct];
    const out = new Map<RouteSpec, RouteTarget | Error>();
    await this.refreshLinks(specs);
    const gwOif = this.nexthopObjects ? await this.gatewayInterfaces(specs) : new Map<string, number | Error>();
    const created: NhObject[] = [];
    for (const s of specs) {
      try {
        out.set(s, this.target(s, gwOif, created));
      } catch (e) {
        out.set(s, e instanceof Error ? e : new Error(String(e)));
      }
    }
    if (created.length === 0) return out;
    const failed = await this.createNexthops(created);
    for (const [s, t] of out) {
      const errno = t instanceof Error || t.type !== 'nhid' ? undefined : failed.get(t.id);
      if (errno !== undefined) out.set(s, new NetlinkError(errno, `next hop: ${errnoName(errno)}`));
    }
    return out;
  }

  private target(r: RouteSpec, gwOif: Map<string, number | Error>, created: NhObject[]): RouteTarget {
    if (r.kind !== 'unicast') return { type: 'reject', rtn: rtnOf(r.kind) };
    if (r.nextHops.length === 0) throw new NetlinkError(EINVAL, 'unicast route without next hops');
    const hops = r.nextHops.map((h) => this.resolveHop(h, gwOif));
    if (!this.nexthopObjects) return { type: 'hops', hops };
    const members = new Map<number, NhMember>();
    for (const h of hops) {
      const o = this.single(r.family, h, created);
      if (!members.has(o.id)) members.set(o.id, { id: o.id, weight: h.weight });
    }
    if (members.size === 1) return { type: 'nhid', id: [...members.keys()][0]! };
    const list = [...members.values()].sort((a, b) => a.id - b.id);
    const key = groupKey(list);
    let g = this.nh.lookup(key);
    if (!g) {
      g = this.nh.add({ key, family: 0, members: list });
      created.push(g);
    }
    return { type: 'nhid', id: g.id };
  }

  private resolveHop(h: FibNextHop, gwOif: Map<string, number | Error>): ResolvedHop {
    const weight = h.weight ?? 1;
    if (!Number.isInteger(weight) || weight < 1 || weight > 256) throw new NetlinkError(EINVAL, `weight ${weight}`);
    let ifindex = h.ifindex;
    if (ifindex === undefined && h.interface !== undefined) {
      ifindex = this.links.get(h.interface);
      if (ifindex === undefined) throw new NetlinkError(ENODEV, `interface ${h.interface}`);
    }
    if (ifindex === undefined && h.gateway === undefined) throw new NetlinkError(EINVAL, 'next hop without gateway or interface');
    if (ifindex === undefined && this.nexthopObjects) {
      const oif = gwOif.get(h.gateway!);
      if (oif instanceof Error) throw oif;
      ifindex = oif;
    }
    return { ...(h.gateway !== undefined ? { gateway: h.gateway } : {}), ...(ifindex !== undefined ? { ifindex } : {}), weight };
  }

  private single(family: FibFamily, h: ResolvedHop, created: NhObject[]): NhObject {
    const fam = h.gateway !== undefined ? gatewayFamily(h.gateway) : familyNumber(family);
    const key = singleKey(fam, h.gateway, h.ifindex ?? 0);
    const found = this.nh.lookup(key);
    if (found) return found;
    const o = this.nh.add({ key, family: fam, ifindex: h.ifindex ?? 0, ...(h.gateway !== undefined ? { gateway: h.gateway } : {}) });
    created.push(o);
    return o;
  }

  /** Re-read interface names when a shape names one not seen yet. */
  private async refreshLinks(specs: readonly RouteSpec[]): Promise<void> {
    const unknown = specs.some((r) => r.nextHops.some((h) => h.ifindex === undefined && h.interface !== undefined && !this.links.has(h.interface)));
    if (unknown) this.links = await dumpLinks(this.sock);
  }

  /** The interface towards each gateway given without one (a nexthop object needs it). */
  private async gatewayInterfaces(specs: readonly RouteSpec[]): Promise<Map<string, number | Error>> {
    const out = new Map<string, number | Error>();
    for (const r of specs) {
      if (r.kind !== 'unicast') continue;
      for (const h of r.nextHops) {
        if (h.gateway === undefined || h.ifindex !== undefined || h.interface !== undefined || out.has(h.gateway)) continue;
        out.set(h.gateway, await routeOif(this.sock, h.gateway).catch((e: Error) => e));
      }
    }
    return out;
  }

  /**
   * Send messages in datagrams of batchSize, ACK on the last of each; resolves with the errno of
   * each failing item by its position. Two buffers: while the kernel installs one datagram (on
   * the bulk socket's worker thread), the next is written into the other. answered(items, failed)
   * runs for each datagram once its replies are in, while the next one is in the kernel.
   */
  private async sendAll(
    count: number,
    write: (w: MsgWriter, seq: number, item: number) => boolean,
    answered?: (items: readonly number[], failed: ReadonlyMap<number, number>) => void,
  ): Promise<Map<number, number>> {
    const failed = new Map<number, number>();
    type Sent = { replies: Promise<Map<number, number>>; items: number[]; first: number };
    const finish = (d: Sent, errs: Map<number, number>): void => {
      for (const [seq, code] of errs) failed.set(d.items[seq - d.first]!, -code);
      answered?.(d.items, failed);
    };
    let inFlight: Sent | undefined;
    let item = 0;
    // Flips only when a datagram goes out: the buffer in flight is never the one being written.
    let second = false;
    while (item < count) {
      const w = second ? this.w2 : this.w;
      const first = this.sock.reserve(this.batchSize);
      const items: number[] = [];
      w.reset();
      for (; item < count && items.length < this.batchSize; item++) {
        if (write(w, first + items.length, item)) items.push(item);
      }
      if (items.length === 0) continue;
      w.ackLast();
      const prev = inFlight;
      const prevErrs = prev ? await prev.replies : undefined;
      // Not copied: this buffer is not written again until the datagram is answered. Sent
      // before the previous one's replies are settled, so the kernel is never idle meanwhile.
      const replies = this.bulk.batch(w.buf.subarray(0, w.pos), first, first + items.length - 1);
      // Awaited on the next turn; marked handled now in case that turn never comes (a throw).
      replies.catch(() => undefined);
      inFlight = { replies, items, first };
      second = !second;
      if (prev) finish(prev, prevErrs!);
    }
    if (inFlight) finish(inFlight, await inFlight.replies);
    return failed;
  }

  /** Create new nexthop objects (singles before the groups using them); failures by id. */
  private async createNexthops(created: NhObject[]): Promise<Map<number, number>> {
    const errs = await this.sendAll(created.length, (w, seq, i) => {
      writeNexthop(w, seq, created[i]!, false);
      return true;
    });
    const failed = new Map<number, number>();
    for (const [i, errno] of errs) failed.set(created[i]!.id, errno);
    // A group over a failed member fails too: drop groups first so members are released.
    for (const id of [...failed.keys()].reverse()) this.nh.drop(id);
    return failed;
  }

  private async sendRoutes(b: RouteBatch, targets: Map<RouteSpec, RouteTarget | Error>, fail: (i: number, errno: number, why?: string) => void): Promise<number> {
    let sent = 0;
    const settle = (items: readonly number[], failed: ReadonlyMap<number, number>): void => {
      for (const i of items) this.settle(b, i, b.op[i] === OP_REPLACE ? (targets.get(b.spec[i]!) as RouteTarget) : undefined, failed.get(i), fail);
    };
    const errs = await this.sendAll(b.length, (w, seq, i) => {
      const t = b.op[i] === OP_REPLACE ? targets.get(b.spec[i]!)! : undefined;
      if (t instanceof Error) {
        fail(i, toErrno(t), t.message);
        return false;
      }
      const mark = w.pos;
      try {
        if (t) writeReplaceAt(w, seq, b, i, t);
        else writeDeleteAt(w, seq, b, i);
      } catch (e) {
        w.pos = mark;
        fail(i, EINVAL, e instanceof Error ? e.message : undefined);
        return false;
      }
      // Held while in flight so the object cannot be collected under the route.
      if (t?.type === 'nhid') this.nh.ref(t.id);
      sent++;
      return true;
    }, settle);
    return sent - errs.size;
  }

  /** Bring the reference counts in line with what the kernel did for operation i. */
  private settle(b: RouteBatch, i: number, t: RouteTarget | undefined, errno: number | undefined, fail: (i: number, errno: number) => void): void {
    if (errno !== undefined) {
      if (t?.type === 'nhid') this.nh.unref(t.id);
      fail(i, errno);
      // A route the kernel does not have is not using anything any more.
      if (!(b.op[i] === OP_DELETE && errno === ESRCH)) return;
    }
    // Slots stay valid for the whole apply (applyNow reserved room for every operation).
    const spec = b.spec[i]!;
    const slot = this.routeNh.slotAt(b, i);
    const old = this.routeNh.get(spec, slot);
    this.routeNh.set(spec, slot, b.op[i] === OP_REPLACE && t?.type === 'nhid' ? t.id : undefined);
    if (old !== undefined) this.nh.unref(old);
  }

  /** Delete nexthop objects nothing references any more. */
  private async collect(): Promise<void> {
    const idle = this.nh.collect();
    if (idle.length === 0) return;
    // ENOENT means the kernel already dropped it (its device went away): the goal is met.
    await this.sendAll(idle.length, (w, seq, i) => {
      writeDelNexthop(w, seq, idle[i]!.id);
      return true;
    });
  }

  /**
   * Point every route using the next hop `from` at `to`, in one RTM_NEWNEXTHOP replacing the
   * object's content. Resolves with how many routes and groups use it (0: nothing used `from`).
   */
  moveNextHop(family: FibFamily, from: FibNextHop, to: FibNextHop): Promise<number> {
    return this.serial(async () => {
      if (!this.nexthopObjects) throw new Error('moveNextHop needs nexthop objects');
      const probe: RouteSpec[] = [{ family, kind: 'unicast', nextHops: [from, to] }];
      await this.refreshLinks(probe);
      const gw = await this.gatewayInterfaces(probe);
      const [a, b] = [this.resolveHop(from, gw), this.resolveHop(to, gw)];
      const famOf = (h: ResolvedHop): number => (h.gateway !== undefined ? gatewayFamily(h.gateway) : familyNumber(family));
      const o = this.nh.lookup(singleKey(famOf(a), a.gateway, a.ifindex ?? 0));
      if (!o) return 0;
      const moved: NhObject = { ...o, family: famOf(b), ifindex: b.ifindex ?? 0 };
      if (b.gateway !== undefined) moved.gateway = b.gateway;
      else delete moved.gateway;
      this.w.reset();
      const seq = this.sock.reserve(1);
      writeNexthop(this.w, seq, moved, true);
      this.w.ackLast();
      await this.sock.request(this.w.take(), seq, `replace nexthop ${o.id}`);
      Object.assign(o, { family: moved.family, ifindex: moved.ifindex, gateway: moved.gateway });
      if (moved.gateway === undefined) delete o.gateway;
      this.nh.rekey(o, singleKey(moved.family, moved.gateway, moved.ifindex ?? 0));
      return o.refs;
    });
  }

  /**
   * routed's routes in the main table, next hops expanded from nexthop objects. With `turns`,
   * the expansion lets the event loop turn (the replies are parsed as each datagram arrives).
   */
  dump(turns?: Turns): Promise<FibRoute[]> {
    return this.serial(async () => {
      const nhs = new Map<number, DumpedNexthop>();
      if (this.nexthopObjects) for (const n of await dumpNexthops(this.sock)) nhs.set(n.id, n);
      const hop = (n: DumpedNexthop | undefined): FibNextHop => ({
        ...(n?.gateway !== undefined ? { gateway: n.gateway } : {}),
        ...(n?.ifindex !== undefined ? { ifindex: n.ifindex } : {}),
      });
      // Routes on the same nexthop object share one next-hop list (a full table has a handful),
      // and each dumped route is completed in place rather than copied.
      const lists = new Map<number, FibNextHop[]>();
      const expand = (d: DumpedRoute): FibRoute => {
        if (d.nhid === undefined) return d.route;
        const n = nhs.get(d.nhid);
        if (n?.blackhole) return Object.assign(d.route, { kind: 'blackhole' as const, nextHops: [] });
        let nextHops = lists.get(d.nhid);
        if (!nextHops) lists.set(d.nhid, (nextHops = n?.group ? n.group.map((m) => ({ ...hop(nhs.get(m.id)), weight: m.weight })) : [hop(n)]));
        d.route.nextHops = nextHops;
        return d.route;
      };
      const out: FibRoute[] = [];
      for (const d of await dumpRoutes(this.sock, RTPROT_ROUTED, RT_TABLE_MAIN)) {
        out.push(expand(d));
        if (turns?.due()) await turns.next();
      }
      return out;
    });
  }

  /**
   * Remove every route with routed's protocol from the main table. Routes on nexthop objects go
   * with their objects (iproute2's `ip route flush proto` cannot delete those); the rest one by one.
   */
  flush(): Promise<number> {
    return this.serial(async () => {
      const routes = await dumpRoutes(this.sock, RTPROT_ROUTED, RT_TABLE_MAIN);
      const own = this.nexthopObjects ? (await dumpNexthops(this.sock)).filter((n) => n.protocol === RTPROT_ROUTED) : [];
      own.sort((a, b) => Number(b.group !== undefined) - Number(a.group !== undefined));
      await this.sendAll(own.length, (w, seq, i) => {
        writeDelNexthop(w, seq, own[i]!.id);
        return true;
      });
      const rest = routes.filter((d) => d.nhid === undefined);
      await this.sendAll(rest.length, (w, seq, i) => {
        writeDelete(w, seq, rest[i]!.route);
        return true;
      });
      for (const id of [...this.nh.byId.keys()]) this.nh.drop(id);
      this.routeNh.clear();
      return routes.length;
    });
  }

  async close(): Promise<void> {
    await this.busy;
    this.bulk.close();
    this.sock.close();
  }
}
