// The daemon's log lines: message, then the structured fields as key=value, quoted only when
// needed — including a field named `message` (the operator's shutdown message), which winston
// would otherwise glue onto the log message.

import { PassThrough } from 'node:stream';

import test from 'ava';

import { createLogger } from '../src/daemon/log.js';

async function lines(fn: (log: ReturnType<typeof createLogger>) => void): Promise<string[]> {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  fn(createLogger('info', stream));
  await new Promise((r) => setImmediate(r));
  // Timestamps vary: drop the first word.
  return text.trimEnd().split('\n').map((l) => l.replace(/^\S+ /, ''));
}

test('fields follow the message as key=value; a field called message stays a field', async (t) => {
  const out = await lines((log) => {
    log.info('administrative shutdown', { peer: '198.18.0.2', event: 'admin', message: 'maintenance' });
    log.warn('with spaces', { message: 'back at 10:00', why: undefined });
    log.info('no fields');
    log.debug('below the level');
  });
  t.deepEqual(out, [
    'info administrative shutdown peer=198.18.0.2 event=admin message=maintenance',
    'warn with spaces message="back at 10:00"',
    'info no fields',
  ]);
});
