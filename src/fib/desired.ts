// What the forwarding plane should hold for a prefix, from its Loc-RIB best set (desiredOf), and
// the same state interned as a small id (Shapes): a full table has a million prefixes but only as
// many distinct forwarding states as it has next-hop sets, so the FIB manager keeps one id per
// prefix and one object per state. Two prefixes with the same id want the same kernel route
// (apart from the prefix) and the same XDP action.

import type { RouteSpec } from './kernel/batch.js';
import type { FibFamily, FibNextHop, FibRoute } from './types.js';
import type { BestChange, Route } from '../rib/types.js';

/** Where a prefix should be: the kernel route to install, and what XDP should do. */
export interface Desired {
  kernel?: FibRoute;
  xdp?: { kind: 'pass' | 'blackhole' | 'unreachable' } | { kind: 'forward'; hops: { gateway: string; ifindex?: number; interface?: string }[] };
}

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

/** One interned forwarding state. */
export interface Shape {
  id: number;
  family: FibFamily;
  /** The kernel route without its prefix (absent: no kernel route). */
  kernel?: RouteSpec;
  xdp?: Desired['xdp'];
  /** Prefixes whose installed or pending state is this shape. */
  refs: number;
  key: string;
  /** The fast-path entry (family, gateway, interface) that leads here, removed with the shape. */
  quick?: [FibFamily, string, string];
}

/** Shape id 0: nothing wanted (the prefix is withdrawn). */
export const NO_SHAPE = 0;

/**
 * Interned shapes with reference counts. The common best set — one BGP route through a
 * resolved gateway — is found by (family, gateway, interface) in two Map lookups on strings the
 * RIB already holds; anything else goes through desiredOf and a text key.
 */
export class Shapes {
  private readonly byId: (Shape | undefined)[] = [undefined];
  private readonly byKey = new Map<string, Shape>();
  private readonly free: number[] = [];
  private readonly quick: Record<FibFamily, Map<string, Map<string, Shape>>> = { ipv4: new Map(), ipv6: new Map() };

  get(id: number): Shape | undefined {
    return this.byId[id];
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The shape of a best set (not referenced yet: the caller refs what it keeps). */
  of(c: BestChange): number {
    const best = c.best;
    if (best.length === 0) return NO_SHAPE;
    const r = best.length === 1 ? best[0]! : undefined;
    const simple = r !== undefined && r.type === 'unicast' && r.source.kind !== 'connected' && r.source.kind !== 'kernel';
    // NUL stands for "none": no address or interface name contains it.
    const gw = (simple ? r.gateway ?? (r.attrs.nextHop || undefined) : undefined) ?? '\0';
    const iface = r?.interface ?? '\0';
    if (simple) {
      const hit = this.quick[c.family].get(gw)?.get(iface);
      if (hit) return hit.id;
    }
    const s = this.intern(c.family, desiredOf(c));
    if (simple && !s.quick) {
      const fam = this.quick[c.family];
      let byIf = fam.get(gw);
      if (!byIf) fam.set(gw, (byIf = new Map()));
      byIf.set(iface, s);
      s.quick = [c.family, gw, iface];
    }
    return s.id;
  }

  /** The shape of a kernel route as it is (adopted from a previous run). */
  ofRoute(r: FibRoute): number {
    return this.intern(r.family, { kernel: r }).id;
  }

  /** The shape of a desired state (family and prefix of its kernel route aside). */
  intern(family: FibFamily, d: Desired): Shape {
    const k = d.kernel && { kind: d.kernel.kind, nextHops: d.kernel.nextHops, metric: d.kernel.metric };
    const key = `${family}|${JSON.stringify([k, d.xdp])}`;
    let s = this.byKey.get(key);
    if (s) return s;
    const id = this.free.pop() ?? this.byId.length;
    const kernel: RouteSpec | undefined = d.kernel && { family, kind: d.kernel.kind, nextHops: d.kernel.nextHops, ...(d.kernel.metric !== undefined ? { metric: d.kernel.metric } : {}) };
    s = { id, family, refs: 0, key, ...(kernel ? { kernel } : {}), ...(d.xdp ? { xdp: d.xdp } : {}) };
    this.byId[id] = s;
    this.byKey.set(key, s);
    return s;
  }

  ref(id: number): void {
    if (id !== NO_SHAPE) this.byId[id]!.refs++;
  }

  unref(id: number): void {
    if (id === NO_SHAPE) return;
    const s = this.byId[id]!;
    if (--s.refs > 0) return;
    this.byKey.delete(s.key);
    if (s.quick) this.quick[s.quick[0]].get(s.quick[1])?.delete(s.quick[2]);
    this.byId[id] = undefined;
    this.free.push(id);
  }
}
