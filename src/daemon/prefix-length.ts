// The per-neighbour prefix-length limit (config `max-prefix-length`), applied in front of the
// import policy: a route for a longer prefix is filtered like a policy reject, so it stays in
// the Adj-RIB-In as not accepted and a path the neighbour had for it before is withdrawn, as
// FRR's and BIRD's prefix-length filters behave. The first filtered route of each family is
// logged, once per filter built (session up, policy re-run), so a peer sending a table of /32s
// cannot flood the log.

import type { Family, ImportFilter } from '../rib/index.js';

export type PrefixLengthLimits = Partial<Record<Family, number>>;

/** Prefix length of canonical prefix text ("198.18.0.0/24", "2001:db8::/48"). */
function lengthOf(prefix: string): number {
  return Number(prefix.slice(prefix.lastIndexOf('/') + 1));
}

/** `inner` behind the limits; `onFirst` is called once per family, for the first route filtered. */
export function prefixLengthFilter(
  limits: PrefixLengthLimits | undefined,
  inner: ImportFilter,
  onFirst: (family: Family, prefix: string, limit: number) => void,
): ImportFilter {
  if (!limits || (limits.ipv4 === undefined && limits.ipv6 === undefined)) return inner;
  const logged = new Set<Family>();
  return (route, peer) => {
    const limit = limits[route.family];
    if (limit !== undefined && lengthOf(route.prefix) > limit) {
      if (!logged.has(route.family)) {
        logged.add(route.family);
        onFirst(route.family, route.prefix, limit);
      }
      return null;
    }
    return inner(route, peer);
  };
}
