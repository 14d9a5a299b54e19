// The order routectl lists prefixes in: IPv4 before IPv6, then by address as a number, then by
// length (shorter first), as `show ip bgp` and `birdc show route` list them. Text order would put
// 10.0.0.0/8 after 1.0.0.0/24 but also 100.0.0.0/8 before 2.0.0.0/8.
//
// A comparison parses both prefixes; sorting many uses prefixSortKey once per prefix instead
// (sortByPrefix does), because the keys compare as plain strings.

import { parseIpv4, parseIpv6 } from '../bgp/wire/addr.js';

const scratch = new Uint8Array(16);

/** Family tags: the first character of a key, so IPv4 sorts before IPv6, and text that is no prefix last. */
const TAG = { ipv4: '\u0004', ipv6: '\u0006', other: '\u0007' } as const;

/**
 * A string whose code-unit order is the listing order: the family tag, one character per address
 * byte, then one for the length. Text that does not parse keeps its own order after every prefix.
 */
export function prefixSortKey(prefix: string): string {
  const slash = prefix.indexOf('/');
  const len = slash < 0 ? NaN : Number(prefix.slice(slash + 1));
  const end = slash < 0 ? prefix.length : slash;
  const v6 = prefix.includes(':');
  const size = v6 ? 16 : 4;
  const ok = Number.isInteger(len) && len >= 0 && len <= size * 8 && (v6 ? parseIpv6(prefix, scratch, 0, 0, end) : parseIpv4(prefix, scratch, 0, 0, end));
  if (!ok) return TAG.other + prefix;
  return (v6 ? TAG.ipv6 : TAG.ipv4) + String.fromCharCode(...scratch.subarray(0, size), len);
}

/** Listing order of two prefixes (canonical text, "198.51.100.0/24" or "2001:db8::/32"). */
export function comparePrefixes(a: string, b: string): number {
  const ka = prefixSortKey(a);
  const kb = prefixSortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** A sorted copy of items by their prefix, each prefix parsed once. Stable for equal prefixes. */
export function sortByPrefix<T>(items: Iterable<T>, prefixOf: (item: T) => string): T[] {
  const keyed: { key: string; item: T }[] = [];
  for (const item of items) keyed.push({ key: prefixSortKey(prefixOf(item)), item });
  keyed.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return keyed.map((k) => k.item);
}
