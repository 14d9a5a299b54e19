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

/** One next-hop slot of the XDP forwarder, decoded (ECMP: with its members). */
export interface XdpSlotView {
  id: number;
  /** forward, ecmp, pass, local, blackhole, unreachable. */
  kind: string;
  /** RESOLVED, ECMP, LOCAL, BLACKHOLE, UNREACHABLE. */
  flags: string[];
  ifindex?: number;
  interface?: string;
  dstMac?: string;
  srcMac?: string;
  vlan?: number;
  mtu?: number;
  members?: XdpSlotView[];
}

/** One prefix of `show fib`: routed's kernel route and/or its XDP trie entry. */
export interface FibEntryView {
  family: string;
  prefix: string;
  kernel?: { type: string; nextHops: { gateway?: string; interface?: string; weight?: number }[] };
  xdp?: XdpSlotView;
}

/** The last frame of `show fib`, and part of `show xdp`: the manager's counts. */
export interface FibSummaryView {
  mode: string;
  kernel: boolean;
  xdp: boolean;
  prefixes: number;
  kernelRoutes: number;
  xdpEntries: number;
  nextHops: number;
  errors: number;
  /** Differences the periodic reconciliation found and rewrote. */
  repaired: number;
}

/** What the XDP program does with one next hop: forward (redirect), pass to the kernel and why, or drop. */
export interface XdpVerdictView {
  action: 'forward' | 'pass' | 'drop';
  /** The counter it lands in (bpf/routed_maps.h routed_stat), e.g. PASS_UNRESOLVED. */
  reason: string;
}

/** `show route ADDRESS`: the trie's longest match for the address and the program's verdict. */
export interface XdpRouteView extends XdpVerdictView {
  address: string;
  family: string;
  /** The matching trie prefix (absent: no match, the packet goes to the kernel). */
  prefix?: string;
  nextHop?: XdpSlotView;
  /** ECMP: each member's verdict (the flow hash picks one). */
  members?: (XdpVerdictView & { nextHop: XdpSlotView })[];
}

/** `show xdp`. */
export interface XdpView {
  fib: FibSummaryView;
  interfaces: { interface: string; ifindex: number; mode: string }[];
  entries: { ipv4: number; ipv6: number };
  /** Non-zero counters; packets and bytes as decimal strings (64-bit). */
  counters: { outcome: string; reason: string; packets: string; bytes: string }[];
}

/** One line of `check fib`. */
export interface FibDiffView {
  family: string;
  prefix: string;
  plane: string;
  problem: string;
  want?: string;
  have?: string;
}

/** `show status`: the daemon at a glance. */
export interface StatusView {
  version: string;
  pid: number;
  /** ISO 8601, UTC. */
  startedAt: string;
  uptimeSeconds: number;
  routerId: string;
  localAs: number;
  /** Bytes (process.memoryUsage()). */
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number };
  /** Prefixes in the Loc-RIB per family. */
  rib: { family: string; prefixes: number }[];
  neighbors: { established: number; total: number };
  /** The forwarding plane's counts; absent when nothing is programmed. */
  fib?: FibSummaryView;
}
