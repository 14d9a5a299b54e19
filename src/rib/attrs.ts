// Path attributes in the RIB: interning (one id per distinct set, reference counted so a set
// churned out of every table is freed). The store keeps each set packed (attrs-pack.ts) and hands
// out objects made from the bytes on demand, frozen at the top and read-only by type below (see
// adopted); to and from the codec: attrs-wire.ts.

import { EMPTY, Packer, packedEqual, packedHash, Unpacker } from './attrs-pack.js';
import { grown } from './grown.js';
import type { PathAttrs } from './types.js';

export { EMPTY };

/**
 * Attributes with every optional list empty and every optional member undefined: the base for
 * routes the RIB originates and for decoded sets, and the one order of members every set the
 * RIB makes has (PathAttrs).
 */
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
    nextHopLinkLocal: undefined,
    med: undefined,
    localPref: undefined,
    aggregator: undefined,
    originatorId: undefined,
    otc: undefined,
  };
}

/** Passes an object through a class constructor, so that a subclass can stamp private fields on it. */
class Stamp {
  constructor(o: object) {
    return o;
  }
}

/**
 * The id and the id's generation of a set handed out by a store, as private fields stamped on
 * the object: invisible to spreading, comparisons and JSON (a copy made by a policy is never
 * taken for the interned set), and cheap to add (a non-enumerable property cost ~4× as much).
 */
class Tag extends Stamp {
  #id: number;
  #gen: number;
  constructor(o: PathAttrs, id: number, gen: number) {
    super(o);
    this.#id = id;
    this.#gen = gen;
  }
  static id(o: PathAttrs): number {
    return #id in o ? (o as unknown as Tag).#id : -1;
  }
  static gen(o: PathAttrs): number {
    return (o as unknown as Tag).#gen;
  }
}

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

/**
 * The handed-out object of a set made from one its caller hands over (decoded from an UPDATE, or
 * just rewritten for export) and never touches again: the object itself (frozen when cached), its
 * empty lists the shared EMPTY, its next hop the store's shared text. Both callers build it with
 * every member in baseAttrs' order (attrs-wire.ts, export.ts), as the unpacker does, so that all
 * sets share a hidden class without a copy of the top object.
 *
 * A handed-out set is frozen at the top (its members cannot be replaced) and read-only by type
 * below it, lists and the objects in them alike: V8 (Node 20) compiles no inline element read
 * for a frozen, sealed or non-extensible array, so every read of an AS path, ASN or community
 * list on the route path (import, loop check, decision, export) took V8's generic element access,
 * ~5× a plain array's read (an indexed loop over 5-element lists, 1.1 → 6.1 ns per element), and
 * a for-of over one allocated its results; and each Object.freeze is a runtime call with a map
 * transition (per segment, per set: ~2 % of the daemon's samples in perf with the top's).
 */
function adopted(a: PathAttrs, nextHop: string): PathAttrs {
  // A list stored only where it changes (empty but not EMPTY). The next hop always: equal text is
  // not the shared string, and a comparison cannot tell them apart.
  if (a.asPath.length === 0 && a.asPath !== EMPTY) a.asPath = EMPTY;
  a.nextHop = nextHop;
  if (a.communities.length === 0 && a.communities !== EMPTY) a.communities = EMPTY;
  if (a.extCommunities.length === 0 && a.extCommunities !== EMPTY) a.extCommunities = EMPTY;
  if (a.largeCommunities.length === 0 && a.largeCommunities !== EMPTY) a.largeCommunities = EMPTY;
  if (a.clusterList.length === 0 && a.clusterList !== EMPTY) a.clusterList = EMPTY;
  if (a.unknown.length === 0 && a.unknown !== EMPTY) a.unknown = EMPTY;
  return a;
}

/** A hash index slot whose set was freed (probing goes on past it). */
const DELETED = -1;
/**
 * Largest share of the index's slots in use (live and deleted) before a new index. A probe reads
 * hashes in its own cache line, so a fuller index costs little: at most half full when made and
 * 70 % before the next, it takes about the bytes an index of ids alone took at 12–50 %.
 */
const MAX_LOAD = 0.7;
/**
 * Handed-out objects kept for reuse, per id slot: a set read again soon is not unpacked again.
 * Small on purpose: a cached object lives until its slot is taken, and with 16,384 slots a full
 * table's sets stayed long enough to be promoted (~30 full collections for 1M prefixes); with
 * 1,024 they mostly die young (~20), for ~15 % less CPU in the convergence benchmark at the same
 * peak RSS (2^8 slots: fewer still, but the rare full collections let the peak wander up).
 */
const CACHE_SLOTS = 1 << 10;
/**
 * Free bytes kept at the arena's end, where the next set is packed (larger sets make the packer
 * grow the arena itself).
 */
const ARENA_SLACK = 4096;
/** The arena is compacted once this share of it is freed sets (and it is past a megabyte). */
const WASTE_SHARE = 0.5;

/**
 * Interned attribute sets, each with a small integer id. The RIB's tables hold ids (internId /
 * retainId / releaseId / attrs): a reference costs a counter increment, and a set is dropped with
 * its last reference. Sets are kept packed in one arena; `attrs(id)` returns a frozen object
 * made from the bytes, reused while it stays in a small cache, so two reads of one id may give
 * equal but distinct objects: holders that compare sets compare ids (`idOf` of a handed-out object).
 */
export class AttrStore {
  /**
   * The hash index: open addressing over ids, probed linearly from the hash. Two words per slot:
   * id + 1 (0 when empty, DELETED when its id was freed) and the set's hash, so a probe passes
   * other sets on the hash read in the slot's own cache line (per id, the hash was a cache miss per
   * step: with a table loading, nearly every set is new and its probe walks occupied slots). A
   * flat Int32Array: a Map of a quarter million entries cost ~40 bytes each.
   */
  private slots = new Int32Array(2 << 12);
  /** Slots not empty (live and deleted). */
  private usedSlots = 0;
  private arena = Buffer.alloc(1 << 16);
  private top = 0;
  private wasted = 0;
  private offs = new Int32Array(1024);
  private lens = new Int32Array(1024);
  private counts = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  /** Per id: a number never used before for any id, given when the id is taken. */
  private gens = new Float64Array(1024);
  private gen = 0;
  /** Per id: the shared next-hop text (read per route by next-hop tracking, without unpacking). */
  private hops: (string | undefined)[] = [];
  private readonly cacheIds = new Int32Array(CACHE_SLOTS).fill(-1);
  private readonly cacheObjs = new Array<PathAttrs | undefined>(CACHE_SLOTS).fill(undefined);
  private readonly freeIds: number[] = [];
  private held = 0;
  private readonly packer = new Packer();
  private readonly unpacker = new Unpacker();

  /** The id of a set handed out by this store and still interned, or -1. */
  idOf(attrs: PathAttrs): number {
    const id = Tag.id(attrs);
    return id >= 0 && this.gens[id] === Tag.gen(attrs) && this.counts[id]! > 0 ? id : -1;
  }

  /** The packed size in bytes of a set handed out by this store and still interned, or -1. */
  packedSizeOf(attrs: PathAttrs): number {
    const id = this.idOf(attrs);
    return id < 0 ? -1 : this.lens[id]!;
  }

  /**
   * Intern and take a reference; returns the id. `handOver`: the caller gives `attrs` up (it and
   * its lists are never used or changed by anyone after), so it may become the handed-out object.
   * A handed-over set is a new object (just decoded or rewritten): it has no id to look up, and
   * were it a handed-out one after all, the lookup by content below finds its id the same.
   */
  internId(attrs: PathAttrs, handOver = false): number {
    let id = handOver ? -1 : this.idOf(attrs);
    if (id < 0) {
      const n = this.packHere(attrs);
      const h = packedHash(this.arena, this.top, n);
      id = this.find(h, n);
      if (id < 0) {
        id = this.add(~id, h, n, attrs.nextHop);
        if (handOver) this.cache(id, adopted(attrs, this.hops[id]!));
      }
    }
    this.counts[id]!++;
    return id;
  }

  /**
   * Packs `attrs` in the arena where a new set would go (from top): a new set is then in place,
   * and a set found interned leaves bytes past top that the next set overwrites. Returns its size.
   */
  private packHere(attrs: PathAttrs): number {
    if (this.top + ARENA_SLACK > this.arena.length) this.growArena(ARENA_SLACK);
    const p = this.packer;
    p.buf = this.arena;
    p.pack(attrs, this.top);
    // A set larger than the slack: the packer moved the arena (every set where it was) to a larger copy.
    this.arena = p.buf;
    return p.n - this.top;
  }

  /**
   * The id of the set packed in arena[top..top + n), or, when it is not interned, ~slot of the
   * index slot a new id with hash `h` goes in: the first deleted slot on its probe, else the empty
   * one ending it (add takes it as it is: nothing changes the index in between).
   */
  private find(h: number, n: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let free = -1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[2 * i]!;
      if (v > 0) {
        if (slots[2 * i + 1] === h && this.holds(v - 1, n)) return v - 1;
      } else if (v === 0) {
        return ~(free < 0 ? i : free);
      } else if (free < 0) {
        free = i;
      }
    }
  }

  /** Whether id's set is the one just packed at top. */
  private holds(id: number, n: number): boolean {
    return this.lens[id] === n && packedEqual(this.arena, this.offs[id]!, this.arena, this.top, n);
  }

  /** Index a new id with hash `h` in `slot` (from find), then a new index if this one is too full. */
  private index(id: number, h: number, slot: number): void {
    const slots = this.slots;
    if (slots[2 * slot] === 0) this.usedSlots++;
    slots[2 * slot] = id + 1;
    slots[2 * slot + 1] = h;
    if (this.usedSlots > (slots.length >> 1) * MAX_LOAD) this.reindex();
  }

  private unindex(id: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let i = this.hashes[id]! & mask;
    while (slots[2 * i] !== id + 1) i = (i + 1) & mask;
    slots[2 * i] = DELETED;
  }

  /** A new index for the live sets, at most half full (deleted slots dropped), moved slot by slot. */
  private reindex(): void {
    let size = 1 << 12;
    while (size < this.held * 2) size *= 2;
    const old = this.slots;
    const slots = new Int32Array(2 * size);
    const mask = size - 1;
    for (let s = 0; s < old.length; s += 2) {
      const v = old[s]!;
      if (v <= 0) continue;
      const h = old[s + 1]!;
      let i = h & mask;
      while (slots[2 * i] !== 0) i = (i + 1) & mask;
      slots[2 * i] = v;
      slots[2 * i + 1] = h;
    }
    this.slots = slots;
    this.usedSlots = this.held;
  }

  /** A new id for the set just packed at top (n bytes), indexed in `slot`. */
  private add(slot: number, h: number, n: number, nextHop: string): number {
    const id = this.freeIds.pop() ?? this.hops.length;
    if (id >= this.counts.length) this.growIds(id + 1);
    this.offs[id] = this.top;
    this.lens[id] = n;
    this.top += n;
    this.hashes[id] = h;
    this.gens[id] = ++this.gen;
    this.hops[id] = shared(nextHop);
    this.held++;
    this.index(id, h, slot);
    return id;
  }

  private growIds(min: number): void {
    this.offs = grown(this.offs, min);
    this.lens = grown(this.lens, min);
    this.counts = grown(this.counts, min);
    this.hashes = grown(this.hashes, min);
    this.gens = grown(this.gens, min);
  }

  /** Room for `n` more bytes: compact when freed sets are much of the arena, else double it; copied as it is while little of it is freed. */
  private growArena(n: number): void {
    const live = this.top - this.wasted;
    const size = Math.max(this.arena.length, 1 << 16);
    let cap = live + n > size * WASTE_SHARE ? size * 2 : size;
    while (cap < live + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    if (this.wasted * 8 < this.top && this.top + n <= cap) {
      // Little of it freed (a table loading): one copy, the sets where they were.
      this.arena.copy(next, 0, 0, this.top);
      this.arena = next;
      return;
    }
    let at = 0;
    for (let id = 0; id < this.hops.length; id++) {
      if (this.counts[id]! <= 0 || this.hops[id] === undefined) continue;
      const len = this.lens[id]!;
      this.arena.copy(next, at, this.offs[id]!, this.offs[id]! + len);
      this.offs[id] = at;
      at += len;
    }
    this.arena = next;
    this.top = at;
    this.wasted = 0;
  }

  private cache(id: number, attrs: PathAttrs): PathAttrs {
    new Tag(attrs, id, this.gens[id]!);
    Object.freeze(attrs);
    const slot = id & (CACHE_SLOTS - 1);
    this.cacheIds[slot] = id;
    this.cacheObjs[slot] = attrs;
    return attrs;
  }

  intern(attrs: PathAttrs, handOver = false): PathAttrs {
    return this.attrs(this.internId(attrs, handOver));
  }

  /** A frozen object with the set of a held id. */
  attrs(id: number): PathAttrs {
    const slot = id & (CACHE_SLOTS - 1);
    if (this.cacheIds[slot] === id) return this.cacheObjs[slot]!;
    if (!(this.counts[id]! > 0)) throw new RangeError(`attribute set ${id} is not interned`);
    return this.cache(id, this.unpacker.unpack(this.arena, this.offs[id]!, this.hops[id]!));
  }

  /** The next hop of a held id, without unpacking the set. */
  nextHop(id: number): string {
    return this.hops[id]!;
  }

  /**
   * The arena holding held sets packed (attrs-pack.ts): a held id's set starts at packedAt(id).
   * Valid until the next internId, which may move the sets to a new arena.
   */
  packedArena(): Buffer {
    return this.arena;
  }

  packedAt(id: number): number {
    return this.offs[id]!;
  }

  /** `n` more references on a held id. */
  retainId(id: number, n = 1): void {
    this.counts[id]! += n;
  }

  releaseId(id: number): void {
    if (--this.counts[id]! > 0) return;
    if (this.counts[id]! < 0) throw new Error(`attribute set ${id} released more often than interned`);
    this.unindex(id);
    const slot = id & (CACHE_SLOTS - 1);
    if (this.cacheIds[slot] === id) {
      this.cacheIds[slot] = -1;
      this.cacheObjs[slot] = undefined;
    }
    this.wasted += this.lens[id]!;
    this.hops[id] = undefined;
    this.gens[id] = 0;
    this.freeIds.push(id);
    this.held--;
  }

  release(attrs: PathAttrs): void {
    const id = this.idOf(attrs);
    if (id < 0) throw new Error('release of attributes that are not interned here');
    this.releaseId(id);
  }

  /** References held on a handed-out set (0 when it is not, or no longer, interned). */
  refs(attrs: PathAttrs): number {
    const id = this.idOf(attrs);
    return id < 0 ? 0 : this.counts[id]!;
  }

  /** Distinct sets held. */
  get size(): number {
    return this.held;
  }
}
