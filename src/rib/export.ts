// Export: whether a best route may go to a peer (split horizon, iBGP and route-reflection rules,
// well-known communities), the export filter, then the attribute changes BGP makes on the way
// out (AS prepend and next hop self towards eBGP, LOCAL_PREF, MED, reflection attributes).

import type { AsPathSegment } from '../bgp/wire/index.js';
import { EMPTY } from './attrs.js';
import type { ExportFilter, PathAttrs, PeerInfo, Route } from './types.js';
import { numberList } from '../bgp/wire/index.js';

/** RFC 1997 well-known communities. */
const NO_EXPORT = 0xffffff01;
const NO_ADVERTISE = 0xffffff02;
const NO_EXPORT_SUBCONFED = 0xffffff03;
const DEFAULT_LOCAL_PREF = 100;

export interface ExportContext {
  local: { asn: number; routerId: string; clusterId: string };
  /** The peer routes are exported to. */
  target: PeerInfo;
  /** This session's own addresses, for next hop self. */
  localAddress: { ipv4?: string; ipv6?: string; ipv6LinkLocal?: string };
  /** Next hop self towards an iBGP peer (always so towards eBGP). */
  nextHopSelf: boolean;
  /** Absent: BGP-learned routes pass, the RIB's own routes (static, connected, kernel) do not. */
  filter?: ExportFilter;
}

/** The routing rules before any policy: may `route` be advertised to `target` at all? */
export function mayAdvertise(route: Pick<Route, 'source'>, target: PeerInfo): boolean {
  const s = route.source;
  if (s.kind !== 'bgp') return true;
  // Split horizon: never back to the peer it came from.
  if (s.peer.address === target.address) return false;
  if (!s.peer.ibgp || !target.ibgp) return true;
  // RFC 4271 §9.2: iBGP-learned routes are not advertised to iBGP peers, except by a route
  // reflector (RFC 4456 §8): from a client to all peers, from a non-client to clients only.
  return s.peer.routeReflectorClient || target.routeReflectorClient;
}

/** RFC 1997: NO_ADVERTISE stops a route at every peer, NO_EXPORT(_SUBCONFED) at eBGP peers. */
function communitiesAllow(attrs: PathAttrs, target: PeerInfo): boolean {
  const c = attrs.communities;
  // One pass instead of three includes(): the list holds doubles (values past 2^31) and was made
  // by length (a holey kind), for which includes() is a builtin call each time.
  let noExport = false;
  for (let i = 0; i < c.length; i++) {
    const v = c[i]!;
    if (v === NO_ADVERTISE) return false;
    if (v === NO_EXPORT || v === NO_EXPORT_SUBCONFED) noExport = true;
  }
  return target.ibgp || !noExport;
}

const isConfed = (s: AsPathSegment): boolean => s.type === 'AS_CONFED_SEQUENCE' || s.type === 'AS_CONFED_SET';

/** Prepend our AS to the path, joining the leading AS_SEQUENCE while it has room (255 ASNs). */
export function prependAs(path: readonly AsPathSegment[], asn: number): AsPathSegment[] {
  // RFC 5065 §5.3: confederation segments are removed before the path leaves the confederation.
  const rest = path.some(isConfed) ? path.filter((s) => !isConfed(s)) : path;
  const first = rest[0];
  if (first && first.type === 'AS_SEQUENCE' && first.asns.length < 255) {
    const asns = numberList();
    asns.push(asn);
    for (let i = 0; i < first.asns.length; i++) asns.push(first.asns[i]!);
    // The segment list packed, as the decoder's (attrs-pack.ts, path()).
    const out: AsPathSegment[] = [{ type: 'AS_SEQUENCE', asns }];
    for (let i = 1; i < rest.length; i++) out.push(rest[i]!);
    return out;
  }
  const asns = numberList();
  asns.push(asn);
  return [{ type: 'AS_SEQUENCE', asns }, ...rest];
}

/** This session's address for a route of the given family; IPv6 routes over IPv4 use the mapped form. */
function selfAddress(cx: ExportContext, ipv6: boolean): string | undefined {
  if (!ipv6) return cx.localAddress.ipv4;
  return cx.localAddress.ipv6 ?? (cx.localAddress.ipv4 ? `::ffff:${cx.localAddress.ipv4}` : undefined);
}

/**
 * The attributes to send `route` to `cx.target` with (not interned), or null when it is not
 * sent. A next hop the export filter changed is kept; the value "self" means this session's address.
 */
export function exportAttrs(route: Route, cx: ExportContext): PathAttrs | null {
  const filtered = exportFilter(route, cx);
  return filtered && rewriteForPeer(route, filtered, cx);
}

/** The routing rules and the export filter: the attributes the policy gives, or null. */
export function exportFilter(route: Route, cx: ExportContext): PathAttrs | null {
  const target = cx.target;
  if (!mayAdvertise(route, target)) return null;
  const filtered = cx.filter ? cx.filter(route, target) : route.source.kind === 'bgp' ? route.attrs : null;
  return filtered && communitiesAllow(filtered, target) ? filtered : null;
}

/**
 * BGP's own changes on the way out. Depends only on the route's source, family and attributes
 * and the filtered attributes, so the Adj-RIB-Out may reuse a result for routes sharing them.
 */
export function rewriteForPeer(route: Pick<Route, 'source' | 'family' | 'attrs'>, filtered: PathAttrs, cx: ExportContext): PathAttrs | null {
  const target = cx.target;
  const fromBgp = route.source.kind === 'bgp';
  const ipv6 = route.family === 'ipv6';
  const policyNextHop = filtered.nextHop !== route.attrs.nextHop && filtered.nextHop !== 'self' ? filtered.nextHop : undefined;
  const self = selfAddress(cx, ipv6);
  let asPath: readonly AsPathSegment[] = filtered.asPath;
  let clusterList = filtered.clusterList;
  let originatorId = filtered.originatorId;
  let med = filtered.med;
  let localPref: number | undefined;
  let linkLocal: string | undefined;
  let nextHop: string | undefined;
  if (!target.ibgp) {
    asPath = prependAs(filtered.asPath, cx.local.asn);
    // RFC 4271 §5.1.5: LOCAL_PREF is never sent to an external peer.
    localPref = undefined;
    // RFC 4271 §5.1.4: a MED learned from a neighbouring AS is not passed to another one; as BIRD,
    // only a MED the export policy set goes out.
    if (fromBgp && filtered.med === route.attrs.med) med = undefined;
    // RFC 4456 §8: ORIGINATOR_ID and CLUSTER_LIST stay inside the AS.
    originatorId = undefined;
    clusterList = EMPTY;
    nextHop = policyNextHop ?? self;
    if (ipv6 && nextHop === self && cx.localAddress.ipv6LinkLocal) linkLocal = cx.localAddress.ipv6LinkLocal;
  } else {
    // RFC 4271 §5.1.5: LOCAL_PREF is always sent to internal peers.
    localPref = filtered.localPref ?? DEFAULT_LOCAL_PREF;
    const reflected = route.source.kind === 'bgp' && route.source.peer.ibgp;
    if (reflected && route.source.kind === 'bgp') {
      // RFC 4456 §8: the reflector sets ORIGINATOR_ID when absent and prepends its CLUSTER_ID.
      originatorId = filtered.originatorId ?? route.source.peer.routerId;
      clusterList = [cx.local.clusterId, ...filtered.clusterList];
    }
    // A reflector leaves the next hop alone (RFC 4456 §10); next-hop-self applies to routes this
    // router brings into the AS, and the RIB's own routes always carry our address.
    const useSelf = filtered.nextHop === 'self' || !fromBgp || (cx.nextHopSelf && !reflected);
    nextHop = policyNextHop ?? (useSelf ? self : filtered.nextHop);
  }
  if (!nextHop) return null;
  // Every member in baseAttrs' order (PathAttrs), never by spreading and deleting (a deleted
  // member leaves an object in slow dictionary mode, and the encoder reads every set it sends).
  const out: PathAttrs = {
    origin: filtered.origin,
    asPath,
    nextHop,
    atomicAggregate: filtered.atomicAggregate,
    communities: filtered.communities,
    extCommunities: filtered.extCommunities,
    largeCommunities: filtered.largeCommunities,
    clusterList,
    unknown: filtered.unknown,
    nextHopLinkLocal: linkLocal,
    med,
    localPref,
    aggregator: filtered.aggregator,
    originatorId,
    otc: filtered.otc,
  };
  return out;
}

/**
 * What rewriteForPeer does to a set the export filter left as it was (a Lazy export,
 * adjout-values.ts), for one route source and family: the same for every such set, so it is made
 * once and applied while the UPDATE head is written from the set (attrs-head-rewrite.ts). The
 * rules are rewriteForPeer's with the filter's own changes (policy next hop, MED) absent.
 */
export interface PeerRewrite {
  /**
   * Towards eBGP: `asn` prepended (confederation segments removed), LOCAL_PREF, ORIGINATOR_ID and
   * CLUSTER_LIST not sent. Towards iBGP: LOCAL_PREF always (100 when the set has none).
   */
  readonly ebgp: boolean;
  readonly asn: number;
  /** The set's MED is not sent (eBGP, a route learned from BGP). */
  readonly dropMed: boolean;
  /** This session's address for the family (undefined: it has none). */
  readonly self: string | undefined;
  /** The next hop is `self` whatever the set's (else the set's own, unless that is "self"). */
  readonly useSelf: boolean;
  /** Sent beside `self` (eBGP, IPv6); the set's own link-local address is never sent. */
  readonly linkLocal: string | undefined;
  /** Reflected (RFC 4456 §8): the ORIGINATOR_ID when the set has none, and the CLUSTER_ID prepended. */
  readonly originatorId: string | undefined;
  readonly clusterId: string | undefined;
}

/** The rewrite of Lazy exports of routes from `source` in `family` (see PeerRewrite). */
export function peerRewrite(source: Route['source'], family: Route['family'], cx: ExportContext): PeerRewrite {
  const ipv6 = family === 'ipv6';
  const self = selfAddress(cx, ipv6);
  const fromBgp = source.kind === 'bgp';
  const reflected = source.kind === 'bgp' && source.peer.ibgp;
  const ebgp = !cx.target.ibgp;
  return {
    ebgp,
    asn: cx.local.asn,
    dropMed: ebgp && fromBgp,
    self,
    useSelf: ebgp || !fromBgp || (cx.nextHopSelf && !reflected),
    linkLocal: ebgp && ipv6 ? cx.localAddress.ipv6LinkLocal || undefined : undefined,
    originatorId: !ebgp && reflected ? source.peer.routerId : undefined,
    clusterId: !ebgp && reflected ? cx.local.clusterId : undefined,
  };
}

/** The next hop a Lazy export goes out with, given its set's; falsy: none, the route is not sent. */
export function rewrittenNextHop(rw: PeerRewrite, setNextHop: string): string | undefined {
  return rw.useSelf || setNextHop === 'self' ? rw.self : setNextHop;
}
