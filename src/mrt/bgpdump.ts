// `bgpdump -m` compatible lines (bgpdump 1.6.2, as packaged by Debian), formatted from the typed
// records of reader.ts: BGP messages and RIB entry attributes as decoded by the codec. No bytes
// are read here. A record the codec rejects gives no line but an error item (the CLI warns on
// stderr); bgpdump instead prints whatever its lenient parser made of the bytes.
//
// Rules taken from bgpdump.c / bgpdump_lib.c:
// - BGP4MP STATE lines: BGP4MP|time|STATE|peer|peerAS|old|new (BGP4MP_ET: time is sec.usec).
// - UPDATE: withdrawals first (withdrawn routes, then MP_UNREACH), then announcements (NLRI,
//   then MP_REACH). Only IPv4/IPv6 unicast, multicast and unicast+multicast (SAFI 1-3) are
//   printed. OPEN, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH print nothing.
// - Format names BGP4MP[_ET][_LOCAL][_AP]; _AP lines carry the path id after the prefix. An
//   UPDATE decoded with ADD-PATH (subtype, session or inferred, see reader.ts) prints as _AP.
// - Announcement fields: prefix|[path id|]AS path|origin|next hop|local pref|MED|communities|
//   AG/NAG|aggregator AS and address|. Missing LOCAL_PREF/MED print 0, a missing NEXT_HOP prints
//   255.255.255.255, a missing ORIGIN prints INCOMPLETE. LOCAL_PREF/MED of MP_REACH IPv4
//   announcements print as signed 32-bit numbers (bgpdump's printf %d).
// - AS path: sequences space separated, AS_SET {a,b}, AS_CONFED_SEQUENCE (a b), AS_CONFED_SET
//   [a,b]; cut with "..." past 7900 characters. 2-octet sessions take AS4_AGGREGATOR when
//   AGGREGATOR is AS_TRANS and merge AS4_PATH (RFC 6793 §4.2.3, the codec's mergeAsPath); an
//   AGGREGATOR other than AS_TRANS means both AS4 attributes are ignored.
// - Communities: a:b with no-export, no-advertise, local-AS names; no large communities.
// - MP_REACH next hop: the first (IPv6 global) address. IPv6 withdrawals from an IPv4 peer
//   header print the peer as an IPv6 address for MESSAGE_LOCAL subtypes (bgpdump reads the
//   4-byte address out of a 16-byte field).
// - TABLE_DUMP2|time|B|peer|peerAS|prefix|[path id|]... with the peer from the PEER_INDEX_TABLE;
//   the next hop is MP_REACH's when it is IPv6, else NEXT_HOP. Unsigned LOCAL_PREF/MED.

import { AS_TRANS, findAttr, mergeAsPath, parseIpv4 } from '../bgp/wire/index.js';
import type { AsPathSegment, Nlri, PathAttribute } from '../bgp/wire/types.js';
import { fmtAddr, fmtIpv6, fmtPrefix } from './bgpdump-text.js';
import type { Bgp4mpMessage, MrtHeader, MrtRecord, RibRecord } from './types.js';

/** One output item: a line (text and fields for --json), or a record/entry that did not decode. */
export interface BgpdumpLine {
  /** The -m line; empty for an error item. */
  text: string;
  fields: BgpdumpFields;
  /** TABLE_DUMP_V2: index of the RIB entry the line is for. */
  entryIndex?: number;
  /** The codec's reason when the UPDATE or RIB entry does not decode (no line is printed). */
  error?: string;
}

export interface BgpdumpFields {
  format: string;
  timestamp: number;
  microseconds?: number;
  type: 'A' | 'W' | 'STATE' | 'B' | 'ERROR';
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

type Tail = Required<Pick<BgpdumpFields, 'asPath' | 'origin' | 'localPref' | 'med' | 'communities' | 'atomicAggregate' | 'aggregator'>>;

const DELIMS: Record<AsPathSegment['type'], [string, string, string]> = {
  AS_SEQUENCE: ['', '', ' '],
  AS_SET: ['{', '}', ','],
  AS_CONFED_SEQUENCE: ['(', ')', ' '],
  AS_CONFED_SET: ['[', ']', ','],
};

export function asPathText(segments: readonly AsPathSegment[]): string {
  let out = '';
  let space = false;
  for (const seg of segments) {
    const [open, close, sep] = DELIMS[seg.type];
    out += (space ? ' ' : '') + open;
    for (let i = 0; i < seg.asns.length; i++) {
      out += (i > 0 ? sep : '') + String(seg.asns[i]);
      if (out.length > 7900) return out + '...';
    }
    out += close;
    space = seg.asns.length > 0;
  }
  return out;
}

const COMMUNITY_NAMES: Record<number, string> = { 0xffffff01: 'no-export', 0xffffff02: 'no-advertise', 0xffffff03: 'local-AS' };

function communityText(c: number): string {
  return COMMUNITY_NAMES[c] ?? `${c >>> 16}:${c & 0xffff}`;
}

/** The attribute fields every announcement line shares. */
function tailOf(attrs: readonly PathAttribute[], as4: boolean): Tail {
  let path = findAttr(attrs, 'AS_PATH')?.value;
  let agg = findAttr(attrs, 'AGGREGATOR')?.value;
  if (!as4) {
    const agg4 = findAttr(attrs, 'AS4_AGGREGATOR')?.value;
    const path4 = findAttr(attrs, 'AS4_PATH')?.value;
    if (!(agg && agg4 && agg.asn !== AS_TRANS)) {
      if (agg && agg4) agg = agg4;
      if (path && path4) path = mergeAsPath(path, path4);
    }
  }
  const communities = findAttr(attrs, 'COMMUNITIES')?.value;
  return {
    asPath: path ? asPathText(path) : '',
    origin: findAttr(attrs, 'ORIGIN')?.value ?? 'INCOMPLETE',
    localPref: findAttr(attrs, 'LOCAL_PREF')?.value ?? 0,
    med: findAttr(attrs, 'MULTI_EXIT_DISC')?.value ?? 0,
    communities: communities ? communities.map(communityText).join(' ') : '',
    atomicAggregate: findAttr(attrs, 'ATOMIC_AGGREGATE') ? 'AG' : 'NAG',
    aggregator: agg ? `${agg.asn} ${agg.address}` : '',
  };
}

function tailText(t: Tail & { nextHop: string }): string {
  return `${t.asPath}|${t.origin}|${t.nextHop}|${t.localPref}|${t.med}|${t.communities}|${t.atomicAggregate}|${t.aggregator}|`;
}

function timeText(h: MrtHeader): string {
  return h.microseconds === undefined ? String(h.timestamp) : `${h.timestamp}.${String(h.microseconds).padStart(6, '0')}`;
}

/** bgpdump prints SAFI 1-3 of IPv4 and IPv6, IPv4 first. */
function printable(afi: number, safi: number): boolean {
  return (afi === 1 || afi === 2) && safi >= 1 && safi <= 3;
}

export class BgpdumpFormatter {
  /** The items for one record (none for most non-UPDATE records). */
  lines(rec: MrtRecord): BgpdumpLine[] {
    if (rec.kind === 'state-change') {
      const format = rec.header.type === 17 ? 'BGP4MP_ET' : 'BGP4MP';
      const peerIp = fmtAddr(rec.peerIp);
      const fields = this.base(rec.header, format, 'STATE', peerIp, rec.peerAs);
      Object.assign(fields, { oldState: rec.oldState, newState: rec.newState });
      const text = `${format}|${timeText(rec.header)}|STATE|${peerIp}|${rec.peerAs}|${rec.oldState}|${rec.newState}`;
      return [{ text, fields }];
    }
    if (rec.kind === 'message') return this.update(rec);
    if (rec.kind === 'rib') return this.rib(rec);
    return [];
  }

  private base(h: MrtHeader, format: string, type: BgpdumpFields['type'], peerIp: string, peerAs: number): BgpdumpFields {
    const f: BgpdumpFields = { format, timestamp: h.timestamp, type, peerIp, peerAs };
    if (h.microseconds !== undefined) f.microseconds = h.microseconds;
    return f;
  }

  private update(rec: Bgp4mpMessage): BgpdumpLine[] {
    const h = rec.header;
    const format = `BGP4MP${h.type === 17 ? '_ET' : ''}${rec.local ? '_LOCAL' : ''}${rec.addPath ? '_AP' : ''}`;
    const peerIp = fmtAddr(rec.peerIp);
    const head = `${format}|${timeText(h)}`;
    if (!rec.decoded.ok) {
      if (rec.message[18] !== 2) return [];
      return [{ text: '', fields: this.base(h, format, 'ERROR', peerIp, rec.peerAs), error: rec.decoded.reason }];
    }
    const u = rec.decoded.msg;
    if (u.type !== 'UPDATE') return [];
    const out: BgpdumpLine[] = [];
    const pathIdText = (p: Nlri): string => (rec.addPath ? `|${p.pathId ?? 0}` : '');
    const withPathId = (f: BgpdumpFields, p: Nlri): BgpdumpFields => {
      if (rec.addPath) f.pathId = p.pathId ?? 0;
      return f;
    };
    const withdraw = (list: readonly Nlri[], afi: number): void => {
      let peer = peerIp;
      // bgpdump prints the 16-byte address field holding an IPv4 peer's 4 bytes.
      if (afi === 2 && rec.afi === 1 && rec.local) {
        const b = new Uint8Array(16);
        parseIpv4(rec.peerIp, b);
        peer = fmtIpv6(b);
      }
      for (const p of list) {
        const prefix = fmtPrefix(p.prefix);
        const fields = withPathId({ ...this.base(h, format, 'W', peer, rec.peerAs), prefix }, p);
        out.push({ text: `${head}|W|${peer}|${rec.peerAs}|${prefix}${pathIdText(p)}`, fields });
      }
    };
    const tail = tailOf(u.attributes, rec.as4);
    const announce = (list: readonly Nlri[], nextHop: string, signed: boolean): void => {
      const t = { ...tail, nextHop };
      if (signed) Object.assign(t, { localPref: t.localPref | 0, med: t.med | 0 });
      for (const p of list) {
        const prefix = fmtPrefix(p.prefix);
        const fields = withPathId({ ...this.base(h, format, 'A', peerIp, rec.peerAs), prefix }, p);
        Object.assign(fields, t);
        out.push({ text: `${head}|A|${peerIp}|${rec.peerAs}|${prefix}${pathIdText(p)}|${tailText(t)}`, fields });
      }
    };
    const unreach = findAttr(u.attributes, 'MP_UNREACH_NLRI')?.value;
    const reach = findAttr(u.attributes, 'MP_REACH_NLRI')?.value;
    withdraw(u.withdrawn, 1);
    if (unreach && printable(unreach.afi, unreach.safi)) withdraw(unreach.withdrawn, unreach.afi);
    announce(u.nlri, findAttr(u.attributes, 'NEXT_HOP')?.value ?? '255.255.255.255', false);
    if (reach && printable(reach.afi, reach.safi)) {
      const nextHop = fmtAddr(reach.nextHops[0] ?? (reach.afi === 1 ? '0.0.0.0' : '::'));
      announce(reach.nlri, nextHop, reach.afi === 1);
    }
    return out;
  }

  private rib(rec: RibRecord): BgpdumpLine[] {
    const h = rec.header;
    const format = rec.addPath ? 'TABLE_DUMP2_AP' : 'TABLE_DUMP2';
    const prefix = fmtPrefix(rec.prefix);
    const out: BgpdumpLine[] = [];
    rec.entries.forEach((e, entryIndex) => {
      // bgpdump reads a missing peer table entry (undefined behaviour); such entries are left out.
      if (!e.peer) return;
      const peerIp = fmtAddr(e.peer.ip);
      const fields: BgpdumpFields = { ...this.base(h, format, 'B', peerIp, e.peer.asn), prefix };
      if (rec.addPath) fields.pathId = e.pathId ?? 0;
      if (!e.attributes.ok) {
        out.push({ text: '', fields: { ...fields, type: 'ERROR' }, entryIndex, error: e.attributes.reason });
        return;
      }
      const attrs = e.attributes.attributes;
      const reach = findAttr(attrs, 'MP_REACH_NLRI')?.value;
      const v6 = reach?.nextHops[0]?.includes(':') ? reach.nextHops[0] : undefined;
      const nextHop = fmtAddr(v6 ?? findAttr(attrs, 'NEXT_HOP')?.value ?? reach?.nextHops[0] ?? '255.255.255.255');
      const t = { ...tailOf(attrs, true), nextHop };
      Object.assign(fields, t);
      const pathId = rec.addPath ? `${e.pathId ?? 0}|` : '';
      out.push({ text: `${format}|${h.timestamp}|B|${peerIp}|${e.peer.asn}|${prefix}|${pathId}${tailText(t)}`, fields, entryIndex });
    });
    return out;
  }
}
