// The UPDATE head of a Lazy export (adjout-values.ts: every route of one interned set the export
// filter left as it was) written straight from the set as the store keeps it packed
// (attrs-pack.ts), with BGP's rewrite on the way out (export.ts PeerRewrite) applied while it is
// written: our AS prepended, next hop self, members dropped. The generic way made a rewritten
// PathAttrs per set (new AS path arrays, ~300 bytes each, a quarter million per full table) and
// then read it back to encode it; here there is no object: one pass over the packed bytes finds
// the members and sums the exact size, a second writes them in the wire's order. The bytes are
// always those of
//   encodeHead(rewriteForPeer(route, route.attrs, cx), codec, family)
// because whatever this file does not reproduce exactly is left to that way (null): what
// directHead leaves to the codec (a 2-octet session with 4-octet ASNs, text the codec reads in its
// own way, a set over the maximum message size) and text stored wide (beyond Latin-1).

import { FLAG_EXTENDED_LENGTH, FLAG_PARTIAL, hexDigit, MAX_EXTENDED_MESSAGE, MAX_MESSAGE } from '../bgp/wire/index.js';
import type { CodecContext } from '../bgp/wire/index.js';
import { HEADER_AND_LENGTHS } from './adjout-wire.js';
import { attrHeader, attrSize, GENERIC, HopCache, hopSize, ipv4, messageHeader, mpReachAttr, OPT_NON_TRANS, OPT_TRANS, u32, WELL_KNOWN } from './attrs-head.js';
import {
  ATOMIC, HAS_AGGREGATOR, HAS_CLUSTER, HAS_COMMUNITIES, HAS_EXT, HAS_LARGE, HAS_LINK_LOCAL, HAS_LOCAL_PREF,
  HAS_MED, HAS_ORIGINATOR, HAS_OTC, HAS_UNKNOWN, SEGMENT_TYPES, segmentCode,
} from './attrs-pack.js';
import { rewrittenNextHop } from './export.js';
import type { PeerRewrite } from './export.js';
import type { Family } from './types.js';

/** Wire segment type (RFC 4271 §4.3, RFC 5065 §3) per packed segment type; 0 for none. */
const WIRE_SEGMENT = Uint8Array.from({ length: 256 }, (_, i) => (i < SEGMENT_TYPES.length ? segmentCode(SEGMENT_TYPES[i]!) : 0));
const AS_SEQUENCE = segmentCode('AS_SEQUENCE');
/** RFC 5065 §5.3: confederation segments are removed before the path leaves the confederation (towards eBGP). */
const CONFED_SEQUENCE = segmentCode('AS_CONFED_SEQUENCE');
const CONFED_SET = segmentCode('AS_CONFED_SET');
const isConfed = (wire: number): boolean => wire === CONFED_SEQUENCE || wire === CONFED_SET;
/** RFC 4271 §5.1.5: LOCAL_PREF towards iBGP when the set has none (as rewriteForPeer). */
const DEFAULT_LOCAL_PREF = 100;
/** RFC 4271 §4.3: a segment holds at most 255 ASNs. */
const SEGMENT_MAX = 255;

const nextHopV4 = new HopCache(true);

/** Size on the wire of a segment of `n` ASNs of `w` octets: runs of 255, an empty one a bare header. */
const segmentSize = (n: number, w: number): number => 2 * (n > SEGMENT_MAX ? Math.ceil(n / SEGMENT_MAX) : 1) + n * w;

/**
 * An IPv4 address stored as packed text at b[at..] (length word, then characters) into out[p..],
 * by parseIpv4's rules (the bytes it accepts are what it would write); GENERIC otherwise.
 */
function packedIpv4(b: Buffer, at: number, out: Buffer, p: number): number {
  const word = b[at]!;
  // A length word of four octets (64 characters or more) or wide text: no address.
  if (word >= 0x80 || (word & 1) !== 0) return GENERIC;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = at + 1, end = at + 1 + (word >>> 1); i < end; i++) {
    const c = b[i]!;
    if (c === 46) {
      if (digits === 0 || part > 2) return GENERIC;
      out[p + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return GENERIC;
    } else {
      return GENERIC;
    }
  }
  if (digits === 0 || part !== 3) return GENERIC;
  out[p + 3] = value;
  return p + 4;
}

/**
 * Reads a packed set: where its members are, and the rewritten head's size. One instance, reused
 * (fields, not objects, per head).
 */
class PackedHead {
  private b: Buffer = Buffer.alloc(0);
  /** Read position in `b`. */
  private r = 0;
  private rw!: PeerRewrite;
  private w = 4;
  private origin = 0;
  private lists = 0;
  private pathLen = 0;
  // Where members start in `b` (-1: absent), and list counts.
  private pathAt = 0;
  private segs = 0;
  /** eBGP: our AS joins the first segment left (an AS_SEQUENCE of fewer than 255 ASNs). */
  private joined = false;
  private medAt = -1;
  private lpAt = -1;
  private aggAt = -1;
  private origAt = -1;
  private otcAt = -1;
  private commN = 0;
  private commAt = 0;
  private extN = 0;
  private extAt = 0;
  private largeN = 0;
  private largeAt = 0;
  private clusterN = 0;
  private clusterAt = 0;
  private unkN = 0;
  private unkAt = 0;

  /** attrs-pack's list length: one byte below 128, else four with the top bit set. */
  private len(): number {
    const b = this.b;
    const r = this.r;
    const first = b[r]!;
    if (first < 0x80) {
      this.r = r + 1;
      return first;
    }
    this.r = r + 4;
    return ((first & 0x7f) << 24) | (b[r + 1]! << 16) | (b[r + 2]! << 8) | b[r + 3]!;
  }

  /** Skips a packed string; its character count, or GENERIC when it is stored wide. */
  private skipStr(): number {
    const word = this.len();
    const n = word >>> 1;
    if ((word & 1) !== 0) {
      this.r += 2 * n;
      return GENERIC;
    }
    this.r += n;
    return n;
  }

  /** The AS_PATH value size as rewritten, or GENERIC (RFC 6793 §4.2.2: 4-octet ASNs to a 2-octet speaker). */
  private scanPath(): number {
    const b = this.b;
    const { rw, w } = this;
    this.segs = this.len();
    this.pathAt = this.r;
    this.joined = false;
    let first = true;
    let size = 0;
    for (let s = 0; s < this.segs; s++) {
      const type = WIRE_SEGMENT[b[this.r++]!]!;
      const n = this.len();
      const at = this.r;
      this.r += 4 * n;
      if (type === 0) return GENERIC;
      if (rw.ebgp && isConfed(type)) continue;
      if (w === 2) for (let i = at; i < this.r; i += 4) if (b[i] !== 0 || b[i + 1] !== 0) return GENERIC;
      if (rw.ebgp && first && type === AS_SEQUENCE && n < SEGMENT_MAX) {
        this.joined = true;
        size += 2 + (n + 1) * w;
      } else {
        size += segmentSize(n, w);
      }
      first = false;
    }
    if (rw.ebgp && !this.joined) size += 2 + w;
    if (rw.ebgp && w === 2 && rw.asn > 0xffff) return GENERIC;
    return size;
  }

  /**
   * Finds the members of the packed set at b[at..] and returns the rewritten head's size, or
   * GENERIC. The packed order (attrs-pack.ts Packer.pack) is read here, the wire's written later.
   */
  scan(b: Buffer, at: number, rw: PeerRewrite, as4: boolean, hop: string, family: Family): number {
    this.b = b;
    this.rw = rw;
    this.w = as4 ? 4 : 2;
    const flags = b[at]!;
    const lists = b[at + 1]!;
    this.r = at + 2;
    // attrs-pack's origin is the wire's code (RFC 4271 §4.3: 0 IGP, 1 EGP, 2 INCOMPLETE).
    this.origin = flags & 3;
    this.lists = lists;
    if (this.origin > 2) return GENERIC;
    const path = this.scanPath();
    if (path < 0) return GENERIC;
    this.pathLen = path;
    let n = HEADER_AND_LENGTHS + attrSize(1) + attrSize(path);
    // The set's next hop (the store's copy is the caller's), and its link-local one: never sent.
    this.skipStr();
    if (flags & HAS_LINK_LOCAL) this.skipStr();
    const fixed = this.scanFixed(flags, lists);
    if (fixed < 0) return GENERIC;
    n += fixed;
    this.commN = 0;
    if (lists & HAS_COMMUNITIES) {
      this.commN = this.len();
      this.commAt = this.r;
      this.r += 4 * this.commN;
      n += attrSize(4 * this.commN);
    }
    const lists2 = this.scanLists(lists);
    if (lists2 < 0) return GENERIC;
    n += lists2;
    if (family === 'ipv4') n += attrSize(4);
    else n += 4 + 5 + hopSize(hop) + (rw.linkLocal ? hopSize(rw.linkLocal) : 0);
    return n;
  }

  /** MED to OTC: the members of fixed size. Their size as sent, or GENERIC. */
  private scanFixed(flags: number, lists: number): number {
    const { b, rw } = this;
    this.medAt = this.skipIf(flags, HAS_MED, 4);
    this.lpAt = this.skipIf(flags, HAS_LOCAL_PREF, 4);
    this.aggAt = this.skipIf(flags, HAS_AGGREGATOR, 4);
    if (this.aggAt >= 0) this.skipStr();
    this.origAt = this.skipIf(flags, HAS_ORIGINATOR, 0);
    if (this.origAt >= 0) this.skipStr();
    this.otcAt = this.skipIf(flags, HAS_OTC, 4);
    let n = 0;
    if (this.medAt >= 0 && !rw.dropMed) n += 7;
    if (!rw.ebgp) n += 7;
    if (lists & ATOMIC) n += 3;
    if (this.aggAt >= 0) {
      // RFC 6793 §4.2.2: a 4-octet aggregator towards a 2-octet speaker needs AS4_AGGREGATOR.
      if (this.w === 2 && (b[this.aggAt] !== 0 || b[this.aggAt + 1] !== 0)) return GENERIC;
      n += this.w === 4 ? 11 : 9;
    }
    if (!rw.ebgp && (this.origAt >= 0 || rw.originatorId !== undefined)) n += 7;
    if (this.otcAt >= 0) n += 7;
    return n;
  }

  /** Where a member flagged `bit` starts (skipping `size` octets of it), or -1 when absent. */
  private skipIf(flags: number, bit: number, size: number): number {
    if ((flags & bit) === 0) return -1;
    const at = this.r;
    this.r += size;
    return at;
  }

  /** Extended and large communities, CLUSTER_LIST and unknown attributes: their size as sent, or GENERIC. */
  private scanLists(lists: number): number {
    const { rw } = this;
    let n = 0;
    this.extN = 0;
    this.largeN = 0;
    this.clusterN = 0;
    this.unkN = 0;
    if (lists & HAS_EXT) {
      this.extN = this.len();
      this.extAt = this.r;
      // RFC 4360 §2: 8 octets each, 16 hex digits here; anything else goes the generic way.
      for (let i = 0; i < this.extN; i++) if (this.skipStr() !== 16) return GENERIC;
      n += attrSize(8 * this.extN);
    }
    if (lists & HAS_LARGE) {
      this.largeN = this.len();
      this.largeAt = this.r;
      this.r += 12 * this.largeN;
      n += attrSize(12 * this.largeN);
    }
    if (lists & HAS_CLUSTER) {
      this.clusterN = this.len();
      this.clusterAt = this.r;
      for (let i = 0; i < this.clusterN; i++) this.skipStr();
    }
    const ids = this.clusterN + (rw.clusterId !== undefined ? 1 : 0);
    if (!rw.ebgp && ids > 0) n += attrSize(4 * ids);
    if (lists & HAS_UNKNOWN) {
      this.unkN = this.len();
      this.unkAt = this.r;
      for (let i = 0; i < this.unkN; i++) {
        this.r += 2;
        const chars = this.skipStr();
        if (chars < 0) return GENERIC;
        n += attrSize(chars >>> 1);
      }
    }
    return n;
  }

  /** Copies `n` octets of the packed set from b[from..] to out[p..] (its 4-octet values are big-endian, as on the wire). */
  private copy(out: Buffer, p: number, from: number, n: number): number {
    const b = this.b;
    for (let i = 0; i < n; i++) out[p + i] = b[from + i]!;
    return p + n;
  }

  /** One segment of `n` packed ASNs at b[from..], in runs of 255; `asn` first when >= 0. */
  private segment(out: Buffer, p: number, code: number, from: number, n: number, asn: number): number {
    const w = this.w;
    const total = n + (asn >= 0 ? 1 : 0);
    let done = 0;
    let i = from;
    do {
      const run = Math.min(total - done, SEGMENT_MAX);
      out[p] = code;
      out[p + 1] = run;
      p += 2;
      let k = 0;
      if (done === 0 && asn >= 0) {
        if (w === 4) p = u32(out, p, asn);
        else {
          out[p] = asn >>> 8;
          out[p + 1] = asn;
          p += 2;
        }
        k = 1;
      }
      // Packed ASNs are 4 octets, big-endian: as on the wire, or their low half.
      for (; k < run; k++, i += 4) p = this.copy(out, p, i + 4 - w, w);
      done += run;
    } while (done < total);
    return p;
  }

  /** AS_PATH as rewritten (RFC 4271 §5.1.2: towards eBGP our AS is prepended). */
  private asPath(out: Buffer, p: number, len: number): number {
    const { b, rw } = this;
    p = attrHeader(out, p, WELL_KNOWN, 2, len);
    if (rw.ebgp && !this.joined) p = this.segment(out, p, AS_SEQUENCE, 0, 0, rw.asn);
    let r = this.pathAt;
    let first = true;
    for (let s = 0; s < this.segs; s++) {
      const type = WIRE_SEGMENT[b[r++]!]!;
      this.r = r;
      const n = this.len();
      r = this.r + 4 * n;
      if (rw.ebgp && isConfed(type)) continue;
      p = this.segment(out, p, type, this.r, n, first && this.joined ? rw.asn : -1);
      first = false;
    }
    return p;
  }

  /**
   * Writes the head scanned last, of `n` octets, into out[at..], in toWire's order (attrs-head.ts
   * directHead's); the offset after it, or GENERIC where text does not parse.
   */
  write(out: Buffer, at: number, n: number, hop: string, family: Family): number {
    const rw = this.rw;
    let p = attrHeader(out, messageHeader(out, n, at), WELL_KNOWN, 1, 1);
    out[p] = this.origin;
    p = this.asPath(out, p + 1, this.pathLen);
    // RFC 4760 §3: IPv6 routes carry their next hop in MP_REACH_NLRI, not NEXT_HOP.
    if (family === 'ipv4') p = nextHopV4.write(out, attrHeader(out, p, WELL_KNOWN, 3, 4), hop);
    // RFC 4271 §5.1.4: a MED learned from a neighbouring AS is not sent to another one.
    if (p >= 0 && this.medAt >= 0 && !rw.dropMed) p = this.copy(out, attrHeader(out, p, OPT_NON_TRANS, 4, 4), this.medAt, 4);
    // RFC 4271 §5.1.5: LOCAL_PREF to internal peers always, to external ones never.
    if (p >= 0 && !rw.ebgp) {
      p = attrHeader(out, p, WELL_KNOWN, 5, 4);
      p = this.lpAt >= 0 ? this.copy(out, p, this.lpAt, 4) : u32(out, p, DEFAULT_LOCAL_PREF);
    }
    if (p >= 0 && this.lists & ATOMIC) p = attrHeader(out, p, WELL_KNOWN, 6, 0);
    if (p >= 0 && this.aggAt >= 0) p = this.aggregator(out, p);
    if (p >= 0 && this.commN) p = this.copy(out, attrHeader(out, p, OPT_TRANS, 8, 4 * this.commN), this.commAt, 4 * this.commN);
    // RFC 4456 §8: ORIGINATOR_ID and CLUSTER_LIST stay inside the AS; a reflector sets and prepends them.
    if (p >= 0 && !rw.ebgp) p = this.reflection(out, p);
    if (p >= 0 && family === 'ipv6') p = this.mpReach(out, p, hop);
    if (p >= 0 && this.extN) p = this.extCommunities(out, p);
    if (p >= 0 && this.largeN) p = this.copy(out, attrHeader(out, p, OPT_TRANS, 32, 12 * this.largeN), this.largeAt, 12 * this.largeN);
    if (p >= 0 && this.otcAt >= 0) p = this.copy(out, attrHeader(out, p, OPT_TRANS, 35, 4), this.otcAt, 4);
    if (p >= 0 && this.unkN) p = this.unknown(out, p);
    return p;
  }

  /** RFC 4271 §5.1.7 AGGREGATOR: the AS (4 octets on a 4-octet session, RFC 6793 §3) and an IPv4 address. */
  private aggregator(out: Buffer, p: number): number {
    const w = this.w;
    p = attrHeader(out, p, OPT_TRANS, 7, w + 4);
    p = this.copy(out, p, this.aggAt + 4 - w, w);
    return packedIpv4(this.b, this.aggAt + 4, out, p);
  }

  /** iBGP: ORIGINATOR_ID (the set's, else the reflector's), CLUSTER_LIST (our CLUSTER_ID first when reflecting). */
  private reflection(out: Buffer, p: number): number {
    const { b, rw } = this;
    if (this.origAt >= 0) p = packedIpv4(b, this.origAt, out, attrHeader(out, p, OPT_NON_TRANS, 9, 4));
    else if (rw.originatorId !== undefined) p = ipv4(out, attrHeader(out, p, OPT_NON_TRANS, 9, 4), rw.originatorId);
    const ids = this.clusterN + (rw.clusterId !== undefined ? 1 : 0);
    if (p < 0 || ids === 0) return p;
    p = attrHeader(out, p, OPT_NON_TRANS, 10, 4 * ids);
    if (rw.clusterId !== undefined) p = ipv4(out, p, rw.clusterId);
    this.r = this.clusterAt;
    for (let i = 0; i < this.clusterN && p >= 0; i++) {
      p = packedIpv4(b, this.r, out, p);
      this.skipStr();
    }
    return p;
  }

  /**
   * RFC 4760 §3 MP_REACH_NLRI: AFI 2, SAFI 1, the next-hop length, the next hop, Reserved 0, and
   * no NLRI in a head (a 2-octet length always, as toWire). RFC 2545 §3: the global address, then
   * the link-local one when there is one.
   */
  private mpReach(out: Buffer, p: number, hop: string): number {
    return mpReachAttr(out, p, hop, this.rw.linkLocal);
  }

  /** RFC 4360 §2: each extended community is 8 octets, 16 hex digits in the set (scan checked the length). */
  private extCommunities(out: Buffer, p: number): number {
    const b = this.b;
    p = attrHeader(out, p, OPT_TRANS, 16, 8 * this.extN);
    // Each: a one-octet length word (32: 16 narrow characters), then the digits.
    for (let i = 0, r = this.extAt + 1; i < this.extN; i++, r += 17) {
      for (let j = 0; j < 16; j += 2, p++) {
        const hi = hexDigit(b[r + j]!);
        const lo = hexDigit(b[r + j + 1]!);
        if (hi < 0 || lo < 0) return GENERIC;
        out[p] = (hi << 4) | lo;
      }
    }
    return p;
  }

  /**
   * RFC 4271 §5: an unrecognised optional transitive attribute passed on "MUST set the Partial bit
   * in the attribute to 1" (Extended Length as the size decides). Its hex value decoded pair by
   * pair, a trailing odd digit ignored, as Buffer.write does; a value it would cut short goes the
   * generic way.
   */
  private unknown(out: Buffer, p: number): number {
    const b = this.b;
    this.r = this.unkAt;
    for (let i = 0; i < this.unkN; i++) {
      const code = b[this.r]!;
      const flags = b[this.r + 1]!;
      this.r += 2;
      const chars = this.len() >>> 1;
      const at = this.r;
      this.r += chars;
      const len = chars >>> 1;
      p = attrHeader(out, p, (flags & ~FLAG_EXTENDED_LENGTH) | FLAG_PARTIAL, code, len);
      for (let j = 0; j < len; j++, p++) {
        const hi = hexDigit(b[at + 2 * j]!);
        const lo = hexDigit(b[at + 2 * j + 1]!);
        if (hi < 0 || lo < 0) return GENERIC;
        out[p] = (hi << 4) | lo;
      }
    }
    return p;
  }
}

const packed = new PackedHead();

/**
 * Writes the UPDATE head of a Lazy export (no withdrawn routes, no NLRI) for the set packed at
 * arena[at..] (next hop `setNextHop`), with `rw` applied, as the session `codec` sends it, at
 * out[outAt..outAt + n) (room for the session's largest message there), and returns n; or -1
 * where it is left to encodeHead(rewriteForPeer(...)) (the file's head says which sets).
 */
export function rewrittenHead(
  out: Buffer,
  outAt: number,
  arena: Buffer,
  at: number,
  setNextHop: string,
  rw: PeerRewrite,
  codec: CodecContext,
  family: Family,
): number {
  if (family !== 'ipv4' && family !== 'ipv6') return -1;
  const hop = rewrittenNextHop(rw, setNextHop);
  if (!hop) return -1;
  const n = packed.scan(arena, at, rw, codec.as4, hop, family);
  // RFC 4271 §4.1 and RFC 8654 §4: at most 4096 octets, or 65535 with extended messages.
  const max = codec.extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE;
  if (n < 0 || n > max || outAt + n > out.length) return -1;
  const p = packed.write(out, outAt, n, hop, family);
  if (p < 0) return -1;
  if (p !== outAt + n) throw new Error(`rewritten UPDATE head of ${p - outAt} octets, ${n} computed`);
  return n;
}
