// Routes as the RIB holds them. Pure data; path attributes are interned (one frozen object per
// distinct set, shared by every route that carries it: a full table has about a quarter as many
// distinct sets as prefixes).

import type { AsPathSegment, Aggregator, Origin } from '../bgp/wire/types.js';
import type { Family } from '../config/types.js';

export type { Family };

/** The attributes a route carries after import: decoded, 4-octet AS_PATH already merged. */
/**
 * A set of path attributes. Every set the RIB makes has every member, the optional ones undefined
 * when absent, in baseAttrs' order (attrs.ts): one hidden class for all sets, so that the route
 * path's reads of them (packing, export, the decision) are inline loads, where sets of one shape
 * per combination of optional attributes made them megamorphic lookups.
 */
export interface PathAttrs {
  origin: Origin;
  asPath: readonly AsPathSegment[];
  /** IPv4 or IPv6 global next hop; '' for routes without one (blackhole, unreachable). */
  nextHop: string;
  /** IPv6 link-local next hop (RFC 2545), when the peer sent one. */
  nextHopLinkLocal?: string;
  med?: number;
  localPref?: number;
  atomicAggregate: boolean;
  aggregator?: Aggregator;
  communities: readonly number[];
  /** 8-byte extended communities as 16 hex digits. */
  extCommunities: readonly string[];
  largeCommunities: readonly (readonly [number, number, number])[];
  originatorId?: string;
  clusterList: readonly string[];
  /** RFC 9234 Only-to-Customer. */
  otc?: number;
  /** Unrecognised optional transitive attributes, passed on with the Partial bit (RFC 4271 §5). */
  unknown: readonly { code: number; flags: number; value: string }[];
}

/** Who a BGP route came from: what the decision process and export rules need. */
export interface PeerInfo {
  /** Neighbour address: the peer's name. */
  address: string;
  asn: number;
  /** The peer's BGP identifier from its OPEN. */
  routerId: string;
  ibgp: boolean;
  routeReflectorClient: boolean;
}

export type RouteSource =
  | { kind: 'bgp'; peer: PeerInfo }
  | { kind: 'static' }
  | { kind: 'connected'; interface: string }
  | { kind: 'kernel' };

/** What forwarding does with a route that has no next hop to use. */
export type RouteType = 'unicast' | 'blackhole' | 'unreachable';

export interface Route {
  family: Family;
  /** Canonical prefix text, as the codec produces it. */
  prefix: string;
  /** RFC 7911 path id as received (0 without ADD-PATH). */
  pathId: number;
  source: RouteSource;
  type: RouteType;
  /** Outgoing interface, for connected and interface static routes. */
  interface?: string;
  /** Interned; compare by identity. */
  attrs: PathAttrs;
  /** Graceful restart: kept from a restarting peer until End-of-RIB or the restart time. */
  stale: boolean;
  /** Kernel and static routes: the route's metric, the IGP cost of next hops resolved through it. */
  metric?: number;
  /**
   * BGP routes and static routes with a next hop: whether the next hop resolves through a
   * connected, static or kernel route (an unresolved route stays in the RIB, never selected).
   * Absent for routes that need no resolution.
   */
  resolved?: boolean;
  /**
   * With `resolved`: the IGP cost to the next hop and the directly reachable gateway it is
   * forwarded to (`interface` then holds the outgoing interface when one is known).
   */
  igpCost?: number;
  gateway?: string;
  /**
   * BGP routes: the attributes as received (interned), before import policy. The route object is
   * also the peer's Adj-RIB-In entry, so a received path costs one object.
   */
  received?: PathAttrs;
  /** BGP routes: false while import rejects the route (then it is in the Adj-RIB-In only). */
  accepted?: boolean;
}

/** Filters the daemon plugs the policy engine into: attributes to use (new or same), or null to reject. */
/**
 * `perAttributes`: the filter's outcome depends on the attributes (and family and peer) only,
 * never on the prefix, so the RIB runs it once per attribute set of an UPDATE. Read once per
 * UPDATE (it may be a getter that follows the configuration).
 */
export type ImportFilter = ((route: Route, peer: PeerInfo) => PathAttrs | null) & { readonly perAttributes?: boolean };
/** `perAttributes`: as for ImportFilter (read once per batch of changes, so it may be a getter). */
export type ExportFilter = ((route: Route, peer: PeerInfo) => PathAttrs | null) & { readonly perAttributes?: boolean };

/** A kernel route read from netlink (routes of other protocols, not our own). */
export interface KernelRoute {
  prefix: string;
  /** Gateway address; absent for device routes. */
  gateway?: string;
  interface?: string;
  metric?: number;
  type?: RouteType;
}

/** A connected prefix (an interface address with its prefix length, host bits allowed). */
export interface ConnectedRoute {
  prefix: string;
  interface: string;
}

/** Best-path steps in order (RFC 4271 §9.1.2.2, with the common extensions). */
export type DecisionStep =
  | 'only-path'
  | 'preference'
  | 'local-pref'
  | 'as-path-length'
  | 'origin'
  | 'med'
  | 'ebgp-over-ibgp'
  | 'igp-cost'
  | 'router-id'
  | 'cluster-list-length'
  | 'peer-address'
  | 'path-id';

/** A change of the best path(s) of one prefix: what the FIB and Adj-RIB-Out consume. */
export interface BestChange {
  family: Family;
  prefix: string;
  /** The new best route (first) and its ECMP siblings; empty when the prefix is gone. */
  best: readonly Route[];
  /** The step that made best[0] win over the closest contender. */
  step?: DecisionStep;
  /** The prefix's id in the RIB's prefix table (Rib.prefixTables), valid until the next drain. */
  id?: number;
}
