// Test and benchmark packets: Ethernet (+ VLAN tags) + IPv4/IPv6 + UDP/TCP, built byte by byte,
// and an IPv4 header checksum computed from scratch (RFC 1071), independent of the program's
// incremental update.

import { parseIpv4, parseIpv6 } from '../../../src/bgp/wire/addr.js';

export interface PacketSpec {
  family: 4 | 6;
  src: string;
  dst: string;
  /** TTL or hop limit (default 64). */
  ttl?: number;
  /** IP protocol / next header (default 17, UDP). */
  proto?: number;
  sport?: number;
  dport?: number;
  /** VLAN tags outermost first; tpid 0x88a8 or 0x8100 (default). */
  vlans?: ReadonlyArray<{ id: number; tpid?: number }>;
  /** IPv4 options (a multiple of 4 bytes). */
  options?: readonly number[];
  /** IPv4 flags+fragment offset field (default 0). */
  fragField?: number;
  /** L4 payload bytes after the 8-byte UDP/TCP-ports header (default 18: a 64-byte v4 frame). */
  payload?: number;
  ethertype?: number;
  dstMac?: readonly number[];
  srcMac?: readonly number[];
}

export const ROUTER_MAC = [0x02, 0, 0, 0, 0, 0x01];
export const HOST_MAC = [0x02, 0, 0, 0, 0, 0x02];

/** RFC 1071 checksum of buf[off, off+len). */
export function inetChecksum(buf: Buffer, off: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += (buf[off + i]! << 8) | (i + 1 < len ? buf[off + i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function buildPacket(p: PacketSpec): Buffer {
  const vlans = p.vlans ?? [];
  const opts = p.options ?? [];
  const l2 = 14 + 4 * vlans.length;
  const l3 = p.family === 4 ? 20 + opts.length : 40;
  const l4 = 8 + (p.payload ?? 18);
  const b = Buffer.alloc(l2 + l3 + l4);
  b.set(p.dstMac ?? ROUTER_MAC, 0);
  b.set(p.srcMac ?? HOST_MAC, 6);
  let off = 12;
  for (const v of vlans) {
    b.writeUInt16BE(v.tpid ?? 0x8100, off);
    b.writeUInt16BE(v.id, off + 2);
    off += 4;
  }
  b.writeUInt16BE(p.ethertype ?? (p.family === 4 ? 0x0800 : 0x86dd), off);
  const ip = l2;
  if (p.family === 4) {
    b[ip] = 0x40 | (l3 / 4);
    b.writeUInt16BE(l3 + l4, ip + 2);
    b.writeUInt16BE(0x1234, ip + 4);
    b.writeUInt16BE(p.fragField ?? 0, ip + 6);
    b[ip + 8] = p.ttl ?? 64;
    b[ip + 9] = p.proto ?? 17;
    if (!parseIpv4(p.src, b, ip + 12) || !parseIpv4(p.dst, b, ip + 16)) throw new Error('bad IPv4 address');
    b.set(opts, ip + 20);
    b.writeUInt16BE(inetChecksum(b, ip, l3), ip + 10);
  } else {
    b.writeUInt32BE(0x60000000, ip);
    b.writeUInt16BE(l4, ip + 4);
    b[ip + 6] = p.proto ?? 17;
    b[ip + 7] = p.ttl ?? 64;
    if (!parseIpv6(p.src, b, ip + 8) || !parseIpv6(p.dst, b, ip + 24)) throw new Error('bad IPv6 address');
  }
  b.writeUInt16BE(p.sport ?? 1024, ip + l3);
  b.writeUInt16BE(p.dport ?? 9, ip + l3 + 2);
  if ((p.proto ?? 17) === 17) b.writeUInt16BE(l4, ip + l3 + 4);
  return b;
}
