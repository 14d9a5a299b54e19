// Which nexthop object each of routed's kernel routes uses (the reference counts of the objects
// follow it), for a full table: an open-addressing hash table over typed arrays keyed by the
// route's identity {family, address bytes, prefix length, metric}. A Map keyed by prefix text
// cost a string hash per route (flattening the string first) and a million-entry Map for the
// garbage collector to walk; this is a few flat arrays and a hash of 3 or 6 words.

import { parseIpv4, parseIpv6 } from '../../bgp/wire/index.js';
import type { FibRoute } from '../types.js';
import { normMetric } from './routes.js';
import type { RouteBatch } from './batch.js';

const MAX_LOAD = 0.6;

class FamilyTable {
  /** Key words per slot: address words, then length, then metric. */
  private readonly words: number;
  private keys: Uint32Array;
  /** Nexthop object id; 0: no route (a free slot, or a deleted key that stays as a tombstone). */
  private vals: Uint32Array;
  private used: Uint8Array;
  private occupied = 0;
  size = 0;

  constructor(private readonly addrWords: number, capacity = 1024) {
    this.words = addrWords + 2;
    this.keys = new Uint32Array(capacity * this.words);
    this.vals = new Uint32Array(capacity);
    this.used = new Uint8Array(capacity);
  }

  /** Room for `extra` more keys without growing, so slot numbers stay valid meanwhile. */
  reserve(extra: number): void {
    if (this.occupied + extra <= this.used.length * MAX_LOAD) return;
    const old = { keys: this.keys, vals: this.vals, used: this.used };
    let cap = this.used.length;
    while ((this.size + extra) > cap * MAX_LOAD) cap *= 2;
    this.keys = new Uint32Array(cap * this.words);
    this.vals = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
    this.occupied = 0;
    for (let s = 0; s < old.used.length; s++) {
      if (!old.used[s] || old.vals[s] === 0) continue;
      const at = this.slot(old.keys, s * this.words);
      this.vals[at] = old.vals[s]!;
    }
  }

  /** The slot of the key at key[off..], claimed if absent. */
  slot(key: Uint32Array, off: number): number {
    const w = this.words;
    // Multiply-xorshift rounds (MurmurHash3's mixing): the slot is taken from the low bits, and
    // a plain FNV multiply leaves those depending on the keys' low bits only (zero in most
    // prefixes), which clustered a full table into long probe runs.
    let h = 0x9e3779b1;
    for (let i = 0; i < w; i++) {
      h = Math.imul(h ^ key[off + i]!, 0x85ebca77);
      h ^= h >>> 13;
    }
    h = Math.imul(h ^ (h >>> 16), 0xc2b2ae3d);
    const mask = this.used.length - 1;
    for (let s = (h ^ (h >>> 16)) & mask; ; s = (s + 1) & mask) {
      if (!this.used[s]) {
        this.used[s] = 1;
        this.occupied++;
        for (let i = 0; i < w; i++) this.keys[s * w + i] = key[off + i]!;
        return s;
      }
      let same = true;
      for (let i = 0; i < w && same; i++) same = this.keys[s * w + i] === key[off + i];
      if (same) return s;
    }
  }

  get(s: number): number {
    return this.vals[s]!;
  }

  set(s: number, nh: number): void {
    if ((this.vals[s] === 0) !== (nh === 0)) this.size += nh === 0 ? -1 : 1;
    this.vals[s] = nh;
  }
}

export class RouteNhTable {
  private v4 = new FamilyTable(1);
  private v6 = new FamilyTable(4);
  private readonly key = new Uint32Array(6);
  private readonly bytes = new Uint8Array(16);

  get size(): number {
    return this.v4.size + this.v6.size;
  }

  /** Make room for n more routes: slots handed out until the next reserve stay valid. */
  reserve(n: number): void {
    this.v4.reserve(n);
    this.v6.reserve(n);
  }

  private table(r: Pick<FibRoute, 'family'>): FamilyTable {
    return r.family === 'ipv4' ? this.v4 : this.v6;
  }

  /** The slot of a route's identity (claimed if new). Throws on a malformed prefix. */
  slot(r: FibRoute): number {
    const v4 = r.family === 'ipv4';
    const slash = r.prefix.indexOf('/');
    const b = this.bytes;
    b.fill(0);
    const ok = v4 ? parseIpv4(r.prefix, b, 0, 0, slash) : parseIpv6(r.prefix, b, 0, 0, slash);
    if (slash < 0 || !ok) throw new RangeError(`not a prefix: ${r.prefix}`);
    const words = v4 ? 1 : 4;
    for (let w = 0; w < words; w++) this.key[w] = ((b[w * 4]! << 24) | (b[w * 4 + 1]! << 16) | (b[w * 4 + 2]! << 8) | b[w * 4 + 3]!) >>> 0;
    let len = 0;
    for (let i = slash + 1; i < r.prefix.length; i++) len = len * 10 + r.prefix.charCodeAt(i) - 48;
    this.key[words] = len >>> 0;
    this.key[words + 1] = normMetric(r) >>> 0;
    return this.table(r).slot(this.key, 0);
  }

  /** The slot of operation i of a batch (claimed if new): the same identity as slot() of its route. */
  slotAt(b: RouteBatch, i: number): number {
    const spec = b.spec[i]!;
    const words = spec.family === 'ipv4' ? 1 : 4;
    for (let w = 0; w < words; w++) this.key[w] = b.addr[i * 4 + w]!;
    this.key[words] = b.plen[i]!;
    this.key[words + 1] = normMetric(spec) >>> 0;
    return this.table(spec).slot(this.key, 0);
  }

  get(r: Pick<FibRoute, 'family'>, slot: number): number | undefined {
    const v = this.table(r).get(slot);
    return v === 0 ? undefined : v;
  }

  /** undefined: the route uses no nexthop object (or is gone). */
  set(r: Pick<FibRoute, 'family'>, slot: number, nh: number | undefined): void {
    this.table(r).set(slot, nh ?? 0);
  }

  clear(): void {
    this.v4 = new FamilyTable(1);
    this.v6 = new FamilyTable(4);
  }
}
