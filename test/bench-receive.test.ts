// bench:receive (tools/bench/codec/receive.ts) on a small feed: the pass must see every UPDATE
// and prefix of the feed, or the tool stops with an error (it once saw a quarter of them after
// the Connection began reporting a read a slice a turn, and nothing ran it).

import test from 'ava';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repo = path.resolve(fileURLToPath(import.meta.url), '../../..');
const tool = path.join(repo, 'dist/tools/bench/codec/receive.js');

test('bench:receive reads a mixed feed through, this build against itself', async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, [tool, '--prefixes', '2000', '--v6', '1000', '--runs', '2', '--against', repo], { timeout: 60_000 });
  t.regex(stdout, /^750 UPDATEs/m);
  t.regex(stdout, /^this build: median [\d.]+ ms .* B\/UPDATE$/m);
  t.regex(stdout, new RegExp(`^${repo}: median`, 'm'));
});
