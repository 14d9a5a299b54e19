// The FIB manager's bookkeeping: per prefix what is installed and what is pending (installed.ts
// arrays, in the manager's own prefix tables and, with the daemon's RIB, the RIB's), the
// interned shapes they point at, the queue of pending prefixes, and the intake of best-path
// changes into it. The write path (manager.ts) takes batches from here and records what the
// kernel and the maps accepted.

import { NO_SHAPE, Shapes } from './desired.js';
import { FamilyState, PENDING, PendingQueue, STALE } from './installed.js';
import type { Turns } from './turns.js';
import type { XdpHop } from './xdp-nexthops.js';
import type { FibFamily } from './types.js';
import type { BestChange } from '../rib/types.js';
import type { PrefixTable } from '../rib/ptable.js';

/**
 * How a list of changes names its prefixes: 'fresh', by the RIB's ids as drained just now;
 * 'held', by RIB ids the manager took a reference on when the list was submitted; 'text', by
 * prefix text (no RIB table, or changes not from a drain).
 */
type Ids = 'fresh' | 'held' | 'text';

export class FibTables {
  /** Per family: state of prefixes by id in the manager's own tables and (with the RIB's tables) the RIB's. */
  readonly own: Record<FibFamily, FamilyState>;
  readonly rib: Record<FibFamily, FamilyState> | undefined;
  /** Every state by its index (queue entries name it). */
  readonly states: FamilyState[];
  readonly shapes = new Shapes();
  /** Prefixes with a pending change, oldest first. */
  readonly queue = new PendingQueue();
  /** Entries adopted from a previous run and not written again yet (restart without loss). */
  stale = 0;

  /**
   * Changes submitted and not yet sorted into the pending state: a session going down submits a
   * full table at once, so a large submit is sorted in by the write loop in steps instead.
   */
  private readonly inbox: { list: readonly BestChange[]; ids: Ids }[] = [];

  /** Changes a submit sorts in at once (~0.1 µs each by id); a larger one goes through the inbox. */
  static readonly AT_ONCE = 65536;

  /**
   * prefixes: the RIB's prefix tables (changes keyed by BestChange.id); atOnce: changes a submit
   * sorts in at once; bad: a change whose prefix is not one of its family.
   */
  constructor(prefixes: Readonly<Record<FibFamily, PrefixTable>> | undefined, private readonly atOnce = FibTables.AT_ONCE, private readonly bad: (c: BestChange) => void) {
    this.own = { ipv4: new FamilyState('ipv4', 0), ipv6: new FamilyState('ipv6', 1) };
    this.rib = prefixes && { ipv4: new FamilyState('ipv4', 2, prefixes.ipv4), ipv6: new FamilyState('ipv6', 3, prefixes.ipv6) };
    this.states = [this.own.ipv4, this.own.ipv6, ...(this.rib ? [this.rib.ipv4, this.rib.ipv6] : [])];
  }

  /** Nothing pending and nothing waiting in the inbox. */
  get empty(): boolean {
    return this.queue.size === 0 && this.inbox.length === 0;
  }

  get inboxSize(): number {
    return this.inbox.length;
  }

  /** Take best-path changes in: sorted in now, or (a large list) kept for sortInbox. */
  submit(changes: readonly BestChange[]): void {
    // Sorted in now, the changes (and the RIB's Route objects in them) are not held at all.
    if (this.inbox.length === 0 && changes.length <= this.atOnce) this.accept(changes, 0, changes.length, 'fresh');
    else this.inbox.push({ list: changes, ids: this.holdIds(changes) });
  }

  /** Forget what waits (the manager closes). */
  clear(): void {
    this.inbox.length = 0;
    this.queue.clear();
  }

  /**
   * Hold the RIB ids of changes kept for later, so that each id still names its prefix when the
   * change is sorted in (after the RIB's next drain). A reference each: ~20 ns, no parsing.
   */
  private holdIds(list: readonly BestChange[]): Ids {
    // With prefixes in the own table, some changes go there by their text: no reference then.
    // (While the manager holds a RIB id, no prefix joins the own table: hold() finds the id live.)
    if (!this.rib || this.own.ipv4.pt.size > 0 || this.own.ipv6.pt.size > 0) return 'text';
    for (const c of list) if (c.id !== undefined) this.rib[c.family].holdId(c.id);
    return 'held';
  }

  /** Changes from..to-1 of a list into the pending state, each as its prefix id and shape. */
  private accept(list: readonly BestChange[], from: number, to: number, ids: Ids): void {
    for (let i = from; i < to; i++) {
      const c = list[i]!;
      const rib = this.rib?.[c.family];
      const own = this.own[c.family];
      const byId = ids !== 'text' && rib !== undefined && c.id !== undefined;
      // The RIB's id, unless the prefix already has state in the own table (it stays there).
      if (byId && (own.pt.size === 0 || own.find(c.prefix) < 0)) {
        this.enqueue(rib, rib.holdId(c.id!), this.shapes.of(c));
        continue;
      }
      // Held by holdIds but going to the own table: that reference goes back.
      if (byId && ids === 'held') rib.releaseIfEmpty(c.id!);
      const at = this.hold(c.family, c.prefix);
      if (!at) {
        this.bad(c);
        continue;
      }
      this.enqueue(at.f, at.id, this.shapes.of(c));
    }
  }

  /** Where a prefix's state is, or goes: where it is held, else the RIB's id if it has one, else the own table. */
  hold(family: FibFamily, prefix: string): { f: FamilyState; id: number } | undefined {
    const held = this.held(family, prefix);
    if (held) return held;
    const rib = this.rib?.[family];
    const live = rib ? rib.live(prefix) : -1;
    if (live >= 0) return { f: rib!, id: rib!.holdId(live) };
    const id = this.own[family].hold(prefix);
    return id < 0 ? undefined : { f: this.own[family], id };
  }

  /** The state of a prefix the manager holds. */
  held(family: FibFamily, prefix: string): { f: FamilyState; id: number } | undefined {
    const own = this.own[family];
    let id = own.pt.size > 0 ? own.find(prefix) : -1;
    if (id >= 0) return { f: own, id };
    const rib = this.rib?.[family];
    id = rib ? rib.find(prefix) : -1;
    return id >= 0 ? { f: rib!, id } : undefined;
  }

  /** Make `shape` the pending state of a prefix (queued once, however often it changes meanwhile). */
  enqueue(f: FamilyState, id: number, shape: number): void {
    this.shapes.ref(shape);
    if (f.flags[id]! & PENDING) {
      this.shapes.unref(f.want[id]!);
      f.want[id] = shape;
      return;
    }
    f.want[id] = shape;
    f.flags[id]! |= PENDING;
    this.queue.push(f.index, id);
  }

  /** Sort the inbox in, letting the event loop turn on a large one. */
  async sortInbox(turns: Turns): Promise<void> {
    for (let next = this.inbox.shift(); next; next = this.inbox.shift()) {
      const { list, ids } = next;
      for (let i = 0; i < list.length; i += 1024) {
        this.accept(list, i, Math.min(list.length, i + 1024), ids);
        if (turns.due()) await turns.next();
      }
    }
  }

  /**
   * At most this many prefixes per write: a batch's own synchronous work (a few hundred ns per
   * prefix) stays a few ms, while the kernel gets enough datagrams in a row to stay busy.
   */
  static readonly BATCH = 32768;

  /** The next batch, as queue entries (id * 4 + state index): the oldest pending prefixes, at most BATCH. */
  takeBatch(): number[] {
    const batch: number[] = [];
    while (batch.length < FibTables.BATCH) {
      const v = this.queue.shift();
      if (v < 0) break;
      batch.push(v);
    }
    return batch;
  }

  famOf(v: number): FamilyState {
    return this.states[v & 3]!;
  }

  markStale(f: FamilyState, id: number): void {
    if (f.flags[id]! & STALE) return;
    f.flags[id]! |= STALE;
    this.stale++;
  }

  /**
   * How many prefixes have a kernel route, a trie entry, either, kept as they change: stats() is
   * read at every metrics scrape, and counting a full table there held the event loop.
   */
  readonly counted = { kernel: 0, hop: 0, prefixes: 0 };

  /** The installed kernel route of a prefix, as a shape (NO_SHAPE: none). */
  setKernel(f: FamilyState, id: number, shape: number): void {
    const old = f.kernel[id]!;
    if (old === shape) return;
    const had = old !== NO_SHAPE || f.hop(id) !== undefined;
    this.shapes.ref(shape);
    this.shapes.unref(old);
    f.kernel[id] = shape;
    this.counted.kernel += Number(shape !== NO_SHAPE) - Number(old !== NO_SHAPE);
    this.counted.prefixes += Number(shape !== NO_SHAPE || f.hop(id) !== undefined) - Number(had);
  }

  /** The next hop of a prefix's trie entry (the caller handles its references). */
  setHop(f: FamilyState, id: number, hop: XdpHop | undefined): void {
    const old = f.hop(id);
    const had = old !== undefined || f.kernel[id] !== NO_SHAPE;
    f.setHop(id, hop);
    this.counted.hop += Number(hop !== undefined) - Number(old !== undefined);
    this.counted.prefixes += Number(hop !== undefined || f.kernel[id] !== NO_SHAPE) - Number(had);
  }
}
