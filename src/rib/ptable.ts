// Prefix table: every prefix the RIB holds, per family, as a small integer id (dense, reused).
// Keys live in typed arrays (one 32-bit word per IPv4 prefix, four per IPv6, and the length)
// with an open-addressing index beside them: a full table costs about 20 bytes per prefix and
// no heap object, where a Map keyed by prefix text costs a string and a hash entry per prefix
// (Node runs without pointer compression: every pointer is 8 bytes). Ids are reference counted
// by their holders (the Loc-RIB, each Adj-RIB-Out) and freed with the last reference.

import { parseIpv4, parseIpv6, wordsToText } from '../bgp/wire/addr.js';
import type { Family } from './types.js';

const EMPTY = 0;

/** 0..255 as text: IPv4 prefixes are formatted by concatenating four of these. */
const OCTET = Array.from({ length: 256 }, (_, i) => String(i));

export class PrefixTable {
  readonly family: Family;
  /** 32-bit words per address: 1 (IPv4) or 4 (IPv6). */
  private readonly words: number;
  private addr: Uint32Array;
  private plen: Uint8Array;
  private refs: Uint32Array;
  /** Open-addressing index: id + 1, or EMPTY. Linear probing, deletion by backward shift. */
  private slots: Int32Array;
  private mask: number;
  private freeIds: Int32Array;
  private freeN = 0;
  /** Ids ever handed out (the high-water mark): every id is below it. */
  private top = 0;
  private count = 0;
  /** Parsed key of the last lookup (scratch, reused). */
  private readonly key = new Uint32Array(4);
  private readonly bytes = new Uint8Array(16);

  constructor(family: Family, capacity = 1024) {
    this.family = family;
    this.words = family === 'ipv4' ? 1 : 4;
    this.addr = new Uint32Array(capacity * this.words);
    this.plen = new Uint8Array(capacity);
    this.refs = new Uint32Array(capacity);
    this.freeIds = new Int32Array(64);
    this.slots = new Int32Array(capacity * 2);
    this.mask = capacity * 2 - 1;
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
    return this.addr[id * this.words + i]!;
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
      const bits = len - w * 32;
      const word = ((b[w * 4]! << 24) | (b[w * 4 + 1]! << 16) | (b[w * 4 + 2]! << 8) | b[w * 4 + 3]!) >>> 0;
      k[w] = bits >= 32 ? word : bits <= 0 ? 0 : (word & (~0 << (32 - bits))) >>> 0;
    }
    return len;
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
    this.key[0] = len === 0 ? 0 : (addr & (~0 << (32 - len))) >>> 0;
    return len;
  }

  private hash(len: number): number {
    const k = this.key;
    let h = Math.imul(len + 1, 0x9e3779b1);
    for (let w = 0; w < this.words; w++) {
      h = Math.imul(h ^ k[w]!, 0x85ebca77);
      h ^= h >>> 13;
    }
    h = Math.imul(h ^ (h >>> 16), 0xc2b2ae3d);
    return (h ^ (h >>> 16)) & this.mask;
  }

  private equals(id: number, len: number): boolean {
    if (this.plen[id] !== len) return false;
    const base = id * this.words;
    for (let w = 0; w < this.words; w++) if (this.addr[base + w] !== this.key[w]) return false;
    return true;
  }

  /** The id of prefix text, or -1 (not held, or not a prefix of this family). */
  find(text: string): number {
    const len = this.parse(text);
    return len < 0 ? -1 : this.findKey(len);
  }

  private findKey(len: number): number {
    for (let s = this.hash(len); ; s = (s + 1) & this.mask) {
      const v = this.slots[s]!;
      if (v === EMPTY) return -1;
      if (this.equals(v - 1, len)) return v - 1;
    }
  }

  /**
   * The id of prefix text, added if new, with one more reference taken. -1 for text that is not
   * a prefix of this family (nothing taken).
   */
  acquire(text: string): number {
    const len = this.parse(text);
    if (len < 0) return -1;
    let s = this.hash(len);
    for (; ; s = (s + 1) & this.mask) {
      const v = this.slots[s]!;
      if (v === EMPTY) break;
      if (this.equals(v - 1, len)) {
        this.refs[v - 1]!++;
        return v - 1;
      }
    }
    const id = this.newId();
    const base = id * this.words;
    for (let w = 0; w < this.words; w++) this.addr[base + w] = this.key[w]!;
    this.plen[id] = len;
    this.refs[id] = 1;
    this.count++;
    if (this.count * 2 > this.slots.length * 0.75) this.rehash(this.slots.length * 2);
    else this.slots[s] = id + 1;
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
    const addr = new Uint32Array(capacity * this.words);
    addr.set(this.addr);
    this.addr = addr;
    const plen = new Uint8Array(capacity);
    plen.set(this.plen);
    this.plen = plen;
    const refs = new Uint32Array(capacity);
    refs.set(this.refs);
    this.refs = refs;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let id = 0; id < this.top; id++) {
      if (this.refs[id] === 0) continue;
      this.loadKey(id);
      let s = this.hash(this.plen[id]!);
      while (this.slots[s] !== EMPTY) s = (s + 1) & this.mask;
      this.slots[s] = id + 1;
    }
  }

  private loadKey(id: number): void {
    const base = id * this.words;
    for (let w = 0; w < this.words; w++) this.key[w] = this.addr[base + w]!;
  }

  private removeId(id: number): void {
    this.loadKey(id);
    let s = this.hash(this.plen[id]!);
    while (this.slots[s] !== id + 1) s = (s + 1) & this.mask;
    // Backward-shift deletion: move later members of the probe run into the hole so that every
    // lookup still finds its key before an empty slot.
    let hole = s;
    for (let j = (s + 1) & this.mask; this.slots[j] !== EMPTY; j = (j + 1) & this.mask) {
      const other = this.slots[j]! - 1;
      this.loadKey(other);
      const home = this.hash(this.plen[other]!);
      // Movable when its home is not cyclically within (hole, j].
      const within = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (within) continue;
      this.slots[hole] = this.slots[j]!;
      hole = j;
    }
    this.slots[hole] = EMPTY;
    this.count--;
    if (this.freeN === this.freeIds.length) {
      const more = new Int32Array(this.freeIds.length * 2);
      more.set(this.freeIds);
      this.freeIds = more;
    }
    this.freeIds[this.freeN++] = id;
  }

  /** Canonical text of a held prefix (host bits clear, RFC 5952 for IPv6). */
  text(id: number): string {
    const len = this.plen[id]!;
    if (this.words === 1) {
      const a = this.addr[id]!;
      return OCTET[a >>> 24]! + '.' + OCTET[(a >>> 16) & 255]! + '.' + OCTET[(a >>> 8) & 255]! + '.' + OCTET[a & 255]! + '/' + OCTET[len]!;
    }
    const w = new Array<number>(8);
    for (let i = 0; i < 4; i++) {
      const x = this.addr[id * 4 + i]!;
      w[i * 2] = x >>> 16;
      w[i * 2 + 1] = x & 0xffff;
    }
    return `${wordsToText(w)}/${len}`;
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
