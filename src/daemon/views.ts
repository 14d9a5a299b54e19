// Builds routectl's views (src/mgmt/views.ts) from RIB and session state. Pure functions over
// what they are given; the daemon streams their output.

import { asPathText } from '../policy/index.js';
import { compareRoutes } from '../rib/index.js';
import type { DecisionConfig, DecisionStep, PathAttrs, Route } from '../rib/index.js';
import type { PrefixEntry } from '../rib/locrib.js';
import type { AdjRibView, RibEntryView, RibPathView } from '../mgmt/views.js';

function communityText(c: number): string {
  return `${c >>> 16}:${c & 0xffff}`;
}

function attrFields(a: PathAttrs): Pick<RibPathView, 'nextHop' | 'asPath' | 'origin' | 'localPref' | 'med' | 'communities'> {
  return {
    nextHop: a.nextHop,
    asPath: asPathText(a.asPath),
    origin: a.origin,
    ...(a.localPref !== undefined && { localPref: a.localPref }),
    ...(a.med !== undefined && { med: a.med }),
    communities: a.communities.map(communityText),
  };
}

/** For the best path: the step that chose it; for a path outside the best set: the step it lost at. */
export function decidedByOf(r: Route, e: Readonly<PrefixEntry>, cfg: DecisionConfig): DecisionStep | undefined {
  const best = e.best[0] === r;
  const lostAt = !best && e.best[0] && !e.best.includes(r) ? compareRoutes(e.best[0], r, cfg).step : undefined;
  return best ? e.step : lostAt;
}

function pathView(r: Route, e: Readonly<PrefixEntry>, cfg: DecisionConfig): RibPathView {
  const best = e.best[0] === r;
  const decidedBy = decidedByOf(r, e, cfg);
  return {
    family: r.family,
    prefix: r.prefix,
    pathId: r.pathId,
    source: r.source.kind,
    ...(r.source.kind === 'bgp' && { neighbor: r.source.peer.address }),
    ...attrFields(r.attrs),
    ...(r.interface && { interface: r.interface }),
    largeCommunities: r.attrs.largeCommunities.map((l) => l.join(':')),
    extCommunities: [...r.attrs.extCommunities],
    best,
    multipath: e.best.includes(r),
    ...(decidedBy && { decidedBy }),
    resolved: r.resolved !== false,
    ...(r.igpCost !== undefined && { igpCost: r.igpCost }),
    stale: r.stale,
    type: r.type,
  };
}

/**
 * One prefix: best first, then its ECMP siblings, then the others in decision order. `keep`
 * (show rib filters) leaves paths out of the view; flags and decision steps stay those of the
 * whole entry.
 */
export function ribEntryView(e: Readonly<PrefixEntry>, cfg: DecisionConfig, keep?: (r: Route) => boolean): RibEntryView {
  return { family: e.family, prefix: e.prefix, paths: orderedPaths(e, cfg, keep).map((r) => pathView(r, e, cfg)) };
}

/** The paths of a prefix in show rib order (see ribEntryView), those `keep` rejects left out. */
export function orderedPaths(e: Readonly<PrefixEntry>, cfg: DecisionConfig, keep?: (r: Route) => boolean): Route[] {
  const paths = e.candidates.length === 1 ? [...e.candidates] : [...e.best, ...e.candidates.filter((r) => !e.best.includes(r)).sort((a, b) => compareRoutes(a, b, cfg).order)];
  return keep ? paths.filter(keep) : paths;
}

export function adjRibView(family: string, prefix: string, pathId: number, a: PathAttrs, accepted?: boolean): AdjRibView {
  const { nextHop, asPath, origin, localPref, med, communities } = attrFields(a);
  return {
    family,
    prefix,
    pathId,
    nextHop,
    asPath,
    origin,
    ...(localPref !== undefined && { localPref }),
    ...(med !== undefined && { med }),
    communities,
    ...(accepted !== undefined && { accepted }),
  };
}
