// Each daemon launcher of test/harness/peers.ts brings up a real session with the lite speaker
// and exchanges routes both ways, IPv4 and IPv6: GoBGP, FRR's bgpd and ExaBGP. One topology per
// daemon (lite ↔ daemon), all in this file's namespaces.

import test from 'ava';

import { LiteAgent } from './harness/lite.js';
import { createTopology, type Topology } from './harness/netns.js';
import { makePeer, type PeerDaemon, type PeerKind } from './harness/peers.js';

const LITE_AS = 65101;
const DAEMON_AS = 4200000102;

const cleanups: (() => Promise<void>)[] = [];
test.after.always(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function exchange(t: import('ava').ExecutionContext, kind: PeerKind, index: number): Promise<void> {
  const topo: Topology = await createTopology({ nodes: ['lite', 'daemon'], links: [{ a: 'lite', b: 'daemon' }] }, `${import.meta.url}${kind}`);
  cleanups.push(() => topo.destroy());
  const lite = topo.end('lite', 'daemon');
  const peer = topo.end('daemon', 'lite');
  const own = { v4: `198.19.${index}.0/24`, v6: `2001:db8:ff${index}::/48` };
  const ours = { v4: `198.19.${100 + index}.0/24`, v6: `2001:db8:fe${index}::/48` };

  // ExaBGP only connects out; the others wait for the lite speaker to connect.
  const active = kind === 'exabgp';
  const daemon: PeerDaemon = makePeer(kind, topo, 'daemon', {
    routerId: peer.v4,
    localAs: DAEMON_AS,
    neighbors: [{ address: lite.v4, remoteAs: LITE_AS, localAddress: peer.v4, passive: !active }],
    originate: [own.v4, own.v6],
    nextHopV6: peer.v6,
  });
  cleanups.push(() => daemon.stop());
  t.teardown(() => {
    if (!t.passed) t.log(daemon.logTail(40));
  });
  const agent = await LiteAgent.start(topo, 'lite', { keepAttributes: true });
  cleanups.push(() => agent.stop());
  const session = { localAs: LITE_AS, peerAs: DAEMON_AS, routerId: lite.v4 };
  if (active) await agent.listen({ host: lite.v4, ...session });
  await daemon.start();
  const open = active ? await agent.accept(20_000) : await agent.connect({ host: peer.v4, localAddress: lite.v4, ...session });
  t.is(open.peerRouterId, peer.v4);
  await daemon.waitEstablished(lite.v4, 10_000);

  await agent.announce([
    { prefix: ours.v4, nextHop: lite.v4, asPath: [LITE_AS] },
    { prefix: ours.v6, nextHop: lite.v6, asPath: [LITE_AS] },
  ]);
  await daemon.waitRoute(ours.v4, 10_000);
  await daemon.waitRoute(ours.v6, 10_000);
  await agent.waitFor(1, 1, 10_000);
  t.deepEqual(await agent.prefixes(), { v4: [own.v4], v6: [own.v6] });
  const routes = await agent.routes();
  const path = routes.find((r) => r.prefix === own.v4)?.attributes?.find((a) => a.name === 'AS_PATH');
  t.deepEqual(path?.name === 'AS_PATH' ? path.value.flatMap((s) => s.asns) : undefined, [DAEMON_AS]);
}

test('GoBGP establishes with the lite speaker and exchanges IPv4 and IPv6 routes', (t) => exchange(t, 'gobgp', 1));
test('FRR bgpd establishes with the lite speaker and exchanges IPv4 and IPv6 routes', (t) => exchange(t, 'frr', 2));
test('ExaBGP establishes with the lite speaker and exchanges IPv4 and IPv6 routes', (t) => exchange(t, 'exabgp', 3));
test('BIRD establishes with the lite speaker and exchanges IPv4 and IPv6 routes', (t) => exchange(t, 'bird', 4));
