// Path attributes: one descriptor table holding, per type code, the expected flags, how a
// malformed value is handled (RFC 7606 §7), and the value's decoder and encoder.

import type { CodecContext, MpReach, MpUnreach, PathAttribute } from './types.js';
import { ipv4ToText, ipv6ToText, parseIpv4, parseIpv6 } from './addr.js';
import { decodeAsPath, encodeAsPath } from './aspath.js';
import { decodeNlriKeys, encodeNlri } from './nlri.js';
import { KeyedMpReach, KeyedMpUnreach, setNlriField } from './list-fields.js';
import { toHex, fromHex } from './reader.js';
import type { Writer } from './writer.js';
import { numberList } from './number-list.js';

export const FLAG_OPTIONAL = 0x80;
export const FLAG_TRANSITIVE = 0x40;
export const FLAG_PARTIAL = 0x20;
export const FLAG_EXTENDED_LENGTH = 0x10;

export type MalformedAction = 'session-reset' | 'treat-as-withdraw' | 'attribute-discard';

export interface DecodeOptions {
  /** RFC 6396 §4.3.4: MP_REACH_NLRI in TABLE_DUMP_V2 holds only the next-hop length and next hop. */
  mrtRib?: boolean;
  afi?: number;
  safi?: number;
}

interface Descriptor {
  code: number;
  name: PathAttribute['name'];
  /** Expected Optional and Transitive bits (RFC 4271 §5). */
  flags: number;
  /** RFC 7606 §7: what a malformed value leads to. */
  onMalformed: MalformedAction;
  /**
   * RFC 7606 §3(c): Optional/Transitive bits in conflict with the type code are treat-as-withdraw
   * "unless the specification for the attribute mandates different handling"; absent = that.
   */
  onBadFlags?: MalformedAction;
  /** Decoded value, or Bad saying why the value is malformed. */
  decode(b: Uint8Array, start: number, len: number, ctx: CodecContext, opts: DecodeOptions): unknown;
  encode(w: Writer, value: never, ctx: CodecContext): void;
}

const WELL_KNOWN = FLAG_TRANSITIVE;
const OPT_TRANS = FLAG_OPTIONAL | FLAG_TRANSITIVE;
const OPT_NON_TRANS = FLAG_OPTIONAL;

const ORIGINS = ['IGP', 'EGP', 'INCOMPLETE'] as const;

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** A decoder's verdict that a value is malformed (values themselves may be strings). */
export class Bad {
  constructor(readonly reason: string) {}
}

function fixedLength(len: number, want: number, name: string): Bad | undefined {
  return len === want ? undefined : new Bad(`${name} length ${len}, expected ${want}`);
}

/** Lower-level helpers say "malformed" with a string; lift that into Bad. */
function lift<T>(v: T | string): T | Bad {
  return typeof v === 'string' ? new Bad(v) : v;
}

function encodeIpv4(w: Writer, text: string): void {
  const at = w.reserve(4);
  if (!parseIpv4(text, w.buf, at)) throw new RangeError(`not an IPv4 address: ${text}`);
}

function encodeIpv6(w: Writer, text: string): void {
  const at = w.reserve(16);
  if (!parseIpv6(text, w.buf, at)) throw new RangeError(`not an IPv6 address: ${text}`);
}

/** Families whose NLRI is a plain prefix list (unicast and multicast of IPv4/IPv6). */
export function isPrefixFamily(afi: number, safi: number): boolean {
  return (afi === 1 || afi === 2) && (safi === 1 || safi === 2);
}

/**
 * The ADD-PATH key ("afi/safi") of a prefix family, as a constant: a string built per UPDATE
 * would cost an allocation and the hashing of the Set lookup, a constant has its hash already.
 */
function prefixFamilyKey(afi: number, safi: number): string {
  if (afi === 1) return safi === 1 ? '1/1' : '1/2';
  return safi === 1 ? '2/1' : '2/2';
}

function decodeNextHops(afi: number, b: Uint8Array, p: number, nhLen: number): string[] | string {
  // RFC 4760 §3 with RFC 2545 §3 (IPv6: global, or global + link-local) and RFC 8950 §3
  // (IPv4 NLRI over an IPv6 next hop). Any other length cannot be interpreted: RFC 7606 §7.11.
  if (afi === 1 && nhLen === 4) return [ipv4ToText(b, p)];
  if (nhLen === 16) return [ipv6ToText(b, p)];
  if (nhLen === 32) return [ipv6ToText(b, p), ipv6ToText(b, p + 16)];
  return `next-hop length ${nhLen} not valid for AFI ${afi}`;
}

function decodeMpReach(b: Uint8Array, start: number, len: number, ctx: CodecContext, opts: DecodeOptions): MpReach | string {
  const end = start + len;
  // RFC 6396 §4.3.4: TABLE_DUMP_V2 entries abbreviate MP_REACH_NLRI to next-hop length and next
  // hop. Some writers (Quagga) store the full RFC 4760 form instead; its first octet is the AFI's
  // high byte, 0, which is never a valid abbreviated next-hop length, so the two are told apart.
  if (opts.mrtRib && !(len >= 5 && b[start] === 0)) {
    if (len < 1) return 'MP_REACH_NLRI (MRT) empty';
    const nhLen = b[start]!;
    if (1 + nhLen > len) return 'MP_REACH_NLRI (MRT) next hop overruns';
    const afi = opts.afi ?? 2;
    const safi = opts.safi ?? 1;
    const hops = decodeNextHops(afi, b, start + 1, nhLen);
    if (typeof hops === 'string') return hops;
    return { afi, safi, nextHops: hops, nlri: [] };
  }
  if (len < 5) return 'MP_REACH_NLRI shorter than 5 bytes';
  const afi = (b[start]! << 8) | b[start + 1]!;
  const safi = b[start + 2]!;
  const nhLen = b[start + 3]!;
  const p = start + 4;
  if (p + nhLen + 1 > end) return `MP_REACH_NLRI next-hop length ${nhLen} overruns the attribute`;
  const reserved = b[p + nhLen]!;
  const nlriAt = p + nhLen + 1;
  if (!isPrefixFamily(afi, safi)) {
    const raw: MpReach = { afi, safi, nextHops: [], nlri: [], nextHopHex: toHex(b.subarray(p, p + nhLen)) };
    if (reserved !== 0) raw.reserved = reserved;
    raw.nlriHex = toHex(b.subarray(nlriAt, end));
    return raw;
  }
  const hops = decodeNextHops(afi, b, p, nhLen);
  if (typeof hops === 'string') return hops;
  const nlri = decodeNlriKeys(b, nlriAt, end, afi, ctx.addPath.has(prefixFamilyKey(afi, safi)));
  if (typeof nlri === 'string') return nlri;
  if (ctx.keyedLists === true) {
    const keyed = new KeyedMpReach(afi, safi, hops, nlri);
    if (reserved !== 0) keyed.reserved = reserved;
    return keyed;
  }
  // Built from an empty literal, which has room for four fields inside the object: the three
  // and the list's keys (list-fields.ts) then need no property array beside it (a literal of
  // three has room for just those).
  const reach = {} as MpReach;
  reach.afi = afi;
  reach.safi = safi;
  reach.nextHops = hops;
  setNlriField(reach, 'nlri', nlri);
  if (reserved !== 0) reach.reserved = reserved;
  return reach;
}

function encodeMpReach(w: Writer, v: MpReach, ctx: CodecContext): void {
  w.u16(v.afi);
  w.u8(v.safi);
  const lenAt = w.reserve(1);
  if (v.nextHopHex !== undefined) {
    w.bytes(fromHex(v.nextHopHex));
  } else {
    for (const hop of v.nextHops) {
      if (hop.includes(':')) encodeIpv6(w, hop);
      else encodeIpv4(w, hop);
    }
  }
  w.putU8(lenAt, w.pos - lenAt - 1);
  w.u8(v.reserved ?? 0);
  if (v.nlriHex !== undefined) w.bytes(fromHex(v.nlriHex));
  else encodeNlri(w, v.afi, v.nlri, ctx.addPath.has(`${v.afi}/${v.safi}`));
}

function decodeMpUnreach(b: Uint8Array, start: number, len: number, ctx: CodecContext): MpUnreach | string {
  if (len < 3) return 'MP_UNREACH_NLRI shorter than 3 bytes';
  const afi = (b[start]! << 8) | b[start + 1]!;
  const safi = b[start + 2]!;
  if (!isPrefixFamily(afi, safi)) {
    return { afi, safi, withdrawn: [], nlriHex: toHex(b.subarray(start + 3, start + len)) };
  }
  const withdrawn = decodeNlriKeys(b, start + 3, start + len, afi, ctx.addPath.has(prefixFamilyKey(afi, safi)));
  if (typeof withdrawn === 'string') return withdrawn;
  if (ctx.keyedLists === true) return new KeyedMpUnreach(afi, safi, withdrawn);
  // As MP_REACH_NLRI's: an empty literal has room for the keys beside the two fields.
  const unreach = {} as MpUnreach;
  unreach.afi = afi;
  unreach.safi = safi;
  setNlriField(unreach, 'withdrawn', withdrawn);
  return unreach;
}

function encodeMpUnreach(w: Writer, v: MpUnreach, ctx: CodecContext): void {
  w.u16(v.afi);
  w.u8(v.safi);
  if (v.nlriHex !== undefined) w.bytes(fromHex(v.nlriHex));
  else encodeNlri(w, v.afi, v.withdrawn, ctx.addPath.has(`${v.afi}/${v.safi}`));
}

function decodeAggregator(b: Uint8Array, s: number, len: number, asSize: 2 | 4): { asn: number; address: string } | Bad {
  // RFC 7606 §7.7 (AGGREGATOR), RFC 6793 §6 (AS4_AGGREGATOR): length must match the AS size.
  const bad = fixedLength(len, asSize + 4, 'AGGREGATOR');
  if (bad) return bad;
  const asn = asSize === 4 ? u32(b, s) : (b[s]! << 8) | b[s + 1]!;
  // RFC 7607 §2: AS 0 in AGGREGATOR / AS4_AGGREGATOR makes the attribute malformed.
  if (asn === 0) return new Bad('aggregator AS 0');
  return { asn, address: ipv4ToText(b, s + asSize) };
}

function u32List(b: Uint8Array, s: number, len: number, unit: number, name: string): number[] | string {
  if (len % unit !== 0) return `${name} length ${len} not a multiple of ${unit}`;
  const out = numberList();
  for (let p = s; p < s + len; p += 4) out.push(u32(b, p));
  return out;
}

const asSize = (ctx: CodecContext): 2 | 4 => (ctx.as4 ? 4 : 2);

const DESCRIPTORS: Descriptor[] = [
  {
    code: 1, name: 'ORIGIN', flags: WELL_KNOWN, onMalformed: 'treat-as-withdraw', // RFC 7606 §7.1
    decode: (b, s, len) => fixedLength(len, 1, 'ORIGIN') ?? ORIGINS[b[s]!] ?? new Bad(`ORIGIN value ${b[s]} undefined`),
    encode: (w, v: (typeof ORIGINS)[number]) => w.u8(ORIGINS.indexOf(v)),
  },
  {
    code: 2, name: 'AS_PATH', flags: WELL_KNOWN, onMalformed: 'treat-as-withdraw', // RFC 7606 §7.2
    decode: (b, s, len, ctx) => lift(decodeAsPath(b, s, s + len, asSize(ctx))), // RFC 7607 §2 (AS 0) in decodeAsPath
    encode: (w, v: Parameters<typeof encodeAsPath>[1], ctx) => encodeAsPath(w, v, asSize(ctx)),
  },
  {
    code: 3, name: 'NEXT_HOP', flags: WELL_KNOWN, onMalformed: 'treat-as-withdraw', // RFC 7606 §7.3
    decode: (b, s, len) => fixedLength(len, 4, 'NEXT_HOP') ?? ipv4ToText(b, s),
    encode: (w, v: string) => encodeIpv4(w, v),
  },
  {
    code: 4, name: 'MULTI_EXIT_DISC', flags: OPT_NON_TRANS, onMalformed: 'treat-as-withdraw', // RFC 7606 §7.4
    decode: (b, s, len) => fixedLength(len, 4, 'MULTI_EXIT_DISC') ?? u32(b, s),
    encode: (w, v: number) => w.u32(v),
  },
  {
    code: 5, name: 'LOCAL_PREF', flags: WELL_KNOWN, onMalformed: 'treat-as-withdraw', // RFC 7606 §7.5
    decode: (b, s, len) => fixedLength(len, 4, 'LOCAL_PREF') ?? u32(b, s),
    encode: (w, v: number) => w.u32(v),
  },
  {
    code: 6, name: 'ATOMIC_AGGREGATE', flags: WELL_KNOWN, onMalformed: 'attribute-discard', // RFC 7606 §7.6
    decode: (_b, _s, len) => fixedLength(len, 0, 'ATOMIC_AGGREGATE') ?? true,
    encode: () => undefined,
  },
  {
    code: 7, name: 'AGGREGATOR', flags: OPT_TRANS, onMalformed: 'attribute-discard', // RFC 7606 §7.7
    decode: (b, s, len, ctx) => decodeAggregator(b, s, len, asSize(ctx)),
    encode: (w, v: { asn: number; address: string }, ctx) => {
      if (ctx.as4) w.u32(v.asn);
      else w.u16(v.asn > 0xffff ? 23456 : v.asn);
      encodeIpv4(w, v.address);
    },
  },
  {
    code: 8, name: 'COMMUNITIES', flags: OPT_TRANS, onMalformed: 'treat-as-withdraw', // RFC 7606 §7.8
    decode: (b, s, len) => lift(len === 0 ? 'COMMUNITIES length 0' : u32List(b, s, len, 4, 'COMMUNITIES')),
    encode: (w, v: number[]) => {
      for (let i = 0; i < v.length; i++) w.u32(v[i]!);
    },
  },
  {
    code: 9, name: 'ORIGINATOR_ID', flags: OPT_NON_TRANS, onMalformed: 'treat-as-withdraw', // RFC 7606 §7.9
    decode: (b, s, len) => fixedLength(len, 4, 'ORIGINATOR_ID') ?? ipv4ToText(b, s),
    encode: (w, v: string) => encodeIpv4(w, v),
  },
  {
    code: 10, name: 'CLUSTER_LIST', flags: OPT_NON_TRANS, onMalformed: 'treat-as-withdraw', // RFC 7606 §7.10
    decode: (b, s, len) => {
      if (len === 0 || len % 4 !== 0) return new Bad(`CLUSTER_LIST length ${len} not a positive multiple of 4`);
      const ids = new Array<string>(len / 4);
      for (let i = 0; i < ids.length; i++) ids[i] = ipv4ToText(b, s + 4 * i);
      return ids;
    },
    encode: (w, v: string[]) => v.forEach((id) => encodeIpv4(w, id)),
  },
  {
    // RFC 7606 §7.11 and §5.3: when the NLRI cannot be located, the session is reset.
    code: 14, name: 'MP_REACH_NLRI', flags: OPT_NON_TRANS, onMalformed: 'session-reset', onBadFlags: 'session-reset',
    decode: (b, s, len, ctx, opts) => lift(decodeMpReach(b, s, len, ctx, opts)),
    encode: (w, v: MpReach, ctx) => encodeMpReach(w, v, ctx),
  },
  {
    // RFC 7606 §7.12, and §3(j): without the MP attributes parsed, treat-as-withdraw is impossible.
    code: 15, name: 'MP_UNREACH_NLRI', flags: OPT_NON_TRANS, onMalformed: 'session-reset', onBadFlags: 'session-reset',
    decode: (b, s, len, ctx) => lift(decodeMpUnreach(b, s, len, ctx)),
    encode: (w, v: MpUnreach, ctx) => encodeMpUnreach(w, v, ctx),
  },
  {
    code: 16, name: 'EXTENDED_COMMUNITIES', flags: OPT_TRANS, onMalformed: 'treat-as-withdraw', // RFC 7606 §7.14
    decode: (b, s, len) => {
      if (len === 0 || len % 8 !== 0) return new Bad(`EXTENDED_COMMUNITIES length ${len} not a positive multiple of 8`);
      const list = new Array<string>(len / 8);
      for (let i = 0; i < list.length; i++) list[i] = toHex(b.subarray(s + 8 * i, s + 8 * i + 8));
      return list;
    },
    encode: (w, v: string[]) => v.forEach((c) => w.bytes(fromHex(c))),
  },
  {
    // RFC 6793 §6: a malformed AS4_PATH (flags included) is discarded.
    code: 17, name: 'AS4_PATH', flags: OPT_TRANS, onMalformed: 'attribute-discard', onBadFlags: 'attribute-discard',
    decode: (b, s, len) => lift(decodeAsPath(b, s, s + len, 4)),
    encode: (w, v: Parameters<typeof encodeAsPath>[1]) => encodeAsPath(w, v, 4),
  },
  {
    code: 18, name: 'AS4_AGGREGATOR', flags: OPT_TRANS, onMalformed: 'attribute-discard', onBadFlags: 'attribute-discard', // RFC 6793 §6
    decode: (b, s, len) => decodeAggregator(b, s, len, 4),
    encode: (w, v: { asn: number; address: string }) => {
      w.u32(v.asn);
      encodeIpv4(w, v.address);
    },
  },
  {
    code: 32, name: 'LARGE_COMMUNITY', flags: OPT_TRANS, onMalformed: 'treat-as-withdraw', // RFC 8092 §5
    decode: (b, s, len) => {
      if (len === 0 || len % 12 !== 0) return new Bad(`LARGE_COMMUNITY length ${len} not a positive multiple of 12`);
      const list = new Array<[number, number, number]>(len / 12);
      for (let i = 0, p = s; i < list.length; i++, p += 12) list[i] = [u32(b, p), u32(b, p + 4), u32(b, p + 8)];
      return list;
    },
    encode: (w, v: [number, number, number][]) => v.forEach(([g, l1, l2]) => (w.u32(g), w.u32(l1), w.u32(l2))),
  },
  {
    code: 35, name: 'ONLY_TO_CUSTOMER', flags: OPT_TRANS, onMalformed: 'treat-as-withdraw', // RFC 9234 §5
    decode: (b, s, len) => fixedLength(len, 4, 'ONLY_TO_CUSTOMER') ?? u32(b, s),
    encode: (w, v: number) => w.u32(v),
  },
];

export const ATTRIBUTES: (Descriptor | undefined)[] = [];
for (const d of DESCRIPTORS) ATTRIBUTES[d.code] = d;

/** Encode one attribute: flags, type, length (one or two octets), value. */
export function encodeAttribute(w: Writer, attr: PathAttribute, ctx: CodecContext): void {
  let flags = attr.flags;
  w.u8(flags);
  w.u8(attr.code);
  const lenAt = w.reserve(flags & FLAG_EXTENDED_LENGTH ? 2 : 1);
  const valueAt = w.pos;
  const d = ATTRIBUTES[attr.code];
  if (attr.name === 'UNKNOWN' || !d) w.bytes(fromHex(attr.value as string));
  else d.encode(w, attr.value as never, ctx);
  const len = w.pos - valueAt;
  if (!(flags & FLAG_EXTENDED_LENGTH) && len > 255) {
    // Too long for one octet: set the Extended Length bit (RFC 4271 §4.3) and widen the field.
    flags |= FLAG_EXTENDED_LENGTH;
    w.putU8(lenAt - 2, flags);
    w.shiftFrom(valueAt, 1);
  }
  if (flags & FLAG_EXTENDED_LENGTH) w.putU16(lenAt, len);
  else w.putU8(lenAt, len);
}
