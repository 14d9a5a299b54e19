// What an Adj-RIB-Out's keys go out with (adjout.ts keeps the per-key state and packs UPDATEs):
// export results, computed once per attribute set where the export filter allows, as interned set
// ids or Lazy exports, and their encoding in the per-key Int32Arrays.

import type { CodecContext } from '../bgp/wire/index.js';
import { encodeHead } from './attrs-head.js';
import { rewrittenHead } from './attrs-head-rewrite.js';
import { sameAttrs } from './attrs-pack.js';
import type { AttrStore } from './attrs.js';
import { ChangeView } from './change-view.js';
import { grown } from './grown.js';
import { exportFilter, peerRewrite, rewriteForPeer, rewrittenNextHop } from './export.js';
import type { ExportContext, PeerRewrite } from './export.js';
import type { BestChange, Family, PathAttrs, Route, RouteSource } from './types.js';

/**
 * What a key goes out with, as the per-key arrays store it: an interned set's id (≥ 0, holding a
 * store reference), or a Lazy export as -3 - its index. NO_VALUE and WITHDRAWN are the arrays'
 * other states (nothing; a withdrawal, pending only).
 *
 * A Lazy export is the export of every route that shares one interned attribute set (and source
 * and family) and that the export filter left unchanged: BGP's rewrite then gives the same result
 * for all of them, so it is computed once per set, and the peer's state refers to it instead of
 * an output set per prefix. Its UPDATE head is written from the set as received, the rewrite
 * applied as it is written (attrs-head-rewrite.ts): no rewritten set is made for it. One is made
 * only when asked for (a comparison, routectl, a set that writer leaves to the generic way), kept
 * while keys with it are pending, and never interned: the Lazy itself is the group's key. The
 * rewrite depends only on the route source and family (PeerRewrite, one per pair). The set it was made from is held
 * in the store while the Lazy has any holder: pending keys, sent keys or the memo. Lazy state is
 * a few typed arrays indexed by Lazy (a quarter million objects were ~16 MiB and work for the
 * collector).
 */
export type Out = number;
export const NO_VALUE = -1;
export const WITHDRAWN = -2;

/** Whether a value is a Lazy export (else an interned set's id). */
export const isLazy = (v: Out): boolean => v <= -3;
const lazyOf = (idx: number): Out => -3 - idx;
const indexOf = (v: Out): number => -3 - v;

/** A Lazy export's index (what the per-Lazy arrays are indexed by). */
export const lazyIndex = indexOf;

const FAMILY_CODE: Record<Family, number> = { ipv4: 0, ipv6: 1 };
const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

/** The export results of one Adj-RIB-Out, with the references they hold. */
export class OutValues {
  // Per Lazy index: the set as received (a store reference), pending keys, other holders (sent
  // keys, the memo), the route source (an index into `sources`) and family.
  private lzIn = new Int32Array(1024);
  private lzPending = new Int32Array(1024);
  private lzKeep = new Int32Array(1024);
  private lzSrc = new Int32Array(1024);
  private lzFam = new Uint8Array(1024);
  private lzTop = 0;
  private readonly freeLazies: number[] = [];
  /** The rewritten sets made of Lazy exports that have pending keys, by index. */
  private readonly pendingOut = new Map<number, PathAttrs>();
  /** Per set id as received: 1 + the index of its Lazy while it has holders, else 0. */
  private rewritten = new Int32Array(1024);
  /** Route sources of Lazy exports, with a count of the Lazies that use each. */
  private readonly sources: (RouteSource | undefined)[] = [];
  private readonly sourceIds = new Map<RouteSource, number>();
  private sourceUse = new Int32Array(16);
  /** The rewrite of Lazy exports per route source index and family (2 * source + family code). */
  private rewrites: (PeerRewrite | undefined)[] = [];
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

  /** A per-key array's entry as a value: undefined for NO_VALUE, null for WITHDRAWN. */
  value(code: number): Out | null | undefined {
    if (code === NO_VALUE) return undefined;
    return code === WITHDRAWN ? null : code;
  }

  /** A value as a per-key array's entry. */
  code(v: Out | null): number {
    return v === null ? WITHDRAWN : v;
  }

  /** A value goes from pending to sent: a plain set's reference passes on, a Lazy counts one more sent key. */
  sent(v: Out): void {
    if (!isLazy(v)) return;
    this.lzKeep[indexOf(v)]!++;
    this.drop(v);
  }

  /** A sent value is forgotten: its reference goes. */
  unsent(v: Out): void {
    if (isLazy(v)) this.unkeep(v);
    else this.opts.store.releaseId(v);
  }

  forgetMemo(): void {
    const m = this.memo;
    if (!m) return;
    this.memo = undefined;
    this.opts.store.releaseId(m.inId);
    if (m.out !== null) this.unsent(m.out);
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

  /**
   * What to send a route with (a reference or a pending count taken), or null. `knownId`: the id of
   * its attributes in the store when the caller has it (a change batch's run key): looking it up
   * on the object is a private-field test over attribute objects of many shapes (megamorphic:
   * ~1 % of the main thread at 100k).
   */
  exported(route: Route, knownId?: number): Out | null {
    if (!this.memoOn) return this.exportNow(route);
    const { store } = this.opts;
    const inId = knownId ?? store.idOf(route.attrs);
    const m = this.memo;
    if (m && inId >= 0 && m.inId === inId && m.source === route.source && m.family === route.family) return this.again(m.out);
    this.forgetMemo();
    const out = this.exportNow(route);
    if (inId < 0) return out;
    store.retainId(inId);
    if (out !== null) {
      if (isLazy(out)) this.lzKeep[indexOf(out)]!++;
      else store.retainId(out);
    }
    this.memo = { inId, source: route.source, family: route.family, out };
    return out;
  }

  /** Whether routes sharing a set, source and family share an export (the filter allows it; after begin()). */
  get perSet(): boolean {
    return this.memoOn;
  }

  /** One more holder of an export result. */
  again(out: Out | null): Out | null {
    if (out === null) return out;
    if (isLazy(out)) return this.hold(out);
    this.opts.store.retainId(out);
    return out;
  }

  /** exported() without the memo. */
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
    const hit = inId < this.rewritten.length ? this.rewritten[inId]! - 1 : -1;
    if (hit >= 0 && this.sources[this.lzSrc[hit]!] === route.source && this.lzFam[hit] === FAMILY_CODE[route.family]) {
      store.releaseId(inId);
      return this.hold(lazyOf(hit));
    }
    // Without a next hop the route cannot go out (rare: no address of the family on the session).
    const src = this.sourceId(route.source);
    if (!rewrittenNextHop(this.rewriteOf(src, FAMILY_CODE[route.family]), store.nextHop(inId))) {
      this.unuseSource(src);
      store.releaseId(inId);
      return null;
    }
    return this.hold(lazyOf(this.newLazy(inId, src, route.family)));
  }

  /** A new Lazy export of set `inId` (its reference) from source index `src` (one use of it). */
  private newLazy(inId: number, src: number, family: Family): number {
    const idx = this.freeLazies.pop() ?? this.lzTop++;
    if (idx >= this.lzIn.length) {
      this.lzIn = grown(this.lzIn, idx + 1);
      this.lzPending = grown(this.lzPending, idx + 1);
      this.lzKeep = grown(this.lzKeep, idx + 1);
      this.lzSrc = grown(this.lzSrc, idx + 1);
      this.lzFam = grown(this.lzFam, idx + 1);
    }
    this.lzIn[idx] = inId;
    this.lzPending[idx] = 0;
    this.lzKeep[idx] = 0;
    this.lzSrc[idx] = src;
    this.lzFam[idx] = FAMILY_CODE[family];
    this.rewritten = grown(this.rewritten, inId + 1);
    this.rewritten[inId] = idx + 1;
    return idx;
  }

  /** The index of a route source, one more Lazy using it. */
  private sourceId(source: RouteSource): number {
    let id = this.sourceIds.get(source);
    if (id === undefined) {
      id = this.sources.indexOf(undefined);
      if (id < 0) id = this.sources.length;
      this.sources[id] = source;
      this.sourceIds.set(source, id);
      this.sourceUse = grown(this.sourceUse, id + 1);
      // Both families' rewrite slots exist from here on, so rewriteOf reads and writes within
      // the list: the first IPv6 rewrite of a new source read, then stored, past its end, and
      // each threw the compiled export away ("out of bounds") at a real session's first IPv6 set.
      this.rewrites[2 * id] = undefined;
      this.rewrites[2 * id + 1] = undefined;
    }
    this.sourceUse[id]!++;
    return id;
  }

  /** One Lazy fewer uses a route source index: the last frees it. */
  private unuseSource(src: number): void {
    if (--this.sourceUse[src]! > 0) return;
    this.sourceIds.delete(this.sources[src]!);
    this.sources[src] = undefined;
    this.rewrites[2 * src] = undefined;
    this.rewrites[2 * src + 1] = undefined;
  }

  /** The rewrite of Lazy exports from source index `src` in the family of code `fam`. */
  private rewriteOf(src: number, fam: number): PeerRewrite {
    const at = 2 * src + fam;
    return (this.rewrites[at] ??= peerRewrite(this.sources[src]!, FAMILIES[fam]!, this.opts));
  }

  /** One more pending key for a Lazy export (its head is written when it is sent). */
  hold(v: Out): Out {
    this.lzPending[indexOf(v)]!++;
    return v;
  }

  /** A value leaves pending, or is not kept: give back what it holds. */
  drop(v: Out | null): void {
    if (v === null) return;
    if (!isLazy(v)) {
      this.opts.store.releaseId(v);
      return;
    }
    const idx = indexOf(v);
    if (--this.lzPending[idx]! === 0) {
      this.pendingOut.delete(idx);
      this.bury(idx);
    }
  }

  /** A sent key or the memo lets go of a Lazy export. */
  unkeep(v: Out): void {
    const idx = indexOf(v);
    this.lzKeep[idx]!--;
    this.bury(idx);
  }

  /** A Lazy without holders is forgotten, and its set as received let go. */
  private bury(idx: number): void {
    if (this.lzPending[idx]! > 0 || this.lzKeep[idx]! > 0) return;
    const inId = this.lzIn[idx]!;
    if (this.rewritten[inId] === idx + 1) this.rewritten[inId] = 0;
    this.unuseSource(this.lzSrc[idx]!);
    this.freeLazies.push(idx);
    this.opts.store.releaseId(inId);
  }

  /** The rewritten attributes of a Lazy export (not interned; a new object). */
  private rewrite(idx: number): PathAttrs {
    const attrs = this.opts.store.attrs(this.lzIn[idx]!);
    const lazy = { source: this.sources[this.lzSrc[idx]!]!, family: FAMILIES[this.lzFam[idx]!]!, attrs };
    const out = rewriteForPeer(lazy, attrs, this.opts);
    // exportNow only makes a Lazy whose rewrite has a next hop, and the rewrite depends on nothing else.
    if (!out) throw new Error('export rewrite lost its next hop');
    return out;
  }

  /** The attributes a value goes out with (a pending Lazy keeps them until they are sent). */
  outAttrs(v: Out): PathAttrs {
    if (!isLazy(v)) return this.opts.store.attrs(v);
    const idx = indexOf(v);
    if (this.lzPending[idx] === 0) return this.rewrite(idx);
    let out = this.pendingOut.get(idx);
    if (!out) this.pendingOut.set(idx, (out = this.rewrite(idx)));
    return out;
  }

  /**
   * Writes the UPDATE head (no withdrawn routes, no NLRI) that pending value `v` goes out with to
   * `family` over a session with `codec` at out[at..] (room for the session's largest message
   * there: the message's own place in the batch, so that it is not copied), and returns its length
   * n, or -1 where none can be sent (encodeHead's undefined). The bytes are encodeHead(outAttrs(v),
   * codec, family)'s, a Lazy export's written from the packed set as received with the rewrite
   * applied (no rewritten set made) wherever attrs-head-rewrite.ts reproduces them.
   */
  headInto(v: Out, codec: CodecContext, family: Family, out: Buffer, at: number): number {
    if (isLazy(v)) {
      const idx = indexOf(v);
      const { store } = this.opts;
      const inId = this.lzIn[idx]!;
      const rw = this.rewriteOf(this.lzSrc[idx]!, this.lzFam[idx]!);
      const n = rewrittenHead(out, at, store.packedArena(), store.packedAt(inId), store.nextHop(inId), rw, codec, family);
      if (n >= 0) return n;
    }
    const head = encodeHead(this.outAttrs(v), codec, family);
    if (!head) return -1;
    // The whole buffer: Buffer.copy makes no view for it.
    head.copy(out, at);
    return head.length;
  }

  /**
   * Whether pending value `v` announces what `sent` did. Two ids are equal only if they are one
   * id (interned); a Lazy is one rewrite of one set, so another value is compared by content.
   */
  same(v: Out | null, sent: Out | null): boolean {
    if (v === sent) return true;
    if (v === null || sent === null) return false;
    if (!isLazy(v) && !isLazy(sent)) return false;
    return sameAttrs(this.outAttrs(v), this.outAttrs(sent));
  }
}
