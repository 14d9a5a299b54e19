// routed itself with a fib section, in a namespace: static routes become proto 186 kernel routes;
// an XDP interface that does not exist gives a warning and kernel routes only (no crash); a
// clean stop withdraws the routes.

import test from 'ava';
import { withTopology, runCommand, type Topology } from './harness/netns.js';
import { pollUntil } from './harness/peers.js';
import { RoutedProcess } from './helpers/routed.js';

const CONFIG = `router-id: 198.18.255.1
local-as: 65001
listen:
  addresses: []
log:
  level: debug
fib:
  mode: xdp+kernel
  xdp-interfaces: [nosuch0]
static-routes:
  - prefix: 198.18.100.0/24
    via: 198.18.0.2
  - prefix: 198.18.101.0/24
    blackhole: true
`;

async function ours(topo: Topology): Promise<{ dst: string; type?: string }[]> {
  const out = (await runCommand('ip', ['-n', topo.ns('r'), '-j', 'route', 'show', 'proto', '186'])).stdout;
  return JSON.parse(out || '[]') as { dst: string; type?: string }[];
}

test('routed installs static routes as proto 186 kernel routes, falls back to kernel-only without XDP, withdraws on stop', async (t) => {
  await withTopology(t, { nodes: ['r', 'b'], links: [{ a: 'r', b: 'b' }] }, async (topo) => {
    const r = new RoutedProcess(topo, 'r', CONFIG);
    t.teardown(() => r.stop());
    await r.start();
    await pollUntil(async () => (await ours(topo)).length === 2, 10_000, 'two kernel routes with protocol 186', () => r.logTail());
    const routes = await ours(topo);
    t.deepEqual(routes.map((x) => x.dst).sort(), ['198.18.100.0/24', '198.18.101.0/24']);
    t.is(routes.find((x) => x.dst === '198.18.101.0/24')?.type, 'blackhole');
    t.regex(r.log(), /XDP unavailable, forwarding with kernel routes only: XDP interface nosuch0 does not exist/);
    await r.stop();
    t.deepEqual(await ours(topo), [], 'routes withdrawn on stop');
  });
});
