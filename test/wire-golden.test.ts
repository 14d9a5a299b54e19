// Golden hex <-> JSON pairs for the BGP wire codec. The hex in test/golden/wire/*.json is laid out
// by hand from the RFCs (test/golden/wire/generate.py), not produced by the codec: a failure here
// means the codec and the specification disagree.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeMessage, encodeMessage, makeContext } from '../src/bgp/wire/index.js';
import type { BgpMessage, CodecContext } from '../src/bgp/wire/index.js';

const root = path.resolve(fileURLToPath(import.meta.url), '../../..');
const dir = path.join(root, 'test', 'golden', 'wire');

interface GoldenFile {
  description: string;
  context: { as4: boolean; addPath: string[]; extendedMessage: boolean };
  hex: string;
  json: BgpMessage;
}

function load(name: string): GoldenFile {
  return JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as GoldenFile;
}

function ctxOf(c: GoldenFile['context']): CodecContext {
  return makeContext({ as4: c.as4, addPath: new Set(c.addPath), extendedMessage: c.extendedMessage });
}

/** The decoded shapes are plain JSON data: compare them as JSON (drops `undefined` members). */
function asJson(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v)) as unknown;
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('golden corpus is present and covers every message kind', (t) => {
  t.true(files.length >= 60, `only ${files.length} golden files`);
  const kinds = new Set(files.map((f) => load(f).json.type));
  t.deepEqual([...kinds].sort(), ['KEEPALIVE', 'NOTIFICATION', 'OPEN', 'ROUTE_REFRESH', 'UPDATE']);
});

for (const file of files) {
  const g = load(file);
  const name = file.replace(/\.json$/, '');

  test(`decode ${name}: ${g.description}`, (t) => {
    const bytes = Buffer.from(g.hex, 'hex');
    const r = decodeMessage(bytes, ctxOf(g.context));
    if (!r.ok) {
      t.fail(`decode failed: ${JSON.stringify(r.error)} ${r.reason}`);
      return;
    }
    t.deepEqual(asJson(r.msg), g.json);
    t.deepEqual(r.findings, [], 'a valid message must decode without findings');
    t.is(r.length, bytes.length);
  });

  test(`encode ${name}: ${g.description}`, (t) => {
    let out: Buffer;
    try {
      out = encodeMessage(g.json, ctxOf(g.context));
    } catch (e) {
      t.fail(`encode threw: ${String(e)}`);
      return;
    }
    t.is(out.toString('hex'), g.hex);
  });
}

test('RFC 8654: an UPDATE longer than 4096 octets decodes only with extended messages negotiated', (t) => {
  const g = load('update-extended-message.json');
  const bytes = Buffer.from(g.hex, 'hex');
  t.true(bytes.length > 4096);
  const withExt = decodeMessage(bytes, makeContext({ extendedMessage: true }));
  t.true(withExt.ok);
  const without = decodeMessage(bytes, makeContext({ extendedMessage: false }));
  t.false(without.ok);
  if (!without.ok) {
    // RFC 4271 §6.1: Message Header Error / Bad Message Length, data = the Length field.
    t.deepEqual(without.error, { code: 1, subcode: 2, data: g.hex.slice(32, 36) });
  }
});

test('decoding a golden message from a larger buffer view uses only its own bytes', (t) => {
  // A message handed over as a subarray of a bigger read buffer (how a session reader slices it).
  const g = load('update-ipv4.json');
  const inner = Buffer.from(g.hex, 'hex');
  const big = Buffer.concat([Buffer.from('0102030405', 'hex'), inner, Buffer.from('ffff', 'hex')]);
  const view = big.subarray(5, 5 + inner.length);
  const r = decodeMessage(view, ctxOf(g.context));
  t.true(r.ok);
  if (r.ok) t.deepEqual(asJson(r.msg), g.json);
});
