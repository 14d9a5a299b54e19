// Prefix table: every prefix the RIB holds, per family, as a small integer id (dense, reused).
// Keys live in typed arrays (one 32-bit word per IPv4 prefix, four per IPv6, and the length)
// with an open-addressing index beside them: a full table costs 20–32 bytes per prefix (9 in the
// key arrays, 8-byte index slots 35–70 % full) and no heap object, where a Map keyed by prefix
// text costs a string and a hash entry per prefix (Node runs without pointer compression: every
// pointer is 8 bytes). Ids are reference counted by their holders (the Loc-RIB, each
// Adj-RIB-Out) and freed with the last reference.

import { ipv4WordText, ipv6WordsText, parseIpv4, parseIpv6 } from '../bgp/wire/addr.js';
import { grown } from './grown.js';
import type { Family } from './types.js';

const EMPTY = 0;
/** Largest share of the index's slots in use before it doubles. */
const MAX_LOAD = 0.7;

export class PrefixTable {
  readonly family: Family;
  /** 32-bit words per address: 1 (IPv4) or 4 (IPv6). */
  private readonly words: number;
  /**
   * Address words, signed: a word of 128.0.0.0 and above read from a Uint32Array is not a small
   * integer, and the optimised lookup code was thrown away mid-table the first time one came
   * (V8 "lost precision"). As Int32Array every read is an int32; word() and text() give unsigned.
   */
  private addr: Int32Array;
  private plen: Uint8Array;
  private refs: Uint32Array;
  /**
   * Open-addressing index, two words per slot: id + 1 (EMPTY: free) and the key's hash. A probe
   * passes other keys on the hash alone, in the slot's own cache line (the key arrays are read
   * only to confirm a match), and a resize moves slots without reading a key. Linear probing,
   * deletion by backward shift.
   */
  private slots: Int32Array;
  /** Slots - 1 (slots are a power of two). */
  private mask: number;
  private freeIds: Int32Array;
  private freeN = 0;
  /** Ids ever handed out (the high-water mark): every id is below it. */
  private top = 0;
  private count = 0;
  /** Key of the current lookup (scratch, reused): address words with host bits clear. */
  private readonly key = new Int32Array(4);
  private readonly bytes = new Uint8Array(16);
  /** What warm() read (kept, so that the reads are not optimised away). */
  private warmed = 0;

  constructor(family: Family, capacity = 1024) {
    this.family = family;
    this.words = family === 'ipv4' ? 1 : 4;
    this.addr = new Int32Array(capacity * this.words);
    this.plen = new Uint8Array(capacity);
    this.refs = new Uint32Array(capacity);
    this.freeIds = new Int32Array(64);
    let size = 16;
    while (size * MAX_LOAD < capacity) size *= 2;
    this.slots = new Int32Array(size * 2);
    this.mask = size - 1;
  }

  /** Prefixes held. */
  get size(): number {
    return this.count;
  }

  /** One past the largest id in use: arrays indexed by id need this many elements. */
  get capacity(): number {
    return this.plen.length;
  }

  /** Ids ever handed out: iterate 0..limit and skip those not `live`. */
  get limit(): number {
    return this.top;
  }

  live(id: number): boolean {
    return id < this.top && this.refs[id]! > 0;
  }

  length(id: number): number {
    return this.plen[id]!;
  }

  /** The first address word (IPv4: the address). */
  word(id: number, i = 0): number {
    return this.addr[id * this.words + i]! >>> 0;
  }

  /** Parse prefix text into the scratch key (host bits cleared); the length, or -1. */
  private parse(text: string): number {
    if (this.words === 1) return this.parse4(text);
    const slash = text.indexOf('/');
    if (slash < 0) return -1;
    const len = Number(text.slice(slash + 1));
    const max = this.words * 32;
    if (!Number.isInteger(len) || len < 0 || len > max) return -1;
    const b = this.bytes;
    const ok = this.words === 1 ? parseIpv4(text, b, 0, 0, slash) : parseIpv6(text, b, 0, 0, slash);
    if (!ok) return -1;
    const k = this.key;
    for (let w = 0; w < this.words; w++) {
      k[w] = (b[w * 4]! << 24) | (b[w * 4 + 1]! << 16) | (b[w * 4 + 2]! << 8) | b[w * 4 + 3]!;
    }
    return this.masked(len);
  }

  /** Clear the scratch key's host bits for `len`; returns len. */
  private masked(len: number): number {
    const k = this.key;
    for (let w = 0; w < this.words; w++) {
      const bits = len - w * 32;
      if (bits < 32) k[w] = bits <= 0 ? 0 : k[w]! & (~0 << (32 - bits));
    }
    return len;
  }

  /** Address words at src[off..] (host bits may be set) and a length into the scratch key; the length, or -1. */
  private load(src: ArrayLike<number>, off: number, len: number): number {
    if (len < 0 || len > this.words * 32) return -1;
    if (this.words === 1) {
      this.key[0] = len === 0 ? 0 : src[off]! & (~0 << (32 - len));
      return len;
    }
    for (let w = 0; w < this.words; w++) this.key[w] = src[off + w]!;
    return this.masked(len);
  }

  /** "a.b.c.d/len" in one pass over the characters (the per-prefix cost on the UPDATE path). */
  private parse4(text: string): number {
    let addr = 0;
    let octet = 0;
    let digits = 0;
    let dots = 0;
    let i = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 46 || c === 47) {
        if (digits === 0 || octet > 255) return -1;
        addr = (addr << 8) | octet;
        octet = 0;
        digits = 0;
        if (c === 47) break;
        if (++dots > 3) return -1;
      } else {
        const d = c - 48;
        if (d < 0 || d > 9 || ++digits > 3) return -1;
        octet = octet * 10 + d;
      }
    }
    if (dots !== 3 || i >= text.length - 1 || text.length - i > 3) return -1;
    let len = 0;
    for (i++; i < text.length; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return -1;
      len = len * 10 + d;
    }
    if (len > 32) return -1;
    this.key[0] = len === 0 ? 0 : addr & (~0 << (32 - len));
    return len;
  }

  /**
   * The words of a masked key of length `len` that can be other than 0: an IPv6 prefix of a real
   * table is /48 or shorter, two words of four, and the hash and the comparison skip the zeros.
   */
  private used(len: number): number {
    return this.words === 1 ? 1 : (len + 31) >>> 5;
  }

  /** Hash of the scratch key and a length (32 bits; the low bits pick the slot). */
  private hash(len: number): number {
    const k = this.key;
    let h = Math.imul(len + 1, 0x9e3779b1);
    for (let w = 0, n = this.used(len); w < n; w++) {
      h = Math.imul(h ^ k[w]!, 0x85ebca77);
      h ^= h >>> 13;
    }
    h = Math.imul(h ^ (h >>> 16), 0xc2b2ae3d);
    return h ^ (h >>> 16);
  }

  private equals(id: number, len: number): boolean {
    if (this.plen[id] !== len) return false;
    const base = id * this.words;
    // Past used(len) both keys are 0 (masked).
    for (let w = 0, n = this.used(len); w < n; w++) if (this.addr[base + w] !== this.key[w]) return false;
    return true;
  }

  /** The slot holding the scratch key, or ~slot of the free slot where it would go. */
  private probe(h: number, len: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const v = slots[2 * s]!;
      if (v === EMPTY) return ~s;
      if (slots[2 * s + 1] === h && this.equals(v - 1, len)) return s;
    }
  }

  /**
   * Read the index slot each key of a list would start probing at (keys as findKey takes them,
   * `stride` words apart), before the list is looked up one by one: the cache misses of a
   * table bigger than the cache then overlap instead of each stalling the lookup that meets it.
   * IPv4 only: an IPv6 key is four words to load, mask and hash a second time, which cost more
   * than the overlap saved (bench:replay, 250k IPv6, six alternations: ~0.81 → ~0.62 s CPU).
   */
  warm(src: ArrayLike<number>, start: number, end: number, stride: number): void {
    if (this.words !== 1) return;
    let seen = 0;
    for (let o = start; o < end; o += stride) {
      const len = src[o + stride - 2]!;
      if (this.load(src, o, len) >= 0) seen ^= this.slots[2 * (this.hash(len) & this.mask)]!;
    }
    this.warmed = seen;
  }

  /** The id of prefix text, or -1 (not held, or not a prefix of this family). */
  find(text: string): number {
    const len = this.parse(text);
    return len < 0 ? -1 : this.findLoaded(len);
  }

  /**
   * The id of a prefix given as address words src[off..off+words) (host bits may be set, as in
   * the codec's NLRI keys) and a length, or -1.
   */
  findKey(src: ArrayLike<number>, off: number, len: number): number {
    return this.load(src, off, len) < 0 ? -1 : this.findLoaded(len);
  }

  private findLoaded(len: number): number {
    const s = this.probe(this.hash(len), len);
    return s < 0 ? -1 : this.slots[2 * s]! - 1;
  }

  /**
   * The id of prefix text, added if new, with one more reference taken. -1 for text that is not
   * a prefix of this family (nothing taken).
   */
  acquire(text: string): number {
    const len = this.parse(text);
    return len < 0 ? -1 : this.acquireLoaded(len);
  }

  /** acquire() for a prefix as address words and a length (see findKey). */
  acquireKey(src: ArrayLike<number>, off: number, len: number): number {
    return this.load(src, off, len) < 0 ? -1 : this.acquireLoaded(len);
  }

  private acquireLoaded(len: number): number {
    const h = this.hash(len);
    const s = this.probe(h, len);
    if (s >= 0) {
      const id = this.slots[2 * s]! - 1;
      this.refs[id]!++;
      return id;
    }
    const id = this.newId();
    const base = id * this.words;
    for (let w = 0; w < this.words; w++) this.addr[base + w] = this.key[w]!;
    this.plen[id] = len;
    this.refs[id] = 1;
    this.count++;
    const free = ~s;
    this.slots[2 * free] = id + 1;
    this.slots[2 * free + 1] = h;
    if (this.count > (this.mask + 1) * MAX_LOAD) this.resize((this.mask + 1) * 2);
    return id;
  }

  /** One more reference on a live id. */
  retain(id: number): void {
    this.refs[id]!++;
  }

  /** Give back one reference; the prefix leaves the table with its last. */
  release(id: number): void {
    if (--this.refs[id]! > 0) return;
    this.removeId(id);
  }

  private newId(): number {
    if (this.freeN > 0) return this.freeIds[--this.freeN]!;
    if (this.top === this.plen.length) this.grow(this.plen.length * 2);
    return this.top++;
  }

  private grow(capacity: number): void {
    this.addr = grown(this.addr, capacity * this.words);
    this.plen = grown(this.plen, capacity);
    this.refs = grown(this.refs, capacity);
  }

  /** A new index of `size` slots, filled from the old one by the stored hashes. */
  private resize(size: number): void {
    const old = this.slots;
    const slots = new Int32Array(size * 2);
    const mask = size - 1;
    for (let i = 0; i < old.length; i += 2) {
      const v = old[i]!;
      if (v === EMPTY) continue;
      const h = old[i + 1]!;
      let s = h & mask;
      while (slots[2 * s] !== EMPTY) s = (s + 1) & mask;
      slots[2 * s] = v;
      slots[2 * s + 1] = h;
    }
    this.slots = slots;
    this.mask = mask;
  }

  private removeId(id: number): void {
    const base = id * this.words;
    for (let w = 0; w < this.words; w++) this.key[w] = this.addr[base + w]!;
    const slots = this.slots;
    const mask = this.mask;
    let s = this.hash(this.plen[id]!) & mask;
    while (slots[2 * s] !== id + 1) s = (s + 1) & mask;
    // Backward-shift deletion: move later members of the probe run into the hole so that every
    // lookup still finds its key before an empty slot.
    let hole = s;
    for (let j = (s + 1) & mask; slots[2 * j] !== EMPTY; j = (j + 1) & mask) {
      const home = slots[2 * j + 1]! & mask;
      // Movable when its home is not cyclically within (hole, j].
      const within = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (within) continue;
      slots[2 * hole] = slots[2 * j]!;
      slots[2 * hole + 1] = slots[2 * j + 1]!;
      hole = j;
    }
    slots[2 * hole] = EMPTY;
    slots[2 * hole + 1] = 0;
    this.count--;
    if (this.freeN === this.freeIds.length) this.freeIds = grown(this.freeIds, this.freeN + 1);
    this.freeIds[this.freeN++] = id;
  }

  /**
   * Forget the free ids above the highest one held: `limit` comes down to one past it, so a walk
   * over the ids (a new session's export, a neighbour's routes going) covers what is held, not
   * every id a table since gone once had (the warm-up's: ~10k ids walked at each session's start,
   * long enough for V8 to compile the walk again during the first table). Held ids do not change.
   */
  trim(): void {
    let top = this.top;
    while (top > 0 && this.refs[top - 1] === 0) top--;
    if (top === this.top) return;
    let n = 0;
    for (let i = 0; i < this.freeN; i++) if (this.freeIds[i]! < top) this.freeIds[n++] = this.freeIds[i]!;
    this.freeN = n;
    this.top = top;
  }

  /** Canonical text of a held prefix (host bits clear, RFC 5952 for IPv6). */
  text(id: number): string {
    const len = this.plen[id]!;
    if (this.words === 1) return ipv4WordText(this.addr[id]! >>> 0, len);
    const a = this.addr;
    const b = id * 4;
    return ipv6WordsText(a[b]! >>> 0, a[b + 1]! >>> 0, a[b + 2]! >>> 0, a[b + 3]! >>> 0, len);
  }

  /**
   * The NLRI encoding of a held prefix (RFC 4271 §4.3: length octet, then the significant
   * octets) written at out[off]; returns the bytes written.
   */
  writeNlri(id: number, out: Uint8Array, off: number): number {
    const len = this.plen[id]!;
    const n = (len + 7) >> 3;
    out[off] = len;
    const base = id * this.words;
    for (let i = 0; i < n; i++) out[off + 1 + i] = (this.addr[base + (i >> 2)]! >>> (24 - 8 * (i & 3))) & 255;
    return 1 + n;
  }

  /** Bytes writeNlri takes. */
  nlriSize(id: number): number {
    return 1 + ((this.plen[id]! + 7) >> 3);
  }
}
