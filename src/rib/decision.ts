// The decision process (RFC 4271 §9.1.2.2 with the common extensions): a table of steps, each
// comparing two routes, in order. The first step that tells them apart decides, and says which
// it was (DecisionStep) so routectl can show why a route won.

import { asPathLength } from '../bgp/wire/index.js';
import type { Config } from '../config/types.js';
import { addressSortKey } from './prefix.js';
import type { DecisionStep, PathAttrs, Route, RouteSource } from './types.js';

export interface DecisionConfig {
  preference: Config['preference'];
  bestPath: Config['bestPath'];
}

const ORIGIN_RANK = { IGP: 0, EGP: 1, INCOMPLETE: 2 } as const;
const DEFAULT_LOCAL_PREF = 100;
/** Within one admin preference, a fixed order of sources keeps the process total. */
const KIND_RANK: Record<RouteSource['kind'], number> = { connected: 0, static: 1, kernel: 2, bgp: 3 };

export function preferenceOf(route: Route, cfg: DecisionConfig): number {
  const s = route.source;
  if (s.kind === 'bgp') return s.peer.ibgp ? cfg.preference.ibgp : cfg.preference.ebgp;
  return cfg.preference[s.kind];
}

/**
 * The neighbouring AS (RFC 4271 §9.1.2.2 c): the leftmost AS of the path, skipping
 * confederation segments (RFC 5065 §5.3); 0 for a path with none (our own AS's routes).
 */
export function neighborAs(attrs: PathAttrs): number {
  for (const seg of attrs.asPath) {
    if (seg.type === 'AS_SEQUENCE') return seg.asns[0] ?? 0;
    if (seg.type === 'AS_SET') return 0;
  }
  return 0;
}

/** A route the process may select: its next hop (when it has one to resolve) resolves. */
export function isUsable(route: Route): boolean {
  return route.resolved !== false;
}

const costOf = (r: Route): number => (r.source.kind === 'bgp' ? (r.igpCost ?? 0) : (r.metric ?? 0));
const isEbgp = (r: Route): boolean => r.source.kind === 'bgp' && !r.source.peer.ibgp;
const cmp = (x: number, y: number): number => (x < y ? -1 : x > y ? 1 : 0);
const cmpText = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

/** RFC 4456 §9: ORIGINATOR_ID stands in for the BGP identifier of the peer when present. */
function routerIdOf(r: Route): string {
  if (r.source.kind !== 'bgp') return '';
  return r.attrs.originatorId ?? r.source.peer.routerId;
}

function sourceKeyOf(r: Route): string {
  const s = r.source;
  if (s.kind === 'bgp') return addressSortKey(s.peer.address);
  return s.kind === 'connected' ? s.interface : '';
}

/** Which pairs a step compares: BGP routes only, routes of different protocols only, or any. */
type Applies = 'bgp' | 'cross' | 'any';
type Step = [DecisionStep, (a: Route, b: Route, cfg: DecisionConfig) => number, Applies];

/** Negative: a is better; positive: b is better; 0: this step cannot tell them apart. */
const STEPS: Step[] = [
  // Admin preference between protocols (as FRR's distance): two BGP routes are compared by the
  // BGP process alone, whatever the eBGP and iBGP preferences are.
  ['preference', (a, b, cfg) => cmp(preferenceOf(a, cfg), preferenceOf(b, cfg)) || cmp(KIND_RANK[a.source.kind], KIND_RANK[b.source.kind]), 'cross'],
  // §9.1.2.2 (the degree of preference): highest LOCAL_PREF.
  ['local-pref', (a, b) => cmp(b.attrs.localPref ?? DEFAULT_LOCAL_PREF, a.attrs.localPref ?? DEFAULT_LOCAL_PREF), 'bgp'],
  // §9.1.2.2 a: shortest AS_PATH (an AS_SET counts 1, confederation segments 0).
  ['as-path-length', (a, b) => cmp(asPathLength(a.attrs.asPath), asPathLength(b.attrs.asPath)), 'bgp'],
  // §9.1.2.2 b: lowest ORIGIN.
  ['origin', (a, b) => cmp(ORIGIN_RANK[a.attrs.origin], ORIGIN_RANK[b.attrs.origin]), 'bgp'],
  // §9.1.2.2 c: lowest MED among routes from the same neighbouring AS; a missing MED is 0.
  ['med', (a, b, cfg) => {
    if (!cfg.bestPath.alwaysCompareMed && neighborAs(a.attrs) !== neighborAs(b.attrs)) return 0;
    return cmp(a.attrs.med ?? 0, b.attrs.med ?? 0);
  }, 'bgp'],
  // §9.1.2.2 d: routes learned over eBGP before those learned over iBGP.
  ['ebgp-over-ibgp', (a, b) => cmp(isEbgp(a) ? 0 : 1, isEbgp(b) ? 0 : 1), 'bgp'],
  // §9.1.2.2 e: lowest interior cost to the next hop; the metric for the RIB's own routes.
  ['igp-cost', (a, b) => cmp(costOf(a), costOf(b)), 'any'],
  // §9.1.2.2 f with RFC 4456 §9: lowest ORIGINATOR_ID or BGP identifier.
  ['router-id', (a, b) => cmpText(addressSortKey(routerIdOf(a)), addressSortKey(routerIdOf(b))), 'bgp'],
  // RFC 4456 §9: shortest CLUSTER_LIST.
  ['cluster-list-length', (a, b) => cmp(a.attrs.clusterList.length, b.attrs.clusterList.length), 'bgp'],
  // §9.1.2.2 g: lowest peer address (for the RIB's own routes: the interface name).
  ['peer-address', (a, b) => cmpText(sourceKeyOf(a), sourceKeyOf(b)), 'any'],
  // RFC 7911: several paths from one peer: lowest path id.
  ['path-id', (a, b) => cmp(a.pathId, b.pathId), 'any'],
];

const STEP_INDEX = new Map<DecisionStep, number>(STEPS.map(([name], i) => [name, i + 1]));
STEP_INDEX.set('only-path', 0);

/** Position of a step in the process: later steps mean closer contenders. */
export function stepIndex(step: DecisionStep): number {
  return STEP_INDEX.get(step) ?? 0;
}

export interface Comparison {
  /** Negative when a is better, positive when b is, 0 when they are the same path. */
  order: number;
  step: DecisionStep;
}

/** Compare two routes for one prefix. */
export function compareRoutes(a: Route, b: Route, cfg: DecisionConfig): Comparison {
  const bothBgp = a.source.kind === 'bgp' && b.source.kind === 'bgp';
  for (const [step, compare, applies] of STEPS) {
    if (applies !== 'any' && (applies === 'bgp') !== bothBgp) continue;
    const order = compare(a, b, cfg);
    if (order !== 0) return { order, step };
  }
  return { order: 0, step: 'path-id' };
}

export interface Selection {
  /** Best route first, then its multipath siblings; empty when no route is usable. */
  best: Route[];
  step?: DecisionStep;
}

function bestOf(routes: readonly Route[], cfg: DecisionConfig): Route {
  let best = routes[0]!;
  for (let i = 1; i < routes.length; i++) {
    const r = routes[i]!;
    if (compareRoutes(r, best, cfg).order < 0) best = r;
  }
  return best;
}

/**
 * deterministic-med: the best of each neighbouring AS first (MED compared within the group),
 * then the best among those. The outcome no longer depends on the order routes are compared in.
 */
function bestByNeighborAs(routes: readonly Route[], cfg: DecisionConfig): Route {
  const groups = new Map<number, Route[]>();
  for (const r of routes) {
    const key = neighborAs(r.attrs);
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const winners: Route[] = [];
  for (const g of groups.values()) winners.push(bestOf(g, cfg));
  return bestOf(winners, cfg);
}

const IGP_COST = stepIndex('igp-cost');

/** Whether `other` may join `best` in a multipath set (equal through the IGP-cost step). */
function multipathWith(best: Route, other: Route, cmpStep: DecisionStep): boolean {
  if (stepIndex(cmpStep) <= IGP_COST) return false;
  if (best.source.kind !== 'bgp' || other.source.kind !== 'bgp') return best.source.kind === other.source.kind;
  // eBGP multipath only across paths from the same neighbouring AS, as FRR does.
  if (!best.source.peer.ibgp && neighborAs(best.attrs) !== neighborAs(other.attrs)) return false;
  return true;
}

/** Run the decision process over the routes of one prefix. */
export function selectBest(candidates: readonly Route[], cfg: DecisionConfig): Selection {
  // One candidate (most prefixes of a full table): no intermediate arrays.
  if (candidates.length === 1) {
    const only = candidates[0]!;
    return isUsable(only) ? { best: [only], step: 'only-path' } : { best: [] };
  }
  const usable = candidates.filter(isUsable);
  if (usable.length === 0) return { best: [] };
  if (usable.length === 1) return { best: [usable[0]!], step: 'only-path' };
  // The BGP process picks the BGP winner; admin preference then decides between it and the
  // other protocols' routes (comparing BGP routes by preference directly would not be transitive).
  const bgp = usable.filter((r) => r.source.kind === 'bgp');
  const finalists = usable.filter((r) => r.source.kind !== 'bgp');
  if (bgp.length) finalists.push(cfg.bestPath.deterministicMed ? bestByNeighborAs(bgp, cfg) : bestOf(bgp, cfg));
  const best = bestOf(finalists, cfg);
  let step: DecisionStep = 'only-path';
  const siblings: Route[] = [];
  for (const r of usable) {
    if (r === best) continue;
    const c = compareRoutes(best, r, cfg);
    if (stepIndex(c.step) > stepIndex(step)) step = c.step;
    if (multipathWith(best, r, c.step)) siblings.push(r);
  }
  const max = best.source.kind !== 'bgp' ? Infinity : best.source.peer.ibgp ? cfg.bestPath.maxPathsIbgp : cfg.bestPath.maxPaths;
  siblings.sort((x, y) => compareRoutes(x, y, cfg).order);
  return { best: siblings.length && max > 1 ? [best, ...siblings.slice(0, max - 1)] : [best], step };
}
