// The codec's two forms of an NLRI list (src/bgp/wire/nlri.ts, list-fields.ts): the prefix keys the
// RIB reads (wireKeys) and the Nlri objects every other reader sees through the lazily built field.
// They must name the same prefixes on every UPDATE of the shared captures and on random fields; a
// decoded message must look like a plain one to JSON, deepEqual, spreading and assignment, and a
// keyed one (the session's) to JSON, reads and assignment.
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { decodeMessage, decodeNlri, decodeNlriKeys, encodeMessage, findAttr, makeContext, nlriCount, wireKeys } from '../src/bgp/wire/index.js';
import type { Nlri, UpdateMessage } from '../src/bgp/wire/index.js';
import { loadMrtFile } from '../src/mrt/input.js';
import { readMrt } from '../src/mrt/reader.js';
import { PrefixTable } from '../src/rib/ptable.js';
import { v4Text, v6Text } from './helpers/wire-arbitraries.js';

const root = path.resolve(fileURLToPath(import.meta.url), '../../..');
const dataDir = path.resolve(root, '../shared/data/mrt');

type Field = 'nlri' | 'withdrawn';
type Holder = { [K in Field]?: Nlri[] };

/** Every prefix list of a decoded UPDATE with its family: the message's own and MP_REACH/MP_UNREACH's. */
function lists(msg: UpdateMessage): { afi: number; holder: Holder; field: Field }[] {
  const out: { afi: number; holder: Holder; field: Field }[] = [
    { afi: 1, holder: msg, field: 'withdrawn' },
    { afi: 1, holder: msg, field: 'nlri' },
  ];
  const reach = findAttr(msg.attributes, 'MP_REACH_NLRI');
  if (reach && reach.value.nlriHex === undefined) out.push({ afi: reach.value.afi, holder: reach.value, field: 'nlri' });
  const unreach = findAttr(msg.attributes, 'MP_UNREACH_NLRI');
  if (unreach && unreach.value.nlriHex === undefined) out.push({ afi: unreach.value.afi, holder: unreach.value, field: 'withdrawn' });
  return out;
}

/**
 * The keys of one list, read before the list itself, against the Nlri objects read after: the
 * same count, and the prefix table finds the same prefix and path id from either. Returns a
 * failure text or undefined.
 */
function compareForms(afi: number, holder: Holder, field: Field, tables: Record<number, PrefixTable>): string | undefined {
  const count = nlriCount(holder, field);
  const keys = wireKeys(holder, field);
  if (count > 0 && !keys) return `no keys behind a list of ${count}`;
  const list = holder[field] ?? [];
  if (list.length !== count) return `count ${count} but ${list.length} Nlri`;
  if (wireKeys(holder, field) !== undefined) return 'keys still offered after the list was read';
  if (holder[field] !== list) return 'a second read built another list';
  if (!keys) return undefined;
  const table = tables[afi]!;
  for (let i = 0, o = keys.start; i < list.length; i++, o += keys.stride) {
    const id = table.acquire(list[i]!.prefix);
    const byKey = table.findKey(keys.keys, o, keys.keys[o + keys.stride - 2]!);
    if (id < 0 || byKey !== id) return `${list[i]!.prefix}: text id ${id}, key id ${byKey}`;
    if (keys.keys[o + keys.stride - 1] !== (list[i]!.pathId ?? 0)) return `${list[i]!.prefix}: path id differs`;
  }
  return undefined;
}

const captures = readdirSync(dataDir).sort();

for (const keyedLists of [false, true]) {
  test(`keys and Nlri text name the same prefixes in every UPDATE of the shared captures${keyedLists ? ' (keyed holders)' : ''}`, (t) => {
    let prefixes = 0;
    for (const name of captures) {
      const tables = { 1: new PrefixTable('ipv4'), 2: new PrefixTable('ipv6') };
      for (const rec of readMrt(loadMrtFile(path.join(dataDir, name)))) {
        if (rec.kind !== 'message') continue;
        const ctx = makeContext({ as4: rec.as4, addPath: new Set(rec.addPathFamilies), extendedMessage: true, keyedLists });
        const r = decodeMessage(rec.message, ctx);
        if (!r.ok || r.msg.type !== 'UPDATE') continue;
        for (const l of lists(r.msg)) {
          prefixes += nlriCount(l.holder, l.field);
          const bad = compareForms(l.afi, l.holder, l.field, tables);
          if (bad) return t.fail(`${name} record at ${rec.header.offset}: ${bad}`);
        }
      }
    }
    t.true(prefixes > 10_000, `only ${prefixes} prefixes in the captures`);
  });
}

// ---- Random fields against an independent reference decoder ----

/** The NLRI field decoded the plain way: text of the significant bytes zero-filled, host bits kept. */
function reference(b: Uint8Array, afi: number, addPath: boolean): Nlri[] | 'malformed' {
  const out: Nlri[] = [];
  const size = afi === 1 ? 4 : 16;
  for (let p = 0; p < b.length; ) {
    let pathId: number | undefined;
    if (addPath) {
      if (p + 5 > b.length) return 'malformed';
      pathId = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
      p += 4;
    }
    const len = b[p]!;
    const n = Math.ceil(len / 8);
    if (len > size * 8 || p + 1 + n > b.length) return 'malformed';
    const addr = new Uint8Array(size);
    addr.set(b.subarray(p + 1, p + 1 + n));
    const prefix = `${afi === 1 ? v4Text(addr) : v6Text(addr)}/${len}`;
    out.push(pathId === undefined ? { prefix } : { prefix, pathId });
    p += 1 + n;
  }
  return out;
}

/** One prefix as on the wire, host bits random, its length anywhere up to the family's maximum. */
const wirePrefix = (afi: number, addPath: boolean): fc.Arbitrary<number[]> =>
  fc
    .tuple(fc.integer({ min: 0, max: afi === 1 ? 32 : 128 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat({ max: 0xffffffff }))
    .map(([len, bytes, id]) => [
      ...(addPath ? [id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255] : []),
      len,
      ...bytes.subarray(0, Math.ceil(len / 8)),
    ]);

const fieldArb = fc
  .tuple(fc.constantFrom(1, 2), fc.boolean())
  .chain(([afi, addPath]) =>
    fc.record({
      afi: fc.constant(afi),
      addPath: fc.constant(addPath),
      bytes: fc.oneof(
        { weight: 4, arbitrary: fc.array(wirePrefix(afi, addPath), { maxLength: 40 }).map((ps) => Uint8Array.from(ps.flat())) },
        // Anything at all: lengths over the maximum, fields cut short.
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }) },
      ),
    }),
  );

test('decodeNlri and the keys agree with a plain reference decoder on random fields (fast-check)', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fieldArb, fc.nat({ max: 7 }), ({ afi, addPath, bytes }, pad) => {
        // The field inside a larger buffer, as it sits in a message.
        const buf = new Uint8Array(pad + bytes.length + 3);
        buf.set(bytes, pad);
        const want = reference(bytes, afi, addPath);
        const got = decodeNlri(buf, pad, pad + bytes.length, afi, addPath);
        if (want === 'malformed') return typeof got === 'string';
        const keys = decodeNlriKeys(buf, pad, pad + bytes.length, afi, addPath);
        return typeof keys !== 'string' && keys.count === want.length && JSON.stringify(got) === JSON.stringify(want) && JSON.stringify(keys.toList()) === JSON.stringify(want);
      }),
      { numRuns: 3000, seed: 0x5eed_4e1 },
    ),
  );
});

test('lists that straddle the key arena stay intact while many more are decoded', (t) => {
  // 12,000 prefixes (36,000 key words) in one extended UPDATE: more than one arena holds.
  const nlri = Array.from({ length: 12_000 }, (_, i) => ({ prefix: `10.${i >> 8}.${i & 255}.0/24` }));
  const attributes: UpdateMessage['attributes'] = [
    { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' },
    { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: [65001] }] },
    { code: 3, name: 'NEXT_HOP', flags: 0x40, value: '192.0.2.1' },
  ];
  const ctx = makeContext({ as4: true, extendedMessage: true });
  const big = encodeMessage({ type: 'UPDATE', withdrawn: [], attributes, nlri: nlri.slice(0, 6000) }, ctx);
  const small = encodeMessage({ type: 'UPDATE', withdrawn: [], attributes, nlri: nlri.slice(0, 3) }, ctx);
  const kept: UpdateMessage[] = [];
  for (let i = 0; i < 40; i++) {
    const r = decodeMessage(i % 4 === 0 ? big : small, ctx);
    if (!r.ok || r.msg.type !== 'UPDATE') return t.fail('did not decode');
    kept.push(r.msg);
  }
  const table = new PrefixTable('ipv4');
  for (const [i, msg] of kept.entries()) {
    const bad = compareForms(1, msg, 'nlri', { 1: table });
    if (bad) return t.fail(`message ${i}: ${bad}`);
    t.deepEqual(msg.nlri, nlri.slice(0, i % 4 === 0 ? 6000 : 3));
  }
});

/** An UPDATE with a list in every place one goes (ADD-PATH for IPv6), and a decoder to it from its bytes. */
const SAMPLE: UpdateMessage = {
  type: 'UPDATE',
  withdrawn: [{ prefix: '198.51.100.0/24' }],
  attributes: [
    { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' },
    { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: [65001] }] },
    { code: 3, name: 'NEXT_HOP', flags: 0x40, value: '192.0.2.1' },
    { code: 14, name: 'MP_REACH_NLRI', flags: 0x90, value: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: [{ prefix: '2001:db8:1::/48', pathId: 7 }], reserved: 3 } },
    { code: 15, name: 'MP_UNREACH_NLRI', flags: 0x90, value: { afi: 2, safi: 1, withdrawn: [{ prefix: '2001:db8:2::/48', pathId: 9 }] } },
  ],
  nlri: [{ prefix: '203.0.113.0/24' }, { prefix: '10.0.0.0/8' }],
};
const decoder = (keyedLists: boolean) => {
  const ctx = makeContext({ addPath: new Set(['2/1']), keyedLists });
  return (m: UpdateMessage = SAMPLE): UpdateMessage => {
    const r = decodeMessage(encodeMessage(m, ctx), ctx);
    if (!r.ok || r.msg.type !== 'UPDATE') throw new Error('did not decode');
    return r.msg;
  };
};

/** The list read is the list kept (its keys no longer offered), and an assigned list is what counts. */
function readAndAssigned(t: ExecutionContext, decode: () => UpdateMessage): void {
  const msg = decode();
  msg.nlri.push({ prefix: '192.0.2.0/24' });
  t.is(msg.nlri.length, 3, 'the list read is the list kept');
  t.is(wireKeys(msg, 'nlri'), undefined);
  const other = decode();
  other.nlri = [];
  t.deepEqual(other.nlri, []);
  t.is(nlriCount(other, 'nlri'), 0, 'an assigned list counts, not the keys behind it');
}

test('a decoded UPDATE reads like a plain object: JSON, deepEqual, spread, key order, assignment', (t) => {
  const ctx = makeContext({ addPath: new Set(['2/1']) });
  const plain = SAMPLE;
  const decode = decoder(false);
  t.is(JSON.stringify(decode()), JSON.stringify(plain));
  t.deepEqual(decode(), plain);
  t.deepEqual({ ...decode() }, plain);
  t.deepEqual(Object.keys(decode()), ['type', 'withdrawn', 'attributes', 'nlri']);
  readAndAssigned(t, decode);
  const empty = decodeMessage(encodeMessage({ type: 'UPDATE', withdrawn: [], attributes: [], nlri: [] }, ctx), ctx);
  if (empty.ok && empty.msg.type === 'UPDATE') t.not(empty.msg.nlri, empty.msg.withdrawn, 'empty lists are arrays of their own');
});

test('a keyed UPDATE (the session decodes so) reads, assigns and serialises as a plain one, with no list defined on it', (t) => {
  const plain = SAMPLE;
  const decode = decoder(true);
  const ctx = makeContext({ addPath: new Set(['2/1']) });
  const eager = decodeMessage(encodeMessage(plain, ctx), ctx);
  t.is(JSON.stringify(decode()), JSON.stringify(plain));
  t.is(JSON.stringify(decode()), JSON.stringify(eager.ok && eager.msg));
  const msg = decode();
  t.deepEqual(Object.keys(msg), ['type', 'attributes'], 'the lists are on the prototype: nothing defined per message');
  t.deepEqual([msg.withdrawn, msg.nlri], [plain.withdrawn, plain.nlri]);
  const reach = findAttr(msg.attributes, 'MP_REACH_NLRI')!.value;
  const unreach = findAttr(msg.attributes, 'MP_UNREACH_NLRI')!.value;
  t.deepEqual([reach.nlri, reach.reserved, unreach.withdrawn], [[{ prefix: '2001:db8:1::/48', pathId: 7 }], 3, [{ prefix: '2001:db8:2::/48', pathId: 9 }]]);
  t.truthy(wireKeys(decode(), 'nlri'), 'keys offered until the field is read');
  readAndAssigned(t, decode);
  // Empty lists: keys of their own per message, so a list built from one is that message's alone.
  const a = decode({ type: 'UPDATE', withdrawn: [], attributes: [], nlri: [] });
  const b = decode({ type: 'UPDATE', withdrawn: [], attributes: [], nlri: [] });
  a.nlri.push({ prefix: '192.0.2.0/24' });
  t.deepEqual([b.nlri, b.withdrawn, a.withdrawn], [[], [], []]);
  t.not(a.nlri, a.withdrawn);
  t.is(nlriCount(b, 'nlri'), 0);
});
