// Minimal MRT framing walk (RFC 6396 §4.4, RFC 8050) for benchmarks: pulls the BGP messages out
// of BGP4MP / BGP4MP_ET MESSAGE records, with what the codec needs to know to decode each (4-octet
// ASNs, ADD-PATH). Not the project's MRT reader (src/mrt): no validation beyond bounds, other
// record types are counted and skipped.

import { concatMessages, type WireStream } from './updates.js';

const BGP4MP = 16;
const BGP4MP_ET = 17;

// BGP4MP subtypes that carry a BGP message: [as4, addPath].
const MESSAGE_SUBTYPES = new Map<number, readonly [boolean, boolean]>([
  [1, [false, false]], // MESSAGE
  [4, [true, false]], // MESSAGE_AS4
  [6, [false, false]], // MESSAGE_LOCAL
  [7, [true, false]], // MESSAGE_AS4_LOCAL
  [8, [false, true]], // MESSAGE_ADDPATH
  [9, [true, true]], // MESSAGE_AS4_ADDPATH
  [10, [false, true]], // MESSAGE_LOCAL_ADDPATH
  [11, [true, true]], // MESSAGE_AS4_LOCAL_ADDPATH
]);

export interface MrtMessages extends WireStream {
  /** Per message: bit 0 as4, bit 1 add-path (IPv4 / IPv6 unicast, by the record's AFI). */
  flags: Uint8Array;
  /** Per message: the AFI of the record's peer addresses (1 or 2). */
  afis: Uint8Array;
  records: number;
  skipped: number;
}

export function walkMrtMessages(data: Uint8Array): MrtMessages {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const bufs: Uint8Array[] = [];
  const flags: number[] = [];
  const afis: number[] = [];
  let records = 0;
  let skipped = 0;
  let at = 0;
  while (at + 12 <= data.length) {
    const type = dv.getUint16(at + 4);
    const subtype = dv.getUint16(at + 6);
    const length = dv.getUint32(at + 8);
    let p = at + 12;
    const end = p + length;
    if (end > data.length) throw new Error(`MRT record at ${at} runs past the end`);
    records++;
    at = end;
    const kind = MESSAGE_SUBTYPES.get(subtype);
    if ((type !== BGP4MP && type !== BGP4MP_ET) || kind === undefined) {
      skipped++;
      continue;
    }
    if (type === BGP4MP_ET) p += 4;
    const [as4, addPath] = kind;
    p += as4 ? 8 : 4; // peer AS, local AS
    p += 2; // interface index
    const afi = dv.getUint16(p);
    p += 2;
    p += afi === 2 ? 32 : 8; // peer and local address
    if (p + 19 > end) throw new Error(`MRT record at ${at - length - 12} too short for a BGP message`);
    bufs.push(data.subarray(p, end));
    flags.push((as4 ? 1 : 0) | (addPath ? 2 : 0));
    afis.push(afi);
  }
  return { ...concatMessages(bufs), flags: Uint8Array.from(flags), afis: Uint8Array.from(afis), records, skipped };
}
