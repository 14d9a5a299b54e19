// The neighbour table follows the kernel's: an entry appears with its MAC after traffic (a ping),
// changes when the kernel's entry changes, disappears when deleted; resolve() gets a MAC without
// traffic, and a neighbour nobody answers for ends up failed. A burst of events larger than the
// event socket's queue is survived: the table is read again and ends up whole.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

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

test('a burst of neighbour events that overflows the event socket: no crash, the table is read again and is whole', async (t) => {
  const topo = await routerTopology(t, import.meta.url);
  // An 8 KiB receive queue (the kernel doubles 4 KiB) holds a handful of events between two reads.
  const table = await NeighTable.open({ netns: topo.ns('r'), eventBufferSize: 4096 });
  t.teardown(() => table.close());
  const e0 = await ifindexOf(topo, 'r', 'e0');
  const dir = mkdtempSync(path.join(tmpdir(), 'routed-neigh-burst-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const N = 3000;
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  const lines: string[] = [];
  for (let i = 0; i < N; i++) lines.push(`neigh add 198.18.${8 + (i >> 8)}.${i & 255} dev e0 lladdr 02:00:5e:10:${hex(i >> 8)}:${hex(i & 255)} nud permanent`);
  writeFileSync(path.join(dir, 'burst'), lines.join('\n') + '\n');
  await topo.run('r', 'ip', ['-batch', path.join(dir, 'burst')]);
  const last = `198.18.${8 + ((N - 1) >> 8)}.${(N - 1) & 255}`;
  await waitFor(table, e0, last, (x) => x?.mac === `02:00:5e:10:${hex((N - 1) >> 8)}:${hex((N - 1) & 255)}`, 'the last entry of the burst');
  // Bounded: the table settles once the re-read after the overflow is done.
  const deadline = Date.now() + WAIT_MS;
  const burst = (): Neighbour[] => table.all().filter((n) => n.ifindex === e0 && n.mac?.startsWith('02:00:5e:10:'));
  while (burst().length < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.true(table.lostBursts > 0, 'the burst overflowed the event socket (else this test proves nothing)');
  t.is(burst().length, N);
  t.is(table.get(e0, '198.18.8.0')?.mac, '02:00:5e:10:00:00');
});
