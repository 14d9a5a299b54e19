// routectl's forwarding-plane commands against routed in a namespace (fib mode kernel, two static
// routes): show fib --kernel lists the proto 186 routes, check fib is clean; a route deleted by
// hand is reported (exit 1) and check fib --repair (the periodic pass, run now) puts it back.
// With fib.reconcile-interval: 1 the periodic pass itself puts a deleted route back and counts it.

import test from 'ava';
import { withTopology, runCommand, type Topology } from './harness/netns.js';
import { pollUntil } from './harness/peers.js';
import { jsonLines, RoutedProcess } from './helpers/routed.js';
import type { FibDiffView, FibEntryView, FibSummaryView } from '../src/mgmt/views.js';

const CONFIG = `router-id: 198.18.255.1
local-as: 65001
listen:
  addresses: []
fib:
  mode: kernel
static-routes:
  - prefix: 198.18.100.0/24
    via: 198.18.0.2
  - prefix: 198.18.101.0/24
    blackhole: true
`;

async function ours(topo: Topology): Promise<string[]> {
  const out = (await runCommand('ip', ['-n', topo.ns('r'), '-j', 'route', 'show', 'proto', '186'])).stdout;
  return (JSON.parse(out || '[]') as { dst: string }[]).map((r) => r.dst).sort();
}

test('show fib --kernel, check fib clean, a deleted kernel route reported and repaired', async (t) => {
  await withTopology(t, { nodes: ['r', 'b'], links: [{ a: 'r', b: 'b' }] }, async (topo) => {
    const r = new RoutedProcess(topo, 'r', CONFIG);
    t.teardown(() => r.stop());
    await r.start();
    await pollUntil(async () => (await ours(topo)).length === 2, 10_000, 'two kernel routes with protocol 186', () => r.logTail());

    const fib = await r.json<FibEntryView | { summary: FibSummaryView }>(['show', 'fib', '--kernel']);
    const rows = fib.filter((f): f is FibEntryView => 'prefix' in f);
    t.deepEqual(rows.map((f) => [f.prefix, f.kernel?.type, f.kernel?.nextHops.map((h) => `${h.gateway ?? ''} ${h.interface ?? ''}`)]), [
      ['198.18.100.0/24', 'unicast', ['198.18.0.2 e0']],
      ['198.18.101.0/24', 'blackhole', []],
    ]);
    t.like(fib.at(-1), { summary: { mode: 'kernel', kernel: true, xdp: false, repaired: 0 } });
    const text = await r.ctl(['show', 'fib', '198.18.100.0/24']);
    t.is(text.code, 0, text.stderr);
    t.regex(text.stdout, /198\.18\.100\.0\/24\s+via 198\.18\.0\.2 dev e0\s+-/);

    const clean = await r.ctl(['check', 'fib']);
    t.is(clean.code, 0, `check fib on a clean plane: ${clean.stdout}${clean.stderr}\n${r.logTail()}`);
    t.is(clean.stdout, '');

    await runCommand('ip', ['-n', topo.ns('r'), 'route', 'del', '198.18.100.0/24', 'proto', '186']);
    const dirty = await r.ctl(['check', 'fib', '--json']);
    t.is(dirty.code, 1, dirty.stderr);
    t.deepEqual(jsonLines<FibDiffView>(dirty.stdout), [{ family: 'ipv4', prefix: '198.18.100.0/24', plane: 'kernel', problem: 'missing', want: 'via 198.18.0.2' }]);
    t.regex(dirty.stderr, /1 difference between the RIB and the forwarding plane/);

    const repair = await r.ctl(['check', 'fib', '--repair']);
    t.is(repair.code, 1, 'the check itself still reports what it found');
    t.regex(repair.stdout, /198\.18\.100\.0\/24 kernel: missing, want via 198\.18\.0\.2\nrepaired 1/);
    t.deepEqual(await ours(topo), ['198.18.100.0/24', '198.18.101.0/24'], 'route put back');
    t.is((await r.ctl(['check', 'fib'])).code, 0, 'clean again');
    const after = await r.json<{ summary?: FibSummaryView }>(['show', 'fib']);
    t.is(after.at(-1)?.summary?.repaired, 1);

    // Without XDP, show route says so and points at the kernel.
    const route = await r.ctl(['show', 'route', '198.18.100.7']);
    t.is(route.code, 1);
    t.regex(route.stderr, /XDP forwarder is not running/);
  });
});

test('fib.reconcile-interval: the periodic pass puts a route deleted by hand back and counts it', async (t) => {
  await withTopology(t, { nodes: ['r', 'b'], links: [{ a: 'r', b: 'b' }] }, async (topo) => {
    const r = new RoutedProcess(topo, 'r', CONFIG.replace('  mode: kernel\n', '  mode: kernel\n  reconcile-interval: 1\n'));
    t.teardown(() => r.stop());
    await r.start();
    await pollUntil(async () => (await ours(topo)).length === 2, 10_000, 'two kernel routes with protocol 186', () => r.logTail());
    await runCommand('ip', ['-n', topo.ns('r'), 'route', 'del', '198.18.100.0/24', 'proto', '186']);
    await pollUntil(async () => (await ours(topo)).length === 2, 15_000, 'the periodic reconcile to put 198.18.100.0/24 back', () => r.logTail());
    const after = await r.json<{ summary?: FibSummaryView }>(['show', 'fib']);
    t.true((after.at(-1)?.summary?.repaired ?? 0) >= 1, JSON.stringify(after.at(-1)));
    t.regex(r.log(), /repaired 1 forwarding entries that differed from the RIB/);
  });
});
