// The RIB: pure, no I/O. Adj-RIB-In and Loc-RIB (Rib), next-hop resolution, export rules and
// the per-session Adj-RIB-Out that packs UPDATEs.

export * from './types.js';
export { AttrStore, baseAttrs } from './attrs.js';
export { attrsFromWire, routesOf, toWire } from './attrs-wire.js';
export type { ToWireOptions } from './attrs-wire.js';
export { encodeHead } from './attrs-head.js';
export { compareRoutes, isUsable, neighborAs, preferenceOf, selectBest, stepIndex } from './decision.js';
export type { Comparison, DecisionConfig, Selection } from './decision.js';
export { NextHopResolver } from './nexthop.js';
export type { Resolution } from './nexthop.js';
export { Rib } from './rib.js';
export type { AdjInView, PeerOptions, RibConfig, UpdateResult } from './rib.js';
export { exportAttrs, mayAdvertise, prependAs } from './export.js';
export type { ExportContext } from './export.js';
export { AdjRibOut } from './adjout.js';
export type { AdjRibOutOptions } from './adjout.js';
export { canonicalPrefix } from './prefix.js';
