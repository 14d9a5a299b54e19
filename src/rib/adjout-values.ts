// What an Adj-RIB-Out's keys go out with (adjout.ts keeps the per-key state and packs UPDATEs):
// export results, computed once per attribute set where the export filter allows, as interned set
// ids or Lazy exports, and their encoding in the per-key Int32Arrays.

import { sameAttrs } from './attrs-pack.js';
import type { AttrStore } from './attrs.js';
import { ChangeView } from './change-view.js';
import { exportFilter, rewriteForPeer } from './export.js';
import type { ExportContext } from './export.js';
import type { BestChange, Family, PathAttrs, Route, RouteSource } from './types.js';

/**
 * The export of every route that shares one interned attribute set (and source and family) and
 * that the export filter left unchanged: BGP's rewrite then gives the same result for all of
 * them, so it is computed once per set, and the peer's state holds this shared object instead of
 * an output attribute set per prefix. The rewritten set (`out`) is kept only while prefixes of
 * the group are pending, and never interned: the Lazy itself is the group's key. Once sent it is
 * dropped, and recomputed when needed again (a comparison, a route refresh, routectl). The set it
 * was made from (`inId`) is held in the store while the Lazy has any holder: pending keys (`n`),
 * sent keys or the memo (`keep`).
 */
export class Lazy {
  out: PathAttrs | undefined = undefined;
  n = 0;
  keep = 0;
  constructor(
    /** Its index in OutValues.lazies: what the per-key arrays store for it. */
    readonly idx: number,
    readonly source: RouteSource,
    readonly family: Family,
    readonly inId: number,
  ) {}
}

/** What a key is (to be) announced with: an interned set's id holding a store reference, or a Lazy export. */
export type Out = number | Lazy;

/**
 * The per-key arrays are Int32Arrays (a JS array of a million values and Lazy pointers cost twice
 * the memory, and every store of a young Lazy into it was a slot the scavenger had to visit): a
 * value is a set id (≥ 0), NO_VALUE, WITHDRAWN (pending only), or the Lazy of index i as -3 - i.
 */
export const NO_VALUE = -1;
export const WITHDRAWN = -2;

/** The export results of one Adj-RIB-Out, with the references they hold. */
export class OutValues {
  /**
   * Export results for routes whose filter left the attributes as they were: the rewrite then
   * depends only on (attributes, source, family), shared by many prefixes. Keyed by the id of the
   * set as received, while its Lazy has holders.
   */
  private readonly rewritten: (Lazy | undefined)[] = [];
  /** Every Lazy with holders, by index (what the per-key arrays store). */
  private readonly lazies: (Lazy | undefined)[] = [];
  private readonly freeLazies: number[] = [];
  /**
   * The export of the last route seen, for the next with the same attributes, source and family
   * (the prefixes of one UPDATE arrive together) while the filter is prefix-independent. It holds
   * a store reference on `inId` and on a plain `out`, or is a holder of a Lazy one.
   */
  private memo: { inId: number; source: RouteSource; family: Family; out: Out | null } | undefined;
  private memoOn = false;

  constructor(private readonly opts: ExportContext & { store: AttrStore }) {}

  /** A batch of changes begins: the memo starts empty, and is used if the filter allows. */
  begin(): void {
    this.forgetMemo();
    const filter = this.opts.filter;
    this.memoOn = !filter || filter.perAttributes === true;
  }

  /** A value goes from pending to sent: a plain set's reference passes on, a Lazy counts one more sent key. */
  sent(v: Out): void {
    if (typeof v === 'number') return;
    v.keep++;
    this.drop(v);
  }

  /** A sent value is forgotten: its reference goes. */
  unsent(v: Out): void {
    if (typeof v === 'number') this.opts.store.releaseId(v);
    else this.unkeep(v);
  }

  forgetMemo(): void {
    const m = this.memo;
    if (!m) return;
    this.memo = undefined;
    this.opts.store.releaseId(m.inId);
    if (typeof m.out === 'number') this.opts.store.releaseId(m.out);
    else if (m.out) this.unkeep(m.out);
  }

  /** exported(best[0]); a ChangeView meeting the memo is answered without building its Route. */
  exportedBest(change: BestChange): Out | null {
    const m = this.memo;
    if (m && this.memoOn && change instanceof ChangeView && change.family === m.family) {
      if (change.singleAttrsId() === m.inId && change.singleSource() === m.source) return this.again(m.out);
    }
    const route = change.best[0];
    return route ? this.exported(route) : null;
  }

  /** What to send a route with (a reference or a pending count taken), or null. */
  exported(route: Route): Out | null {
    if (!this.memoOn) return this.exportNow(route);
    const { store } = this.opts;
    const inId = store.idOf(route.attrs);
    const m = this.memo;
    if (m && inId >= 0 && m.inId === inId && m.source === route.source && m.family === route.family) return this.again(m.out);
    this.forgetMemo();
    const out = this.exportNow(route);
    if (inId < 0) return out;
    store.retainId(inId);
    if (typeof out === 'number') store.retainId(out);
    else if (out) out.keep++;
    this.memo = { inId, source: route.source, family: route.family, out };
    return out;
  }

  /** One more holder of an export result. */
  private again(out: Out | null): Out | null {
    if (out === null) return out;
    if (typeof out !== 'number') return this.hold(out);
    this.opts.store.retainId(out);
    return out;
  }

  private exportNow(route: Route): Out | null {
    const { store } = this.opts;
    const filtered = exportFilter(route, this.opts);
    if (!filtered) return null;
    if (filtered !== route.attrs) {
      const out = rewriteForPeer(route, filtered, this.opts);
      return out && store.internId(out, true);
    }
    // A reference on the set as received, for the Lazy (a route's set need not be this store's).
    const inId = store.internId(filtered);
    const hit = this.rewritten[inId];
    if (hit && hit.source === route.source && hit.family === route.family) {
      store.releaseId(inId);
      return this.hold(hit);
    }
    // Without a next hop the route cannot go out (rare: no address of the family on the session).
    const raw = rewriteForPeer(route, filtered, this.opts);
    if (!raw) {
      store.releaseId(inId);
      return null;
    }
    const lazy = new Lazy(this.freeLazies.pop() ?? this.lazies.length, route.source, route.family, inId);
    this.lazies[lazy.idx] = lazy;
    lazy.out = raw;
    this.keepRewritten(inId, lazy);
    return this.hold(lazy);
  }

  /** An array indexed by set id (dense: ids are small and reused): grown in one step, not by holes. */
  private keepRewritten(inId: number, lazy: Lazy): void {
    const list = this.rewritten;
    while (list.length < inId) list.push(undefined);
    list[inId] = lazy;
  }

  /** One more pending key for `lazy` (its rewritten set is made when it is sent). */
  hold(lazy: Lazy): Lazy {
    lazy.n++;
    return lazy;
  }

  /** A value leaves pending, or is not kept: give back what it holds. */
  drop(v: Out | null): void {
    if (v === null) return;
    if (typeof v === 'number') {
      this.opts.store.releaseId(v);
      return;
    }
    if (--v.n === 0) {
      v.out = undefined;
      this.bury(v);
    }
  }

  /** A sent key or the memo lets go of a Lazy. */
  unkeep(lazy: Lazy): void {
    lazy.keep--;
    this.bury(lazy);
  }

  /** A Lazy without holders is forgotten, and its set as received let go. */
  private bury(lazy: Lazy): void {
    if (lazy.n > 0 || lazy.keep > 0) return;
    if (this.rewritten[lazy.inId] === lazy) this.rewritten[lazy.inId] = undefined;
    this.lazies[lazy.idx] = undefined;
    this.freeLazies.push(lazy.idx);
    this.opts.store.releaseId(lazy.inId);
  }

  /** The rewritten attributes of a Lazy group (not interned; a new object, the caller's to hand over). */
  rewrite(lazy: Lazy): PathAttrs {
    const attrs = this.opts.store.attrs(lazy.inId);
    const out = rewriteForPeer({ source: lazy.source, family: lazy.family, attrs }, attrs, this.opts);
    // exported() only makes a Lazy whose rewrite has a next hop, and the rewrite depends on nothing else.
    if (!out) throw new Error('export rewrite lost its next hop');
    return out;
  }

  /** A value as the per-key arrays store it. */
  code(v: Out | null): number {
    if (v === null) return WITHDRAWN;
    return typeof v === 'number' ? v : -3 - v.idx;
  }

  value(code: number): Out | null | undefined {
    if (code >= 0) return code;
    if (code === NO_VALUE) return undefined;
    return code === WITHDRAWN ? null : this.lazies[-3 - code]!;
  }

  /** The attributes a value goes out with (a pending Lazy keeps them until they are sent). */
  outAttrs(v: Out): PathAttrs {
    if (typeof v === 'number') return this.opts.store.attrs(v);
    if (v.n === 0) return this.rewrite(v);
    return (v.out ??= this.rewrite(v));
  }

  /**
   * Whether pending value `v` announces what `sent` did. Two ids are equal only if they are one
   * id (interned); a Lazy is one rewrite of one set, so another value is compared by content.
   */
  same(v: Out | null, sent: Out | null): boolean {
    if (v === sent) return true;
    if (v === null || sent === null) return false;
    if (typeof v === 'number' && typeof sent === 'number') return false;
    return sameAttrs(this.outAttrs(v), this.outAttrs(sent));
  }
}
