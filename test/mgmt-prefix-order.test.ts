// routectl's prefix order: IPv4 before IPv6, numeric address order, then length.

import test from 'ava';
import { comparePrefixes, prefixSortKey, sortByPrefix } from '../src/mgmt/prefix-order.js';

const listed = [
  '0.0.0.0/0', '1.0.0.0/24', '2.0.0.0/8', '10.0.0.0/8', '10.0.0.0/16', '10.0.0.0/24', '10.1.0.0/16',
  '100.0.0.0/8', '198.51.100.0/24', '255.255.255.255/32',
  '::/0', '2001:db8::/32', '2001:db8::/48', '2001:db8:0:1::/64', '2001:db8:40::/48', '2001:db8:100::/48', 'fe80::/10',
];

test('sorted by family, then address as a number, then length', (t) => {
  const shuffled = [...listed].reverse();
  shuffled.push(shuffled.shift()!);
  t.deepEqual([...shuffled].sort(comparePrefixes), listed);
  t.deepEqual(sortByPrefix(shuffled.map((prefix) => ({ prefix })), (x) => x.prefix).map((x) => x.prefix), listed);
});

test('text order is not prefix order', (t) => {
  t.true(comparePrefixes('2.0.0.0/8', '100.0.0.0/8') < 0);
  t.true(comparePrefixes('2001:db8:100::/48', '2001:db8:40::/48') > 0);
  t.is(comparePrefixes('10.0.0.0/8', '10.0.0.0/8'), 0);
});

test('equal prefixes keep their order; text that is not a prefix goes last', (t) => {
  const items = [{ p: 'junk', i: 0 }, { p: '192.0.2.0/24', i: 1 }, { p: '::/0', i: 2 }, { p: '192.0.2.0/24', i: 3 }];
  t.deepEqual(sortByPrefix(items, (x) => x.p).map((x) => x.i), [1, 3, 2, 0]);
  t.true(prefixSortKey('10.0.0.0/33') > prefixSortKey('ffff::/128'));
});
