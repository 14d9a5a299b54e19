// Malformed-message corpus (test/malformed/*.json): each file names the RFC rule it checks and the
// outcome that rule asks for (RFC 4271 §6, RFC 7606, ...).
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeMessage, makeContext } from '../src/bgp/wire/index.js';
import type { CodecContext } from '../src/bgp/wire/index.js';

const root = path.resolve(fileURLToPath(import.meta.url), '../../..');
const dir = path.join(root, 'test', 'malformed');

type Expect =
  | { action: 'session-reset'; code: number; subcode: number; data: string }
  | { action: 'treat-as-withdraw' }
  /** `keep`: occurrences of the attribute left after the discard (duplicates keep the first). */
  | { action: 'attribute-discard'; attrCode: number; keep?: number; keptValue?: unknown };

interface MalformedFile {
  description: string;
  rfc: string;
  context: { as4: boolean; addPath: string[]; extendedMessage: boolean };
  hex: string;
  expect: Expect;
}

function ctxOf(c: MalformedFile['context']): CodecContext {
  return makeContext({ as4: c.as4, addPath: new Set(c.addPath), extendedMessage: c.extendedMessage });
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('malformed corpus is present and has all three outcomes', (t) => {
  t.true(files.length >= 60, `only ${files.length} malformed files`);
  const actions = new Set(
    files.map((f) => (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as MalformedFile).expect.action),
  );
  t.deepEqual([...actions].sort(), ['attribute-discard', 'session-reset', 'treat-as-withdraw']);
});

for (const file of files) {
  const m = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as MalformedFile;
  const name = file.replace(/\.json$/, '');
  test(`${name}: ${m.description} [${m.rfc}]`, (t) => {
    const r = decodeMessage(Buffer.from(m.hex, 'hex'), ctxOf(m.context));
    const e = m.expect;
    switch (e.action) {
      case 'session-reset':
        if (r.ok) {
          t.fail(`expected NOTIFICATION ${e.code}/${e.subcode}, decoded ok with findings ${JSON.stringify(r.findings)}`);
          return;
        }
        t.deepEqual(r.error, { code: e.code, subcode: e.subcode, data: e.data }, r.reason);
        return;
      case 'treat-as-withdraw':
        if (!r.ok) {
          t.fail(`expected treat-as-withdraw, got NOTIFICATION ${JSON.stringify(r.error)} (${r.reason})`);
          return;
        }
        t.true(
          r.findings.some((f) => f.action === 'treat-as-withdraw'),
          `findings: ${JSON.stringify(r.findings)}`,
        );
        return;
      case 'attribute-discard': {
        if (!r.ok) {
          t.fail(`expected attribute-discard of ${e.attrCode}, got NOTIFICATION ${JSON.stringify(r.error)} (${r.reason})`);
          return;
        }
        t.true(
          r.findings.some((f) => f.action === 'attribute-discard' && f.attrCode === e.attrCode),
          `findings: ${JSON.stringify(r.findings)}`,
        );
        t.false(
          r.findings.some((f) => f.action === 'treat-as-withdraw'),
          `an attribute discard alone must not withdraw: ${JSON.stringify(r.findings)}`,
        );
        if (r.msg.type !== 'UPDATE') {
          t.fail(`decoded a ${r.msg.type}`);
          return;
        }
        const left = r.msg.attributes.filter((a) => a.code === e.attrCode);
        t.is(left.length, e.keep ?? 0, `attributes ${e.attrCode} left: ${JSON.stringify(left)}`);
        // RFC 7606 §3(g): of repeated attributes the first occurrence is the one kept.
        if (e.keptValue !== undefined) t.deepEqual(left[0]?.value, e.keptValue);
        return;
      }
    }
  });
}
