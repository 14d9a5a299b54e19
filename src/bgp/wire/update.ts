// UPDATE messages (RFC 4271 §4.3) and the path attribute section, with the error handling of
// RFC 7606: each malformed attribute leads to exactly one of session reset (thrown CodecError),
// treat-as-withdraw or attribute discard (findings), as its descriptor says.

import type { CodecContext, DecodeResult, PathAttribute, UpdateFinding, UpdateMessage } from './types.js';
import { ATTRIBUTES, Bad, FLAG_EXTENDED_LENGTH, FLAG_OPTIONAL, FLAG_TRANSITIVE, encodeAttribute } from './attributes.js';
import type { DecodeOptions, MalformedAction } from './attributes.js';
import { ERR, UPDATE_SUB, fail } from './errors.js';
import { decodeNlriKeys, encodeNlri } from './nlri.js';
import { KeyedUpdate, nlriCount, setNlriField } from './list-fields.js';
import { toHex } from './reader.js';
import type { Writer } from './writer.js';

const MP_REACH = 14;
const MP_UNREACH = 15;

export interface ParsedAttributes {
  attributes: PathAttribute[];
  findings: UpdateFinding[];
}

/**
 * The findings of an UPDATE that has none (nearly every one): one shared list that no one may
 * push to. Not frozen: a loop over a frozen array next to unfrozen ones is not optimised (an
 * iterator object per for-of, three times the time), and every consumer loops over findings.
 */
export const NO_FINDINGS: UpdateFinding[] = [];

// The findings of the parse under way, made at its first finding. Decoding is synchronous and
// every parse starts by clearing it, so one variable serves all (as seenEpoch below).
let found: UpdateFinding[] | undefined;

function report(f: UpdateFinding): void {
  if (found === undefined) found = [f];
  else found.push(f);
}

/** The findings of the parse just done (NO_FINDINGS if none), handed over once. */
function takeFindings(): UpdateFinding[] {
  // A consumer that pushed to the shared list would put its finding on every UPDATE after.
  if (NO_FINDINGS.length !== 0) throw new Error('NO_FINDINGS was written to');
  const f = found ?? NO_FINDINGS;
  found = undefined;
  return f;
}

/** Subcode for a session reset caused by one attribute (RFC 4271 §6.3). */
function resetSubcode(code: number, flagsWrong: boolean): number {
  if (flagsWrong) return UPDATE_SUB.ATTR_FLAGS;
  if (code === 1) return UPDATE_SUB.INVALID_ORIGIN;
  if (code === 2) return UPDATE_SUB.MALFORMED_AS_PATH;
  if (code === MP_REACH || code === MP_UNREACH) return UPDATE_SUB.OPTIONAL_ATTR;
  return UPDATE_SUB.ATTR_LENGTH;
}

function malformed(action: MalformedAction, code: number, reason: string, flagsWrong: boolean, attrBytes: Uint8Array): void {
  if (action === 'session-reset') fail(ERR.UPDATE, resetSubcode(code, flagsWrong), reason, attrBytes);
  report({ action, attrCode: code, reason });
}

/** An UPDATE's attributes are decoded with no options (those are for MRT). */
const NO_OPTIONS: DecodeOptions = Object.freeze({});

// Which attribute codes the current parse has seen: an epoch per parse avoids clearing 256 bytes
// (or allocating them) for every UPDATE. Decoding is synchronous, so one table serves all.
const seenEpoch = new Uint32Array(256);
let epoch = 0;

/** Whether the parse under way met attribute `code`: it is there, or was reported malformed. */
function seen(code: number): boolean {
  return seenEpoch[code] === epoch;
}

/**
 * How many attributes buf[start, end) holds: headers that fit, each one's value skipped. An
 * upper bound of those a parse keeps, so that the list is made at its size (a list grown by
 * push has room for 16 from its first element, twice the bytes an UPDATE's needs).
 */
function countAttributes(b: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let p = start; p < end; n++) {
    const ext = (b[p]! & FLAG_EXTENDED_LENGTH) !== 0;
    if (p + (ext ? 4 : 3) > end) break;
    p += ext ? 4 + ((b[p + 2]! << 8) | b[p + 3]!) : 3 + b[p + 2]!;
  }
  return n;
}

/**
 * Parse the path attribute section buf[start, end). Session-reset errors are thrown as CodecError;
 * the caller (an entry point) turns them into a result.
 */
export function parseAttributes(
  b: Uint8Array,
  start: number,
  end: number,
  ctx: CodecContext,
  opts: DecodeOptions = {},
): ParsedAttributes {
  const attributes = attributesOf(b, start, end, ctx, opts);
  return { attributes, findings: takeFindings() };
}

/** parseAttributes, its findings left for takeFindings(). */
function attributesOf(b: Uint8Array, start: number, end: number, ctx: CodecContext, opts: DecodeOptions): PathAttribute[] {
  found = undefined;
  if (++epoch === 0xffffffff) {
    seenEpoch.fill(0);
    epoch = 1;
  }
  const attributes = new Array<PathAttribute>(countAttributes(b, start, end));
  let n = 0;
  let p = start;
  while (p < end) {
    // RFC 7606 §4: a header or value running past the section is treat-as-withdraw; the Total
    // Path Attribute Length still locates the NLRI field.
    const ext = (b[p]! & FLAG_EXTENDED_LENGTH) !== 0;
    const headLen = ext ? 4 : 3;
    if (p + headLen > end) {
      report({ action: 'treat-as-withdraw', reason: `attribute header truncated at offset ${p}` });
      break;
    }
    const flags = b[p]!;
    const code = b[p + 1]!;
    const len = ext ? (b[p + 2]! << 8) | b[p + 3]! : b[p + 2]!;
    const valueAt = p + headLen;
    if (valueAt + len > end) {
      report({ action: 'treat-as-withdraw', attrCode: code, reason: `attribute ${code} length ${len} overruns the section` });
      break;
    }
    const attrStart = p;
    p = valueAt + len;
    // RFC 7606 §3(g): a repeated MP_REACH/MP_UNREACH is Malformed Attribute List; any other
    // repeated attribute is discarded after its first occurrence.
    if (seenEpoch[code] === epoch) {
      if (code === MP_REACH || code === MP_UNREACH) {
        fail(ERR.UPDATE, UPDATE_SUB.MALFORMED_ATTR_LIST, `attribute ${code} appears twice`);
      }
      report({ action: 'attribute-discard', attrCode: code, reason: `attribute ${code} repeated` });
      continue;
    }
    seenEpoch[code] = epoch;
    const d = ATTRIBUTES[code];
    if (!d) {
      // RFC 4271 §6.3: an unrecognised well-known attribute is an error with the attribute as data.
      if (!(flags & FLAG_OPTIONAL)) {
        fail(ERR.UPDATE, UPDATE_SUB.UNRECOGNIZED_WELL_KNOWN, `unrecognised well-known attribute ${code}`, b.subarray(attrStart, p));
      }
      attributes[n++] = { code, name: 'UNKNOWN', flags, value: toHex(b.subarray(valueAt, valueAt + len)) };
      continue;
    }
    // RFC 7606 §3(c): Optional/Transitive bits in conflict with the type code make the attribute
    // malformed: treat-as-withdraw unless its own specification says otherwise.
    if ((flags & (FLAG_OPTIONAL | FLAG_TRANSITIVE)) !== d.flags) {
      malformed(d.onBadFlags ?? 'treat-as-withdraw', code, `${d.name} flags 0x${flags.toString(16)} wrong`, true, b.subarray(attrStart, p));
      continue;
    }
    const value = d.decode(b, valueAt, len, ctx, opts);
    if (value instanceof Bad) {
      malformed(d.onMalformed, code, value.reason, false, b.subarray(attrStart, p));
      continue;
    }
    attributes[n++] = { code, name: d.name, flags, value } as PathAttribute;
  }
  // Discarded and malformed attributes leave the list shorter than its headers.
  if (n !== attributes.length) attributes.length = n;
  return attributes;
}

export function findAttr<N extends PathAttribute['name']>(
  attrs: readonly PathAttribute[],
  name: N,
): Extract<PathAttribute, { name: N }> | undefined {
  for (const a of attrs) if (a.name === name) return a as Extract<PathAttribute, { name: N }>;
  return undefined;
}

/**
 * Decode the UPDATE of `length` bytes whose body is b[start, end) (`start` just past the header)
 * into its result: the message and its findings.
 */
export function decodeUpdateBody(b: Uint8Array, start: number, end: number, length: number, ctx: CodecContext): DecodeResult<UpdateMessage> {
  const v4AddPath = ctx.addPath.has('1/1');
  const withdrawnLen = (b[start]! << 8) | b[start + 1]!;
  const withdrawnEnd = start + 2 + withdrawnLen;
  // RFC 4271 §6.3: lengths that do not fit the message are Malformed Attribute List.
  if (withdrawnEnd + 2 > end) fail(ERR.UPDATE, UPDATE_SUB.MALFORMED_ATTR_LIST, 'withdrawn routes length overruns the message');
  const attrLen = (b[withdrawnEnd]! << 8) | b[withdrawnEnd + 1]!;
  const attrStart = withdrawnEnd + 2;
  const attrEnd = attrStart + attrLen;
  if (attrEnd > end) fail(ERR.UPDATE, UPDATE_SUB.MALFORMED_ATTR_LIST, 'total path attribute length overruns the message');
  // RFC 7606 §3(i) and §5.3: an unparseable Withdrawn Routes or NLRI field is a session reset.
  const withdrawn = decodeNlriKeys(b, start + 2, withdrawnEnd, 1, v4AddPath);
  if (typeof withdrawn === 'string') fail(ERR.UPDATE, UPDATE_SUB.INVALID_NETWORK, `withdrawn routes: ${withdrawn}`);
  const attributes = attributesOf(b, attrStart, attrEnd, ctx, NO_OPTIONS);
  const nlri = decodeNlriKeys(b, attrEnd, end, 1, v4AddPath);
  if (typeof nlri === 'string') fail(ERR.UPDATE, UPDATE_SUB.INVALID_NETWORK, `NLRI: ${nlri}`);
  checkMandatory(attributes, nlri.count);
  if (ctx.keyedLists === true) return { ok: true, msg: new KeyedUpdate(withdrawn, attributes, nlri), length, findings: takeFindings() };
  // The lists as prefix keys behind their fields (list-fields.ts), in the fields' usual order. An
  // empty literal has room for four fields inside the object (a literal with fields, for just
  // those): type, attributes and the two lists or their keys fit without a property array beside it.
  const msg = {} as UpdateMessage;
  msg.type = 'UPDATE';
  setNlriField(msg, 'withdrawn', withdrawn);
  msg.attributes = attributes;
  setNlriField(msg, 'nlri', nlri);
  return { ok: true, msg, length, findings: takeFindings() };
}

/** RFC 7606 §3(d) with RFC 4760 §4: missing well-known mandatory attributes are treat-as-withdraw. */
function checkMandatory(attrs: PathAttribute[], nlri: number): void {
  // A malformed MP_REACH_NLRI resets the session: seen, it is there.
  const reach = seen(MP_REACH) ? findAttr(attrs, 'MP_REACH_NLRI') : undefined;
  const announces = nlri > 0 || (reach !== undefined && (nlriCount(reach.value, 'nlri') > 0 || reach.value.nlriHex));
  if (!announces) return;
  // The usual case, without a search or an allocation: all three seen (there, or reported).
  if (seen(1) && seen(2) && (nlri === 0 || seen(3))) return;
  // An attribute already reported malformed is not reported missing again.
  const origin = findAttr(attrs, 'ORIGIN') !== undefined || reported(1);
  const asPath = findAttr(attrs, 'AS_PATH') !== undefined || reported(2);
  const nextHop = nlri === 0 || findAttr(attrs, 'NEXT_HOP') !== undefined || reported(3);
  if (origin && asPath && nextHop) return;
  const missing = [origin ? '' : 'ORIGIN', asPath ? '' : 'AS_PATH', nextHop ? '' : 'NEXT_HOP'].filter((n) => n !== '');
  report({ action: 'treat-as-withdraw', reason: `missing well-known attribute(s) ${missing.join(', ')}` });
}

/** Whether the parse under way has a finding about attribute `code`. */
function reported(code: number): boolean {
  if (found) for (const f of found) if (f.attrCode === code) return true;
  return false;
}

export function encodeUpdateBody(w: Writer, msg: UpdateMessage, ctx: CodecContext): void {
  const addPath = ctx.addPath.has('1/1');
  const wAt = w.reserve(2);
  encodeNlri(w, 1, msg.withdrawn, addPath);
  w.putU16(wAt, w.pos - wAt - 2);
  const aAt = w.reserve(2);
  for (const attr of msg.attributes) encodeAttribute(w, attr, ctx);
  w.putU16(aAt, w.pos - aAt - 2);
  encodeNlri(w, 1, msg.nlri, addPath);
}

/** End-of-RIB (RFC 4724 §2): the family it marks, or undefined if the UPDATE is not one. */
export function endOfRib(msg: UpdateMessage): { afi: number; safi: number } | undefined {
  if (nlriCount(msg, 'withdrawn') || nlriCount(msg, 'nlri')) return undefined;
  if (msg.attributes.length === 0) return { afi: 1, safi: 1 };
  const only = msg.attributes[0];
  if (msg.attributes.length === 1 && only && only.name === 'MP_UNREACH_NLRI') {
    const v = only.value;
    if (nlriCount(v, 'withdrawn') === 0 && !v.nlriHex) return { afi: v.afi, safi: v.safi };
  }
  return undefined;
}
