// Attribute sets to and from the codec's wire attributes: what one decoded UPDATE announces and
// withdraws per family, and an interned set as wire attributes for one peer.

import {
  AS_TRANS,
  FLAG_EXTENDED_LENGTH,
  FLAG_OPTIONAL,
  FLAG_PARTIAL,
  FLAG_TRANSITIVE,
  mergeAsPath,
  nlriCount,
} from '../bgp/wire/index.js';
import type { AsPathSegment, Nlri, PathAttribute, UpdateMessage } from '../bgp/wire/index.js';
import { baseAttrs, EMPTY } from './attrs.js';
import type { Family, PathAttrs } from './types.js';

// ---- From the wire ----

const FAMILY_OF_AFI: Record<number, Family | undefined> = { 1: 'ipv4', 2: 'ipv6' };
const SAFI_UNICAST = 1;

/** Flags of an attribute that is optional and transitive: the only unknowns passed on. */
const OPT_TRANS = FLAG_OPTIONAL | FLAG_TRANSITIVE;

/**
 * The attributes of a decoded UPDATE, without next hop. `as4` is the session's 4-octet AS
 * capability: on a 2-octet session AS4_PATH and AS4_AGGREGATOR are merged (RFC 6793 §4.2.3).
 * The set has every member (PathAttrs), whatever attributes the peer sends and in whatever order.
 */
export function attrsFromWire(list: readonly PathAttribute[], as4: boolean): PathAttrs {
  return fromWire(list, as4, undefined);
}

/**
 * attrsFromWire, or with `mpHops` the attributes of MP_REACH_NLRI's routes: its next hops in
 * place of NEXT_HOP's, so that the set is built once instead of built and copied.
 */
function fromWire(list: readonly PathAttribute[], as4: boolean, mpHops: readonly string[] | undefined): PathAttrs {
  const a = baseAttrs();
  if (mpHops !== undefined) setMpNextHops(a, mpHops);
  let asPath: AsPathSegment[] | undefined;
  let as4Path: AsPathSegment[] | undefined;
  let as4Aggregator: PathAttrs['aggregator'];
  let unknown: { code: number; flags: number; value: string }[] | undefined;
  // Decided after the loop, by the AS4 merge.
  let aggregator: PathAttrs['aggregator'];
  for (const attr of list) {
    switch (attr.name) {
      case 'ORIGIN': a.origin = attr.value; break;
      case 'AS_PATH': asPath = attr.value; break;
      case 'NEXT_HOP': if (mpHops === undefined) a.nextHop = attr.value; break;
      case 'MULTI_EXIT_DISC': a.med = attr.value; break;
      case 'LOCAL_PREF': a.localPref = attr.value; break;
      case 'ATOMIC_AGGREGATE': a.atomicAggregate = true; break;
      case 'AGGREGATOR': aggregator = attr.value; break;
      case 'COMMUNITIES': a.communities = attr.value; break;
      case 'ORIGINATOR_ID': a.originatorId = attr.value; break;
      case 'CLUSTER_LIST': a.clusterList = attr.value; break;
      case 'EXTENDED_COMMUNITIES': a.extCommunities = attr.value; break;
      case 'AS4_PATH': as4Path = attr.value; break;
      case 'AS4_AGGREGATOR': as4Aggregator = attr.value; break;
      case 'LARGE_COMMUNITY': a.largeCommunities = attr.value; break;
      case 'ONLY_TO_CUSTOMER': a.otc = attr.value; break;
      case 'MP_REACH_NLRI': case 'MP_UNREACH_NLRI': break;
      default:
        // RFC 4271 §5: an unrecognised optional transitive attribute is passed on; an
        // unrecognised optional non-transitive one is quietly ignored.
        if ((attr.flags & OPT_TRANS) === OPT_TRANS) (unknown ??= []).push({ code: attr.code, flags: attr.flags, value: attr.value as string });
    }
  }
  if (unknown) a.unknown = unknown;
  if (as4) {
    // RFC 6793 §4.1: between two NEW speakers AS4_PATH and AS4_AGGREGATOR are discarded.
    a.asPath = asPath ?? EMPTY;
  } else if (aggregator && aggregator.asn !== AS_TRANS) {
    // RFC 6793 §4.2.3: if AGGREGATOR carries a real 2-octet AS, AS4_AGGREGATOR and AS4_PATH are
    // ignored; if it carries AS_TRANS, AS4_AGGREGATOR replaces it and AS4_PATH is merged.
    a.asPath = asPath ?? EMPTY;
  } else {
    if (aggregator && as4Aggregator) aggregator = as4Aggregator;
    a.asPath = as4Path ? mergeAsPath(asPath, as4Path) : (asPath ?? EMPTY);
  }
  a.aggregator = aggregator;
  return a;
}

/**
 * The next hop of MP_REACH_NLRI's next hops (RFC 2545 §3: global first, link-local second). Some
 * speakers send "::" as the global next hop with a link-local beside it: that one is then the
 * next hop, and there is no link-local beside it.
 */
function mpNextHop(hops: readonly string[]): string {
  return hops[0] === '::' && hops[1] ? hops[1] : (hops[0] ?? '');
}

/** The link-local next hop beside mpNextHop's, if any. */
function mpLinkLocal(hops: readonly string[]): string | undefined {
  return hops[0] === '::' && hops[1] ? undefined : hops[1] || undefined;
}

/** `base` with the next hops of MP_REACH_NLRI. */
function withMpNextHops(base: PathAttrs, hops: readonly string[]): PathAttrs {
  return withNextHop(base, mpNextHop(hops), mpLinkLocal(hops));
}

/** withMpNextHops on a set being built. */
function setMpNextHops(a: PathAttrs, hops: readonly string[]): void {
  a.nextHop = mpNextHop(hops);
  a.nextHopLinkLocal = mpLinkLocal(hops);
}

/**
 * `base` (without a link-local next hop) with these next hops, every member in baseAttrs' order:
 * the store adopts it as it is (AttrStore.internId).
 */
function withNextHop(base: PathAttrs, nextHop: string, linkLocal: string | undefined): PathAttrs {
  const a: PathAttrs = {
    origin: base.origin,
    asPath: base.asPath,
    nextHop,
    atomicAggregate: base.atomicAggregate,
    communities: base.communities,
    extCommunities: base.extCommunities,
    largeCommunities: base.largeCommunities,
    clusterList: base.clusterList,
    unknown: base.unknown,
    nextHopLinkLocal: linkLocal,
    med: base.med,
    localPref: base.localPref,
    aggregator: base.aggregator,
    originatorId: base.originatorId,
    otc: base.otc,
  };
  return a;
}

/** The fields an UPDATE's prefix lists are in: the message's own, MP_REACH's, MP_UNREACH's. */
export type NlriField = 'nlri' | 'withdrawn';
export type NlriHolder = { readonly [K in NlriField]?: readonly Nlri[] };

/**
 * Where one UPDATE's routes go (the RIB). Each list comes as the object holding it and its field,
 * so that the receiver can read the codec's prefix keys (wireKeys) instead of building the list.
 */
export interface RouteSink {
  withdraw(family: Family, holder: NlriHolder, field: NlriField): void;
  /** The prefixes of holder.nlri, with the UPDATE's attributes (not yet interned). */
  announce(family: Family, holder: NlriHolder, attrs: PathAttrs): void;
}

const unicastFamily = (afi: number, safi: number): Family | undefined => (safi === SAFI_UNICAST ? FAMILY_OF_AFI[afi] : undefined);

/**
 * Hand a decoded UPDATE's non-empty unicast lists to `sink`: withdrawals first (the IPv4 field,
 * then MP_UNREACH_NLRI), then announcements (MP_REACH_NLRI, then the IPv4 NLRI field).
 */
export function routesOf(msg: UpdateMessage, as4: boolean, sink: RouteSink): void {
  if (nlriCount(msg, 'withdrawn')) sink.withdraw('ipv4', msg, 'withdrawn');
  let reaches = false;
  for (const attr of msg.attributes) {
    if (attr.name === 'MP_REACH_NLRI') reaches = true;
    if (attr.name !== 'MP_UNREACH_NLRI') continue;
    const family = unicastFamily(attr.value.afi, attr.value.safi);
    if (family && nlriCount(attr.value, 'withdrawn')) sink.withdraw(family, attr.value, 'withdrawn');
  }
  const v4Routes = nlriCount(msg, 'nlri') !== 0;
  let base: PathAttrs | undefined;
  for (let i = 0; reaches && i < msg.attributes.length; i++) {
    const attr = msg.attributes[i]!;
    if (attr.name !== 'MP_REACH_NLRI') continue;
    const family = unicastFamily(attr.value.afi, attr.value.safi);
    if (!family || !nlriCount(attr.value, 'nlri')) continue;
    // With IPv4 routes beside them, the set without MP next hops is needed too: made once, copied.
    const hops = attr.value.nextHops;
    sink.announce(family, attr.value, v4Routes ? withMpNextHops((base ??= attrsFromWire(msg.attributes, as4)), hops) : fromWire(msg.attributes, as4, hops));
  }
  if (v4Routes) sink.announce('ipv4', msg, base ?? attrsFromWire(msg.attributes, as4));
}

// ---- To the wire ----

export interface ToWireOptions {
  /** The session's 4-octet AS capability. */
  as4: boolean;
  family: Family;
  /** Prefixes to carry in MP_REACH_NLRI (IPv6); IPv4 prefixes go in the UPDATE's NLRI field. */
  nlri?: Nlri[];
}

const WELL_KNOWN = FLAG_TRANSITIVE;
const OPT_NON_TRANS = FLAG_OPTIONAL;
/** MP_REACH always with a 2-octet length, so its size grows by exactly the NLRI bytes added. */
const MP_FLAGS = FLAG_OPTIONAL | FLAG_EXTENDED_LENGTH;

const hasAs4Asn = (path: readonly AsPathSegment[]): boolean => path.some((s) => s.asns.some((n) => n > 0xffff));

/**
 * The codec's attribute types are mutable, but the encoder only reads them: the interned (read-only)
 * lists go in as they are instead of copies made per UPDATE sent.
 */
function asMutable<T>(list: readonly T[]): T[] {
  return list as T[];
}

/**
 * Wire attributes for `attrs` in canonical order (ascending type code, as BIRD and FRR send).
 * Next hops are taken from `attrs` as they are: export (src/rib/export.ts) has set them.
 */
export function toWire(attrs: PathAttrs, o: ToWireOptions): PathAttribute[] {
  const out: PathAttribute[] = [
    { code: 1, name: 'ORIGIN', flags: WELL_KNOWN, value: attrs.origin },
    { code: 2, name: 'AS_PATH', flags: WELL_KNOWN, value: asMutable(attrs.asPath) },
  ];
  if (o.family === 'ipv4') out.push({ code: 3, name: 'NEXT_HOP', flags: WELL_KNOWN, value: attrs.nextHop });
  if (attrs.med !== undefined) out.push({ code: 4, name: 'MULTI_EXIT_DISC', flags: OPT_NON_TRANS, value: attrs.med });
  if (attrs.localPref !== undefined) out.push({ code: 5, name: 'LOCAL_PREF', flags: WELL_KNOWN, value: attrs.localPref });
  if (attrs.atomicAggregate) out.push({ code: 6, name: 'ATOMIC_AGGREGATE', flags: WELL_KNOWN, value: true });
  if (attrs.aggregator) out.push({ code: 7, name: 'AGGREGATOR', flags: OPT_TRANS, value: { ...attrs.aggregator } });
  if (attrs.communities.length) out.push({ code: 8, name: 'COMMUNITIES', flags: OPT_TRANS, value: asMutable(attrs.communities) });
  if (attrs.originatorId !== undefined) out.push({ code: 9, name: 'ORIGINATOR_ID', flags: OPT_NON_TRANS, value: attrs.originatorId });
  if (attrs.clusterList.length) out.push({ code: 10, name: 'CLUSTER_LIST', flags: OPT_NON_TRANS, value: asMutable(attrs.clusterList) });
  if (o.family === 'ipv6') {
    const nextHops = attrs.nextHopLinkLocal ? [attrs.nextHop, attrs.nextHopLinkLocal] : [attrs.nextHop];
    out.push({ code: 14, name: 'MP_REACH_NLRI', flags: MP_FLAGS, value: { afi: 2, safi: 1, nextHops, nlri: o.nlri ?? [] } });
  }
  if (attrs.extCommunities.length) {
    out.push({ code: 16, name: 'EXTENDED_COMMUNITIES', flags: OPT_TRANS, value: asMutable(attrs.extCommunities) });
  }
  // RFC 6793 §4.2.2: towards a 2-octet speaker, a path with 4-octet ASNs goes out with AS_TRANS
  // in AS_PATH (the encoder substitutes it) and the real path in AS4_PATH, which carries no
  // confederation segments (§3); likewise AGGREGATOR and AS4_AGGREGATOR.
  if (!o.as4 && hasAs4Asn(attrs.asPath)) {
    const as4Path = attrs.asPath.filter((s) => s.type === 'AS_SEQUENCE' || s.type === 'AS_SET');
    out.push({ code: 17, name: 'AS4_PATH', flags: OPT_TRANS, value: as4Path });
  }
  if (!o.as4 && attrs.aggregator && attrs.aggregator.asn > 0xffff) {
    out.push({ code: 18, name: 'AS4_AGGREGATOR', flags: OPT_TRANS, value: { ...attrs.aggregator } });
  }
  if (attrs.largeCommunities.length) {
    out.push({ code: 32, name: 'LARGE_COMMUNITY', flags: OPT_TRANS, value: asMutable(attrs.largeCommunities) as [number, number, number][] });
  }
  if (attrs.otc !== undefined) out.push({ code: 35, name: 'ONLY_TO_CUSTOMER', flags: OPT_TRANS, value: attrs.otc });
  // RFC 4271 §5: an unrecognised optional transitive attribute passed on has the Partial bit set.
  for (const u of attrs.unknown) {
    out.push({ code: u.code, name: 'UNKNOWN', flags: (u.flags & ~FLAG_EXTENDED_LENGTH) | FLAG_PARTIAL, value: u.value });
  }
  return out;
}
