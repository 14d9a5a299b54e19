// The harness end to end with BIRD 2 as the device under test: feeder (lite speaker) → BIRD →
// collector (lite speaker), each in its own namespace. Proves the topology builder, the BIRD
// launcher, the feeder and the collector together.

import test from 'ava';

import { buildFeed } from '../tools/bench/lib/feeder.js';
import { LiteAgent } from './harness/lite.js';
import { createTopology, type Topology } from './harness/netns.js';
import { Bird } from './harness/peers.js';

const FEEDER_AS = 65001;
const DUT_AS = 65002;
const COLLECTOR_AS = 65003;
const V4 = 2000;
const V6 = 500;
const SEED = 7;

let topo: Topology | undefined;
const stops: (() => Promise<void>)[] = [];

test.after.always(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  await topo?.destroy();
});

test('feeder → BIRD → collector: the collector holds exactly the fed prefixes, then loses the withdrawn ones', async (t) => {
  topo = await createTopology({ nodes: ['feeder', 'dut', 'collector'], links: [{ a: 'feeder', b: 'dut' }, { a: 'dut', b: 'collector' }] }, import.meta.url);
  const fEnd = topo.end('feeder', 'dut');
  const dIn = topo.end('dut', 'feeder');
  const dOut = topo.end('dut', 'collector');
  const cEnd = topo.end('collector', 'dut');

  const bird = new Bird(topo, 'dut', {
    routerId: '198.18.255.2',
    localAs: DUT_AS,
    neighbors: [
      { address: fEnd.v4, remoteAs: FEEDER_AS, localAddress: dIn.v4, passive: true },
      { address: cEnd.v4, remoteAs: COLLECTOR_AS, localAddress: dOut.v4, passive: true },
    ],
  });
  stops.push(() => bird.stop());
  t.teardown(() => {
    if (!t.passed) t.log(bird.logTail(40));
  });
  await bird.start();

  const feeder = await LiteAgent.start(topo, 'feeder');
  stops.push(() => feeder.stop());
  const collector = await LiteAgent.start(topo, 'collector', { keepAttributes: true });
  stops.push(() => collector.stop());

  await feeder.connect({ host: dIn.v4, localAddress: fEnd.v4, localAs: FEEDER_AS, peerAs: DUT_AS, routerId: '198.18.255.1' });
  await collector.connect({ host: dOut.v4, localAddress: cEnd.v4, localAs: COLLECTOR_AS, peerAs: DUT_AS, routerId: '198.18.255.3' });
  await bird.waitEstablished(fEnd.v4, 5000);
  await bird.waitEstablished(cEnd.v4, 5000);

  const opts = { v4: V4, v6: V6, seed: SEED, nextHopV4: fEnd.v4, nextHopV6: fEnd.v6 };
  const expected = buildFeed({ ...opts, localAs: FEEDER_AS });
  const built = await feeder.build(opts);
  t.deepEqual([built.v4, built.v6], [V4, V6]);
  const sent = await feeder.send();
  t.true(sent.messages > 0);

  await collector.waitFor(V4, V6, 20_000);
  const held = await collector.prefixes();
  t.deepEqual(held.v4, [...expected.v4].sort());
  t.deepEqual(held.v6, [...expected.v6].sort());
  t.deepEqual(await bird.routeCount(), { v4: V4, v6: V6 });

  // BIRD re-announces with its own AS in front of the feeder's, and itself as next hop.
  const routes = await collector.routes();
  const sample = routes.find((r) => r.prefix === expected.v4[0]);
  const path = sample?.attributes?.find((a) => a.name === 'AS_PATH');
  t.deepEqual(path?.name === 'AS_PATH' ? path.value[0]?.asns.slice(0, 2) : undefined, [DUT_AS, FEEDER_AS]);
  const nh = sample?.attributes?.find((a) => a.name === 'NEXT_HOP');
  t.is(nh?.value, dOut.v4);

  // Withdraw 80 IPv4 and 20 IPv6 prefixes.
  const goneV4 = expected.v4.slice(0, 80);
  const goneV6 = expected.v6.slice(0, 20);
  await feeder.withdraw(goneV4, goneV6);
  await collector.waitFor(V4 - 80, V6 - 20, 10_000);
  const after = await collector.prefixes();
  t.deepEqual(after.v4, expected.v4.slice(80).sort());
  t.deepEqual(after.v6, expected.v6.slice(20).sort());
});
