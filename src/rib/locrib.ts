// The Loc-RIB: per family, prefix text → the routes of every source for that prefix and the
// selected best set. It keeps next hops resolved (through NextHopResolver, re-evaluating only
// the routes whose next hops' resolution an IGP change alters) and collects best-path changes,
// coalesced per prefix, until the daemon drains them once per tick.

import type { AttrStore } from './attrs.js';
import { compareRoutes, selectBest } from './decision.js';
import type { DecisionConfig } from './decision.js';
import { addressSortKey } from './prefix.js';
import { NextHopResolver } from './nexthop.js';
import type { Resolution } from './nexthop.js';
import type { BestChange, DecisionStep, Family, Route } from './types.js';

export interface PrefixEntry {
  family: Family;
  prefix: string;
  /** Every source's routes, kept in a fixed source order so selection never depends on arrival. */
  candidates: Route[];
  best: readonly Route[];
  step?: DecisionStep;
}

/** The Loc-RIB's own record: a prefix entry with its place in the change log. */
interface Entry extends PrefixEntry {
  dirty: boolean;
}

const NO_ROUTES: readonly Route[] = Object.freeze([]);

const KIND_ORDER = { connected: 0, static: 1, kernel: 2, bgp: 3 } as const;

function sourceKey(r: Route): string {
  const s = r.source;
  if (s.kind === 'bgp') return addressSortKey(s.peer.address);
  return s.kind === 'connected' ? s.interface : '';
}

/** Candidate order: by source, then path id. Two routes at 0 come from the same source and path. */
function candidateOrder(a: Route, b: Route): number {
  const k = KIND_ORDER[a.source.kind] - KIND_ORDER[b.source.kind];
  if (k !== 0) return k;
  const ka = sourceKey(a);
  const kb = sourceKey(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.pathId - b.pathId;
}

function sameList(a: readonly Route[], b: readonly Route[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Routes whose usability depends on a next hop the resolver tracks. */
const needsTracking = (r: Route): boolean => r.source.kind === 'bgp' && r.attrs.nextHop !== '';
/** Static routes with a next hop: resolved through the other IGP routes, never through themselves. */
const isStaticVia = (r: Route): boolean => r.source.kind === 'static' && r.type === 'unicast' && r.attrs.nextHop !== '';

function applyResolution(r: Route, res: Resolution): void {
  // Assigned, never deleted: a delete turns the route into a slow dictionary object, and
  // readers test the values, not the keys.
  r.resolved = res.resolved;
  r.igpCost = res.igpCost;
  if (res.gateway !== undefined || r.gateway !== undefined) r.gateway = res.gateway;
  if (r.source.kind === 'bgp' && (res.interface !== undefined || r.interface !== undefined)) r.interface = res.interface;
}

export class LocRib {
  private readonly tables: Record<Family, Map<string, Entry>> = { ipv4: new Map(), ipv6: new Map() };
  /**
   * Entries whose best set changed since the last drain, in order of first change. A flag on the
   * entry and an array instead of a Map keyed by prefix: no per-prefix hash entry on the bulk path.
   */
  private readonly dirty: Record<Family, Entry[]> = { ipv4: [], ipv6: [] };
  /**
   * Dirty entries that lost their last candidate and left the table before the drain: a route
   * for the same prefix arriving meanwhile revives the same entry, so a drain still reports one
   * change per prefix.
   */
  private readonly gone: Record<Family, Map<string, Entry>> = { ipv4: new Map(), ipv6: new Map() };
  readonly resolver = new NextHopResolver();
  /** Entries holding static routes with next hops: re-resolved whenever IGP routes change. */
  private readonly staticVia = new Set<Entry>();
  private igpChanged = false;

  constructor(
    private cfg: DecisionConfig,
    private readonly store: AttrStore,
  ) {}

  setDecisionConfig(cfg: DecisionConfig): void {
    this.cfg = cfg;
    for (const family of ['ipv4', 'ipv6'] as const) for (const e of this.tables[family].values()) this.reselect(e);
  }

  get(family: Family, prefix: string): PrefixEntry | undefined {
    return this.tables[family].get(prefix);
  }

  entries(family: Family): IterableIterator<PrefixEntry> {
    return this.tables[family].values();
  }

  size(family: Family): number {
    return this.tables[family].size;
  }

  /** Add a route, replacing the one from the same source with the same path id. Takes over its attrs reference. */
  upsert(route: Route): void {
    const table = this.tables[route.family];
    let entry = table.get(route.prefix);
    if (!entry) {
      entry = this.gone[route.family].get(route.prefix);
      if (entry) this.gone[route.family].delete(route.prefix);
      else entry = { family: route.family, prefix: route.prefix, candidates: [], best: NO_ROUTES, step: undefined, dirty: false };
      table.set(route.prefix, entry);
      // The common case, a prefix's first route: an array of exactly one element (push or
      // splice into [] would reserve room for 17).
      entry.candidates = [route];
      this.attach(route, entry);
      this.reselect(entry);
      return;
    }
    const list = this.ownCandidates(entry);
    let i = 0;
    while (i < list.length && candidateOrder(list[i]!, route) < 0) i++;
    const old = list[i];
    if (old && candidateOrder(old, route) === 0) {
      this.detach(old, entry);
      list[i] = route;
    } else {
      list.splice(i, 0, route);
    }
    this.attach(route, entry);
    this.reselect(entry);
  }

  /** Remove a route (the candidate from its source and path id); releases its attrs reference. */
  remove(route: Route): void {
    const entry = this.tables[route.family].get(route.prefix);
    if (!entry) return;
    const i = entry.candidates.findIndex((c) => candidateOrder(c, route) === 0);
    if (i < 0) return;
    const list = this.ownCandidates(entry);
    this.detach(list[i]!, entry);
    list.splice(i, 1);
    this.reselect(entry);
  }

  /**
   * The candidates array, safe to change in place: a prefix with one usable route shares one
   * array between `candidates` and `best` (drained changes may still hold it), so it is copied
   * before its first change.
   */
  private ownCandidates(entry: Entry): Route[] {
    if (entry.candidates === entry.best) entry.candidates = entry.candidates.slice();
    return entry.candidates;
  }

  private attach(route: Route, entry: Entry): void {
    if (needsTracking(route)) applyResolution(route, this.resolver.track(route.attrs.nextHop));
    if (route.source.kind === 'bgp') return;
    if (isStaticVia(route)) {
      applyResolution(route, this.resolver.resolve(route.attrs.nextHop, route.prefix));
      this.staticVia.add(entry);
    }
    this.igpRouteChanged(entry);
  }

  private detach(route: Route, entry: Entry): void {
    if (needsTracking(route)) this.resolver.untrack(route.attrs.nextHop);
    this.store.release(route.attrs);
    if (route.source.kind === 'bgp') return;
    // The entry's IGP route is re-derived from the candidates left (called before removal,
    // so the departing route is skipped explicitly).
    this.igpRouteChanged(entry, route);
  }

  /** The route next hops resolve through at this prefix: the preferred non-BGP candidate. */
  private igpRouteChanged(entry: Entry, leaving?: Route): void {
    let igp: Route | undefined;
    for (const c of entry.candidates) {
      if (c.source.kind === 'bgp' || c === leaving) continue;
      if (!igp || compareRoutes(c, igp, this.cfg).order < 0) igp = c;
    }
    this.resolver.setIgpRoute(entry.family, entry.prefix, igp);
    if (!entry.candidates.some((c) => c !== leaving && isStaticVia(c))) this.staticVia.delete(entry);
    this.igpChanged = true;
  }

  /** Re-run selection for one prefix; record a change when the best set differs. */
  private reselect(entry: Entry, force = false): void {
    const sel = selectBest(entry.candidates, this.cfg);
    entry.step = sel.step;
    // One candidate that is best (most prefixes of a full table): `best` is the candidates
    // array itself, not a second one-element array per prefix.
    const list = entry.candidates;
    const shared = sel.best.length === 1 && list.length === 1 && sel.best[0] === list[0] ? list : sel.best;
    if (force || !sameList(sel.best, entry.best)) {
      entry.best = shared;
      if (!entry.dirty) {
        entry.dirty = true;
        this.dirty[entry.family].push(entry);
      }
    } else if (shared === list) {
      entry.best = list;
    }
    if (entry.candidates.length === 0) {
      this.tables[entry.family].delete(entry.prefix);
      if (entry.dirty) this.gone[entry.family].set(entry.prefix, entry);
    }
  }

  /**
   * After IGP routes changed: re-resolve static next hops, then every tracked next hop, and
   * re-evaluate the prefixes that depend on those whose resolution changed.
   */
  settle(): void {
    if (!this.igpChanged) return;
    this.igpChanged = false;
    for (const entry of this.staticVia) {
      let bestTouched = false;
      for (const r of entry.candidates) {
        if (!isStaticVia(r)) continue;
        applyResolution(r, this.resolver.resolve(r.attrs.nextHop, r.prefix));
        bestTouched ||= entry.best.includes(r);
      }
      this.reselect(entry, bestTouched);
    }
    const changed = this.resolver.refresh();
    if (changed.size === 0) return;
    // The work is one pass over the table per IGP change that alters a next hop's resolution.
    for (const family of ['ipv4', 'ipv6'] as const) {
      for (const entry of this.tables[family].values()) this.reresolve(entry, changed);
    }
  }

  private reresolve(entry: Entry, changed: ReadonlyMap<string, Resolution>): void {
    let touched = false;
    let bestTouched = false;
    for (const r of entry.candidates) {
      const resolution = needsTracking(r) ? changed.get(r.attrs.nextHop) : undefined;
      if (!resolution) continue;
      applyResolution(r, resolution);
      touched = true;
      bestTouched ||= entry.best.includes(r);
    }
    // A best route whose gateway or cost changed is a change for the FIB even if it stays best.
    if (touched) this.reselect(entry, bestTouched);
  }

  /** The best-path changes since the last drain, one per prefix, in the state they ended in. */
  drain(): BestChange[] {
    const out: BestChange[] = [];
    for (const family of ['ipv4', 'ipv6'] as const) {
      for (const e of this.dirty[family]) {
        e.dirty = false;
        out.push(e.step === undefined ? { family, prefix: e.prefix, best: e.best } : { family, prefix: e.prefix, best: e.best, step: e.step });
      }
      this.dirty[family] = [];
      this.gone[family].clear();
    }
    return out;
  }

  pendingChanges(): number {
    return this.dirty.ipv4.length + this.dirty.ipv6.length;
  }
}
