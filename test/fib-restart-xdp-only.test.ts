// Restart without loss in fib mode xdp (XDP maps only, no kernel routes behind them) with routes
// from BIRD: routed stops with keep-forwarding-on-stop, BIRD withdraws one prefix meanwhile, routed
// starts again and adopts the pinned trie entries with their next-hop slots as they are (nothing
// in the kernel could forward them). UDP datagrams sent to the kept prefix all along the restart
// all arrive; the kept prefix points at a resolved slot at every poll; after End-of-RIB the
// withdrawn one is swept, and the kept one is forwarded by XDP through a next hop of the new run.

import test from 'ava';
import { existsSync, rmSync } from 'node:fs';
import { withTopology } from './harness/netns.js';
import { RoutedXdp, bpfObjectPath } from '../src/fib/bpf/routed.js';
import { RoutedNhFlag } from '../src/fib/bpf/layout.generated.js';
import { Receiver, RouterDaemon, TOPOLOGY, kernelRoutes, pollUntil, prepare, send, startBird } from './fib-e2e-fixtures.js';

const KEPT = '198.18.210.0/24';
const GONE = '198.18.211.0/24';
const HOST = '198.18.210.5';
const COUNT = 600;

test('restart with keep-forwarding (xdp only, BIRD): no datagram lost, adopted slots kept until End-of-RIB', async (t) => {
  if (!existsSync(bpfObjectPath('xdp_fwd'))) throw new Error('dist/bpf/xdp_fwd.o missing: run tools/build-bpf');
  await withTopology(t, TOPOLOGY, async (topo) => {
    const pinDir = `/sys/fs/bpf/rtd-rsx-${process.pid}`;
    t.teardown(() => rmSync(pinDir, { recursive: true, force: true }));
    const pass = await prepare(topo, [KEPT, GONE], [HOST]);
    t.teardown(() => pass.close());
    const bird = await startBird(topo, [KEPT], `protocol static gone_v4 { ipv4; route ${GONE} blackhole; }\n`);
    t.teardown(() => bird.stop());
    const first = new RouterDaemon(topo, pinDir, true, 'xdp');
    t.teardown(() => first.dispose());
    first.start();
    const tail = (): string => `${first.tail()}\n--- bird ---\n${bird.logTail(20)}`;
    const maps = RoutedXdp.load({ pinDir });
    t.teardown(() => maps.object.close());
    const entry = (p: string): number | undefined => maps.v4.dump().find(([q]) => q === p)?.[1];
    const resolved = (p: string): boolean => {
      const id = entry(p);
      return id !== undefined && (maps.nextHops.get(id).flags & RoutedNhFlag.RESOLVED) !== 0;
    };
    await pollUntil(async () => resolved(KEPT) && resolved(GONE), 30_000, 'both trie entries with a resolved next hop', tail);
    t.deepEqual(await kernelRoutes(topo), [], 'xdp mode: no kernel route of ours');
    const before = entry(KEPT)!;

    const rx = new Receiver(topo, [HOST]);
    await rx.ready;
    const fwd0 = maps.counters.get('FORWARDED').packets;
    const sending = send(topo, HOST, COUNT, 5);

    await first.stop();
    t.regex(first.log(), /routed stopped/);
    await bird.birdc('disable gone_v4');
    const second = new RouterDaemon(topo, pinDir, true, 'xdp');
    t.teardown(() => second.dispose());
    const broken: string[] = [];
    let polls = 0;
    let swept = false;
    const watch = (async () => {
      while (!swept) {
        polls++;
        if (!resolved(KEPT)) broken.push(`poll ${polls}: ${KEPT} → ${entry(KEPT)}`);
        swept = entry(GONE) === undefined;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    second.start();
    const tail2 = (): string => `${second.tail()}\n--- bird ---\n${bird.logTail(20)}`;
    await pollUntil(async () => swept, 30_000, `${GONE} swept from the trie`, tail2);
    await watch;
    t.deepEqual(broken, [], `${KEPT} on a resolved slot at each of ${polls} polls`);
    t.regex(second.log(), /adopted 0 kernel routes and \d+ XDP entries/);
    t.regex(second.log(), /every neighbor sent End-of-RIB, \d+ stale entries swept/);

    await sending;
    await pollUntil(async () => rx.count(HOST) >= COUNT, 10_000, `receiver got ${rx.count(HOST)}/${COUNT} datagrams`, tail2);
    t.is(rx.count(HOST), COUNT, 'no datagram lost across the restart');
    t.true(maps.counters.get('FORWARDED').packets - fwd0 >= BigInt(COUNT), 'every datagram forwarded by XDP');

    // The kept prefix is on a slot of the new run; the adopted one went back to the pool, zeroed.
    await pollUntil(async () => resolved(KEPT) && entry(KEPT) !== before, 20_000, `${KEPT} on a next hop of the new run`, tail2);
    t.is(maps.nextHops.get(before).flags, 0, 'the adopted slot was released');
    await send(topo, HOST, 20);
    await pollUntil(async () => rx.count(HOST) >= COUNT + 20, 10_000, `receiver got ${rx.count(HOST)}/${COUNT + 20}`, tail2);
  });
});
