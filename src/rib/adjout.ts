// Adj-RIB-Out for one session: what was last sent per prefix, and the pending work as a set of
// dirty prefixes with what they should go out with (adjout-values.ts), grouped by it.
// The session pulls encoded UPDATEs with nextBatch() when its socket can take more, so output is
// paced by backpressure and nothing is pre-built: a change that supersedes an unsent one simply
// replaces it, and a withdrawal of a never-sent announcement cancels it.

import { encodeMessage, MAX_EXTENDED_MESSAGE, MAX_MESSAGE } from '../bgp/wire/index.js';
import type { CodecContext, Nlri } from '../bgp/wire/index.js';
import { appendIpv4Nlri, BatchBuffer, endOfRibMessage, HEADER_AND_LENGTHS, insertMpReachNlri, MP_UNREACH_OVERHEAD, writeWithdrawal } from './adjout-wire.js';
import type { AttrStore } from './attrs.js';
import { grown } from './grown.js';
import { mayAdvertise } from './export.js';
import type { ExportContext } from './export.js';
import { isLazy, NO_VALUE, OutValues, WITHDRAWN } from './adjout-values.js';
import type { Out } from './adjout-values.js';
import { MANY, NO_BEST } from './change-view.js';
import type { ChangeBatch } from './change-view.js';
import { PrefixTable } from './ptable.js';
import { dequeue, emptyFamily, groupOf, NO_GROUP, push, retire, setGroup, spareGroup, WITHDRAW } from './adjout-queue.js';
import type { FamilyOut, Group } from './adjout-queue.js';
import type { BestChange, Family, PathAttrs } from './types.js';

export interface AdjRibOutOptions extends ExportContext {
  /** The session's send context: 4-octet ASNs, ADD-PATH send families ("1/1", "2/1"), extended messages. */
  codec: CodecContext;
  /** Families negotiated with the peer. */
  families: readonly Family[];
  store: AttrStore;
  /**
   * The RIB's prefix tables (Rib.prefixTables): changes then carry prefix ids and the
   * Adj-RIB-Out keeps no prefix text. Without them it keeps a table of its own.
   */
  prefixes?: Readonly<Record<Family, PrefixTable>>;
}

/** Outside nextBatch(): no buffer held. */
const NO_BATCH = new BatchBuffer(0);

export class AdjRibOut {
  private readonly fams = new Map<Family, FamilyOut>();
  private readonly max: number;
  /** Prefix ids in changes refer to these tables (the RIB's). */
  private readonly shared: boolean;
  /** What keys go out with: export results, shared per attribute set. */
  private readonly values: OutValues;
  /**
   * The keys one announcement takes (reused: no list per UPDATE). Room for a full 4096-octet
   * UPDATE of /24s (~1000 keys): a table's large sets fill messages without growing it, and the
   * growth path (never run by the warm-up's small sets, so compiled without feedback) does not
   * deoptimize the packing at a table's first large set.
   */
  private taken: Int32Array = new Int32Array(1024);
  /** Where the messages of the current nextBatch() are written. */
  private batch = NO_BATCH;
  /**
   * nextBytes() writes its batches here, reused, and hands out a copy of what it wrote: a
   * buffer of its own per batch (64 KiB and a message, for batches of a few KiB while a table
   * comes in a tick at a time) was 18 MiB of buffers made during a 100k feed and the warm-up
   * for 2.4 MB sent, each the socket's until written, and freed only at a collection after.
   * Routed alone against the build before, alternating: peak RSS 250k IPv6 143–144 against
   * 147–154 MiB, 100k 124–126 against 124–128, 1M 215–219 against 212–220; CPU within the noise.
   */
  private scratch: Buffer | undefined;

  constructor(private readonly opts: AdjRibOutOptions) {
    this.max = opts.codec.extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE;
    this.shared = opts.prefixes !== undefined;
    this.values = new OutValues(opts);
    for (const family of opts.families) {
      const afi = family === 'ipv4' ? 1 : 2;
      this.fams.set(family, emptyFamily(family, afi, opts.codec.addPath.has(`${afi}/1`), opts.prefixes?.[family] ?? new PrefixTable(family)));
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
    this.values.begin();
    for (const change of changes) {
      const fo = this.fams.get(change.family);
      if (fo) this.exportPrefix(fo, change);
    }
  }

  /**
   * A drained batch (Rib.drainBatch), as enqueue() of its views would: a run of changes whose best
   * route has one accepted set and source takes one export, shared by its prefixes, where the
   * export filter allows it (and without ADD-PATH, where each route of a set has its own key).
   */
  enqueueBatch(batch: ChangeBatch): void {
    this.values.begin();
    const perSet = this.shared && this.values.perSet;
    const fos = [this.fams.get('ipv4'), this.fams.get('ipv6')];
    for (let i = 0; i < batch.n; ) {
      const fo = fos[batch.famOf[i]!];
      const end = perSet ? batch.runEnd(i) : i + 1;
      if (fo && (fo.addPath || batch.key[i] === MANY || !perSet)) for (let k = i; k < end; k++) this.exportPrefix(fo, batch.view(k));
      else if (fo) this.exportRun(fo, batch, i, end);
      i = end;
    }
  }

  /** Changes [i, end) of a batch that share one export (see enqueueBatch). */
  private exportRun(fo: FamilyOut, batch: ChangeBatch, i: number, end: number): void {
    // Held for the run, and given back after it: each key takes a holder of its own.
    const out = batch.key[i] === NO_BEST ? null : this.runExport(batch, i);
    const pids = batch.pid;
    let group: Group | undefined;
    for (let k = i; k < end; k++) {
      const pid = pids[k]!;
      // Nothing sent and nothing to send (want()'s first rule): no state to take.
      if (out === null && pid >= fo.sent.length) continue;
      fo.pt.retain(pid);
      this.holdKey(fo, pid, pid);
      if (out !== null && pid < fo.sent.length && fo.sent[pid] === NO_VALUE && fo.next[pid] === NO_VALUE) {
        // New to the peer and not pending (most of a table): what want() does then, the group found once.
        fo.next[pid] = this.values.again(out)!;
        fo.pendingN++;
        push((group ??= this.groupFor(fo, out)), pid);
        continue;
      }
      this.want(fo, pid, this.values.again(out));
      this.settleKey(fo, pid);
    }
    this.values.drop(out);
  }

  /** The export of a run's best route (a holder taken), or null. */
  private runExport(batch: ChangeBatch, i: number): Out | null {
    // Split horizon and the iBGP rules depend on the source alone: a run they refuse (a peer's
    // own routes, all of a full table it sends) builds no view, no Route and runs no filter.
    const source = batch.source(i);
    if (source && !mayAdvertise({ source }, this.opts.target)) return null;
    // The run's key is the accepted set's id of its one best route: the route's attributes.
    return this.values.exported(batch.route(i), batch.key[i]);
  }

  /**
   * Route refresh (RFC 2918): send the whole Adj-RIB-Out of a family again. Export policy
   * changes instead call enqueue() with every best route (Rib.bestRoutes).
   */
  refresh(family: Family): void {
    const fo = this.fams.get(family);
    if (!fo) return;
    for (let key = 0; key < fo.sent.length; key++) {
      const sent = this.sentOf(fo, key);
      if (sent === undefined) continue;
      fo.sent[key] = NO_VALUE;
      if (fo.next[key] !== NO_VALUE) {
        // Pending work goes out anyway; what was sent before is forgotten.
        this.forgetSent(fo, sent);
        continue;
      }
      fo.sentN--;
      if (!isLazy(sent)) this.want(fo, key, sent);
      else {
        this.want(fo, key, this.values.hold(sent));
        this.values.unkeep(sent);
      }
      // The reference `sent` held passes to the pending value (a plain set) or to its pending count (Lazy).
    }
  }

  // ---- Keys ----

  /** The prefix id of a change in this family's table, with a reference for the caller. */
  private pidOf(fo: FamilyOut, change: BestChange): number {
    if (this.shared && change.id !== undefined) {
      fo.pt.retain(change.id);
      return change.id;
    }
    const pid = fo.pt.acquire(change.prefix);
    if (pid < 0) throw new RangeError(`not an ${fo.family} prefix: ${change.prefix}`);
    return pid;
  }

  /** Key of (prefix id, path id): the prefix id itself without ADD-PATH. -1 if absent and !create. */
  private keyOf(fo: FamilyOut, pid: number, pathId: number, create: boolean): number {
    if (!fo.addPath) return pid;
    const name = `${pid}#${pathId}`;
    let key = fo.pathKeys.get(name);
    if (key === undefined) {
      if (!create) return -1;
      key = fo.freeKeys.pop() ?? fo.keyPid.length;
      fo.pathKeys.set(name, key);
      fo.keyPid[key] = pid;
      fo.keyPath[key] = pathId;
    }
    return key;
  }

  private pidOfKey(fo: FamilyOut, key: number): number {
    return fo.addPath ? fo.keyPid[key]! : key;
  }

  /** A key now has state: it holds one reference on its prefix id (given by the caller). */
  private holdKey(fo: FamilyOut, key: number, pid: number): void {
    if (key >= fo.held.length) {
      const more = new Uint8Array(Math.max(1024, (key + 1) * 2));
      more.set(fo.held);
      fo.held = more;
    }
    if (fo.held[key]) fo.pt.release(pid);
    else fo.held[key] = 1;
  }

  /** A key with nothing sent and nothing pending lets its prefix id go. */
  private settleKey(fo: FamilyOut, key: number): void {
    if (!fo.held[key]) return;
    // Keys past the arrays' end were never given a value (want() does not grow them for a withdrawal).
    if (key < fo.sent.length && (fo.sent[key] !== NO_VALUE || fo.next[key] !== NO_VALUE)) return;
    fo.held[key] = 0;
    const pid = this.pidOfKey(fo, key);
    if (fo.addPath) {
      fo.pathKeys.delete(`${pid}#${fo.keyPath[key]!}`);
      fo.freeKeys.push(key);
    }
    fo.pt.release(pid);
  }

  private exportPrefix(fo: FamilyOut, change: BestChange): void {
    if (!fo.addPath) {
      const pid = this.pidOf(fo, change);
      this.holdKey(fo, pid, pid);
      this.want(fo, pid, this.values.exportedBest(change));
      this.settleKey(fo, pid);
      return;
    }
    // RFC 7911: with ADD-PATH the multipath set goes out, path ids 1..n by rank; ids beyond the
    // new set are withdrawn (a replaced id is an implicit withdrawal of what it carried).
    const pid = this.pidOf(fo, change);
    let id = 1;
    for (const route of change.best) {
      const out = this.values.exported(route);
      if (out === null) continue;
      const key = this.keyOf(fo, pid, id++, true);
      fo.pt.retain(pid);
      this.holdKey(fo, key, pid);
      this.want(fo, key, out);
      this.settleKey(fo, key);
    }
    for (; ; id++) {
      const key = this.keyOf(fo, pid, id, false);
      if (key < 0 || fo.sent[key] === NO_VALUE && fo.next[key] === NO_VALUE) break;
      this.want(fo, key, null);
      this.settleKey(fo, key);
    }
    fo.pt.release(pid);
  }

  /** What the peer has for a key (undefined: nothing). */
  private sentOf(fo: FamilyOut, key: number): Out | undefined {
    return this.values.value(fo.sent[key]!) as Out | undefined;
  }

  /** What a key should become (null: a withdrawal; undefined: nothing pending). */
  private nextOf(fo: FamilyOut, key: number): Out | null | undefined {
    return this.values.value(fo.next[key]!);
  }

  /** The group key of a pending value. */
  private groupOf(v: Out | null): Out {
    return v === null ? WITHDRAW : v;
  }

  /** Record what a key should become; `v` carries a reference (or pending count) that this takes over. */
  private want(fo: FamilyOut, key: number, v: Out | null): void {
    // Nothing to withdraw from a key never used: the per-key arrays are not grown for it (the
    // peer a full table comes from gets none of it back, and keeps no table-sized arrays).
    if (v === null && key >= fo.sent.length) return;
    this.fit(fo, key);
    const pending = this.nextOf(fo, key);
    const sent = this.sentOf(fo, key);
    // Already what the peer has (this also cancels an unsent announcement that is withdrawn).
    if (this.values.same(v, sent ?? null)) {
      if (pending !== undefined) {
        this.values.drop(pending);
        fo.next[key] = NO_VALUE;
        fo.pendingN--;
      }
      this.values.drop(v);
      return;
    }
    const gk = this.groupOf(v);
    if (pending !== undefined) {
      const prev = this.groupOf(pending);
      fo.next[key] = this.values.code(v);
      this.values.drop(pending);
      // Still queued in its group from before: no second entry.
      if (prev === gk && groupOf(fo, gk)) return;
    } else {
      fo.next[key] = this.values.code(v);
      fo.pendingN++;
    }
    push(this.groupFor(fo, gk), key);
  }

  /** The pending group of `gk`, a new (or spare) one at the end of the queue if none. */
  private groupFor(fo: FamilyOut, gk: Out): Group {
    let group = groupOf(fo, gk);
    if (!group) {
      group = spareGroup(fo, gk) ?? { gk, keys: [], n: 0, at: 0 };
      group.gk = gk;
      setGroup(fo, gk, group);
      if (gk !== WITHDRAW) fo.queue.push(group);
    }
    return group;
  }

  /** Grow the per-key arrays to hold `key`, doubling. */
  private fit(fo: FamilyOut, key: number): void {
    if (key < fo.sent.length) return;
    // Straight to the prefix table's size where keys are its ids (doubling copied each array ~20 times).
    const size = Math.max(1024, key + 1, fo.addPath ? 0 : fo.pt.capacity);
    fo.sent = grown(fo.sent, size, NO_VALUE);
    fo.next = grown(fo.next, size, NO_VALUE);
  }

  /** Whether `key` is pending in group `gk`, i.e. its group entry counts. */
  private queued(fo: FamilyOut, key: number, gk: Out): boolean {
    const v = this.nextOf(fo, key);
    return v !== undefined && this.groupOf(v) === gk;
  }

  /** The peer no longer has `sent` from us (withdrawn or replaced): its reference goes. */
  private forgetSent(fo: FamilyOut, sent: Out): void {
    fo.sentN--;
    this.values.unsent(sent);
  }

  /**
   * Encoded UPDATEs for the pending work: withdrawals first, then announcements packed per
   * attribute set, then End-of-RIB of a family whose initial dump is out. Stops once the total
   * reaches `maxBytes` (so it may pass it by less than one message); [] when nothing is pending.
   */
  nextBatch(maxBytes: number): Buffer[] {
    return this.fill(maxBytes).views();
  }

  /**
   * nextBatch()'s messages as one buffer, back to back, and how many there are (the socket's
   * view: no view per message); undefined when nothing is pending.
   */
  nextBytes(maxBytes: number): { bytes: Buffer; messages: number } | undefined {
    const room = maxBytes + this.max;
    if (!this.scratch || this.scratch.length < room) this.scratch = Buffer.allocUnsafe(room);
    const batch = this.fill(maxBytes, this.scratch);
    // A copy: the next batch overwrites the scratch while the socket may still hold this one.
    return batch.messages === 0 ? undefined : { bytes: Buffer.from(batch.buf.subarray(0, batch.at)), messages: batch.messages };
  }

  /** Writes the next batch (see nextBatch) into a new BatchBuffer (in `scratch` if given). */
  private fill(maxBytes: number, scratch?: Buffer): BatchBuffer {
    // Room for the batch and the one message that may pass its end.
    const batch = new BatchBuffer(maxBytes + this.max, scratch);
    this.batch = batch;
    const withdrawals = (): void => {
      for (const fo of this.fams.values()) {
        const group = fo.withdrawals;
        while (group && group.gk === WITHDRAW && group.at < group.n && batch.at < maxBytes) this.withdrawMessage(fo, group);
      }
    };
    withdrawals();
    for (const fo of this.fams.values()) {
      while (fo.queueAt < fo.queue.length) {
        const group = fo.queue[fo.queueAt]!;
        while (group.gk !== NO_GROUP && batch.at < maxBytes) this.announceMessage(fo, group.gk, group);
        if (group.gk !== NO_GROUP) break;
        dequeue(fo, group);
      }
    }
    // Announcements too large to send became withdrawals just now (RFC 8654 §4).
    withdrawals();
    for (const fo of this.fams.values()) {
      if (fo.eorDue && fo.pendingN === 0 && batch.at < maxBytes) {
        batch.add(encodeMessage(endOfRibMessage(fo.afi), this.opts.codec));
        fo.eorDue = false;
      }
    }
    // Not kept past the batch (the views handed out hold it until written).
    this.batch = NO_BATCH;
    return batch;
  }

  private nlriSize(fo: FamilyOut, key: number): number {
    return fo.pt.nlriSize(this.pidOfKey(fo, key)) + (fo.addPath ? 4 : 0);
  }

  private nlriOf(fo: FamilyOut, key: number): Nlri {
    const prefix = fo.pt.text(this.pidOfKey(fo, key));
    return fo.addPath ? { prefix, pathId: fo.keyPath[key]! } : { prefix };
  }

  /** A key's pending value went out (or was dropped): it is no longer pending. */
  private unpend(fo: FamilyOut, key: number): void {
    fo.next[key] = NO_VALUE;
    fo.pendingN--;
  }

  /** One UPDATE of the withdrawals' group into the batch (none when no entry of it counts). */
  private withdrawMessage(fo: FamilyOut, group: Group): void {
    let taken = this.taken;
    let n = 0;
    let size = HEADER_AND_LENGTHS + (fo.afi === 2 ? MP_UNREACH_OVERHEAD : 0);
    for (; group.at < group.n; group.at++) {
      const key = group.keys[group.at]!;
      if (fo.next[key] !== WITHDRAWN) continue;
      const len = this.nlriSize(fo, key);
      if (size + len > this.max) break;
      size += len;
      if (n === taken.length) taken = this.taken = grown(taken, n + 1, NO_VALUE);
      taken[n++] = key;
      // Taken now: a key withdrawn, announced again as what the peer has (which cancels the
      // withdrawal but leaves its entry) and withdrawn again has two entries here.
      this.unpend(fo, key);
    }
    if (group.at >= group.n) retire(fo, group);
    if (n === 0) return;
    // Written from the keys, as announcements are (no prefix text, no encoder), before the keys
    // are settled (which may give a key's prefix id back).
    const at = this.batch.reserve(size);
    writeWithdrawal(fo.afi, this.batch.buf, at, size, (buf, p) => this.writeKeys(fo, taken, n, buf, p));
    for (let i = 0; i < n; i++) {
      const key = taken[i]!;
      const sent = this.sentOf(fo, key);
      fo.sent[key] = NO_VALUE;
      if (sent !== undefined) this.forgetSent(fo, sent);
      this.settleKey(fo, key);
    }
  }

  /** One UPDATE of group `gk` into the batch (none when no entry of it counts, or its attributes cannot be sent). */
  private announceMessage(fo: FamilyOut, gk: Out, group: Group): void {
    // Skip entries that no longer count, so that an exhausted group encodes nothing.
    while (group.at < group.n && !this.queued(fo, group.keys[group.at]!, gk)) group.at++;
    if (group.at >= group.n) {
      retire(fo, group);
      return;
    }
    // RFC 8654 §4: attributes too large for the session's maximum message size cannot be sent;
    // the encoder refuses them, and the prefixes take the branch below (withdrawn, not sent).
    // The head goes where the message will (fill() leaves room for one of the largest there).
    const batch = this.batch;
    const at = batch.next();
    const headLen = this.values.headInto(gk, this.opts.codec, fo.family, batch.buf, at);
    let taken = this.taken;
    let n = 0;
    let size = headLen >= 0 ? headLen : Infinity;
    for (; group.at < group.n; group.at++) {
      const key = group.keys[group.at]!;
      const v = this.nextOf(fo, key);
      if (v !== gk) continue;
      const len = this.nlriSize(fo, key);
      if (size + len > this.max) break;
      size += len;
      if (n === taken.length) taken = this.taken = grown(taken, n + 1, NO_VALUE);
      taken[n++] = key;
      this.unpend(fo, key);
      const sent = this.sentOf(fo, key);
      if (sent !== undefined) this.forgetSent(fo, sent);
      // A plain set's reference passes to the sent state; a Lazy one is kept without its rewritten set.
      fo.sent[key] = this.values.code(v);
      fo.sentN++;
      this.values.sent(v);
    }
    if (n === 0) {
      // Attributes too large for any message: these prefixes cannot be announced; the peer
      // must not keep an older announcement either.
      const left: number[] = [];
      for (let i = group.at; i < group.n; i++) if (this.queued(fo, group.keys[i]!, gk)) left.push(group.keys[i]!);
      // Retired after: a retired group may be reused at once, by the withdrawals among others.
      for (const key of left) this.want(fo, key, null);
      retire(fo, group);
      return;
    }
    if (group.at >= group.n) retire(fo, group);
    const write = (buf: Buffer, p: number): number => this.writeKeys(fo, taken, n, buf, p);
    if (batch.reserve(size) !== at) throw new Error('UPDATE reserved elsewhere than its head was written');
    if (fo.afi === 1) appendIpv4Nlri(batch.buf, at, headLen, size, write);
    else insertMpReachNlri(batch.buf, at, headLen, size, write);
  }

  /** The NLRI of `keys` (with path ids under ADD-PATH) written at buf[at]; the end offset. */
  private writeKeys(fo: FamilyOut, keys: Int32Array, n: number, buf: Buffer, at: number): number {
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      if (fo.addPath) at = buf.writeUInt32BE(fo.keyPath[key]!, at);
      at += fo.pt.writeNlri(this.pidOfKey(fo, key), buf, at);
    }
    return at;
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
    for (let key = 0; key < fo.sent.length; key++) {
      const v = this.sentOf(fo, key);
      if (v === undefined) continue;
      const n = this.nlriOf(fo, key);
      yield { prefix: n.prefix, pathId: n.pathId ?? 0, attrs: this.values.outAttrs(v) };
    }
  }

  /** The session is gone: give back every attribute reference and prefix id held. */
  close(): void {
    this.values.forgetMemo();
    for (const fo of this.fams.values()) {
      for (let key = 0; key < fo.sent.length; key++) {
        const sent = this.sentOf(fo, key);
        if (sent !== undefined) this.values.unsent(sent);
        const next = this.nextOf(fo, key);
        if (next !== undefined) this.values.drop(next);
        if (fo.held[key]) fo.pt.release(this.pidOfKey(fo, key));
      }
      this.fams.set(fo.family, emptyFamily(fo.family, fo.afi, fo.addPath, fo.pt));
    }
  }
}
