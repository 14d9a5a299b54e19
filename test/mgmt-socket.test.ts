import test from 'ava';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { MgmtServer } from '../src/mgmt/server.js';
import { request } from '../src/mgmt/client.js';
import { EXIT } from '../src/mgmt/protocol.js';
import type { MgmtRequest } from '../src/mgmt/protocol.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'routed-mgmt-'));
let n = 0;
const sockPath = (): string => path.join(dir, `s${n++}.sock`);

async function collect(p: string, req: MgmtRequest): Promise<{ data: unknown[]; status: number; error?: string }> {
  const it = request(p, req);
  const data: unknown[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return { data, ...r.value };
    data.push(r.value);
  }
}

const req = (command: string[], args: string[] = [], options: Record<string, string | boolean> = {}): MgmtRequest => ({ command, args, options });

test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

test('dispatches by the longest matching command words and passes the rest as arguments', async (t) => {
  const p = sockPath();
  const seen: MgmtRequest[] = [];
  const server = new MgmtServer(p, [
    { words: ['show', 'rib'], handler: async (r, reply) => { seen.push(r); await reply.write('rib'); } },
    { words: ['show', 'rib', 'in'], handler: async (r, reply) => { seen.push(r); await reply.write('rib-in'); } },
  ]);
  await server.listen();
  t.teardown(() => server.close());
  t.is((fs.statSync(p).mode & 0o777).toString(8), '660');
  const a = await collect(p, req(['show', 'rib', '10.0.0.0/8'], [], { json: true }));
  t.deepEqual(a, { data: ['rib'], status: EXIT.OK });
  const b = await collect(p, req(['show', 'rib', 'in', '198.18.0.2']));
  t.deepEqual(b.data, ['rib-in']);
  t.deepEqual(seen.map((s) => [s.command, s.args, s.options]), [
    [['show', 'rib'], ['10.0.0.0/8'], { json: true }],
    [['show', 'rib', 'in'], ['198.18.0.2'], {}],
  ]);
});

test('unknown commands end with the usage status; handler failures with refused', async (t) => {
  const p = sockPath();
  const server = new MgmtServer(p, [{ words: ['boom'], handler: () => { throw new Error('kaput'); } }]);
  await server.listen();
  t.teardown(() => server.close());
  t.like(await collect(p, req(['nope'])), { status: EXIT.USAGE, error: 'unknown command: nope' });
  t.like(await collect(p, req(['boom'])), { status: EXIT.REFUSED, error: 'kaput' });
});

test('a long answer streams with backpressure and arrives whole and in order', async (t) => {
  const p = sockPath();
  const count = 200_000;
  const server = new MgmtServer(p, [{
    words: ['stream'],
    handler: async (_r, reply) => {
      for (let i = 0; i < count && !reply.closed; i++) await reply.write({ i, prefix: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32` });
    },
  }]);
  await server.listen();
  t.teardown(() => server.close());
  const it = request(p, req(['stream']));
  let expected = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) {
      t.is(r.value.status, EXIT.OK);
      break;
    }
    if ((r.value as { i: number }).i !== expected) return t.fail(`frame ${expected} out of order`);
    expected++;
  }
  t.is(expected, count);
});

test('no daemon listening: the client reports unavailable instead of throwing', async (t) => {
  const r = await collect(path.join(dir, 'absent.sock'), req(['show', 'status']));
  t.is(r.status, EXIT.UNAVAILABLE);
  t.regex(r.error ?? '', /ENOENT/);
});
