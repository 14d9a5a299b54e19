// End to end through routed's forwarding plane: sender ns → router ns → receiver ns. routed on the
// router learns 198.18.200.0/24 from BIRD (in the receiver ns, so BIRD's own address is the next
// hop) and programs it in fib mode xdp+kernel, the XDP forwarder attached to both router veths.
// UDP datagrams to a host behind the route arrive and the XDP FORWARDED counter rises; BIRD
// withdrawing the route removes the trie entry and the kernel route.

import test from 'ava';
import { existsSync, rmSync } from 'node:fs';
import { withTopology } from './harness/netns.js';
import { RoutedXdp, bpfObjectPath } from '../src/fib/bpf/routed.js';
import { RoutedNhFlag } from '../src/fib/bpf/layout.generated.js';
import { Receiver, RouterDaemon, TOPOLOGY, kernelRoutes, pollUntil, prepare, send, startBird } from './fib-e2e-fixtures.js';

const PREFIX = '198.18.200.0/24';
const DST = '198.18.200.5';
const COUNT = 40;

test('UDP through routed (BIRD route, xdp+kernel): forwarded by XDP, withdrawal removes entry and kernel route', async (t) => {
  if (!existsSync(bpfObjectPath('xdp_fwd'))) throw new Error('dist/bpf/xdp_fwd.o missing: run tools/build-bpf');
  await withTopology(t, TOPOLOGY, async (topo) => {
    const pinDir = `/sys/fs/bpf/rtd-e2e-${process.pid}`;
    t.teardown(() => rmSync(pinDir, { recursive: true, force: true }));
    const pass = await prepare(topo, [PREFIX], [DST]);
    t.teardown(() => pass.close());
    const bird = await startBird(topo, [PREFIX]);
    t.teardown(() => bird.stop());
    const routed = new RouterDaemon(topo, pinDir);
    t.teardown(() => routed.dispose());
    routed.start();
    const tail = (): string => `${routed.tail()}\n--- bird ---\n${bird.logTail(20)}`;

    await pollUntil(async () => (await kernelRoutes(topo)).includes(PREFIX), 30_000, `kernel route ${PREFIX} with protocol 186 on the router`, tail);
    // The test's view of routed's pinned maps (the same maps; program loaded, attached nowhere).
    const maps = RoutedXdp.load({ pinDir });
    t.teardown(() => maps.object.close());
    const entry = (): number | undefined => maps.v4.dump().find(([p]) => p === PREFIX)?.[1];
    await pollUntil(async () => {
      const id = entry();
      return id !== undefined && (maps.nextHops.get(id).flags & RoutedNhFlag.RESOLVED) !== 0;
    }, 20_000, `trie entry ${PREFIX} with a resolved next hop`, tail);
    t.regex(routed.log(), /XDP forwarder attached to e0 \(native\)/);

    const rx = new Receiver(topo, [DST]);
    await rx.ready;
    const fwd0 = maps.counters.get('FORWARDED').packets;
    await send(topo, DST, COUNT);
    await pollUntil(async () => rx.count(DST) >= COUNT, 10_000, `receiver got ${rx.count(DST)}/${COUNT} datagrams`, tail);
    t.is(rx.count(DST), COUNT);
    const forwarded = maps.counters.get('FORWARDED').packets - fwd0;
    t.true(forwarded >= BigInt(COUNT), `XDP FORWARDED rose by ${forwarded}`);

    // BIRD withdraws: maps first, then the kernel route (manager.ts ordering); both go.
    await bird.birdc('disable static_ipv4');
    await pollUntil(async () => entry() === undefined && !(await kernelRoutes(topo)).includes(PREFIX), 20_000, `${PREFIX} gone from trie and kernel`, tail);
    t.deepEqual(await kernelRoutes(topo), []);
    await routed.stop();
    t.regex(routed.log(), /routed stopped/);
  });
});
