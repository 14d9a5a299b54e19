// Golden error files: each test/golden/config/NAME.yaml is parsed as "NAME.yaml" and must give
// exactly the "file:line:col: message" lines of NAME.errors (empty: the file must load) and of
// NAME.warnings (absent: no warnings). Positions were checked by hand against the YAML.
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/parse.js';
import type { ConfigError } from '../src/config/errors.js';

const root = path.resolve(fileURLToPath(import.meta.url), '../../..');
const dir = path.join(root, 'test', 'golden', 'config');
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function lines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
}

test('the golden set covers every error kind the configuration reports', (t) => {
  const required = [
    'yaml-syntax', 'unknown-key', 'wrong-type', 'missing-key', 'bad-address', 'bad-prefix', 'bad-as',
    'duplicate-neighbor', 'unknown-reference', 'hold-time', 'several-errors', 'policy-compile', 'warnings',
  ];
  for (const name of required) t.true(cases.includes(`${name}.yaml`), `${name}.yaml missing`);
});

for (const name of cases) {
  test(`golden ${name}`, (t) => {
    const base = path.join(dir, name.replace(/\.yaml$/, ''));
    const text = readFileSync(path.join(dir, name), 'utf8');
    const result = parseConfig(text, name);
    const expectedErrors = lines(`${base}.errors`);
    const errors: ConfigError[] = result.ok ? [] : result.errors;
    t.deepEqual(errors.map(String), expectedErrors);
    t.is(result.ok, expectedErrors.length === 0);
    t.deepEqual(result.warnings.map(String), lines(`${base}.warnings`));
    // Every position is inside the file, and the fields say what the text says.
    const lineCount = text.split('\n').length;
    for (const e of [...errors, ...result.warnings]) {
      t.true(e.line >= 1 && e.line <= lineCount && e.col >= 1, String(e));
      t.is(String(e), `${e.file}:${e.line}:${e.col}: ${e.message}`);
    }
  });
}

test('several errors in one file are all reported, in file order', (t) => {
  const result = parseConfig(readFileSync(path.join(dir, 'several-errors.yaml'), 'utf8'), 'f.yaml');
  if (result.ok) return t.fail('several-errors.yaml loaded');
  t.true(result.errors.length >= 15);
  const order = result.errors.map((e) => e.line * 1000 + e.col);
  t.deepEqual(order, [...order].sort((a, b) => a - b));
});

test('an unknown key is reported at the key itself', (t) => {
  const text = 'router-id: 192.0.2.1\nlocal-as: 65000\nlisten:\n  port: 179\n  adresses: []\n';
  const result = parseConfig(text, 'k.yaml');
  if (result.ok) return t.fail('loaded');
  t.deepEqual(result.errors.map(String), ['k.yaml:5:3: unknown key "adresses" in listen (did you mean "addresses"?)']);
});
