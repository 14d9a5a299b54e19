// RFC 8654 §4: "When propagating that UPDATE onward to a neighbor that has not advertised the BGP
// Extended Message capability, the speaker SHOULD try to reduce the outgoing message size by
// removing attributes eligible under the 'attribute discard' approach of [RFC7606]. If the
// message is still too big, then it must not be sent to the neighbor ([RFC4271], Section 9.2).
// Additionally, if the NLRI was previously advertised to that peer, it must be withdrawn from
// service ([RFC4271], Section 9.1.3)."
//
// A route whose attributes cannot fit one message to the peer is therefore filtered on export
// (null: not announced, and withdrawn if it was). None of its attributes is discard-eligible in
// a way that helps: the bulk of such a set is AS_PATH or communities, which RFC 7606 never
// discards. First a cheap upper bound (every attribute with an extended-length header, plus room
// for the export rewrite, one prefix and MP_REACH_NLRI framing); only sets over it are encoded to
// get their exact size, plus room for what the rewrite adds (our AS prepended, LOCAL_PREF) and
// one prefix. Results are cached per interned attribute set.

import { encodeHead, type ExportFilter, type Family, type PathAttrs } from '../rib/index.js';
import { makeContext, MAX_EXTENDED_MESSAGE, MAX_MESSAGE, type CodecContext } from '../bgp/wire/index.js';

/** Header 19, withdrawn and attribute lengths 4, one IPv6 prefix 17 (+4 path id), MP_REACH
 * framing with a 32-byte next hop 41, the rewrite (AS prepended, possibly a new segment, next
 * hop, LOCAL_PREF and MED) 40. */
const MARGIN = 19 + 4 + 21 + 41 + 40;

function pathSize(asPath: PathAttrs['asPath'], asnBytes: number): number {
  let n = 0;
  for (const s of asPath) n += 2 + s.asns.length * asnBytes;
  return n;
}

/** Upper bound of the attributes' wire size (without the NLRI). */
export function attrsWireBound(a: PathAttrs, as4: boolean): number {
  const H = 4;
  let n = H + 1 + H + pathSize(a.asPath, as4 ? 4 : 2) + H + 16;
  // RFC 6793 §4.2.2: a 2-octet session may need AS4_PATH as well.
  if (!as4) n += H + pathSize(a.asPath, 4);
  if (a.med !== undefined) n += H + 4;
  if (a.localPref !== undefined) n += H + 4;
  if (a.atomicAggregate) n += H;
  if (a.aggregator) n += 2 * (H + 8);
  if (a.communities.length) n += H + 4 * a.communities.length;
  if (a.extCommunities.length) n += H + 8 * a.extCommunities.length;
  if (a.largeCommunities.length) n += H + 12 * a.largeCommunities.length;
  if (a.originatorId !== undefined) n += H + 4;
  if (a.clusterList.length) n += H + 4 * a.clusterList.length;
  if (a.otc !== undefined) n += H + 4;
  for (const u of a.unknown) n += H + u.value.length / 2;
  return n;
}

/** What the rewrite may add (AS prepended in a new segment 6, LOCAL_PREF 7), one prefix with a
 * path id (21), and an IPv6 link-local next hop (16). */
const EXACT_MARGIN = 6 + 7 + 21 + 16;

/** Sizing contexts: extended messages, so that any size the wire can carry is measured. */
const SIZING_AS4 = makeContext({ as4: true, extendedMessage: true });
const SIZING_AS2 = makeContext({ as4: false, extendedMessage: true });

/** Exact UPDATE size of the set without NLRI (as the Adj-RIB-Out encodes it), or Infinity. */
function exactSize(a: PathAttrs, as4: boolean, family: Family): number {
  try {
    return encodeHead(a, as4 ? SIZING_AS4 : SIZING_AS2, family)?.length ?? Infinity;
  } catch {
    return Infinity;
  }
}

/**
 * A bound from the store's packed form (src/rib/attrs-pack.ts): every number there takes 4
 * octets (as on the wire, or twice an ASN's 2 on a 2-octet session, whose AS_PATH and AS4_PATH
 * together take 6), every list a length of at least one octet (a segment header, 2 on the wire,
 * is its type octet and its length), and every text at least as many octets as its wire value
 * (addresses, extended communities and unknown attributes are text). So the attributes' wire
 * size is at most twice the packed size plus their headers and the next hops (MP_REACH_NLRI
 * framing and two 16-octet next hops): checked against the encoder in test/daemon-message-size.
 */
export function packedWireBound(packedSize: number): number {
  return 2 * packedSize + PACKED_SLACK;
}
/** Attribute headers (4 octets each for the 16 kinds toWire may emit) and MP_REACH_NLRI's next hops and framing. */
const PACKED_SLACK = 16 * 4 + 5 + 32;

/** Where the packed size of an interned set comes from (the RIB's AttrStore): -1 for another set. */
export interface PackedSizes {
  packedSizeOf(attrs: PathAttrs): number;
}

const NO_PACKED_SIZES: PackedSizes = { packedSizeOf: () => -1 };

/**
 * `inner`, then refuse attribute sets that cannot fit one UPDATE of the session's maximum size.
 * `sizes`: the packed size of an interned set, for a cheaper first bound. An object, not a
 * closure: every session's filter then calls the same method, and code compiled for one (the
 * start-up warm-up's) holds for the next.
 */
export function messageSizeFilter(
  inner: ExportFilter,
  sendCtx: CodecContext,
  onTooLarge: (prefix: string, bytes: number, max: number) => void,
  sizes: PackedSizes = NO_PACKED_SIZES,
): ExportFilter {
  const max = sendCtx.extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE;
  const fits = new WeakMap<PathAttrs, boolean>();
  const filter: ExportFilter = (route, peer) => {
    const attrs = inner(route, peer);
    if (!attrs) return attrs;
    // The bound is a few additions: computed every time, so only the rare sets over it take a
    // WeakMap entry (a quarter million entries cost the collector more than the sums).
    const packed = sizes.packedSizeOf(attrs);
    if (packed >= 0 && packedWireBound(packed) + MARGIN <= max) return attrs;
    if (attrsWireBound(attrs, sendCtx.as4) + MARGIN <= max) return attrs;
    let ok = fits.get(attrs);
    if (ok === undefined) {
      const bytes = exactSize(attrs, sendCtx.as4, route.family) + EXACT_MARGIN;
      ok = bytes <= max;
      fits.set(attrs, ok);
      if (!ok) onTooLarge(route.prefix, bytes, max);
    }
    return ok ? attrs : null;
  };
  // The size check depends on the attributes only: as prefix-independent as `inner`.
  return Object.defineProperty(filter, 'perAttributes', { get: () => inner.perAttributes === true });
}
