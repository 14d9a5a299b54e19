// What the receive path's economies (src/bgp/wire/update.ts, message.ts) must not change: the
// shared empty findings list, findings and attribute lists made per parse, the mandatory-attribute
// check answered from the parse's seen codes, AS 0 checked while the path is read, the header as
// one number, and the decoded UPDATE as plain data with its own enumerable list accessors.
import test from 'ava';
import fc from 'fast-check';

import { checkHeader, CodecError, decodeMessage, encodeMessage, headerLength, headerOf, headerType, makeContext, wireKeys } from '../src/bgp/wire/index.js';
import type { DecodeResult, UpdateFinding, UpdateMessage } from '../src/bgp/wire/index.js';
import { NO_FINDINGS } from '../src/bgp/wire/update.js';

const ctx = makeContext({ as4: true });

/** A whole UPDATE from its withdrawn, path attribute and NLRI sections. */
function update(attrs: number[], nlri: number[] = [], withdrawn: number[] = []): Uint8Array {
  const body = [withdrawn.length >> 8, withdrawn.length & 255, ...withdrawn, attrs.length >> 8, attrs.length & 255, ...attrs, ...nlri];
  const len = 19 + body.length;
  return Uint8Array.from([...new Array<number>(16).fill(0xff), len >> 8, len & 255, 2, ...body]);
}

const ORIGIN = [0x40, 1, 1, 0];
const AS_PATH = [0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9]; // AS_SEQUENCE 65001
const NEXT_HOP = [0x40, 3, 4, 192, 0, 2, 1];
const PREFIX = [24, 198, 51, 100];

function decodeUpdate(bytes: Uint8Array): { msg: UpdateMessage; findings: UpdateFinding[] } {
  const r = decodeMessage(bytes, ctx);
  if (!r.ok || r.msg.type !== 'UPDATE') throw new Error(`did not decode: ${r.ok ? r.msg.type : r.reason}`);
  return { msg: r.msg, findings: r.findings };
}

test.serial('a clean UPDATE has no findings; one with findings has a list of its own, not the shared empty one', (t) => {
  const clean = decodeUpdate(update([...ORIGIN, ...AS_PATH, ...NEXT_HOP], PREFIX));
  t.deepEqual(clean.findings, []);
  const bad = decodeUpdate(update([...ORIGIN, ...ORIGIN, ...AS_PATH, ...NEXT_HOP], PREFIX));
  const worse = decodeUpdate(update([...AS_PATH, ...NEXT_HOP], PREFIX));
  t.deepEqual(bad.findings, [{ action: 'attribute-discard', attrCode: 1, reason: 'attribute 1 repeated' }]);
  t.deepEqual(worse.findings, [{ action: 'treat-as-withdraw', reason: 'missing well-known attribute(s) ORIGIN' }]);
  t.deepEqual(decodeUpdate(update([...ORIGIN, ...AS_PATH, ...NEXT_HOP], PREFIX)).findings, [], 'earlier findings do not leak into a later UPDATE');
  t.is(NO_FINDINGS.length, 0);
  const open = decodeMessage(encodeMessage({ type: 'KEEPALIVE' }, ctx), ctx);
  t.true(open.ok && open.findings.length === 0);
});

test.serial('a consumer that writes to the shared empty findings makes the next UPDATE fail loudly, not carry its finding', (t) => {
  NO_FINDINGS.push({ action: 'attribute-discard', reason: 'written by a consumer' });
  let r: DecodeResult;
  try {
    r = decodeMessage(update([...ORIGIN, ...AS_PATH, ...NEXT_HOP], PREFIX), ctx);
  } finally {
    NO_FINDINGS.length = 0;
  }
  t.false(r.ok);
  if (!r.ok) t.regex(r.reason, /NO_FINDINGS was written to/);
});

test('the attribute list is exactly the attributes kept, without holes, when some are discarded', (t) => {
  const aggregatorAs0 = [0xc0, 7, 8, 0, 0, 0, 0, 192, 0, 2, 1]; // RFC 7607: discarded
  const { msg, findings } = decodeUpdate(update([...ORIGIN, ...aggregatorAs0, ...AS_PATH, ...ORIGIN, ...NEXT_HOP], PREFIX));
  t.deepEqual(
    msg.attributes.map((a) => a.name),
    ['ORIGIN', 'AS_PATH', 'NEXT_HOP'],
  );
  t.is(msg.attributes.length, 3);
  t.true([0, 1, 2].every((i) => i in msg.attributes));
  t.deepEqual(
    findings.map((f) => f.attrCode),
    [7, 1],
  );
});

test('AS 0 is reported only for a path that is otherwise well formed (RFC 7607 after RFC 7606 §7.2)', (t) => {
  const zeroThenOverrun = [0x40, 2, 10, 2, 1, 0, 0, 0, 0, 2, 2, 0, 0]; // AS 0, then a segment cut short
  const zeroOnly = [0x40, 2, 6, 2, 1, 0, 0, 0, 0];
  const zeroInSecond = [0x40, 2, 12, 2, 1, 0, 0, 0xfd, 0xe9, 1, 1, 0, 0, 0, 0];
  t.deepEqual(decodeUpdate(update([...ORIGIN, ...zeroThenOverrun, ...NEXT_HOP], PREFIX)).findings, [
    { action: 'treat-as-withdraw', attrCode: 2, reason: 'AS_PATH segment overruns the attribute' },
  ]);
  for (const path of [zeroOnly, zeroInSecond]) {
    t.deepEqual(decodeUpdate(update([...ORIGIN, ...path, ...NEXT_HOP], PREFIX)).findings, [{ action: 'treat-as-withdraw', attrCode: 2, reason: 'AS 0 in the path' }]);
  }
});

// ---- The mandatory-attribute check against a reference (RFC 7606 §3(d), RFC 4760 §4) ----

type State = 'absent' | 'ok' | 'malformed' | 'bad-flags' | 'repeated';
const WELL_KNOWN = [
  { name: 'ORIGIN', ok: ORIGIN, malformed: [0x40, 1, 1, 7] },
  { name: 'AS_PATH', ok: AS_PATH, malformed: [0x40, 2, 3, 9, 1, 0] },
  { name: 'NEXT_HOP', ok: NEXT_HOP, malformed: [0x40, 3, 3, 192, 0, 2] },
] as const;
const MP_REACH_V6 = [0x80, 14, 26, 0, 2, 1, 16, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 32, 0x20, 1, 0x0d, 0xb8];

function attrBytes(i: number, state: State): number[][] {
  const w = WELL_KNOWN[i]!;
  if (state === 'absent') return [];
  if (state === 'ok') return [[...w.ok]];
  if (state === 'malformed') return [[...w.malformed]];
  if (state === 'bad-flags') return [[0xc0, ...w.ok.slice(1)]];
  return [[...w.ok], [...w.ok]];
}

test('missing well-known attributes are found as by a search of the list, whatever else is there (fast-check)', (t) => {
  const stateArb = fc.constantFrom<State>('absent', 'ok', 'malformed', 'bad-flags', 'repeated');
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.tuple(stateArb, stateArb, stateArb), fc.boolean(), fc.boolean(), fc.nat(), (states, v4, mp, seed) => {
        const parts = states.flatMap((s, i) => attrBytes(i, s));
        if (mp) parts.push(MP_REACH_V6);
        // Attributes in any order: the check must not depend on where they are.
        for (let i = parts.length - 1; i > 0; i--) {
          const j = (seed + i * 7919) % (i + 1);
          [parts[i], parts[j]] = [parts[j]!, parts[i]!];
        }
        const { findings } = decodeUpdate(update(parts.flat(), v4 ? PREFIX : []));
        const announces = v4 || mp;
        const missing = WELL_KNOWN.map((w) => w.name).filter((name, i) => announces && states[i] === 'absent' && (name !== 'NEXT_HOP' || v4));
        const want = missing.length ? [`missing well-known attribute(s) ${missing.join(', ')}`] : [];
        const got = findings.filter((f) => f.attrCode === undefined).map((f) => f.reason);
        const others = findings.filter((f) => f.attrCode !== undefined).length;
        return JSON.stringify(got) === JSON.stringify(want) && others === states.filter((s) => s !== 'absent' && s !== 'ok').length;
      }),
      { numRuns: 600, seed: 0x5eed_d5 },
    ),
  );
});

// ---- The header as one number ----

test('headerOf and checkHeader agree on every header, good or bad (fast-check)', (t) => {
  const lengthArb = fc.oneof(fc.nat({ max: 0xffff }), fc.integer({ min: 19, max: 4200 }), fc.constantFrom(19, 21, 22, 23, 24, 29, 4096, 4097));
  const headerArb = fc.tuple(fc.boolean(), lengthArb, fc.nat({ max: 7 }), fc.nat({ max: 255 }), fc.boolean(), fc.nat({ max: 24 })).map(([marker, length, type, sub, ext, cut]) => {
    const b = new Uint8Array(40).fill(0);
    b.fill(marker ? 0xff : 0xfe, 3, 19);
    b[19] = length >> 8;
    b[20] = length & 255;
    b[21] = type;
    b[24] = sub & 3;
    return { buf: b.subarray(0, 40 - cut), ext };
  });
  t.notThrows(() =>
    fc.assert(
      fc.property(headerArb, ({ buf, ext }) => {
        const c = makeContext({ extendedMessage: ext });
        const word = headerOf(buf, 3, c);
        const h = checkHeader(buf, 3, c);
        if (typeof word !== 'number') return h instanceof CodecError && JSON.stringify(h.error) === JSON.stringify(word.error) && h.message === word.message;
        return !(h instanceof CodecError) && h.length === headerLength(word) && h.type === headerType(word);
      }),
      { numRuns: 3000, seed: 0x5eed_4ead },
    ),
  );
});

// ---- The decoded UPDATE as plain data ----

test('a decoded UPDATE has its lists as own enumerable accessors, the message and MP_REACH alike', (t) => {
  const { msg } = decodeUpdate(update([...ORIGIN, ...AS_PATH, ...NEXT_HOP, ...MP_REACH_V6], PREFIX, [16, 10, 1]));
  const lists: [object, 'nlri' | 'withdrawn'][] = [
    [msg, 'nlri'],
    [msg, 'withdrawn'],
    [msg.attributes[3]!.value as object, 'nlri'],
  ];
  for (const [holder, field] of lists) {
    const d = Object.getOwnPropertyDescriptor(holder, field);
    t.true(d !== undefined && d.enumerable === true && typeof d.get === 'function', `${field} is an own enumerable accessor`);
    t.not(wireKeys(holder, field), undefined);
  }
  t.deepEqual(Object.getPrototypeOf(msg), Object.prototype);
  t.deepEqual(JSON.parse(JSON.stringify(msg)), {
    type: 'UPDATE',
    withdrawn: [{ prefix: '10.1.0.0/16' }],
    attributes: [
      { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' },
      { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: [65001] }] },
      { code: 3, name: 'NEXT_HOP', flags: 0x40, value: '192.0.2.1' },
      { code: 14, name: 'MP_REACH_NLRI', flags: 0x80, value: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: [{ prefix: '2001:db8::/32' }] } },
    ],
    nlri: [{ prefix: '198.51.100.0/24' }],
  });
  t.deepEqual({ ...msg }, JSON.parse(JSON.stringify(msg)) as UpdateMessage, 'a spread copy is the plain message');
});
