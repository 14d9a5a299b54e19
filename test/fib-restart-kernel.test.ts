// Restart without loss (fib mode kernel): routed installs its static routes, stops with
// keep-forwarding-on-stop, and the routes stay. Started again with one static route gone from the
// configuration, it adopts the routes: the one still configured is never deleted (no RTM_DELROUTE
// for it in `ip monitor`, present at every poll), the removed one is swept after the resync.

import test from 'ava';
import { spawn } from 'node:child_process';
import { withTopology, runCommand, stopProcess, type Topology } from './harness/netns.js';
import { pollUntil } from './harness/peers.js';
import { RoutedProcess } from './helpers/routed.js';

const KEPT = '198.18.100.0/24';
const REMOVED = '198.18.101.0/24';

function config(statics: string[]): string {
  return `router-id: 198.18.255.1
local-as: 65001
listen:
  addresses: []
log:
  level: debug
fib:
  mode: kernel
  keep-forwarding-on-stop: true
static-routes:
${statics.map((p) => `  - prefix: ${p}\n    via: 198.18.0.2\n`).join('')}`;
}

async function ours(topo: Topology): Promise<string[]> {
  const out = (await runCommand('ip', ['-n', topo.ns('r'), '-j', 'route', 'show', 'proto', '186'])).stdout;
  return (JSON.parse(out || '[]') as { dst: string }[]).map((r) => r.dst).sort();
}

test('restart with keep-forwarding: adopted routes keep forwarding, the unconfigured one is swept', async (t) => {
  await withTopology(t, { nodes: ['r', 'b'], links: [{ a: 'r', b: 'b' }] }, async (topo) => {
    t.is(topo.addr('b', 'r'), '198.18.0.2', 'the static routes point at b');
    const first = new RoutedProcess(topo, 'r', config([KEPT, REMOVED]));
    t.teardown(() => first.stop());
    await first.start();
    await pollUntil(async () => (await ours(topo)).length === 2, 10_000, 'two kernel routes with protocol 186', () => first.logTail());
    await first.stop();
    t.deepEqual(await ours(topo), [KEPT, REMOVED], 'keep-forwarding-on-stop leaves the routes');

    // Every route message of the namespace from here on (a delete-and-add would show as Deleted).
    const monitor = spawn('ip', ['-n', topo.ns('r'), 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let events = '';
    monitor.stdout.on('data', (d: Buffer) => (events += d.toString()));
    t.teardown(() => stopProcess(monitor, 1000));

    const second = new RoutedProcess(topo, 'r', config([KEPT]));
    t.teardown(() => second.stop());
    const missing: number[] = [];
    let polls = 0;
    let done = false;
    // Poll the kept route all along the restart until the removed one has gone.
    const watch = (async () => {
      while (!done) {
        const now = await ours(topo);
        polls++;
        if (!now.includes(KEPT)) missing.push(polls);
        if (!now.includes(REMOVED)) done = true;
      }
    })();
    await second.start();
    await pollUntil(async () => done, 20_000, `${REMOVED} swept after the resync`, () => second.logTail());
    await watch;
    t.deepEqual(missing, [], `${KEPT} present at each of ${polls} polls`);
    t.deepEqual(await ours(topo), [KEPT]);
    t.regex(second.log(), /adopted 2 kernel routes/);
    t.regex(second.log(), /1 stale entries swept/);
    t.false(new RegExp(`^Deleted .*${KEPT.replace(/\./g, '\\.')}`, 'm').test(events), `${KEPT} never deleted:\n${events}`);
    t.true(new RegExp(`^Deleted .*${REMOVED.replace(/\./g, '\\.')}`, 'm').test(events), `${REMOVED} deleted:\n${events}`);

    // A clean stop without keep-forwarding would withdraw; this one keeps the route again.
    await second.stop();
    t.deepEqual(await ours(topo), [KEPT]);
  });
});
