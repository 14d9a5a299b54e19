// Restart without loss in fib mode xdp+kernel with routes from BIRD: routed stops with
// keep-forwarding-on-stop (program attached, pinned maps and kernel routes stay), BIRD withdraws
// one prefix meanwhile, routed starts again and adopts everything as stale. UDP datagrams sent to
// the kept prefix all along the restart all arrive; the kept prefix is in the trie and the kernel
// at every poll and is never deleted; after End-of-RIB from BIRD the withdrawn one is swept from
// both, and the kept one is forwarded by XDP through a next hop of the new run.

import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { withTopology, stopProcess } from './harness/netns.js';
import { RoutedXdp, bpfObjectPath } from '../src/fib/bpf/routed.js';
import { RoutedNhFlag } from '../src/fib/bpf/layout.generated.js';
import { Receiver, RouterDaemon, TOPOLOGY, kernelRoutes, pollUntil, prepare, send, startBird } from './fib-e2e-fixtures.js';

const KEPT = '198.18.200.0/24';
const GONE = '198.18.201.0/24';
const HOST = '198.18.200.5';
const COUNT = 600;

test('restart with keep-forwarding (xdp+kernel, BIRD): no datagram lost, the withdrawn prefix swept after End-of-RIB', async (t) => {
  if (!existsSync(bpfObjectPath('xdp_fwd'))) throw new Error('dist/bpf/xdp_fwd.o missing: run tools/build-bpf');
  await withTopology(t, TOPOLOGY, async (topo) => {
    const pinDir = `/sys/fs/bpf/rtd-rst-${process.pid}`;
    t.teardown(() => rmSync(pinDir, { recursive: true, force: true }));
    const pass = await prepare(topo, [KEPT, GONE], [HOST]);
    t.teardown(() => pass.close());
    const bird = await startBird(topo, [KEPT], `protocol static gone_v4 { ipv4; route ${GONE} blackhole; }\n`);
    t.teardown(() => bird.stop());
    const first = new RouterDaemon(topo, pinDir, true);
    t.teardown(() => first.dispose());
    first.start();
    const tail = (): string => `${first.tail()}\n--- bird ---\n${bird.logTail(20)}`;
    await pollUntil(async () => (await kernelRoutes(topo)).length === 2, 30_000, 'two kernel routes on the router', tail);
    const maps = RoutedXdp.load({ pinDir });
    t.teardown(() => maps.object.close());
    const entry = (p: string): number | undefined => maps.v4.dump().find(([q]) => q === p)?.[1];
    const resolved = (p: string): boolean => {
      const id = entry(p);
      return id !== undefined && (maps.nextHops.get(id).flags & RoutedNhFlag.RESOLVED) !== 0;
    };
    await pollUntil(async () => resolved(KEPT) && resolved(GONE), 20_000, 'both trie entries with a resolved next hop', tail);

    // Every route message from here on: a delete-and-add of the kept prefix would show.
    const monitor = spawn('ip', ['-n', topo.ns('r'), 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let events = '';
    monitor.stdout.on('data', (d: Buffer) => (events += d.toString()));
    t.teardown(() => stopProcess(monitor, 1000));
    const rx = new Receiver(topo, [HOST]);
    await rx.ready;
    const sending = send(topo, HOST, COUNT, 5);

    await first.stop();
    t.regex(first.log(), /routed stopped/);
    t.deepEqual(await kernelRoutes(topo), [KEPT, GONE], 'routes kept on stop');
    await bird.birdc('disable gone_v4');
    const second = new RouterDaemon(topo, pinDir, true);
    t.teardown(() => second.dispose());
    const missing: string[] = [];
    let polls = 0;
    let swept = false;
    const watch = (async () => {
      while (!swept) {
        const k = await kernelRoutes(topo);
        polls++;
        if (!k.includes(KEPT)) missing.push(`kernel@${polls}`);
        if (entry(KEPT) === undefined) missing.push(`trie@${polls}`);
        swept = !k.includes(GONE) && entry(GONE) === undefined;
      }
    })();
    second.start();
    const tail2 = (): string => `${second.tail()}\n--- bird ---\n${bird.logTail(20)}`;
    await pollUntil(async () => swept, 30_000, `${GONE} swept from kernel and trie`, tail2);
    await watch;
    t.deepEqual(missing, [], `${KEPT} in kernel and trie at each of ${polls} polls`);
    t.regex(second.log(), /adopted 2 kernel routes and \d+ XDP entries/);
    t.regex(second.log(), /every neighbor sent End-of-RIB, \d+ stale entries swept/);

    await sending;
    await pollUntil(async () => rx.count(HOST) >= COUNT, 10_000, `receiver got ${rx.count(HOST)}/${COUNT} datagrams`, tail2);
    t.is(rx.count(HOST), COUNT, 'no datagram lost across the restart');
    t.false(new RegExp(`^Deleted .*${KEPT.replace(/\./g, '\\.')}`, 'm').test(events), `${KEPT} never deleted:\n${events}`);
    t.true(new RegExp(`^Deleted .*${GONE.replace(/\./g, '\\.')}`, 'm').test(events), `${GONE} deleted:\n${events}`);

    // The kept prefix goes back to XDP forwarding through this run's next hop.
    await pollUntil(async () => resolved(KEPT), 20_000, `${KEPT} on a resolved next hop again`, tail2);
    const fwd0 = maps.counters.get('FORWARDED').packets;
    await send(topo, HOST, 20);
    await pollUntil(async () => rx.count(HOST) >= COUNT + 20, 10_000, `receiver got ${rx.count(HOST)}/${COUNT + 20}`, tail2);
    t.true(maps.counters.get('FORWARDED').packets - fwd0 >= 20n, 'forwarded by XDP after the restart');
  });
});
