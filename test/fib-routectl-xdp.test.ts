// show route's XDP lookup (src/fib/reconcile.ts lookupRoute) and the XDP side of the comparison
// against a FibManager with real maps in a namespace: router r between a (e0) and b (e1).
// Runs as root; needs dist/bpf/xdp_fwd.o (tools/build-bpf).

import test from 'ava';
import { existsSync } from 'node:fs';
import { withTopology, runCommand } from './harness/netns.js';
import { bpfObjectPath } from '../src/fib/bpf/routed.js';
import { FibManager } from '../src/fib/manager.js';
import type { FibLog } from '../src/fib/manager.js';
import { compareFib, findFibDiffs, lookupRoute, readFibState, repairFib } from '../src/fib/reconcile.js';
import { Rib } from '../src/rib/index.js';
import { fibRibConfig } from './helpers/rib-config.js';

const cfg = fibRibConfig;

test('show route: longest match, next hop and verdict; the comparison sees a trie entry removed by hand and repair writes it back', async (t) => {
  const obj = bpfObjectPath('xdp_fwd');
  if (!existsSync(obj)) throw new Error(`${obj} missing: run tools/build-bpf`);
  await withTopology(t, { nodes: ['a', 'r', 'b'], links: [{ a: 'a', b: 'r' }, { a: 'r', b: 'b' }] }, async (topo) => {
    const logs: string[] = [];
    const log: FibLog = { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`) };
    const fib = await FibManager.open({ mode: 'xdp+kernel', xdpInterfaces: ['e0', 'e1'], netns: topo.ns('r'), log, maxEntries: { next_hops: 64, ecmp_groups: 8, routes_v4: 1024, routes_v6: 1024 } });
    t.teardown(() => fib.close());
    t.true(fib.stats().xdp, `XDP did not come up: ${logs.join('; ')}`);
    const rib = new Rib(cfg);
    rib.setConnected([{ prefix: '198.18.0.2/24', interface: 'e0' }, { prefix: '198.18.1.1/24', interface: 'e1' }]);
    fib.setLocalAddresses(['198.18.0.2', '198.18.1.1']);
    rib.setStatic([
      { prefix: '198.18.100.0/24', type: 'via', via: ['198.18.1.3'] },
      { prefix: '198.18.100.128/25', type: 'blackhole' },
      { prefix: '198.18.200.0/24', type: 'via', via: ['198.18.0.1', '198.18.1.3'] },
    ]);
    fib.submit(rib.drainChanges());
    await fib.idle();
    const best = (): ReturnType<Rib['bestRoutes']>[] => [rib.bestRoutes('ipv4'), rib.bestRoutes('ipv6')];
    const all = () => best().flatMap((it) => [...it]);
    const name = (i: number): string | undefined => fib.linkName(i);

    // Unresolved until the neighbour is known, then forward with its MAC.
    t.like(lookupRoute(fib.xdp!, '198.18.100.7', name, (p) => fib.hasEntry(p)), { prefix: '198.18.100.0/24', action: 'pass', reason: 'PASS_UNRESOLVED', nextHop: { kind: 'forward', interface: 'e1' } });
    await runCommand('ip', ['-n', topo.ns('r'), 'neigh', 'replace', '198.18.1.3', 'lladdr', '02:00:00:00:01:03', 'dev', 'e1', 'nud', 'permanent']);
    for (const end = Date.now() + 5000; lookupRoute(fib.xdp!, '198.18.100.7', name)?.action !== 'forward'; await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > end) throw new Error(`never resolved: ${JSON.stringify(lookupRoute(fib.xdp!, '198.18.100.7', name))}`);
    }
    t.like(lookupRoute(fib.xdp!, '198.18.100.7', name), { prefix: '198.18.100.0/24', action: 'forward', reason: 'FORWARDED', nextHop: { interface: 'e1', dstMac: '02:00:00:00:01:03', flags: ['RESOLVED'] } });
    // The longer blackhole wins inside the /24 (the name found from the trie dump, no hint given).
    t.like(lookupRoute(fib.xdp!, '198.18.100.200', name), { prefix: '198.18.100.128/25', action: 'drop', reason: 'DROP_BLACKHOLE' });
    t.like(lookupRoute(fib.xdp!, '198.18.1.1', name), { prefix: '198.18.1.1/32', action: 'pass', reason: 'PASS_LOCAL' });
    t.like(lookupRoute(fib.xdp!, '198.18.1.9', name), { prefix: '198.18.1.0/24', action: 'pass', reason: 'PASS_UNRESOLVED', nextHop: { kind: 'pass' } });
    t.like(lookupRoute(fib.xdp!, '198.18.250.1', name), { action: 'pass', reason: 'PASS_MISS' });
    const ecmp = lookupRoute(fib.xdp!, '198.18.200.1', name);
    t.is(ecmp?.nextHop?.kind, 'ecmp');
    t.is(ecmp?.members?.length, 2, JSON.stringify(ecmp));
    t.is(lookupRoute(fib.xdp!, '198.18.200.0/24', name), undefined, 'a prefix is not an address');

    t.deepEqual(compareFib(await readFibState(fib, all())), [], 'clean after the writes');
    fib.xdp!.v4.delete('198.18.100.128/25');
    t.deepEqual(compareFib(await readFibState(fib, all())), [{ family: 'ipv4', prefix: '198.18.100.128/25', plane: 'xdp', problem: 'missing', want: 'blackhole' }]);
    t.deepEqual(await findFibDiffs(fib, rib), [{ family: 'ipv4', prefix: '198.18.100.128/25', plane: 'xdp', problem: 'missing', want: 'blackhole' }]);
    t.is(await fib.repairNow(() => repairFib(fib, rib)), 1);
    t.deepEqual(await findFibDiffs(fib, rib), [], 'clean after the repair');
    t.like(lookupRoute(fib.xdp!, '198.18.100.200', name), { prefix: '198.18.100.128/25', action: 'drop' });
    t.is(fib.stats().repaired, 1);
  });
});
