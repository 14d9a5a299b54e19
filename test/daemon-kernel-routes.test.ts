// Other protocols' kernel routes follow route events into routed's RIB (src/daemon/kernel.ts): a
// static route added with `ip route add … proto static` becomes a kernel route in `show rib` and
// resolves the next hop of routed's own static route through it; removed, both go back. A burst
// of 100k routes with routed's own protocol (what its FIB writes for a full table) is skipped:
// routed neither crashes nor stalls (a route added right after it still shows up), and none of
// them enters the RIB.

import test from 'ava';
import { withTopology, type Topology } from './harness/netns.js';
import { RoutedProcess } from './helpers/routed.js';
import type { RibEntryView } from '../src/mgmt/views.js';

const KERNEL_PREFIX = '198.18.150.0/24';
const AFTER_BURST = '198.18.151.0/24';
const RECURSIVE = '198.18.160.0/24';

const config = `router-id: 198.18.255.1
local-as: 65001
listen:
  addresses: []
static-routes:
  - prefix: ${RECURSIVE}
    via: 198.18.150.9
`;

const kernelPath = (gw: string) => (e: RibEntryView): boolean => e.paths.some((p) => p.source === 'kernel' && p.nextHop === gw && p.best);

/** 65,536 IPv4 /32s in 198.19.0.0/16 and 34,464 IPv6 /128s, all on e0 with protocol 186. */
function ownBurst(): string {
  const lines: string[] = [];
  for (let i = 0; i < 65_536; i++) lines.push(`route add 198.19.${i >> 8}.${i & 255}/32 dev e0 proto 186`);
  for (let i = 0; i < 34_464; i++) lines.push(`route add 2001:db8:ff::${i.toString(16)}/128 dev e0 proto 186`);
  return lines.join('\n') + '\n';
}

async function ribHas(r: RoutedProcess, prefix: string): Promise<boolean> {
  const res = await r.ctl(['show', 'rib', prefix, '--json']);
  return res.code === 0 && res.stdout.trim() !== '';
}

test('kernel routes of other protocols follow route events; a burst of our own protocol is skipped', async (t) => {
  await withTopology(t, { nodes: ['r', 'b'], links: [{ a: 'r', b: 'b' }] }, async (topo: Topology) => {
    const gw = topo.addr('b', 'r');
    const r = new RoutedProcess(topo, 'r', config);
    t.teardown(() => r.stop());
    await r.start();
    await r.waitRoute(RECURSIVE, 'present, next hop unresolved', (e) => e.paths.length > 0 && !e.paths[0]!.resolved);

    await topo.run('r', 'ip', ['route', 'add', KERNEL_PREFIX, 'via', gw, 'proto', 'static', 'metric', '20']);
    const k = await r.waitRoute(KERNEL_PREFIX, `kernel route via ${gw}`, kernelPath(gw));
    t.is(k.paths.find((p) => p.source === 'kernel')?.interface, 'e0');
    await r.waitRoute(RECURSIVE, 'next hop resolved through the kernel route', (e) => e.paths[0]?.resolved === true);

    // A second route for the prefix with a higher metric through another gateway, then the first
    // one gone: the second one takes its place.
    const gw2 = gw.replace(/\.\d+$/, '.77');
    await topo.run('r', 'ip', ['route', 'add', KERNEL_PREFIX, 'via', gw2, 'proto', 'static', 'metric', '30']);
    await topo.run('r', 'ip', ['route', 'del', KERNEL_PREFIX, 'proto', 'static', 'metric', '20']);
    await r.waitRoute(KERNEL_PREFIX, `kernel route via ${gw2} once the metric-20 one went`, kernelPath(gw2));
    await topo.run('r', 'ip', ['route', 'del', KERNEL_PREFIX, 'proto', 'static', 'metric', '30']);
    await r.waitRoute(RECURSIVE, 'unresolved again after the kernel routes went', (e) => e.paths[0]?.resolved === false);
    t.false(await ribHas(r, KERNEL_PREFIX), `${KERNEL_PREFIX} gone from the RIB`);

    await topo.run('r', 'ip', ['-batch', '-'], { input: ownBurst(), timeoutMs: 120_000 });
    await topo.run('r', 'ip', ['route', 'add', AFTER_BURST, 'via', gw, 'proto', 'static']);
    await r.waitRoute(AFTER_BURST, 'kernel route added after the burst', kernelPath(gw), 60_000);
    t.false(await ribHas(r, '198.19.200.7/32'), 'routes of our own protocol stay out of the RIB');
    t.false(await ribHas(r, '2001:db8:ff::1234/128'), 'IPv6 routes of our own protocol stay out of the RIB');
    t.notRegex(r.log(), /routed exited/);
  });
});
