// Packing route sets into UPDATE messages, and message streams as one buffer plus offsets.
//
// packUpdates groups each RouteSet's prefixes into UPDATEs of at most `maxLen` bytes on the wire,
// as a speaker sending a full table does: IPv4 prefixes in the NLRI field with NEXT_HOP, IPv6
// prefixes in MP_REACH_NLRI (RFC 4760). Sizes are computed here for the attribute types the
// generator makes (4-octet AS_PATH); encodeStream checks them against the encoder's real output.

import type { MpReach, Nlri, PathAttribute, UpdateMessage } from '../../../src/bgp/wire/types.js';
import type { RouteSet } from './fulltable.js';

export const BGP_HEADER = 19;
/** Header, withdrawn-routes length, total-path-attribute length. */
const UPDATE_FIXED = BGP_HEADER + 2 + 2;
const FLAG_EXTENDED_LENGTH = 0x10;

/** Wire size of one prefix of the given length: length octet plus significant bytes. */
export function prefixWireSize(len: number): number {
  return 1 + ((len + 7) >> 3);
}

/** Value size on the wire of an attribute, with 4-octet ASNs when as4. */
export function attrValueSize(a: PathAttribute, as4 = true): number {
  switch (a.name) {
    case 'ORIGIN':
      return 1;
    case 'AS_PATH':
      return a.value.reduce((n, seg) => n + 2 + seg.asns.length * (as4 ? 4 : 2), 0);
    case 'AS4_PATH':
      return a.value.reduce((n, seg) => n + 2 + seg.asns.length * 4, 0);
    case 'NEXT_HOP':
    case 'MULTI_EXIT_DISC':
    case 'LOCAL_PREF':
    case 'ORIGINATOR_ID':
    case 'ONLY_TO_CUSTOMER':
      return 4;
    case 'ATOMIC_AGGREGATE':
      return 0;
    case 'AGGREGATOR':
      return as4 ? 8 : 6;
    case 'AS4_AGGREGATOR':
      return 8;
    case 'COMMUNITIES':
    case 'CLUSTER_LIST':
      return 4 * a.value.length;
    case 'EXTENDED_COMMUNITIES':
      return 8 * a.value.length;
    case 'LARGE_COMMUNITY':
      return 12 * a.value.length;
    default:
      throw new Error(`attrValueSize: attribute ${a.code} (${a.name}) not sized here`);
  }
}

export function attrWireSize(a: PathAttribute, as4 = true): number {
  const v = attrValueSize(a, as4);
  return (v > 255 || (a.flags & FLAG_EXTENDED_LENGTH) !== 0 ? 4 : 3) + v;
}

function ipv6NextHopBytes(nextHops: string[]): number {
  return nextHops.length > 1 ? 32 : 16;
}

/** Withdrawn routes length: 0; attributes and NLRI as computed. */
export interface PackedUpdate {
  msg: UpdateMessage;
  /** Predicted size on the wire. */
  size: number;
  prefixes: number;
}

/**
 * Pack route sets into UPDATEs of at most maxLen bytes (4096 without RFC 8654). Prefix order
 * within a set is kept; each UPDATE carries prefixes of one set only.
 */
export function packUpdates(sets: readonly RouteSet[], maxLen = 4096): PackedUpdate[] {
  const out: PackedUpdate[] = [];
  for (const set of sets) {
    let attrBytes = 0;
    for (const a of set.attributes) attrBytes += attrWireSize(a);
    const n = set.nlri.length;
    if (set.afi === 1) {
      const budget = maxLen - UPDATE_FIXED - attrBytes;
      let start = 0;
      while (start < n) {
        let used = 0;
        let end = start;
        while (end < n && used + prefixWireSize(set.lengths[end]!) <= budget) used += prefixWireSize(set.lengths[end++]!);
        if (end === start) throw new Error('attributes leave no room for a prefix');
        out.push({
          msg: { type: 'UPDATE', withdrawn: [], attributes: set.attributes, nlri: set.nlri.slice(start, end) },
          size: UPDATE_FIXED + attrBytes + used,
          prefixes: end - start,
        });
        start = end;
      }
    } else {
      // MP_REACH_NLRI value: AFI 2, SAFI 1, next-hop length 1, next hops, reserved 1, NLRI.
      const reachFixed = 5 + ipv6NextHopBytes(set.nextHops);
      const sizeWith = (nlriBytes: number): number => {
        const v = reachFixed + nlriBytes;
        return UPDATE_FIXED + attrBytes + (v > 255 ? 4 : 3) + v;
      };
      const insertAt = set.attributes.findIndex((a) => a.code > 14);
      let start = 0;
      while (start < n) {
        let used = 0;
        let end = start;
        while (end < n && sizeWith(used + prefixWireSize(set.lengths[end]!)) <= maxLen) used += prefixWireSize(set.lengths[end++]!);
        if (end === start) throw new Error('attributes leave no room for a prefix');
        const nlri: Nlri[] = set.nlri.slice(start, end);
        const reach: MpReach = { afi: 2, safi: 1, nextHops: set.nextHops, nlri };
        const flags = reachFixed + used > 255 ? 0x80 | FLAG_EXTENDED_LENGTH : 0x80;
        const mp: PathAttribute = { code: 14, name: 'MP_REACH_NLRI', flags, value: reach };
        const attributes = set.attributes.slice();
        attributes.splice(insertAt < 0 ? attributes.length : insertAt, 0, mp);
        out.push({ msg: { type: 'UPDATE', withdrawn: [], attributes, nlri: [] }, size: sizeWith(used), prefixes: end - start });
        start = end;
      }
    }
  }
  return out;
}

/** Whole messages laid end to end: message i is wire[offsets[i], offsets[i + 1]). */
export interface WireStream {
  wire: Buffer;
  offsets: Uint32Array;
  count: number;
}

export function concatMessages(bufs: readonly Uint8Array[]): WireStream {
  let total = 0;
  for (const b of bufs) total += b.length;
  const wire = Buffer.allocUnsafe(total);
  const offsets = new Uint32Array(bufs.length + 1);
  let at = 0;
  bufs.forEach((b, i) => {
    offsets[i] = at;
    wire.set(b, at);
    at += b.length;
  });
  offsets[bufs.length] = at;
  return { wire, offsets, count: bufs.length };
}

/**
 * Encode packed UPDATEs into one stream with the given encoder. Throws if a message is longer
 * than maxLen; `sizeMismatches` counts messages whose length differs from the packer's estimate
 * (a sign that the encoder chose other attribute flags than those asked for).
 */
export function encodeStream(
  packed: readonly PackedUpdate[],
  encode: (m: UpdateMessage) => Uint8Array,
  maxLen = 4096,
): WireStream & { sizeMismatches: number } {
  const bufs: Uint8Array[] = new Array(packed.length);
  let sizeMismatches = 0;
  packed.forEach((p, i) => {
    const b = encode(p.msg);
    if (b.length > maxLen) throw new Error(`message ${i} is ${b.length} bytes, over ${maxLen}`);
    if (b.length !== p.size) sizeMismatches++;
    bufs[i] = b;
  });
  return { ...concatMessages(bufs), sizeMismatches };
}
