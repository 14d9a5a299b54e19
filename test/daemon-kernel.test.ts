// The daemon's kernel view (src/daemon/kernel.ts) stays readable while the kernel announces
// changes: addresses come and go in a namespace while the watcher, subscribed to change events,
// dumps links, addresses and routes again and again. Every dump must succeed and the view must
// see the link's address. (Events on the dump socket broke a dump's reassembly — routed then
// failed to start with "Multipart message not terminated properly" — and two overlapping dumps
// on one socket get EBUSY.)

import path from 'node:path';

import test from 'ava';

import { withTopology } from './harness/netns.js';
import { REPO } from './helpers/routed.js';

const KERNEL = path.join(REPO, 'dist/src/daemon/kernel.js');

/**
 * Runs inside the namespace: watch (joins the event groups, re-reads 20 ms after events, so its
 * dumps overlap the loop's), then dump for 2 s, then close.
 */
const SCRIPT = `
const { KernelWatcher } = await import(${JSON.stringify(KERNEL)});
let changes = 0;
const w = new KernelWatcher(() => changes++, 186);
let view = await w.watch(20);
let failures = [];
for (const end = Date.now() + 2000; Date.now() < end; ) {
  try { view = await w.read(); } catch (e) { failures.push(e.message); }
}
await w.close();
console.log(JSON.stringify({ failures: failures.slice(0, 3), failed: failures.length, connected: view.connected.map((c) => c.prefix), changes }));
process.exit(0);
`;

test('dumps succeed while address events arrive', async (t) => {
  await withTopology(t, { nodes: ['k', 'peer'], links: [{ a: 'k', b: 'peer' }] }, async (topo) => {
    // Churn: 100 addresses added and removed on the link, over and over, while the script dumps.
    const churn = [...Array(100).keys()].flatMap((i) => [`addr add 198.19.${i}.1/24 dev e0`, `addr del 198.19.${i}.1/24 dev e0`]);
    const script = topo.run('k', process.execPath, ['--input-type=module', '-e', SCRIPT], { timeoutMs: 60_000 });
    const adds = (async () => {
      for (let round = 0; round < 15; round++) await topo.run('k', 'ip', ['-batch', '-'], { input: churn.join('\n') + '\n' });
    })();
    const [r] = await Promise.all([script, adds]);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { failures: string[]; failed: number; connected: string[]; changes: number };
    t.is(out.failed, 0, `failed dumps: ${out.failures.join('; ')}`);
    t.true(out.connected.includes('198.18.0.0/24'), JSON.stringify(out.connected));
    // The address events reached the watcher (its event socket) and made it read again.
    t.true(out.changes > 0, 'no re-read after address events');
  });
});
