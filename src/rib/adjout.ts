// Adj-RIB-Out for one session: what was last sent per prefix, and the pending work as a set of
// dirty prefixes with the attributes they should have (interned), indexed by attribute set.
// The session pulls encoded UPDATEs with nextBatch() when its socket can take more, so output is
// paced by backpressure and nothing is pre-built: a change that supersedes an unsent one simply
// replaces it, and a withdrawal of a never-sent announcement cancels it.

import { encodeMessage, MAX_EXTENDED_MESSAGE, MAX_MESSAGE, FLAG_EXTENDED_LENGTH, FLAG_OPTIONAL } from '../bgp/wire/index.js';
import type { CodecContext, Nlri, PathAttribute, UpdateMessage } from '../bgp/wire/index.js';
import { writePrefix } from '../bgp/wire/addr.js';
import { toWire } from './attrs.js';
import type { AttrStore } from './attrs.js';
import { exportFilter, rewriteForPeer } from './export.js';
import type { ExportContext } from './export.js';
import { prefixLength } from './prefix.js';
import type { BestChange, Family, PathAttrs, Route, RouteSource } from './types.js';

export interface AdjRibOutOptions extends ExportContext {
  /** The session's send context: 4-octet ASNs, ADD-PATH send families ("1/1", "2/1"), extended messages. */
  codec: CodecContext;
  /** Families negotiated with the peer. */
  families: readonly Family[];
  store: AttrStore;
}

/**
 * The export of every route that shares one interned attribute set (and source and family) and
 * that the export filter left unchanged: BGP's rewrite then gives the same result for all of
 * them, so it is computed once per set, and the peer's state holds this shared object instead of
 * an output attribute set per prefix. The rewritten set is interned (`out`, one store reference)
 * only while prefixes of the group are pending; once sent it is dropped, and recomputed when
 * needed again (a comparison, a route refresh, routectl).
 */
class Lazy {
  out: PathAttrs | undefined = undefined;
  /** Pending keys whose value is this. */
  n = 0;
  readonly source: RouteSource;
  readonly family: Family;
  readonly attrs: PathAttrs;
  constructor(route: Route) {
    // The fields the rewrite reads, copied: the export must not follow later changes to the RIB's route.
    this.source = route.source;
    this.family = route.family;
    this.attrs = route.attrs;
  }
}

/** What a key is (to be) announced with: interned attributes holding a store reference, or a Lazy export. */
type Out = PathAttrs | Lazy;

/**
 * A key with work pending: what the peer has (`sent`) and what it should get (`next`, null: a
 * withdrawal). Groups point at it, so sending needs no lookup; once sent or cancelled, `next` is
 * undefined and the key's state is a plain Out again (or nothing).
 */
class Slot {
  constructor(
    readonly key: string,
    public sent: Out | undefined,
    /** A plain set holds a store reference; a Lazy one counts this slot in `n`. */
    public next: Out | null | undefined,
  ) {}
}

/**
 * Slots queued for one attribute set, sent in order from `at`. A slot is not removed when its
 * key is wanted otherwise meanwhile: an entry counts only while the slot's `next` still has this
 * set (an array with such stale entries costs far less than a Set per attribute set).
 */
interface Group {
  slots: Slot[];
  at: number;
}

interface FamilyOut {
  family: Family;
  afi: 1 | 2;
  addPath: boolean;
  /**
   * key (prefix, or prefix#pathId with ADD-PATH) → what was last sent, or the key's Slot while
   * work is pending: one map, one lookup per change, none per prefix sent.
   */
  state: Map<string, Out | Slot>;
  /** Keys whose state holds a sent announcement; keys with a Slot. */
  sentN: number;
  pendingN: number;
  /** The pending slots per attribute set (null: withdrawals): one group, few UPDATEs. */
  groups: Map<PathAttrs | null, Group>;
  /** The initial dump was queued and its End-of-RIB is not sent yet. */
  eorDue: boolean;
}

const HEADER_AND_LENGTHS = 19 + 2 + 2;
/** MP_UNREACH_NLRI with a 2-octet length: flags, type, length, AFI, SAFI. */
const MP_UNREACH_OVERHEAD = 4 + 3;
const MP_FLAGS = FLAG_OPTIONAL | FLAG_EXTENDED_LENGTH;

function nlriSize(prefix: string, addPath: boolean): number {
  return 1 + ((prefixLength(prefix) + 7) >> 3) + (addPath ? 4 : 0);
}

function nlriOf(key: string, addPath: boolean): Nlri {
  if (!addPath) return { prefix: key };
  const i = key.lastIndexOf('#');
  return { prefix: key.slice(0, i), pathId: Number(key.slice(i + 1)) };
}

export class AdjRibOut {
  private readonly fams = new Map<Family, FamilyOut>();
  /**
   * Export results for routes whose filter left the attributes as they were: the rewrite then
   * depends only on (attributes, source, family), shared by many prefixes. Weak, and holding no
   * store reference: a result freed meanwhile is simply interned again.
   */
  private readonly rewritten = new WeakMap<PathAttrs, Lazy>();
  private readonly max: number;

  constructor(private readonly opts: AdjRibOutOptions) {
    this.max = opts.codec.extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE;
    for (const family of opts.families) {
      const afi = family === 'ipv4' ? 1 : 2;
      this.fams.set(family, {
        family,
        afi,
        addPath: opts.codec.addPath.has(`${afi}/1`),
        state: new Map(),
        sentN: 0,
        pendingN: 0,
        groups: new Map(),
        eorDue: false,
      });
    }
  }

  /** The session came up: queue every best route, End-of-RIB per family once they are out. */
  initialDump(source: { bestRoutes(family: Family): Iterable<BestChange> }): void {
    for (const fo of this.fams.values()) {
      this.enqueue(source.bestRoutes(fo.family));
      fo.eorDue = true;
    }
  }

  /** Best-path changes (from Rib.drainChanges) to reflect towards this peer. */
  enqueue(changes: Iterable<BestChange>): void {
    for (const change of changes) {
      const fo = this.fams.get(change.family);
      if (fo) this.exportPrefix(fo, change);
    }
  }

  /**
   * Route refresh (RFC 2918): send the whole Adj-RIB-Out of a family again. Export policy
   * changes instead call enqueue() with every best route (Rib.bestRoutes).
   */
  refresh(family: Family): void {
    const fo = this.fams.get(family);
    if (!fo) return;
    for (const [key, v] of [...fo.state]) {
      if (v instanceof Slot) {
        // Pending work goes out anyway; what was sent before is forgotten.
        if (v.sent) this.forgetSent(fo, v.sent);
        v.sent = undefined;
        continue;
      }
      fo.state.delete(key);
      fo.sentN--;
      this.want(fo, key, v instanceof Lazy ? this.hold(v) : v);
    }
  }

  private exportPrefix(fo: FamilyOut, change: BestChange): void {
    if (!fo.addPath) {
      const route = change.best[0];
      this.want(fo, change.prefix, route ? this.exported(route) : null);
      return;
    }
    // RFC 7911: with ADD-PATH the multipath set goes out, path ids 1..n by rank; ids beyond the
    // new set are withdrawn (a replaced id is an implicit withdrawal of what it carried).
    let id = 1;
    for (const route of change.best) {
      const out = this.exported(route);
      if (out) this.want(fo, `${change.prefix}#${id++}`, out);
    }
    for (; ; id++) {
      const key = `${change.prefix}#${id}`;
      if (!fo.state.has(key)) break;
      this.want(fo, key, null);
    }
  }

  /** What to send a route with (a reference or a pending count taken), or null. */
  private exported(route: Route): Out | null {
    const { store } = this.opts;
    const filtered = exportFilter(route, this.opts);
    if (!filtered) return null;
    if (filtered !== route.attrs) {
      const out = rewriteForPeer(route, filtered, this.opts);
      return out && store.intern(out);
    }
    const hit = this.rewritten.get(filtered);
    if (hit && hit.source === route.source && hit.family === route.family) return this.hold(hit);
    // Without a next hop the route cannot go out (rare: no address of the family on the session).
    const raw = rewriteForPeer(route, filtered, this.opts);
    if (!raw) return null;
    const lazy = new Lazy(route);
    lazy.out = store.intern(raw);
    this.rewritten.set(filtered, lazy);
    return this.hold(lazy);
  }

  /** One more pending key for `lazy`: its rewritten set interned while any is pending. */
  private hold(lazy: Lazy): Lazy {
    if (lazy.n++ === 0 && !lazy.out) lazy.out = this.opts.store.intern(this.rewrite(lazy));
    return lazy;
  }

  /** A value leaves pending, or is not kept: give back what it holds. */
  private drop(v: Out | null): void {
    if (!v) return;
    if (!(v instanceof Lazy)) {
      this.opts.store.release(v);
      return;
    }
    if (--v.n === 0 && v.out) {
      this.opts.store.release(v.out);
      v.out = undefined;
    }
  }

  /** The rewritten attributes of a Lazy group (not interned). */
  private rewrite(lazy: Lazy): PathAttrs {
    const out = rewriteForPeer(lazy, lazy.attrs, this.opts);
    // exported() only makes a Lazy whose rewrite has a next hop, and the rewrite depends on nothing else.
    if (!out) throw new Error('export rewrite lost its next hop');
    return out;
  }

  /** The interned attributes of a pending value (a Lazy one holds them while pending). */
  private attrsOf(v: Out): PathAttrs {
    return v instanceof Lazy ? v.out! : v;
  }

  /** Whether pending value `v` announces what `sent` did (both interned: identity is equality). */
  private same(v: Out | null, sent: Out | null): boolean {
    if (v === sent) return true;
    if (!v || !sent) return false;
    if (!(sent instanceof Lazy)) return this.attrsOf(v) === sent;
    if (sent.out) return this.attrsOf(v) === sent.out;
    const { store } = this.opts;
    const was = store.intern(this.rewrite(sent));
    const equal = this.attrsOf(v) === was;
    store.release(was);
    return equal;
  }

  /** Record what a key should become; `v` carries a reference (or pending count) that this takes over. */
  private want(fo: FamilyOut, key: string, v: Out | null): void {
    const cur = fo.state.get(key);
    let slot = cur instanceof Slot ? cur : undefined;
    const sent = cur instanceof Slot ? cur.sent : cur;
    // Already what the peer has (this also cancels an unsent announcement that is withdrawn).
    if (this.same(v, sent ?? null)) {
      if (slot) {
        this.drop(slot.next ?? null);
        slot.next = undefined;
        fo.pendingN--;
        if (sent) fo.state.set(key, sent);
        else fo.state.delete(key);
      }
      this.drop(v);
      return;
    }
    const attrs = v && this.attrsOf(v);
    if (slot) {
      const prev = slot.next ?? null;
      const prevAttrs = prev && this.attrsOf(prev);
      slot.next = v;
      this.drop(prev);
      // Still queued in its group from before: no second entry.
      if (prevAttrs === attrs && fo.groups.has(attrs)) return;
    } else {
      slot = new Slot(key, sent, v);
      fo.state.set(key, slot);
      fo.pendingN++;
    }
    const group = fo.groups.get(attrs);
    if (group) group.slots.push(slot);
    else fo.groups.set(attrs, { slots: [slot], at: 0 });
  }

  /** Whether `slot` is pending with `attrs` (null: a withdrawal), i.e. its group entry counts. */
  private queued(slot: Slot, attrs: PathAttrs | null): boolean {
    const v = slot.next;
    return v !== undefined && (v && this.attrsOf(v)) === attrs;
  }

  /** The peer no longer has `sent` from us (withdrawn or replaced): its reference goes. */
  private forgetSent(fo: FamilyOut, sent: Out): void {
    fo.sentN--;
    if (!(sent instanceof Lazy)) this.opts.store.release(sent);
  }

  /**
   * Encoded UPDATEs for the pending work: withdrawals first, then announcements packed per
   * attribute set, then End-of-RIB of a family whose initial dump is out. Stops once the total
   * reaches `maxBytes` (so it may pass it by less than one message); [] when nothing is pending.
   */
  nextBatch(maxBytes: number): Buffer[] {
    const out: Buffer[] = [];
    let total = 0;
    const room = (): boolean => total < maxBytes;
    const push = (b: Buffer | undefined): void => {
      if (!b) return;
      out.push(b);
      total += b.length;
    };
    for (const fo of this.fams.values()) {
      const withdrawals = fo.groups.get(null);
      while (withdrawals && withdrawals.at < withdrawals.slots.length && room()) push(this.withdrawMessage(fo, withdrawals));
    }
    for (const fo of this.fams.values()) {
      for (const [attrs, keys] of fo.groups) {
        if (attrs === null) continue;
        while (keys.at < keys.slots.length && room()) push(this.announceMessage(fo, attrs, keys));
        if (!room()) break;
      }
    }
    for (const fo of this.fams.values()) {
      if (fo.eorDue && fo.pendingN === 0 && room()) {
        push(encodeMessage(this.endOfRib(fo), this.opts.codec));
        fo.eorDue = false;
      }
    }
    return out;
  }

  private withdrawMessage(fo: FamilyOut, group: Group): Buffer | undefined {
    const nlri: Nlri[] = [];
    let size = HEADER_AND_LENGTHS + (fo.afi === 2 ? MP_UNREACH_OVERHEAD : 0);
    for (; group.at < group.slots.length; group.at++) {
      const slot = group.slots[group.at]!;
      if (slot.next !== null) continue;
      const n = nlriOf(slot.key, fo.addPath);
      const len = nlriSize(n.prefix, fo.addPath);
      if (size + len > this.max) break;
      size += len;
      nlri.push(n);
      slot.next = undefined;
      fo.pendingN--;
      if (slot.sent) this.forgetSent(fo, slot.sent);
      fo.state.delete(slot.key);
    }
    if (group.at >= group.slots.length) fo.groups.delete(null);
    if (nlri.length === 0) return undefined;
    const msg: UpdateMessage =
      fo.afi === 1
        ? { type: 'UPDATE', withdrawn: nlri, attributes: [], nlri: [] }
        : { type: 'UPDATE', withdrawn: [], attributes: [mpUnreach(nlri, MP_FLAGS)], nlri: [] };
    return encodeMessage(msg, this.opts.codec);
  }

  private announceMessage(fo: FamilyOut, attrs: PathAttrs, group: Group): Buffer | undefined {
    // Skip entries that no longer count, so that an exhausted group encodes nothing.
    while (group.at < group.slots.length && !this.queued(group.slots[group.at]!, attrs)) group.at++;
    if (group.at >= group.slots.length) {
      fo.groups.delete(attrs);
      return undefined;
    }
    const attributes = toWire(attrs, { as4: this.opts.codec.as4, family: fo.family });
    const empty: UpdateMessage = { type: 'UPDATE', withdrawn: [], attributes, nlri: [] };
    const head = encodeMessage(empty, this.opts.codec);
    const taken: string[] = [];
    let size = head.length;
    for (; group.at < group.slots.length; group.at++) {
      const slot = group.slots[group.at]!;
      const v = slot.next;
      if (!v || this.attrsOf(v) !== attrs) continue;
      const key = slot.key;
      const len = nlriSize(fo.addPath ? nlriOf(key, true).prefix : key, fo.addPath);
      if (size + len > this.max) break;
      size += len;
      taken.push(key);
      slot.next = undefined;
      fo.pendingN--;
      if (slot.sent) this.forgetSent(fo, slot.sent);
      // A plain set's reference passes to the state; a Lazy one is kept without its rewritten set.
      fo.state.set(key, v);
      fo.sentN++;
      if (v instanceof Lazy) this.drop(v);
    }
    if (taken.length === 0) {
      // Attributes too large for any message: these prefixes cannot be announced; the peer
      // must not keep an older announcement either.
      fo.groups.delete(attrs);
      const slots = group.slots.slice(group.at).filter((sl) => this.queued(sl, attrs));
      for (const sl of slots) this.want(fo, sl.key, null);
      return undefined;
    }
    if (group.at >= group.slots.length) fo.groups.delete(attrs);
    if (fo.afi === 1) return withIpv4Nlri(head, taken, size, fo.addPath);
    const nlri = taken.map((k) => nlriOf(k, fo.addPath));
    for (const a of attributes) if (a.name === 'MP_REACH_NLRI') a.value.nlri = nlri;
    return encodeMessage(empty, this.opts.codec);
  }

  /** RFC 4724 §2: an UPDATE with nothing in it (IPv4) or an empty MP_UNREACH_NLRI. */
  private endOfRib(fo: FamilyOut): UpdateMessage {
    if (fo.afi === 1) return { type: 'UPDATE', withdrawn: [], attributes: [], nlri: [] };
    return { type: 'UPDATE', withdrawn: [], attributes: [mpUnreach([], FLAG_OPTIONAL)], nlri: [] };
  }

  /** Prefixes (keys) waiting to be sent or withdrawn. */
  pendingCount(): number {
    let n = 0;
    for (const fo of this.fams.values()) n += fo.pendingN;
    return n;
  }

  /** Whether nextBatch() has anything to give (pending prefixes or an End-of-RIB). */
  hasPending(): boolean {
    for (const fo of this.fams.values()) if (fo.pendingN || fo.eorDue) return true;
    return false;
  }

  sentCount(family: Family): number {
    return this.fams.get(family)?.sentN ?? 0;
  }

  /** What the peer was last sent (routectl's adj-rib-out). */
  *sentRoutes(family: Family): IterableIterator<{ prefix: string; pathId: number; attrs: PathAttrs }> {
    const fo = this.fams.get(family);
    if (!fo) return;
    for (const [key, state] of fo.state) {
      const v = state instanceof Slot ? state.sent : state;
      if (!v) continue;
      const n = nlriOf(key, fo.addPath);
      yield { prefix: n.prefix, pathId: n.pathId ?? 0, attrs: v instanceof Lazy ? (v.out ?? this.rewrite(v)) : v };
    }
  }

  /** The session is gone: give back every attribute reference held. */
  close(): void {
    const { store } = this.opts;
    for (const fo of this.fams.values()) {
      for (const v of fo.state.values()) {
        const sent = v instanceof Slot ? v.sent : v;
        if (sent && !(sent instanceof Lazy)) store.release(sent);
        if (v instanceof Slot) this.drop(v.next ?? null);
      }
      fo.state.clear();
      fo.sentN = 0;
      fo.pendingN = 0;
      fo.groups.clear();
      fo.eorDue = false;
    }
  }
}

/**
 * An IPv4 UPDATE is its attributes-only encoding followed by the NLRI field (RFC 4271 §4.3), so
 * the prefixes are appended to the bytes already encoded for sizing instead of encoding the
 * attributes a second time. `size` is the final length, computed while choosing the prefixes.
 */
function withIpv4Nlri(head: Buffer, keys: readonly string[], size: number, addPath: boolean): Buffer {
  const buf = Buffer.allocUnsafe(size);
  head.copy(buf, 0);
  let at = head.length;
  for (const key of keys) {
    const n = addPath ? nlriOf(key, true) : undefined;
    if (n) at = buf.writeUInt32BE(n.pathId ?? 0, at);
    const prefix = n ? n.prefix : key;
    const len = writePrefix(1, prefix, buf, at);
    if (len < 0) throw new RangeError(`not an IPv4 prefix: ${prefix}`);
    at += len;
  }
  if (at !== size) throw new Error(`UPDATE size ${at} differs from the computed ${size}`);
  // RFC 4271 §4.1: the header's Length field counts the whole message.
  buf.writeUInt16BE(size, 16);
  return buf;
}

function mpUnreach(withdrawn: Nlri[], flags: number): PathAttribute {
  return { code: 15, name: 'MP_UNREACH_NLRI', flags, value: { afi: 2, safi: 1, withdrawn } };
}
