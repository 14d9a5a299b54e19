// What routectl shows: plain data the daemon builds from its state, sent as JSON frames, and
// turned into text tables by format.ts on the routectl side.

import type { DecisionStep } from '../rib/types.js';

export interface NeighborView {
  address: string;
  description: string;
  remoteAs: number;
  localAs: number;
  state: string;
  /** Seconds since the last state change (uptime when Established). */
  sinceSeconds: number;
  routerId?: string;
  holdTime?: number;
  keepalive?: number;
  families: string[];
  /** Negotiated capabilities, by name (e.g. "4-octet-as", "route-refresh", "add-path-rx:ipv4"). */
  capabilities: string[];
  received: number;
  accepted: number;
  advertised: number;
  lastError?: string;
  adminDown: boolean;
}

export interface RibPathView {
  family: string;
  prefix: string;
  pathId: number;
  source: string;
  neighbor?: string;
  nextHop: string;
  /** Outgoing interface, for connected routes and resolved next hops. */
  interface?: string;
  asPath: string;
  origin: string;
  localPref?: number;
  med?: number;
  communities: string[];
  largeCommunities: string[];
  extCommunities: string[];
  best: boolean;
  /** Part of the ECMP set (best included). */
  multipath: boolean;
  /** For the best path: the step that beat the runner-up; for the others: the step they lost at. */
  decidedBy?: DecisionStep;
  resolved: boolean;
  igpCost?: number;
  stale: boolean;
  type: string;
}

export interface RibEntryView {
  family: string;
  prefix: string;
  paths: RibPathView[];
}

/** One row of `show rib in|out NEIGHBOUR`. */
export interface AdjRibView {
  family: string;
  prefix: string;
  pathId: number;
  nextHop: string;
  asPath: string;
  origin: string;
  localPref?: number;
  med?: number;
  communities: string[];
  /** Adj-RIB-In: accepted by import policy (and why not, when not). */
  accepted?: boolean;
}
