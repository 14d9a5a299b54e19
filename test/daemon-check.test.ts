// `routed --check --config FILE`: exit 0 and one line for a valid file; exit 1 and every error as
// file:line:col on stderr for a file with several (golden: test/golden/routectl/check-errors.*);
// exit 2 for bad usage. Nothing is started: no namespace, no socket.

import { readFileSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';

import { runCommand } from './harness/netns.js';
import { REPO, ROUTED } from './helpers/routed.js';

const DIR = path.join(REPO, 'test/golden/routectl');

function check(...args: string[]): ReturnType<typeof runCommand> {
  return runCommand(process.execPath, [ROUTED, ...args], { allowFail: true });
}

/** Run from the golden directory with a relative path, so the file names in messages are stable. */
function inDir(args: string[]): ReturnType<typeof runCommand> {
  return runCommand('sh', ['-c', `cd "$1" && shift && exec "$@"`, 'sh', DIR, process.execPath, ROUTED, ...args], { allowFail: true });
}

test('a valid configuration: exit 0, one line on stdout, nothing on stderr', async (t) => {
  const r = await inDir(['--check', '--config', 'check-ok.yaml']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'check-ok.yaml: configuration OK (1 neighbors)\n');
  t.is(r.stderr, '');
});

test('a configuration with several errors: exit 1, every error as file:line:col (golden)', async (t) => {
  const r = await inDir(['--check', '--config', 'check-errors.yaml']);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  t.is(r.stderr, readFileSync(path.join(DIR, 'check-errors.txt'), 'utf8'));
  const lines = r.stderr.trimEnd().split('\n');
  t.true(lines.length >= 5);
  for (const l of lines) t.regex(l, /^check-errors\.yaml:\d+:\d+: /);
});

test('an unreadable file is an error at 1:1, exit 1; bad usage exits 2', async (t) => {
  const missing = await check('--check', '--config', path.join(DIR, 'no-such-file.yaml'));
  t.is(missing.code, 1);
  t.regex(missing.stderr, /no-such-file\.yaml:1:1: cannot read the file/);
  const bad = await check('--check', '--bogus');
  t.is(bad.code, 2);
  t.regex(bad.stderr, /unknown argument: --bogus/);
  const noFile = await check('--check', '--config');
  t.is(noFile.code, 2);
  t.regex(noFile.stderr, /--config needs a file/);
});
