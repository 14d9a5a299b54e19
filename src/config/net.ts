// Address and prefix text in the configuration. Parsing goes through the codec's own parsers so
// that the canonical text stored in Config (dotted quad, RFC 5952 IPv6) is exactly the text the
// codec produces for the same address on the wire: neighbour and RIB lookups compare strings.

import { ipv4ToText, ipv6ToText, parseIpv4, parseIpv6 } from '../bgp/wire/addr.js';
import type { Family } from './types.js';

export interface ParsedAddress {
  family: Family;
  /** Canonical text. */
  text: string;
  bytes: Uint8Array;
}

export interface ParsedPrefix extends ParsedAddress {
  length: number;
}

const dottedQuad = /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/;
const maxLength: Record<Family, number> = { ipv4: 32, ipv6: 128 };

/** An IPv4 or IPv6 address (no prefix length, no zone), or undefined. */
export function parseAddress(text: string): ParsedAddress | undefined {
  const v4 = new Uint8Array(4);
  // Leading zeros are refused: inet_aton reads "010" as octal 8, the codec as decimal 10.
  if (dottedQuad.test(text) && parseIpv4(text, v4)) return { family: 'ipv4', text: ipv4ToText(v4), bytes: v4 };
  const v6 = new Uint8Array(16);
  if (text.includes(':') && parseIpv6(text, v6)) return { family: 'ipv6', text: ipv6ToText(v6), bytes: v6 };
  return undefined;
}

/** "address/length" with no bits set past the length, or an error message saying what is wrong. */
export function parsePrefix(text: string): ParsedPrefix | string {
  const slash = text.indexOf('/');
  if (slash < 0) return `"${text}" is not a prefix (address/length)`;
  const address = parseAddress(text.slice(0, slash));
  if (address === undefined) return `"${text}" is not a prefix: "${text.slice(0, slash)}" is not an IPv4 or IPv6 address`;
  const lengthText = text.slice(slash + 1);
  const length = /^\d{1,3}$/.test(lengthText) ? Number(lengthText) : NaN;
  const max = maxLength[address.family];
  if (!(length <= max)) return `"${text}" is not a prefix: the length must be 0..${max}`;
  if (hasHostBits(address.bytes, length)) {
    return `"${text}" has bits set past /${length} (did you mean ${maskedText(address, length)}?)`;
  }
  return { ...address, text: `${address.text}/${length}`, length };
}

export function familyMaxLength(family: Family): number {
  return maxLength[family];
}

function hasHostBits(bytes: Uint8Array, length: number): boolean {
  for (let bit = length; bit < bytes.length * 8; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return true;
  }
  return false;
}

function maskedText(address: ParsedAddress, length: number): string {
  const masked = Uint8Array.from(address.bytes);
  for (let bit = length; bit < masked.length * 8; bit++) {
    masked[bit >> 3] = masked[bit >> 3]! & ~(1 << (7 - (bit & 7)));
  }
  const text = address.family === 'ipv4' ? ipv4ToText(masked) : ipv6ToText(masked);
  return `${text}/${length}`;
}
