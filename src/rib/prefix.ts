// Address and prefix helpers for the RIB's off-hot-path work: canonical prefix text for
// configured and kernel routes, masking for next-hop longest match, and sort keys for the
// decision process's address comparisons. Per-prefix text from the codec is already canonical.

import { ipv4ToText, ipv6ToText, parseIpv4, parseIpv6 } from '../bgp/wire/index.js';
import type { Family } from './types.js';

export function familyOfAddress(addr: string): Family {
  return addr.includes(':') ? 'ipv6' : 'ipv4';
}

/** Address text to its bytes (4 or 16), or undefined when it is not an address. */
export function addressBytes(addr: string): Uint8Array | undefined {
  if (addr.includes(':')) {
    const out = new Uint8Array(16);
    return parseIpv6(addr, out) ? out : undefined;
  }
  const out = new Uint8Array(4);
  return parseIpv4(addr, out) ? out : undefined;
}

/** The network text of `bytes` masked to `len` bits ("10.1.0.0/16"). */
export function maskedPrefix(bytes: Uint8Array, len: number): string {
  const masked = new Uint8Array(bytes.length);
  const full = len >> 3;
  for (let i = 0; i < full; i++) masked[i] = bytes[i]!;
  if (len & 7) masked[full] = bytes[full]! & (0xff << (8 - (len & 7)));
  const text = bytes.length === 4 ? ipv4ToText(masked) : ipv6ToText(masked);
  return `${text}/${len}`;
}

/** Canonical form of prefix text (host bits cleared, RFC 5952 for IPv6), or undefined if invalid. */
export function canonicalPrefix(text: string): { family: Family; prefix: string; length: number } | undefined {
  const slash = text.indexOf('/');
  const bytes = addressBytes(slash < 0 ? text : text.slice(0, slash));
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  const length = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(length) || length < 0 || length > max || (slash >= 0 && !/^\d+$/.test(text.slice(slash + 1)))) {
    return undefined;
  }
  return { family: bytes.length === 4 ? 'ipv4' : 'ipv6', prefix: maskedPrefix(bytes, length), length };
}

/** Prefix length of canonical prefix text. */
export function prefixLength(prefix: string): number {
  let len = 0;
  for (let i = prefix.lastIndexOf('/') + 1; i < prefix.length; i++) len = len * 10 + prefix.charCodeAt(i) - 48;
  return len;
}

/** The length after the slash at `slash`, read from char codes (1 to 3 digits); -1 if malformed. */
export function prefixLengthAt(prefix: string, slash: number): number {
  if (slash < 0 || prefix.length - slash < 2 || prefix.length - slash > 4) return -1;
  let len = 0;
  for (let i = slash + 1; i < prefix.length; i++) {
    const d = prefix.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    len = len * 10 + d;
  }
  return len;
}

const sortKeys = new Map<string, string>();

/**
 * A string that sorts like the address numerically, IPv4 before IPv6 ("lowest peer address",
 * "lowest router id"). Cached: it is asked for peer addresses and router ids, a bounded set.
 */
export function addressSortKey(addr: string): string {
  let key = sortKeys.get(addr);
  if (key === undefined) {
    const bytes = addressBytes(addr);
    key = bytes ? `${bytes.length === 4 ? '4' : '6'}${Buffer.from(bytes).toString('hex')}` : `9${addr}`;
    if (sortKeys.size > 100_000) sortKeys.clear();
    sortKeys.set(addr, key);
  }
  return key;
}

/** IPv6 link-local (fe80::/10): on-link by definition, needs no route to resolve. */
export function isLinkLocal(addr: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(addr);
}
