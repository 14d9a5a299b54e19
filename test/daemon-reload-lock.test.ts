// The reload's own rules on a real Daemon (in-process, no kernel, no BGP listener; its control
// socket in a temporary directory; the one neighbour shut down): one reload
// at a time (routectl refused while one runs, a SIGHUP queued for after it), the start/end events
// that bracket each (systemd's RELOADING=1 … READY=1), and which fib changes keep what is installed.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';

import test from 'ava';

import { parseConfig } from '../src/config/index.js';
import type { FibConfig } from '../src/config/index.js';
import { Daemon } from '../src/daemon/daemon.js';
import { createLogger } from '../src/daemon/log.js';
import { keepForwardingAcross } from '../src/daemon/reload.js';
import type { ReloadOutcome } from '../src/daemon/reload.js';

const TEXT = `router-id: 198.18.255.1
local-as: 65001
listen: { addresses: [] }
fib: { mode: "off" }
log: { level: info }
neighbors:
  - { address: 198.18.0.2, remote-as: 65002, description: one, shutdown: true }
`;

async function daemon(t: import('ava').ExecutionContext): Promise<{ d: Daemon; file: string; log: () => string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'routed-reload-lock-'));
  const file = path.join(dir, 'routed.yaml');
  const text = `control-socket: ${JSON.stringify(path.join(dir, 'routed.sock'))}\n${TEXT}`;
  writeFileSync(file, text);
  const parsed = parseConfig(text, file);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const stream = new PassThrough();
  let logged = '';
  stream.on('data', (b: Buffer) => (logged += b.toString()));
  const d = new Daemon(parsed.config, createLogger('info', stream, { journal: false }), { kernel: false, configPath: file });
  t.teardown(async () => {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await d.start();
  return { d, file, log: () => logged };
}

/** The file with one edit (the control socket line kept). */
function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`not in the file: ${from}`);
  writeFileSync(file, text.replace(from, to));
}

test('one reload at a time: a second request is refused, a SIGHUP runs once more after it', async (t) => {
  const { d, file, log } = await daemon(t);
  const events: string[] = [];
  d.reloader.on('start', (trigger) => events.push(`start ${trigger}`));
  d.reloader.on('end', (o: ReloadOutcome) => events.push(`end ${o.trigger} ${o.ok ? 'ok' : 'rejected'}`));
  edit(file, 'description: one', 'description: two');
  const first = d.reloader.request('routectl');
  t.truthy(first);
  t.true(d.reloader.busy);
  t.is(d.reloader.request('routectl'), undefined, 'refused while one runs');
  d.reloader.signal('SIGHUP');
  d.reloader.signal('SIGHUP');
  const outcome = await first!;
  t.true(outcome.ok);
  t.deepEqual(outcome.applied, ['neighbor 198.18.0.2: updated without reset (description)']);
  t.is(d.peers.get('198.18.0.2')?.view().description, 'two');
  // The queued SIGHUP: one more reload (two signals coalesce), with nothing left to change.
  await new Promise<void>((resolve) => d.reloader.once('end', () => resolve()));
  t.false(d.reloader.busy);
  t.deepEqual(events, ['start routectl', 'end routectl ok', 'start SIGHUP (queued)', 'end SIGHUP (queued) ok']);
  t.regex(log(), /SIGHUP during a reload: reloading again when it ends/);
});

test('a rejected file ends the reload too (READY=1 follows RELOADING=1), and the next one runs', async (t) => {
  const { d, file } = await daemon(t);
  const ends: boolean[] = [];
  d.reloader.on('end', (o: ReloadOutcome) => ends.push(o.ok));
  edit(file, 'remote-as: 65002', 'remote-as: banana');
  const bad = await d.reloader.request('routectl')!;
  t.false(bad.ok);
  t.regex(bad.errors.join('\n'), new RegExp(`${path.basename(file)}:8:\\d+: `));
  t.is(d.config().neighbors[0]?.remoteAs, 65002);
  edit(file, 'remote-as: banana', 'remote-as: 65002');
  const again = await d.reloader.request('routectl')!;
  t.true(again.ok);
  t.deepEqual(again.applied, []);
  t.deepEqual(ends, [false, true]);
});

test('fib changes keep installed routes only where the new plane adopts them', (t) => {
  const f = (mode: FibConfig['mode'], xdpInterfaces: string[] = [], pinDir = '/sys/fs/bpf/routed'): FibConfig => ({ mode, xdpInterfaces, pinDir, keepForwardingOnStop: false, reconcileInterval: 60 });
  t.true(keepForwardingAcross(f('kernel'), f('xdp+kernel', ['eth0'])), 'kernel routes still written, XDP added');
  t.true(keepForwardingAcross(f('xdp+kernel', ['eth0']), f('xdp+kernel', ['eth0', 'eth1'])), 'one more XDP interface');
  t.false(keepForwardingAcross(f('xdp+kernel', ['eth0', 'eth1']), f('xdp+kernel', ['eth0'])), 'XDP would stay on eth1');
  t.false(keepForwardingAcross(f('xdp+kernel', ['eth0']), f('kernel')), 'XDP would stay attached');
  t.false(keepForwardingAcross(f('kernel'), f('xdp', ['eth0'])), 'kernel routes would never be swept');
  t.false(keepForwardingAcross(f('kernel'), f('off')), 'off withdraws');
  t.false(keepForwardingAcross(f('off'), f('kernel')), 'nothing installed to keep');
  t.false(keepForwardingAcross(f('kernel'), f('kernel', [], '/sys/fs/bpf/other')), 'another pin directory');
});
