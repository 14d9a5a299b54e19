// Small rtnetlink queries the kernel FIB backend needs besides route programming: interface
// names, the interface towards a gateway, the nexthop objects, the route table.

import {
  AF_INET, AF_INET6, IFINFOMSG_LEN, IFLA_IFNAME, MsgWriter, NHA_BLACKHOLE, NHA_GATEWAY, NHA_GROUP, NHA_ID,
  NHA_OIF, NHMSG_LEN, NLM_F_ACK, NLM_F_REQUEST, RTA_DST, RTA_OIF, RTMSG_LEN, RTM_GETLINK, RTM_GETNEXTHOP,
  RTM_GETROUTE, RTM_NEWNEXTHOP, RTM_NEWROUTE, RTN_UNICAST, attrAddr, attrU32, parseAttrs,
} from './nlmsg.js';
import type { RxMsg } from './nlmsg.js';
import type { NhMember } from './nexthops.js';
import { NetlinkError } from './socket.js';
import type { NlSocket } from './socket.js';
import { decodeRoute } from './routes.js';
import type { DumpedRoute } from './routes.js';

const ENETUNREACH = 101;

/** Interface name → index, from an RTM_GETLINK dump. */
export async function dumpLinks(sock: NlSocket): Promise<Map<string, number>> {
  const names = new Map<string, number>();
  await sock.dumpOf(RTM_GETLINK, IFINFOMSG_LEN, 'link dump', (m) => {
    const index = m.buf.readInt32LE(m.off + 4);
    const a = parseAttrs(m.buf, m.off + IFINFOMSG_LEN, m.end).get(IFLA_IFNAME);
    if (a) names.set(m.buf.toString('latin1', a[0], a[0] + a[1]).replace(/\0+$/, ''), index);
  });
  return names;
}

/**
 * The interface the kernel would send to `gateway` through (RTM_GETROUTE), which a nexthop
 * object needs. Rejects with ENETUNREACH when the kernel has no unicast route to it.
 */
export async function routeOif(sock: NlSocket, gateway: string): Promise<number> {
  const fam = gateway.includes(':') ? AF_INET6 : AF_INET;
  const w = new MsgWriter(256);
  const seq = sock.reserve(1);
  const at = w.begin(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_ACK, seq, RTMSG_LEN);
  w.buf[at] = fam;
  w.buf[at + 1] = fam === AF_INET ? 32 : 128;
  w.addr(RTA_DST, fam, gateway);
  w.end();
  const replies = await sock.request(w.take(), seq, `route to ${gateway}`);
  const r = replies.find((m) => m.type === RTM_NEWROUTE);
  if (!r || r.buf[r.off + 7] !== RTN_UNICAST) throw new NetlinkError(ENETUNREACH, `route to ${gateway}`);
  const oif = attrU32(r.buf, parseAttrs(r.buf, r.off + RTMSG_LEN, r.end), RTA_OIF);
  if (oif === undefined) throw new NetlinkError(ENETUNREACH, `route to ${gateway}`);
  return oif;
}

export interface DumpedNexthop {
  id: number;
  family: number;
  protocol: number;
  gateway?: string;
  ifindex?: number;
  group?: NhMember[];
  blackhole: boolean;
}

function decodeNexthop(m: RxMsg): DumpedNexthop | undefined {
  const b = m.buf;
  const attrs = parseAttrs(b, m.off + NHMSG_LEN, m.end);
  const id = attrU32(b, attrs, NHA_ID);
  if (id === undefined) return undefined;
  const g = attrs.get(NHA_GROUP);
  const group: NhMember[] | undefined = g ? [] : undefined;
  if (g && group) for (let p = g[0]; p + 8 <= g[0] + g[1]; p += 8) group.push({ id: b.readUInt32LE(p), weight: b[p + 4]! + 1 });
  const gateway = attrAddr(b, attrs, NHA_GATEWAY);
  const ifindex = attrU32(b, attrs, NHA_OIF);
  return {
    id,
    family: b[m.off]!,
    protocol: b[m.off + 2]!,
    blackhole: attrs.has(NHA_BLACKHOLE),
    ...(gateway !== undefined ? { gateway } : {}),
    ...(ifindex !== undefined ? { ifindex } : {}),
    ...(group ? { group } : {}),
  };
}

/** Every nexthop object of the namespace; rejects (EOPNOTSUPP/EINVAL) on kernels without them. */
export async function dumpNexthops(sock: NlSocket): Promise<DumpedNexthop[]> {
  const out: DumpedNexthop[] = [];
  await sock.dumpOf(RTM_GETNEXTHOP, NHMSG_LEN, 'nexthop dump', (m) => {
    if (m.type !== RTM_NEWNEXTHOP) return;
    const nh = decodeNexthop(m);
    if (nh) out.push(nh);
  });
  return out;
}

/** Routes of the main table with this protocol, both families. */
export async function dumpRoutes(sock: NlSocket, protocol: number, table: number): Promise<DumpedRoute[]> {
  const out: DumpedRoute[] = [];
  for (const fam of [AF_INET, AF_INET6]) {
    const onMsg = (m: RxMsg): void => {
      if (m.type !== RTM_NEWROUTE || m.buf[m.off + 5] !== protocol) return;
      const r = decodeRoute(m);
      if (r && r.table === table) out.push(r);
    };
    await sock.dumpOf(RTM_GETROUTE, RTMSG_LEN, 'route dump', onMsg, fam);
  }
  return out;
}
