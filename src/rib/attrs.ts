// Path attributes in the RIB: interning (one frozen object per distinct set, reference counted so
// a set churned out of every table is freed). To and from the codec: attrs-wire.ts.

import type { AsPathSegment } from '../bgp/wire/index.js';
import type { PathAttrs } from './types.js';

/** The one shared empty list of every attribute set. */
export const EMPTY: readonly never[] = Object.freeze([]);

/** Attributes with every optional list empty: the base for routes the RIB originates. */
export function baseAttrs(nextHop = ''): PathAttrs {
  return {
    origin: 'IGP',
    asPath: EMPTY,
    nextHop,
    atomicAggregate: false,
    communities: EMPTY,
    extCommunities: EMPTY,
    largeCommunities: EMPTY,
    clusterList: EMPTY,
    unknown: EMPTY,
  };
}

// FNV-1a over the members, then an avalanche: equal sets hash equal; a collision costs an
// equality check. No key text is built or kept (a text key per set cost ~150 bytes).
const FNV = 0x01000193;
function mixNum(h: number, n: number): number {
  return Math.imul(h ^ (n | 0), FNV);
}
function mixStr(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV);
  return Math.imul(h ^ 0x2c, FNV);
}
function mixOpt(h: number, v: number | string | undefined): number {
  if (v === undefined) return mixNum(h, 0x7fffffff);
  return typeof v === 'number' ? mixNum(mixNum(h, 1), v) : mixStr(h, v);
}

/**
 * A hash of an attribute set: equal sets give equal hashes (attrsEqual tells collisions apart).
 * Indexed loops: for-of over the (frozen) lists allocated an iterator per list, per call.
 */
export function attrsHash(a: PathAttrs): number {
  let h = 0x811c9dc5 ^ a.origin.charCodeAt(0);
  const path = a.asPath;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    h = mixNum(h, -seg.type.charCodeAt(3));
    const asns = seg.asns;
    for (let j = 0; j < asns.length; j++) h = mixNum(h, asns[j]!);
  }
  h = mixStr(h, a.nextHop);
  h = mixOpt(h, a.nextHopLinkLocal);
  h = mixOpt(h, a.med);
  h = mixOpt(h, a.localPref);
  h = mixNum(h, a.atomicAggregate ? 1 : 0);
  if (a.aggregator) h = mixStr(mixNum(h, a.aggregator.asn), a.aggregator.address);
  const communities = a.communities;
  h = mixNum(h, communities.length);
  for (let i = 0; i < communities.length; i++) h = mixNum(h, communities[i]!);
  for (let i = 0; i < a.extCommunities.length; i++) h = mixStr(h, a.extCommunities[i]!);
  for (let i = 0; i < a.largeCommunities.length; i++) {
    const l = a.largeCommunities[i]!;
    h = mixNum(mixNum(mixNum(h, l[0]), l[1]), l[2]);
  }
  h = mixOpt(h, a.originatorId);
  for (let i = 0; i < a.clusterList.length; i++) h = mixStr(h, a.clusterList[i]!);
  h = mixOpt(h, a.otc);
  for (let i = 0; i < a.unknown.length; i++) {
    const u = a.unknown[i]!;
    h = mixStr(mixNum(mixNum(h, u.code), u.flags), u.value);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

function sameList<T>(x: readonly T[], y: readonly T[], eq: (a: T, b: T) => boolean = (a, b) => a === b): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!eq(x[i]!, y[i]!)) return false;
  return true;
}

/** Two attribute sets are equal (what interning treats as one set). */
export function attrsEqual(a: PathAttrs, b: PathAttrs): boolean {
  return (
    a.origin === b.origin &&
    a.nextHop === b.nextHop &&
    a.nextHopLinkLocal === b.nextHopLinkLocal &&
    a.med === b.med &&
    a.localPref === b.localPref &&
    a.atomicAggregate === b.atomicAggregate &&
    a.originatorId === b.originatorId &&
    a.otc === b.otc &&
    a.aggregator?.asn === b.aggregator?.asn &&
    a.aggregator?.address === b.aggregator?.address &&
    sameList(a.asPath, b.asPath, (x, y) => x.type === y.type && sameList(x.asns, y.asns)) &&
    sameList(a.communities, b.communities) &&
    sameList(a.extCommunities, b.extCommunities) &&
    sameList(a.largeCommunities, b.largeCommunities, (x, y) => x[0] === y[0] && x[1] === y[1] && x[2] === y[2]) &&
    sameList(a.clusterList, b.clusterList) &&
    sameList(a.unknown, b.unknown, (x, y) => x.code === y.code && x.flags === y.flags && x.value === y.value)
  );
}

/** Where an interned set keeps its id (non-enumerable: invisible to comparisons and JSON). */
const ID = Symbol('attrs id');
type Tagged = PathAttrs & { [ID]?: number };

/** A frozen copy of a list; every empty list is the one shared EMPTY. */
function frozenList<T, U>(list: readonly T[], copy: (item: T) => U): readonly U[] {
  return list.length === 0 ? EMPTY : Object.freeze(list.map(copy));
}

const same = <T>(x: T): T => x;

/**
 * The interned copy. Built member by member in one fixed order, optional members added only
 * when present (absent, not `undefined`, so equal sets look equal everywhere) and nothing
 * deleted: sets with the same members share one hidden class, where spreading and deleting gave
 * each set its own. The id goes in before freezing, as a non-enumerable symbol property.
 */
/**
 * One string per next-hop address: the codec makes a new one per UPDATE, and a table has a
 * quarter million sets but a handful of next hops. Bounded: cleared if it ever holds too many.
 */
const nextHops = new Map<string, string>();
function shared(text: string): string {
  const have = nextHops.get(text);
  if (have !== undefined) return have;
  if (nextHops.size >= 65536) nextHops.clear();
  nextHops.set(text, text);
  return text;
}

function frozenCopy(a: PathAttrs, id: number): PathAttrs {
  const out: PathAttrs = {
    origin: a.origin,
    asPath: frozenList(a.asPath, (s) => Object.freeze({ type: s.type, asns: Object.freeze(s.asns.slice()) as number[] })),
    nextHop: shared(a.nextHop),
    atomicAggregate: a.atomicAggregate,
    communities: frozenList(a.communities, same),
    extCommunities: frozenList(a.extCommunities, same),
    largeCommunities: frozenList(a.largeCommunities, (l) => Object.freeze([l[0], l[1], l[2]] as const)),
    clusterList: frozenList(a.clusterList, same),
    unknown: frozenList(a.unknown, (u) => Object.freeze({ code: u.code, flags: u.flags, value: u.value })),
  };
  if (a.nextHopLinkLocal !== undefined) out.nextHopLinkLocal = a.nextHopLinkLocal;
  if (a.med !== undefined) out.med = a.med;
  if (a.localPref !== undefined) out.localPref = a.localPref;
  if (a.aggregator !== undefined) out.aggregator = Object.freeze({ asn: a.aggregator.asn, address: a.aggregator.address });
  if (a.originatorId !== undefined) out.originatorId = a.originatorId;
  if (a.otc !== undefined) out.otc = a.otc;
  Object.defineProperty(out, ID, { value: id, enumerable: false });
  return Object.freeze(out);
}

/** `list` frozen where it is (each member passed to `freezeMember` first), or the shared EMPTY. */
function frozenInPlace<T>(list: readonly T[], freezeMember?: (item: T) => void): readonly T[] {
  if (list.length === 0) return EMPTY;
  if (Object.isFrozen(list)) return list;
  if (freezeMember) for (let i = 0; i < list.length; i++) freezeMember(list[i]!);
  return Object.freeze(list);
}

/** A segment kept, frozen with its ASN list (made to its exact length by the codec). */
const frozenSegment = (s: AsPathSegment): AsPathSegment => Object.freeze(Object.isFrozen(s.asns) ? s : { type: s.type, asns: Object.freeze(s.asns) as number[] });

/**
 * The interned set made from an object its caller hands over (decoded from an UPDATE, or just
 * rewritten for export) and never touches again: the top object is rebuilt in the one member
 * order, as frozenCopy does, but the lists and their members are frozen where they are instead
 * of copied (they are most of a set, and a full table interns a quarter million sets).
 */
function frozenAdopted(a: PathAttrs, id: number): PathAttrs {
  const out: PathAttrs = {
    origin: a.origin,
    // The segment list is copied: the codec builds it by pushing, and a pushed-to array keeps
    // spare room (16 slots for one segment) that a kept list would hold forever.
    asPath: frozenList(a.asPath, frozenSegment),
    nextHop: shared(a.nextHop),
    atomicAggregate: a.atomicAggregate,
    communities: frozenInPlace(a.communities),
    extCommunities: frozenInPlace(a.extCommunities),
    largeCommunities: frozenInPlace(a.largeCommunities, Object.freeze),
    clusterList: frozenInPlace(a.clusterList),
    unknown: frozenList(a.unknown, (u) => Object.freeze(u)),
  };
  if (a.nextHopLinkLocal !== undefined) out.nextHopLinkLocal = a.nextHopLinkLocal;
  if (a.med !== undefined) out.med = a.med;
  if (a.localPref !== undefined) out.localPref = a.localPref;
  if (a.aggregator !== undefined) out.aggregator = Object.freeze(a.aggregator);
  if (a.originatorId !== undefined) out.originatorId = a.originatorId;
  if (a.otc !== undefined) out.otc = a.otc;
  Object.defineProperty(out, ID, { value: id, enumerable: false });
  return Object.freeze(out);
}

/**
 * Interned attribute sets, each with a small integer id. `intern` returns the one shared frozen
 * object equal to its argument and takes a reference; each holder calls `release` once per
 * `intern` when it lets go, and the set is dropped with its last reference. The RIB's tables
 * hold ids (internId / retainId / releaseId / attrs): a reference costs a counter increment.
 */
export class AttrStore {
  /** Hash → the id of the set, or of each set, with that hash. */
  private readonly byHash = new Map<number, number | number[]>();
  private objs: (PathAttrs | undefined)[] = [];
  private counts = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private readonly freeIds: number[] = [];
  private held = 0;

  /** The id of an interned object of this store, or -1. */
  idOf(attrs: PathAttrs): number {
    const id = (attrs as Tagged)[ID];
    return id !== undefined && this.objs[id] === attrs ? id : -1;
  }

  /**
   * Intern and take a reference; returns the id. `handOver`: the caller gives `attrs` up (it and
   * its lists are never used or changed by anyone after): a new set is made of its lists, frozen.
   */
  internId(attrs: PathAttrs, handOver = false): number {
    let id = this.idOf(attrs);
    if (id < 0) {
      const h = attrsHash(attrs);
      id = this.find(h, attrs);
      if (id < 0) id = this.add(h, attrs, handOver);
    }
    this.counts[id]!++;
    return id;
  }

  private find(h: number, attrs: PathAttrs): number {
    const v = this.byHash.get(h);
    if (v === undefined) return -1;
    if (typeof v === 'number') return attrsEqual(this.objs[v]!, attrs) ? v : -1;
    for (const id of v) if (attrsEqual(this.objs[id]!, attrs)) return id;
    return -1;
  }

  private add(h: number, attrs: PathAttrs, handOver: boolean): number {
    const id = this.freeIds.pop() ?? this.objs.length;
    if (id >= this.counts.length) {
      const more = new Int32Array(this.counts.length * 2);
      more.set(this.counts);
      this.counts = more;
      const hashes = new Int32Array(this.counts.length);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.objs[id] = handOver ? frozenAdopted(attrs, id) : frozenCopy(attrs, id);
    this.hashes[id] = h;
    const v = this.byHash.get(h);
    if (v === undefined) this.byHash.set(h, id);
    else if (typeof v === 'number') this.byHash.set(h, [v, id]);
    else v.push(id);
    this.held++;
    return id;
  }

  intern(attrs: PathAttrs, handOver = false): PathAttrs {
    return this.objs[this.internId(attrs, handOver)]!;
  }

  /** The interned set of a held id. */
  attrs(id: number): PathAttrs {
    return this.objs[id]!;
  }

  /** `n` more references on a held id. */
  retainId(id: number, n = 1): void {
    this.counts[id]! += n;
  }

  releaseId(id: number): void {
    if (--this.counts[id]! > 0) return;
    if (this.counts[id]! < 0) throw new Error(`attribute set ${id} released more often than interned`);
    const h = this.hashes[id]!;
    const v = this.byHash.get(h)!;
    if (typeof v === 'number') this.byHash.delete(h);
    else {
      v.splice(v.indexOf(id), 1);
      if (v.length === 1) this.byHash.set(h, v[0]!);
    }
    this.objs[id] = undefined;
    this.freeIds.push(id);
    this.held--;
  }

  release(attrs: PathAttrs): void {
    const id = this.idOf(attrs);
    if (id < 0) throw new Error('release of attributes that are not interned here');
    this.releaseId(id);
  }

  /** References held on an interned set (0 when it is not, or no longer, interned). */
  refs(attrs: PathAttrs): number {
    const id = this.idOf(attrs);
    return id < 0 ? 0 : this.counts[id]!;
  }

  /** Distinct sets held. */
  get size(): number {
    return this.held;
  }
}
