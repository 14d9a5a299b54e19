// The packed form of an attribute set: how the AttrStore keeps a quarter million of them. As JS
// objects (a top object, frozen lists, a segment object, boxed 32-bit communities) a full table's
// sets were ~460 bytes each and two thirds of the heap; packed they are ~60 bytes in one arena,
// invisible to the collector. The form is canonical (equal sets pack to equal bytes, members in
// one fixed order, an absent member and an undefined one alike), so the bytes are the interning
// key: a hash over them and a byte comparison replace member-by-member hashing and equality.
// Private to the store; the wire's own encoding (attrs-wire.ts) is for peers.

import type { AsPathSegment } from '../bgp/wire/index.js';
import type { PathAttrs } from './types.js';
import { numberList } from '../bgp/wire/index.js';

type Origin = PathAttrs['origin'];

const ORIGINS: readonly Origin[] = ['IGP', 'EGP', 'INCOMPLETE'];
export const SEGMENT_TYPES: readonly AsPathSegment['type'][] = ['AS_SET', 'AS_SEQUENCE', 'AS_CONFED_SEQUENCE', 'AS_CONFED_SET'];

/**
 * Presence bits of the optional members, in the first byte beside the origin (exported with the
 * segment types for attrs-head-rewrite.ts, which writes UPDATE heads straight from packed sets).
 */
export const HAS_MED = 1 << 2;
export const HAS_LOCAL_PREF = 1 << 3;
export const HAS_AGGREGATOR = 1 << 4;
export const HAS_ORIGINATOR = 1 << 5;
export const HAS_OTC = 1 << 6;
export const HAS_LINK_LOCAL = 1 << 7;
/** Second byte: the booleans and which lists are non-empty (most sets have few of them). */
export const ATOMIC = 1 << 0;
export const HAS_COMMUNITIES = 1 << 1;
export const HAS_EXT = 1 << 2;
export const HAS_LARGE = 1 << 3;
export const HAS_CLUSTER = 1 << 4;
export const HAS_UNKNOWN = 1 << 5;
/**
 * A string is a list length (len) of twice its character count, plus one when it takes two bytes
 * per character (anything beyond Latin-1), then its characters: any length an attribute can have
 * (an unknown attribute's hex text is up to 131,070 characters).
 */

/** RFC 4271 §4.3 ORIGIN: "0 IGP, 1 EGP, 2 INCOMPLETE"; -1 for anything else. The packed code too (ORIGINS' order). */
export function originCode(o: Origin): number {
  return o === 'IGP' ? 0 : o === 'EGP' ? 1 : o === 'INCOMPLETE' ? 2 : -1;
}

/**
 * RFC 4271 §4.3 (1 AS_SET, 2 AS_SEQUENCE) and RFC 5065 §3 (3 AS_CONFED_SEQUENCE, 4 AS_CONFED_SET);
 * -1 for anything else. The packed code is one less (SEGMENT_TYPES' order).
 */
export function segmentCode(t: AsPathSegment['type']): number {
  return t === 'AS_SEQUENCE' ? 2 : t === 'AS_SET' ? 1 : t === 'AS_CONFED_SEQUENCE' ? 3 : t === 'AS_CONFED_SET' ? 4 : -1;
}

/** The one shared empty list of every attribute set (attrs.ts re-exports it). */
export const EMPTY: readonly never[] = Object.freeze([]);

/**
 * A growable byte buffer that packs one set at a time (reused: no allocation per set). The store
 * lends its arena as `buf` and packs a set where a new one would go, so a new set is not copied.
 */
export class Packer {
  buf = Buffer.alloc(256);
  /** One past the last byte packed. */
  n = 0;

  /** Packs `a` into buf from `at` to n; a buf without room is replaced by a larger copy. */
  pack(a: PathAttrs, at = 0): void {
    this.n = at;
    // An origin of no code packs as 3, as ORIGINS.indexOf's -1 & 3 did.
    let flags = originCode(a.origin) & 3;
    if (a.med !== undefined) flags |= HAS_MED;
    if (a.localPref !== undefined) flags |= HAS_LOCAL_PREF;
    if (a.aggregator !== undefined) flags |= HAS_AGGREGATOR;
    if (a.originatorId !== undefined) flags |= HAS_ORIGINATOR;
    if (a.otc !== undefined) flags |= HAS_OTC;
    if (a.nextHopLinkLocal !== undefined) flags |= HAS_LINK_LOCAL;
    let lists = a.atomicAggregate ? ATOMIC : 0;
    if (a.communities.length) lists |= HAS_COMMUNITIES;
    if (a.extCommunities.length) lists |= HAS_EXT;
    if (a.largeCommunities.length) lists |= HAS_LARGE;
    if (a.clusterList.length) lists |= HAS_CLUSTER;
    if (a.unknown.length) lists |= HAS_UNKNOWN;
    this.u8(flags);
    this.u8(lists);
    this.path(a.asPath);
    this.str(a.nextHop);
    if (a.nextHopLinkLocal !== undefined) this.str(a.nextHopLinkLocal);
    if (a.med !== undefined) this.u32(a.med);
    if (a.localPref !== undefined) this.u32(a.localPref);
    if (a.aggregator !== undefined) {
      this.u32(a.aggregator.asn);
      this.str(a.aggregator.address);
    }
    if (a.originatorId !== undefined) this.str(a.originatorId);
    if (a.otc !== undefined) this.u32(a.otc);
    if (lists & HAS_COMMUNITIES) this.u32s(a.communities);
    if (lists & HAS_EXT) this.strs(a.extCommunities);
    if (lists & HAS_LARGE) {
      this.len(a.largeCommunities.length);
      for (const l of a.largeCommunities) {
        this.u32(l[0]);
        this.u32(l[1]);
        this.u32(l[2]);
      }
    }
    if (lists & HAS_CLUSTER) this.strs(a.clusterList);
    if (lists & HAS_UNKNOWN) {
      this.len(a.unknown.length);
      for (const u of a.unknown) {
        this.u8(u.code);
        this.u8(u.flags);
        this.str(u.value);
      }
    }
  }

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const more = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(more, 0, 0, this.n);
    this.buf = more;
  }

  private u8(v: number): void {
    this.room(1);
    this.buf[this.n++] = v;
  }

  private u32(v: number): void {
    this.room(4);
    const b = this.buf;
    const n = this.n;
    b[n] = v >>> 24;
    b[n + 1] = v >>> 16;
    b[n + 2] = v >>> 8;
    b[n + 3] = v;
    this.n = n + 4;
  }

  /** A list length: one byte below 128, else four (lists of a set are short; lengths up to 2^31). */
  private len(v: number): void {
    if (v < 0x80) this.u8(v);
    else this.u32((v | 0x80000000) >>> 0);
  }

  private u32s(list: readonly number[]): void {
    this.len(list.length);
    this.room(list.length * 4);
    // One room check for the list, not one per member.
    const b = this.buf;
    let n = this.n;
    for (let i = 0; i < list.length; i++) {
      const v = list[i]!;
      b[n] = v >>> 24;
      b[n + 1] = v >>> 16;
      b[n + 2] = v >>> 8;
      b[n + 3] = v;
      n += 4;
    }
    this.n = n;
  }

  private str(s: string): void {
    const start = this.n;
    this.len(s.length * 2);
    this.room(s.length);
    // One pass for the usual text (Latin-1: addresses, hex): written as it is read.
    const b = this.buf;
    let n = this.n;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) return this.wideStr(s, start);
      b[n++] = c;
    }
    this.n = n;
  }

  /** `s` (with a character beyond Latin-1) packed from `start` again, two bytes per character. */
  private wideStr(s: string, start: number): void {
    this.n = start;
    this.len(s.length * 2 + 1);
    this.room(s.length * 2);
    const b = this.buf;
    let n = this.n;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      b[n++] = c >>> 8;
      b[n++] = c;
    }
    this.n = n;
  }

  private strs(list: readonly string[]): void {
    this.len(list.length);
    for (const s of list) this.str(s);
  }

  private path(path: readonly AsPathSegment[]): void {
    this.len(path.length);
    // Indexed, not for-of: a path may be the frozen EMPTY, over which V8 does not inline for-of
    // (ArrayIteratorPrototypeNext calls in perf, from this loop alone).
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      this.u8(segmentCode(seg.type) - 1);
      this.u32s(seg.asns);
    }
  }
}

/** MurmurHash3 (x86, 32-bit) over packed bytes, four at a time: equal bytes hash equal. */
export function packedHash(b: Uint8Array, at: number, n: number): number {
  let h = 0x9747b28c;
  const words = at + (n & ~3);
  let i = at;
  for (; i < words; i += 4) {
    let k = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let s = 0; i < at + n; i++, s += 8) k |= b[i]! << s;
  k = Math.imul(k, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k ^ n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export function packedEqual(a: Uint8Array, at: number, b: Uint8Array, bt: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[at + i] !== b[bt + i]) return false;
  return true;
}

/** Reads one packed set back into the RIB's attribute object (the store freezes its top: attrs.ts). */
export class Unpacker {
  private b: Buffer = Buffer.alloc(0);
  private at = 0;

  /** The set packed at b[at..]; `nextHop` is the store's shared copy of its next-hop text. */
  unpack(b: Buffer, at: number, nextHop: string): PathAttrs {
    this.b = b;
    this.at = at;
    const flags = this.u8();
    const lists = this.u8();
    const asPath = this.path();
    this.skipStr();
    // Every member in baseAttrs' order, the optional ones read in the packed order (PathAttrs).
    const out: PathAttrs = {
      origin: ORIGINS[flags & 3]!,
      asPath,
      nextHop,
      atomicAggregate: (lists & ATOMIC) !== 0,
      communities: EMPTY,
      extCommunities: EMPTY,
      largeCommunities: EMPTY,
      clusterList: EMPTY,
      unknown: EMPTY,
      nextHopLinkLocal: flags & HAS_LINK_LOCAL ? this.str() : undefined,
      med: flags & HAS_MED ? this.u32() : undefined,
      localPref: flags & HAS_LOCAL_PREF ? this.u32() : undefined,
      aggregator: flags & HAS_AGGREGATOR ? { asn: this.u32(), address: this.str() } : undefined,
      originatorId: flags & HAS_ORIGINATOR ? this.str() : undefined,
      otc: flags & HAS_OTC ? this.u32() : undefined,
    };
    if (lists & HAS_COMMUNITIES) out.communities = this.u32s();
    if (lists & HAS_EXT) out.extCommunities = this.strs();
    if (lists & HAS_LARGE) {
      const n = this.len();
      const large = new Array<readonly [number, number, number]>(n);
      for (let i = 0; i < n; i++) large[i] = [this.u32(), this.u32(), this.u32()] as const;
      out.largeCommunities = large;
    }
    if (lists & HAS_CLUSTER) out.clusterList = this.strs();
    if (lists & HAS_UNKNOWN) {
      const n = this.len();
      const unknown = new Array<{ code: number; flags: number; value: string }>(n);
      for (let i = 0; i < n; i++) unknown[i] = { code: this.u8(), flags: this.u8(), value: this.str() };
      out.unknown = unknown;
    }
    return out;
  }

  private u8(): number {
    return this.b[this.at++]!;
  }

  private u32(): number {
    const b = this.b;
    const at = this.at;
    this.at = at + 4;
    return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }

  private len(): number {
    const first = this.b[this.at]!;
    return first < 0x80 ? this.u8() : this.u32() & 0x7fffffff;
  }

  private u32s(): readonly number[] {
    const n = this.len();
    const list = numberList();
    for (let i = 0; i < n; i++) list.push(this.u32());
    return list;
  }

  private str(): string {
    const b = this.b;
    const word = this.len();
    const n = word >>> 1;
    const at = this.at;
    if ((word & 1) === 0) {
      this.at += n;
      return b.toString('latin1', at, at + n);
    }
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
    this.at += 2 * n;
    return s;
  }

  private skipStr(): void {
    const word = this.len();
    this.at += (word >>> 1) * ((word & 1) !== 0 ? 2 : 1);
  }

  private strs(): readonly string[] {
    const n = this.len();
    const list = new Array<string>(n);
    for (let i = 0; i < n; i++) list[i] = this.str();
    return list;
  }

  private path(): readonly AsPathSegment[] {
    const n = this.len();
    if (n === 0) return EMPTY;
    // Pushed, not `new Array(n)`: the decoder makes the segment list packed (a literal, or by
    // push), and a preallocated array is of V8's "holey" kinds. A set unpacked here (the store's
    // cache of handed-out objects missed) then had another hidden class for its path than one just
    // decoded, and import's compiled loop check deoptimized at a table's first cache misses.
    const path: AsPathSegment[] = [];
    for (let i = 0; i < n; i++) {
      const type = SEGMENT_TYPES[this.u8()]!;
      path.push({ type, asns: this.u32s() as number[] });
    }
    return path;
  }
}

const left = new Packer();
const right = new Packer();

/** Whether two sets are equal (what interning would make one set), without interning either. */
export function sameAttrs(a: PathAttrs, b: PathAttrs): boolean {
  if (a === b) return true;
  left.pack(a);
  right.pack(b);
  return left.n === right.n && packedEqual(left.buf, 0, right.buf, 0, left.n);
}
