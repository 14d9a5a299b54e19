// sd_notify (src/daemon/notify.ts) against a real AF_UNIX datagram socket standing in for
// systemd's: the datagrams for path and abstract names, and routed's sequence as a Type=notify
// service: READY=1 only once the control socket and the metrics endpoint answer, WATCHDOG=1
// pings when WATCHDOG_USEC is set, RELOADING=1 (with MONOTONIC_USEC) … READY=1 around every
// reload (SIGHUP, routectl reload, and a rejected file), STOPPING=1 on SIGTERM.

import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import test from 'ava';

import { Notifier, notifyAddress, watchdogUsec } from '../src/daemon/notify.js';
import { createTopology, stopProcess } from './harness/netns.js';
import { NotifySocket } from './helpers/notify-socket.js';
import { ROUTED, routectl } from './helpers/routed.js';

function tempDir(t: { teardown: (f: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'routed-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('notifyAddress: a path is NUL-terminated, "@name" is abstract, anything else is refused', (t) => {
  const p = notifyAddress('/run/systemd/notify')!;
  t.is(p.readUInt16LE(0), 1);
  t.is(p.subarray(2).toString('latin1'), '/run/systemd/notify\0');
  const a = notifyAddress('@sd-notify')!;
  t.is(a.subarray(2).toString('latin1'), '\0sd-notify');
  t.is(notifyAddress('relative/path'), undefined);
  t.is(notifyAddress(`/${'x'.repeat(200)}`), undefined);
  t.is(Notifier.fromEnv({}), undefined);
});

test('watchdogUsec: WATCHDOG_USEC, only for the process WATCHDOG_PID names', (t) => {
  t.is(watchdogUsec({ WATCHDOG_USEC: '30000000' }, 42), 30_000_000);
  t.is(watchdogUsec({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42), 30_000_000);
  t.is(watchdogUsec({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '41' }, 42), undefined);
  t.is(watchdogUsec({ WATCHDOG_USEC: 'soon' }, 42), undefined);
  t.is(watchdogUsec({}, 42), undefined);
});

for (const kind of ['path', 'abstract'] as const) {
  test(`Notifier sends one datagram per state (${kind} socket name); MONOTONIC_USEC is CLOCK_MONOTONIC`, async (t) => {
    const name = kind === 'path' ? path.join(tempDir(t), 'notify.sock') : `@routed-notify-test-${process.pid}`;
    const sock = await NotifySocket.open(name);
    t.teardown(() => sock.close());
    const n = Notifier.fromEnv({ NOTIFY_SOCKET: name })!;
    t.teardown(() => n.close());
    t.true(n.ready('2 neighbors'));
    t.true(n.reloading());
    t.true(n.stopping());
    await sock.waitFor('STOPPING', 1, 5000);
    t.deepEqual(sock.received.map((d) => Object.keys(d.fields)), [['READY', 'STATUS'], ['RELOADING', 'MONOTONIC_USEC'], ['STOPPING']]);
    t.is(sock.received[0]!.text, 'READY=1\nSTATUS=2 neighbors');
    const reloading = sock.received[1]!;
    const sent = Number(reloading.fields.MONOTONIC_USEC);
    // Same clock as the receiver's: sent before it arrived, and not before this test began.
    t.true(sent <= reloading.monotonicUsec, `${sent} <= ${reloading.monotonicUsec}`);
    t.true(sent > reloading.monotonicUsec - 60_000_000, `${sent} is CLOCK_MONOTONIC`);
  });
}

test('routed as a Type=notify service: READY when listening, WATCHDOG, RELOADING…READY per reload, STOPPING', async (t) => {
  const dir = tempDir(t);
  const topo = await createTopology({ nodes: ['a'], links: [] }, import.meta.url);
  t.teardown(() => topo.destroy());
  const sock = await NotifySocket.open(path.join(dir, 'notify.sock'));
  t.teardown(() => sock.close());
  const socket = path.join(dir, 'routed.sock');
  const configFile = path.join(dir, 'routed.yaml');
  const logFile = path.join(dir, 'routed.log');
  const config = (level: string): string => `router-id: 198.18.255.1
local-as: 65001
listen: { addresses: [127.0.0.1] }
control-socket: ${JSON.stringify(socket)}
log: { level: ${level} }
metrics: { listen: "127.0.0.1:9179" }
fib: { mode: "off" }
neighbors:
  - { address: 127.0.0.2, remote-as: 65002, passive: true }
`;
  writeFileSync(configFile, config('info'));
  const tail = (): string => `--- routed log ---\n${readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n')}`;
  writeFileSync(logFile, '');
  const child = topo.spawn('a', process.execPath, [ROUTED, '--config', configFile], {
    env: { ...process.env, NOTIFY_SOCKET: sock.name, WATCHDOG_USEC: '400000' },
  });
  child.stdout!.on('data', (d: Buffer) => appendFileSync(logFile, d));
  child.stderr!.on('data', (d: Buffer) => appendFileSync(logFile, d));
  t.teardown(() => stopProcess(child, 3000));

  await sock.waitFor('READY', 1, 15_000, tail);
  // At READY=1 everything listens already: no retry needed.
  const show = await routectl(['show', 'neighbors', '--json', '--socket', socket]);
  t.is(show.code, 0, show.stderr);
  const scrape = await topo.run('a', process.execPath, ['-e', 'fetch("http://127.0.0.1:9179/metrics").then(async (r) => process.stdout.write(r.status + "\\n" + (await r.text())))']);
  t.regex(scrape.stdout, /^200\n/);
  t.regex(sock.with('READY')[0]!.fields.STATUS ?? '', /1 neighbors/);

  await sock.waitFor('WATCHDOG', 2, 10_000, tail);

  child.kill('SIGHUP');
  await sock.waitFor('READY', 2, 15_000, tail);
  const reload = await routectl(['reload', '--socket', socket]);
  t.is(reload.code, 0, reload.stderr + tail());
  await sock.waitFor('READY', 3, 15_000, tail);
  // A file that does not parse: rejected, the old configuration runs on, and the reload still ends with READY=1.
  writeFileSync(configFile, config('chatty'));
  child.kill('SIGHUP');
  await sock.waitFor('READY', 4, 15_000, tail);
  t.regex(readFileSync(logFile, 'utf8'), /reload rejected/);

  const states = sock.received.filter((d) => !('WATCHDOG' in d.fields)).map((d) => Object.keys(d.fields)[0]);
  t.deepEqual(states, ['READY', 'RELOADING', 'READY', 'RELOADING', 'READY', 'RELOADING', 'READY']);
  for (const d of sock.with('RELOADING')) t.regex(d.fields.MONOTONIC_USEC ?? '', /^\d+$/);

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  await sock.waitFor('STOPPING', 1, 10_000, tail);
  t.is(await exited, 0, tail());
});
