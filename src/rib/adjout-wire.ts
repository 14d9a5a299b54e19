// The Adj-RIB-Out's UPDATE bytes: the attributes of a message are written in its place in the
// batch first (with no NLRI, which also tells their size), and the prefixes are written into those
// bytes as they are chosen, from the prefix table, without an Nlri object or text per prefix.

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
 * The messages of one nextBatch() written one after another into one buffer, made at the first
 * message (a batch may find nothing to send) with room for the whole batch, or the caller's
 * scratch buffer when it has that room: no buffer or view is made per message.
 */
export class BatchBuffer {
  buf: Buffer = EMPTY_BUFFER;
  /** The end of the messages written so far. */
  at = 0;
  messages = 0;

  constructor(
    private readonly capacity: number,
    private readonly scratch: Buffer = EMPTY_BUFFER,
  ) {}

  /**
   * Where the next message goes (the buffer made if not yet): a message may be written there
   * before its size is known, and reserved after (the caller leaves room for its largest).
   */
  next(): number {
    if (this.buf.length === 0) this.buf = this.scratch.length >= this.capacity ? this.scratch : Buffer.allocUnsafe(this.capacity);
    return this.at;
  }

  /** The offset of the next `n` bytes, for one message. */
  reserve(n: number): number {
    const at = this.next();
    // The caller sizes the batch to stop before this: a message past it is a bug, not a new buffer.
    if (at + n > this.buf.length) throw new Error(`batch of ${this.buf.length} octets has no room for ${n} more at ${at}`);
    this.at += n;
    this.messages++;
    return at;
  }

  /** A message encoded elsewhere, copied in; its length. */
  add(message: Buffer): number {
    // Reserved first: the first message makes the buffer.
    const at = this.reserve(message.length);
    message.copy(this.buf, at);
    return message.length;
  }

  /** The messages written, each as a view (RFC 4271 §4.1: each header's Length field gives its end). */
  views(): Buffer[] {
    const out: Buffer[] = [];
    for (let at = 0; at < this.at; ) {
      const len = this.buf.readUInt16BE(at + 16);
      if (len < 19) throw new Error(`batch message of ${len} octets at ${at}`);
      out.push(this.buf.subarray(at, at + len));
      at += len;
    }
    return out;
  }
}

/** RFC 4271 §4.1: a 2-octet field, big-endian (by hand: Buffer.writeUInt16BE checks its arguments). */
function u16(buf: Buffer, at: number, v: number): void {
  buf[at] = v >>> 8;
  buf[at + 1] = v;
}

/**
 * An IPv4 UPDATE is its attributes-only encoding followed by the NLRI field (RFC 4271 §4.3): the
 * head already at buf[at, at + headLen) (written in its place), the prefixes are appended to it.
 * `size` is the message's final length, computed while choosing the prefixes.
 */
export function appendIpv4Nlri(buf: Buffer, at: number, headLen: number, size: number, write: NlriWriter): void {
  const end = write(buf, at + headLen);
  if (end !== at + size) throw new Error(`UPDATE size ${end - at} differs from the computed ${size}`);
  // RFC 4271 §4.1: the header's Length field counts the whole message.
  u16(buf, at + 16, size);
}

/**
 * An IPv6 UPDATE: the prefixes go inside MP_REACH_NLRI (RFC 4760 §3), which the head (at buf[at,
 * at + headLen), as appendIpv4Nlri's) has with a 2-octet length and no NLRI. The attributes after
 * it move up to open a gap at its end, the prefixes are written into the gap, and the three
 * lengths that contain it grow by the same amount: the attribute's, Total Path Attribute Length,
 * and the message's (RFC 4271 §4.1, §4.3).
 */
export function insertMpReachNlri(buf: Buffer, at: number, headLen: number, size: number, write: NlriWriter): void {
  const attrsAt = at + 19 + 2 + buf.readUInt16BE(at + 19) + 2;
  const attrsEnd = attrsAt + buf.readUInt16BE(attrsAt - 2);
  let p = attrsAt;
  while (p < attrsEnd) {
    const extended = (buf[p]! & FLAG_EXTENDED_LENGTH) !== 0;
    const len = extended ? buf.readUInt16BE(p + 2) : buf[p + 2]!;
    if (buf[p + 1] === 14) break;
    p += (extended ? 4 : 3) + len;
  }
  if (p >= attrsEnd || (buf[p]! & FLAG_EXTENDED_LENGTH) === 0) throw new Error('MP_REACH_NLRI with a 2-octet length expected');
  const mpLen = buf.readUInt16BE(p + 2);
  const gapAt = p + 4 + mpLen;
  const grow = size - headLen;
  // The attributes after MP_REACH_NLRI (none, or a few), moved within the buffer: no view, no copy out.
  if (gapAt < at + headLen) buf.copyWithin(gapAt + grow, gapAt, at + headLen);
  const w = write(buf, gapAt);
  if (w !== gapAt + grow) throw new Error(`NLRI of ${w - gapAt} octets, ${grow} computed`);
  u16(buf, p + 2, mpLen + grow);
  u16(buf, attrsAt - 2, attrsEnd - attrsAt + grow);
  u16(buf, at + 16, size);
}

/**
 * A withdrawal written from the prefix keys into buf[at, at + size), as the encoder writes one
 * (byte for byte): IPv4 prefixes in Withdrawn Routes and no attributes (RFC 4271 §4.3); IPv6 ones
 * in MP_UNREACH_NLRI with a 2-octet length, AFI 2, SAFI 1 (RFC 4760 §4). `size` is the message's
 * length, computed while choosing the prefixes.
 */
export function writeWithdrawal(afi: 1 | 2, buf: Buffer, at: number, size: number, write: NlriWriter): void {
  buf.fill(0xff, at, at + 16);
  buf.writeUInt16BE(size, at + 16);
  buf[at + 18] = 2;
  let end: number;
  if (afi === 1) {
    end = write(buf, at + 21);
    buf.writeUInt16BE(end - at - 21, at + 19);
    end = buf.writeUInt16BE(0, end);
  } else {
    buf.writeUInt16BE(0, at + 19);
    const attrs = size - HEADER_AND_LENGTHS;
    buf.writeUInt16BE(attrs, at + 21);
    const p = at + 23;
    buf[p] = MP_FLAGS;
    buf[p + 1] = 15;
    buf.writeUInt16BE(attrs - 4, p + 2);
    buf.writeUInt16BE(2, p + 4);
    buf[p + 6] = 1;
    end = write(buf, p + 7);
  }
  if (end !== at + size) throw new Error(`withdrawal of ${end - at} octets, ${size} computed`);
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
