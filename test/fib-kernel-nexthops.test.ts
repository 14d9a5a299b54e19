// Nexthop objects as the kernel FIB backend manages them: one object per distinct next hop, shared
// by every route using it; one RTM_NEWNEXTHOP moves all those routes; objects nothing uses are
// deleted; a restarted backend adopts the objects and routes of the previous run.

import test from 'ava';
import type { FibOp } from '../src/fib/types.js';
import { RTPROT_ROUTED } from '../src/fib/types.js';
import { gatewaysOf, ipNexthops, ipRoutes, openFib, routerTopology, v4, v6 } from './fib-kernel-fixtures.js';

const many = (n: number, gateway: string): FibOp[] =>
  Array.from({ length: n }, (_, i) => ({ op: 'replace', route: v4(`198.19.${i >> 4}.${(i & 15) << 4}/28`, [{ gateway }]) }));

test('routes share one nexthop object per next hop, move with it in one operation, and unused objects go', async (t) => {
  const topo = await routerTopology(t, import.meta.url);
  const fib = await openFib(t, topo);
  const ops = many(200, '198.18.0.2');
  ops.push({ op: 'replace', route: v4('198.19.100.0/24', [{ gateway: '198.18.0.2' }, { gateway: '198.18.1.2' }]) });
  ops.push({ op: 'replace', route: v6('2001:db8:100::/48', [{ gateway: '2001:db8::2' }]) });
  t.deepEqual(await fib.apply(ops), { applied: 202, errors: [] });

  // Singles for 198.18.0.2, 198.18.1.2, 2001:db8::2, and one group: all routed's.
  let nhs = await ipNexthops(topo);
  t.is(nhs.length, 4);
  t.true(nhs.every((n) => n.protocol === 'bgp' || n.protocol === String(RTPROT_ROUTED)), JSON.stringify(nhs));
  const shared = nhs.find((n) => n.gateway === '198.18.0.2')!;
  let r4 = await ipRoutes(topo, 'ipv4');
  t.true([...r4.values()].filter((r) => r.dst.endsWith('/28')).every((r) => r.nhid === shared.id));

  // Move: every route (and the group) behind 198.18.0.2 now goes via 198.18.1.77 on e1.
  t.is(await fib.moveNextHop('ipv4', { gateway: '198.18.0.2' }, { gateway: '198.18.1.77' }), 201);
  r4 = await ipRoutes(topo, 'ipv4');
  t.deepEqual(gatewaysOf(r4.get('198.19.0.0/28')), ['198.18.1.77']);
  t.is(r4.get('198.19.12.112/28')?.dev, 'e1');
  t.deepEqual(gatewaysOf(r4.get('198.19.100.0/24')), ['198.18.1.2', '198.18.1.77']);
  t.is(await fib.moveNextHop('ipv4', { gateway: '198.18.0.9' }, { gateway: '198.18.1.9' }), 0, 'nothing used that next hop');

  // New routes to the moved-to next hop reuse the moved object.
  t.is((await fib.apply([{ op: 'replace', route: v4('198.19.101.0/24', [{ gateway: '198.18.1.77' }]) }])).applied, 1);
  t.is((await ipRoutes(topo, 'ipv4')).get('198.19.101.0/24')?.nhid, shared.id);

  // Blackhole the ECMP route: its group goes; delete the /28s and the /24: their object goes.
  await fib.apply([{ op: 'replace', route: { family: 'ipv4', prefix: '198.19.100.0/24', kind: 'blackhole', nextHops: [] } }]);
  nhs = await ipNexthops(topo);
  // 198.18.1.2 was only a member of the group: it goes with it.
  t.deepEqual(nhs.map((n) => n.gateway).sort(), ['198.18.1.77', '2001:db8::2']);
  const dels: FibOp[] = ops.slice(0, 200).map((o) => ({ op: 'delete', route: o.route }));
  dels.push({ op: 'delete', route: v4('198.19.101.0/24', []) });
  t.deepEqual(await fib.apply(dels), { applied: 201, errors: [] });
  nhs = await ipNexthops(topo);
  t.deepEqual(nhs.map((n) => n.gateway).sort(), ['2001:db8::2'], '198.18.1.77 was only in the deleted routes');
  t.deepEqual(fib.stats(), { nexthopObjects: true, nexthops: 1, routesOnNexthops: 1, batchSize: fib.stats().batchSize });
});

test('a restarted backend adopts its nexthop objects and routes, and collects the ones it no longer uses', async (t) => {
  const topo = await routerTopology(t, import.meta.url);
  const first = await openFib(t, topo);
  await first.apply([...many(50, '198.18.0.2'), ...many(80, '198.18.1.2').slice(50)]);
  await first.close();

  const second = await openFib(t, topo);
  t.like(second.stats(), { nexthops: 2, routesOnNexthops: 80 });
  // Everything to 198.18.1.2: the object for 198.18.0.2 loses its last route and is deleted.
  const res = await second.apply(many(80, '198.18.1.2'));
  t.is(res.errors.length, 0);
  const nhs = await ipNexthops(topo);
  t.deepEqual(nhs.map((n) => n.gateway), ['198.18.1.2']);
  t.is((await ipRoutes(topo, 'ipv4')).size, 80);
});
