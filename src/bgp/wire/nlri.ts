// NLRI lists (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3): the per-prefix hot path of the codec.
//
// A decoded list is held as prefix keys in one Uint32Array (NlriKeys: per prefix the address
// words as on the wire, host bits kept, then the length and the path id), a copy, so the socket's
// buffer is not kept. How the message fields that carry the lists read them: list-fields.ts.

import type { Nlri } from './types.js';
import { Writer } from './writer.js';
import { ipv4WordText, ipv6WordsText, writePrefix } from './addr.js';

/** Words per prefix in NlriKeys.keys: the address (1 for IPv4, 4 for IPv6), length, path id. */
export const KEY_STRIDE_V4 = 3;
export const KEY_STRIDE_V6 = 6;

/** A decoded NLRI list as prefix keys: keys[start, start + count * stride). */
export class NlriKeys {
  /** The list as Nlri objects once its field was read (or assigned): from then on it is the list. */
  list: Nlri[] | undefined = undefined;

  constructor(
    readonly afi: number,
    /** `stride` words per prefix: address words, length, path id (0 without ADD-PATH). Shared with other lists. */
    readonly keys: Uint32Array,
    readonly start: number,
    readonly count: number,
    readonly addPath: boolean,
  ) {}

  get stride(): number {
    return this.afi === 1 ? KEY_STRIDE_V4 : KEY_STRIDE_V6;
  }

  /** One past the last word of the list. */
  get end(): number {
    return this.start + this.count * this.stride;
  }

  /** The Nlri objects, built once (canonical text as decodeNlri gives it; host bits kept). */
  toList(): Nlri[] {
    if (this.list) return this.list;
    const out: Nlri[] = new Array<Nlri>(this.count);
    const k = this.keys;
    const v4 = this.afi === 1;
    const stride = this.stride;
    for (let i = 0, o = this.start; i < this.count; i++, o += stride) {
      const len = k[o + stride - 2]!;
      const prefix = v4 ? ipv4WordText(k[o]!, len) : ipv6WordsText(k[o]!, k[o + 1]!, k[o + 2]!, k[o + 3]!, len);
      out[i] = this.addPath ? { prefix, pathId: k[o + stride - 1]! } : { prefix };
    }
    this.list = out;
    return out;
  }
}

/**
 * Where keys are written: lists are appended to one arena and never overwritten, so a list costs
 * no array of its own; a full arena is left to the lists that point into it (and the collector).
 */
const ARENA_WORDS = 1 << 14;
let arena: Uint32Array = new Uint32Array(ARENA_WORDS);
let arenaTop = 0;

/** A new arena with room for `words` more words after the list begun at `start`, which moves to its front. */
function room(start: number, words: number): void {
  const used = arenaTop - start;
  const next = new Uint32Array(Math.max(ARENA_WORDS, 2 * (used + words)));
  next.set(arena.subarray(start, arenaTop));
  arena = next;
  arenaTop = used;
}

/**
 * Decode prefixes from buf[start, end) as keys. Returns them, or a string saying why the field is
 * malformed: a prefix length over the family's maximum or bytes running past `end` (RFC 4271
 * §6.3, RFC 7606 §5.3: both make the field unparseable; the caller picks the NOTIFICATION).
 */
export function decodeNlriKeys(buf: Uint8Array, start: number, end: number, afi: number, addPath: boolean): NlriKeys | string {
  const v4 = afi === 1;
  const max = v4 ? 32 : 128;
  const stride = v4 ? KEY_STRIDE_V4 : KEY_STRIDE_V6;
  let first = arenaTop;
  let k = arena;
  let o = first;
  let p = start;
  while (p < end) {
    let pathId = 0;
    if (addPath) {
      if (p + 4 > end) return `path identifier truncated at offset ${p}`;
      pathId = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
      p += 4;
      if (p >= end) return `prefix missing after path identifier at offset ${p}`;
    }
    const len = buf[p]!;
    if (len > max) return `prefix length ${len} > ${max} at offset ${p}`;
    const n = (len + 7) >> 3;
    if (p + 1 + n > end) return `prefix /${len} runs past the field at offset ${p}`;
    if (o + stride > k.length) {
      arenaTop = o;
      room(first, stride);
      k = arena;
      first = 0;
      o = arenaTop;
    }
    if (v4) {
      k[o] = word(buf, p + 1, n);
    } else {
      for (let w = 0; w < 4; w++) k[o + w] = word(buf, p + 1 + 4 * w, n - 4 * w);
    }
    k[o + stride - 2] = len;
    k[o + stride - 1] = pathId;
    o += stride;
    p += 1 + n;
  }
  // Only a whole list takes its words (a malformed one returned above, leaving arenaTop as it was).
  arenaTop = o;
  return o === first ? (v4 ? (addPath ? EMPTY_V4_ADDPATH : EMPTY_V4) : addPath ? EMPTY_V6_ADDPATH : EMPTY_V6) : new NlriKeys(afi, k, first, (o - first) / stride, addPath);
}

/** Empty lists, shared: no list is ever built from them (list-fields.ts and decodeNlri give a new []). */
const EMPTY_V4 = new NlriKeys(1, new Uint32Array(0), 0, 0, false);
const EMPTY_V4_ADDPATH = new NlriKeys(1, new Uint32Array(0), 0, 0, true);
const EMPTY_V6 = new NlriKeys(2, new Uint32Array(0), 0, 0, false);
const EMPTY_V6_ADDPATH = new NlriKeys(2, new Uint32Array(0), 0, 0, true);

/** `keys`, or new empty keys of the same kind when `keys` is one of the shared empty lists above. */
export function unshared(keys: NlriKeys): NlriKeys {
  const shared = keys === EMPTY_V4 || keys === EMPTY_V4_ADDPATH || keys === EMPTY_V6 || keys === EMPTY_V6_ADDPATH;
  return shared ? new NlriKeys(keys.afi, keys.keys, 0, 0, keys.addPath) : keys;
}

/** The 32-bit word (signed) of the n (may be ≤ 0 or > 4) significant bytes at b[at..], zero-filled. */
function word(b: Uint8Array, at: number, n: number): number {
  // Signed (the key arrays store it unsigned): an unsigned word of 2^31 and above is not a small
  // integer, and the optimised decoder was thrown away the first time one came ("lost precision").
  if (n >= 4) return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  if (n <= 0) return 0;
  let v = b[at]! << 24;
  if (n > 1) v |= b[at + 1]! << 16;
  if (n > 2) v |= b[at + 2]! << 8;
  return v;
}

/** Decode prefixes from buf[start, end) as Nlri objects (decodeNlriKeys, built at once). */
export function decodeNlri(buf: Uint8Array, start: number, end: number, afi: number, addPath: boolean): Nlri[] | string {
  const keys = decodeNlriKeys(buf, start, end, afi, addPath);
  if (typeof keys === 'string') return keys;
  return keys.count === 0 ? [] : keys.toList();
}

/** Encode prefixes (with path identifiers when addPath); throws on text that is not a prefix. */
export function encodeNlri(w: Writer, afi: number, list: readonly Nlri[], addPath: boolean): void {
  for (let i = 0; i < list.length; i++) {
    const item = list[i]!;
    if (addPath) w.u32(item.pathId ?? 0);
    const at = w.reserve(17);
    const n = writePrefix(afi, item.prefix, w.buf, at);
    if (n < 0) throw new RangeError(`not an ${afi === 1 ? 'IPv4' : 'IPv6'} prefix: ${item.prefix}`);
    w.pos = at + n;
  }
}
