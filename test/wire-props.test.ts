// Property tests of the BGP wire codec: the decoders never throw on any input, and every valid
// message survives encode -> decode unchanged.
import test from 'ava';
import fc from 'fast-check';
import { decodeMessage, decodePathAttributes, encodeMessage, makeContext } from '../src/bgp/wire/index.js';
import type { BgpMessage, CodecContext, DecodeResult } from '../src/bgp/wire/index.js';
import { contextArb, messageWithContextArb, updateArb } from './helpers/wire-arbitraries.js';

const SEED = 0x5eed_b69;
const RUNS = 2000;

/** JSON text with object keys sorted, so that member order does not matter; drops `undefined`. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/** A decode result has one of the two documented shapes. */
function wellFormed(r: DecodeResult): boolean {
  if (r.ok) return typeof r.msg === 'object' && Array.isArray(r.findings) && Number.isInteger(r.length);
  return (
    Number.isInteger(r.error.code) &&
    Number.isInteger(r.error.subcode) &&
    typeof r.error.data === 'string' &&
    /^([0-9a-f]{2})*$/.test(r.error.data) &&
    typeof r.reason === 'string'
  );
}

function header(length: number, type: number): Uint8Array {
  const h = new Uint8Array(19).fill(0xff);
  h[16] = length >> 8;
  h[17] = length & 0xff;
  h[18] = type;
  return h;
}

test('decodeMessage never throws on arbitrary bytes', (t) => {
  t.notThrows(() =>
    fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), contextArb, (bytes, ctx) => {
      return wellFormed(decodeMessage(bytes, ctx));
    }),
    { seed: SEED, numRuns: RUNS },
    ),
  );
});

test('decodeMessage never throws on arbitrary bodies behind a valid header of any type', (t) => {
  t.notThrows(() =>
    fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 600 }),
      fc.oneof(fc.integer({ min: 1, max: 5 }), fc.nat({ max: 255 })),
      contextArb,
      (body, type, ctx) => {
        const buf = new Uint8Array(19 + body.length);
        buf.set(header(buf.length, type));
        buf.set(body, 19);
        return wellFormed(decodeMessage(buf, ctx));
      },
    ),
    { seed: SEED + 1, numRuns: RUNS },
    ),
  );
});

test('decodeMessage never throws on UPDATE bodies with plausible framing and random attributes', (t) => {
  // Withdrawn length 0, a correct Total Path Attribute Length, then random attribute bytes built
  // from (flags, code, length, value) triples whose lengths are often right and sometimes not.
  const triple = fc.record({
    flags: fc.constantFrom(0x40, 0x50, 0x80, 0x90, 0xc0, 0xd0, 0xe0, 0x00, 0xff),
    code: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.nat({ max: 255 })),
    value: fc.uint8Array({ maxLength: 40 }),
    lie: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }),
  });
  t.notThrows(() =>
    fc.assert(
    fc.property(fc.array(triple, { maxLength: 8 }), fc.uint8Array({ maxLength: 40 }), contextArb, (attrs, nlri, ctx) => {
      const parts: number[] = [];
      for (const a of attrs) {
        const len = Math.max(0, a.value.length + a.lie);
        parts.push(a.flags, a.code);
        if (a.flags & 0x10) parts.push(len >> 8, len & 0xff);
        else parts.push(len & 0xff);
        parts.push(...a.value);
      }
      const body = [0, 0, parts.length >> 8, parts.length & 0xff, ...parts, ...nlri];
      const buf = new Uint8Array(19 + body.length);
      buf.set(header(buf.length, 2));
      buf.set(body, 19);
      const r = decodeMessage(buf, ctx);
      const p = decodePathAttributes(Uint8Array.from(parts), ctx);
      return wellFormed(r) && (p.ok ? Array.isArray(p.attributes) : Number.isInteger(p.error.code));
    }),
    { seed: SEED + 2, numRuns: RUNS },
    ),
  );
});

test('decodePathAttributes never throws on arbitrary bytes', (t) => {
  t.notThrows(() =>
    fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), contextArb, (bytes, ctx) => {
      const r = decodePathAttributes(bytes, ctx);
      return r.ok ? Array.isArray(r.attributes) && Array.isArray(r.findings) : Number.isInteger(r.error.code);
    }),
    { seed: SEED + 3, numRuns: RUNS },
    ),
  );
});

test('decodePathAttributes in MRT RIB mode never throws on arbitrary bytes', (t) => {
  t.notThrows(() =>
    fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), contextArb, fc.constantFrom(1, 2), (bytes, ctx, afi) => {
      const r = decodePathAttributes(bytes, ctx, { mrtRib: true, afi, safi: 1 });
      return r.ok ? Array.isArray(r.attributes) : Number.isInteger(r.error.code);
    }),
    { seed: SEED + 4, numRuns: RUNS },
    ),
  );
});

test('decodeMessage never throws on valid messages with bytes flipped', (t) => {
  t.notThrows(() =>
    fc.assert(
    fc.property(
      messageWithContextArb,
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }),
      ({ ctx, msg }, flips) => {
        const buf = Uint8Array.from(encodeMessage(msg, ctx));
        // Keep the marker, so that the damage reaches the body decoders.
        for (const [at, v] of flips) if (buf.length > 16) buf[16 + (at % (buf.length - 16))] = v;
        return wellFormed(decodeMessage(buf, ctx));
      },
    ),
    { seed: SEED + 5, numRuns: RUNS },
    ),
  );
});

function roundTrip(ctx: CodecContext, msg: BgpMessage): string | undefined {
  const bytes = encodeMessage(msg, ctx);
  if (bytes.length > (ctx.extendedMessage ? 65535 : 4096)) return `encoded ${bytes.length} octets`;
  const r = decodeMessage(bytes, ctx);
  if (!r.ok) return `decode failed: ${JSON.stringify(r.error)} ${r.reason}`;
  if (r.length !== bytes.length) return `length ${r.length} != ${bytes.length}`;
  if (msg.type === 'UPDATE' && r.findings.length > 0) return `findings ${JSON.stringify(r.findings)}`;
  const a = canonical(r.msg);
  const b = canonical(msg);
  return a === b ? undefined : `decoded ${a}\n  want ${b}`;
}

test('every valid message of every kind round-trips through encode and decode', (t) => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(messageWithContextArb, ({ ctx, msg }) => {
      seen.add(msg.type);
      const err = roundTrip(ctx, msg);
      if (err !== undefined) throw new Error(err);
    }),
    { seed: SEED + 6, numRuns: RUNS },
  );
  t.deepEqual([...seen].sort(), ['KEEPALIVE', 'NOTIFICATION', 'OPEN', 'ROUTE_REFRESH', 'UPDATE']);
});

test('valid UPDATEs round-trip in every session context, with no findings', (t) => {
  for (const as4 of [false, true]) {
    for (const addPath of [[], ['1/1'], ['2/1'], ['1/1', '2/1']]) {
      const ctx = makeContext({ as4, addPath: new Set(addPath) });
      t.notThrows(() =>
        fc.assert(
          fc.property(updateArb(ctx), (msg) => {
            const err = roundTrip(ctx, msg);
            if (err !== undefined) throw new Error(err);
          }),
          { seed: SEED + 7, numRuns: 300 },
        ),
      );
    }
  }
});
