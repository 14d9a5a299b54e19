// The collector: the receiving end of a benchmark or an interop test. It keeps the set of
// prefixes a peer currently announces, per family (an UPDATE's withdrawals remove, its NLRI add;
// RFC 4271 §3.1: a later announcement of the same prefix replaces the earlier one), and resolves
// waits when a condition on those sets holds, recording when.
//
// It is the instrument of the convergence bench and shares the machine's cores with the DUT, so
// it costs as little as it can: the sets are prefix tables (src/rib/ptable.ts) fed the codec's
// prefix keys (wireKeys), no prefix text or object per prefix. Keyed by prefix text in Maps it
// took more CPU than either DUT (~1.4× routed's during a 250k IPv6 feed, a sixth of it in
// Map.set), and T measured it as much as the DUT.

import { nlriCount, wireKeys, type NlriKeys } from '../../../src/bgp/wire/index.js';
import type { Nlri, PathAttribute, UpdateMessage } from '../../../src/bgp/wire/types.js';
import { PrefixTable } from '../../../src/rib/ptable.js';
import type { Family } from '../../../src/rib/types.js';
import { nowNs, type LiteSession } from './bgp-speaker-lite.js';

/** A family's held prefixes: each held once (one reference in the table), its attributes by id (null unless kept). */
class PrefixSet {
  readonly table: PrefixTable;
  /** Per id: the attributes of a held prefix (null when not kept), undefined for an id not held. */
  readonly attrs: (PathAttribute[] | null | undefined)[] = [];

  constructor(family: Family) {
    this.table = new PrefixTable(family);
  }

  get size(): number {
    return this.table.size;
  }

  /** Hold the prefix (keys[off..], length len), with attrs; a held one's are replaced. */
  holdKey(keys: Uint32Array, off: number, len: number, attrs: PathAttribute[] | null): void {
    this.held(this.table.acquireKey(keys, off, len), attrs);
  }

  dropKey(keys: Uint32Array, off: number, len: number): void {
    const id = this.table.findKey(keys, off, len);
    if (id >= 0) this.drop(id);
  }

  hold(prefix: string, attrs: PathAttribute[] | null): void {
    this.held(this.table.acquire(prefix), attrs);
  }

  drop(id: number): void {
    this.attrs[id] = undefined;
    this.table.release(id);
  }

  /** After acquiring `id` (one probe, new or not): a prefix held already gives its extra reference back. */
  private held(id: number, attrs: PathAttribute[] | null): void {
    if (id < 0) return;
    if (this.attrs[id] !== undefined) this.table.release(id);
    this.attrs[id] = attrs;
  }

  /** Held prefixes as text (host bits clear), with their attributes. */
  *entries(): Generator<[string, PathAttribute[] | null]> {
    for (let id = 0; id < this.table.limit; id++) if (this.table.live(id)) yield [this.table.text(id), this.attrs[id] ?? null];
  }
}

export interface CollectorCounts {
  v4: number;
  v6: number;
  announced: number;
  withdrawn: number;
  updates: number;
  endOfRib: number;
  /** The attached session's bytes and socket reads received. */
  bytesIn: number;
  readsIn: number;
}

interface Waiter {
  done: (c: Collector) => boolean;
  resolve: (atNs: bigint) => void;
}

export class Collector {
  /** Current prefixes per family, with the path attributes last seen when keepAttributes. */
  private readonly v4 = new PrefixSet('ipv4');
  private readonly v6 = new PrefixSet('ipv6');
  announced = 0;
  withdrawn = 0;
  updates = 0;
  endOfRib = 0;
  /** When the first announcement arrived (nowNs), 0n before: the DUT's latency to its first export. */
  firstUpdateNs = 0n;
  /** Our AS: routes whose AS_PATH holds it are loops, not held (set by attach). */
  localAs: number | undefined;
  private readonly keepAttributes: boolean;
  private waiters: Waiter[] = [];
  private session: LiteSession | undefined;

  constructor(opts: { keepAttributes?: boolean; localAs?: number } = {}) {
    this.keepAttributes = opts.keepAttributes ?? false;
    this.localAs = opts.localAs;
  }

  /** Count the session's UPDATEs from now on. */
  attach(session: LiteSession): void {
    this.localAs = session.opts.localAs;
    this.session = session;
    session.onUpdate = (m) => this.add(m);
  }

  add(msg: UpdateMessage): void {
    this.updates++;
    // Counted before the lists are walked: a walk by keys leaves the fields unread (no text built).
    const empty = nlriCount(msg, 'withdrawn') === 0 && nlriCount(msg, 'nlri') === 0;
    this.withdraw(this.v4, msg);
    const attrs = this.keepAttributes ? msg.attributes : null;
    const loop = this.isLoop(msg);
    this.announce(this.v4, msg, attrs, loop);
    let emptyUnreach = false;
    for (const a of msg.attributes) {
      if (a.name === 'MP_UNREACH_NLRI') {
        emptyUnreach = nlriCount(a.value, 'withdrawn') === 0;
        this.withdraw(a.value.afi === 1 ? this.v4 : this.v6, a.value);
      } else if (a.name === 'MP_REACH_NLRI') {
        this.announce(a.value.afi === 1 ? this.v4 : this.v6, a.value, attrs, loop);
      }
    }
    // RFC 4724 §2: an UPDATE with nothing in it, or with only an empty MP_UNREACH_NLRI, is End-of-RIB.
    if (empty && (msg.attributes.length === 0 || (msg.attributes.length === 1 && emptyUnreach))) this.endOfRib++;
    if (this.waiters.length > 0) this.check();
  }

  /** Prefixes held of a family. */
  size(family: Family): number {
    return (family === 'ipv4' ? this.v4 : this.v6).size;
  }

  /** Held prefixes of a family as text (host bits clear), sorted. */
  prefixes(family: Family): string[] {
    return [...(family === 'ipv4' ? this.v4 : this.v6).entries()].map(([prefix]) => prefix).sort();
  }

  /** Held routes, IPv4 then IPv6, with their attributes (null unless keepAttributes). */
  routes(): { prefix: string; attributes: PathAttribute[] | null }[] {
    return [...this.v4.entries(), ...this.v6.entries()].map(([prefix, attributes]) => ({ prefix, attributes }));
  }

  counts(): CollectorCounts {
    return { v4: this.v4.size, v6: this.v6.size, announced: this.announced, withdrawn: this.withdrawn, updates: this.updates, endOfRib: this.endOfRib, bytesIn: this.session?.bytesIn ?? 0, readsIn: this.session?.readsIn ?? 0 };
  }

  /** Resolve with the time (nowNs) at which done() first holds after an UPDATE (or now). */
  until(done: (c: Collector) => boolean, timeoutMs: number, what = 'condition'): Promise<bigint> {
    if (done(this)) return Promise.resolve(nowNs());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`collector: ${what} not reached in ${timeoutMs} ms; holds ${JSON.stringify(this.counts())}`));
      }, timeoutMs);
      const waiter: Waiter = {
        done,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Wait until exactly (or, not exact, at least) v4 and v6 prefixes are held. */
  waitForCount(v4: number, v6: number, timeoutMs: number, exact = true): Promise<bigint> {
    if (!exact) return this.until((c) => c.v4.size >= v4 && c.v6.size >= v6, timeoutMs, `${v4} IPv4 + ${v6} IPv6 prefixes or more`);
    return this.until((c) => c.v4.size === v4 && c.v6.size === v6, timeoutMs, `${v4} IPv4 + ${v6} IPv6 prefixes`);
  }

  private check(): void {
    const at = nowNs();
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.done(this)) w.resolve(at);
      else still.push(w);
    }
    this.waiters = still;
  }

  /** RFC 4271 §9.1.2: a route whose AS_PATH holds our own AS is a loop and is excluded. */
  private isLoop(msg: UpdateMessage): boolean {
    if (this.localAs === undefined) return false;
    for (const a of msg.attributes) {
      if (a.name === 'AS_PATH') return a.value.some((seg) => seg.asns.includes(this.localAs!));
    }
    return false;
  }

  private announce(into: PrefixSet, holder: { nlri: Nlri[] }, attrs: PathAttribute[] | null, loop: boolean): void {
    const keys = wireKeys(holder, 'nlri');
    const n = keys ? keys.count : holder.nlri.length;
    if (n === 0) return;
    if (this.announced === 0) this.firstUpdateNs = nowNs();
    this.announced += n;
    // A looped announcement still replaces (so withdraws) an earlier route for the prefix.
    if (keys) eachKey(keys, (k, o, len) => (loop ? into.dropKey(k, o, len) : into.holdKey(k, o, len, attrs)));
    else {
      for (const x of holder.nlri) {
        if (loop) dropText(into, x.prefix);
        else into.hold(x.prefix, attrs);
      }
    }
  }

  private withdraw(from: PrefixSet, holder: { withdrawn: Nlri[] }): void {
    const keys = wireKeys(holder, 'withdrawn');
    if (keys) {
      this.withdrawn += keys.count;
      eachKey(keys, (k, o, len) => from.dropKey(k, o, len));
      return;
    }
    this.withdrawn += holder.withdrawn.length;
    for (const x of holder.withdrawn) dropText(from, x.prefix);
  }
}

function eachKey(keys: NlriKeys, f: (k: Uint32Array, off: number, len: number) => void): void {
  const stride = keys.stride;
  for (let o = keys.start, end = keys.end; o < end; o += stride) f(keys.keys, o, keys.keys[o + stride - 2]!);
}

function dropText(from: PrefixSet, prefix: string): void {
  const id = from.table.find(prefix);
  if (id >= 0) from.drop(id);
}
