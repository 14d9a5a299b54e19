// The RIB: per-peer Adj-RIB-In (pre-policy, so a policy change re-runs import without a route
// refresh), import (rib-import.ts: loop checks, the import filter) and max-prefix, graceful-restart
// stale routes, the RIB's own sources, and the Loc-RIB with its change log. Everything runs to completion per
// call; the daemon drains the best-path changes once per event-loop tick.

import { endOfRib, wireKeys } from '../bgp/wire/index.js';
import type { Nlri, UpdateFinding, UpdateMessage } from '../bgp/wire/index.js';
import type { Config, StaticRouteConfig } from '../config/types.js';
import { AttrStore } from './attrs.js';
import { routesOf } from './attrs-wire.js';
import type { NlriField, NlriHolder, RouteSink } from './attrs-wire.js';
import type { ChangeBatch } from './change-view.js';
import type { DecisionConfig } from './decision.js';
import { grown } from './grown.js';
import { LocRib, NONE, STALE } from './locrib.js';
import type { FamilyRib, PrefixEntry } from './locrib.js';
import type { Resolution } from './nexthop.js';
import type { PrefixTable } from './ptable.js';
import { Importer } from './rib-import.js';
import type { ImportState } from './rib-import.js';
import { addressSortKey, canonicalPrefix } from './prefix.js';
import { buildConnected, buildKernel, buildStatic } from './sources.js';
import type { Built } from './sources.js';
import type { BestChange, ConnectedRoute, Family, ImportFilter, KernelRoute, PathAttrs, PeerInfo, RouteSource } from './types.js';

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

interface PeerState extends ImportState {
  /** The peer's index in the Loc-RIB's records. */
  src: number;
  opts: PeerOptions;
  up: boolean;
  /** Adj-RIB-In size (records), accepted routes, stale routes. */
  received: number;
  accepted: number;
  stale: number;
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

function hasTreatAsWithdraw(findings: readonly UpdateFinding[]): boolean {
  for (const f of findings) if (f.action === 'treat-as-withdraw') return true;
  return false;
}

export class Rib {
  readonly store: AttrStore;
  private cfg: RibConfig;
  private readonly loc: LocRib;
  private readonly peers = new Map<string, PeerState>();
  /** Peer indexes free for reuse (an index stays taken while the peer has routes). */
  private readonly freeSrc: number[] = [];
  private staticRoutes = new Map<string, Built>();
  private connected = new Map<string, Built>();
  private kernel = new Map<string, Built>();
  private readonly importer: Importer;
  /** The applyUpdate call under way (one at a time: the RIB runs each call to completion). */
  private readonly call: { state?: PeerState; treatAsWithdraw: boolean; announced: number; withdrawn: number } = { treatAsWithdraw: false, announced: 0, withdrawn: 0 };
  /** Where routesOf hands an UPDATE's lists: made once, not per UPDATE. */
  private readonly sink: RouteSink = {
    withdraw: (family, holder, field) => {
      this.call.withdrawn += this.withdrawList(this.call.state!, family, holder, field);
    },
    announce: (family, holder, attrs) => {
      // RFC 7606 §2: treat-as-withdraw withdraws every prefix the UPDATE announces.
      const c = this.call;
      if (c.treatAsWithdraw) c.withdrawn += this.withdrawList(c.state!, family, holder, 'nlri');
      else c.announced += this.announceList(c.state!, family, holder, attrs);
    },
  };

  constructor(cfg: RibConfig, opts: { store?: AttrStore } = {}) {
    this.cfg = cfg;
    this.store = opts.store ?? new AttrStore();
    this.loc = new LocRib(decisionConfig(cfg), this.store);
    this.importer = new Importer(this.store);
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
    const source: RouteSource = { kind: 'bgp', peer: info };
    if (state) {
      state.info = info;
      state.source = source;
      this.setOptions(state, opts);
      state.up = true;
      this.loc.sources[state.src] = { source, order: addressSortKey(info.address) };
      return;
    }
    const src = this.freeSrc.pop() ?? this.loc.sources.length;
    this.loc.sources[src] = { source, order: addressSortKey(info.address) };
    this.peers.set(info.address, { info, source, src, opts, up: true, received: 0, accepted: 0, stale: 0, refused: 0, limitReported: false, memo: undefined, perAttributes: false });
  }

  private setOptions(state: PeerState, opts: PeerOptions): void {
    state.opts = opts;
    this.importer.forgetMemo(state);
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
    this.importer.forgetMemo(state);
    if (!opts.gracefulRestart) {
      for (const family of FAMILIES) this.eachRecord(state, family, (f, pid, r) => this.withdrawRecord(state, f, pid, r));
      this.dropPeer(state);
      return;
    }
    for (const family of FAMILIES) {
      this.eachRecord(state, family, (f, _pid, r) => {
        if (f.flags[r]! & STALE) return;
        f.flags[r]! |= STALE;
        state.stale++;
      });
    }
  }

  private dropPeer(state: PeerState): void {
    this.peers.delete(state.info.address);
    this.loc.sources[state.src] = undefined;
    this.freeSrc.push(state.src);
  }

  /**
   * Call `fn` for every record of a peer in a family. The records are listed first, so `fn` may
   * remove the one it is given.
   */
  private eachRecord(state: PeerState, family: Family, fn: (f: FamilyRib, pid: number, r: number) => void): void {
    const f = this.loc.fams[family];
    let found = new Int32Array(64);
    let n = 0;
    for (let pid = 0; pid < f.pt.limit; pid++) {
      for (let r = f.head[pid]!; r !== NONE; r = f.next[r]!) {
        if (f.src[r] !== state.src) continue;
        found = grown(found, n + 2);
        found[n++] = pid;
        found[n++] = r;
      }
    }
    for (let i = 0; i < n; i += 2) fn(f, found[i]!, found[i + 1]!);
  }

  /** Drop the still-stale routes of a peer (End-of-RIB for a family, or the restart timer). Returns how many. */
  sweepStale(address: string, family?: Family): number {
    const state = this.peers.get(address);
    if (!state) return 0;
    let swept = 0;
    for (const fam of family ? [family] : FAMILIES) {
      this.eachRecord(state, fam, (f, pid, r) => {
        if ((f.flags[r]! & STALE) === 0) return;
        this.withdrawRecord(state, f, pid, r);
        swept++;
      });
    }
    if (!state.up && state.received === 0) this.dropPeer(state);
    return swept;
  }

  // ---- UPDATEs ----

  /**
   * Apply one decoded UPDATE from a peer, with the codec's findings: RFC 7606 §2 treat-as-withdraw
   * withdraws every prefix the UPDATE announces. `as4`: the session negotiated 4-octet ASNs.
   */
  applyUpdate(address: string, msg: UpdateMessage, findings: readonly UpdateFinding[], as4: boolean): UpdateResult {
    const state = this.requirePeer(address);
    this.importer.readFilter(state);
    const eor = endOfRib(msg);
    if (eor) {
      const family = eor.safi === 1 ? ({ 1: 'ipv4', 2: 'ipv6' } as const)[eor.afi] : undefined;
      if (family) this.sweepStale(address, family);
      return family ? { announced: 0, withdrawn: 0, endOfRib: family } : { announced: 0, withdrawn: 0 };
    }
    const call = this.call;
    call.state = state;
    call.treatAsWithdraw = hasTreatAsWithdraw(findings);
    call.announced = 0;
    call.withdrawn = 0;
    routesOf(msg, as4, this.sink);
    call.state = undefined;
    const result: UpdateResult = { announced: call.announced, withdrawn: call.withdrawn };
    const exceeded = this.checkLimit(state);
    if (exceeded) result.maxPrefixExceeded = exceeded;
    return result;
  }

  /**
   * Withdraw the prefixes of holder[field]: from the codec's prefix keys while the list is unread
   * (no prefix text), else from its Nlri objects. Returns how many routes went.
   */
  private withdrawList(state: PeerState, family: Family, holder: NlriHolder, field: NlriField): number {
    const k = wireKeys(holder, field);
    let n = 0;
    if (!k) {
      for (const x of holder[field] ?? []) n += this.withdraw(state, family, x);
      return n;
    }
    const f = this.loc.fams[family];
    const keys = k.keys;
    const stride = k.stride;
    if (k.count > 1) f.pt.warm(keys, k.start, k.end, stride);
    for (let o = k.start, end = k.end; o < end; o += stride) n += this.withdrawId(state, f, f.pt.findKey(keys, o, keys[o + stride - 2]!), keys[o + stride - 1]!);
    return n;
  }

  /** Announce the prefixes of holder.nlri with `attrs` (as received), keys first as in withdrawList. */
  private announceList(state: PeerState, family: Family, holder: NlriHolder, attrs: PathAttrs): number {
    // Made from this UPDATE alone: its lists become the interned set's, not copied.
    const raw = this.store.internId(attrs, true);
    const k = wireKeys(holder, 'nlri');
    let n = 0;
    if (!k) {
      for (const x of holder.nlri ?? []) {
        this.store.retainId(raw);
        this.announceOne(state, family, x.prefix, x.pathId ?? 0, raw);
        n++;
      }
    } else {
      const f = this.loc.fams[family];
      const keys = k.keys;
      const stride = k.stride;
      if (k.count > 1) f.pt.warm(keys, k.start, k.end, stride);
      for (let o = k.start, end = k.end; o < end; o += stride, n++) {
        const pid = this.loc.acquireKey(f, keys, o, keys[o + stride - 2]!);
        // The codec hands out lengths it checked against the family's maximum.
        if (pid < 0) throw new RangeError(`not an ${family} prefix length: ${keys[o + stride - 2]!}`);
        this.store.retainId(raw);
        this.place(state, f, pid, keys[o + stride - 1]!, raw);
      }
    }
    this.store.releaseId(raw);
    return n;
  }

  /** Announce one route from a peer with attributes as received (e.g. from an MRT dump or a test). */
  announce(address: string, family: Family, nlri: Nlri, attrs: PathAttrs): UpdateResult {
    const state = this.requirePeer(address);
    this.importer.readFilter(state);
    this.announceOne(state, family, nlri.prefix, nlri.pathId ?? 0, this.store.internId(attrs));
    const exceeded = this.checkLimit(state);
    return exceeded ? { announced: 1, withdrawn: 0, maxPrefixExceeded: exceeded } : { announced: 1, withdrawn: 0 };
  }

  withdrawRoute(address: string, family: Family, nlri: Nlri): UpdateResult {
    return { announced: 0, withdrawn: this.withdraw(this.requirePeer(address), family, nlri) };
  }

  /** Run import again over a peer's Adj-RIB-In (a policy change: no route refresh needed). */
  reimport(address: string, opts?: PeerOptions): UpdateResult {
    const state = this.requirePeer(address);
    if (opts) this.setOptions(state, opts);
    else this.importer.forgetMemo(state);
    this.importer.readFilter(state);
    for (const family of FAMILIES) {
      this.eachRecord(state, family, (f, pid, r) => {
        const raw = f.raw[r]!;
        const oldAcc = f.acc[r]!;
        const acc = this.limitDrop(state, oldAcc !== NONE, this.importer.importId(state, this.cfg, f, pid, raw));
        if (acc === oldAcc) {
          // Same outcome: nothing changes downstream.
          if (acc !== NONE) this.store.releaseId(acc);
          return;
        }
        const stale = f.flags[r]! & STALE;
        this.store.retainId(raw);
        this.loc.update(f, pid, r, raw, acc);
        f.flags[r] = stale;
        state.accepted += (acc !== NONE ? 1 : 0) - (oldAcc !== NONE ? 1 : 0);
      });
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
  private announceOne(state: PeerState, family: Family, prefix: string, pathId: number, raw: number): void {
    const f = this.loc.fams[family];
    const pid = this.loc.acquire(f, prefix);
    if (pid < 0) {
      // Not a prefix of the family (the codec only produces valid ones; a caller's mistake).
      this.store.releaseId(raw);
      throw new RangeError(`not an ${family} prefix: ${prefix}`);
    }
    this.place(state, f, pid, pathId, raw);
  }

  /** The route of (peer, path id) at a prefix the Loc-RIB holds, new or replaced; `raw` carries a reference for it. */
  private place(state: PeerState, f: FamilyRib, pid: number, pathId: number, raw: number): void {
    const r = this.loc.findRecord(f, pid, state.src, pathId);
    const wasAccepted = r !== NONE && f.acc[r] !== NONE;
    const acc = this.limitDrop(state, wasAccepted, this.importer.importId(state, this.cfg, f, pid, raw));
    if (r === NONE) {
      this.loc.insert(f, pid, state.src, pathId, raw, acc);
      state.received++;
    } else {
      // A route received again is no longer stale.
      if (f.flags[r]! & STALE) state.stale--;
      this.loc.update(f, pid, r, raw, acc);
    }
    state.accepted += (acc !== NONE ? 1 : 0) - (wasAccepted ? 1 : 0);
  }

  /** RFC 4271-style max-prefix with action drop: a new accepted route over the limit is refused. */
  private limitDrop(state: PeerState, wasAccepted: boolean, acc: number): number {
    const limit = state.opts.maxPrefix;
    if (acc === NONE || wasAccepted || limit?.action !== 'drop' || state.accepted < limit.limit) return acc;
    this.store.releaseId(acc);
    state.refused++;
    return NONE;
  }

  private withdraw(state: PeerState, family: Family, n: Nlri): number {
    const f = this.loc.fams[family];
    return this.withdrawId(state, f, f.pt.find(n.prefix), n.pathId ?? 0);
  }

  /** Withdraw (peer, path id) at a prefix id (-1: a prefix not held); 1 if there was such a route. */
  private withdrawId(state: PeerState, f: FamilyRib, pid: number, pathId: number): number {
    if (pid < 0) return 0;
    const r = this.loc.findRecord(f, pid, state.src, pathId);
    if (r === NONE) return 0;
    this.withdrawRecord(state, f, pid, r);
    return 1;
  }

  private withdrawRecord(state: PeerState, f: FamilyRib, pid: number, r: number): void {
    if (f.acc[r] !== NONE) state.accepted--;
    if (f.flags[r]! & STALE) state.stale--;
    state.received--;
    this.loc.remove(f, pid, r);
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
      this.loc.upsertOther(b.route);
    }
    this.loc.settle();
  }

  /** A kernel route went away (a netlink event). */
  removeKernel(prefix: string): void {
    const key = canonicalPrefix(prefix)?.prefix;
    const have = key === undefined ? undefined : this.kernel.get(key);
    if (!have || key === undefined) return;
    this.kernel.delete(key);
    this.loc.removeOther(have.route);
    this.loc.settle();
  }

  private sync(current: Map<string, Built>, next: Map<string, Built>): Map<string, Built> {
    for (const [key, b] of current) {
      if (next.get(key)?.sig !== b.sig) this.loc.removeOther(b.route);
    }
    for (const [key, b] of next) {
      const have = current.get(key);
      if (have && have.sig === b.sig) {
        this.store.release(b.route.attrs);
        next.set(key, have);
      } else {
        this.loc.upsertOther(b.route);
      }
    }
    this.loc.settle();
    return next;
  }

  // ---- Output and queries ----

  /**
   * Best-path changes since the last call, coalesced per prefix (for the FIB and Adj-RIB-Outs).
   * `views`: lazy ChangeViews, to be read before the RIB changes again (LocRib.drain). At most
   * `max` changes: the rest come in the next drains, in order (pendingChanges() counts them).
   */
  drainChanges(views = false, max = Infinity): BestChange[] {
    return this.loc.drain(views, max);
  }

  /** drainChanges(true, max) as arrays with run keys (LocRib.drainBatch): for the Adj-RIB-Outs' enqueueBatch. */
  drainBatch(max = Infinity): ChangeBatch {
    return this.loc.drainBatch(max);
  }

  /** Changes not drained yet. */
  pendingChanges(): number {
    return this.loc.pendingChanges();
  }

  /** The current best set of every prefix of a family (an Adj-RIB-Out's initial dump). */
  *bestRoutes(family: Family): IterableIterator<BestChange> {
    const f = this.loc.fams[family];
    // No prefix held (a session's export starting on an empty RIB, at start-up): no walk at all.
    if (f.pt.size === 0) return;
    for (let pid = 0; pid < f.pt.limit; pid++) {
      if (!f.pt.live(pid) || f.best[pid] === NONE) continue;
      const prefix = f.pt.text(pid);
      yield { family, prefix, best: this.loc.bestRoutes(f, pid, prefix), id: pid };
    }
  }

  /**
   * After the warm-up, its changes drained and consumed: the ids of its last prefixes given back,
   * then both prefix tables' free ids above their highest held one forgotten (PrefixTable.trim).
   */
  trimPrefixIds(): void {
    this.loc.releaseDeferredIds();
    this.loc.fams.ipv4.pt.trim();
    this.loc.fams.ipv6.pt.trim();
  }

  /** The prefix tables the ids in BestChange records refer to (for Adj-RIB-Outs). */
  get prefixTables(): Readonly<Record<Family, PrefixTable>> {
    return { ipv4: this.loc.fams.ipv4.pt, ipv6: this.loc.fams.ipv6.pt };
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
    const views: AdjInView[] = [];
    this.eachRecord(state, family, (f, pid, r) => {
      const acc = f.acc[r]!;
      views.push({ prefix: f.pt.text(pid), pathId: f.pathId[r]!, attrs: this.store.attrs(f.raw[r]!), accepted: acc !== NONE, stale: (f.flags[r]! & STALE) !== 0 });
    });
    yield* views;
  }

  peerStats(address: string): { received: number; accepted: number; stale: number; up: boolean } | undefined {
    const state = this.peers.get(address);
    if (!state) return undefined;
    return { received: state.received, accepted: state.accepted, stale: state.stale, up: state.up };
  }
}

function decisionConfig(cfg: RibConfig): DecisionConfig {
  return { preference: cfg.preference, bestPath: cfg.bestPath };
}
