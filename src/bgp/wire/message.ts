// Whole messages: the header (RFC 4271 §4.1), OPEN (§4.2, RFC 5492, RFC 9072), NOTIFICATION
// (§4.5, RFC 9003), KEEPALIVE (§4.4), ROUTE-REFRESH (RFC 2918, RFC 7313), dispatch to UPDATE.
// Entry points never throw on input: every failure becomes a result.

import { Parser } from 'binary-parser';
import type {
  BgpMessage,
  CodecContext,
  DecodeResult,
  NotificationMessage,
  OpenMessage,
  OptionalParameter,
  PathAttribute,
  RouteRefreshMessage,
  UpdateFinding,
} from './types.js';
import { Reader, Truncated, fromHex, toHex } from './reader.js';
import { CodecError, ERR, HEADER_SUB, OPEN_SUB, fail, notify } from './errors.js';
import { decodeCapabilities, encodeCapability } from './capabilities.js';
import { NO_FINDINGS, decodeUpdateBody, encodeUpdateBody, parseAttributes } from './update.js';
import type { DecodeOptions } from './attributes.js';
import { ipv4ToText, parseIpv4 } from './addr.js';
import { Writer } from './writer.js';

export const HEADER_LEN = 19;
export const MAX_MESSAGE = 4096;
export const MAX_EXTENDED_MESSAGE = 65535;

export function makeContext(p: Partial<CodecContext> = {}): CodecContext {
  return { as4: false, addPath: new Set(), extendedMessage: false, keyedLists: false, ...p };
}

const openLayout = new Parser()
  .endianness('big')
  .uint8('version')
  .uint16('myAs')
  .uint16('holdTime')
  .array('bgpId', { type: 'uint8', length: 4 })
  .uint8('optLen');

/** Smallest and largest valid length per type (RFC 4271 §6.1; RFC 2918 §3). */
/** RFC 8654 §4: extended messages cover every type but OPEN and KEEPALIVE. */
const LENGTH_LIMITS: Record<number, [number, number]> = {
  1: [29, MAX_MESSAGE],
  2: [23, MAX_EXTENDED_MESSAGE],
  3: [21, MAX_EXTENDED_MESSAGE],
  4: [19, 19],
  5: [23, 23],
};

/**
 * Check a header at buf[off..]: the message length and type, or a NOTIFICATION error. Needs 19
 * bytes. Runs once per message, so it reads the three fields by hand after one bounds check
 * (binary-parser's object building costs more than the check itself here).
 */
export function checkHeader(buf: Uint8Array, off: number, ctx: CodecContext): { length: number; type: number } | CodecError {
  const h = headerOf(buf, off, ctx);
  return typeof h === 'number' ? { length: h & 0xffff, type: h >>> 16 } : h;
}

/**
 * checkHeader for framing loops, without an object per message: the length and type as one
 * number, length | type << 16 (headerLength and headerType take it apart), or the error.
 */
export function headerOf(buf: Uint8Array, off: number, ctx: CodecContext): number | CodecError {
  if (off + HEADER_LEN > buf.length) {
    return new CodecError(notify(ERR.HEADER, HEADER_SUB.BAD_LENGTH), `header truncated: ${buf.length - off} of 19 bytes`);
  }
  // RFC 4271 §6.1: the marker must be all ones.
  for (let i = 0; i < 16; i++) {
    if (buf[off + i] !== 0xff) return new CodecError(notify(ERR.HEADER, HEADER_SUB.NOT_SYNCHRONIZED), 'marker not all ones');
  }
  const length = (buf[off + 16]! << 8) | buf[off + 17]!;
  const type = buf[off + 18]!;
  const max = ctx.extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE;
  // RFC 4271 §6.1: a bad length names the length field as data; a bad type names the type.
  if (length < HEADER_LEN || length > max) {
    return new CodecError(notify(ERR.HEADER, HEADER_SUB.BAD_LENGTH, buf.subarray(off + 16, off + 18)), `message length ${length} outside 19..${max}`);
  }
  const limits = LENGTH_LIMITS[type];
  if (!limits) return new CodecError(notify(ERR.HEADER, HEADER_SUB.BAD_TYPE, Uint8Array.of(type)), `message type ${type} unknown`);
  if (length < limits[0] || length > limits[1]) {
    // RFC 7313 §5: a BoRR/EoRR of the wrong length has its own error, with the message as data.
    if (type === 5 && length >= 22 && off + length <= buf.length && (buf[off + 21] === 1 || buf[off + 21] === 2)) {
      return new CodecError(notify(ERR.ROUTE_REFRESH, 1, buf.subarray(off, off + length)), 'ROUTE-REFRESH length not 23');
    }
    return new CodecError(notify(ERR.HEADER, HEADER_SUB.BAD_LENGTH, buf.subarray(off + 16, off + 18)), `length ${length} invalid for type ${type}`);
  }
  return length | (type << 16);
}

/** The message length in a header word of headerOf. */
export const headerLength = (h: number): number => h & 0xffff;
/** The message type in a header word of headerOf. */
export const headerType = (h: number): number => h >>> 16;

function toCodecError(e: unknown): CodecError {
  if (e instanceof CodecError) return e;
  if (e instanceof Truncated) return new CodecError(notify(ERR.HEADER, HEADER_SUB.BAD_LENGTH), e.message);
  // A bug in the codec must still not escape as an exception: report it as a reset.
  return new CodecError(notify(ERR.CEASE, 0), `internal decoder error: ${(e as Error)?.message ?? String(e)}`);
}

/**
 * Decode one whole message at buf[start..] (a session reads several from one buffer). Never
 * throws. A clean UPDATE is decoded where it lies; anything else is decoded from a view of its
 * own (the offsets in reasons and findings count from the message's first byte).
 */
export function decodeMessage(buf: Uint8Array, ctx: CodecContext, start = 0): DecodeResult {
  const h = headerOf(buf, start, ctx);
  if (typeof h !== 'number') return { ok: false, error: h.error, reason: h.message };
  if (buf.length - start < headerLength(h)) {
    return {
      ok: false,
      error: notify(ERR.HEADER, HEADER_SUB.BAD_LENGTH, buf.subarray(start + 16, start + 18)),
      reason: `message truncated: ${buf.length - start} of ${headerLength(h)} bytes`,
    };
  }
  return decodeChecked(buf, ctx, start, h);
}

/**
 * decodeMessage of a message a framing loop has checked: `header` is headerOf's word for the
 * header at buf[start..], and the buffer holds the whole message. Never throws.
 */
export function decodeChecked(buf: Uint8Array, ctx: CodecContext, start: number, header: number): DecodeResult {
  if (start === 0) return decodeBody(buf, 0, header, ctx);
  if (headerType(header) === 2) {
    const r = decodeBody(buf, start, header, ctx);
    if (r.ok && r.findings.length === 0) return r;
  }
  return decodeBody(buf.subarray(start), 0, header, ctx);
}

/** The message of header word `h` at buf[start..] (start is 0 for every type but UPDATE). */
function decodeBody(buf: Uint8Array, start: number, h: number, ctx: CodecContext): DecodeResult {
  const length = headerLength(h);
  try {
    let msg: BgpMessage;
    switch (headerType(h)) {
      case 1:
        msg = decodeOpen(buf, length);
        break;
      case 2:
        return decodeUpdateBody(buf, start + HEADER_LEN, start + length, length, ctx);
      case 3:
        msg = decodeNotification(buf, length);
        break;
      case 4:
        msg = { type: 'KEEPALIVE' };
        break;
      default:
        msg = decodeRouteRefresh(buf);
    }
    return { ok: true, msg, length, findings: NO_FINDINGS };
  } catch (e) {
    const err = toCodecError(e);
    return { ok: false, error: err.error, reason: err.message };
  }
}

/** Decode a path attribute section on its own (MRT RIB entries, tests). Never throws. */
export function decodePathAttributes(
  buf: Uint8Array,
  ctx: CodecContext,
  opts: DecodeOptions = {},
): { ok: true; attributes: PathAttribute[]; findings: UpdateFinding[] } | { ok: false; error: ReturnType<typeof notify>; reason: string } {
  try {
    const parsed = parseAttributes(buf, 0, buf.length, ctx, opts);
    return { ok: true, ...parsed };
  } catch (e) {
    const err = toCodecError(e);
    return { ok: false, error: err.error, reason: err.message };
  }
}

function decodeOpen(buf: Uint8Array, end: number): OpenMessage {
  const r = new Reader(buf, HEADER_LEN, end);
  const f = r.fixed<{ version: number; myAs: number; holdTime: number; bgpId: number[]; optLen: number }>(openLayout, 10);
  // RFC 4271 §6.2: only version 4; the data names the largest version supported.
  if (f.version !== 4) fail(ERR.OPEN, OPEN_SUB.UNSUPPORTED_VERSION, `BGP version ${f.version}`, Uint8Array.of(0, 4));
  // RFC 4271 §6.2: a hold time of one or two seconds is unacceptable.
  if (f.holdTime === 1 || f.holdTime === 2) fail(ERR.OPEN, OPEN_SUB.UNACCEPTABLE_HOLD_TIME, `hold time ${f.holdTime}`);
  const bgpId = ipv4ToText(Uint8Array.from(f.bgpId));
  // RFC 6286 §2.2: the BGP Identifier is a non-zero 4-octet value.
  if (bgpId === '0.0.0.0') fail(ERR.OPEN, OPEN_SUB.BAD_BGP_ID, 'BGP identifier 0');
  const open: OpenMessage = { type: 'OPEN', version: 4, myAs: f.myAs, holdTime: f.holdTime, bgpId, params: [] };
  let extended = false;
  let paramsLen = f.optLen;
  // RFC 9072 §2: a length of 255 followed by a type of 255 introduces 2-octet lengths.
  if (f.optLen === 255 && r.remaining >= 1 && buf[r.pos] === 255) {
    r.skip(1);
    paramsLen = r.u16();
    extended = true;
    open.extendedParams = true;
  }
  // RFC 4271 §6.2: optional parameters that do not exactly fill the OPEN are malformed; no
  // subcode names the case, so it is OPEN Message Error / unspecific (0), as BIRD and FRR send.
  if (paramsLen !== r.remaining) fail(ERR.OPEN, 0, `optional parameters length ${paramsLen} != ${r.remaining}`);
  while (r.remaining > 0) open.params.push(decodeParam(r, extended));
  // RFC 7607 §2: AS 0 as the peer's AS (2-octet field or 4-octet capability) is Bad Peer AS.
  const as4 = open.params.flatMap((p) => ('capabilities' in p ? p.capabilities : [])).find((c) => c.name === 'FOUR_OCTET_AS');
  if (f.myAs === 0 || (as4 && as4.value === 0)) fail(ERR.OPEN, OPEN_SUB.BAD_PEER_AS, 'peer AS 0');
  return open;
}

function decodeParam(r: Reader, extended: boolean): OptionalParameter {
  const type = r.u8();
  const len = extended ? r.u16() : r.u8();
  if (len > r.remaining) fail(ERR.OPEN, 0, 'optional parameter overruns the OPEN');
  const at = r.pos;
  r.skip(len);
  // RFC 5492 §4: type 2 carries capabilities; RFC 4271 §6.2: anything else is unsupported.
  if (type !== 2) fail(ERR.OPEN, OPEN_SUB.UNSUPPORTED_OPT_PARAM, `optional parameter type ${type}`);
  const capabilities = decodeCapabilities(r.buf, at, at + len);
  if (!capabilities) fail(ERR.OPEN, 0, 'capability overruns its optional parameter');
  // `capabilities` first: see OptionalParameter (types.ts).
  return { capabilities, type: 2 };
}

function decodeNotification(buf: Uint8Array, end: number): NotificationMessage {
  const code = buf[HEADER_LEN]!;
  const subcode = buf[HEADER_LEN + 1]!;
  const data = buf.subarray(HEADER_LEN + 2, end);
  const msg: NotificationMessage = { type: 'NOTIFICATION', code, subcode, data: toHex(data) };
  // RFC 9003 §2: Cease/Administrative Shutdown or Reset may carry a length-prefixed UTF-8 text.
  if (code === ERR.CEASE && (subcode === 2 || subcode === 4) && data.length >= 1 && data[0] === data.length - 1) {
    msg.shutdownMessage = new TextDecoder('utf-8').decode(data.subarray(1));
  }
  return msg;
}

function decodeRouteRefresh(buf: Uint8Array): RouteRefreshMessage {
  return {
    type: 'ROUTE_REFRESH',
    afi: (buf[HEADER_LEN]! << 8) | buf[HEADER_LEN + 1]!,
    subtype: buf[HEADER_LEN + 2]!,
    safi: buf[HEADER_LEN + 3]!,
  };
}

/** An RFC 9003 NOTIFICATION data field for a Cease with a shutdown communication. */
export function shutdownData(message: string): string {
  const text = Buffer.from(message, 'utf8').subarray(0, 255);
  return toHex(Buffer.concat([Uint8Array.of(text.length), text]));
}

const TYPE_CODES = { OPEN: 1, UPDATE: 2, NOTIFICATION: 3, KEEPALIVE: 4, ROUTE_REFRESH: 5 } as const;
const sharedWriter = new Writer(8192);

/** Encode a message. Throws RangeError on values that cannot be encoded (a caller's bug). */
export function encodeMessage(msg: BgpMessage, ctx: CodecContext, w: Writer = sharedWriter): Buffer {
  w.pos = 0;
  w.buf.fill(0xff, 0, 16);
  w.pos = 16;
  const lenAt = w.reserve(2);
  w.u8(TYPE_CODES[msg.type]);
  switch (msg.type) {
    case 'OPEN':
      encodeOpen(w, msg);
      break;
    case 'UPDATE':
      encodeUpdateBody(w, msg, ctx);
      break;
    case 'NOTIFICATION':
      w.u8(msg.code);
      w.u8(msg.subcode);
      w.bytes(fromHex(msg.data));
      break;
    case 'KEEPALIVE':
      break;
    case 'ROUTE_REFRESH':
      w.u16(msg.afi);
      w.u8(msg.subtype);
      w.u8(msg.safi);
      break;
  }
  const max = ctx.extendedMessage && msg.type !== 'OPEN' && msg.type !== 'KEEPALIVE' ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE;
  if (w.pos > max) {
    const size = w.pos;
    w.pos = 0;
    throw new RangeError(`${msg.type} of ${size} bytes exceeds ${max}`);
  }
  w.putU16(lenAt, w.pos);
  return w.take();
}

function encodeOpen(w: Writer, msg: OpenMessage): void {
  w.u8(msg.version);
  w.u16(msg.myAs);
  w.u16(msg.holdTime);
  const idAt = w.reserve(4);
  if (!parseIpv4(msg.bgpId, w.buf, idAt)) throw new RangeError(`bad BGP identifier ${msg.bgpId}`);
  const optAt = w.reserve(msg.extendedParams ? 4 : 1);
  const paramsAt = w.pos;
  for (const p of msg.params) {
    w.u8(p.type);
    const lenAt = w.reserve(msg.extendedParams ? 2 : 1);
    if ('capabilities' in p) for (const c of p.capabilities) encodeCapability(w, c);
    else w.bytes(fromHex(p.hex));
    const len = w.pos - lenAt - (msg.extendedParams ? 2 : 1);
    if (msg.extendedParams) w.putU16(lenAt, len);
    else if (len > 255) throw new RangeError('optional parameter over 255 bytes needs extendedParams (RFC 9072)');
    else w.putU8(lenAt, len);
  }
  const total = w.pos - paramsAt;
  if (msg.extendedParams) {
    w.putU8(optAt, 255);
    w.putU8(optAt + 1, 255);
    w.putU16(optAt + 2, total);
  } else if (total > 255) {
    throw new RangeError('optional parameters over 255 bytes need extendedParams (RFC 9072)');
  } else {
    w.putU8(optAt, total);
  }
}
