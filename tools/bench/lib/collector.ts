// The collector: the receiving end of a benchmark or an interop test. It keeps the set of
// prefixes a peer currently announces, per family (an UPDATE's withdrawals remove, its NLRI add;
// RFC 4271 §3.1: a later announcement of the same prefix replaces the earlier one), and resolves
// waits when a condition on those sets holds, recording when.

import type { PathAttribute, UpdateMessage } from '../../../src/bgp/wire/types.js';
import { nowNs, type LiteSession } from './bgp-speaker-lite.js';

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
  /** Current prefixes per family; values are the path attributes last seen when keepAttributes. */
  readonly v4 = new Map<string, PathAttribute[] | null>();
  readonly v6 = new Map<string, PathAttribute[] | null>();
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
    for (const w of msg.withdrawn) this.drop(this.v4, w.prefix);
    const attrs = this.keepAttributes ? msg.attributes : null;
    const loop = this.isLoop(msg);
    for (const n of msg.nlri) this.reach(this.v4, n.prefix, attrs, loop);
    let families = 0;
    for (const a of msg.attributes) {
      if (a.name === 'MP_UNREACH_NLRI') {
        families++;
        const into = a.value.afi === 1 ? this.v4 : this.v6;
        for (const w of a.value.withdrawn) this.drop(into, w.prefix);
      } else if (a.name === 'MP_REACH_NLRI') {
        families++;
        const into = a.value.afi === 1 ? this.v4 : this.v6;
        for (const n of a.value.nlri) this.reach(into, n.prefix, attrs, loop);
      }
    }
    // RFC 4724 §2: an UPDATE with nothing in it (or an empty MP_UNREACH_NLRI) is End-of-RIB.
    if (msg.withdrawn.length === 0 && msg.nlri.length === 0 && (msg.attributes.length === 0 || (families === 1 && msg.attributes.length === 1))) {
      this.endOfRib++;
    }
    if (this.waiters.length > 0) this.check();
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

  private reach(into: Map<string, PathAttribute[] | null>, prefix: string, attrs: PathAttribute[] | null, loop: boolean): void {
    if (this.announced++ === 0) this.firstUpdateNs = nowNs();
    // A looped announcement still replaces (so withdraws) an earlier route for the prefix.
    if (loop) into.delete(prefix);
    else into.set(prefix, attrs);
  }

  private drop(from: Map<string, PathAttribute[] | null>, prefix: string): void {
    this.withdrawn++;
    from.delete(prefix);
  }
}
