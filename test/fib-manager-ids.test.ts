// The FIB manager keyed by the RIB's own prefix ids (FibManagerOptions.prefixes, as the daemon
// runs it), against a real kernel in a namespace (fib.mode kernel): routes go in and out by id;
// the manager holds a reference on each id only while it has something for the prefix, and adds
// no id to the RIB's table for prefixes the RIB does not hold (adopted routes live in a table of
// the manager's own, and a prefix adopted there stays there when the RIB learns it); closing
// gives every id back. Runs as root.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { withTopology, runCommand, type Topology } from './harness/netns.js';
import { FibManager } from '../src/fib/manager.js';
import type { FibLog } from '../src/fib/manager.js';
import { Rib } from '../src/rib/index.js';
import { fibRibConfig } from './helpers/rib-config.js';
import type { StaticRouteConfig } from '../src/config/types.js';

const cfg = fibRibConfig;

const SPEC = { nodes: ['r', 'b'], links: [{ a: 'r', b: 'b' }] };
const log: FibLog = { info: () => undefined, warn: () => undefined };

/** routed's kernel routes in r: destination → gateway. */
async function kernelRoutes(topo: Topology): Promise<Map<string, string | undefined>> {
  const out = JSON.parse((await runCommand('ip', ['-n', topo.ns('r'), '-j', 'route', 'show', 'proto', '186'])).stdout || '[]') as { dst: string; gateway?: string }[];
  return new Map(out.map((r) => [r.dst, r.gateway]));
}

/** A RIB with r's connected link (198.18.0.1/24 on e0) and the given static routes. */
function ribWith(routes: StaticRouteConfig[]): Rib {
  const rib = new Rib(cfg);
  rib.setConnected([{ prefix: '198.18.0.1/24', interface: 'e0' }]);
  rib.setStatic(routes);
  return rib;
}

async function sync(fib: FibManager, rib: Rib): Promise<void> {
  fib.submit(rib.drainChanges());
  await fib.idle();
}

const via = (prefix: string, gw: string): StaticRouteConfig => ({ prefix, type: 'via', via: [gw] });

async function openFib(t: ExecutionContext, topo: Topology, rib?: Rib): Promise<FibManager> {
  const fib = await FibManager.open({ mode: 'kernel', xdpInterfaces: [], netns: topo.ns('r'), log, ...(rib ? { prefixes: rib.prefixTables } : {}) });
  t.teardown(() => fib.close());
  return fib;
}

test('routes by RIB id: installed, replaced and withdrawn; the id is held only while the manager has state for it', async (t) => {
  await withTopology(t, SPEC, async (topo) => {
    const rib = ribWith([via('198.18.100.0/24', '198.18.0.2'), via('198.18.101.0/24', '198.18.0.2')]);
    const fib = await openFib(t, topo, rib);
    const pt = rib.prefixTables.ipv4;
    await sync(fib, rib);
    t.deepEqual(await kernelRoutes(topo), new Map([['198.18.100.0/24', '198.18.0.2'], ['198.18.101.0/24', '198.18.0.2']]));
    t.is(fib.stats().kernelRoutes, 2);
    rib.setStatic([via('198.18.100.0/24', '198.18.0.3')]);
    await sync(fib, rib);
    t.deepEqual(await kernelRoutes(topo), new Map([['198.18.100.0/24', '198.18.0.3']]));
    t.is(fib.installedKernel('ipv4', '198.18.100.0/24')?.nextHops[0]?.gateway, '198.18.0.3');
    t.is(fib.installedKernel('ipv4', '198.18.101.0/24'), undefined);
    // Gone from the RIB and from the kernel: nobody holds the id any more.
    rib.drainChanges();
    t.is(pt.find('198.18.101.0/24'), -1, 'withdrawn prefix left the RIB table');
    t.true(pt.find('198.18.100.0/24') >= 0);
    rib.setStatic([]);
    await sync(fib, rib);
    rib.drainChanges();
    t.deepEqual(await kernelRoutes(topo), new Map());
    t.is(pt.find('198.18.100.0/24'), -1);
    t.is(fib.stats().prefixes, 0);
  });
});

test('adopted routes stay in the manager\'s own table: the RIB learning one replaces it there, the rest is swept, and the RIB table gets no foreign id', async (t) => {
  await withTopology(t, SPEC, async (topo) => {
    // A previous run leaves two routes behind.
    const before = await FibManager.open({ mode: 'kernel', xdpInterfaces: [], netns: topo.ns('r'), log });
    await sync(before, ribWith([via('198.18.100.0/24', '198.18.0.2'), via('198.18.101.0/24', '198.18.0.2')]));
    await before.close({ keepForwarding: true });

    const rib = ribWith([]);
    rib.drainChanges();
    const pt = rib.prefixTables.ipv4;
    const ribPrefixes = pt.size;
    const fib = await openFib(t, topo, rib);
    t.is(fib.staleEntries, 2);
    t.is(pt.size, ribPrefixes, 'adoption added no id to the RIB table');
    t.is(fib.installedKernel('ipv4', '198.18.100.0/24')?.nextHops[0]?.gateway, '198.18.0.2');

    rib.setStatic([via('198.18.100.0/24', '198.18.0.3')]);
    await sync(fib, rib);
    t.is(fib.staleEntries, 1, 'the re-learned prefix is written again, in the state it was adopted into');
    t.deepEqual(await kernelRoutes(topo), new Map([['198.18.100.0/24', '198.18.0.3'], ['198.18.101.0/24', '198.18.0.2']]));
    t.is(await fib.sweepStale(), 1);
    t.deepEqual(await kernelRoutes(topo), new Map([['198.18.100.0/24', '198.18.0.3']]));
    t.is(fib.stats().prefixes, 1);

    // The RIB drops it: the withdrawal finds the state in the own table too.
    rib.setStatic([]);
    await sync(fib, rib);
    t.deepEqual(await kernelRoutes(topo), new Map());
    t.is(fib.stats().prefixes, 0);
  });
});

test('changes kept for the write loop keep their ids held: the RIB freeing them meanwhile changes nothing', async (t) => {
  await withTopology(t, SPEC, async (topo) => {
    const rib = ribWith([via('198.18.100.0/24', '198.18.0.2')]);
    // Every submit waits for the write loop: the RIB drains again (and frees ids) meanwhile.
    const fib = await FibManager.open({ mode: 'kernel', xdpInterfaces: [], netns: topo.ns('r'), log, prefixes: rib.prefixTables, submitAtOnce: 0 });
    t.teardown(() => fib.close());
    fib.submit(rib.drainChanges());
    const statics = (...ps: string[]): StaticRouteConfig[] => ps.map((p) => via(p, '198.18.0.2'));
    rib.setStatic(statics('198.18.100.0/24', '198.18.101.0/24'));
    fib.submit(rib.drainChanges());
    rib.setStatic(statics('198.18.100.0/24'));
    fib.submit(rib.drainChanges());
    // This drain frees 198.18.101.0/24's id in the RIB unless the manager holds it; the two
    // changes above still name it.
    fib.submit(rib.drainChanges());
    await fib.idle();
    t.deepEqual(await kernelRoutes(topo), new Map([['198.18.100.0/24', '198.18.0.2']]));
    t.is(rib.prefixTables.ipv4.find('198.18.101.0/24'), -1, 'its id went back once written');
    t.is(rib.prefixTables.ipv4.size, 2, 'the RIB table holds 198.18.0.0/24 and .100');
    // A new prefix gets a clean id.
    rib.setStatic(statics('198.18.100.0/24', '198.18.102.0/24'));
    fib.submit(rib.drainChanges());
    await fib.idle();
    t.deepEqual(await kernelRoutes(topo), new Map([['198.18.100.0/24', '198.18.0.2'], ['198.18.102.0/24', '198.18.0.2']]));
  });
});

test('closing gives the RIB every id the manager held', async (t) => {
  await withTopology(t, SPEC, async (topo) => {
    const rib = ribWith([via('198.18.100.0/24', '198.18.0.2')]);
    const fib = await FibManager.open({ mode: 'kernel', xdpInterfaces: [], netns: topo.ns('r'), log, prefixes: rib.prefixTables });
    await sync(fib, rib);
    rib.setStatic([]);
    rib.drainChanges();
    // The RIB let go of the prefix; the manager (which has not written the withdrawal) holds it.
    t.true(rib.prefixTables.ipv4.find('198.18.100.0/24') >= 0);
    await fib.close();
    // The RIB gives its own reference back at its next drain; the manager's went at close.
    rib.drainChanges();
    t.is(rib.prefixTables.ipv4.find('198.18.100.0/24'), -1);
    t.deepEqual(await kernelRoutes(topo), new Map());
  });
});
