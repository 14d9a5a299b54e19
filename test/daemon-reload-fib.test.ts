// Reload of the fib section, routed alone in a namespace: off → kernel installs the static routes
// as proto 186 kernel routes, a static route added by reload follows, the reconcile interval
// changes without re-opening, kernel → off withdraws everything.

import { readFileSync, writeFileSync } from 'node:fs';

import test from 'ava';

import { runCommand, withTopology, type Topology } from './harness/netns.js';
import { pollUntil } from './harness/peers.js';
import { RoutedProcess } from './helpers/routed.js';

const BASE = `router-id: 198.18.255.1
local-as: 65001
listen:
  addresses: []
log:
  level: info
static-routes:
  - prefix: 198.18.110.0/24
    blackhole: true
`;

async function ours(topo: Topology): Promise<string[]> {
  const out = (await runCommand('ip', ['-n', topo.ns('r'), '-j', 'route', 'show', 'proto', '186'])).stdout;
  return (JSON.parse(out || '[]') as { dst: string }[]).map((r) => r.dst).sort();
}

/** Replace the file's fib section and static routes, keeping its control socket. */
function rewrite(r: RoutedProcess, fib: string, extraStatic = ''): void {
  const socketLine = readFileSync(r.configFile, 'utf8').split('\n')[0]!;
  writeFileSync(r.configFile, `${socketLine}\n${fib}\n${BASE}${extraStatic}`);
}

test('reload applies fib settings: off → kernel installs, static routes follow, kernel → off withdraws', async (t) => {
  await withTopology(t, { nodes: ['r', 'b'], links: [{ a: 'r', b: 'b' }] }, async (topo) => {
    const r = new RoutedProcess(topo, 'r', `fib: {mode: "off"}\n${BASE}`);
    t.teardown(() => r.stop());
    await r.start();
    t.deepEqual(await ours(topo), [], 'fib off: nothing in the kernel');
    t.is((await r.ctl(['show', 'fib'])).code, 1, 'no forwarding plane yet');

    rewrite(r, 'fib: {mode: "kernel"}');
    const on = await r.ctl(['reload']);
    t.is(on.code, 0, on.stderr);
    t.regex(on.stdout, /fib: forwarding plane re-opened \(mode kernel\)/);
    await pollUntil(async () => (await ours(topo)).length === 1, 10_000, 'the static route in the kernel', () => r.logTail());
    t.deepEqual(await ours(topo), ['198.18.110.0/24']);

    rewrite(r, 'fib: {mode: "kernel", reconcile-interval: 5}', '  - prefix: 198.18.111.0/24\n    blackhole: true\n');
    const more = await r.ctl(['reload']);
    t.is(more.code, 0, more.stderr);
    t.regex(more.stdout, /static routes: 1 added/);
    t.regex(more.stdout, /fib: reconcile every 5 s/);
    t.notRegex(more.stdout, /re-opened/);
    await pollUntil(async () => (await ours(topo)).length === 2, 10_000, 'the added static route in the kernel', () => r.logTail());
    t.deepEqual(await ours(topo), ['198.18.110.0/24', '198.18.111.0/24']);
    t.is((await r.ctl(['check', 'fib'])).code, 0, 'RIB and kernel agree');

    rewrite(r, 'fib: {mode: "off"}');
    const off = await r.ctl(['reload']);
    t.is(off.code, 0, off.stderr);
    await pollUntil(async () => (await ours(topo)).length === 0, 10_000, 'kernel routes withdrawn', () => r.logTail());
    t.is((await r.ctl(['show', 'fib'])).code, 1, 'no forwarding plane after mode off');
  });
});
