// The cooperative FIB check and repair (src/fib/reconcile.ts findFibDiffs, repairFib) against a
// FibManager writing real kernel routes in a namespace: router r between a (e0) and b (e1), a few
// thousand static routes. The passes run with Turns(0), so they let the event loop turn after
// every step, as a long pass over a full table does: differences made by hand are still all
// found and repaired, and routes that change while a pass runs are not reported.

import test from 'ava';
import { withTopology } from './harness/netns.js';
import type { Topology } from './harness/netns.js';
import { FibManager } from '../src/fib/manager.js';
import type { FibLog } from '../src/fib/manager.js';
import { findFibDiffs, repairFib } from '../src/fib/reconcile.js';
import type { FibDiff, RibReader } from '../src/fib/reconcile.js';
import { Turns } from '../src/fib/turns.js';
import { Rib } from '../src/rib/index.js';
import { fibRibConfig } from './helpers/rib-config.js';
import type { StaticRouteConfig } from '../src/config/types.js';

const cfg = fibRibConfig;

/** 198.18.16.0/24 … : `count` /28s through b. */
function statics(count: number): StaticRouteConfig[] {
  return Array.from({ length: count }, (_, i) => ({ prefix: `198.18.${16 + (i >> 4)}.${(i & 15) << 4}/28`, type: 'via' as const, via: ['198.18.1.2'] }));
}

async function ip(topo: Topology, ...args: string[]): Promise<string> {
  return (await topo.run('r', 'ip', args)).stdout;
}

async function setup(topo: Topology, t: { teardown(fn: () => unknown): void }, routes: StaticRouteConfig[]): Promise<{ fib: FibManager; rib: Rib; logs: string[] }> {
  const logs: string[] = [];
  const log: FibLog = { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`) };
  const fib = await FibManager.open({ mode: 'kernel', xdpInterfaces: [], netns: topo.ns('r'), log });
  t.teardown(() => fib.close());
  const rib = new Rib(cfg);
  rib.setConnected([{ prefix: '198.18.0.2/24', interface: 'e0' }, { prefix: '198.18.1.1/24', interface: 'e1' }]);
  rib.setStatic(routes);
  fib.submit(rib.drainChanges());
  await fib.idle();
  return { fib, rib, logs };
}

const every = (): { turns: Turns } => ({ turns: new Turns(0) });

test('differences made by hand are all found and repaired by passes that yield after every step', async (t) => {
  await withTopology(t, { nodes: ['a', 'r', 'b'], links: [{ a: 'a', b: 'r' }, { a: 'r', b: 'b' }] }, async (topo) => {
    const routes = statics(3000);
    const { fib, rib, logs } = await setup(topo, t, routes);
    t.deepEqual(await findFibDiffs(fib, rib, every()), [], `clean after the writes (${logs.join('; ')})`);

    // Two routes gone, one pointing elsewhere, one of routed's that nothing wants.
    await ip(topo, 'route', 'del', '198.18.16.16/28', 'proto', '186');
    await ip(topo, 'route', 'del', '198.18.200.112/28', 'proto', '186');
    await ip(topo, 'route', 'replace', '198.18.100.32/28', 'via', '198.18.0.1', 'proto', '186');
    await ip(topo, 'route', 'add', '198.18.250.0/24', 'via', '198.18.1.2', 'proto', '186');
    const want: FibDiff[] = [
      { family: 'ipv4', prefix: '198.18.16.16/28', plane: 'kernel', problem: 'missing', want: 'via 198.18.1.2' },
      { family: 'ipv4', prefix: '198.18.100.32/28', plane: 'kernel', problem: 'differs', want: 'via 198.18.1.2', have: 'via 198.18.0.1' },
      { family: 'ipv4', prefix: '198.18.200.112/28', plane: 'kernel', problem: 'missing', want: 'via 198.18.1.2' },
      { family: 'ipv4', prefix: '198.18.250.0/24', plane: 'kernel', problem: 'extra', have: 'via 198.18.1.2' },
    ];
    t.deepEqual(await findFibDiffs(fib, rib, every()), want);
    t.is(await fib.repairNow(() => repairFib(fib, rib, every())), 4);
    t.deepEqual(await findFibDiffs(fib, rib, every()), [], 'clean after the repair');
    const table = await ip(topo, 'route', 'show', 'proto', '186');
    t.is(table.trim().split('\n').length, routes.length);
    t.regex(table, /198\.18\.100\.32\/28 .*via 198\.18\.1\.2 /);
    t.notRegex(table, /198\.18\.250\.0\/24/);
  });
});

test('routes that change while a pass runs are candidates at most: compared again, they are not reported', async (t) => {
  await withTopology(t, { nodes: ['a', 'r', 'b'], links: [{ a: 'a', b: 'r' }, { a: 'r', b: 'b' }] }, async (topo) => {
    const routes = statics(2000);
    const { fib, rib } = await setup(topo, t, routes);
    // Between two steps of the pass, the last route goes and a new one comes, and the FIB writes both (as
    // the daemon's tick would): the kernel dump the pass compares against is older than that.
    const added: StaticRouteConfig = { prefix: '198.18.240.0/24', type: 'via', via: ['198.18.1.2'] };
    let moved = false;
    const moving: RibReader = {
      *bestRoutes(family) {
        let i = 0;
        for (const c of rib.bestRoutes(family)) {
          yield c;
          if (family !== 'ipv4' || ++i !== 500) continue;
          rib.setStatic([...routes.slice(0, -1), added]);
          fib.submit(rib.drainChanges());
          moved = true;
        }
      },
      lookup: (family, prefix) => rib.lookup(family, prefix),
    };
    let candidates: readonly FibDiff[] = [];
    t.deepEqual(await findFibDiffs(fib, moving, { ...every(), firstPass: (d) => (candidates = d) }), []);
    t.true(moved);
    // The route removed is later in the table than where the pass stood: the older dump has it and
    // the RIB no longer does, so the first pass saw at least that one differ.
    const removed = routes.at(-1)!.prefix;
    t.true(candidates.length > 0 && candidates.every((d) => d.prefix === removed || d.prefix === added.prefix), `first pass: ${JSON.stringify(candidates)}`);
    // And a repair pass over a moving RIB changes nothing that is right.
    t.is(await fib.repairNow(() => repairFib(fib, rib, every())), 0);
    const table = await ip(topo, 'route', 'show', 'proto', '186');
    t.regex(table, /198\.18\.240\.0\/24 .*via 198\.18\.1\.2 /);
    t.false(table.includes(`${removed} `), removed);
  });
});
