// The Adj-RIB-Out's per-family state (adjout.ts): per key what was sent and what is pending, and
// the pending keys grouped by what they go out with, queued in order, with retired groups reused.

import type { Out } from './adjout-values.js';
import { lazyIndex } from './adjout-values.js';
import type { PrefixTable } from './ptable.js';
import type { Family } from './types.js';

/** The group key of withdrawals (announcements are grouped by what they go out with). */
export const WITHDRAW = -1;

/**
 * Keys queued for one attribute set, sent in order from `at`. A key is not removed when it is
 * wanted otherwise meanwhile: an entry counts only while the key's `next` still has this set
 * (an array with such stale entries costs far less than a Set per attribute set).
 */
export interface Group {
  /** What the keys go out with (WITHDRAW: withdrawals); NO_GROUP once retired. */
  gk: Out;
  /** A plain array: most groups hold a few keys, where a typed array costs two objects more. */
  keys: number[];
  n: number;
  at: number;
}

/**
 * Group.gk of a retired group: the Lazy code of index 2^30 - 3, which no Adj-RIB-Out reaches (a
 * billion Lazy exports), and a small integer for V8. The former
 * -3 - 0x7fffffff was a heap number: the first group retired turned every group's gk into a
 * double field and threw away the compiled packing loop (`fill`, "not a Smi").
 */
export const NO_GROUP = -(2 ** 30);

/**
 * One family towards the peer. A key is a prefix id of the prefix table (the RIB's, shared, or
 * the Adj-RIB-Out's own), or with ADD-PATH an id for (prefix, path id); per key, what the peer
 * has (`sent`) and what it should get (`next`: null a withdrawal, undefined nothing pending), in
 * arrays indexed by key: no string and no object per prefix.
 */
export interface FamilyOut {
  family: Family;
  afi: 1 | 2;
  addPath: boolean;
  pt: PrefixTable;
  sent: Int32Array;
  next: Int32Array;
  /** Per key: 1 while the key holds a reference on its prefix id. */
  held: Uint8Array;
  /** ADD-PATH keys: "pid#pathId" → key, and back. */
  pathKeys: Map<string, number>;
  keyPid: number[];
  keyPath: number[];
  freeKeys: number[];
  sentN: number;
  pendingN: number;
  /**
   * The pending keys per value: one group, few UPDATEs. Found by the value (an interned set's id,
   * a Lazy's index; withdrawals apart), and queued in the order they were made: no Map, whose
   * set and delete for each of a table's quarter million groups reallocated it again and again.
   */
  byId: (Group | undefined)[];
  byLazy: (Group | undefined)[];
  withdrawals: Group | undefined;
  /** The announcement groups in order from `queueAt`; those before it are sent (or retired). */
  queue: Group[];
  queueAt: number;
  /** Groups sent and emptied, for reuse: a table's dump makes and sends a quarter million. */
  spare: Group[];
  /** The withdrawals' group once sent, for the next withdrawals, its key list kept (see retire). */
  spareWithdrawals: Group | undefined;
  /** The initial dump was queued and its End-of-RIB is not sent yet. */
  eorDue: boolean;
}

/** A family with nothing sent or pending (a session's start, or after close()). */
export function emptyFamily(family: Family, afi: 1 | 2, addPath: boolean, pt: PrefixTable): FamilyOut {
  return {
    family, afi, addPath, pt,
    sent: new Int32Array(0), next: new Int32Array(0), held: new Uint8Array(0),
    pathKeys: new Map(), keyPid: [], keyPath: [], freeKeys: [],
    sentN: 0, pendingN: 0, byId: [], byLazy: [], withdrawals: undefined, queue: [], queueAt: 0, spare: [], spareWithdrawals: undefined, eorDue: false,
  };
}

export function push(g: Group, key: number): void {
  g.keys[g.n++] = key;
}

/**
 * Spare groups kept per family, and the largest key list kept with one (a full table's groups hold
 * a few keys). A tick makes ~700 groups of a table's dump while the socket may still hold the last
 * ones: 256 spares left most of them new (27 MiB of a table's allocation); 4,096 cost ~400 KiB.
 */
const SPARE_GROUPS = 4096;
const SPARE_KEYS = 64;
/**
 * The largest key list the withdrawals' group keeps for the next withdrawals (one drain's worth,
 * 512 KiB): a full table withdrawn, a drain at a time, built a new list of up to 65,536 keys for
 * each drain (~20 MiB of garbage per 1M withdrawals).
 */
const WITHDRAWAL_KEYS_KEPT = 65536;

/** The pending group of a value, if any. */
export function groupOf(fo: FamilyOut, gk: Out): Group | undefined {
  if (gk >= 0) return fo.byId[gk];
  return gk === WITHDRAW ? fo.withdrawals : fo.byLazy[lazyIndex(gk)];
}

export function setGroup(fo: FamilyOut, gk: Out, group: Group | undefined): void {
  if (gk >= 0) placeAt(fo.byId, gk, group);
  else if (gk === WITHDRAW) fo.withdrawals = group;
  else placeAt(fo.byLazy, lazyIndex(gk), group);
}

/**
 * list[index] = group, the list first extended by pushes to reach it. A store far past a list's
 * end made V8 turn it into a dictionary (the IPv6 Lazy indices of a full table start past the
 * IPv4 ones; made dense again later, copied back), and stores past its end went through V8's
 * runtime one by one: 1.5 % of the main thread at 1M IPv4 + 250k IPv6 in perf.
 */
function placeAt(list: (Group | undefined)[], index: number, group: Group | undefined): void {
  if (index >= list.length) {
    if (group === undefined) return;
    while (list.length < index) list.push(undefined);
  }
  list[index] = group;
}

/**
 * A group is done (sent, or none of its entries count): no longer found by its value. The
 * withdrawals' group is kept for reuse at once; an announcement group when the queue passes it.
 */
export function retire(fo: FamilyOut, group: Group): void {
  setGroup(fo, group.gk, undefined);
  const withdrawals = group.gk === WITHDRAW;
  group.gk = NO_GROUP;
  if (!withdrawals) return;
  if (group.keys.length > SPARE_KEYS && group.keys.length <= WITHDRAWAL_KEYS_KEPT) {
    group.n = 0;
    group.at = 0;
    fo.spareWithdrawals = group;
  } else recycle(fo, group);
}

/** A spare group for `gk`: the withdrawals' own kept one first, for withdrawals. */
export function spareGroup(fo: FamilyOut, gk: Out): Group | undefined {
  if (gk === WITHDRAW && fo.spareWithdrawals) {
    const group = fo.spareWithdrawals;
    fo.spareWithdrawals = undefined;
    return group;
  }
  return fo.spare.pop();
}

function recycle(fo: FamilyOut, group: Group): void {
  if (fo.spare.length >= SPARE_GROUPS || group.keys.length > SPARE_KEYS) return;
  group.n = 0;
  group.at = 0;
  fo.spare.push(group);
}

/** The queue's head moves past a retired group; the sent part of the queue is dropped now and then. */
export function dequeue(fo: FamilyOut, group: Group): void {
  fo.queueAt++;
  recycle(fo, group);
  if (fo.queueAt === fo.queue.length) {
    fo.queue.length = 0;
    fo.queueAt = 0;
  } else if (fo.queueAt >= 4096 && fo.queueAt * 2 >= fo.queue.length) {
    fo.queue.copyWithin(0, fo.queueAt);
    fo.queue.length -= fo.queueAt;
    fo.queueAt = 0;
  }
}
