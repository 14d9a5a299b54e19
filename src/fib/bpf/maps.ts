// Typed access to routed's maps (layouts from bpf/routed_maps.h through layout.generated.ts).
// Every class owns preallocated key/value Buffers and reuses them on each call.

import { parseIpv4, parseIpv6, ipv4ToText, ipv6ToText } from '../../bgp/wire/addr.js';
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
  const len = slash < 0 ? bytes * 8 : Number(prefix.slice(slash + 1));
  const end = slash < 0 ? prefix.length : slash;
  const ok = family === 4 ? parseIpv4(prefix, buf, off + 4, 0, end) : parseIpv6(prefix, buf, off + 4, 0, end);
  if (!ok || !Number.isInteger(len) || len < 0 || len > bytes * 8) throw new RangeError(`not an IPv${family} prefix: ${prefix}`);
  buf.writeUInt32LE(len, off);
  for (let i = 0; i < bytes; i++) {
    const keep = Math.min(8, Math.max(0, len - i * 8));
    buf[off + 4 + i]! &= (0xff << (8 - keep)) & 0xff;
  }
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
  setMany(entries: ReadonlyArray<readonly [string, number]>, chunk = 16384): void {
    const ks = this.keySize;
    const keys = Buffer.alloc(entries.length * ks);
    for (let i = 0; i < entries.length; i++) encodePrefix(this.family, entries[i]![0], keys, i * ks);
    const order = sortedOrder(keys, ks, entries.length);
    const kb = Buffer.alloc(Math.min(chunk, entries.length) * ks);
    const vb = Buffer.alloc(Math.min(chunk, entries.length) * RoutedRouteSize);
    for (let start = 0; start < entries.length; start += chunk) {
      const n = Math.min(chunk, entries.length - start);
      for (let j = 0; j < n; j++) {
        const i = order[start + j]!;
        keys.copy(kb, j * ks, i * ks, i * ks + ks);
        vb.writeUInt32LE(entries[i]![1], j * RoutedRouteSize);
      }
      this.map.updateBatch(kb, vb, n);
    }
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

/** Indices of the packed keys sorted by address bytes, then prefix length. */
function sortedOrder(keys: Buffer, ks: number, n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (ks === RoutedV4KeySize && n < 2 ** 24) {
    // Native numeric sort of address << 32 | len << 24 | index, no comparator calls.
    const packed = new BigUint64Array(n);
    for (let i = 0; i < n; i++) {
      const hi = keys.readUInt32BE(i * ks + 4);
      const lo = ((keys.readUInt32LE(i * ks) << 24) | i) >>> 0;
      packed[i] = (BigInt(hi) << 32n) | BigInt(lo);
    }
    packed.sort();
    for (let i = 0; i < n; i++) order[i] = Number(packed[i]! & 0xffffffn);
    return order;
  }
  return order.sort((a, b) => keys.compare(keys, b * ks + 4, b * ks + ks, a * ks + 4, a * ks + ks) || keys.readUInt32LE(a * ks) - keys.readUInt32LE(b * ks));
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
