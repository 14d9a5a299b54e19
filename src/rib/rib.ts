// The RIB: per-peer Adj-RIB-In (pre-policy, so a policy change re-runs import without a route
// refresh), import (loop checks, the import filter, max-prefix), graceful-restart stale routes,
// the RIB's own sources, and the Loc-RIB with its change log. Everything runs to completion per
// call; the daemon drains the best-path changes once per event-loop tick.

import { endOfRib } from '../bgp/wire/index.js';
import type { Nlri, UpdateFinding, UpdateMessage } from '../bgp/wire/index.js';
import type { Config, StaticRouteConfig } from '../config/types.js';
import { AttrStore, updateRoutes } from './attrs.js';
import type { DecisionConfig } from './decision.js';
import { LocRib } from './locrib.js';
import type { PrefixEntry } from './locrib.js';
import type { Resolution } from './nexthop.js';
import { canonicalPrefix } from './prefix.js';
import { buildConnected, buildKernel, buildStatic } from './sources.js';
import type { Built } from './sources.js';
import type { BestChange, ConnectedRoute, Family, ImportFilter, KernelRoute, PathAttrs, PeerInfo, Route, RouteSource } from './types.js';

/** The part of the configuration the RIB reads. */
export type RibConfig = Pick<Config, 'localAs' | 'routerId' | 'clusterId' | 'preference' | 'bestPath'>;

export interface PeerOptions {
  /** Absent: accept everything (RFC 8212's default is the policy engine's to apply). */
  importFilter?: ImportFilter;
  maxPrefix?: { limit: number; action: 'warn' | 'reset' | 'drop' };
}

export interface UpdateResult {
  /** Prefixes announced / withdrawn by the UPDATE (treat-as-withdraw counts as withdrawn). */
  announced: number;
  withdrawn: number;
  /** The family an End-of-RIB marker closed, after its stale routes were swept. */
  endOfRib?: Family;
  /** Set on the UPDATE that took the accepted count over the peer's limit. */
  maxPrefixExceeded?: { accepted: number; limit: number; action: 'warn' | 'reset' | 'drop' };
}

interface PeerState {
  info: PeerInfo;
  source: RouteSource;
  opts: PeerOptions;
  up: boolean;
  /**
   * Adj-RIB-In: prefix (or prefix#path-id with ADD-PATH) → the route, which carries what was
   * received (`received`) and whether import accepted it (`accepted`: then it is in the Loc-RIB).
   */
  adjIn: Record<Family, Map<string, Route>>;
  accepted: number;
  /** Routes a max-prefix `drop` limit refused during the current call. */
  refused: number;
  /** The current excess over the limit has been reported. */
  limitReported: boolean;
}

export interface AdjInView {
  prefix: string;
  pathId: number;
  attrs: PathAttrs;
  accepted: boolean;
  stale: boolean;
}

const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];
const keyOf = (prefix: string, pathId: number): string => (pathId === 0 ? prefix : flat(`${prefix}#${pathId}`));
let _sink = 0;
/**
 * The codec builds prefix text with template literals: a cons string of three or four heap
 * objects. Reading a character flattens it in place and the GC then drops the cons wrappers, so
 * the text every table shares costs one flat string (the result goes to `_sink` so that the
 * optimiser keeps the read).
 */
function flat(s: string): string {
  _sink ^= s.charCodeAt(0);
  return s;
}
const inPath = (attrs: PathAttrs, asn: number): boolean => attrs.asPath.some((s) => s.asns.includes(asn));

export class Rib {
  readonly store: AttrStore;
  private cfg: RibConfig;
  private readonly loc: LocRib;
  private readonly peers = new Map<string, PeerState>();
  private staticRoutes = new Map<string, Built>();
  private connected = new Map<string, Built>();
  private kernel = new Map<string, Built>();
  private readonly loopMemo: { raw?: PathAttrs; info?: PeerInfo; cfg?: RibConfig; looped: boolean } = { looped: false };

  constructor(cfg: RibConfig, opts: { store?: AttrStore } = {}) {
    this.cfg = cfg;
    this.store = opts.store ?? new AttrStore();
    this.loc = new LocRib(decisionConfig(cfg), this.store);
  }

  /** New preferences or best-path options: every prefix is selected again. */
  setConfig(cfg: RibConfig): void {
    this.cfg = cfg;
    this.loc.setDecisionConfig(decisionConfig(cfg));
  }

  // ---- Peers ----

  /** Session Established. A peer that comes back after a graceful restart keeps its stale routes. */
  peerUp(info: PeerInfo, opts: PeerOptions = {}): void {
    const state = this.peers.get(info.address);
    if (state) {
      state.info = info;
      state.source = { kind: 'bgp', peer: info };
      state.opts = opts;
      state.up = true;
      return;
    }
    this.peers.set(info.address, {
      info,
      source: { kind: 'bgp', peer: info },
      opts,
      up: true,
      adjIn: { ipv4: new Map(), ipv6: new Map() },
      accepted: 0,
      refused: 0,
      limitReported: false,
    });
  }

  /**
   * Session lost. RFC 4724 §4.2: for a peer that advertised graceful restart we are the helper:
   * its routes are kept and marked stale until End-of-RIB or the restart timer (`sweepStale`).
   * Otherwise its routes go now.
   */
  peerDown(address: string, opts: { gracefulRestart: boolean } = { gracefulRestart: false }): void {
    const state = this.peers.get(address);
    if (!state) return;
    state.up = false;
    if (!opts.gracefulRestart) {
      for (const family of FAMILIES) for (const r of [...state.adjIn[family].values()]) this.withdrawEntry(state, family, r);
      this.peers.delete(address);
      return;
    }
    for (const family of FAMILIES) {
      for (const r of state.adjIn[family].values()) r.stale = true;
    }
  }

  /** Drop the still-stale routes of a peer (End-of-RIB for a family, or the restart timer). Returns how many. */
  sweepStale(address: string, family?: Family): number {
    const state = this.peers.get(address);
    if (!state) return 0;
    let swept = 0;
    for (const f of family ? [family] : FAMILIES) {
      for (const r of [...state.adjIn[f].values()]) {
        if (!r.stale) continue;
        this.withdrawEntry(state, f, r);
        swept++;
      }
    }
    if (!state.up && state.adjIn.ipv4.size === 0 && state.adjIn.ipv6.size === 0) this.peers.delete(address);
    return swept;
  }

  // ---- UPDATEs ----

  /**
   * Apply one decoded UPDATE from a peer, with the codec's findings: RFC 7606 §2 treat-as-withdraw
   * withdraws every prefix the UPDATE announces. `as4`: the session negotiated 4-octet ASNs.
   */
  applyUpdate(address: string, msg: UpdateMessage, findings: readonly UpdateFinding[], as4: boolean): UpdateResult {
    const state = this.requirePeer(address);
    const eor = endOfRib(msg);
    if (eor) {
      const family = eor.safi === 1 ? ({ 1: 'ipv4', 2: 'ipv6' } as const)[eor.afi] : undefined;
      if (family) this.sweepStale(address, family);
      return family ? { announced: 0, withdrawn: 0, endOfRib: family } : { announced: 0, withdrawn: 0 };
    }
    const wire = updateRoutes(msg, as4);
    const treatAsWithdraw = findings.some((f) => f.action === 'treat-as-withdraw');
    const result: UpdateResult = { announced: 0, withdrawn: 0 };
    for (const w of wire.withdraw) for (const n of w.nlri) result.withdrawn += this.withdraw(state, w.family, n);
    for (const a of wire.announce) {
      if (treatAsWithdraw) {
        for (const n of a.nlri) result.withdrawn += this.withdraw(state, a.family, n);
        continue;
      }
      const shared = this.store.intern(a.attrs);
      for (const n of a.nlri) this.announceOne(state, a.family, flat(n.prefix), n.pathId ?? 0, this.store.intern(shared));
      this.store.release(shared);
      result.announced += a.nlri.length;
    }
    const exceeded = this.checkLimit(state);
    if (exceeded) result.maxPrefixExceeded = exceeded;
    return result;
  }

  /** Announce one route from a peer with attributes as received (e.g. from an MRT dump or a test). */
  announce(address: string, family: Family, nlri: Nlri, attrs: PathAttrs): UpdateResult {
    const state = this.requirePeer(address);
    this.announceOne(state, family, flat(nlri.prefix), nlri.pathId ?? 0, this.store.intern(attrs));
    const exceeded = this.checkLimit(state);
    return exceeded ? { announced: 1, withdrawn: 0, maxPrefixExceeded: exceeded } : { announced: 1, withdrawn: 0 };
  }

  withdrawRoute(address: string, family: Family, nlri: Nlri): UpdateResult {
    return { announced: 0, withdrawn: this.withdraw(this.requirePeer(address), family, nlri) };
  }

  /** Run import again over a peer's Adj-RIB-In (a policy change: no route refresh needed). */
  reimport(address: string, opts?: PeerOptions): UpdateResult {
    const state = this.requirePeer(address);
    if (opts) state.opts = opts;
    for (const family of FAMILIES) {
      for (const old of [...state.adjIn[family].values()]) {
        const route = this.importRoute(state, family, old.prefix, old.pathId, old.received!);
        if (route.accepted && old.accepted && route.attrs === old.attrs) {
          // Same outcome: keep the route object, so nothing changes downstream.
          this.store.release(route.attrs);
          continue;
        }
        if (!route.accepted && !old.accepted) continue;
        // The new route takes over the old one's reference on the received attributes.
        route.stale = old.stale;
        this.replace(state, family, old, route);
      }
    }
    const exceeded = this.checkLimit(state);
    return exceeded ? { announced: 0, withdrawn: 0, maxPrefixExceeded: exceeded } : { announced: 0, withdrawn: 0 };
  }

  private requirePeer(address: string): PeerState {
    const state = this.peers.get(address);
    if (!state) throw new Error(`RIB: no peer ${address} (peerUp first)`);
    return state;
  }

  /** `raw` carries a reference taken for this route. */
  private announceOne(state: PeerState, family: Family, prefix: string, pathId: number, raw: PathAttrs): void {
    const old = state.adjIn[family].get(pathId === 0 ? prefix : keyOf(prefix, pathId));
    // Sharing the text of the prefix already held keeps one string per prefix, not one per UPDATE.
    const route = this.importRoute(state, family, old ? old.prefix : prefix, pathId, raw);
    if (old) this.store.release(old.received!);
    this.replace(state, family, old, route);
  }

  /**
   * Put a route (new, or a new import outcome) in place of `old` in the Adj-RIB-In and the
   * Loc-RIB, enforcing a max-prefix `drop` limit. Releases `old`'s references except `received`.
   */
  private replace(state: PeerState, family: Family, old: Route | undefined, route: Route): void {
    const limit = state.opts.maxPrefix;
    const wasAccepted = old?.accepted === true;
    if (route.accepted && !wasAccepted && limit?.action === 'drop' && state.accepted >= limit.limit) {
      this.store.release(route.attrs);
      route.attrs = route.received!;
      route.accepted = false;
      state.refused++;
    }
    state.adjIn[family].set(route.pathId === 0 ? route.prefix : keyOf(route.prefix, route.pathId), route);
    if (route.accepted) this.loc.upsert(route);
    else if (old && wasAccepted) this.loc.remove(old);
    state.accepted += (route.accepted ? 1 : 0) - (wasAccepted ? 1 : 0);
  }

  private withdraw(state: PeerState, family: Family, n: Nlri): number {
    const r = state.adjIn[family].get(keyOf(n.prefix, n.pathId ?? 0));
    if (!r) return 0;
    this.withdrawEntry(state, family, r);
    return 1;
  }

  private withdrawEntry(state: PeerState, family: Family, r: Route): void {
    state.adjIn[family].delete(keyOf(r.prefix, r.pathId));
    this.store.release(r.received!);
    if (r.accepted) {
      this.loc.remove(r);
      state.accepted--;
    }
  }

  /**
   * Import: loop checks, then the import filter. Returns the route carrying `raw` as `received`
   * (no reference taken for it here); when accepted, its attributes are interned (one reference
   * taken), else they are `raw`.
   */
  private importRoute(state: PeerState, family: Family, prefix: string, pathId: number, raw: PathAttrs): Route {
    const peer = state.info;
    if (this.looped(state, raw)) return rejected(state, family, prefix, pathId, raw);
    let attrs = raw;
    if (!peer.ibgp && raw.localPref !== undefined) {
      // RFC 4271 §5.1.5: LOCAL_PREF received from an external peer is ignored.
      attrs = { ...raw };
      delete attrs.localPref;
    }
    // A route with a next hop gets its resolution fields in the literal: the Loc-RIB sets them
    // at once, and properties added later would cost each route a separate property store.
    const route = bgpRoute(state, family, prefix, pathId, raw, attrs);
    const filter = state.opts.importFilter;
    if (filter) {
      const out = filter(route, peer);
      if (!out) return rejected(state, family, prefix, pathId, raw);
      route.attrs = out;
      if (out.nextHop === '' && route.resolved !== undefined) {
        // A policy that removed the next hop: the route needs no resolution after all.
        delete route.resolved;
        delete route.igpCost;
      }
    }
    route.attrs = this.store.intern(route.attrs);
    return route;
  }

  /** The loop checks, remembered for the last set seen: every prefix of an UPDATE shares it. */
  private looped(state: PeerState, raw: PathAttrs): boolean {
    const memo = this.loopMemo;
    if (memo.raw === raw && memo.info === state.info && memo.cfg === this.cfg) return memo.looped;
    // RFC 4271 §9.1.2: a route whose AS_PATH holds our own AS is a loop and not accepted.
    let looped = inPath(raw, this.cfg.localAs);
    // RFC 4456 §8: a reflected route that carries our ORIGINATOR_ID or our CLUSTER_ID has looped.
    if (!looped && state.info.ibgp) looped = raw.originatorId === this.cfg.routerId || raw.clusterList.includes(this.cfg.clusterId);
    memo.raw = raw;
    memo.info = state.info;
    memo.cfg = this.cfg;
    memo.looped = looped;
    return looped;
  }

  /**
   * Max-prefix: report the call that took the accepted count over the limit (warn, reset) or
   * first refused a route because of it (drop); once per crossing, until the count is back under.
   */
  private checkLimit(state: PeerState): UpdateResult['maxPrefixExceeded'] {
    const limit = state.opts.maxPrefix;
    const refused = state.refused;
    state.refused = 0;
    if (!limit) return undefined;
    const over = state.accepted > limit.limit || refused > 0;
    const under = limit.action === 'drop' ? state.accepted < limit.limit : state.accepted <= limit.limit;
    if (under) state.limitReported = false;
    if (!over || state.limitReported) return undefined;
    state.limitReported = true;
    return { accepted: state.accepted, limit: limit.limit, action: limit.action };
  }

  // ---- The RIB's own sources ----

  /** Replace the static routes (a diff: unchanged routes cause no change). */
  setStatic(routes: readonly StaticRouteConfig[]): void {
    this.staticRoutes = this.sync(this.staticRoutes, buildStatic(routes, this.store));
  }

  setConnected(list: readonly ConnectedRoute[]): void {
    this.connected = this.sync(this.connected, buildConnected(list, this.store));
  }

  /** Replace the kernel routes (the daemon's netlink view of other protocols' routes). */
  setKernel(list: readonly KernelRoute[]): void {
    this.kernel = this.sync(this.kernel, buildKernel(list, this.store));
  }

  /** One kernel route added or changed (a netlink event), without re-sending the whole list. */
  addKernel(route: KernelRoute): void {
    for (const [key, b] of buildKernel([route], this.store)) {
      const have = this.kernel.get(key);
      if (have && have.sig === b.sig) {
        this.store.release(b.route.attrs);
        continue;
      }
      this.kernel.set(key, b);
      this.loc.upsert(b.route);
    }
    this.loc.settle();
  }

  /** A kernel route went away (a netlink event). */
  removeKernel(prefix: string): void {
    const key = canonicalPrefix(prefix)?.prefix;
    const have = key === undefined ? undefined : this.kernel.get(key);
    if (!have || key === undefined) return;
    this.kernel.delete(key);
    this.loc.remove(have.route);
    this.loc.settle();
  }

  private sync(current: Map<string, Built>, next: Map<string, Built>): Map<string, Built> {
    for (const [key, b] of current) {
      if (next.get(key)?.sig !== b.sig) this.loc.remove(b.route);
    }
    for (const [key, b] of next) {
      const have = current.get(key);
      if (have && have.sig === b.sig) {
        this.store.release(b.route.attrs);
        next.set(key, have);
      } else {
        this.loc.upsert(b.route);
      }
    }
    this.loc.settle();
    return next;
  }

  // ---- Output and queries ----

  /** Best-path changes since the last call, coalesced per prefix (for the FIB and Adj-RIB-Outs). */
  drainChanges(): BestChange[] {
    return this.loc.drain();
  }

  /** The current best set of every prefix of a family (an Adj-RIB-Out's initial dump). */
  *bestRoutes(family: Family): IterableIterator<BestChange> {
    for (const e of this.loc.entries(family)) if (e.best.length) yield { family, prefix: e.prefix, best: e.best };
  }

  /** Every prefix of a family with all its candidates (routectl show rib). */
  entries(family: Family): IterableIterator<Readonly<PrefixEntry>> {
    return this.loc.entries(family);
  }

  lookup(family: Family, prefix: string): Readonly<PrefixEntry> | undefined {
    return this.loc.get(family, prefix);
  }

  prefixCount(family: Family): number {
    return this.loc.size(family);
  }

  resolveNextHop(addr: string): Resolution {
    return this.loc.resolver.lookup(addr);
  }

  *adjRibIn(address: string, family: Family): IterableIterator<AdjInView> {
    const state = this.peers.get(address);
    if (!state) return;
    for (const r of state.adjIn[family].values()) {
      yield { prefix: r.prefix, pathId: r.pathId, attrs: r.received!, accepted: r.accepted === true, stale: r.stale };
    }
  }

  peerStats(address: string): { received: number; accepted: number; stale: number; up: boolean } | undefined {
    const state = this.peers.get(address);
    if (!state) return undefined;
    let received = 0;
    let stale = 0;
    for (const family of FAMILIES) {
      received += state.adjIn[family].size;
      for (const r of state.adjIn[family].values()) if (r.stale) stale++;
    }
    return { received, accepted: state.accepted, stale, up: state.up };
  }
}

/**
 * A BGP route as import builds it: one literal per shape (with or without next-hop resolution
 * fields) so that every route of a table shares a hidden class and no property is added later.
 */
function bgpRoute(state: PeerState, family: Family, prefix: string, pathId: number, raw: PathAttrs, attrs: PathAttrs): Route {
  const source = state.source;
  return attrs.nextHop === ''
    ? { family, prefix, pathId, source, type: 'unicast', attrs, stale: false, received: raw, accepted: true }
    : { family, prefix, pathId, source, type: 'unicast', attrs, stale: false, resolved: false, igpCost: 0, gateway: undefined, interface: undefined, received: raw, accepted: true };
}

/** A route import did not accept: in the Adj-RIB-In only, with the attributes as received. */
function rejected(state: PeerState, family: Family, prefix: string, pathId: number, raw: PathAttrs): Route {
  const route = bgpRoute(state, family, prefix, pathId, raw, raw);
  route.accepted = false;
  return route;
}

function decisionConfig(cfg: RibConfig): DecisionConfig {
  return { preference: cfg.preference, bestPath: cfg.bestPath };
}
