// RTM_NEWROUTE / RTM_DELROUTE encoding for routed's routes, and decoding of route dumps.
// Every route goes into the main table with rtm_protocol RTPROT_ROUTED, so `ip route show proto
// 186` lists exactly routed's routes and deletes never touch another protocol's route.

import {
  AF_INET, AF_INET6, NLM_F_CREATE, NLM_F_REPLACE, NLM_F_REQUEST, RTA_DST, RTA_GATEWAY, RTA_MULTIPATH, RTA_NH_ID,
  RTA_OIF, RTA_PRIORITY, RTA_TABLE, RTA_VIA, RTM_DELROUTE, RTM_NEWROUTE, RTMSG_LEN, RTN_BLACKHOLE, RTN_UNICAST,
  RTN_UNREACHABLE, RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE, RT_TABLE_MAIN, attrAddr, attrU32, parseAttrs,
} from './nlmsg.js';
import type { MsgWriter, RxMsg } from './nlmsg.js';
import { ipv4ToText, ipv6ToText, parseIpv6 } from '../../bgp/wire/index.js';
import { RTPROT_ROUTED } from '../types.js';
import type { FibRoute } from '../types.js';
import { prefixLengthAt } from '../../rib/prefix.js';
import type { RouteBatch } from './batch.js';

/** A next hop with its interface index resolved. */
export interface ResolvedHop {
  gateway?: string;
  /** Absent: the kernel picks the interface towards the gateway (classic routes only). */
  ifindex?: number;
  weight: number;
}

/** What a route message carries after next-hop resolution. */
export type RouteTarget =
  | { type: 'nhid'; id: number }
  | { type: 'hops'; hops: ResolvedHop[] }
  | { type: 'reject'; rtn: number };

export function rtnOf(kind: FibRoute['kind']): number {
  return kind === 'blackhole' ? RTN_BLACKHOLE : kind === 'unreachable' ? RTN_UNREACHABLE : RTN_UNICAST;
}

/** Kernel default priority when none is given: what the route's identity really is. */
export function normMetric(r: Pick<FibRoute, 'family' | 'metric'>): number {
  return r.metric ?? (r.family === 'ipv4' ? 0 : 1024);
}

function writeHeader(w: MsgWriter, type: number, flags: number, seq: number, r: FibRoute, scope: number, rtn: number): void {
  const fam = r.family === 'ipv4' ? AF_INET : AF_INET6;
  const slash = r.prefix.indexOf('/');
  const len = prefixLengthAt(r.prefix, slash);
  if (len < 0 || len > (fam === AF_INET ? 32 : 128)) throw new RangeError(`not a prefix: ${r.prefix}`);
  const at = w.begin(type, flags, seq, RTMSG_LEN);
  fillRtmsg(w.buf, at, fam, len, scope, rtn);
  if (len > 0) w.addr(RTA_DST, fam, r.prefix, slash);
}

function fillRtmsg(b: Buffer, at: number, fam: number, len: number, scope: number, rtn: number): void {
  b[at] = fam;
  b[at + 1] = len;
  b[at + 4] = RT_TABLE_MAIN;
  b[at + 5] = RTPROT_ROUTED;
  b[at + 6] = scope;
  b[at + 7] = rtn;
}

/** The header of operation i of a batch: the destination straight from its address words. */
function writeHeaderAt(w: MsgWriter, type: number, flags: number, seq: number, b: RouteBatch, i: number, scope: number, rtn: number): void {
  const v4 = b.spec[i]!.family === 'ipv4';
  const len = b.plen[i]!;
  const at = w.begin(type, flags, seq, RTMSG_LEN);
  fillRtmsg(w.buf, at, v4 ? AF_INET : AF_INET6, len, scope, rtn);
  if (len === 0) return;
  const p = w.raw(RTA_DST, v4 ? 4 : 16);
  const a = i * 4;
  w.buf.writeUInt32BE(b.addr[a]!, p);
  if (v4) return;
  w.buf.writeUInt32BE(b.addr[a + 1]!, p + 4);
  w.buf.writeUInt32BE(b.addr[a + 2]!, p + 8);
  w.buf.writeUInt32BE(b.addr[a + 3]!, p + 12);
}

function writeGateway(w: MsgWriter, routeFam: number, gateway: string): void {
  const gwFam = gateway.includes(':') ? AF_INET6 : AF_INET;
  if (gwFam === routeFam) {
    w.addr(RTA_GATEWAY, gwFam, gateway);
    return;
  }
  // An IPv4 route via an IPv6 gateway (RFC 8950): struct rtvia { u16 family; u8 addr[16] }.
  const p = w.raw(RTA_VIA, 2 + 16);
  w.buf.writeUInt16LE(gwFam, p);
  if (!parseIpv6(gateway, w.buf, p + 2)) throw new RangeError(`not an IPv6 address: ${gateway}`);
}

const REPLACE_FLAGS = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;

/** rtm_scope and rtm_type of a replace. As iproute2: an IPv4 route straight onto a link has link scope. */
function replaceScope(fam: number, target: RouteTarget): number {
  return target.type === 'hops' && fam === AF_INET && target.hops.every((h) => h.gateway === undefined) ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
}

function replaceType(target: RouteTarget): number {
  return target.type === 'reject' ? target.rtn : RTN_UNICAST;
}

function writeReplaceAttrs(w: MsgWriter, fam: number, metric: number | undefined, target: RouteTarget): void {
  if (metric !== undefined) w.u32(RTA_PRIORITY, metric);
  if (target.type === 'nhid') w.u32(RTA_NH_ID, target.id);
  else if (target.type === 'hops') writeHops(w, fam, target.hops);
  w.end();
}

/** RTM_NEWROUTE with create-or-replace semantics. */
export function writeReplace(w: MsgWriter, seq: number, r: FibRoute, target: RouteTarget): void {
  const fam = r.family === 'ipv4' ? AF_INET : AF_INET6;
  writeHeader(w, RTM_NEWROUTE, REPLACE_FLAGS, seq, r, replaceScope(fam, target), replaceType(target));
  writeReplaceAttrs(w, fam, r.metric, target);
}

/** writeReplace for operation i of a batch. */
export function writeReplaceAt(w: MsgWriter, seq: number, b: RouteBatch, i: number, target: RouteTarget): void {
  const spec = b.spec[i]!;
  const fam = spec.family === 'ipv4' ? AF_INET : AF_INET6;
  writeHeaderAt(w, RTM_NEWROUTE, REPLACE_FLAGS, seq, b, i, replaceScope(fam, target), replaceType(target));
  writeReplaceAttrs(w, fam, spec.metric, target);
}

function writeHops(w: MsgWriter, fam: number, hops: readonly ResolvedHop[]): void {
  const only = hops.length === 1 ? hops[0] : undefined;
  if (only) {
    if (only.ifindex !== undefined) w.u32(RTA_OIF, only.ifindex);
    if (only.gateway !== undefined) writeGateway(w, fam, only.gateway);
    return;
  }
  // RTA_MULTIPATH: struct rtnexthop { u16 len; u8 flags; u8 hops (weight - 1); s32 ifindex } + attrs.
  const nest = w.openNest(RTA_MULTIPATH);
  for (const h of hops) {
    const at = w.raw(0, 4);
    const rtnh = at - 4;
    w.buf[rtnh + 2] = 0;
    w.buf[rtnh + 3] = (h.weight - 1) & 0xff;
    w.buf.writeInt32LE(h.ifindex ?? 0, rtnh + 4);
    if (h.gateway !== undefined) writeGateway(w, fam, h.gateway);
    w.buf.writeUInt16LE(w.pos - rtnh, rtnh);
  }
  w.closeNest(nest);
}

/** RTM_DELROUTE of routed's route with this identity (family, prefix, metric), whatever its type. */
export function writeDelete(w: MsgWriter, seq: number, r: FibRoute): void {
  writeHeader(w, RTM_DELROUTE, NLM_F_REQUEST, seq, r, RT_SCOPE_NOWHERE, 0);
  w.u32(RTA_PRIORITY, normMetric(r));
  w.end();
}

/** writeDelete for operation i of a batch. */
export function writeDeleteAt(w: MsgWriter, seq: number, b: RouteBatch, i: number): void {
  writeHeaderAt(w, RTM_DELROUTE, NLM_F_REQUEST, seq, b, i, RT_SCOPE_NOWHERE, 0);
  w.u32(RTA_PRIORITY, normMetric(b.spec[i]!));
  w.end();
}

/** A route as a dump shows it, before nexthop ids are resolved to next hops. */
export interface DumpedRoute {
  route: FibRoute;
  protocol: number;
  table: number;
  nhid?: number;
}

function addrAt(buf: Buffer, off: number, len: number): string | undefined {
  return len === 4 ? ipv4ToText(buf, off) : len === 16 ? ipv6ToText(buf, off) : undefined;
}

function viaText(buf: Buffer, a: [number, number] | undefined): string | undefined {
  return a && a[1] >= 6 ? addrAt(buf, a[0] + 2, a[1] - 2) : undefined;
}

/** Decode one RTM_NEWROUTE of a dump; undefined for families and types routed does not program. */
export function decodeRoute(m: RxMsg): DumpedRoute | undefined {
  const b = m.buf;
  const fam = b[m.off]!;
  if (fam !== AF_INET && fam !== AF_INET6) return undefined;
  const rtn = b[m.off + 7]!;
  const kind = rtn === RTN_UNICAST ? 'unicast' : rtn === RTN_BLACKHOLE ? 'blackhole' : rtn === RTN_UNREACHABLE ? 'unreachable' : undefined;
  if (!kind) return undefined;
  const attrs = parseAttrs(b, m.off + RTMSG_LEN, m.end);
  const family = fam === AF_INET ? 'ipv4' : 'ipv6';
  const len = b[m.off + 1]!;
  const dst = attrAddr(b, attrs, RTA_DST) ?? (fam === AF_INET ? '0.0.0.0' : '::');
  const route: FibRoute = { family, prefix: `${dst}/${len}`, kind, nextHops: [], metric: attrU32(b, attrs, RTA_PRIORITY) ?? 0 };
  const nhid = attrU32(b, attrs, RTA_NH_ID);
  if (kind === 'unicast' && nhid === undefined) route.nextHops = decodeHops(b, attrs);
  return { route, protocol: b[m.off + 5]!, table: attrU32(b, attrs, RTA_TABLE) ?? b[m.off + 4]!, ...(nhid !== undefined ? { nhid } : {}) };
}

function decodeHops(b: Buffer, attrs: ReturnType<typeof parseAttrs>): FibRoute['nextHops'] {
  const mp = attrs.get(RTA_MULTIPATH);
  if (!mp) {
    const gateway = attrAddr(b, attrs, RTA_GATEWAY) ?? viaText(b, attrs.get(RTA_VIA));
    const ifindex = attrU32(b, attrs, RTA_OIF);
    return [{ ...(gateway !== undefined ? { gateway } : {}), ...(ifindex !== undefined ? { ifindex } : {}) }];
  }
  const hops: FibRoute['nextHops'] = [];
  let p = mp[0];
  const end = mp[0] + mp[1];
  while (p + 8 <= end) {
    const len = b.readUInt16LE(p);
    if (len < 8 || p + len > end) break;
    const sub = parseAttrs(b, p + 8, p + len);
    const gateway = attrAddr(b, sub, RTA_GATEWAY) ?? viaText(b, sub.get(RTA_VIA));
    hops.push({ ...(gateway !== undefined ? { gateway } : {}), ifindex: b.readInt32LE(p + 4), weight: b[p + 3]! + 1 });
    p += (len + 3) & ~3;
  }
  return hops;
}
