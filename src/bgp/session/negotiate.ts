// OPEN building and capability negotiation (RFC 4271 §4.2 and §6.2, RFC 5492 and the capability
// RFCs quoted below). Pure: two OPEN messages and a configuration in, agreed facts or the
// NOTIFICATION to send out.

import {
  AFI_IPV4,
  AFI_IPV6,
  AS_TRANS,
  ERR,
  OPEN_SUB,
  SAFI_UNICAST,
  makeContext,
  type Capability,
  type NotifyError,
  type OpenMessage,
} from '../wire/index.js';
import type { Family } from '../../config/types.js';
import type { Negotiated, PeerConfig, PeerGracefulRestart } from './types.js';

const FAMILY_CODES: Record<Family, { afi: number; safi: number }> = {
  ipv4: { afi: AFI_IPV4, safi: SAFI_UNICAST },
  ipv6: { afi: AFI_IPV6, safi: SAFI_UNICAST },
};

export function familyOf(afi: number, safi: number): Family | undefined {
  if (safi !== SAFI_UNICAST) return undefined;
  return afi === AFI_IPV4 ? 'ipv4' : afi === AFI_IPV6 ? 'ipv6' : undefined;
}

/** The codec's "afi/safi" key for a family (CodecContext.addPath). */
export function familyKey(family: Family): string {
  const c = FAMILY_CODES[family];
  return `${c.afi}/${c.safi}`;
}

/** RFC 7911 §4 Send/Receive field: 1 receive, 2 send, 3 both. */
const ADD_PATH_RECEIVE = 1;
const ADD_PATH_SEND = 2;

/** FQDN host names are cut to this many bytes so the OPEN's parameters stay within 255 octets. */
const MAX_HOSTNAME_BYTES = 63;

export interface BuildOpenOptions {
  /** FQDN capability (draft-walton-bgp-hostname-capability): our host name and domain. */
  hostname?: string;
  domain?: string;
  /** RFC 8950: offer IPv4 unicast routes with IPv6 next hops. */
  extendedNextHop?: boolean;
  /** RFC 4724 §3 R bit: set when routed itself has just restarted. */
  gracefulRestarting?: boolean;
  /** RFC 4724 §3 F bit per family: forwarding state survived our restart. */
  forwardingPreserved?: boolean;
}

function truncateUtf8(text: string, maxBytes: number): string {
  let out = text;
  while (new TextEncoder().encode(out).length > maxBytes) out = out.slice(0, -1);
  return out;
}

/** Our OPEN for one neighbour. */
export function buildOpen(cfg: PeerConfig, opts: BuildOpenOptions = {}): OpenMessage {
  const families = cfg.families.map((f) => FAMILY_CODES[f]);
  const caps: Capability[] = families.map((v) => ({ code: 1, name: 'MULTIPROTOCOL', value: v }));
  caps.push({ code: 2, name: 'ROUTE_REFRESH', value: null });
  caps.push({ code: 70, name: 'ENHANCED_ROUTE_REFRESH', value: null });
  caps.push({ code: 65, name: 'FOUR_OCTET_AS', value: cfg.localAs });
  const addPath = cfg.families
    .map((f) => ({
      ...FAMILY_CODES[f],
      sendReceive: (cfg.addPath.receive.includes(f) ? ADD_PATH_RECEIVE : 0) | (cfg.addPath.send.includes(f) ? ADD_PATH_SEND : 0),
    }))
    .filter((t) => t.sendReceive !== 0);
  if (addPath.length > 0) caps.push({ code: 69, name: 'ADD_PATH', value: addPath });
  caps.push({ code: 6, name: 'EXTENDED_MESSAGE', value: null });
  if (cfg.gracefulRestart.enabled) {
    caps.push({
      code: 64,
      name: 'GRACEFUL_RESTART',
      value: {
        restarting: opts.gracefulRestarting ?? false,
        notification: false,
        restartTime: Math.min(cfg.gracefulRestart.restartTime, 0x0fff),
        families: families.map((f) => ({ ...f, forwardingPreserved: opts.forwardingPreserved ?? false })),
      },
    });
  }
  if (opts.extendedNextHop && cfg.families.includes('ipv4')) {
    caps.push({ code: 5, name: 'EXTENDED_NEXT_HOP', value: [{ afi: AFI_IPV4, safi: SAFI_UNICAST, nextHopAfi: AFI_IPV6 }] });
  }
  if (opts.hostname !== undefined) {
    const hostname = truncateUtf8(opts.hostname, MAX_HOSTNAME_BYTES);
    caps.push({ code: 73, name: 'FQDN', value: { hostname, domain: truncateUtf8(opts.domain ?? '', MAX_HOSTNAME_BYTES) } });
  }
  return {
    type: 'OPEN',
    version: 4,
    // RFC 6793 §4.1: a 4-octet AS goes in the capability; My AS carries AS_TRANS.
    myAs: cfg.localAs > 0xffff ? AS_TRANS : cfg.localAs,
    holdTime: cfg.holdTime,
    bgpId: cfg.routerId,
    // `capabilities` first: see OptionalParameter (src/bgp/wire/types.ts).
    params: [{ capabilities: caps, type: 2 }],
  };
}

export function capabilitiesOf(open: OpenMessage): Capability[] {
  return open.params.flatMap((p) => ('capabilities' in p ? p.capabilities : []));
}

function find<N extends Capability['name']>(caps: Capability[], name: N): Extract<Capability, { name: N }> | undefined {
  return caps.find((c) => c.name === name) as Extract<Capability, { name: N }> | undefined;
}

export type NegotiationResult = { ok: true; negotiated: Negotiated } | { ok: false; error: NotifyError; reason: string };

const openError = (subcode: number, reason: string): NegotiationResult => ({
  ok: false,
  error: { code: ERR.OPEN, subcode, data: '' },
  reason,
});

/** RFC 6793 §3/§4.1: the peer's AS is the 4-octet capability's when present, else My AS. */
function peerAsOf(remote: OpenMessage, caps: Capability[]): number | string {
  const as4 = find(caps, 'FOUR_OCTET_AS');
  if (!as4) return remote.myAs;
  // RFC 6793 §4.1: a NEW speaker whose AS fits in two octets puts it in My AS; one that does
  // not puts AS_TRANS there. Anything else is inconsistent.
  const expectedMyAs = as4.value > 0xffff ? AS_TRANS : as4.value;
  if (remote.myAs !== expectedMyAs) return `My AS ${remote.myAs} disagrees with 4-octet AS ${as4.value}`;
  return as4.value;
}

/** RFC 4760 §8: a peer that sent no Multiprotocol capability speaks IPv4 unicast only. */
function peerFamilies(caps: Capability[]): Set<string> {
  const mp = caps.filter((c): c is Extract<Capability, { name: 'MULTIPROTOCOL' }> => c.name === 'MULTIPROTOCOL');
  if (mp.length === 0) return new Set([`${AFI_IPV4}/${SAFI_UNICAST}`]);
  return new Set(mp.map((c) => `${c.value.afi}/${c.value.safi}`));
}

/** RFC 7911 §4: per family, the Send/Receive value each side advertised. */
function addPathModes(caps: Capability[]): Map<string, number> {
  const modes = new Map<string, number>();
  for (const t of find(caps, 'ADD_PATH')?.value ?? []) modes.set(`${t.afi}/${t.safi}`, t.sendReceive);
  return modes;
}

function negotiateAddPath(families: Family[], localCaps: Capability[], remoteCaps: Capability[]): Negotiated['addPath'] {
  const ours = addPathModes(localCaps);
  const theirs = addPathModes(remoteCaps);
  // RFC 7911 §4: we receive path ids where we said receive and the peer said send; we send
  // them where we said send and the peer said receive.
  const has = (m: Map<string, number>, f: Family, bit: number): boolean => ((m.get(familyKey(f)) ?? 0) & bit) !== 0;
  return {
    receive: families.filter((f) => has(ours, f, ADD_PATH_RECEIVE) && has(theirs, f, ADD_PATH_SEND)),
    send: families.filter((f) => has(ours, f, ADD_PATH_SEND) && has(theirs, f, ADD_PATH_RECEIVE)),
  };
}

function peerGracefulRestart(caps: Capability[]): PeerGracefulRestart | undefined {
  const gr = find(caps, 'GRACEFUL_RESTART');
  if (!gr) return undefined;
  return {
    restartTime: gr.value.restartTime,
    restarting: gr.value.restarting,
    families: gr.value.families.flatMap((f) => {
      const family = familyOf(f.afi, f.safi);
      return family ? [{ family, forwardingPreserved: f.forwardingPreserved }] : [];
    }),
  };
}

/** RFC 4271 §4.2: keepalive at one third of the hold time unless configured lower; none when hold is 0. */
function keepaliveFor(holdTime: number, configured: number): number {
  if (holdTime === 0) return 0;
  const third = Math.max(1, Math.floor(holdTime / 3));
  return configured > 0 ? Math.min(configured, third) : third;
}

/** Check the peer's OPEN against ours and the configuration; agree on what the session uses. */
export function negotiate(local: OpenMessage, remote: OpenMessage, cfg: PeerConfig): NegotiationResult {
  const localCaps = capabilitiesOf(local);
  const remoteCaps = capabilitiesOf(remote);
  // RFC 4271 §6.2: a peer AS other than the configured one is Bad Peer AS.
  const peerAs = peerAsOf(remote, remoteCaps);
  if (typeof peerAs === 'string') return openError(OPEN_SUB.BAD_PEER_AS, peerAs);
  if (peerAs !== cfg.remoteAs) return openError(OPEN_SUB.BAD_PEER_AS, `peer AS ${peerAs}, expected ${cfg.remoteAs}`);
  // RFC 4271 §6.2: a Hold Time of one or two seconds MUST be rejected.
  if (remote.holdTime === 1 || remote.holdTime === 2) {
    return openError(OPEN_SUB.UNACCEPTABLE_HOLD_TIME, `hold time ${remote.holdTime}`);
  }
  const ibgp = peerAs === cfg.localAs;
  // RFC 6286 §2.2: an internal peer with our own BGP Identifier is Bad BGP Identifier.
  if (ibgp && remote.bgpId === cfg.routerId) return openError(OPEN_SUB.BAD_BGP_ID, `peer uses our BGP identifier ${remote.bgpId}`);
  // RFC 4271 §4.2: the session uses the smaller of the two hold times.
  const holdTime = Math.min(local.holdTime, remote.holdTime);
  const theirFamilies = peerFamilies(remoteCaps);
  const ourFamilies = peerFamilies(localCaps);
  const families = (['ipv4', 'ipv6'] as const).filter((f) => theirFamilies.has(familyKey(f)) && ourFamilies.has(familyKey(f)));
  const both = (name: Capability['name']): boolean => !!find(localCaps, name) && !!find(remoteCaps, name);
  // RFC 6793 §3: 4-octet AS numbers are used when both sides advertised the capability.
  const as4 = both('FOUR_OCTET_AS');
  // RFC 8654 §3: extended messages only when both sides advertised the capability.
  const extendedMessage = both('EXTENDED_MESSAGE');
  const addPath = negotiateAddPath(families, localCaps, remoteCaps);
  const ourEnh = find(localCaps, 'EXTENDED_NEXT_HOP')?.value ?? [];
  const theirEnh = find(remoteCaps, 'EXTENDED_NEXT_HOP')?.value ?? [];
  const fqdn = find(remoteCaps, 'FQDN');
  const negotiated: Negotiated = {
    peerAs,
    peerId: remote.bgpId,
    ibgp,
    holdTime,
    keepalive: keepaliveFor(holdTime, cfg.keepalive),
    as4,
    families,
    // RFC 2918 §2 (code 2) and the pre-standard code 128 both announce ROUTE-REFRESH.
    routeRefresh: !!find(remoteCaps, 'ROUTE_REFRESH') || !!find(remoteCaps, 'ROUTE_REFRESH_OLD'),
    enhancedRouteRefresh: both('ENHANCED_ROUTE_REFRESH'),
    addPath,
    extendedMessage,
    extendedNextHop: ourEnh.filter((t) => theirEnh.some((u) => u.afi === t.afi && u.safi === t.safi && u.nextHopAfi === t.nextHopAfi)),
    // Received UPDATEs go to the RIB, which reads their prefix keys: keyed holders (wire/list-fields.ts).
    recvCtx: makeContext({ as4, extendedMessage, addPath: new Set(addPath.receive.map(familyKey)), keyedLists: true }),
    sendCtx: makeContext({ as4, extendedMessage, addPath: new Set(addPath.send.map(familyKey)) }),
    peerOpen: remote,
  };
  const gr = peerGracefulRestart(remoteCaps);
  if (gr) negotiated.gracefulRestart = gr;
  if (fqdn) negotiated.peerHostname = fqdn.value.hostname;
  return { ok: true, negotiated };
}
