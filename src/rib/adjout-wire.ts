// The Adj-RIB-Out's UPDATE bytes: the attributes of a group are encoded once (with no NLRI, which
// also tells their size), and the prefixes are written into those bytes as they are chosen, from
// the prefix table, without an Nlri object or text per prefix.

import { encodeMessage, FLAG_EXTENDED_LENGTH, FLAG_OPTIONAL } from '../bgp/wire/index.js';
import type { CodecContext, Nlri, PathAttribute, UpdateMessage } from '../bgp/wire/index.js';

/** Header, Withdrawn Routes Length and Total Path Attribute Length. */
export const HEADER_AND_LENGTHS = 19 + 2 + 2;
/** MP_UNREACH_NLRI with a 2-octet length: flags, type, length, AFI, SAFI. */
export const MP_UNREACH_OVERHEAD = 4 + 3;
export const MP_FLAGS = FLAG_OPTIONAL | FLAG_EXTENDED_LENGTH;

/** Writes a group's prefixes at buf[at] and returns the offset after them. */
export type NlriWriter = (buf: Buffer, at: number) => number;

const EMPTY_BUFFER = Buffer.alloc(0);

/**
 * The messages of one nextBatch() written one after another into one buffer and handed out as
 * views of it: no buffer per message, and the socket is given the batch in one write (the
 * session's writeAll joins adjacent views without copying).
 */
export class BatchBuffer {
  /** Made at the first message (a batch may find nothing to send). */
  private buf = EMPTY_BUFFER;
  private at = 0;

  constructor(private readonly capacity: number) {}

  /** The next `n` bytes, as a view to write one message into (a new buffer when these are full). */
  take(n: number): Buffer {
    if (this.at + n > this.buf.length) {
      this.buf = Buffer.allocUnsafe(Math.max(n, this.capacity));
      this.at = 0;
    }
    const view = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return view;
  }

  /** A message encoded elsewhere, copied in. */
  add(message: Buffer): Buffer {
    const view = this.take(message.length);
    message.copy(view);
    return view;
  }
}

/**
 * An IPv4 UPDATE is its attributes-only encoding followed by the NLRI field (RFC 4271 §4.3), so
 * the prefixes are appended to the bytes already encoded for sizing instead of encoding the
 * attributes a second time. `buf` is the message's room: its length is the final size, computed
 * while choosing the prefixes.
 */
export function withIpv4Nlri(head: Buffer, buf: Buffer, write: NlriWriter): Buffer {
  const size = buf.length;
  head.copy(buf, 0);
  const at = write(buf, head.length);
  if (at !== size) throw new Error(`UPDATE size ${at} differs from the computed ${size}`);
  // RFC 4271 §4.1: the header's Length field counts the whole message.
  buf.writeUInt16BE(size, 16);
  return buf;
}

/**
 * An IPv6 UPDATE: the prefixes go inside MP_REACH_NLRI (RFC 4760 §3), which toWire emits with
 * a 2-octet length and no NLRI. They are written into a gap opened at the end of that attribute,
 * and the three lengths that contain it grow by the same amount: the attribute's, Total Path
 * Attribute Length, and the message's (RFC 4271 §4.1, §4.3).
 */
export function withMpReachNlri(head: Buffer, buf: Buffer, write: NlriWriter): Buffer {
  const size = buf.length;
  const attrsAt = 19 + 2 + head.readUInt16BE(19) + 2;
  const attrsEnd = attrsAt + head.readUInt16BE(attrsAt - 2);
  let at = attrsAt;
  while (at < attrsEnd) {
    const extended = (head[at]! & FLAG_EXTENDED_LENGTH) !== 0;
    const len = extended ? head.readUInt16BE(at + 2) : head[at + 2]!;
    const end = at + (extended ? 4 : 3) + len;
    if (head[at + 1] === 14) break;
    at = end;
  }
  if (at >= attrsEnd || (head[at]! & FLAG_EXTENDED_LENGTH) === 0) throw new Error('MP_REACH_NLRI with a 2-octet length expected');
  const gapAt = at + 4 + head.readUInt16BE(at + 2);
  const grow = size - head.length;
  head.copy(buf, 0, 0, gapAt);
  const w = write(buf, gapAt);
  if (w !== gapAt + grow) throw new Error(`NLRI of ${w - gapAt} octets, ${grow} computed`);
  head.copy(buf, w, gapAt);
  buf.writeUInt16BE(head.readUInt16BE(at + 2) + grow, at + 2);
  buf.writeUInt16BE(head.readUInt16BE(attrsAt - 2) + grow, attrsAt - 2);
  buf.writeUInt16BE(size, 16);
  return buf;
}

/** RFC 4724 §2: an UPDATE with nothing in it (IPv4) or an empty MP_UNREACH_NLRI. */
export function endOfRibMessage(afi: 1 | 2): UpdateMessage {
  if (afi === 1) return { type: 'UPDATE', withdrawn: [], attributes: [], nlri: [] };
  return { type: 'UPDATE', withdrawn: [], attributes: [mpUnreach([], FLAG_OPTIONAL)], nlri: [] };
}

/** The encoded message, or undefined when the encoder refuses it as too large (RangeError). */
export function encodeOrUndefined(msg: UpdateMessage, codec: CodecContext): Buffer | undefined {
  try {
    return encodeMessage(msg, codec);
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}

export function mpUnreach(withdrawn: Nlri[], flags: number): PathAttribute {
  return { code: 15, name: 'MP_UNREACH_NLRI', flags, value: { afi: 2, safi: 1, withdrawn } };
}
