// One family's Loc-RIB table (locrib.ts selects over it): per prefix id of its PrefixTable, the
// chain of BGP records, the best set and state bits; per record (a BGP route), its source, path id,
// attribute ids as received and as accepted, and flags — typed arrays grown with the table, no
// object per prefix or route. The RIB's own routes (few) are Route lists beside them.

import { grown } from './grown.js';
import { PrefixTable } from './ptable.js';
import type { Family, Route } from './types.js';

export const NONE = -1;
/** best[]: the best set is not one BGP record; see FamilyRib.complex. */
export const COMPLEX = -2;
/** Record flags: a graceful-restart stale route. */
export const STALE = 1;
/** FamilyRib.state: the prefix has routes of the RIB's own sources (an entry in `others`). */
export const OTHERS = 4;

/** One family's table. Arrays indexed by prefix id grow with the prefix table. */
export class FamilyRib {
  readonly pt: PrefixTable;
  /** Per prefix: first record, or NONE. */
  head = new Int32Array(0);
  /** Per prefix: the record that is the whole best set, NONE, or COMPLEX. */
  best = new Int32Array(0);
  step = new Uint8Array(0);
  /** Per prefix: accepted records (routes that are candidates). */
  accN = new Uint16Array(0);
  /** Per prefix: 1 while the Loc-RIB holds a reference on the id; 2 dirty (a change not drained); OTHERS. */
  state = new Uint8Array(0);
  dirtyList = new Int32Array(1024);
  dirtyN = 0;
  /**
   * Ids of prefixes the last drain reported gone: released at the next drain, so the ids in
   * drained changes stay valid until then. Reused from drain to drain (a full table withdrawn
   * made a new array of up to a drain's size for each one).
   */
  deferred = new Int32Array(1024);
  deferredN = 0;
  /** Prefixes with routes of the RIB's own sources. */
  readonly others = new Map<number, Route[]>();
  /** Prefixes whose best set is not a single BGP record: record ids and the RIB's own routes. */
  readonly complex = new Map<number, (number | Route)[]>();
  /** Prefixes with a candidate (an accepted BGP route or a route of the RIB's own). */
  present = 0;
  // Records: a BGP route each.
  src = new Int32Array(1024);
  pathId = new Uint32Array(1024);
  raw = new Int32Array(1024);
  acc = new Int32Array(1024);
  next = new Int32Array(1024);
  flags = new Uint8Array(1024);
  private freeRec = NONE;
  private topRec = 0;

  constructor(readonly family: Family) {
    this.pt = new PrefixTable(family);
  }

  /** Size the per-prefix arrays for every id the table hands out. */
  fit(): void {
    const n = this.pt.capacity;
    if (this.head.length >= n) return;
    this.head = grown(this.head, n, NONE);
    this.best = grown(this.best, n, NONE);
    this.step = grown(this.step, n);
    this.accN = grown(this.accN, n);
    this.state = grown(this.state, n);
  }

  newRecord(): number {
    if (this.freeRec !== NONE) {
      const r = this.freeRec;
      this.freeRec = this.next[r]!;
      return r;
    }
    if (this.topRec === this.src.length) {
      const n = this.src.length * 2;
      this.src = grown(this.src, n);
      this.pathId = grown(this.pathId, n);
      this.raw = grown(this.raw, n);
      this.acc = grown(this.acc, n);
      this.next = grown(this.next, n);
      this.flags = grown(this.flags, n);
    }
    return this.topRec++;
  }

  freeRecord(r: number): void {
    this.next[r] = this.freeRec;
    this.freeRec = r;
  }

  /** Whether the prefix holds any route, accepted or not (its id stays held). */
  hasRoutes(pid: number): boolean {
    return this.head[pid] !== NONE || this.hasOthers(pid);
  }

  /** Whether the prefix has a candidate for selection. */
  hasCandidates(pid: number): boolean {
    return this.accN[pid] !== 0 || this.hasOthers(pid);
  }

  /** Whether the prefix has routes of the RIB's own sources (`others.has`, read per prefix of a table without a hash lookup). */
  hasOthers(pid: number): boolean {
    return (this.state[pid]! & OTHERS) !== 0;
  }

  countAccepted(pid: number, delta: 1 | -1): void {
    const before = this.accN[pid]!;
    this.accN[pid] = before + delta;
    if (this.hasOthers(pid)) return;
    if (before === 0) this.present++;
    else if (before === 1 && delta < 0) this.present--;
  }
}
