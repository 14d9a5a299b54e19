// The neighbour table follows the kernel's: an entry appears with its MAC after traffic (a ping),
// changes when the kernel's entry changes, disappears when deleted; resolve() gets a MAC without
// traffic, and a neighbour nobody answers for ends up failed.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { NeighTable, usable } from '../src/fib/neigh.js';
import type { Neighbour } from '../src/fib/neigh.js';
import type { Topology } from './harness/netns.js';
import { routerTopology } from './fib-kernel-fixtures.js';

const WAIT_MS = 10_000;

/** Resolve once the table has an entry satisfying ok (now or by a later change), else fail after WAIT_MS. */
function waitFor(table: NeighTable, ifindex: number, address: string, ok: (n: Neighbour | undefined) => boolean, what: string): Promise<Neighbour | undefined> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const n = table.get(ifindex, address);
      if (!ok(n)) return false;
      clearTimeout(timer);
      off();
      resolve(n);
      return true;
    };
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${what}: not seen within ${WAIT_MS} ms; entry is ${JSON.stringify(table.get(ifindex, address))}`));
    }, WAIT_MS);
    const off = table.onChange(() => void check());
    check();
  });
}

async function ifindexOf(topo: Topology, node: string, ifname: string): Promise<number> {
  const out = await topo.run(node, 'ip', ['-j', 'link', 'show', ifname]);
  return (JSON.parse(out.stdout) as { ifindex: number }[])[0]!.ifindex;
}

async function macOf(topo: Topology, node: string, ifname: string): Promise<string> {
  const out = await topo.run(node, 'ip', ['-j', 'link', 'show', ifname]);
  return (JSON.parse(out.stdout) as { address: string }[])[0]!.address;
}

async function setup(t: ExecutionContext): Promise<{ topo: Topology; table: NeighTable; e0: number; peerMac: string }> {
  const topo = await routerTopology(t, import.meta.url);
  const table = await NeighTable.open({ netns: topo.ns('r') });
  t.teardown(() => table.close());
  return { topo, table, e0: await ifindexOf(topo, 'r', 'e0'), peerMac: await macOf(topo, 'p', 'e0') };
}

test('a neighbour appears after a ping, changes, and goes away', async (t) => {
  const { topo, table, e0, peerMac } = await setup(t);
  t.is(table.get(e0, '198.18.0.2'), undefined);
  const seen: [string | undefined, string | undefined][] = [];
  table.onChange((cur, prev) => {
    if ((cur ?? prev)?.address === '198.18.0.2') seen.push([prev?.state, cur?.state]);
  });

  await topo.run('r', 'ping', ['-c', '1', '-W', '2', '198.18.0.2']);
  const n = await waitFor(table, e0, '198.18.0.2', (x) => x !== undefined && usable(x), 'neighbour after ping');
  t.like(n, { family: 'ipv4', mac: peerMac, state: 'reachable', managed: false });

  await topo.run('r', 'ip', ['neigh', 'replace', '198.18.0.2', 'dev', 'e0', 'lladdr', '02:00:5e:00:53:01', 'nud', 'permanent']);
  const changed = await waitFor(table, e0, '198.18.0.2', (x) => x?.mac === '02:00:5e:00:53:01', 'changed MAC');
  t.is(changed?.state, 'permanent');

  await topo.run('r', 'ip', ['neigh', 'del', '198.18.0.2', 'dev', 'e0']);
  await waitFor(table, e0, '198.18.0.2', (x) => x === undefined, 'removal');
  // The kernel may mark the entry failed on its way out; removal is the last word either way.
  t.is(seen.at(-1)?.[1], undefined);
  t.true(seen.some(([, cur]) => cur === 'reachable'));
  t.true(seen.some(([prev, cur]) => prev === 'reachable' && cur === 'permanent'));
});

test('resolve() gets a MAC without traffic (IPv4, IPv6 managed), and an absent neighbour fails', async (t) => {
  const { topo, table, e0, peerMac } = await setup(t);
  await table.resolve(e0, '198.18.0.2');
  t.like(await waitFor(table, e0, '198.18.0.2', (x) => x !== undefined && usable(x), 'IPv4 resolution'), { mac: peerMac });

  await table.resolve(e0, '2001:db8::2', { managed: true });
  t.like(await waitFor(table, e0, '2001:db8::2', (x) => x !== undefined && usable(x), 'IPv6 resolution'), { family: 'ipv6', mac: peerMac, managed: true });
  const shown = (await topo.run('r', 'ip', ['-6', 'neigh', 'show', 'dev', 'e0'])).stdout;
  t.regex(shown, /2001:db8::2 .*managed/);

  // Nobody has 198.18.0.99: the kernel's solicitations go unanswered.
  await table.resolve(e0, '198.18.0.99');
  const failed = await waitFor(table, e0, '198.18.0.99', (x) => x?.state === 'failed', 'failed resolution');
  t.is(failed?.mac, undefined);
  t.false(usable(failed!));

  await table.forget(e0, '2001:db8::2');
  await waitFor(table, e0, '2001:db8::2', (x) => x === undefined, 'forgotten entry');
  await t.throwsAsync(table.resolve(999, '198.18.0.2'), { message: /ENODEV/ });
});
