// AS_PATH and AS4_PATH (RFC 4271 §4.3, RFC 5065 §3 for confederation segments, RFC 6793).

import type { AsPathSegment, AsPathSegmentType } from './types.js';
import type { Writer } from './writer.js';
import { numberList } from './number-list.js';

export const AS_TRANS = 23456;

const SEGMENT_TYPES: (AsPathSegmentType | undefined)[] = [
  undefined,
  'AS_SET',
  'AS_SEQUENCE',
  'AS_CONFED_SEQUENCE',
  'AS_CONFED_SET',
];
const SEGMENT_CODES: Record<AsPathSegmentType, number> = {
  AS_SET: 1,
  AS_SEQUENCE: 2,
  AS_CONFED_SEQUENCE: 3,
  AS_CONFED_SET: 4,
};

/**
 * Decode segments of 2- or 4-octet ASNs from buf[start, end); a string says why it is malformed.
 * RFC 7607 §2: AS 0 anywhere in AS_PATH or AS4_PATH makes it malformed; checked as the ASNs are
 * read, and reported only for a path that is otherwise well formed.
 */
export function decodeAsPath(buf: Uint8Array, start: number, end: number, asSize: 2 | 4): AsPathSegment[] | string {
  // Made at a second segment: the usual path has one, returned in a list of its own size.
  let segments: AsPathSegment[] | undefined;
  let zero = false;
  let p = start;
  while (p < end) {
    if (p + 2 > end) return 'AS_PATH segment header truncated';
    const type = SEGMENT_TYPES[buf[p]!];
    const count = buf[p + 1]!;
    // RFC 7606 §7.2: an unrecognised segment type or a zero segment length is malformed.
    if (type === undefined) return `AS_PATH segment type ${buf[p]} unknown`;
    if (count === 0) return 'AS_PATH segment of length 0';
    p += 2;
    if (p + count * asSize > end) return 'AS_PATH segment overruns the attribute';
    const asns = numberList();
    if (asSize === 4) {
      for (let i = 0; i < count; i++, p += 4) {
        const asn = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
        if (asn === 0) zero = true;
        asns.push(asn);
      }
    } else {
      for (let i = 0; i < count; i++, p += 2) {
        const asn = (buf[p]! << 8) | buf[p + 1]!;
        if (asn === 0) zero = true;
        asns.push(asn);
      }
    }
    if (p === end && segments === undefined) return zero ? AS_ZERO : [{ type, asns }];
    (segments ??= []).push({ type, asns });
  }
  return zero ? AS_ZERO : (segments ?? []);
}

const AS_ZERO = 'AS 0 in the path';

export function encodeAsPath(w: Writer, segments: readonly AsPathSegment[], asSize: 2 | 4): void {
  for (const seg of segments) {
    const asns = seg.asns;
    // A segment holds at most 255 ASNs; longer lists go out as consecutive segments.
    let from = 0;
    do {
      const to = Math.min(asns.length, from + 255);
      w.u8(SEGMENT_CODES[seg.type]);
      w.u8(to - from);
      for (let i = from; i < to; i++) {
        const asn = asns[i]!;
        if (asSize === 4) w.u32(asn);
        else w.u16(asn > 0xffff ? AS_TRANS : asn);
      }
      from = to;
    } while (from < asns.length);
  }
}

/** Path length for best-path selection: an AS_SET counts 1, confederation segments 0 (RFC 5065 §5.3). */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const seg of segments) {
    if (seg.type === 'AS_SEQUENCE') n += seg.asns.length;
    else if (seg.type === 'AS_SET') n += 1;
  }
  return n;
}

/**
 * RFC 6793 §4.2.3: rebuild the real path from AS_PATH (2-octet, with AS_TRANS) and AS4_PATH.
 * Confederation segments in AS4_PATH are ignored (§6). If AS_PATH is shorter than AS4_PATH the
 * AS4_PATH is ignored; otherwise the leading AS_PATH entries not covered by AS4_PATH are kept
 * in front of AS4_PATH.
 */
export function mergeAsPath(
  asPath: readonly AsPathSegment[] | undefined,
  as4Path: readonly AsPathSegment[] | undefined,
): AsPathSegment[] {
  const base = (asPath ?? []).map(copySegment);
  if (!as4Path) return base;
  const as4 = as4Path.filter((s) => s.type === 'AS_SEQUENCE' || s.type === 'AS_SET').map(copySegment);
  const have = asPathLength(base);
  const want = asPathLength(as4);
  if (have < want) return base;
  let keep = have - want;
  const merged: AsPathSegment[] = [];
  for (const seg of base) {
    if (keep === 0 && seg.type !== 'AS_CONFED_SEQUENCE' && seg.type !== 'AS_CONFED_SET') break;
    if (seg.type === 'AS_SEQUENCE') {
      const take = Math.min(keep, seg.asns.length);
      merged.push({ type: seg.type, asns: seg.asns.slice(0, take) });
      keep -= take;
    } else if (seg.type === 'AS_SET') {
      merged.push(seg);
      keep -= 1;
    } else {
      merged.push(seg);
    }
  }
  // Join the kept head and AS4_PATH where two sequences meet.
  const last = merged[merged.length - 1];
  const first = as4[0];
  if (last && first && last.type === 'AS_SEQUENCE' && first.type === 'AS_SEQUENCE') {
    last.asns.push(...first.asns);
    return [...merged, ...as4.slice(1)];
  }
  return [...merged, ...as4];
}

function copySegment(s: AsPathSegment): AsPathSegment {
  return { type: s.type, asns: s.asns.slice() };
}
