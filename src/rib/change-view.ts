// A drained best-path change as a view on the Loc-RIB. A full table's convergence drains a
// million changes, and most of them meet an Adj-RIB-Out that has just exported the same attribute
// set for the previous prefix of the same UPDATE: building the prefix text and a Route object
// for each (as a plain BestChange record does) was a fifth of everything the daemon allocated.
// A view builds them on first read and keeps them. It reads the Loc-RIB as it is when read, so
// it is only for consumers done with it before the RIB changes again and before the next drain
// (which may reuse the prefix id of a prefix gone): the daemon's tick fanning changes out.

import { grown } from './grown.js';
import type { FamilyRib, LocRib } from './locrib.js';
import type { BestChange, DecisionStep, Family, Route, RouteSource } from './types.js';

export class ChangeView implements BestChange {
  private text: string | undefined = undefined;
  private routes: readonly Route[] | undefined = undefined;

  constructor(
    private readonly loc: LocRib,
    private readonly f: FamilyRib,
    readonly id: number,
    readonly step: DecisionStep | undefined,
  ) {}

  get family(): Family {
    return this.f.family;
  }

  get prefix(): string {
    return (this.text ??= this.f.pt.text(this.id));
  }

  get best(): readonly Route[] {
    return (this.routes ??= this.loc.bestRoutes(this.f, this.id, null));
  }

  /** The best set's one BGP record, or negative (no route, or a set of several or of the RIB's own routes). */
  private single(): number {
    return this.f.best[this.id]!;
  }

  /**
   * The store id of best[0].attrs and best[0].source when the best set is one BGP record, without
   * building the Route (-1 / undefined otherwise: read `best`). What an Adj-RIB-Out's export memo is keyed on.
   */
  singleAttrsId(): number {
    const r = this.single();
    return r >= 0 ? this.loc.recordAttrsId(this.f, r) : -1;
  }

  singleSource(): RouteSource | undefined {
    const r = this.single();
    return r >= 0 ? this.loc.recordSource(this.f, r) : undefined;
  }
}

/** ChangeBatch run keys besides an accepted set's id: no best route, or a best set of several routes or of the RIB's own. */
export const NO_BEST = -1;
export const MANY = -2;

/**
 * A drain's changes as arrays, without an object per change: per change its family, prefix id
 * and run key, which is the accepted set id and source of the best set's one BGP record (NO_BEST:
 * no route; MANY: anything else). The changes of one UPDATE follow each other with one key, so an
 * Adj-RIB-Out exports such a run once (enqueueBatch) instead of once per prefix. Like the views,
 * it is read before the RIB changes again; the Loc-RIB reuses it at the next drain.
 */
export class ChangeBatch {
  n = 0;
  /** Family codes 0 and 1. */
  readonly fams: readonly FamilyRib[];
  famOf = new Uint8Array(1024);
  pid = new Int32Array(1024);
  key = new Int32Array(1024);
  src = new Int32Array(1024);

  constructor(private readonly loc: LocRib) {
    this.fams = [loc.fams.ipv4, loc.fams.ipv6];
  }

  push(fam: number, pid: number, key: number, src: number): void {
    if (this.n === this.pid.length) {
      this.famOf = grown(this.famOf, this.n + 1);
      this.pid = grown(this.pid, this.n + 1);
      this.key = grown(this.key, this.n + 1);
      this.src = grown(this.src, this.n + 1);
    }
    const i = this.n++;
    this.famOf[i] = fam;
    this.pid[i] = pid;
    this.key[i] = key;
    this.src[i] = src;
  }

  /** The source of change `i`'s best route when the run key is a set id (its one BGP record's). */
  source(i: number): RouteSource | undefined {
    return this.key[i]! >= 0 ? this.loc.sources[this.src[i]!]?.source : undefined;
  }

  /** The end of the run that starts at `i`: following changes of the same family and key (MANY: a run of one). */
  runEnd(i: number): number {
    const fam = this.famOf[i]!;
    const key = this.key[i]!;
    const src = this.src[i]!;
    let j = i + 1;
    if (key === MANY) return j;
    while (j < this.n && this.key[j] === key && this.src[j] === src && this.famOf[j] === fam) j++;
    return j;
  }

  /** The best route of change `i` when its run key is a set id (its one BGP record's), as a LazyRoute: no view, no list. */
  route(i: number): Route {
    const f = this.fams[this.famOf[i]!]!;
    const pid = this.pid[i]!;
    return this.loc.routeOf(f, pid, f.best[pid]!, null);
  }

  /** Change `i` as a view (built on demand; the same rules as a drained view). */
  view(i: number): ChangeView {
    const f = this.fams[this.famOf[i]!]!;
    const pid = this.pid[i]!;
    return new ChangeView(this.loc, f, pid, this.loc.stepOf(f, pid));
  }
}
