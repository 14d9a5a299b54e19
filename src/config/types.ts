// The resolved configuration: what the rest of routed reads. The YAML file is parsed and
// validated (src/config/schema.ts), neighbour groups are merged into their neighbours and
// defaults filled in (src/config/resolve.ts); nothing downstream sees raw YAML.

export type Family = 'ipv4' | 'ipv6';

export interface Config {
  routerId: string;
  localAs: number;
  /** Addresses to listen on (empty: do not listen) and the port, default 179. */
  listen: { addresses: string[]; port: number };
  neighbors: NeighborConfig[];
  policies: Record<string, PolicyConfig>;
  prefixLists: Record<string, PrefixListEntry[]>;
  staticRoutes: StaticRouteConfig[];
  /** Admin preference per route source: lower wins across sources (FRR's administrative distance). */
  preference: { connected: number; static: number; ebgp: number; ibgp: number; kernel: number };
  /** Best-path options. */
  bestPath: { alwaysCompareMed: boolean; deterministicMed: boolean; maxPaths: number; maxPathsIbgp: number };
  /** Route reflection: cluster id (default: router id). */
  clusterId: string;
  controlSocket: string;
  /** At start, run a synthetic table through the route path before any session (src/daemon/warmup.ts). */
  warmUp: boolean;
  log: { level: 'error' | 'warn' | 'info' | 'debug' };
  /** The Prometheus endpoint: HOST:PORT or [IPV6]:PORT (absent: no endpoint). */
  metrics: { listen?: string };
  /** Forwarding: where best routes are programmed. */
  fib: FibConfig;
}

export type FibMode = 'xdp+kernel' | 'kernel' | 'xdp' | 'off';

export interface FibConfig {
  /** xdp+kernel: kernel routes plus the XDP forwarder on xdpInterfaces; off: program nothing. */
  mode: FibMode;
  /** Interfaces the XDP forwarder is attached to (none: kernel routes only). */
  xdpInterfaces: string[];
  /** On stop, leave routes, pinned maps and the attached program in place. */
  keepForwardingOnStop: boolean;
  /** bpffs directory the XDP maps are pinned in (a direct child of /sys/fs/bpf). */
  pinDir: string;
  /** Seconds between periodic FIB reconciliations (repairing drift); 0: none. */
  reconcileInterval: number;
}

export interface NeighborConfig {
  /** Peer address; also the neighbour's name in routectl. */
  address: string;
  remoteAs: number;
  description: string;
  /** Local address to bind/source from (optional). */
  localAddress?: string;
  passive: boolean;
  /** Seconds. holdTime 0 = no keepalives (RFC 4271 §4.2). */
  holdTime: number;
  keepalive: number;
  connectRetry: number;
  /** Seconds to wait for the peer's OPEN (RFC 4271 §8.2.2's "large value"); default 240. */
  startupHoldTime?: number;
  families: Family[];
  addPath: { receive: Family[]; send: Family[] };
  gracefulRestart: { enabled: boolean; restartTime: number };
  routeReflectorClient: boolean;
  nextHopSelf: boolean;
  /** Names of policies (in order); absent = none configured (RFC 8212 applies to eBGP). */
  importPolicy?: string[];
  exportPolicy?: string[];
  maxPrefix?: { limit: number; action: 'warn' | 'reset' | 'drop'; restartAfter?: number };
  /** Longest prefix accepted per family; longer ones are filtered on import. */
  maxPrefixLength?: { ipv4?: number; ipv6?: number };
  /** TCP-MD5 (RFC 2385) key. Never logged or shown. */
  password?: string;
  /** GTSM (RFC 5082): expected hops; the TTL sent is 255 and the minimum accepted 256 - hops. */
  ttlSecurity?: { hops: number };
  shutdown: boolean;
  /** The group it inherited settings from, for display. */
  group?: string;
}

export interface PrefixListEntry {
  prefix: string;
  /** Match lengths ge..le; both absent = exact match. */
  ge?: number;
  le?: number;
}

export interface PolicyConfig {
  terms: PolicyTerm[];
  /**
   * What happens when no term decides. Absent: the route falls through to the next policy of the
   * neighbour's list, and is rejected after the last.
   */
  defaultAction?: 'accept' | 'reject';
}

export interface PolicyTerm {
  name: string;
  match: PolicyMatch;
  /** Modifications applied in order when the term matches. */
  set: PolicySet;
  /** accept/reject ends evaluation; next continues to the following term with changes kept. */
  action: 'accept' | 'reject' | 'next';
}

export interface PolicyMatch {
  prefixList?: string;
  /** Inline prefixes, same syntax as prefix lists. */
  prefix?: PrefixListEntry[];
  asPathRegex?: string;
  originAs?: number[];
  containsAs?: number[];
  asPathLength?: { min?: number; max?: number };
  /** "65000:100" or well-known names; any match. */
  community?: string[];
  /** "rt:65000:100", "soo:…" or raw 16 hex digits; any match. */
  extCommunity?: string[];
  /** "65000:1:2"; any match. */
  largeCommunity?: string[];
  nextHop?: string[];
  neighbor?: string[];
  family?: Family;
}

export interface PolicySet {
  localPref?: number;
  med?: number;
  prepend?: { asn?: number; count: number };
  communityAdd?: string[];
  communityRemove?: string[];
  communityReplace?: string[];
  largeCommunityAdd?: string[];
  largeCommunityRemove?: string[];
  extCommunityAdd?: string[];
  extCommunityRemove?: string[];
  /** An address, or "self". */
  nextHop?: string;
}

export type StaticRouteConfig =
  | { prefix: string; type: 'via'; via: string[] }
  | { prefix: string; type: 'interface'; interface: string }
  | { prefix: string; type: 'blackhole' }
  | { prefix: string; type: 'unreachable' };
