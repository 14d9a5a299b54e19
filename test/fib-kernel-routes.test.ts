// The kernel FIB backend programs routes the kernel really has, read back with iproute2: unicast
// via a gateway or an interface, blackhole, unreachable and ECMP, IPv4 and IPv6, installed,
// replaced and deleted — with nexthop objects and with classic gateway routes. A failing route in
// a batch fails alone, and dump/flush touch routed's routes only.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { FibOp, FibRoute } from '../src/fib/types.js';
import { gatewaysOf, ipNexthops, ipRoutes, openFib, routerTopology, v4, v6 } from './fib-kernel-fixtures.js';

const mix: FibRoute[] = [
  v4('198.19.1.0/24', [{ gateway: '198.18.0.2' }]),
  v4('198.19.2.0/24', [{ interface: 'e1' }]),
  { family: 'ipv4', prefix: '198.19.3.0/24', kind: 'blackhole', nextHops: [] },
  { family: 'ipv4', prefix: '198.19.4.0/24', kind: 'unreachable', nextHops: [] },
  v4('198.19.5.0/24', [{ gateway: '198.18.0.2' }, { gateway: '198.18.1.2', weight: 3 }]),
  v4('198.19.6.0/24', [{ gateway: '198.18.1.2' }], { metric: 50 }),
  v6('2001:db8:100::/48', [{ gateway: '2001:db8::2' }]),
  v6('2001:db8:101::/48', [{ interface: 'e0' }]),
  { family: 'ipv6', prefix: '2001:db8:102::/48', kind: 'blackhole', nextHops: [] },
  { family: 'ipv6', prefix: '2001:db8:103::/48', kind: 'unreachable', nextHops: [] },
  v6('2001:db8:104::/48', [{ gateway: '2001:db8::2' }, { gateway: '2001:db8:0:1::2' }]),
];

async function lifecycle(t: ExecutionContext, nexthopObjects: boolean): Promise<void> {
  const topo = await routerTopology(t, import.meta.url);
  const fib = await openFib(t, topo, { nexthopObjects });
  const res = await fib.apply(mix.map((route) => ({ op: 'replace', route })));
  t.deepEqual(res, { applied: mix.length, errors: [] });

  let r4 = await ipRoutes(topo, 'ipv4');
  let r6 = await ipRoutes(topo, 'ipv6');
  t.deepEqual(gatewaysOf(r4.get('198.19.1.0/24')), ['198.18.0.2']);
  t.is(r4.get('198.19.2.0/24')?.dev, 'e1');
  t.is(r4.get('198.19.3.0/24')?.type, 'blackhole');
  t.is(r4.get('198.19.4.0/24')?.type, 'unreachable');
  t.deepEqual(gatewaysOf(r4.get('198.19.5.0/24')), ['198.18.0.2', '198.18.1.2']);
  t.deepEqual(r4.get('198.19.5.0/24')?.nexthops?.map((h) => h.weight).sort(), [1, 3]);
  t.is(r4.get('198.19.6.0/24')?.metric, 50);
  t.deepEqual(gatewaysOf(r6.get('2001:db8:100::/48')), ['2001:db8::2']);
  t.is(r6.get('2001:db8:101::/48')?.dev, 'e0');
  t.is(r6.get('2001:db8:102::/48')?.type, 'blackhole');
  t.is(r6.get('2001:db8:103::/48')?.type, 'unreachable');
  t.deepEqual(gatewaysOf(r6.get('2001:db8:104::/48')), ['2001:db8:0:1::2', '2001:db8::2']);
  t.is(r4.size + r6.size, mix.length);
  t.is((await ipNexthops(topo)).length > 0, nexthopObjects, 'nexthop objects only in that mode');

  // Replace: another gateway, unicast → blackhole, ECMP → single; then delete two.
  const next: FibOp[] = [
    { op: 'replace', route: v4('198.19.1.0/24', [{ gateway: '198.18.1.2' }]) },
    { op: 'replace', route: { family: 'ipv4', prefix: '198.19.2.0/24', kind: 'blackhole', nextHops: [] } },
    { op: 'replace', route: v6('2001:db8:104::/48', [{ gateway: '2001:db8:0:1::2' }]) },
    { op: 'delete', route: mix[3]! },
    { op: 'delete', route: mix[8]! },
  ];
  t.deepEqual(await fib.apply(next), { applied: 5, errors: [] });
  r4 = await ipRoutes(topo, 'ipv4');
  r6 = await ipRoutes(topo, 'ipv6');
  t.deepEqual(gatewaysOf(r4.get('198.19.1.0/24')), ['198.18.1.2']);
  t.is(r4.get('198.19.2.0/24')?.type, 'blackhole');
  t.deepEqual(gatewaysOf(r6.get('2001:db8:104::/48')), ['2001:db8:0:1::2']);
  t.false(r4.has('198.19.4.0/24'));
  t.false(r6.has('2001:db8:102::/48'));
  t.is(r4.size + r6.size, mix.length - 2);

  // The backend's own dump agrees with iproute2.
  const dumped = new Map((await fib.dump()).map((r) => [r.prefix, r]));
  t.is(dumped.size, mix.length - 2);
  t.deepEqual(dumped.get('198.19.5.0/24')?.nextHops.map((h) => h.gateway).sort(), ['198.18.0.2', '198.18.1.2']);
  t.is(dumped.get('198.19.6.0/24')?.metric, 50);
  t.is(dumped.get('2001:db8:103::/48')?.kind, 'unreachable');
  t.is(dumped.get('2001:db8:100::/48')?.metric, 1024);

  // Deleting what is not there is that operation's error (ESRCH), nothing else's.
  const again = await fib.apply([{ op: 'delete', route: mix[3]! }, { op: 'delete', route: mix[0]! }]);
  t.is(again.applied, 1);
  t.deepEqual(again.errors.map((e) => [e.index, e.code]), [[0, 'ESRCH']]);
}

test('routes with nexthop objects: install, replace, delete, read back', (t) => lifecycle(t, true));
test('classic routes (gateway in the route, RTA_MULTIPATH): install, replace, delete, read back', (t) => lifecycle(t, false));

async function failingBatch(t: ExecutionContext, nexthopObjects: boolean): Promise<void> {
  const topo = await routerTopology(t, import.meta.url);
  const fib = await openFib(t, topo, { nexthopObjects, batchSize: 64 });
  const ops: FibOp[] = [];
  for (let i = 0; i < 300; i++) ops.push({ op: 'replace', route: v4(`198.19.${i >> 4}.${(i & 15) << 4}/28`, [{ gateway: '198.18.0.2' }]) });
  // 198.19.99.1 is on no link and has no route: not a usable gateway.
  ops[37] = { op: 'replace', route: v4('198.19.200.0/24', [{ gateway: '198.19.99.1' }]) };
  // Host bits set: the kernel itself refuses this one, in the middle of a datagram.
  ops[130] = { op: 'replace', route: v4('198.19.201.1/24', [{ gateway: '198.18.0.2' }]) };
  ops[250] = { op: 'replace', route: v6('2001:db8:200::/48', [{ gateway: '2001:db8:99::1' }]) };
  const res = await fib.apply(ops);
  // IPv6 says EHOSTUNREACH where IPv4 says ENETUNREACH (the kernel's own words, classic mode).
  const unreach6 = nexthopObjects ? 'ENETUNREACH' : 'EHOSTUNREACH';
  t.deepEqual(res.errors.map((e) => [e.index, e.code]), [[37, 'ENETUNREACH'], [130, 'EINVAL'], [250, unreach6]]);
  t.is(res.applied, 297);
  const r4 = await ipRoutes(topo, 'ipv4');
  t.is(r4.size, 297);
  t.false(r4.has('198.19.200.0/24'));
  t.true(r4.has('198.19.0.0/28') && r4.has('198.19.18.112/28'));
  t.is((await ipRoutes(topo, 'ipv6')).size, 0);
}

test('a batch with failing routes reports exactly those and installs the others (nexthop objects)', (t) => failingBatch(t, true));
test('a batch with failing routes reports exactly those and installs the others (classic)', (t) => failingBatch(t, false));

test('dump and flush see only routed\'s routes and leave other protocols\' routes and nexthops alone', async (t) => {
  const topo = await routerTopology(t, import.meta.url);
  await topo.run('r', 'ip', ['-batch', '-'], {
    input: [
      'route add 198.19.50.0/24 via 198.18.0.2 proto static',
      'route add 2001:db8:50::/48 via 2001:db8::2 proto static',
      'nexthop add id 7 via 198.18.1.2 dev e1 proto static',
      'route add 198.19.51.0/24 nhid 7 proto static',
    ].join('\n') + '\n',
  });
  const fib = await openFib(t, topo);
  const res = await fib.apply(mix.map((route) => ({ op: 'replace', route })));
  t.is(res.errors.length, 0);
  t.is((await fib.dump()).length, mix.length);
  t.is(await fib.flush(), mix.length);
  t.is((await ipRoutes(topo, 'ipv4')).size + (await ipRoutes(topo, 'ipv6')).size, 0);
  t.deepEqual((await fib.dump()), []);
  const statics = await ipRoutes(topo, 'ipv4', 4);
  t.deepEqual([...statics.keys()].sort(), ['198.19.50.0/24', '198.19.51.0/24']);
  t.true((await ipRoutes(topo, 'ipv6', 4)).has('2001:db8:50::/48'));
  t.deepEqual((await ipNexthops(topo)).map((n) => n.id), [7]);
  // The backend still works after a flush.
  t.is((await fib.apply([{ op: 'replace', route: mix[0]! }])).applied, 1);
});
