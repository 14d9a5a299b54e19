// `bgpdump -m` compatible output (bgpdump 1.6.2, as packaged by Debian).
//
// bgpdump's one-line format is defined by what its parser makes of the bytes, including bytes
// that are not what the RFCs allow (a capture whose NLRI carries ADD-PATH identifiers under a
// non-ADD-PATH subtype, prefix lengths over 32, short attributes). To print the same lines for
// every input, this module re-reads each record's body the way bgpdump does: reads past the end
// of a section give zero bytes instead of failing, an attribute whose length runs past its section
// is dropped, a prefix that does not fit ends its list, and a prefix whose byte count exceeds the
// 24-byte slot bgpdump stores it in spills over into its length and path-id fields, as there.
// The typed records of reader.ts (and the codec's decoding) are used for --json.
//
// Rules taken from bgpdump.c / bgpdump_lib.c:
// - BGP4MP STATE lines: BGP4MP|time|STATE|peer|peerAS|old|new (BGP4MP_ET: time is sec.usec).
// - UPDATE: withdrawals first (withdrawn routes, then MP_UNREACH IPv4 u/m/u+m, IPv6 u/m/u+m),
//   then announcements (NLRI, then MP_REACH in the same family order). Other AFI/SAFI (VPNv4,
//   flowspec, ...) are not printed. OPEN, NOTIFICATION, KEEPALIVE print nothing.
// - Announcement fields: prefix|[path id|]AS path|origin|next hop|local pref|MED|communities|
//   AG/NAG|aggregator AS and address|. Missing LOCAL_PREF/MED print 0, a missing NEXT_HOP prints
//   255.255.255.255, a missing ORIGIN prints INCOMPLETE.
// - AS path: sequences space separated, AS_SET {a,b}, AS_CONFED_SEQUENCE (a b), AS_CONFED_SET
//   [a,b]; 2-octet sessions merge AS4_PATH (RFC 6793, bgpdump's variant) and AS4_AGGREGATOR.
// - Communities: a:b with no-export, no-advertise, local-AS names; no large communities.
// - MP_REACH next hop: IPv6 global address; in TABLE_DUMP_V2 entries the abbreviated form is
//   always read as an IPv6 next hop.

import { fmtIpv4, fmtIpv6 } from './bgpdump-text.js';
import type { MrtRecord } from './types.js';

/** One output line: its text and its fields (for --json). */
export interface BgpdumpLine {
  text: string;
  fields: BgpdumpFields;
  /** TABLE_DUMP_V2: index of the RIB entry the line is for. */
  entryIndex?: number;
}

export interface BgpdumpFields {
  format: string;
  timestamp: number;
  microseconds?: number;
  type: 'A' | 'W' | 'STATE' | 'B';
  peerIp: string;
  peerAs: number;
  prefix?: string;
  pathId?: number;
  asPath?: string;
  origin?: string;
  nextHop?: string;
  localPref?: number;
  med?: number;
  communities?: string;
  atomicAggregate?: 'AG' | 'NAG';
  aggregator?: string;
  oldState?: number;
  newState?: number;
}

// ---- bgpdump's lenient byte stream (bgpdump_mstream.c) ----

class MStream {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly start: number,
    readonly len: number,
  ) {}

  canRead(): number {
    return this.len - this.pos;
  }

  /** Advance by up to n bytes; returns how many were there. n < 0 means "all". */
  skip(n: number): number {
    const room = this.canRead();
    if (n >= 0 && room >= n) {
      this.pos += n;
      return n;
    }
    this.pos = this.len;
    return room;
  }

  /** n bytes, zero-filled past the end. */
  get(n: number): Uint8Array {
    const out = new Uint8Array(n);
    const room = this.canRead();
    const take = Math.min(room, n);
    out.set(this.buf.subarray(this.start + this.pos, this.start + this.pos + take));
    if (room >= n) this.pos += n;
    else this.pos = this.len;
    return out;
  }

  getc(): number {
    return this.get(1)[0]!;
  }

  getw(): number {
    const b = this.get(2);
    return (b[0]! << 8) | b[1]!;
  }

  getl(): number {
    const b = this.get(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  /** A stream over the next n bytes (fewer if not there); this stream skips them. */
  copy(n: number): MStream {
    const start = this.start + this.pos;
    return new MStream(this.buf, start, this.skip(n));
  }

  /** The byte at the current position, read from the underlying buffer like bgpdump does. */
  peek(): number {
    return this.buf[this.start + this.pos] ?? 0;
  }
}

// ---- attributes (bgpdump_lib.c process_attributes) ----

interface Prefix {
  /** 16 bytes (IPv4 in the first 4). */
  addr: Uint8Array;
  len: number;
  pathId: number;
}

interface MpNlri {
  nexthop: Uint8Array;
  nlri: Prefix[];
}

interface AsPath {
  asnLen: number;
  data: Uint8Array;
  count: number;
  str: string;
}

const FLAG = (code: number): number => (1 << (code - 1)) >>> 0;
const A_ORIGIN = 1;
const A_AS_PATH = 2;
const A_NEXT_HOP = 3;
const A_MED = 4;
const A_LOCAL_PREF = 5;
const A_ATOMIC_AGGREGATE = 6;
const A_AGGREGATOR = 7;
const A_COMMUNITIES = 8;
const A_MP_REACH = 14;
const A_MP_UNREACH = 15;
const A_AS4_PATH = 17;
const A_AS4_AGGREGATOR = 18;
const AS_TRANS = 23456;

class Attrs {
  flag = 0;
  origin = 255;
  nexthop: Uint8Array = Uint8Array.of(255, 255, 255, 255);
  med = 0xffffffff;
  localPref = 0xffffffff;
  aggregatorAs = 0xffffffff;
  aggregatorAddr: Uint8Array = Uint8Array.of(255, 255, 255, 255);
  newAggregatorAs = 0xffffffff;
  newAggregatorAddr: Uint8Array = Uint8Array.of(255, 255, 255, 255);
  aspath: AsPath | null = null;
  newAspath: AsPath | null = null;
  community: string | null = null;
  announce = new Map<string, MpNlri>();
  withdraw = new Map<string, Prefix[]>();

  has(code: number): boolean {
    return (this.flag & FLAG(code)) !== 0;
  }
}

function readAsn(s: MStream, len: number): number {
  return len === 4 ? s.getl() : s.getw();
}

function readPrefixList(s: MStream, addPath: boolean): Prefix[] {
  const out: Prefix[] = [];
  while (s.canRead() > 0) {
    const pathId = addPath ? s.getl() : 0;
    const plen = s.getc();
    const pbytes = (plen + 7) >> 3;
    if (s.canRead() < pbytes) break;
    // bgpdump's struct prefix: 16-byte address, length octet at 16, path id (host order) at 20.
    const slot = new Uint8Array(24);
    slot[16] = plen;
    slot[20] = pathId & 0xff;
    slot[21] = (pathId >>> 8) & 0xff;
    slot[22] = (pathId >>> 16) & 0xff;
    slot[23] = (pathId >>> 24) & 0xff;
    const data = s.get(pbytes);
    slot.set(data.subarray(0, Math.min(24, pbytes)));
    out.push({
      addr: slot.subarray(0, 16),
      len: slot[16]!,
      pathId: (slot[20]! | (slot[21]! << 8) | (slot[22]! << 16) | (slot[23]! << 24)) >>> 0,
    });
  }
  return out;
}

function aspathString(p: AsPath): void {
  const MAX = 8000;
  const d = p.data;
  const end = d.length;
  let str = '';
  let space = false;
  let type = 2;
  let pnt = 0;
  let lastType = -1;
  p.count = 0;
  const delim = (t: number, which: 0 | 1): string => {
    switch (t) {
      case 1:
        return which === 0 ? '{' : '}';
      case 3:
        return which === 0 ? '(' : ')';
      case 4:
        return which === 0 ? '[' : ']';
      default:
        return ' ';
    }
  };
  const error = (): void => {
    p.count = 0;
    p.str = '! Error !';
  };
  while (pnt < end) {
    const segType = d[pnt]!;
    const segLen = d[pnt + 1] ?? 0;
    if (segType < 1 || segType > 4) return error();
    if (pnt + segLen * p.asnLen + 2 > end) return error();
    if (type !== 2) str += delim(type, 1);
    if (space) str += ' ';
    if (segType !== 2) str += delim(segType, 0);
    space = false;
    p.count += segType === 2 || segType === 3 ? segLen : 1;
    for (let i = 0; i < segLen; i++) {
      if (space) str += segType === 1 || segType === 4 ? ',' : ' ';
      else space = true;
      const at = pnt + 2 + i * p.asnLen;
      const asn =
        p.asnLen === 2 ? (d[at]! << 8) | d[at + 1]! : ((d[at]! << 24) | (d[at + 1]! << 16) | (d[at + 2]! << 8) | d[at + 3]!) >>> 0;
      str += String(asn);
      if (str.length > MAX - 100) {
        p.str = str + '...';
        return;
      }
    }
    type = segType;
    lastType = segType;
    pnt += segLen * p.asnLen + 2;
  }
  if (lastType !== -1 && lastType !== 2) str += delim(lastType, 1);
  p.str = str;
}

function makeAsPath(data: Uint8Array, asnLen: number): AsPath {
  const p: AsPath = { asnLen, data, count: 0, str: '' };
  aspathString(p);
  return p;
}

/** bgpdump's asn32_merge_paths, including its habit of re-reading the first AS_PATH segment. */
function mergePaths(path: AsPath, newPath: AsPath): AsPath {
  const target = path.count - newPath.count;
  const bytes: number[] = [];
  let count = 0;
  const segType = path.data[0] ?? 2;
  const segLen = path.data[1] ?? 0;
  while (count < target) {
    const segStart = bytes.length;
    bytes.push(segType, segLen);
    for (let i = 0; i < segLen; i++) {
      const at = 2 + 2 * i;
      bytes.push(0, 0, path.data[at] ?? 0, path.data[at + 1] ?? 0);
    }
    if (segType === 1 || segType === 4) {
      count += 1;
    } else {
      if (segLen === 0) break; // bgpdump would loop forever here
      count += segLen;
      if (count > target) {
        const cut = count - target;
        bytes[segStart + 1] = segLen - cut;
        bytes.length -= cut * 4;
      }
    }
  }
  const merged = new Uint8Array(bytes.length + newPath.data.length);
  merged.set(bytes);
  merged.set(newPath.data, bytes.length);
  return makeAsPath(merged, 4);
}

function communityString(val: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 4 <= val.length; i += 4) {
    const c = ((val[i]! << 24) | (val[i + 1]! << 16) | (val[i + 2]! << 8) | val[i + 3]!) >>> 0;
    if (c === 0xffffff01) s += ' no-export';
    else if (c === 0xffffff02) s += ' no-advertise';
    else if (c === 0xffffff03) s += ' local-AS';
    else s += ` ${c >>> 16}:${c & 0xffff}`;
  }
  return s;
}

function getNexthop(s: MStream, afi: number): MpNlri {
  const nhLen = s.getc();
  if (afi === 1) return { nexthop: s.get(4), nlri: [] };
  const nexthop = s.get(16);
  if (nhLen === 32) s.get(16);
  return { nexthop, nlri: [] };
}

function mpAnnounce(s: MStream, a: Attrs, addPath: boolean): void {
  if (s.peek() !== 0) {
    // MRT abbreviated MP_REACH_NLRI (TABLE_DUMP_V2): taken as an IPv6 unicast next hop.
    a.announce.set('2/1', getNexthop(s, 2));
    return;
  }
  const afi = s.getw();
  const safi = s.getc();
  if (afi > 2 || safi > 3) return;
  const key = `${afi}/${safi}`;
  if (a.announce.has(key)) return;
  const mp = getNexthop(s, afi);
  a.announce.set(key, mp);
  for (let n = s.getc(); n > 0; n--) s.skip(s.getc());
  mp.nlri = readPrefixList(s, addPath);
}

function mpWithdraw(s: MStream, a: Attrs, addPath: boolean): void {
  const afi = s.getw();
  const safi = s.getc();
  if (afi > 2 || safi > 3) return;
  const key = `${afi}/${safi}`;
  if (a.withdraw.has(key)) return;
  a.withdraw.set(key, readPrefixList(s, addPath));
}

function processAttributes(s: MStream, asnLen: number, addPath: boolean): Attrs {
  const a = new Attrs();
  const total = s.getw();
  const all = s.copy(total);
  while (all.canRead() > 0) {
    const flag = all.getc();
    const type = all.getc();
    const len = flag & 0x10 ? all.getw() : all.getc();
    const v = all.copy(len);
    if (v.canRead() !== len) continue;
    if (type <= 32) a.flag = (a.flag | (1 << (type - 1))) >>> 0;
    switch (type) {
      case A_MP_REACH:
        mpAnnounce(v, a, addPath);
        break;
      case A_MP_UNREACH:
        mpWithdraw(v, a, addPath);
        break;
      case A_ORIGIN:
        a.origin = v.getc();
        break;
      case A_AS_PATH:
        a.aspath = makeAsPath(v.get(len), asnLen);
        break;
      case A_NEXT_HOP:
        a.nexthop = v.get(4);
        break;
      case A_MED:
        a.med = v.getl();
        break;
      case A_LOCAL_PREF:
        a.localPref = v.getl();
        break;
      case A_AGGREGATOR:
        a.aggregatorAs = readAsn(v, asnLen);
        a.aggregatorAddr = v.get(4);
        break;
      case A_COMMUNITIES:
        a.community = communityString(v.get(len));
        break;
      case A_AS4_PATH:
        a.newAspath = makeAsPath(v.get(len), 4);
        break;
      case A_AS4_AGGREGATOR:
        a.newAggregatorAs = v.getl();
        a.newAggregatorAddr = v.get(4);
        break;
      default:
        break;
    }
  }
  if (asnLen === 2) as4Transition(a);
  return a;
}

function as4Transition(a: Attrs): void {
  if (a.has(A_AGGREGATOR) && a.has(A_AS4_AGGREGATOR)) {
    if (a.aggregatorAs !== AS_TRANS) return;
    a.aggregatorAs = a.newAggregatorAs;
    a.aggregatorAddr = a.newAggregatorAddr;
  }
  if (!a.has(A_AS4_PATH) || !a.newAspath) return;
  if (!a.aspath) return;
  if (a.aspath.count < a.newAspath.count) return;
  a.aspath = mergePaths(a.aspath, a.newAspath);
}

// ---- line pieces ----

function originText(o: number): string {
  return o === 0 ? 'IGP' : o === 1 ? 'EGP' : 'INCOMPLETE';
}

function isNone(addr: Uint8Array): boolean {
  return addr[0] === 255 && addr[1] === 255 && addr[2] === 255 && addr[3] === 255;
}

function signed(n: number): number {
  return n | 0;
}

/** The common tail of announcement lines: communities|AG|aggregator| */
function tail(a: Attrs, f: BgpdumpFields): string {
  const ag = a.has(A_ATOMIC_AGGREGATE) ? 'AG' : 'NAG';
  f.atomicAggregate = ag;
  let out: string;
  if (a.has(A_COMMUNITIES)) {
    const c = (a.community ?? '').slice(1);
    f.communities = c;
    out = `${c}|${ag}|`;
  } else {
    f.communities = '';
    out = `|${ag}|`;
  }
  if (!isNone(a.aggregatorAddr)) {
    const agg = `${a.aggregatorAs} ${fmtIpv4(a.aggregatorAddr)}`;
    f.aggregator = agg;
    out += `${agg}|`;
  } else {
    f.aggregator = '';
    out += '|';
  }
  return out;
}

function timeText(ts: number, us: number | undefined): string {
  return us === undefined ? String(ts) : `${ts}.${String(us).padStart(6, '0')}`;
}

// ---- the formatter ----

interface PeerEntry {
  afi: number;
  ip: Uint8Array;
  asn: number;
}

export class BgpdumpFormatter {
  private peers: PeerEntry[] | undefined;

  /** The lines bgpdump -m prints for this record (none for most non-UPDATE records). */
  lines(rec: MrtRecord): BgpdumpLine[] {
    const h = rec.header;
    if (h.type === 16 || h.type === 17) return this.bgp4mp(rec);
    if (h.type === 13) return this.tableDumpV2(rec);
    return [];
  }

  private bgp4mp(rec: MrtRecord): BgpdumpLine[] {
    const h = rec.header;
    const et = h.type === 17;
    const us = et ? h.microseconds : undefined;
    const time = timeText(h.timestamp, us);
    const st = h.subtype;
    const body = rec.body;
    const s = new MStream(body, 0, body.length);
    const base = (format: string, type: BgpdumpFields['type'], peerIp: string, peerAs: number): BgpdumpFields => {
      const f: BgpdumpFields = { format, timestamp: h.timestamp, type, peerIp, peerAs };
      if (us !== undefined) f.microseconds = us;
      return f;
    };

    if (st === 0 || st === 5) {
      const asnLen = st === 5 ? 4 : 2;
      const length = body.length;
      const peerAs = readAsn(s, asnLen);
      readAsn(s, asnLen);
      let afi = 1;
      let peerIp: Uint8Array = new Uint8Array(16);
      if (length === 8) {
        // zebra's 8-byte state change: no addresses
      } else {
        s.getw();
        afi = s.getw();
        if (afi === 1) {
          if (length !== 20 && length !== 24) return [];
          peerIp = s.get(4);
          s.get(4);
        } else if (afi === 2) {
          if (length !== 44 && length !== 48) return [];
          peerIp = s.get(16);
          s.get(16);
        } else {
          return [];
        }
      }
      const oldState = s.getw();
      const newState = s.getw();
      const ip = afi === 2 ? fmtIpv6(peerIp) : fmtIpv4(peerIp);
      const format = et ? 'BGP4MP_ET' : 'BGP4MP';
      const f = base(format, 'STATE', ip, peerAs);
      f.oldState = oldState;
      f.newState = newState;
      return [{ text: `${format}|${time}|STATE|${ip}|${peerAs}|${oldState}|${newState}`, fields: f }];
    }

    if (!(st === 1 || st === 4 || (st >= 6 && st <= 11))) return [];
    const asnLen = st === 4 || st === 7 || st === 9 || st === 11 ? 4 : 2;
    const local = st === 6 || st === 7 || st === 10 || st === 11;
    const addPath = st >= 8;
    const peerAs = readAsn(s, asnLen);
    readAsn(s, asnLen);
    const ifIndex = s.getw();
    let afi = s.getw();
    let peerIp: Uint8Array = new Uint8Array(16);
    let marker: Uint8Array;
    if (afi === 1) {
      peerIp.set(s.get(4));
      s.get(4);
      marker = s.get(16);
    } else if (afi === 2) {
      peerIp = s.get(16);
      s.get(16);
      marker = s.get(16);
    } else if (afi === 0xffff && ifIndex === 0xffff) {
      // bgpdump's work-around for zebra OPEN dumps without ifindex and addresses
      afi = 1;
      marker = new Uint8Array(16).fill(0xff);
      marker.set(s.get(12), 4);
    } else {
      return [];
    }
    if (!marker.every((x) => x === 0xff)) return [];
    const size = s.getw();
    const msg = s.copy(size - 18);
    const msgType = msg.getc();
    if (msgType !== 2) return [];

    const wlen = msg.getw();
    const withdrawn = readPrefixList(msg.copy(wlen), addPath);
    const a = processAttributes(msg, asnLen, addPath);
    const announced = readPrefixList(msg, addPath);

    const format = `BGP4MP${et ? '_ET' : ''}${local ? '_LOCAL' : ''}${addPath ? '_AP' : ''}`;
    const peerText = afi === 2 ? fmtIpv6(peerIp) : fmtIpv4(peerIp);
    const out: BgpdumpLine[] = [];
    const prefixHead = `${format}|${time}|`;
    const asPath = a.has(A_AS_PATH) && a.aspath ? a.aspath.str : '';
    const origin = originText(a.origin);
    const npref = a.has(A_LOCAL_PREF) ? a.localPref : 0;
    const nmed = a.has(A_MED) ? a.med : 0;

    const withdraw4 = (list: Prefix[]): void => {
      for (const p of list) {
        const prefix = `${fmtIpv4(p.addr)}/${p.len}`;
        const f = base(format, 'W', peerText, peerAs);
        f.prefix = prefix;
        if (addPath) f.pathId = p.pathId;
        out.push({ text: `${prefixHead}W|${peerText}|${peerAs}|${prefix}${addPath ? `|${p.pathId}` : ''}`, fields: f });
      }
    };
    const withdraw6 = (list: Prefix[]): void => {
      for (const p of list) {
        let peer: string;
        if (afi === 2) peer = peerText;
        else if (!local) peer = fmtIpv4(peerIp);
        else {
          const padded = new Uint8Array(16);
          padded.set(peerIp.subarray(0, 4));
          peer = fmtIpv6(padded);
        }
        const prefix = `${fmtIpv6(p.addr)}/${p.len}`;
        const f = base(format, 'W', peer, peerAs);
        f.prefix = prefix;
        if (addPath) f.pathId = p.pathId;
        out.push({ text: `${prefixHead}W|${peer}|${peerAs}|${prefix}${addPath ? `|${p.pathId}` : ''}`, fields: f });
      }
    };
    const announce = (list: Prefix[], family: 4 | 6, nexthop: string, signedNumbers: boolean): void => {
      for (const p of list) {
        const prefix = family === 4 ? `${fmtIpv4(p.addr)}/${p.len}` : `${fmtIpv6(p.addr)}/${p.len}`;
        const f = base(format, 'A', peerText, peerAs);
        f.prefix = prefix;
        if (addPath) f.pathId = p.pathId;
        const lp = signedNumbers ? signed(npref) : npref;
        const med = signedNumbers ? signed(nmed) : nmed;
        Object.assign(f, { asPath, origin, nextHop: nexthop, localPref: lp, med });
        const text =
          `${prefixHead}A|${peerText}|${peerAs}|${prefix}|${addPath ? `${p.pathId}|` : ''}` +
          `${asPath}|${origin}|${nexthop}|${lp}|${med}|${tail(a, f)}`;
        out.push({ text, fields: f });
      }
    };

    withdraw4(withdrawn);
    for (const key of ['1/1', '1/2', '1/3']) withdraw4(a.withdraw.get(key) ?? []);
    for (const key of ['2/1', '2/2', '2/3']) withdraw6(a.withdraw.get(key) ?? []);
    announce(announced, 4, fmtIpv4(a.nexthop), false);
    for (const key of ['1/1', '1/2', '1/3']) {
      const mp = a.announce.get(key);
      if (mp) announce(mp.nlri, 4, fmtIpv4(mp.nexthop), true);
    }
    for (const key of ['2/1', '2/2', '2/3']) {
      const mp = a.announce.get(key);
      if (mp) announce(mp.nlri, 6, fmtIpv6(mp.nexthop), false);
    }
    return out;
  }

  private tableDumpV2(rec: MrtRecord): BgpdumpLine[] {
    const h = rec.header;
    const body = rec.body;
    const s = new MStream(body, 0, body.length);
    const st = h.subtype;
    if (st === 1) {
      s.get(4);
      const nameLen = s.getw();
      if (nameLen + 1 <= 255) s.get(nameLen);
      const count = s.getw();
      const peers: PeerEntry[] = [];
      for (let i = 0; i < count; i++) {
        const t = s.getc();
        const afi = t & 1 ? 2 : 1;
        s.get(4);
        const ip = afi === 1 ? s.get(4) : s.get(16);
        const asn = t & 2 ? s.getl() : s.getw();
        peers.push({ afi, ip, asn });
      }
      this.peers = peers;
      return [];
    }
    if (st !== 2 && st !== 4 && st !== 8 && st !== 10) return [];
    const afi = st === 2 || st === 8 ? 1 : 2;
    const addPath = st === 8 || st === 10;
    s.getl();
    const plen = s.getc();
    const pb = s.get((plen + 7) >> 3);
    const prefixBytes = new Uint8Array(16);
    prefixBytes.set(pb.subarray(0, 16));
    const prefix = `${afi === 1 ? fmtIpv4(prefixBytes) : fmtIpv6(prefixBytes)}/${plen}`;
    const count = s.getw();
    const format = addPath ? 'TABLE_DUMP2_AP' : 'TABLE_DUMP2';
    const out: BgpdumpLine[] = [];
    for (let i = 0; i < count; i++) {
      const peerIndex = s.getw();
      s.getl();
      const pathId = addPath ? s.getl() : 0;
      const a = processAttributes(s, 4, addPath);
      const peer = this.peers?.[peerIndex];
      if (!peer) continue; // bgpdump dereferences a missing peer table entry (undefined behaviour)
      const peerText = peer.afi === 1 ? fmtIpv4(peer.ip) : fmtIpv6(peer.ip);
      const asPath = a.aspath ? a.aspath.str : '';
      const origin = originText(a.origin);
      const npref = a.has(A_LOCAL_PREF) ? a.localPref : 0;
      const nmed = a.has(A_MED) ? a.med : 0;
      const mp6 = a.announce.get('2/1');
      const nexthop = a.has(A_MP_REACH) && mp6 ? fmtIpv6(mp6.nexthop) : fmtIpv4(a.nexthop);
      const f: BgpdumpFields = {
        format,
        timestamp: h.timestamp,
        type: 'B',
        peerIp: peerText,
        peerAs: peer.asn,
        prefix,
      };
      if (addPath) f.pathId = pathId;
      Object.assign(f, { asPath, origin, nextHop: nexthop, localPref: npref, med: nmed });
      const text =
        `${format}|${h.timestamp}|B|${peerText}|${peer.asn}|${prefix}|${addPath ? `${pathId}|` : ''}` +
        `${asPath}|${origin}|${nexthop}|${npref}|${nmed}|${tail(a, f)}`;
      out.push({ text, fields: f, entryIndex: i });
    }
    return out;
  }
}
