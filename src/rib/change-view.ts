// A drained best-path change as a view on the Loc-RIB. A full table's convergence drains a
// million changes, and most of them meet an Adj-RIB-Out that has just exported the same attribute
// set for the previous prefix of the same UPDATE: building the prefix text and a Route object
// for each (as a plain BestChange record does) was a fifth of everything the daemon allocated.
// A view builds them on first read and keeps them. It reads the Loc-RIB as it is when read, so
// it is only for consumers done with it before the RIB changes again and before the next drain
// (which may reuse the prefix id of a prefix gone): the daemon's tick fanning changes out.

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
