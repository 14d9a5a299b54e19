// Next-hop resolution: a BGP route is usable only when its next hop resolves, by longest match,
// through a connected, static or kernel route (never through BGP routes), recursively through
// static routes that have next hops. Resolutions are cached per next-hop address with a count of
// the routes that use it: a change of the IGP routes re-resolves each distinct next hop once and
// reports those whose resolution changed. Which prefixes use them is the caller's to find (the
// Loc-RIB walks its table, as BIRD's next-hop update does): a per-next-hop index of dependents
// would cost a hash entry per route for an event that is rare next to route churn.

import { addressBytes, familyOfAddress, isLinkLocal, maskedPrefix, prefixLength } from './prefix.js';
import type { Family, Route } from './types.js';

export interface Resolution {
  resolved: boolean;
  /** The resolving route's metric (connected: 0). */
  igpCost: number;
  /** The prefix of the route the next hop resolved through. */
  via?: string;
  /** The directly reachable address packets to this next hop are sent to. */
  gateway?: string;
  interface?: string;
}

const UNRESOLVED: Resolution = Object.freeze({ resolved: false, igpCost: 0 });
/** Static routes through static routes: deeper chains are taken as loops. */
const MAX_DEPTH = 8;

interface Tracked {
  resolution: Resolution;
  /** Routes using this next hop. */
  refs: number;
}

function sameResolution(a: Resolution, b: Resolution): boolean {
  return a.resolved === b.resolved && a.igpCost === b.igpCost && a.via === b.via && a.gateway === b.gateway && a.interface === b.interface;
}

export class NextHopResolver {
  /** Per family: prefix length → network text → the preferred non-BGP route there. */
  private readonly tables: Record<Family, Map<number, Map<string, Route>>> = { ipv4: new Map(), ipv6: new Map() };
  /** Prefix lengths present per family, longest first. */
  private readonly lengths: Record<Family, number[]> = { ipv4: [], ipv6: [] };
  private readonly tracked = new Map<string, Tracked>();

  /** Set (or with undefined, remove) the route that next hops resolve through at `prefix`. */
  setIgpRoute(family: Family, prefix: string, route: Route | undefined): void {
    const len = prefixLength(prefix);
    const table = this.tables[family];
    let atLen = table.get(len);
    if (route) {
      if (!atLen) {
        table.set(len, (atLen = new Map()));
        this.lengths[family] = [...table.keys()].sort((x, y) => y - x);
      }
      atLen.set(prefix, route);
    } else if (atLen) {
      atLen.delete(prefix);
      if (atLen.size === 0) {
        table.delete(len);
        this.lengths[family] = [...table.keys()].sort((x, y) => y - x);
      }
    }
  }

  /** Resolve an address now (uncached). `exclude`: a prefix not to resolve through (a static route's own). */
  resolve(addr: string, exclude?: string, depth = 0): Resolution {
    if (depth > MAX_DEPTH) return UNRESOLVED;
    // An IPv6 link-local next hop is on the link the route was learned over.
    if (isLinkLocal(addr)) return { resolved: true, igpCost: 0, gateway: addr };
    const bytes = addressBytes(addr);
    if (!bytes) return UNRESOLVED;
    const family = familyOfAddress(addr);
    const table = this.tables[family];
    for (const len of this.lengths[family]) {
      const prefix = maskedPrefix(bytes, len);
      if (prefix === exclude) continue;
      const route = table.get(len)?.get(prefix);
      if (route) return this.through(route, addr, depth);
    }
    return UNRESOLVED;
  }

  private through(route: Route, addr: string, depth: number): Resolution {
    // Longest match decides: a blackhole or unreachable route there makes the next hop unreachable.
    if (route.type !== 'unicast') return UNRESOLVED;
    const igpCost = route.metric ?? 0;
    const via = route.prefix;
    const s = route.source;
    if (s.kind === 'connected') return { resolved: true, igpCost: 0, via, gateway: addr, interface: s.interface };
    if (s.kind === 'kernel') return { resolved: true, igpCost, via, gateway: route.attrs.nextHop || addr, interface: route.interface };
    if (s.kind === 'static' && !route.attrs.nextHop) return { resolved: true, igpCost, via, gateway: addr, interface: route.interface };
    if (s.kind !== 'static') return UNRESOLVED;
    const inner = this.resolve(route.attrs.nextHop, route.prefix, depth + 1);
    if (!inner.resolved) return UNRESOLVED;
    return { resolved: true, igpCost, via, gateway: inner.gateway, interface: inner.interface };
  }

  /** Record one more route using next hop `addr`; returns its (cached) resolution. */
  track(addr: string): Resolution {
    let t = this.tracked.get(addr);
    if (!t) {
      t = { resolution: this.resolve(addr), refs: 0 };
      this.tracked.set(addr, t);
    }
    t.refs++;
    return t.resolution;
  }

  /** Undo one `track(addr)`. */
  untrack(addr: string): void {
    const t = this.tracked.get(addr);
    if (!t) return;
    if (--t.refs <= 0) this.tracked.delete(addr);
  }

  /** The cached resolution of a tracked next hop, else a fresh one. */
  lookup(addr: string): Resolution {
    return this.tracked.get(addr)?.resolution ?? this.resolve(addr);
  }

  /**
   * After IGP routes changed: re-resolve every tracked next hop and return those whose resolution
   * changed (address → new resolution), for the caller to re-evaluate the routes using them.
   */
  refresh(): Map<string, Resolution> {
    const changed = new Map<string, Resolution>();
    for (const [addr, t] of this.tracked) {
      const now = this.resolve(addr);
      if (sameResolution(now, t.resolution)) continue;
      t.resolution = now;
      changed.set(addr, now);
    }
    return changed;
  }

  /** Distinct next hops tracked. */
  get trackedCount(): number {
    return this.tracked.size;
  }
}
