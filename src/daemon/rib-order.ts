// The prefixes of a streamed show rib in listing order (src/mgmt/prefix-order.ts: numeric
// address, then length) without sorting a million keys up front: that takes seconds of one
// event-loop turn and delays the first byte by as much. Instead the RIB's prefix table is dealt
// into buckets by the most significant bits (IPv4: first octet, IPv6: first 16 bits) a slice per
// turn, and each bucket is sorted only when the stream reaches it. The first byte waits for the
// dealing alone, and each later sort is a few thousand keys.

import { prefixSortKey } from '../mgmt/prefix-order.js';
import type { Family } from '../rib/index.js';

/** Prefix table slots dealt per event-loop turn. */
const DEAL_PER_TURN = 65536;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * What the ordering reads: the RIB's prefix table (Rib.prefixTables), slot by slot. Slots are
 * read a slice per turn, so one that changes meanwhile is read as it is then.
 */
export interface PrefixSlots {
  readonly limit: number;
  live(id: number): boolean;
  /** Canonical text of the slot's prefix. */
  text(id: number): string;
  /** Address word i (32 bits, most significant first; IPv4: the address). */
  word(id: number, i?: number): number;
  length(id: number): number;
}

/** An IPv4 prefix as one exact number in listing order: address × 64 + length. */
const ipv4Key = (address: number, length: number): number => address * 64 + length;

function ipv4Text(key: number): string {
  const len = key % 64;
  const a = (key - len) / 64;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`;
}

/** prefixSortKey's length for IPv6: family tag, 16 address bytes, length. */
const IPV6_KEY_LENGTH = 18;

/** One bucket in listing order: IPv4 keys sorted as numbers, IPv6 text by prefixSortKey. */
function* sortedBucket(family: Family, bucket: (number | string)[]): Generator<string> {
  if (family === 'ipv4') {
    const keys = Float64Array.from(bucket as number[]).sort();
    for (let i = 0; i < keys.length; i++) yield ipv4Text(keys[i]!);
    return;
  }
  const keyed = (bucket as string[]).map((p) => prefixSortKey(p) + p);
  keyed.sort();
  for (const k of keyed) yield k.slice(IPV6_KEY_LENGTH);
}

/**
 * The live prefixes of a family's table that pass `include`, in listing order. Dealing runs over
 * event-loop turns before this resolves and reads no text for IPv4 (the address word and length
 * are the sort key); each bucket is sorted, and its text made, as the iterator reaches it.
 */
export async function orderedPrefixes(family: Family, slots: () => PrefixSlots, include?: (prefix: string) => boolean): Promise<Iterator<string>> {
  const buckets: ((number | string)[] | undefined)[] = new Array<(number | string)[] | undefined>(family === 'ipv4' ? 256 : 65536);
  for (let at = 0; at < slots().limit; at += DEAL_PER_TURN) {
    const table = slots();
    const end = Math.min(table.limit, at + DEAL_PER_TURN);
    for (let id = at; id < end; id++) {
      if (!table.live(id)) continue;
      if (include && !include(table.text(id))) continue;
      const w = table.word(id, 0);
      // IPv4: first octet; IPv6: first 16 bits. Either way the most significant bits of the order.
      if (family === 'ipv4') (buckets[w >>> 24] ??= []).push(ipv4Key(w >>> 0, table.length(id)));
      else (buckets[w >>> 16] ??= []).push(table.text(id));
    }
    await nextTurn();
  }
  return (function* walk(): Generator<string> {
    for (const bucket of buckets) if (bucket) yield* sortedBucket(family, bucket);
  })();
}
