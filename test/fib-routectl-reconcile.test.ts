// The pure FIB comparison (src/fib/reconcile.ts): made-up desired state, kernel routes and trie
// entries in, every difference out; and how a next-hop slot's flags read as an action.

import test from 'ava';
import { RoutedNhFlag } from '../src/fib/bpf/layout.generated.js';
import { classifySlot, compareFib } from '../src/fib/reconcile.js';
import type { FibState, XdpEntry } from '../src/fib/reconcile.js';
import type { FibRoute } from '../src/fib/types.js';

const names = new Map([[2, 'e0'], [3, 'e1']]);
const ifname = (i: number): string | undefined => names.get(i);

const via = (prefix: string, ...gateways: string[]): FibRoute => ({ family: 'ipv4', prefix, kind: 'unicast', nextHops: gateways.map((gateway) => ({ gateway })) });

function state(o: Partial<FibState>): FibState {
  const desired: FibState['desired'] = [
    { family: 'ipv4', prefix: '198.18.100.0/24', want: { kernel: via('198.18.100.0/24', '198.18.1.2'), xdp: { kind: 'forward', hops: [{ gateway: '198.18.1.2' }] } } },
    { family: 'ipv4', prefix: '198.18.101.0/24', want: { kernel: { family: 'ipv4', prefix: '198.18.101.0/24', kind: 'blackhole', nextHops: [] }, xdp: { kind: 'blackhole' } } },
    { family: 'ipv4', prefix: '198.18.0.0/24', want: { xdp: { kind: 'pass' } } },
  ];
  return { desired, local: ['198.18.0.2/32'], ifname, ...o };
}

const kernelOk: FibRoute[] = [
  { family: 'ipv4', prefix: '198.18.100.0/24', kind: 'unicast', nextHops: [{ gateway: '198.18.1.2', ifindex: 3 }] },
  { family: 'ipv4', prefix: '198.18.101.0/24', kind: 'blackhole', nextHops: [] },
];
const xdpOk: XdpEntry[] = [
  { family: 'ipv4', prefix: '198.18.100.0/24', kind: 'forward' },
  { family: 'ipv4', prefix: '198.18.101.0/24', kind: 'blackhole' },
  { family: 'ipv4', prefix: '198.18.0.0/24', kind: 'pass' },
  { family: 'ipv4', prefix: '198.18.0.2/32', kind: 'local' },
];

test('planes that match the desired state give no difference', (t) => {
  t.deepEqual(compareFib(state({ kernel: kernelOk, xdp: xdpOk })), []);
  // A plane that is not running is not compared.
  t.deepEqual(compareFib(state({ kernel: [] })).filter((d) => d.plane === 'xdp'), []);
  t.deepEqual(compareFib(state({ xdp: xdpOk })), []);
});

test('missing, extra and different kernel routes are each reported', (t) => {
  const kernel: FibRoute[] = [
    via('198.18.100.0/24', '198.18.1.3'),
    { family: 'ipv4', prefix: '198.18.250.0/24', kind: 'unicast', nextHops: [{ ifindex: 2 }] },
  ];
  t.deepEqual(compareFib(state({ kernel })), [
    { family: 'ipv4', prefix: '198.18.100.0/24', plane: 'kernel', problem: 'differs', want: 'via 198.18.1.2', have: 'via 198.18.1.3' },
    { family: 'ipv4', prefix: '198.18.101.0/24', plane: 'kernel', problem: 'missing', want: 'blackhole' },
    { family: 'ipv4', prefix: '198.18.250.0/24', plane: 'kernel', problem: 'extra', have: 'dev e0' },
  ]);
});

test('ECMP next hops compare as a set, whatever their order', (t) => {
  const desired: FibState['desired'] = [{ family: 'ipv4', prefix: '198.18.200.0/24', want: { kernel: via('198.18.200.0/24', '198.18.0.1', '198.18.1.2') } }];
  t.deepEqual(compareFib({ desired, local: [], ifname, kernel: [via('198.18.200.0/24', '198.18.1.2', '198.18.0.1')] }), []);
  t.is(compareFib({ desired, local: [], ifname, kernel: [via('198.18.200.0/24', '198.18.1.2')] })[0]?.problem, 'differs');
});

test('trie entries: missing, extra, wrong kind, a lost local address; an unreachable gateway passing is fine', (t) => {
  const xdp: XdpEntry[] = [
    { family: 'ipv4', prefix: '198.18.100.0/24', kind: 'pass' },
    { family: 'ipv4', prefix: '198.18.101.0/24', kind: 'forward' },
    { family: 'ipv4', prefix: '198.18.99.0/24', kind: 'forward' },
  ];
  t.deepEqual(compareFib(state({ xdp })), [
    { family: 'ipv4', prefix: '198.18.0.0/24', plane: 'xdp', problem: 'missing', want: 'pass' },
    { family: 'ipv4', prefix: '198.18.0.2/32', plane: 'xdp', problem: 'missing', want: 'local' },
    { family: 'ipv4', prefix: '198.18.99.0/24', plane: 'xdp', problem: 'extra', have: 'forward' },
    { family: 'ipv4', prefix: '198.18.101.0/24', plane: 'xdp', problem: 'differs', want: 'blackhole', have: 'forward' },
  ]);
});

test('a local address takes its slot over a RIB prefix of the same length', (t) => {
  const desired: FibState['desired'] = [{ family: 'ipv4', prefix: '198.18.0.2/32', want: { xdp: { kind: 'blackhole' } } }];
  t.deepEqual(compareFib({ desired, local: ['198.18.0.2/32'], ifname, xdp: [{ family: 'ipv4', prefix: '198.18.0.2/32', kind: 'local' }] }), []);
});

test('slot flags read in the program order', (t) => {
  const slot = (flags: number, ifindex = 0): Parameters<typeof classifySlot>[0] => ({ flags, ifindex, dstMac: new Uint8Array(6), srcMac: new Uint8Array(6), vlanId: 0, mtu: 0, ecmpGroup: 0 });
  t.is(classifySlot(slot(0)), 'pass');
  t.is(classifySlot(slot(0, 3)), 'forward', 'unresolved forward keeps its interface');
  t.is(classifySlot(slot(RoutedNhFlag.RESOLVED, 3)), 'forward');
  t.is(classifySlot(slot(RoutedNhFlag.ECMP)), 'forward');
  t.is(classifySlot(slot(RoutedNhFlag.LOCAL | RoutedNhFlag.RESOLVED)), 'local');
  t.is(classifySlot(slot(RoutedNhFlag.BLACKHOLE)), 'blackhole');
  t.is(classifySlot(slot(RoutedNhFlag.UNREACHABLE)), 'unreachable');
});
