// The receive side of a connection (src/bgp/session/transport-conn.ts over the codec): messages
// are decoded where they lie in the read buffer (decodeMessage with a start offset) and a message
// split across reads is completed from the next one. Whatever the split, every message must be
// reported once, in order, exactly as decoding it alone gives it; damaged messages too.
import test from 'ava';
import fc from 'fast-check';
import net from 'node:net';

import { Connection } from '../src/bgp/session/transport-conn.js';
import type { SessionEvent } from '../src/bgp/session/types.js';
import { decodeMessage, encodeMessage, ipv4ToText, ipv6ToText } from '../src/bgp/wire/index.js';
import type { BgpMessage, CodecContext } from '../src/bgp/wire/index.js';
import { contextArb, messageWithContextArb, updateArb, v4Text, v6Text } from './helpers/wire-arbitraries.js';

const SEED = 0x5eed_4e4;

/** JSON text with object keys sorted (member order does not matter); drops `undefined`. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/** `msg` encoded, maybe damaged from byte `from` on (flips), between `pad` leading and trailing junk bytes. */
function embedded(ctx: CodecContext, msg: BgpMessage, flips: [number, number][], pad: number, from = 16): { buf: Uint8Array; start: number } {
  const bytes = Uint8Array.from(encodeMessage(msg, ctx));
  for (const [at, v] of flips) if (bytes.length > from) bytes[from + (at % (bytes.length - from))] = v;
  const buf = new Uint8Array(pad + bytes.length + pad).fill(0xa5);
  buf.set(bytes, pad);
  return { buf, start: pad };
}

test('a message decoded in place equals the message decoded alone, damaged ones included (fast-check)', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        messageWithContextArb,
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 3 }),
        fc.integer({ min: 1, max: 40 }),
        ({ ctx, msg }, flips, pad) => {
          const { buf, start } = embedded(ctx, msg, flips, pad);
          const inPlace = decodeMessage(buf, ctx, start);
          const alone = decodeMessage(buf.slice(start), ctx);
          return canonical(inPlace) === canonical(alone);
        },
      ),
      { seed: SEED, numRuns: 2000 },
    ),
  );
});

/** Turns of the event loop until `count()` has stayed the same for three (at most `max`). */
async function settled(count: () => number, max = 10_000): Promise<void> {
  for (let idle = 0, last = -1, turns = 0; idle < 3 && turns < max; turns++) {
    await new Promise((resolve) => setImmediate(resolve));
    const n = count();
    idle = n === last ? idle + 1 : 0;
    last = n;
  }
}

/**
 * What a Connection reports, in order: UPDATEs through its update handler, the rest as events
 * (a read's messages come a slice a turn: the turns until it reports no more are waited for).
 */
async function feed(ctx: CodecContext, stream: Uint8Array, cuts: number[]): Promise<string[]> {
  const seen: string[] = [];
  const socket = new net.Socket();
  const conn = new Connection(socket, 'inbound', () => ctx, {
    event: (ev: SessionEvent) => {
      seen.push(canonical(ev));
      if (ev.type === 'BGPHeaderErr') conn.close();
    },
    update: (msg, findings) => seen.push(canonical({ type: 'UpdateMsg', msg, findings })),
    closed: () => undefined,
    drain: () => undefined,
  });
  let off = 0;
  for (const cut of [...cuts.map((c) => c % (stream.length + 1)).sort((a, b) => a - b), stream.length]) {
    if (cut < off) continue;
    socket.emit('data', Buffer.from(stream.subarray(off, cut)));
    off = cut;
  }
  await settled(() => seen.length);
  socket.destroy();
  return seen;
}

/** The events the messages of a stream are, each decoded from its own bytes. */
function expected(ctx: CodecContext, parts: Uint8Array[]): string[] {
  return parts.map((p) => {
    const r = decodeMessage(p, ctx);
    if (r.ok && r.msg.type === 'UPDATE') return canonical({ type: 'UpdateMsg', msg: r.msg, findings: r.findings });
    if (!r.ok) return canonical({ type: r.error.code === 2 ? 'BGPOpenMsgErr' : r.error.code === 3 ? 'UpdateMsgErr' : 'BGPHeaderErr', error: r.error, reason: r.reason });
    return 'other';
  });
}

test('UPDATEs cut anywhere across reads are reported once each, in order, as decoded alone (fast-check)', async (t) => {
  const scenario = contextArb.chain((ctx) =>
    fc.record({
      ctx: fc.constant(ctx),
      msgs: fc.array(fc.tuple(updateArb(ctx), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 1 }), fc.nat({ max: 3 })), { minLength: 1, maxLength: 8 }),
      cuts: fc.array(fc.nat(), { maxLength: 12 }),
    }),
  );
  await t.notThrowsAsync(() =>
    fc.assert(
      fc.asyncProperty(scenario, async ({ ctx, msgs, cuts }) => {
        // Some UPDATEs damaged in their body, past the header (findings, or an UPDATE error after
        // which the Connection alone reads on; the FSM would close).
        const parts = msgs.map(([m, flips, damage]) => embedded(ctx, m, damage === 0 ? flips : [], 0, 19).buf);
        const got = await feed(ctx, Uint8Array.from(Buffer.concat(parts)), cuts);
        return canonical(got) === canonical(expected(ctx, parts));
      }),
      { seed: SEED + 1, numRuns: 500 },
    ),
  );
});

test('a read of many UPDATEs is reported a slice a turn, in order, other callbacks running between slices', async (t) => {
  const ctx = { as4: true, addPath: new Set<string>(), extendedMessage: false };
  const updates = Array.from({ length: 2000 }, (_, i) =>
    encodeMessage({ type: 'UPDATE', withdrawn: [{ prefix: `10.${i >> 8}.${i & 255}.0/24` }], attributes: [], nlri: [] }, ctx),
  );
  const reported: string[] = [];
  const socket = new net.Socket();
  const conn = new Connection(socket, 'inbound', () => ctx, {
    event: () => undefined,
    update: (msg) => reported.push(msg.withdrawn[0]!.prefix),
    closed: () => undefined,
    drain: () => undefined,
  });
  // One read of ~54 KB, then a message split across it and the next read.
  const all = Buffer.concat(updates);
  const cut = all.length - 10;
  socket.emit('data', all.subarray(0, cut));
  const inFirstTurn = reported.length;
  const perTurn: number[] = [];
  await settled(() => {
    perTurn.push(reported.length);
    return reported.length;
  });
  t.true(inFirstTurn > 0 && inFirstTurn < 1999, `first turn reported ${inFirstTurn}`);
  t.true(perTurn.some((n) => n > inFirstTurn && n < 1999), 'a later turn reported part of the rest');
  t.is(reported.length, 1999, 'every whole message of the read, the split one not yet');
  socket.emit('data', all.subarray(cut));
  await settled(() => reported.length);
  t.deepEqual(reported, updates.map((_, i) => `10.${i >> 8}.${i & 255}.0/24`));
  conn.close();
  socket.destroy();
});

test('a bad marker after good messages is a header error once the good ones are reported, split or not', async (t) => {
  const ctx = { as4: true, addPath: new Set<string>(), extendedMessage: false };
  const ka = encodeMessage({ type: 'KEEPALIVE' }, ctx);
  const bad = Buffer.from(ka);
  bad[3] = 0;
  const stream = Uint8Array.from(Buffer.concat([ka, ka, bad, ka]));
  for (const cuts of [[], [5], [19, 30], [40, 41, 42]]) {
    const got = await feed(ctx, stream, cuts);
    t.is(got.length, 3, `cuts ${cuts.join(',')}`);
    t.true(got[2]!.includes('"BGPHeaderErr"') && got[2]!.includes('marker'));
  }
});

test('offsets in findings and errors count from the message, wherever it lies in the buffer', (t) => {
  const ctx = { as4: true, addPath: new Set<string>(), extendedMessage: false };
  // UPDATE: no withdrawals, a 2-octet attribute section holding half an attribute header.
  const body = [0, 0, 0, 2, 0x40, 0x01];
  const msg = Uint8Array.from([...new Array<number>(16).fill(0xff), 0, 19 + body.length, 2, ...body]);
  const buf = new Uint8Array(7 + msg.length);
  buf.set(msg, 7);
  const alone = decodeMessage(msg, ctx);
  t.true(alone.ok && alone.findings.some((f) => f.reason === 'attribute header truncated at offset 23'));
  t.deepEqual(decodeMessage(buf, ctx, 7), alone);
  // NLRI with a prefix length over 32: a session reset whose reason names the offset.
  const nlri = Uint8Array.from([...new Array<number>(16).fill(0xff), 0, 25, 2, 0, 0, 0, 0, 40, 1]);
  const inBuf = new Uint8Array(3 + nlri.length);
  inBuf.set(nlri, 3);
  t.deepEqual(decodeMessage(inBuf, ctx, 3), decodeMessage(nlri, ctx));
  t.like(decodeMessage(inBuf, ctx, 3), { ok: false, reason: 'NLRI: prefix length 40 > 32 at offset 23' });
});

test('IPv4 address text is the address\'s own whatever its cache slot held before (fast-check)', (t) => {
  // Addresses that differ in one octet, and repeats, so that slots are hit, missed and replaced.
  const addr = fc.tuple(fc.constantFrom(0, 10, 192, 255), fc.nat({ max: 3 }), fc.nat({ max: 255 }), fc.constantFrom(0, 1, 254));
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(addr, { minLength: 1, maxLength: 400 }), fc.nat({ max: 5 }), (list, off) => {
        const buf = new Uint8Array(off + 4);
        for (const a of list) {
          buf.set(a, off);
          if (ipv4ToText(buf, off) !== v4Text(a)) return false;
        }
        return true;
      }),
      { seed: SEED + 2, numRuns: 300 },
    ),
  );
});

test('IPv6 address text is the address\'s own whatever its cache slot held before (fast-check)', (t) => {
  // Many addresses that differ only in one 16-bit word (any of the eight, so any of the cache's
  // four key words), zero runs and IPv4-mapped ones among them: more than the cache has slots,
  // so that slots are hit, missed and replaced by addresses a word apart; read twice over.
  const word = fc.constantFrom(0, 1, 0xffff, 0xfe80, 0x2001);
  const family = fc.record({
    base: fc.array(word, { minLength: 8, maxLength: 8 }),
    at: fc.nat({ max: 7 }),
    values: fc.array(fc.nat({ max: 0xffff }), { minLength: 1, maxLength: 200 }),
  });
  t.notThrows(() =>
    fc.assert(
      fc.property(family, fc.nat({ max: 5 }), ({ base, at, values }, off) => {
        const buf = new Uint8Array(off + 16);
        for (let pass = 0; pass < 2; pass++) {
          for (const v of [0, ...values]) {
            const a = base.map((w, i) => (i === at ? v : w)).flatMap((x) => [x >> 8, x & 255]);
            buf.set(a, off);
            if (ipv6ToText(buf, off) !== v6Text(a)) return false;
          }
        }
        return true;
      }),
      { seed: SEED + 3, numRuns: 200 },
    ),
  );
});
