// Typed access to routed's maps (layouts from bpf/routed_maps.h through layout.generated.ts).
// Every class owns preallocated key/value Buffers and reuses them on each call.

import { parseIpv4, parseIpv6, ipv4ToText, ipv6ToText } from '../../bgp/wire/addr.js';
import { prefixLengthAt } from '../../rib/prefix.js';
import {
  RoutedV4KeySize, RoutedV6KeySize, RoutedRouteSize, RoutedNextHopSize, RoutedEcmpGroupSize, RoutedCounterSize,
  ROUTED_ECMP_MEMBERS_MAX, RoutedStat, encodeRoutedNextHop, decodeRoutedNextHop, encodeRoutedEcmpGroup,
  decodeRoutedEcmpGroup, type RoutedNextHop, type RoutedStatName,
} from './layout.generated.js';
import { libbpf } from './libbpf.js';
import type { BpfMap } from './object.js';

export type Family = 4 | 6;

/** Write "addr/len" as an LPM key {prefixlen (LE), address with host bits cleared}. */
export function encodePrefix(family: Family, prefix: string, buf: Buffer, off = 0): void {
  const slash = prefix.indexOf('/');
  const bytes = family === 4 ? 4 : 16;
  const len = slash < 0 ? bytes * 8 : prefixLengthAt(prefix, slash);
  const end = slash < 0 ? prefix.length : slash;
  const ok = family === 4 ? parseIpv4(prefix, buf, off + 4, 0, end) : parseIpv6(prefix, buf, off + 4, 0, end);
  if (!ok || len < 0 || len > bytes * 8) throw new RangeError(`not an IPv${family} prefix: ${prefix}`);
  buf.writeUInt32LE(len, off);
  // Host bits: the partial byte, then whole bytes after it.
  let i = len >> 3;
  if (i < bytes && (len & 7) !== 0) buf[off + 4 + i++]! &= (0xff00 >> (len & 7)) & 0xff;
  for (; i < bytes; i++) buf[off + 4 + i] = 0;
}

export function decodePrefix(family: Family, buf: Buffer, off = 0): string {
  const text = family === 4 ? ipv4ToText(buf, off + 4) : ipv6ToText(buf, off + 4);
  return `${text}/${buf.readUInt32LE(off)}`;
}

/** A family's LPM trie: prefix → next-hop id. */
export class LpmMap {
  readonly keySize: number;
  private readonly key: Buffer;
  private readonly value = Buffer.alloc(RoutedRouteSize);

  constructor(readonly map: BpfMap, readonly family: Family) {
    this.keySize = family === 4 ? RoutedV4KeySize : RoutedV6KeySize;
    this.key = Buffer.alloc(this.keySize);
  }

  set(prefix: string, nhId: number): void {
    encodePrefix(this.family, prefix, this.key);
    this.value.writeUInt32LE(nhId, 0);
    this.map.update(this.key, this.value);
  }

  get(prefix: string): number | undefined {
    encodePrefix(this.family, prefix, this.key);
    return this.map.lookup(this.key, this.value) ? this.value.readUInt32LE(0) : undefined;
  }

  delete(prefix: string): boolean {
    encodePrefix(this.family, prefix, this.key);
    return this.map.delete(this.key);
  }

  /**
   * Bulk write, sorted by address then length first: the trie inserts about twice as fast in
   * address order. Written in batches of `chunk`; a batch is not atomic, so on error some
   * entries are in and the error says how many of that batch (`done`).
   */
  setMany(entries: ReadonlyArray<readonly [string, number]>, chunk = 65536): void {
    const { keys, values } = this.packSorted(entries);
    const ks = this.keySize;
    for (let start = 0; start < entries.length; start += chunk) {
      const n = Math.min(chunk, entries.length - start);
      this.map.updateBatch(keys.subarray(start * ks), values.subarray(start * RoutedRouteSize), n);
    }
  }

  /**
   * setMany with the kernel's work on a libuv worker thread, one batch in flight: the tries of
   * the two families fill in parallel (each trie has its own lock) while this thread encodes.
   */
  async setManyAsync(entries: ReadonlyArray<readonly [string, number]>, chunk = 65536): Promise<void> {
    const { keys, values } = this.packSorted(entries);
    const ks = this.keySize;
    for (let start = 0; start < entries.length; start += chunk) {
      const n = Math.min(chunk, entries.length - start);
      await this.map.updateBatchAsync(keys.subarray(start * ks), values.subarray(start * RoutedRouteSize), n);
    }
  }

  /** Keys and values packed back to back in address order, for the batch calls. */
  packSorted(entries: ReadonlyArray<readonly [string, number]>): { keys: Buffer; values: Buffer } {
    const n = entries.length;
    const words = this.keySize / 4;
    const raw = new Uint32Array(n * words);
    const rawBuf = Buffer.from(raw.buffer);
    for (let i = 0; i < n; i++) encodePrefix(this.family, entries[i]![0], rawBuf, i * this.keySize);
    const order = sortedOrder(rawBuf, this.keySize, n);
    const sorted = new Uint32Array(n * words);
    const values = new Uint32Array(n);
    for (let j = 0; j < n; j++) {
      const i = order[j]!;
      for (let w = 0; w < words; w++) sorted[j * words + w] = raw[i * words + w]!;
      values[j] = entries[i]![1];
    }
    return { keys: Buffer.from(sorted.buffer), values: Buffer.from(values.buffer) };
  }

  /** Bulk delete; returns how many were present and deleted. */
  deleteMany(prefixes: readonly string[], chunk = 16384): number {
    const ks = this.keySize;
    const kb = Buffer.alloc(Math.min(chunk, Math.max(prefixes.length, 1)) * ks);
    let deleted = 0;
    for (let start = 0; start < prefixes.length; start += chunk) {
      const n = Math.min(chunk, prefixes.length - start);
      for (let j = 0; j < n; j++) encodePrefix(this.family, prefixes[start + j]!, kb, j * ks);
      // An absent key stops a batch (ENOENT): delete the rest one by one from there.
      let done = this.map.deleteBatch(kb, n);
      deleted += done;
      while (done < n) {
        if (this.map.delete(kb.subarray((done) * ks, (done + 1) * ks))) deleted++;
        done++;
      }
    }
    return deleted;
  }

  /** Every entry (batched lookup), in trie order. */
  dump(max = 4096): Array<[string, number]> {
    const ks = this.keySize;
    const keys = Buffer.alloc(max * ks);
    const values = Buffer.alloc(max * RoutedRouteSize);
    const cursor = Buffer.alloc(ks);
    const out: Array<[string, number]> = [];
    for (let first = true; ; first = false) {
      const { count, done } = this.map.lookupBatch(cursor, first, keys, values, max);
      for (let i = 0; i < count; i++) out.push([decodePrefix(this.family, keys, i * ks), values.readUInt32LE(i * RoutedRouteSize)]);
      if (done) return out;
    }
  }
}

/**
 * Indices of the packed keys in address order, then prefix length: an LSD radix sort on 16-bit
 * digits (prefix length first, then the address from its last significant digit up), a few
 * linear passes instead of a comparison sort's million comparator calls. IPv6 keys are ordered
 * by their first 64 bits and length: what a full table's prefixes differ in.
 */
function sortedOrder(keys: Buffer, ks: number, n: number): Uint32Array {
  let order = new Uint32Array(n);
  let next = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const digit = new Uint16Array(n);
  const count = new Uint32Array(65537);
  const addrBytes = Math.min(ks - 4, 8);
  // Digit offsets, least significant first: length (LE u32 at 0, < 129), then address pairs.
  const passes = [-1];
  for (let b = addrBytes - 2; b >= 0; b -= 2) passes.push(4 + b);
  for (const at of passes) {
    if (at < 0) for (let i = 0; i < n; i++) digit[i] = keys[i * ks]!;
    else for (let i = 0; i < n; i++) digit[i] = (keys[i * ks + at]! << 8) | keys[i * ks + at + 1]!;
    count.fill(0);
    for (let i = 0; i < n; i++) count[digit[i]! + 1]!++;
    for (let d = 1; d < 65537; d++) count[d]! += count[d - 1]!;
    for (let j = 0; j < n; j++) {
      const i = order[j]!;
      next[count[digit[i]!]!++] = i;
    }
    [order, next] = [next, order];
  }
  return order;
}

/** "aa:bb:cc:dd:ee:ff" → 6 bytes. */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new RangeError(`not a MAC address: ${text}`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function macToText(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Array index → value, for the next_hops and ecmp_groups arrays. */
class ArrayMap {
  protected readonly key = Buffer.alloc(4);
  protected readonly value: Buffer;
  constructor(readonly map: BpfMap, size: number) {
    this.value = Buffer.alloc(size);
  }
  protected write(id: number): void {
    this.key.writeUInt32LE(id, 0);
    this.map.update(this.key, this.value);
  }
  protected read(id: number): Buffer {
    this.key.writeUInt32LE(id, 0);
    this.map.lookup(this.key, this.value);
    return this.value;
  }
  /** Zero the slot: the program then treats the id as unresolved and passes. */
  clear(id: number): void {
    this.value.fill(0);
    this.write(id);
  }
}

export class NextHopMap extends ArrayMap {
  constructor(map: BpfMap) {
    super(map, RoutedNextHopSize);
  }
  set(id: number, nh: RoutedNextHop): void {
    if (id === 0) throw new RangeError('next-hop id 0 is reserved');
    encodeRoutedNextHop(nh, this.value);
    this.write(id);
  }
  get(id: number): RoutedNextHop {
    return decodeRoutedNextHop(this.read(id));
  }
}

export class EcmpMap extends ArrayMap {
  constructor(map: BpfMap) {
    super(map, RoutedEcmpGroupSize);
  }
  set(id: number, members: readonly number[]): void {
    if (members.length === 0 || members.length > ROUTED_ECMP_MEMBERS_MAX) throw new RangeError(`ECMP group: 1..${ROUTED_ECMP_MEMBERS_MAX} members`);
    encodeRoutedEcmpGroup({ count: members.length, members: [...members] }, this.value);
    this.write(id);
  }
  get(id: number): number[] {
    const g = decodeRoutedEcmpGroup(this.read(id));
    return g.members.slice(0, g.count);
  }
}

/** tx_ports devmap. ifindexes are resolved in the caller's network namespace. */
export class TxPorts {
  private readonly key = Buffer.alloc(4);
  private readonly value = Buffer.alloc(4);
  constructor(readonly map: BpfMap) {}
  add(ifindex: number): void {
    this.key.writeUInt32LE(ifindex, 0);
    this.value.writeUInt32LE(ifindex, 0);
    this.map.update(this.key, this.value);
  }
  remove(ifindex: number): boolean {
    this.key.writeUInt32LE(ifindex, 0);
    return this.map.delete(this.key);
  }
}

export interface Count {
  packets: bigint;
  bytes: bigint;
}

/** The per-CPU stats array, summed over CPUs. */
export class Counters {
  private readonly key = Buffer.alloc(4);
  private readonly cpus = libbpf().numPossibleCpus();
  private readonly value = Buffer.alloc(RoutedCounterSize * this.cpus);
  constructor(readonly map: BpfMap) {}

  get(stat: RoutedStatName): Count {
    this.key.writeUInt32LE(RoutedStat[stat], 0);
    this.map.lookup(this.key, this.value);
    const c: Count = { packets: 0n, bytes: 0n };
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      c.packets += this.value.readBigUInt64LE(cpu * RoutedCounterSize);
      c.bytes += this.value.readBigUInt64LE(cpu * RoutedCounterSize + 8);
    }
    return c;
  }

  /** Every counter with a non-zero packet count. */
  snapshot(): Partial<Record<RoutedStatName, Count>> {
    const out: Partial<Record<RoutedStatName, Count>> = {};
    for (const name of Object.keys(RoutedStat) as RoutedStatName[]) {
      if (name === 'MAX') continue;
      const c = this.get(name);
      if (c.packets > 0n) out[name] = c;
    }
    return out;
  }
}
