// rtnetlink message layout, hand-built: the `netlink` package's high-level calls build and parse
// objects per message (~25k routes/s, dataplane-facts.md); writing the bytes straight into one
// reused buffer and reading replies with a DataView is what makes a full table take seconds.
// Layouts from include/uapi/linux/{netlink,rtnetlink,nexthop,neighbour}.h; host byte order
// (little-endian on the targets routed runs on), addresses in network order.

import { constants as osConstants } from 'node:os';
import { ipv4ToText, ipv6ToText, parseIpv4, parseIpv6 } from '../../bgp/wire/index.js';

export const NLMSG_HDRLEN = 16;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

export const RTM_NEWLINK = 16;
export const RTM_GETLINK = 18;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWNEIGH = 28;
export const RTM_DELNEIGH = 29;
export const RTM_GETNEIGH = 30;
export const RTM_NEWNEXTHOP = 104;
export const RTM_DELNEXTHOP = 105;
export const RTM_GETNEXTHOP = 106;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

export const RT_TABLE_MAIN = 254;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_NOWHERE = 255;
export const RTN_UNICAST = 1;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;

export const RTA_DST = 1;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_MULTIPATH = 9;
export const RTA_TABLE = 15;
export const RTA_VIA = 18;
export const RTA_NH_ID = 30;

export const NHA_ID = 1;
export const NHA_GROUP = 2;
export const NHA_BLACKHOLE = 4;
export const NHA_OIF = 5;
export const NHA_GATEWAY = 6;

export const IFLA_IFNAME = 3;

export const NDA_DST = 1;
export const NDA_LLADDR = 2;
export const NDA_FLAGS_EXT = 15;

/** struct rtmsg, struct nhmsg, struct ndmsg, struct ifinfomsg sizes. */
export const RTMSG_LEN = 12;
export const NHMSG_LEN = 8;
export const NDMSG_LEN = 12;
export const IFINFOMSG_LEN = 16;

export function familyNumber(family: 'ipv4' | 'ipv6'): number {
  return family === 'ipv4' ? AF_INET : AF_INET6;
}

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(osConstants.errno)) if (!errnoNames.has(value)) errnoNames.set(value, name);

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

/**
 * A growable write cursor over one Buffer, reused for every batch. Messages are appended with
 * begin()/end() so the header's length is patched once the attributes are in.
 */
export class MsgWriter {
  buf: Buffer;
  pos = 0;
  private start = 0;

  constructor(size = 1 << 18) {
    this.buf = Buffer.alloc(size);
  }

  reset(): void {
    this.pos = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** Start a message: nlmsghdr, then a zeroed fixed header of fixedLen bytes (returned offset). */
  begin(type: number, flags: number, seq: number, fixedLen: number): number {
    this.ensure(NLMSG_HDRLEN + fixedLen + 256);
    this.start = this.pos;
    const b = this.buf;
    b.writeUInt16LE(type, this.pos + 4);
    b.writeUInt16LE(flags, this.pos + 6);
    b.writeUInt32LE(seq, this.pos + 8);
    b.writeUInt32LE(0, this.pos + 12);
    b.fill(0, this.pos + NLMSG_HDRLEN, this.pos + NLMSG_HDRLEN + fixedLen);
    this.pos += NLMSG_HDRLEN + fixedLen;
    return this.start + NLMSG_HDRLEN;
  }

  end(): void {
    this.buf.writeUInt32LE(this.pos - this.start, this.start);
  }

  /** Set NLM_F_ACK on the message written last (the one that closes a batch). */
  ackLast(): void {
    this.buf.writeUInt16LE(this.buf.readUInt16LE(this.start + 6) | NLM_F_ACK, this.start + 6);
  }

  u32(type: number, v: number): void {
    this.ensure(8);
    this.buf.writeUInt16LE(8, this.pos);
    this.buf.writeUInt16LE(type, this.pos + 2);
    this.buf.writeUInt32LE(v >>> 0, this.pos + 4);
    this.pos += 8;
  }

  /** An attribute holding an address in network order (4 or 16 bytes): text, or its first `end` characters. Throws on bad text. */
  addr(type: number, family: number, text: string, end = text.length): void {
    const n = family === AF_INET ? 4 : 16;
    this.ensure(4 + n);
    this.buf.writeUInt16LE(4 + n, this.pos);
    this.buf.writeUInt16LE(type, this.pos + 2);
    const ok = family === AF_INET ? parseIpv4(text, this.buf, this.pos + 4, 0, end) : parseIpv6(text, this.buf, this.pos + 4, 0, end);
    if (!ok) throw new RangeError(`not an ${family === AF_INET ? 'IPv4' : 'IPv6'} address: ${text.slice(0, end)}`);
    this.pos += 4 + n;
  }

  /** Raw attribute payload of n bytes (padded to 4); returns the payload offset. */
  raw(type: number, n: number): number {
    const padded = (4 + n + 3) & ~3;
    this.ensure(padded);
    this.buf.writeUInt16LE(4 + n, this.pos);
    this.buf.writeUInt16LE(type, this.pos + 2);
    this.buf.fill(0, this.pos + 4, this.pos + padded);
    const at = this.pos + 4;
    this.pos += padded;
    return at;
  }

  /** Open a nested attribute; close it with closeNest(offset). */
  openNest(type: number): number {
    this.ensure(4);
    const at = this.pos;
    this.buf.writeUInt16LE(type, at + 2);
    this.pos += 4;
    return at;
  }

  closeNest(at: number): void {
    this.buf.writeUInt16LE(this.pos - at, at);
  }

  /** A copy of everything written since reset(), for sending. */
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/** Attributes of one message: type → [offset, length] of the payload within buf. */
export type Attrs = Map<number, [number, number]>;

export function parseAttrs(buf: Buffer, from: number, to: number): Attrs {
  const attrs: Attrs = new Map();
  let p = from;
  while (p + 4 <= to) {
    const len = buf.readUInt16LE(p);
    if (len < 4 || p + len > to) break;
    // NLA_F_NESTED / NLA_F_NET_BYTEORDER live in the type's top bits.
    attrs.set(buf.readUInt16LE(p + 2) & 0x3fff, [p + 4, len - 4]);
    p += (len + 3) & ~3;
  }
  return attrs;
}

export function attrU32(buf: Buffer, attrs: Attrs, type: number): number | undefined {
  const a = attrs.get(type);
  return a && a[1] >= 4 ? buf.readUInt32LE(a[0]) : undefined;
}

export function attrAddr(buf: Buffer, attrs: Attrs, type: number): string | undefined {
  const a = attrs.get(type);
  if (!a) return undefined;
  if (a[1] === 4) return ipv4ToText(buf, a[0]);
  if (a[1] === 16) return ipv6ToText(buf, a[0]);
  return undefined;
}

/** One received message: header fields and the payload's bounds within buf. */
export interface RxMsg {
  type: number;
  flags: number;
  seq: number;
  buf: Buffer;
  /** Payload start (after nlmsghdr) and end. */
  off: number;
  end: number;
}

/** Call fn for each message in a datagram. */
export function forEachMsg(buf: Buffer, fn: (m: RxMsg) => void): void {
  let p = 0;
  while (p + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(p);
    if (len < NLMSG_HDRLEN || p + len > buf.length) break;
    // `type` not first: see OptionalParameter in src/bgp/wire/types.ts (a numeric first `type`).
    fn({ buf, off: p + NLMSG_HDRLEN, end: p + len, type: buf.readUInt16LE(p + 4), flags: buf.readUInt16LE(p + 6), seq: buf.readUInt32LE(p + 8) });
    p += (len + 3) & ~3;
  }
}

/** struct nlmsgerr's error: 0 for an ACK, else a negative errno. */
export function errorCode(m: RxMsg): number {
  return m.end - m.off >= 4 ? m.buf.readInt32LE(m.off) : -1;
}

/** The MAC (or other link-layer address) as aa:bb:cc:dd:ee:ff. */
export function macText(buf: Buffer, off: number, len: number): string {
  const parts: string[] = [];
  for (let i = 0; i < len; i++) parts.push(buf[off + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}
