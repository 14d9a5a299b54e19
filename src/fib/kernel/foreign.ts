// Other protocols' routes (static, DHCP, an IGP daemon's) as the RIB needs them for next-hop
// resolution, read from RTM_NEWROUTE / RTM_DELROUTE messages of a dump or of the route multicast
// groups. routed's own routes come back through the same groups, a full table of them at start:
// they are recognised from one byte of the fixed header (rtm_protocol) and dropped before any
// attribute is parsed or anything allocated.

import {
  AF_INET, AF_INET6, RTA_DST, RTA_GATEWAY, RTA_MULTIPATH, RTA_OIF, RTA_PRIORITY,
  RTA_VIA, RTM_DELROUTE, RTM_GETROUTE, RTM_NEWROUTE, RTMSG_LEN, RTN_UNICAST, RT_TABLE_MAIN, attrAddr, attrU32, parseAttrs,
} from './nlmsg.js';
import type { RxMsg } from './nlmsg.js';
import type { NlSocket } from './socket.js';
import { ipv4ToText, ipv6ToText } from '../../bgp/wire/index.js';

/** rtnetlink multicast groups of route changes (include/uapi/linux/rtnetlink.h, enum rtnetlink_groups). */
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV6_ROUTE = 11;
/** Routes the kernel derives from addresses: the RIB gets those as connected prefixes. */
const RTPROT_KERNEL = 2;

export interface ForeignRoute {
  family: 'ipv4' | 'ipv6';
  /** Canonical prefix text. */
  prefix: string;
  gateway?: string;
  ifindex?: number;
  metric: number;
  protocol: number;
}

/**
 * The route a message carries when it is another protocol's unicast route in the main table;
 * undefined for routed's own (ownProtocol), the kernel's, other tables and types, other families.
 */
export function decodeForeign(m: RxMsg, ownProtocol: number): ForeignRoute | undefined {
  const b = m.buf;
  const o = m.off;
  if (m.end - o < RTMSG_LEN) return undefined;
  // The cheap checks first: a burst of our own routes costs these byte reads and nothing else.
  const protocol = b[o + 5]!;
  if (protocol === ownProtocol || protocol === RTPROT_KERNEL) return undefined;
  const fam = b[o]!;
  // rtm_table holds tables < 256 itself (RT_TABLE_COMPAT above): the main table always fits.
  if ((fam !== AF_INET && fam !== AF_INET6) || b[o + 4] !== RT_TABLE_MAIN || b[o + 7] !== RTN_UNICAST) return undefined;
  const attrs = parseAttrs(b, o + RTMSG_LEN, m.end);
  const len = b[o + 1]!;
  const dst = attrs.get(RTA_DST);
  const text = fam === AF_INET ? (dst ? ipv4ToText(b, dst[0]) : '0.0.0.0') : dst ? ipv6ToText(b, dst[0]) : '::';
  const r: ForeignRoute = { family: fam === AF_INET ? 'ipv4' : 'ipv6', prefix: `${text}/${len}`, metric: attrU32(b, attrs, RTA_PRIORITY) ?? 0, protocol };
  let gateway = attrAddr(b, attrs, RTA_GATEWAY) ?? via(b, attrs.get(RTA_VIA));
  let ifindex = attrU32(b, attrs, RTA_OIF);
  const mp = attrs.get(RTA_MULTIPATH);
  // ECMP: the RIB resolves through one next hop; the first is as good as any.
  if (mp && mp[1] >= 8) {
    const sub = parseAttrs(b, mp[0] + 8, mp[0] + Math.min(mp[1], b.readUInt16LE(mp[0])));
    gateway ??= attrAddr(b, sub, RTA_GATEWAY) ?? via(b, sub.get(RTA_VIA));
    ifindex ??= b.readInt32LE(mp[0] + 4);
  }
  if (gateway !== undefined) r.gateway = gateway;
  if (ifindex !== undefined && ifindex > 0) r.ifindex = ifindex;
  return r;
}

function via(b: Buffer, a: [number, number] | undefined): string | undefined {
  if (!a || a[1] < 6) return undefined;
  return a[1] - 2 === 4 ? ipv4ToText(b, a[0] + 2) : a[1] - 2 === 16 ? ipv6ToText(b, a[0] + 2) : undefined;
}

/** True for a route added or changed, false for one removed, undefined for other messages. */
export function isRouteAdd(m: RxMsg): boolean | undefined {
  return m.type === RTM_NEWROUTE ? true : m.type === RTM_DELROUTE ? false : undefined;
}

/** Dump the main table's routes of both families, keeping other protocols' unicast routes. */
export async function dumpForeign(sock: NlSocket, ownProtocol: number): Promise<ForeignRoute[]> {
  const out: ForeignRoute[] = [];
  await sock.dumpOf(RTM_GETROUTE, RTMSG_LEN, 'route dump', (m) => {
    const r = m.type === RTM_NEWROUTE ? decodeForeign(m, ownProtocol) : undefined;
    if (r) out.push(r);
  });
  return out;
}
