// The RIB's own route sources: static routes from the configuration, connected prefixes and
// kernel routes the daemon reads from netlink. Each is kept as key → route with a signature of
// what the route was built from, so a new list is applied as a diff: unchanged routes keep their
// objects and cause no change downstream.

import type { StaticRouteConfig } from '../config/types.js';
import { baseAttrs } from './attrs.js';
import type { AttrStore } from './attrs.js';
import { canonicalPrefix } from './prefix.js';
import type { ConnectedRoute, KernelRoute, Route, RouteSource } from './types.js';

export interface Built {
  route: Route;
  /** Equal signatures: the same route; nothing to do. */
  sig: string;
}

const STATIC: RouteSource = Object.freeze({ kind: 'static' });
const KERNEL: RouteSource = Object.freeze({ kind: 'kernel' });

function invalid(what: string, text: string): Error {
  return new RangeError(`${what}: not a prefix: ${text}`);
}

/** Static routes: one route per next hop of a `via` route (path ids 0..n-1, an ECMP set). */
export function buildStatic(list: readonly StaticRouteConfig[], store: AttrStore): Map<string, Built> {
  const out = new Map<string, Built>();
  for (const cfg of list) {
    const p = canonicalPrefix(cfg.prefix);
    if (!p) throw invalid('static route', cfg.prefix);
    const base = { family: p.family, prefix: p.prefix, source: STATIC, stale: false, metric: 0 };
    if (cfg.type === 'via') {
      cfg.via.forEach((via, pathId) => {
        const route: Route = { ...base, pathId, type: 'unicast', attrs: store.intern(baseAttrs(via)) };
        out.set(`${p.prefix}#${pathId}`, { route, sig: `via ${via}` });
      });
    } else if (cfg.type === 'interface') {
      const route: Route = { ...base, pathId: 0, type: 'unicast', interface: cfg.interface, attrs: store.intern(baseAttrs()) };
      out.set(`${p.prefix}#0`, { route, sig: `dev ${cfg.interface}` });
    } else {
      const route: Route = { ...base, pathId: 0, type: cfg.type, attrs: store.intern(baseAttrs()) };
      out.set(`${p.prefix}#0`, { route, sig: cfg.type });
    }
  }
  return out;
}

/** Connected prefixes: the network of each interface address (host bits cleared). */
export function buildConnected(list: readonly ConnectedRoute[], store: AttrStore): Map<string, Built> {
  const out = new Map<string, Built>();
  for (const c of list) {
    const p = canonicalPrefix(c.prefix);
    if (!p) throw invalid('connected route', c.prefix);
    const key = `${p.prefix}%${c.interface}`;
    if (out.has(key)) continue;
    const route: Route = {
      family: p.family,
      prefix: p.prefix,
      pathId: 0,
      source: { kind: 'connected', interface: c.interface },
      type: 'unicast',
      interface: c.interface,
      attrs: store.intern(baseAttrs()),
      stale: false,
      metric: 0,
    };
    out.set(key, { route, sig: key });
  }
  return out;
}

/** Kernel routes: one per prefix (the lowest metric when netlink reports several). */
export function buildKernel(list: readonly KernelRoute[], store: AttrStore): Map<string, Built> {
  const out = new Map<string, Built>();
  for (const k of list) {
    const p = canonicalPrefix(k.prefix);
    if (!p) throw invalid('kernel route', k.prefix);
    const metric = k.metric ?? 0;
    const have = out.get(p.prefix);
    if (have && (have.route.metric ?? 0) <= metric) continue;
    if (have) store.release(have.route.attrs);
    const route: Route = {
      family: p.family,
      prefix: p.prefix,
      pathId: 0,
      source: KERNEL,
      type: k.type ?? 'unicast',
      attrs: store.intern(baseAttrs(k.gateway ?? '')),
      stale: false,
      metric,
    };
    if (k.interface !== undefined) route.interface = k.interface;
    out.set(p.prefix, { route, sig: `${route.type} ${k.gateway ?? ''} ${k.interface ?? ''} ${metric}` });
  }
  return out;
}
