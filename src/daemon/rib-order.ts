// The prefixes of a streamed show rib in listing order (src/mgmt/prefix-order.ts: numeric
// address, then length) without sorting a million keys up front: that takes seconds of one
// event-loop turn and delays the first byte by as much. Instead the keys are dealt into buckets
// by their most significant bits (IPv4: first octet, IPv6: first 16 bits) a slice per turn, and
// each bucket is sorted only when the stream reaches it. The first byte waits for the dealing
// alone (tens of milliseconds per million), and each later sort is a few thousand keys.

import { prefixSortKey } from '../mgmt/prefix-order.js';
import type { Family } from '../rib/index.js';

/** Keys dealt per event-loop turn. */
const DEAL_PER_TURN = 65536;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Leading decimal (IPv4 first octet) or hex (IPv6 first group) digits of canonical text. */
function leadingNumber(prefix: string, radix: 10 | 16): number {
  let n = 0;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : radix === 16 && c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return n;
    n = n * radix + d;
  }
  return n;
}

/** IPv4 canonical text as one number that sorts as listing order: address × 64 + length. */
function ipv4Key(prefix: string): number {
  let addr = 0;
  let n = 0;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    if (c === 46 || c === 47) {
      addr = addr * 256 + n;
      n = 0;
    } else {
      n = n * 10 + c - 48;
    }
  }
  return addr * 64 + n;
}

/** Positions within a bucket: 2^22, far above the largest bucket of a full table (a /8 of IPv4). */
const INDEX_SPAN = 4194304;

/**
 * An IPv4 bucket in listing order. Within a bucket the first octet is fixed, so the rest of the
 * address and the length take 30 bits and the entry's position fits below them in one exact
 * double: sorting those numbers sorts the bucket, and no text is built again.
 */
function sortIpv4(bucket: string[]): string[] {
  if (bucket.length >= INDEX_SPAN) return [...bucket].sort((x, y) => ipv4Key(x) - ipv4Key(y));
  const keys = new Float64Array(bucket.length);
  for (let i = 0; i < bucket.length; i++) keys[i] = (ipv4Key(bucket[i]!) % 1073741824) * INDEX_SPAN + i;
  keys.sort();
  const out = new Array<string>(bucket.length);
  for (let i = 0; i < keys.length; i++) out[i] = bucket[keys[i]! % INDEX_SPAN]!;
  return out;
}

/** prefixSortKey's length for IPv6: family tag, 16 address bytes, length. */
const IPV6_KEY_LENGTH = 18;

/** One bucket in listing order. IPv4 sorts numbers and rebuilds the (canonical) text. */
function sortBucket(family: Family, bucket: string[]): string[] {
  if (family === 'ipv4') return sortIpv4(bucket);
  const keyed = bucket.map((p) => prefixSortKey(p) + p);
  keyed.sort();
  return keyed.map((k) => k.slice(IPV6_KEY_LENGTH));
}

/**
 * The given prefixes (canonical text of one family) that pass `include`, in listing order. Dealing
 * runs over event-loop turns before this resolves; the sorting happens as the iterator is read.
 */
export async function orderedPrefixes(family: Family, prefixes: readonly string[], include?: (prefix: string) => boolean): Promise<Iterator<string>> {
  const buckets: (string[] | undefined)[] = new Array<string[] | undefined>(family === 'ipv4' ? 256 : 65536);
  const radix = family === 'ipv4' ? 10 : 16;
  for (let at = 0; at < prefixes.length; at += DEAL_PER_TURN) {
    const end = Math.min(prefixes.length, at + DEAL_PER_TURN);
    for (let i = at; i < end; i++) {
      const p = prefixes[i]!;
      if (include && !include(p)) continue;
      // "::/0" and "::1/128" start with no digits: bucket 0, as their first 16 bits are.
      const b = leadingNumber(p, radix);
      (buckets[b] ??= []).push(p);
    }
    await nextTurn();
  }
  return (function* walk(): Generator<string> {
    for (const bucket of buckets) {
      if (!bucket) continue;
      const sorted = sortBucket(family, bucket);
      for (let i = 0; i < sorted.length; i++) yield sorted[i]!;
    }
  })();
}
