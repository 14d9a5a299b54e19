// What the FIB manager has written, and what it still has to write, per prefix, in flat arrays:
// a prefix is an id in a PrefixTable of the manager's own (typed arrays, no string or object per
// prefix), and its state is the shape id of its kernel route, the shape id of its pending change,
// flags, and (with XDP) the next hop its trie entry points at. A full table held as a Map of
// objects per prefix cost ~1 KB of heap each and a third of the CPU in garbage collection.
//
// A prefix id is held (one PrefixTable reference) while any of its state is set, and given back
// with the last of it, so ids are reused and the table shrinks with the routes.

import { PrefixTable } from '../rib/ptable.js';
import type { XdpHop } from './xdp-nexthops.js';
import type { FibFamily } from './types.js';

/** Flags per prefix. */
export const PENDING = 1;
/** Adopted from a previous run and not written since (restart without loss). */
export const STALE = 2;

export class FamilyState {
  readonly pt: PrefixTable;
  /** Shape id of the installed kernel route; 0: none. */
  kernel = new Uint32Array(1024);
  /** Shape id wanted by the pending change (with PENDING). */
  want = new Uint32Array(1024);
  flags = new Uint8Array(1024);
  /** The XDP next hop of the prefix's trie entry (XDP modes only). */
  readonly hop: (XdpHop | undefined)[] = [];

  constructor(readonly family: FibFamily) {
    this.pt = new PrefixTable(family);
  }

  /** The id of a prefix, held from now on if it was not (-1: not a prefix of this family). */
  hold(prefix: string): number {
    let id = this.pt.find(prefix);
    if (id >= 0) return id;
    id = this.pt.acquire(prefix);
    if (id >= this.kernel.length) this.grow(this.pt.capacity);
    return id;
  }

  /** The id of a prefix the manager holds, or -1. */
  find(prefix: string): number {
    return this.pt.find(prefix);
  }

  /** Give the id back if nothing is left of its state. */
  releaseIfEmpty(id: number): void {
    if (this.kernel[id] !== 0 || this.flags[id] !== 0 || this.hop[id] !== undefined) return;
    this.want[id] = 0;
    this.pt.release(id);
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
  }

  text(id: number): string {
    return this.pt.text(id);
  }

  /** Every held id (including ones with only a pending change). */
  *ids(): IterableIterator<number> {
    for (let id = 0; id < this.pt.limit; id++) if (this.pt.live(id)) yield id;
  }
}

/** A FIFO of (family, id) pairs: a pending prefix is queued once, when it becomes pending. */
export class PendingQueue {
  private q: number[] = [];
  private head = 0;

  get size(): number {
    return this.q.length - this.head;
  }

  push(v6: boolean, id: number): void {
    this.q.push(id * 2 + (v6 ? 1 : 0));
  }

  /** The next entry as id * 2 + (1 for IPv6), or -1 when empty. */
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
