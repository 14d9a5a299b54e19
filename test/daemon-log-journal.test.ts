// Logs under systemd: when stdout is the journal stream ($JOURNAL_STREAM names its device and
// inode), every line starts with its sd-daemon(3) priority and has no timestamp, so journald
// files it under the right PRIORITY; anywhere else lines carry a timestamp and no prefix.

import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';

import test from 'ava';

import { createLogger, isJournalStream } from '../src/daemon/log.js';
import { runCommand } from './harness/netns.js';
import { REPO } from './helpers/routed.js';

const dir = mkdtempSync(path.join(tmpdir(), 'routed-journal-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function journalId(fd: number): string {
  const st = fstatSync(fd, { bigint: true });
  return `${st.dev}:${st.ino}`;
}

test('journal format: <priority>level message fields, no timestamp', async (t) => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  const log = createLogger('debug', stream, { journal: true });
  log.error('cannot start', { event: 'start' });
  log.warn('max-prefix 10 exceeded', { peer: '198.18.0.2', event: 'max-prefix' });
  log.info('session OpenConfirm -> Established', { peer: '198.18.0.2', event: 'state', reason: 'KeepAliveMsg' });
  log.debug('connection refused', { peer: '198.18.0.9' });
  log.setLevel('info');
  log.debug('hidden after setLevel');
  await new Promise((r) => setImmediate(r));
  t.deepEqual(text.trimEnd().split('\n'), [
    '<3>error cannot start event=start',
    '<4>warn max-prefix 10 exceeded peer=198.18.0.2 event=max-prefix',
    '<6>info session OpenConfirm -> Established peer=198.18.0.2 event=state reason=KeepAliveMsg',
    '<7>debug connection refused peer=198.18.0.9',
  ]);
});

test('isJournalStream compares JOURNAL_STREAM with the descriptor, not just its presence', (t) => {
  const a = openSync(path.join(dir, 'a'), 'w');
  const b = openSync(path.join(dir, 'b'), 'w');
  t.teardown(() => [a, b].forEach((fd) => closeSync(fd)));
  t.true(isJournalStream(a, { JOURNAL_STREAM: journalId(a) }));
  t.false(isJournalStream(b, { JOURNAL_STREAM: journalId(a) }));
  t.false(isJournalStream(a, {}));
  t.false(isJournalStream(a, { JOURNAL_STREAM: 'garbage' }));
});

test('a process whose stdout is the journal stream logs with priorities; redirected elsewhere, with timestamps', async (t) => {
  const logModule = path.join(REPO, 'dist/src/daemon/log.js');
  const script = `import(${JSON.stringify(logModule)}).then(({ createLogger }) => createLogger('info').warn('hold timer expired', { peer: '198.18.0.2' }))`;
  for (const journal of [true, false]) {
    const file = path.join(dir, `out-${journal}`);
    // The shell opens the file as stdout; JOURNAL_STREAM is that file's device and inode.
    const id = journal ? '"$(stat -c %d:%i "$1")"' : '1:1';
    const r = await runCommand('sh', ['-c', `exec >"$1"; export JOURNAL_STREAM=${id}; exec "$2" -e "$3"`, 'sh', file, process.execPath, script]);
    t.is(r.code, 0, r.stderr);
    const line = readFileSync(file, 'utf8').trimEnd();
    if (journal) t.is(line, '<4>warn hold timer expired peer=198.18.0.2');
    else t.regex(line, /^\d{4}-\d\d-\d\dT[\d:.]+Z warn hold timer expired peer=198\.18\.0\.2$/);
  }
});
