// A Route whose prefix text is made when first read. The import filter and the Adj-RIB-Out's
// export read it only for prefix-dependent policies (and a few log lines), and an IPv6 prefix's
// text costs more than the rest of the route: most of these routes never need it.
//
// Only for routes handed to a reader that drops them soon (a filter, a ChangeView's consumer):
// `prefix` is an accessor on the prototype, so a spread copy or JSON would not have it.

import type { PrefixTable } from './ptable.js';
import type { Family, PathAttrs, Route, RouteSource, RouteType } from './types.js';

export class LazyRoute implements Route {
  private text: string | undefined = undefined;
  declare resolved?: boolean;
  declare igpCost?: number;
  declare gateway?: string;
  declare interface?: string;

  constructor(
    private readonly pt: PrefixTable,
    private readonly pid: number,
    public family: Family,
    public pathId: number,
    public source: RouteSource,
    public type: RouteType,
    public attrs: PathAttrs,
    public stale: boolean,
    public received: PathAttrs,
    public accepted: boolean,
  ) {}

  get prefix(): string {
    return (this.text ??= this.pt.text(this.pid));
  }
}
