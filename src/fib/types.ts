// The FIB operations shared by the forwarding backends (kernel rtnetlink, XDP maps): what a route
// looks like on its way out of the RIB, and what a backend reports back. Kept small on purpose:
// backends differ in how they program a route, not in what a route is.

/** rtm_protocol (and nexthop nh_protocol) marking routed's own kernel routes (iproute2 shows the number). */
export const RTPROT_ROUTED = 186;

export type FibFamily = 'ipv4' | 'ipv6';

/** One next hop. Several on a route make it ECMP. */
export interface FibNextHop {
  /** Gateway address; absent for a route straight onto a link. May be IPv6 on an IPv4 route (RFC 8950). */
  gateway?: string;
  /** Outgoing interface by index, or by name. One of the two is required without a gateway. */
  ifindex?: number;
  interface?: string;
  /** ECMP weight, 1–256 (default 1). */
  weight?: number;
}

export interface FibRoute {
  family: FibFamily;
  /** Canonical prefix text (host bits clear), e.g. 198.18.0.0/24, 2001:db8::/48. */
  prefix: string;
  kind: 'unicast' | 'blackhole' | 'unreachable';
  /** Empty unless kind is unicast. */
  nextHops: FibNextHop[];
  /** Kernel route priority. Default 0 for IPv4 and 1024 for IPv6, as the kernel's. */
  metric?: number;
}

/**
 * replace installs the route or replaces the one with the same (family, prefix, metric);
 * delete removes it (only kind-independent identity counts: family, prefix, metric).
 */
export type FibOp = { op: 'replace'; route: FibRoute } | { op: 'delete'; route: FibRoute };

export interface FibError {
  /** Index of the failing operation in the apply() call's array. */
  index: number;
  op: FibOp;
  /** errno name, e.g. ENETUNREACH, ESRCH. */
  code: string;
  errno: number;
  message: string;
}

export interface FibResult {
  /** Operations that took effect. */
  applied: number;
  /** One entry per failing operation, in operation order. The others took effect. */
  errors: FibError[];
}

export interface FibBackend {
  readonly name: string;
  /** Apply operations in order (a later op on the same prefix wins). Never rejects for a per-route error. */
  apply(ops: readonly FibOp[]): Promise<FibResult>;
  /** routed's own routes as the forwarding plane has them. */
  dump(): Promise<FibRoute[]>;
  /** Remove all of routed's own routes; resolves with how many routes went. */
  flush(): Promise<number>;
  close(): Promise<void>;
}
