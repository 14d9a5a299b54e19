// What the FIB manager has written, and what it still has to write, per prefix, in flat arrays:
// a prefix is an id in a PrefixTable (typed arrays, no string or object per prefix), and its
// state is the shape id of its kernel route, the shape id of its pending change, flags, and (with
// XDP) the next hop its trie entry points at. A full table held as a Map of objects per prefix
// cost ~1 KB of heap each and a third of the CPU in garbage collection.
//
// Two tables per family: the RIB's own (Rib.prefixTables, when the daemon hands it over), whose
// ids come with the changes (BestChange.id: no parsing or hashing per change), and one of the
// manager's own for prefixes the RIB does not hold (adopted from a previous run, withdrawn by a
// sweep or a repair): ids are only ever added to the RIB's table by the RIB, whose per-prefix
// arrays must cover them. Either way an id is held (HELD, one reference) while any of its state
// is set, and given back with the last of it.

import { PrefixTable } from '../rib/ptable.js';
import type { XdpHop } from './xdp-nexthops.js';
import type { FibFamily } from './types.js';

/** Flags per prefix. */
export const PENDING = 1;
/** Adopted from a previous run and not written since (restart without loss). */
export const STALE = 2;
/** The manager holds a reference on the id. */
const HELD = 4;

export class FamilyState {
  readonly pt: PrefixTable;
  /** Shape id of the installed kernel route; 0: none. */
  kernel = new Uint32Array(1024);
  /** Shape id wanted by the pending change (with PENDING). */
  want = new Uint32Array(1024);
  flags = new Uint8Array(1024);
  /**
   * The XDP next hop of each prefix's trie entry (XDP modes only): filled to the capacity of the
   * other arrays once the first is set (reading past a JS array's end takes V8's slow path), and
   * not read at all while no prefix has one.
   */
  private hops: (XdpHop | undefined)[] = [];
  private hopN = 0;

  /**
   * index: this state's number in queue entries (0-3). pt: the RIB's table of this family (ids
   * are then taken with holdId only); absent: a table of its own (hold by text).
   */
  constructor(readonly family: FibFamily, readonly index: number, pt?: PrefixTable) {
    this.pt = pt ?? new PrefixTable(family);
    this.shared = pt !== undefined;
  }

  readonly shared: boolean;

  /** Hold an id the table's owner handed out (a BestChange.id before the RIB's next drain, or a live id found by text). */
  holdId(id: number): number {
    this.fit(id);
    if (!(this.flags[id]! & HELD)) {
      this.pt.retain(id);
      this.flags[id]! |= HELD;
    }
    return id;
  }

  /** The id of a prefix in the table, held or not (-1: absent). */
  live(prefix: string): number {
    return this.pt.find(prefix);
  }

  /** The id of a prefix, added to the (own) table and held if it was not (-1: not a prefix of this family). */
  hold(prefix: string): number {
    if (this.shared) throw new Error('ids of a shared prefix table are taken with holdId');
    const id = this.pt.acquire(prefix);
    if (id < 0) return id;
    this.fit(id);
    // One reference per id: give back the one acquire just took if the id was held already.
    if (this.flags[id]! & HELD) this.pt.release(id);
    else this.flags[id]! |= HELD;
    return id;
  }

  /** The id of a prefix the manager holds, or -1. */
  find(prefix: string): number {
    const id = this.pt.find(prefix);
    return id >= 0 && id < this.flags.length && this.flags[id]! & HELD ? id : -1;
  }

  hop(id: number): XdpHop | undefined {
    return this.hopN === 0 ? undefined : this.hops[id];
  }

  setHop(id: number, hop: XdpHop | undefined): void {
    if (this.hops.length < this.kernel.length) this.fillHops();
    this.hopN += Number(hop !== undefined) - Number(this.hops[id] !== undefined);
    this.hops[id] = hop;
  }

  private fillHops(): void {
    for (let i = this.hops.length; i < this.kernel.length; i++) this.hops.push(undefined);
  }

  /** Give the id back if nothing is left of its state. */
  releaseIfEmpty(id: number): void {
    if (this.kernel[id] !== 0 || this.flags[id] !== HELD || this.hop(id) !== undefined) return;
    this.flags[id] = 0;
    this.want[id] = 0;
    this.pt.release(id);
  }

  private fit(id: number): void {
    if (id >= this.kernel.length) this.grow(Math.max(this.pt.capacity, id + 1));
  }

  private grow(capacity: number): void {
    const n = Math.max(capacity, this.kernel.length * 2);
    const kernel = new Uint32Array(n);
    kernel.set(this.kernel);
    this.kernel = kernel;
    const want = new Uint32Array(n);
    want.set(this.want);
    this.want = want;
    const flags = new Uint8Array(n);
    flags.set(this.flags);
    this.flags = flags;
    if (this.hopN > 0) this.fillHops();
  }

  text(id: number): string {
    return this.pt.text(id);
  }

  /** Give back every id held (the manager closes; a shared table lives on). */
  releaseAll(): void {
    const n = Math.min(this.pt.limit, this.flags.length);
    for (let id = 0; id < n; id++) {
      if (!(this.flags[id]! & HELD)) continue;
      this.flags[id] = 0;
      this.pt.release(id);
    }
  }

  /** Every held id (including ones with only a pending change). */
  *ids(): IterableIterator<number> {
    const n = Math.min(this.pt.limit, this.flags.length);
    for (let id = 0; id < n; id++) if (this.flags[id]! & HELD) yield id;
  }
}

/** A FIFO of (state, id) pairs: a pending prefix is queued once, when it becomes pending. */
export class PendingQueue {
  private q: number[] = [];
  private head = 0;

  get size(): number {
    return this.q.length - this.head;
  }

  push(state: number, id: number): void {
    this.q.push(id * 4 + state);
  }

  /** The next entry as id * 4 + state index, or -1 when empty. */
  shift(): number {
    if (this.head >= this.q.length) return -1;
    const v = this.q[this.head++]!;
    if (this.head === this.q.length) this.clear();
    else if (this.head > 65536 && this.head * 2 > this.q.length) {
      this.q = this.q.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  clear(): void {
    this.q = [];
    this.head = 0;
  }
}
