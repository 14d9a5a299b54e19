// The kernel backend's route → nexthop-object table (src/fib/kernel/route-nh.ts): identities by
// family, address, length and metric; values survive the table growing; removed routes count no
// more and their slots are reused.

import test from 'ava';
import { RouteNhTable } from '../src/fib/kernel/route-nh.js';
import type { FibRoute } from '../src/fib/types.js';

const r4 = (i: number, len = 32, metric?: number): FibRoute => ({ family: 'ipv4', prefix: `198.18.${i >> 8}.${i & 255}/${len}`, kind: 'unicast', nextHops: [], ...(metric !== undefined ? { metric } : {}) });
const r6 = (i: number, metric?: number): FibRoute => ({ family: 'ipv6', prefix: `2001:db8:${i.toString(16)}::/48`, kind: 'unicast', nextHops: [], ...(metric !== undefined ? { metric } : {}) });

test('routes keep their nexthop id through growth; length, metric and family tell routes apart', (t) => {
  const table = new RouteNhTable();
  const routes: FibRoute[] = [];
  for (let i = 0; i < 3000; i++) routes.push(r4(i), r6(i));
  // Same address, other length or metric; IPv6 default metric 1024 is the same route as none.
  routes.push(r4(4, 31), r4(4, 32, 7), r6(5, 1));
  let n = 1;
  for (const r of routes) {
    table.reserve(1);
    table.set(r, table.slot(r), n++);
  }
  t.is(table.size, routes.length);
  table.reserve(50_000);
  routes.forEach((r, i) => t.is(table.get(r, table.slot(r)), i + 1, r.prefix));
  t.is(table.get(r6(5, 1024), table.slot(r6(5, 1024))), routes.indexOf(routes.find((r) => r.prefix === r6(5).prefix)!) + 1);

  for (const r of routes.slice(0, 1000)) table.set(r, table.slot(r), undefined);
  t.is(table.size, routes.length - 1000);
  table.reserve(100_000);
  t.is(table.get(routes[0]!, table.slot(routes[0]!)), undefined, 'removed');
  t.is(table.get(routes[1000]!, table.slot(routes[1000]!)), 1001, 'kept');
  table.clear();
  t.is(table.size, 0);
  t.throws(() => table.slot({ family: 'ipv4', prefix: 'nonsense', kind: 'unicast', nextHops: [] }), { instanceOf: RangeError });
});
