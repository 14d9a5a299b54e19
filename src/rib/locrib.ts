// The Loc-RIB: per family, every prefix (an id in a PrefixTable) with the routes of every source
// and the selected best set. BGP routes are records in typed arrays — source, path id, the
// attributes as received and as accepted (interned ids), flags — chained per prefix, so a full
// table costs a few dozen bytes per route and no heap object; the same record is the peer's
// Adj-RIB-In entry (a route import rejected stays, with no accepted attributes). The RIB's own
// routes (static, connected, kernel: few) are Route objects beside them. Route objects for BGP
// records are built only when asked for (a best-path change, routectl, a decision among several
// candidates) and are not kept. Next hops are resolved per attribute set (NextHopResolver), and
// best-path changes are collected per prefix until the daemon drains them once per tick.

import type { AttrStore } from './attrs.js';
import { compareRoutes, selectBest } from './decision.js';
import type { DecisionConfig } from './decision.js';
import { NextHopResolver } from './nexthop.js';
import type { Resolution } from './nexthop.js';
import { ChangeBatch, ChangeView, MANY, NO_BEST } from './change-view.js';
import { COMPLEX, FamilyRib, NONE, OTHERS, STALE } from './family-rib.js';
import { grown } from './grown.js';

export { FamilyRib, NONE, STALE } from './family-rib.js';
import { LazyRoute } from './lazy-route.js';
import type { BestChange, DecisionStep, Family, PathAttrs, Route, RouteSource } from './types.js';

export interface PrefixEntry {
  family: Family;
  prefix: string;
  /** Every source's routes, in a fixed source order so selection never depends on arrival. */
  candidates: Route[];
  best: readonly Route[];
  step?: DecisionStep;
}

/** A BGP source as the Loc-RIB orders and shows it. */
export interface SourceSlot {
  source: RouteSource;
  /** Candidate order between peers (the peer address's sort key). */
  order: string;
}

const STEPS: readonly (DecisionStep | undefined)[] = [
  undefined, 'only-path', 'preference', 'local-pref', 'as-path-length', 'origin', 'med', 'ebgp-over-ibgp',
  'igp-cost', 'router-id', 'cluster-list-length', 'peer-address', 'path-id',
];
const stepCode = (s: DecisionStep | undefined): number => (s === undefined ? 0 : STEPS.indexOf(s));

const KIND_ORDER = { connected: 0, static: 1, kernel: 2, bgp: 3 } as const;

/** The RIB's own routes (non-BGP) in candidate order: by kind, interface, path id. */
function otherOrder(a: Route, b: Route): number {
  const k = KIND_ORDER[a.source.kind] - KIND_ORDER[b.source.kind];
  if (k !== 0) return k;
  const ka = a.source.kind === 'connected' ? a.source.interface : '';
  const kb = b.source.kind === 'connected' ? b.source.interface : '';
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.pathId - b.pathId;
}

/** Static routes with a next hop: resolved through the other IGP routes, never through themselves. */
const isStaticVia = (r: Route): boolean => r.source.kind === 'static' && r.type === 'unicast' && r.attrs.nextHop !== '';

export class LocRib {
  readonly fams: Record<Family, FamilyRib> = { ipv4: new FamilyRib('ipv4'), ipv6: new FamilyRib('ipv6') };
  readonly resolver = new NextHopResolver();
  /** BGP sources by index (set by the RIB). */
  readonly sources: (SourceSlot | undefined)[] = [];
  /** Per attribute id: accepted records using it, and its next hop's resolution while used. */
  private attrUse = new Int32Array(1024);
  private readonly attrRes: (Resolution | undefined)[] = [];
  /** Prefixes holding static routes with next hops: re-resolved whenever IGP routes change. */
  private readonly staticVia = { ipv4: new Set<number>(), ipv6: new Set<number>() };
  private igpChanged = false;
  /** What drainBatch() fills (one per Loc-RIB, reused). */
  private readonly batch = new ChangeBatch(this);

  constructor(
    private cfg: DecisionConfig,
    private readonly store: AttrStore,
  ) {}

  setDecisionConfig(cfg: DecisionConfig): void {
    this.cfg = cfg;
    for (const f of Object.values(this.fams)) for (let pid = 0; pid < f.pt.limit; pid++) if (f.hasRoutes(pid)) this.reselect(f, pid, false);
  }

  // ---- Prefix ids ----

  /** The id of prefix text, held by the Loc-RIB from now on (-1: not a prefix of the family). */
  acquire(f: FamilyRib, text: string): number {
    return this.hold(f, f.pt.acquire(text));
  }

  /** acquire() for a prefix as address words and a length (the codec's NLRI keys). */
  acquireKey(f: FamilyRib, src: ArrayLike<number>, off: number, len: number): number {
    return this.hold(f, f.pt.acquireKey(src, off, len));
  }

  /** The Loc-RIB keeps one reference on a prefix id it holds: a second one just taken is given back. */
  private hold(f: FamilyRib, pid: number): number {
    if (pid < 0) return pid;
    f.fit();
    if (f.state[pid]! & 1) f.pt.release(pid);
    else f.state[pid]! |= 1;
    return pid;
  }

  /** Give the id back once the prefix has no route and no undrained change. */
  private settleId(f: FamilyRib, pid: number): void {
    if (f.state[pid] !== 1 || f.hasRoutes(pid)) return;
    f.state[pid] = 0;
    f.pt.release(pid);
  }

  // ---- BGP records ----

  /** The record of (source, path id) at a prefix, or NONE. */
  findRecord(f: FamilyRib, pid: number, src: number, pathId: number): number {
    for (let r = f.head[pid]!; r !== NONE; r = f.next[r]!) if (f.src[r] === src && f.pathId[r] === pathId) return r;
    return NONE;
  }

  private recordBefore(f: FamilyRib, a: number, src: number, pathId: number): boolean {
    const sa = f.src[a]!;
    if (sa !== src) return this.sources[sa]!.order < this.sources[src]!.order;
    return f.pathId[a]! < pathId;
  }

  /** A new record (the ids passed carry the references it keeps). */
  insert(f: FamilyRib, pid: number, src: number, pathId: number, raw: number, acc: number): number {
    const r = f.newRecord();
    f.src[r] = src;
    f.pathId[r] = pathId;
    f.raw[r] = raw;
    f.acc[r] = acc;
    f.flags[r] = 0;
    const head = f.head[pid]!;
    if (head === NONE || !this.recordBefore(f, head, src, pathId)) {
      f.next[r] = head;
      f.head[pid] = r;
    } else {
      let p = head;
      while (f.next[p] !== NONE && this.recordBefore(f, f.next[p]!, src, pathId)) p = f.next[p]!;
      f.next[r] = f.next[p]!;
      f.next[p] = r;
    }
    if (acc !== NONE) {
      f.countAccepted(pid, 1);
      this.use(acc);
      this.reselect(f, pid, false);
    }
    return r;
  }

  /** New attributes for a record; the references of the old ones are released. */
  update(f: FamilyRib, pid: number, r: number, raw: number, acc: number): void {
    const oldRaw = f.raw[r]!;
    const oldAcc = f.acc[r]!;
    f.raw[r] = raw;
    f.acc[r] = acc;
    f.flags[r] = 0;
    if (acc !== NONE) this.use(acc);
    const wasBest = oldAcc !== NONE && this.inBest(f, pid, r);
    if (oldAcc !== NONE) {
      this.unuse(oldAcc);
      this.store.releaseId(oldAcc);
    }
    if ((acc === NONE) !== (oldAcc === NONE)) f.countAccepted(pid, acc === NONE ? -1 : 1);
    this.store.releaseId(oldRaw);
    if (acc !== NONE || oldAcc !== NONE) this.reselect(f, pid, wasBest);
  }

  /** Remove a record and release its references. */
  remove(f: FamilyRib, pid: number, r: number): void {
    const acc = f.acc[r]!;
    const wasBest = acc !== NONE && this.inBest(f, pid, r);
    if (f.head[pid] === r) f.head[pid] = f.next[r]!;
    else {
      let p = f.head[pid]!;
      while (f.next[p] !== r) p = f.next[p]!;
      f.next[p] = f.next[r]!;
    }
    if (acc !== NONE) {
      f.countAccepted(pid, -1);
      this.unuse(acc);
      this.store.releaseId(acc);
    }
    this.store.releaseId(f.raw[r]!);
    f.freeRecord(r);
    if (acc !== NONE) this.reselect(f, pid, wasBest);
    this.settleId(f, pid);
  }

  private inBest(f: FamilyRib, pid: number, r: number): boolean {
    const b = f.best[pid]!;
    if (b === r) return true;
    return b === COMPLEX && f.complex.get(pid)!.includes(r);
  }

  private use(acc: number): void {
    if (acc >= this.attrUse.length) this.attrUse = grown(this.attrUse, acc + 1);
    if (this.attrUse[acc]!++ > 0) return;
    const nh = this.store.nextHop(acc);
    this.attrRes[acc] = nh === '' ? undefined : this.resolver.track(nh);
  }

  private unuse(acc: number): void {
    if (--this.attrUse[acc]! > 0) return;
    const nh = this.store.nextHop(acc);
    if (nh !== '') this.resolver.untrack(nh);
    this.attrRes[acc] = undefined;
  }

  /** Whether an accepted record's next hop resolves (routes without one need none). */
  private usable(acc: number): boolean {
    const res = this.attrRes[acc];
    return res === undefined || res.resolved;
  }

  /** The id of the attributes a record's Route carries (accepted, else as received), without building it. */
  recordAttrsId(f: FamilyRib, r: number): number {
    const acc = f.acc[r]!;
    return acc === NONE ? f.raw[r]! : acc;
  }

  recordSource(f: FamilyRib, r: number): RouteSource {
    return this.sources[f.src[r]!]!.source;
  }

  /**
   * The Route of a record, built now (not kept). `prefix`: its text, when the caller has it; null:
   * a LazyRoute, which makes it when read (for readers that drop the route soon).
   */
  routeOf(f: FamilyRib, pid: number, r: number, prefix: string | null = f.pt.text(pid)): Route {
    const acc = f.acc[r]!;
    const received = this.store.attrs(f.raw[r]!);
    const attrs = acc === NONE ? received : this.store.attrs(acc);
    const source = this.sources[f.src[r]!]!.source;
    const stale = (f.flags[r]! & STALE) !== 0;
    const family = f.family;
    const pathId = f.pathId[r]!;
    const accepted = acc !== NONE;
    // The store's next hop of the set, not attrs.nextHop: a load from one array instead of from
    // attribute objects of many shapes.
    const direct = this.store.nextHop(acc === NONE ? f.raw[r]! : acc) === '';
    if (prefix === null) return this.lazyRouteOf(f, pid, acc, family, pathId, source, attrs, stale, received, accepted, direct);
    // Object literals of two fixed shapes (spreading a base object would cost a copy per route).
    if (direct) return { family, prefix, pathId, source, type: 'unicast', attrs, stale, received, accepted };
    const res = acc === NONE ? undefined : this.attrRes[acc];
    return {
      family, prefix, pathId, source, type: 'unicast', attrs, stale,
      resolved: res?.resolved ?? false,
      igpCost: res?.igpCost ?? 0,
      gateway: res?.gateway,
      interface: res?.interface,
      received,
      accepted,
    };
  }

  private lazyRouteOf(f: FamilyRib, pid: number, acc: number, family: Family, pathId: number, source: RouteSource, attrs: PathAttrs, stale: boolean, received: PathAttrs, accepted: boolean, direct: boolean): Route {
    const route = new LazyRoute(f.pt, pid, family, pathId, source, 'unicast', attrs, stale, received, accepted);
    if (direct) return route;
    // The same members as routeOf's second shape, in one order (one hidden class).
    const res = acc === NONE ? undefined : this.attrRes[acc];
    route.resolved = res?.resolved ?? false;
    route.igpCost = res?.igpCost ?? 0;
    route.gateway = res?.gateway;
    route.interface = res?.interface;
    return route;
  }

  // ---- The RIB's own routes ----

  /** Add a route of the RIB's own sources, replacing the one from the same source and path id. */
  upsertOther(route: Route): void {
    const f = this.fams[route.family];
    const pid = this.acquire(f, route.prefix);
    if (pid < 0) throw new RangeError(`not an ${route.family} prefix: ${route.prefix}`);
    let list = f.others.get(pid);
    if (!list) {
      if (f.accN[pid] === 0) f.present++;
      f.others.set(pid, (list = []));
      f.state[pid]! |= OTHERS;
    }
    let i = 0;
    while (i < list.length && otherOrder(list[i]!, route) < 0) i++;
    const old = list[i];
    if (old && otherOrder(old, route) === 0) {
      this.store.release(old.attrs);
      list[i] = route;
    } else list.splice(i, 0, route);
    if (isStaticVia(route)) {
      applyResolution(route, this.resolver.resolve(route.attrs.nextHop, route.prefix));
      this.staticVia[f.family].add(pid);
    }
    this.igpRouteChanged(f, pid);
    this.reselect(f, pid, old !== undefined && this.otherInBest(f, pid, old));
  }

  /** Remove a route of the RIB's own sources; releases its attributes. */
  removeOther(route: Route): void {
    const f = this.fams[route.family];
    const pid = f.pt.find(route.prefix);
    const list = pid < 0 ? undefined : f.others.get(pid);
    const i = list ? list.findIndex((c) => otherOrder(c, route) === 0) : -1;
    if (!list || i < 0) return;
    const old = list[i]!;
    const wasBest = this.otherInBest(f, pid, old);
    this.store.release(old.attrs);
    list.splice(i, 1);
    if (list.length === 0) {
      f.others.delete(pid);
      f.state[pid]! &= ~OTHERS;
      if (f.accN[pid] === 0) f.present--;
    }
    this.igpRouteChanged(f, pid);
    this.reselect(f, pid, wasBest);
    this.settleId(f, pid);
  }

  private otherInBest(f: FamilyRib, pid: number, r: Route): boolean {
    return f.best[pid] === COMPLEX && f.complex.get(pid)!.includes(r);
  }

  /** The route next hops resolve through at this prefix: the preferred non-BGP candidate. */
  private igpRouteChanged(f: FamilyRib, pid: number): void {
    const list = f.others.get(pid) ?? [];
    let igp: Route | undefined;
    for (const c of list) if (!igp || compareRoutes(c, igp, this.cfg).order < 0) igp = c;
    this.resolver.setIgpRoute(f.family, f.pt.text(pid), igp);
    if (!list.some(isStaticVia)) this.staticVia[f.family].delete(pid);
    this.igpChanged = true;
  }

  // ---- Selection ----

  /** Re-run selection for one prefix; record a change when the best set differs (or `force`). */
  private reselect(f: FamilyRib, pid: number, force: boolean): void {
    const head = f.head[pid]!;
    const oldBest = f.best[pid]!;
    let best: number;
    let step: DecisionStep | undefined;
    let list: (number | Route)[] | undefined;
    if (!f.hasOthers(pid) && (head === NONE || f.next[head] === NONE)) {
      // One BGP route (most prefixes of a full table): no objects.
      const acc = head === NONE ? NONE : f.acc[head]!;
      best = acc !== NONE && this.usable(acc) ? head : NONE;
      step = best === NONE ? undefined : 'only-path';
    } else {
      ({ best, step, list } = this.selectMany(f, pid));
    }
    const oldList = oldBest === COMPLEX ? f.complex.get(pid) : undefined;
    const changed = force || best !== oldBest || (list !== undefined && !sameList(list, oldList!));
    if (list) f.complex.set(pid, list);
    else if (oldBest === COMPLEX) f.complex.delete(pid);
    f.best[pid] = best;
    f.step[pid] = stepCode(step);
    if (changed) this.markDirty(f, pid);
  }

  private selectMany(f: FamilyRib, pid: number): { best: number; step?: DecisionStep; list?: (number | Route)[] } {
    const prefix = f.pt.text(pid);
    const routes: Route[] = [];
    const recs = new Map<Route, number>();
    for (let r = f.head[pid]!; r !== NONE; r = f.next[r]!) {
      if (f.acc[r] === NONE) continue;
      const route = this.routeOf(f, pid, r, prefix);
      recs.set(route, r);
      routes.push(route);
    }
    for (const o of f.others.get(pid) ?? []) routes.push(o);
    if (routes.length === 0) return { best: NONE };
    const sel = selectBest(routes, this.cfg);
    if (sel.best.length === 0) return { best: NONE };
    const first = recs.get(sel.best[0]!);
    if (sel.best.length === 1 && first !== undefined) return { best: first, step: sel.step };
    return { best: COMPLEX, step: sel.step, list: sel.best.map((r) => recs.get(r) ?? r) };
  }

  private markDirty(f: FamilyRib, pid: number): void {
    if (f.state[pid]! & 2) return;
    f.state[pid]! |= 2;
    if (f.dirtyN === f.dirtyList.length) f.dirtyList = grown(f.dirtyList, f.dirtyN * 2);
    f.dirtyList[f.dirtyN++] = pid;
  }

  /**
   * After IGP routes changed: re-resolve static next hops, then every tracked next hop, and
   * re-evaluate the prefixes that depend on those whose resolution changed.
   */
  settle(): void {
    if (!this.igpChanged) return;
    this.igpChanged = false;
    for (const f of Object.values(this.fams)) {
      for (const pid of this.staticVia[f.family]) {
        let bestTouched = false;
        for (const r of f.others.get(pid) ?? []) {
          if (!isStaticVia(r)) continue;
          applyResolution(r, this.resolver.resolve(r.attrs.nextHop, r.prefix));
          bestTouched ||= this.otherInBest(f, pid, r);
        }
        this.reselect(f, pid, bestTouched);
      }
    }
    const changed = this.resolver.refresh();
    if (changed.size === 0) return;
    const touched = new Uint8Array(this.attrUse.length);
    let any = false;
    for (let id = 0; id < this.attrUse.length; id++) {
      if (this.attrUse[id] === 0) continue;
      const res = changed.get(this.store.nextHop(id));
      if (!res) continue;
      this.attrRes[id] = res;
      touched[id] = 1;
      any = true;
    }
    // One pass over the table per IGP change that alters a next hop's resolution.
    if (any) for (const f of Object.values(this.fams)) this.reresolve(f, touched);
  }

  private reresolve(f: FamilyRib, touched: Uint8Array): void {
    for (let pid = 0; pid < f.pt.limit; pid++) {
      let hit = false;
      let bestHit = false;
      for (let r = f.head[pid]!; r !== NONE; r = f.next[r]!) {
        const acc = f.acc[r]!;
        if (acc === NONE || touched[acc] !== 1) continue;
        hit = true;
        bestHit ||= this.inBest(f, pid, r);
      }
      // A best route whose gateway or cost changed is a change for the FIB even if it stays best.
      if (hit) this.reselect(f, pid, bestHit);
    }
  }

  // ---- Reading ----

  /** The best set of a prefix as Route objects (best first). */
  bestRoutes(f: FamilyRib, pid: number, prefix: string | null = f.pt.text(pid)): Route[] {
    const b = f.best[pid]!;
    if (b === NONE) return [];
    if (b !== COMPLEX) return [this.routeOf(f, pid, b, prefix)];
    return f.complex.get(pid)!.map((x) => (typeof x === 'number' ? this.routeOf(f, pid, x, prefix) : x));
  }

  stepOf(f: FamilyRib, pid: number): DecisionStep | undefined {
    return STEPS[f.step[pid]!];
  }

  entry(f: FamilyRib, pid: number): PrefixEntry {
    const prefix = f.pt.text(pid);
    const candidates: Route[] = [];
    for (const o of f.others.get(pid) ?? []) candidates.push(o);
    const b = f.best[pid]!;
    const list = b === COMPLEX ? f.complex.get(pid)! : undefined;
    // The best routes are the candidates' own objects (one Route per record, built once).
    const bestOf = list ? list.map((x) => (typeof x === 'number' ? undefined : x)) : [];
    for (let r = f.head[pid]!; r !== NONE; r = f.next[r]!) {
      if (f.acc[r] === NONE) continue;
      const route = this.routeOf(f, pid, r, prefix);
      candidates.push(route);
      if (r === b) bestOf.push(route);
      else if (list) {
        const i = list.indexOf(r);
        if (i >= 0) bestOf[i] = route;
      }
    }
    const best = bestOf.filter((x): x is Route => x !== undefined);
    const step = this.stepOf(f, pid);
    return step === undefined ? { family: f.family, prefix, candidates, best } : { family: f.family, prefix, candidates, best, step };
  }

  get(family: Family, prefix: string): PrefixEntry | undefined {
    const f = this.fams[family];
    const pid = f.pt.find(prefix);
    return pid >= 0 && f.hasCandidates(pid) ? this.entry(f, pid) : undefined;
  }

  *entries(family: Family): IterableIterator<PrefixEntry> {
    const f = this.fams[family];
    for (let pid = 0; pid < f.pt.limit; pid++) if (f.pt.live(pid) && f.hasCandidates(pid)) yield this.entry(f, pid);
  }

  size(family: Family): number {
    return this.fams[family].present;
  }

  /**
   * The best-path changes since the last drain, one per prefix, in the state they ended in.
   * `views`: ChangeViews that build prefix text and Routes only when read — for consumers done
   * with them before the RIB changes again (the Adj-RIB-Outs in the daemon's tick).
   */
  drain(views = false, max = Infinity): BestChange[] {
    const out: BestChange[] = [];
    this.drainEach(max, (f, pid) => {
      const step = this.stepOf(f, pid);
      if (views) out.push(new ChangeView(this, f, pid, step));
      else {
        const prefix = f.pt.text(pid);
        const best = this.bestRoutes(f, pid, prefix);
        out.push(step === undefined ? { family: f.family, prefix, best, id: pid } : { family: f.family, prefix, best, step, id: pid });
      }
    });
    return out;
  }

  /** drain(true) as a ChangeBatch (this Loc-RIB's one, refilled). */
  drainBatch(max = Infinity): ChangeBatch {
    const batch = this.batch;
    batch.n = 0;
    this.drainEach(max, (f, pid) => {
      const r = f.best[pid]!;
      const fam = f.family === 'ipv4' ? 0 : 1;
      if (r >= 0) batch.push(fam, pid, f.acc[r]!, f.src[r]!);
      else batch.push(fam, pid, r === NONE ? NO_BEST : MANY, 0);
    });
    return batch;
  }

  /** Hand out at most `max` dirty prefixes, family by family, and clear them; the rest stay dirty, in order. */
  private drainEach(max: number, fn: (f: FamilyRib, pid: number) => void): void {
    let left = max;
    for (const f of Object.values(this.fams)) {
      this.releaseDeferred(f);
      const n = Math.min(f.dirtyN, left);
      left -= n;
      for (let i = 0; i < n; i++) {
        const pid = f.dirtyList[i]!;
        fn(f, pid);
        f.state[pid]! &= ~2;
        if (f.state[pid] === 1 && !f.hasRoutes(pid)) {
          f.state[pid] = 0;
          if (f.deferredN === f.deferred.length) f.deferred = grown(f.deferred, f.deferredN * 2);
          f.deferred[f.deferredN++] = pid;
        }
      }
      f.dirtyList.copyWithin(0, n, f.dirtyN);
      f.dirtyN -= n;
    }
  }

  /**
   * The ids of prefixes gone at a drain are given back at the next one (the drain's batch names
   * them until then); now, for both families, when nothing reads that batch any more.
   */
  releaseDeferredIds(): void {
    for (const f of Object.values(this.fams)) this.releaseDeferred(f);
  }

  private releaseDeferred(f: FamilyRib): void {
    for (let i = 0; i < f.deferredN; i++) f.pt.release(f.deferred[i]!);
    f.deferredN = 0;
  }

  pendingChanges(): number {
    return this.fams.ipv4.dirtyN + this.fams.ipv6.dirtyN;
  }

}

function sameList(a: readonly (number | Route)[], b: readonly (number | Route)[] | undefined): boolean {
  if (!b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function applyResolution(r: Route, res: Resolution): void {
  r.resolved = res.resolved;
  r.igpCost = res.igpCost;
  if (res.gateway !== undefined || r.gateway !== undefined) r.gateway = res.gateway;
}
