// NLRI lists (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3): the per-prefix hot path of the codec.

import type { Nlri } from './types.js';
import { Writer } from './writer.js';
import { wordsToText, writePrefix } from './addr.js';


/**
 * Decode prefixes from buf[start, end). Returns the list, or a string saying why it is malformed:
 * a prefix length over the family's maximum or bytes running past `end` (RFC 4271 §6.3,
 * RFC 7606 §5.3: both make the field unparseable; the caller picks the NOTIFICATION).
 */
export function decodeNlri(buf: Uint8Array, start: number, end: number, afi: number, addPath: boolean): Nlri[] | string {
  const out: Nlri[] = [];
  const max = afi === 1 ? 32 : 128;
  let p = start;
  while (p < end) {
    let pathId = 0;
    if (addPath) {
      if (p + 4 > end) return `path identifier truncated at offset ${p}`;
      pathId = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
      p += 4;
      if (p >= end) return `prefix missing after path identifier at offset ${p}`;
    }
    const len = buf[p]!;
    if (len > max) return `prefix length ${len} > ${max} at offset ${p}`;
    const n = (len + 7) >> 3;
    if (p + 1 + n > end) return `prefix /${len} runs past the field at offset ${p}`;
    const prefix = afi === 1 ? ipv4Prefix(buf, p + 1, n, len) : ipv6Prefix(buf, p + 1, n, len);
    out.push(addPath ? { prefix, pathId } : { prefix });
    p += 1 + n;
  }
  return out;
}

function ipv4Prefix(b: Uint8Array, o: number, n: number, len: number): string {
  switch (n) {
    case 0:
      return `0.0.0.0/${len}`;
    case 1:
      return `${b[o]}.0.0.0/${len}`;
    case 2:
      return `${b[o]}.${b[o + 1]}.0.0/${len}`;
    case 3:
      return `${b[o]}.${b[o + 1]}.${b[o + 2]}.0/${len}`;
    default:
      return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}/${len}`;
  }
}

const words = new Array<number>(8);

function ipv6Prefix(b: Uint8Array, o: number, n: number, len: number): string {
  for (let i = 0; i < 8; i++) {
    const hi = 2 * i < n ? b[o + 2 * i]! : 0;
    const lo = 2 * i + 1 < n ? b[o + 2 * i + 1]! : 0;
    words[i] = (hi << 8) | lo;
  }
  return `${wordsToText(words)}/${len}`;
}

/** Encode prefixes (with path identifiers when addPath); throws on text that is not a prefix. */
export function encodeNlri(w: Writer, afi: number, list: readonly Nlri[], addPath: boolean): void {
  for (let i = 0; i < list.length; i++) {
    const item = list[i]!;
    if (addPath) w.u32(item.pathId ?? 0);
    const at = w.reserve(17);
    const n = writePrefix(afi, item.prefix, w.buf, at);
    if (n < 0) throw new RangeError(`not an ${afi === 1 ? 'IPv4' : 'IPv6'} prefix: ${item.prefix}`);
    w.pos = at + n;
  }
}
