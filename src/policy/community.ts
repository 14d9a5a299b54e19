// Community text as operators write it, to and from the values PathAttrs carries: standard
// communities as 32-bit numbers (RFC 1997), extended communities as 16 lower-case hex digits
// (RFC 4360, RFC 5668), large communities as [global, local1, local2] (RFC 8092). Patterns may
// use '*' for a whole field when matching or removing.

import { parseIpv4 } from '../bgp/wire/index.js';

/** Well-known standard communities by the names BIRD, FRR and Cisco use. */
export const WELL_KNOWN_COMMUNITIES: Readonly<Record<string, number>> = {
  'graceful-shutdown': 0xffff0000, // RFC 8326 §5
  'accept-own': 0xffff0001, // RFC 7611 §2
  'llgr-stale': 0xffff0006, // RFC 9494 §4.1
  'no-llgr': 0xffff0007, // RFC 9494 §4.2
  blackhole: 0xffff029a, // RFC 7999 §5
  'no-export': 0xffffff01, // RFC 1997
  'no-advertise': 0xffffff02, // RFC 1997
  'no-export-subconfed': 0xffffff03, // RFC 1997
  'local-as': 0xffffff03, // Cisco's name for NO_EXPORT_SUBCONFED
  'no-peer': 0xffffff04, // RFC 3765 §3
};

export const NO_EXPORT = 0xffffff01;
export const NO_ADVERTISE = 0xffffff02;
export const NO_EXPORT_SUBCONFED = 0xffffff03;

const U16 = 0xffff;
const U32 = 0xffffffff;
/** A pattern field that matches anything. */
export const ANY = -1;

/** A standard community pattern: each half a value or ANY. */
export interface StandardPattern {
  high: number;
  low: number;
}

/** A parse result: the value, or why the text is not one. */
export type Parsed<T> = { value: T } | { error: string };

export type LargeCommunity = readonly [number, number, number];
/** A large community pattern: each field a value or ANY. */
export type LargePattern = readonly [number, number, number];

/** Parse a decimal field up to max, or '*' when wildcards are allowed. */
function parseField(text: string, max: number, wildcard: boolean): number | undefined {
  if (wildcard && text === '*') return ANY;
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/** Standard community text: "65000:100" or a well-known name; '*' fields when wildcard. */
export function parseStandard(text: string, wildcard: boolean): Parsed<StandardPattern> {
  const named = WELL_KNOWN_COMMUNITIES[text.toLowerCase().replace(/_/g, '-')];
  if (named !== undefined) return { value: { high: named >>> 16, low: named & U16 } };
  const parts = text.split(':');
  const high = parts.length === 2 ? parseField(parts[0]!, U16, wildcard) : undefined;
  const low = parts.length === 2 ? parseField(parts[1]!, U16, wildcard) : undefined;
  if (high === undefined || low === undefined) {
    return { error: `bad community "${text}": expected ASN:value (each 0..65535${wildcard ? " or '*'" : ''}) or a well-known name` };
  }
  return { value: { high, low } };
}

export function standardValue(p: StandardPattern): number {
  return ((p.high << 16) | p.low) >>> 0;
}

export function isWildcardStandard(p: StandardPattern): boolean {
  return p.high === ANY || p.low === ANY;
}

export function matchesStandard(p: StandardPattern, value: number): boolean {
  return (p.high === ANY || p.high === value >>> 16) && (p.low === ANY || p.low === (value & U16));
}

/** Large community text "65000:1:2" (each 0..4294967295); '*' fields when wildcard. */
export function parseLarge(text: string, wildcard: boolean): Parsed<LargePattern> {
  const parts = text.split(':');
  const fields = parts.length === 3 ? parts.map((f) => parseField(f, U32, wildcard)) : [];
  const [a, b, c] = fields;
  if (a === undefined || b === undefined || c === undefined) {
    return { error: `bad large community "${text}": expected global:local1:local2 (each 0..4294967295${wildcard ? " or '*'" : ''})` };
  }
  return { value: [a, b, c] };
}

export function matchesLarge(p: LargePattern, value: LargeCommunity): boolean {
  return (p[0] === ANY || p[0] === value[0]) && (p[1] === ANY || p[1] === value[1]) && (p[2] === ANY || p[2] === value[2]);
}

export function isWildcardLarge(p: LargePattern): boolean {
  return p[0] === ANY || p[1] === ANY || p[2] === ANY;
}

/** Extended community sub-types for the keywords (RFC 4360 §4, §5). */
const EXT_SUBTYPES: Readonly<Record<string, number>> = { rt: 0x02, soo: 0x03, ro: 0x03 };

/**
 * Extended community text to 16 hex digits: "rt:65000:100", "soo:65000:100", "rt:192.0.2.1:7",
 * "rt:4200000000:7", or the raw 8 octets as 16 hex digits (optionally "0x"-prefixed).
 */
export function parseExtended(text: string): Parsed<string> {
  const raw = /^(?:0x)?([0-9a-fA-F]{16})$/.exec(text);
  if (raw) return { value: raw[1]!.toLowerCase() };
  const parts = text.split(':');
  const subtype = parts.length === 3 ? EXT_SUBTYPES[parts[0]!.toLowerCase()] : undefined;
  const encoded = subtype === undefined ? undefined : encodeAdministrator(subtype, parts[1]!, parts[2]!);
  if (encoded !== undefined) return { value: encoded };
  return {
    error:
      `bad extended community "${text}": expected rt:|soo:ASN:value, rt:|soo:IPv4:value or 16 hex digits ` +
      '(2-octet ASN: value 0..4294967295; 4-octet ASN or IPv4: value 0..65535)',
  };
}

/** Type, sub-type, global and local administrator, per the administrator's form. */
function encodeAdministrator(subtype: number, admin: string, local: string): string | undefined {
  const ip = new Uint8Array(4);
  if (admin.includes('.')) {
    // RFC 4360 §3.2: IPv4-Address-Specific, type 0x01: 4-octet address, 2-octet local value.
    const value = parseField(local, U16, false);
    if (!parseIpv4(admin, ip) || value === undefined) return undefined;
    return hex(0x01, 1) + hex(subtype, 1) + Array.from(ip, (b) => hex(b, 1)).join('') + hex(value, 2);
  }
  const asn = parseField(admin, U32, false);
  if (asn === undefined) return undefined;
  if (asn <= U16) {
    // RFC 4360 §3.1: Two-Octet AS-Specific, type 0x00: 2-octet AS, 4-octet local value.
    const value = parseField(local, U32, false);
    return value === undefined ? undefined : hex(0x00, 1) + hex(subtype, 1) + hex(asn, 2) + hex(value, 4);
  }
  // RFC 5668 §3: Four-Octet AS-Specific, type 0x02: 4-octet AS, 2-octet local value.
  const value = parseField(local, U16, false);
  return value === undefined ? undefined : hex(0x02, 1) + hex(subtype, 1) + hex(asn, 4) + hex(value, 2);
}

function hex(value: number, octets: number): string {
  return value.toString(16).padStart(octets * 2, '0');
}

// ---- Modifying community lists: results sorted and deduplicated, as BIRD keeps them ----

export function compareStandard(a: number, b: number): number {
  return a - b;
}

export function compareExtended(a: string, b: string): number {
  // Equal-length lower-case hex: string order is numeric order.
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareLarge(a: LargeCommunity, b: LargeCommunity): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Sorted, deduplicated copy. */
export function normalise<T>(values: readonly T[], compare: (a: T, b: T) => number): T[] {
  const sorted = values.slice().sort(compare);
  return sorted.filter((v, i) => i === 0 || compare(sorted[i - 1]!, v) !== 0);
}

/** The list with `add` merged in, or undefined when every value is already there. */
export function addValues<T>(current: readonly T[], add: readonly T[], compare: (a: T, b: T) => number): T[] | undefined {
  const missing = add.some((v) => !current.some((c) => compare(c, v) === 0));
  return missing ? normalise([...current, ...add], compare) : undefined;
}

/** The list without the values `remove` matches, or undefined when it matches none. */
export function removeValues<T>(current: readonly T[], matches: (value: T) => boolean, compare: (a: T, b: T) => number): T[] | undefined {
  const kept = current.filter((v) => !matches(v));
  return kept.length === current.length ? undefined : normalise(kept, compare);
}

/** The list replaced by `values` (already normalised), or undefined when it already equals them. */
export function replaceValues<T>(current: readonly T[], values: readonly T[], compare: (a: T, b: T) => number): T[] | undefined {
  const same = current.length === values.length && current.every((c, i) => compare(c, values[i]!) === 0);
  return same ? undefined : values.slice();
}
