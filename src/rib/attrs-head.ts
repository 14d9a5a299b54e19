// One Adj-RIB-Out group's UPDATE "head": the message with the group's path attributes and no
// withdrawn routes or NLRI, which the prefixes are later written into (adjout-wire.ts). The
// generic way there (toWire: a PathAttribute object per attribute, then encodeMessage through the
// codec's descriptor table and a copy out of its writer) runs once per attribute set sent, a
// quarter million times for a full table. Here the exact size is summed first, then the bytes are
// written straight into the result buffer. The bytes are always those of
//   encodeOrUndefined({ type: 'UPDATE', withdrawn: [], attributes: toWire(attrs, { as4, family }), nlri: [] }, codec)
// because whatever this file does not reproduce exactly goes that generic way instead: a 2-octet
// session with 4-octet ASNs (AS4_PATH, AS4_AGGREGATOR), text the codec would refuse or read in its
// own way (addresses, hex), a set over the session's maximum message size. The exported pieces
// also serve attrs-head-rewrite.ts, which writes a Lazy export's head from the packed set.

import { FLAG_EXTENDED_LENGTH, FLAG_OPTIONAL, FLAG_PARTIAL, FLAG_TRANSITIVE, hexDigit, MAX_EXTENDED_MESSAGE, MAX_MESSAGE, parseIpv4, parseIpv6 } from '../bgp/wire/index.js';
import type { AsPathSegment, CodecContext } from '../bgp/wire/index.js';
import { encodeOrUndefined, HEADER_AND_LENGTHS, MP_FLAGS } from './adjout-wire.js';
import { originCode, segmentCode } from './attrs-pack.js';
import { toWire } from './attrs-wire.js';
import type { Family, PathAttrs } from './types.js';

// RFC 4271 §4.3: "The high-order bit (bit 0) of the Attribute Flags octet is the Optional bit",
// "The second high-order bit (bit 1) ... is the Transitive bit", "The third high-order bit
// (bit 2) ... is the Partial bit". toWire's choices per attribute, as the generic path sends them.
export const WELL_KNOWN = FLAG_TRANSITIVE;
export const OPT_NON_TRANS = FLAG_OPTIONAL;
export const OPT_TRANS = FLAG_OPTIONAL | FLAG_TRANSITIVE;

/** Not reproduced here: the generic path encodes the set. */
export const GENERIC = -1;

// RFC 4271 §4.3: "The fourth high-order bit (bit 3) of the Attribute Flags octet is the Extended
// Length bit. It defines whether the Attribute Length is one octet (if set to 0) or two octets
// (if set to 1)." The codec sets it exactly when the value is over 255 octets (encodeAttribute),
// except for MP_REACH_NLRI, where toWire sets it always.
export const attrSize = (valueLen: number): number => (valueLen > 255 ? 4 : 3) + valueLen;

/**
 * AS_PATH value size, or GENERIC. RFC 4271 §4.3: "The path segment length is a 1-octet length
 * field, containing the number of ASes (not the number of octets) in the path segment value
 * field": the codec splits a longer segment into runs of 255, and sends an empty one as a header
 * with count 0. RFC 6793 §4.2.2: towards a 2-octet speaker a path with 4-octet ASNs needs AS_TRANS
 * and AS4_PATH: the generic path does that.
 */
function asPathSize(path: readonly AsPathSegment[], as4: boolean): number {
  let n = 0;
  for (let s = 0; s < path.length; s++) {
    const seg = path[s]!;
    const asns = seg.asns;
    if (segmentCode(seg.type) < 0) return GENERIC;
    if (!as4) for (let i = 0; i < asns.length; i++) if (asns[i]! > 0xffff) return GENERIC;
    const headers = asns.length > 255 ? Math.ceil(asns.length / 255) : 1;
    n += 2 * headers + asns.length * (as4 ? 4 : 2);
  }
  return n;
}

/** RFC 4760 §3 next hop bytes of MP_REACH_NLRI: toWire's hops, each 16 octets if IPv6 text. */
export const hopSize = (hop: string): number => (hop.includes(':') ? 16 : 4);

/** RFC 4760 §3: AFI 2, SAFI 1, next-hop length, next hop, Reserved; no NLRI in a head. */
function mpReachSize(a: PathAttrs): number {
  return 5 + hopSize(a.nextHop) + (a.nextHopLinkLocal ? hopSize(a.nextHopLinkLocal) : 0);
}

/** The head's exact size with an AS_PATH value of `path` octets, or GENERIC. Attributes in toWire's order. */
function headSize(a: PathAttrs, path: number, as4: boolean, family: Family): number {
  if (family !== 'ipv4' && family !== 'ipv6') return GENERIC;
  // RFC 6793 §4.2.2: a 4-octet aggregator towards a 2-octet speaker needs AS4_AGGREGATOR.
  if (!as4 && a.aggregator && a.aggregator.asn > 0xffff) return GENERIC;
  let n = HEADER_AND_LENGTHS + attrSize(1) + attrSize(path);
  if (family === 'ipv4') n += attrSize(4);
  if (a.med !== undefined) n += attrSize(4);
  if (a.localPref !== undefined) n += attrSize(4);
  if (a.atomicAggregate) n += attrSize(0);
  if (a.aggregator) n += attrSize(as4 ? 8 : 6);
  if (a.communities.length) n += attrSize(4 * a.communities.length);
  if (a.originatorId !== undefined) n += attrSize(4);
  if (a.clusterList.length) n += attrSize(4 * a.clusterList.length);
  if (family === 'ipv6') n += 4 + mpReachSize(a);
  if (a.extCommunities.length) n += attrSize(8 * a.extCommunities.length);
  if (a.largeCommunities.length) n += attrSize(12 * a.largeCommunities.length);
  if (a.otc !== undefined) n += attrSize(4);
  for (let i = 0; i < a.unknown.length; i++) n += attrSize(a.unknown[i]!.value.length >>> 1);
  return n;
}

// ---- Writing. Each writer returns the offset after what it wrote, or GENERIC. ----

/**
 * RFC 4271 §4.3: "Each path attribute is a triple <attribute type, attribute length, attribute
 * value>"; the type is the flags octet and the type code octet.
 */
export function attrHeader(b: Buffer, p: number, flags: number, code: number, len: number): number {
  if (len > 255) {
    b[p] = flags | FLAG_EXTENDED_LENGTH;
    b[p + 1] = code;
    b[p + 2] = len >>> 8;
    b[p + 3] = len;
    return p + 4;
  }
  b[p] = flags;
  b[p + 1] = code;
  b[p + 2] = len;
  return p + 3;
}

/**
 * Big-endian, as the codec's Writer.u32 (the low 32 bits of any number). In two 16-bit halves:
 * small integers throughout, where ASNs and communities over 2^31 are heap numbers.
 */
export function u32(b: Buffer, p: number, v: number): number {
  const hi = v >>> 16;
  const lo = v & 0xffff;
  b[p] = hi >>> 8;
  b[p + 1] = hi;
  b[p + 2] = lo >>> 8;
  b[p + 3] = lo;
  return p + 4;
}

/** A 4-octet attribute (MED, LOCAL_PREF, ONLY_TO_CUSTOMER): four-octet unsigned integer. */
function u32Attr(b: Buffer, p: number, flags: number, code: number, v: number): number {
  return u32(b, attrHeader(b, p, flags, code, 4), v);
}

export function ipv4(b: Buffer, p: number, text: string): number {
  return parseIpv4(text, b, p) ? p + 4 : GENERIC;
}

function ipv4Attr(b: Buffer, p: number, flags: number, code: number, text: string): number {
  return ipv4(b, attrHeader(b, p, flags, code, 4), text);
}

function asPathAttr(b: Buffer, p: number, path: readonly AsPathSegment[], as4: boolean, len: number): number {
  p = attrHeader(b, p, WELL_KNOWN, 2, len);
  for (let s = 0; s < path.length; s++) {
    const seg = path[s]!;
    const asns = seg.asns;
    const code = segmentCode(seg.type);
    let from = 0;
    do {
      const to = Math.min(asns.length, from + 255);
      b[p] = code;
      b[p + 1] = to - from;
      p += 2;
      if (as4) {
        for (let i = from; i < to; i++) p = u32(b, p, asns[i]!);
      } else {
        for (let i = from; i < to; i++, p += 2) {
          b[p] = asns[i]! >>> 8;
          b[p + 1] = asns[i]!;
        }
      }
      from = to;
    } while (from < asns.length);
  }
  return p;
}

/** RFC 4271 §5.1.7 AGGREGATOR: the AS (4 octets on a 4-octet session, RFC 6793 §3) and an IPv4 address. */
function aggregatorAttr(b: Buffer, p: number, agg: NonNullable<PathAttrs['aggregator']>, as4: boolean): number {
  p = attrHeader(b, p, OPT_TRANS, 7, as4 ? 8 : 6);
  if (as4) {
    p = u32(b, p, agg.asn);
  } else {
    b[p] = agg.asn >>> 8;
    b[p + 1] = agg.asn;
    p += 2;
  }
  return ipv4(b, p, agg.address);
}

function u32ListAttr(b: Buffer, p: number, flags: number, code: number, list: readonly number[]): number {
  p = attrHeader(b, p, flags, code, 4 * list.length);
  for (let i = 0; i < list.length; i++) p = u32(b, p, list[i]!);
  return p;
}

/** RFC 4456 §8 CLUSTER_LIST: a sequence of 4-octet CLUSTER_IDs (IPv4 text here). */
function clusterListAttr(b: Buffer, p: number, ids: readonly string[]): number {
  p = attrHeader(b, p, OPT_NON_TRANS, 10, 4 * ids.length);
  for (let i = 0; i < ids.length && p >= 0; i++) p = ipv4(b, p, ids[i]!);
  return p;
}

/**
 * The bytes of the next-hop text parsed last, per use: a group's next hop is nearly always the
 * session's own address, the same text for every set, so it is parsed once, not per head.
 */
export class HopCache {
  /** Undefined until a text parses: no text, '' included, matches an empty cache. */
  text: string | undefined = undefined;
  len = 0;
  readonly bytes = new Uint8Array(16);

  /** `ipv4Only`: NEXT_HOP, which the codec parses as IPv4 whatever the text. */
  constructor(private readonly ipv4Only: boolean) {}

  /**
   * The address at b[p..] and the offset after it, or GENERIC. As the codec's MP_REACH_NLRI
   * encoder, text with a colon is IPv6 (16 octets), any other IPv4 (4 octets).
   */
  write(b: Buffer, p: number, text: string): number {
    const bytes = this.bytes;
    if (text === this.text) {
      for (let i = 0; i < this.len; i++) b[p + i] = bytes[i]!;
      return p + this.len;
    }
    // Parsed into the head itself: text that fails may have written part of it, never the cache.
    const len = !this.ipv4Only && text.includes(':') ? 16 : 4;
    if (!(len === 16 ? parseIpv6(text, b, p) : parseIpv4(text, b, p))) return GENERIC;
    for (let i = 0; i < len; i++) bytes[i] = b[p + i]!;
    this.text = text;
    this.len = len;
    return p + len;
  }
}

const nextHopV4 = new HopCache(true);
const globalHop = new HopCache(false);
const linkLocalHop = new HopCache(false);

/**
 * RFC 4760 §3: "Address Family Identifier (AFI): This field in combination with the Subsequent
 * Address Family Identifier field identifies the set of Network Layer protocols to which the
 * address carried in the Next Hop field must belong", then "Length of Next Hop Network Address",
 * the next hop, and "Reserved: A 1 octet field that MUST be set to 0". RFC 2545 §3: the next hop
 * is the global address, followed by the link-local one when there is one (length 16 or 32).
 */
export function mpReachAttr(b: Buffer, p: number, nextHop: string, linkLocal: string | undefined): number {
  const len = 5 + hopSize(nextHop) + (linkLocal ? hopSize(linkLocal) : 0);
  b[p] = MP_FLAGS;
  b[p + 1] = 14;
  b[p + 2] = len >>> 8;
  b[p + 3] = len;
  b[p + 4] = 0;
  b[p + 5] = 2;
  b[p + 6] = 1;
  b[p + 7] = len - 5;
  p = globalHop.write(b, p + 8, nextHop);
  if (p >= 0 && linkLocal) p = linkLocalHop.write(b, p, linkLocal);
  if (p < 0) return GENERIC;
  b[p] = 0;
  return p + 1;
}

/**
 * RFC 4360 §2: each extended community is 8 octets (16 hex digits here). Anything else is left to
 * the generic path, which decodes whatever hex the text holds.
 */
function extCommunitiesAttr(b: Buffer, p: number, list: readonly string[]): number {
  p = attrHeader(b, p, OPT_TRANS, 16, 8 * list.length);
  for (let i = 0; i < list.length; i++) {
    const hex = list[i]!;
    if (hex.length !== 16) return GENERIC;
    for (let j = 0; j < 16; j += 2, p++) {
      const hi = hexDigit(hex.charCodeAt(j));
      const lo = hexDigit(hex.charCodeAt(j + 1));
      if (hi < 0 || lo < 0) return GENERIC;
      b[p] = (hi << 4) | lo;
    }
  }
  return p;
}

/** RFC 8092 §3: each large community is three 4-octet values. */
function largeCommunitiesAttr(b: Buffer, p: number, list: PathAttrs['largeCommunities']): number {
  p = attrHeader(b, p, OPT_TRANS, 32, 12 * list.length);
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    p = u32(b, u32(b, u32(b, p, c[0]), c[1]), c[2]);
  }
  return p;
}

/**
 * RFC 4271 §5: an unrecognised optional transitive attribute passed on "MUST set the Partial bit
 * in the attribute to 1" (toWire sets it, and clears Extended Length, which the size decides).
 * Its value is hex; hex the generic path would decode short goes that way.
 */
function unknownAttrs(b: Buffer, p: number, list: PathAttrs['unknown']): number {
  for (let i = 0; i < list.length && p >= 0; i++) {
    const u = list[i]!;
    const len = u.value.length >>> 1;
    p = attrHeader(b, p, (u.flags & ~FLAG_EXTENDED_LENGTH) | FLAG_PARTIAL, u.code, len);
    if (len > 0 && b.write(u.value, p, len, 'hex') !== len) return GENERIC;
    p += len;
  }
  return p;
}

/** The attributes after AS_PATH up to CLUSTER_LIST (type codes 3..10). */
function middleAttrs(b: Buffer, p: number, a: PathAttrs, as4: boolean, family: Family): number {
  // RFC 4760 §3: IPv6 routes carry their next hop in MP_REACH_NLRI, not NEXT_HOP.
  if (family === 'ipv4') p = nextHopV4.write(b, attrHeader(b, p, WELL_KNOWN, 3, 4), a.nextHop);
  if (p >= 0 && a.med !== undefined) p = u32Attr(b, p, OPT_NON_TRANS, 4, a.med);
  if (p >= 0 && a.localPref !== undefined) p = u32Attr(b, p, WELL_KNOWN, 5, a.localPref);
  if (p >= 0 && a.atomicAggregate) p = attrHeader(b, p, WELL_KNOWN, 6, 0);
  if (p >= 0 && a.aggregator) p = aggregatorAttr(b, p, a.aggregator, as4);
  if (p >= 0 && a.communities.length) p = u32ListAttr(b, p, OPT_TRANS, 8, a.communities);
  if (p >= 0 && a.originatorId !== undefined) p = ipv4Attr(b, p, OPT_NON_TRANS, 9, a.originatorId);
  if (p >= 0 && a.clusterList.length) p = clusterListAttr(b, p, a.clusterList);
  return p;
}

/** The attributes from MP_REACH_NLRI on (type codes 14 and up, then unknown ones in their order). */
function lateAttrs(b: Buffer, p: number, a: PathAttrs, family: Family): number {
  if (p >= 0 && family === 'ipv6') p = mpReachAttr(b, p, a.nextHop, a.nextHopLinkLocal);
  if (p >= 0 && a.extCommunities.length) p = extCommunitiesAttr(b, p, a.extCommunities);
  if (p >= 0 && a.largeCommunities.length) p = largeCommunitiesAttr(b, p, a.largeCommunities);
  if (p >= 0 && a.otc !== undefined) p = u32Attr(b, p, OPT_TRANS, 35, a.otc);
  if (p >= 0 && a.unknown.length) p = unknownAttrs(b, p, a.unknown);
  return p;
}

/**
 * RFC 4271 §4.1: "Marker: This 16-octet field is included for compatibility; it MUST be set to
 * all ones", then the 2-octet Length of the whole message and Type 2 (UPDATE). §4.3: Withdrawn
 * Routes Length 0, and the "Total Path Attribute Length ... in octets".
 */
export function messageHeader(b: Buffer, n: number, at = 0): number {
  // By hand: Buffer.fill's argument checks cost more than the sixteen stores.
  for (let i = 0; i < 16; i++) b[at + i] = 0xff;
  b[at + 16] = n >>> 8;
  b[at + 17] = n;
  b[at + 18] = 2;
  b[at + 19] = 0;
  b[at + 20] = 0;
  b[at + 21] = (n - HEADER_AND_LENGTHS) >>> 8;
  b[at + 22] = n - HEADER_AND_LENGTHS;
  return at + HEADER_AND_LENGTHS;
}

function generic(attrs: PathAttrs, codec: CodecContext, family: Family): Buffer | undefined {
  const attributes = toWire(attrs, { as4: codec.as4, family });
  return encodeOrUndefined({ type: 'UPDATE', withdrawn: [], attributes, nlri: [] }, codec);
}

/**
 * The head written directly, or null where it is left to the generic path (the file's head says
 * which sets those are). Exported for the tests, which hold it to the generic path's bytes.
 */
export function directHead(attrs: PathAttrs, codec: CodecContext, family: Family): Buffer | null {
  const as4 = codec.as4;
  const origin = originCode(attrs.origin);
  const path = asPathSize(attrs.asPath, as4);
  const n = origin < 0 || path < 0 ? GENERIC : headSize(attrs, path, as4, family);
  // RFC 4271 §4.1 and RFC 8654 §4: at most 4096 octets, or 65535 with extended messages.
  const max = codec.extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE;
  if (n < 0 || n > max) return null;
  const b = Buffer.allocUnsafe(n);
  let p = attrHeader(b, messageHeader(b, n), WELL_KNOWN, 1, 1);
  b[p] = origin;
  p = asPathAttr(b, p + 1, attrs.asPath, as4, path);
  p = lateAttrs(b, middleAttrs(b, p, attrs, as4, family), attrs, family);
  if (p < 0) return null;
  if (p !== n) throw new Error(`UPDATE head of ${p} octets, ${n} computed`);
  return b;
}

/**
 * The UPDATE with `attrs` for `family` and nothing else, as the session `codec` sends it; undefined
 * when it is larger than the session's maximum message size (RFC 8654 §4: it must not be sent) or
 * the codec cannot encode it (RangeError).
 */
export function encodeHead(attrs: PathAttrs, codec: CodecContext, family: Family): Buffer | undefined {
  return directHead(attrs, codec, family) ?? generic(attrs, codec, family);
}
