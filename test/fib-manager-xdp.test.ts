// The FIB manager against a real kernel and real BPF maps, in namespaces: a RIB with connected
// and static routes on router r (e0 towards a, e1 towards b), its best-path changes written as
// kernel routes (protocol 186) and XDP trie entries, read back from both; link MAC and MTU changes
// followed into the next-hop slots. Runs as root; needs
// dist/bpf/xdp_fwd.o (tools/build-bpf).

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { withTopology, runCommand, type Topology } from './harness/netns.js';
import { bpfObjectPath } from '../src/fib/bpf/routed.js';
import { RoutedNhFlag } from '../src/fib/bpf/layout.generated.js';
import type { RoutedNextHop } from '../src/fib/bpf/layout.generated.js';
import { macToText } from '../src/fib/bpf/maps.js';
import { FibManager } from '../src/fib/manager.js';
import type { FibLog } from '../src/fib/manager.js';
import type { FibOp } from '../src/fib/types.js';
import { OP_DELETE } from '../src/fib/kernel/batch.js';
import { Rib } from '../src/rib/index.js';
import { fibRibConfig } from './helpers/rib-config.js';
import type { StaticRouteConfig } from '../src/config/types.js';

const cfg = fibRibConfig;

const SPEC = { nodes: ['a', 'r', 'b'], links: [{ a: 'a', b: 'r' }, { a: 'r', b: 'b' }] };

interface Env {
  topo: Topology;
  rib: Rib;
  fib: FibManager;
  logs: string[];
  /** Ops the kernel backend received, with the trie state seen at that moment. */
  kernelCalls: { op: FibOp; trie: number | undefined }[];
}

async function ifindex(topo: Topology, node: string, dev: string): Promise<{ ifindex: number; address: string }> {
  const out = JSON.parse((await runCommand('ip', ['-n', topo.ns(node), '-j', 'link', 'show', dev])).stdout) as { ifindex: number; address: string }[];
  return out[0]!;
}

async function kernelRoutes(topo: Topology): Promise<{ dst: string; type?: string; protocol?: string }[]> {
  const v4 = JSON.parse((await runCommand('ip', ['-n', topo.ns('r'), '-j', 'route', 'show', 'proto', '186'])).stdout || '[]') as { dst: string; type?: string }[];
  return v4;
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: () => string): Promise<void> {
  for (const end = Date.now() + ms; !(await cond()); ) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function withRouter(t: ExecutionContext, fn: (env: Env) => Promise<void>): Promise<void> {
  const obj = bpfObjectPath('xdp_fwd');
  if (!existsSync(obj)) throw new Error(`${obj} missing: run tools/build-bpf`);
  await withTopology(t, SPEC, async (topo) => {
    const logs: string[] = [];
    const log: FibLog = { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`) };
    const fib = await FibManager.open({
      mode: 'xdp+kernel', xdpInterfaces: ['e0', 'e1'], netns: topo.ns('r'), log,
      maxEntries: { next_hops: 64, ecmp_groups: 8, routes_v4: 1024, routes_v6: 1024 },
    });
    t.teardown(() => fib.close());
    t.true(fib.stats().xdp, `XDP did not come up: ${logs.join('; ')}`);
    const env: Env = { topo, rib: new Rib(cfg), fib, logs, kernelCalls: [] };
    // Record what the trie holds each time the kernel is written: the ordering invariant.
    const kernel = fib.kernel!;
    const applyBatch = kernel.applyBatch.bind(kernel);
    kernel.applyBatch = (b) => {
      for (let i = 0; i < b.length; i++) {
        const route = { ...b.spec[i]!, prefix: b.prefix(i) };
        const op: FibOp = b.op[i] === OP_DELETE ? { op: 'delete', route } : { op: 'replace', route };
        env.kernelCalls.push({ op, trie: (route.family === 'ipv4' ? fib.xdp!.v4 : fib.xdp!.v6).get(route.prefix) });
      }
      return applyBatch(b);
    };
    env.rib.setConnected([{ prefix: '198.18.0.2/24', interface: 'e0' }, { prefix: '198.18.1.1/24', interface: 'e1' }]);
    fib.setLocalAddresses(['198.18.0.2', '198.18.1.1']);
    await fn(env);
  });
}

async function setStatic(env: Env, routes: StaticRouteConfig[]): Promise<void> {
  env.rib.setStatic(routes);
  env.fib.submit(env.rib.drainChanges());
  await env.fib.idle();
}

function entry(env: Env, prefix: string): { id: number; flags: number; ifindex: number; dstMac: string; group: number } | undefined {
  const hit = env.fib.xdp!.v4.dump().find(([p]) => p === prefix);
  if (!hit) return undefined;
  const nh = env.fib.xdp!.nextHops.get(hit[1]);
  return { id: hit[1], flags: nh.flags, ifindex: nh.ifindex, dstMac: macToText(nh.dstMac), group: nh.ecmpGroup };
}

test('a static route becomes a proto 186 kernel route and a trie entry whose next hop resolves; withdrawal removes the entry before the route', async (t) => {
  await withRouter(t, async (env) => {
    const e1 = await ifindex(env.topo, 'r', 'e1');
    const bMac = (await ifindex(env.topo, 'b', 'e1')).address;
    await setStatic(env, [{ prefix: '198.18.100.0/24', type: 'via', via: ['198.18.1.2'] }]);
    t.true((await kernelRoutes(env.topo)).some((r) => r.dst === '198.18.100.0/24'), 'kernel route with protocol 186');
    const e = entry(env, '198.18.100.0/24');
    t.truthy(e, 'trie entry');
    t.is(e?.ifindex, e1.ifindex);
    // The manager asked the kernel to resolve the gateway (managed): b answers the ARP.
    await waitFor(() => ((entry(env, '198.18.100.0/24')?.flags ?? 0) & RoutedNhFlag.RESOLVED) !== 0, 10_000, () => `next hop never resolved: ${JSON.stringify(entry(env, '198.18.100.0/24'))} ${env.logs.join('; ')}`);
    t.is(entry(env, '198.18.100.0/24')?.dstMac, bMac);
    // Added to the kernel while the trie did not have it yet.
    t.deepEqual(env.kernelCalls.map((c) => [c.op.op, c.op.route.prefix, c.trie]), [['replace', '198.18.100.0/24', undefined]]);

    await setStatic(env, []);
    t.false((await kernelRoutes(env.topo)).some((r) => r.dst === '198.18.100.0/24'), 'kernel route withdrawn');
    t.is(entry(env, '198.18.100.0/24'), undefined, 'trie entry withdrawn');
    // Deleted from the kernel only once the trie no longer had it.
    t.deepEqual(env.kernelCalls.slice(1).map((c) => [c.op.op, c.op.route.prefix, c.trie]), [['delete', '198.18.100.0/24', undefined]]);
    t.is(env.fib.nextHops().filter((h) => h.kind === 'forward').length, 0, 'next hop released');
  });
});

test('ECMP, blackhole, connected and local prefixes in the trie; an unresolved neighbour passes until its MAC is known', async (t) => {
  await withRouter(t, async (env) => {
    await setStatic(env, [
      { prefix: '198.18.200.0/24', type: 'via', via: ['198.18.0.1', '198.18.1.2'] },
      { prefix: '198.18.201.0/24', type: 'blackhole' },
      { prefix: '198.18.202.0/24', type: 'via', via: ['198.18.1.3'] },
    ]);
    const routes = await kernelRoutes(env.topo);
    t.deepEqual(routes.map((r) => r.dst).sort(), ['198.18.200.0/24', '198.18.201.0/24', '198.18.202.0/24']);
    t.is(routes.find((r) => r.dst === '198.18.201.0/24')?.type, 'blackhole');
    const dumped = await env.fib.kernel!.dump();
    t.is(dumped.find((r) => r.prefix === '198.18.200.0/24')?.nextHops.length, 2, 'kernel ECMP route');

    const ecmp = entry(env, '198.18.200.0/24');
    t.is(ecmp?.flags, RoutedNhFlag.ECMP);
    const members = env.fib.xdp!.ecmp.get(ecmp!.group);
    t.is(members.length, 2);
    const ifs = members.map((id) => env.fib.xdp!.nextHops.get(id).ifindex).sort();
    t.deepEqual(ifs, [(await ifindex(env.topo, 'r', 'e0')).ifindex, (await ifindex(env.topo, 'r', 'e1')).ifindex].sort());

    t.is(entry(env, '198.18.201.0/24')?.flags, RoutedNhFlag.BLACKHOLE);
    // Connected: the kernel's own route, a pass entry in the trie, no route of ours.
    t.deepEqual(entry(env, '198.18.0.0/24') && [entry(env, '198.18.0.0/24')!.flags, entry(env, '198.18.0.0/24')!.ifindex], [0, 0]);
    t.is(entry(env, '198.18.0.2/32')?.flags, RoutedNhFlag.LOCAL);

    // Nobody has 198.18.1.3: the next hop stays unresolved (XDP passes to the kernel).
    t.is(entry(env, '198.18.202.0/24')?.flags, 0);
    t.is(entry(env, '198.18.202.0/24')?.ifindex, (await ifindex(env.topo, 'r', 'e1')).ifindex);
    // The neighbour appears (RTM_NEWNEIGH): the slot gets its MAC and the resolved flag.
    await runCommand('ip', ['-n', env.topo.ns('r'), 'neigh', 'replace', '198.18.1.3', 'lladdr', '02:00:00:00:01:03', 'dev', 'e1', 'nud', 'permanent']);
    await waitFor(() => entry(env, '198.18.202.0/24')?.flags === RoutedNhFlag.RESOLVED, 5_000, () => `no MAC: ${JSON.stringify(entry(env, '198.18.202.0/24'))}`);
    t.is(entry(env, '198.18.202.0/24')?.dstMac, '02:00:00:00:01:03');

    await setStatic(env, []);
    t.deepEqual(await kernelRoutes(env.topo), []);
    t.deepEqual(env.fib.xdp!.v4.dump().map(([p]) => p).sort(), ['198.18.0.0/24', '198.18.0.2/32', '198.18.1.0/24', '198.18.1.1/32']);
    t.deepEqual(env.fib.nextHops().map((h) => h.kind).sort(), ['local', 'pass']);
  });
});

test('IPv6: a changed next hop moves the trie entry after the kernel route is replaced, and frees the old slot', async (t) => {
  await withRouter(t, async (env) => {
    env.rib.setConnected([
      { prefix: '198.18.0.2/24', interface: 'e0' }, { prefix: '198.18.1.1/24', interface: 'e1' },
      { prefix: '2001:db8:0:0::2/64', interface: 'e0' }, { prefix: '2001:db8:0:1::1/64', interface: 'e1' },
    ]);
    const v6 = (prefix: string): number | undefined => env.fib.xdp!.v6.dump().find(([p]) => p === prefix)?.[1];
    const kernel6 = async (): Promise<string[]> =>
      (JSON.parse((await runCommand('ip', ['-n', env.topo.ns('r'), '-6', '-j', 'route', 'show', 'proto', '186'])).stdout || '[]') as { dst: string }[]).map((r) => r.dst);
    await setStatic(env, [{ prefix: '2001:db8:100::/48', type: 'via', via: ['2001:db8:0:1::2'] }]);
    t.deepEqual(await kernel6(), ['2001:db8:100::/48']);
    const first = v6('2001:db8:100::/48');
    t.truthy(first);
    t.is(env.fib.xdp!.nextHops.get(first!).ifindex, (await ifindex(env.topo, 'r', 'e1')).ifindex);

    await setStatic(env, [{ prefix: '2001:db8:100::/48', type: 'via', via: ['2001:db8::1'] }]);
    const second = v6('2001:db8:100::/48');
    t.not(second, undefined);
    t.is(env.fib.xdp!.nextHops.get(second!).ifindex, (await ifindex(env.topo, 'r', 'e0')).ifindex);
    const hop = env.fib.nextHops().find((h) => h.id === second);
    t.is(hop?.gateway, '2001:db8::1');
    t.false(env.fib.nextHops().some((h) => h.gateway === '2001:db8:0:1::2'), 'old next hop released');
    const routes = await env.fib.kernel!.dump();
    t.deepEqual(routes.find((r) => r.prefix === '2001:db8:100::/48')?.nextHops.map((h) => h.gateway), ['2001:db8::1']);
    // The replace reached the kernel while the trie still pointed at the old next hop.
    t.deepEqual(env.kernelCalls.map((c) => [c.op.op, c.op.route.prefix, c.trie]), [['replace', '2001:db8:100::/48', undefined], ['replace', '2001:db8:100::/48', first]]);
  });
});

test('a link changing its MAC address or MTU rewrites the next hops through it (source MAC, MTU check)', async (t) => {
  await withRouter(t, async (env) => {
    const e1 = await ifindex(env.topo, 'r', 'e1');
    await setStatic(env, [{ prefix: '198.18.100.0/24', type: 'via', via: ['198.18.1.2'] }]);
    const slot = (): RoutedNextHop => env.fib.xdp!.nextHops.get(entry(env, '198.18.100.0/24')!.id);
    await waitFor(() => (slot().flags & RoutedNhFlag.RESOLVED) !== 0, 10_000, () => `next hop never resolved: ${JSON.stringify(entry(env, '198.18.100.0/24'))}`);
    t.is(macToText(slot().srcMac), e1.address);
    const mtu0 = slot().mtu;

    const mac = '02:00:00:00:0e:01';
    await runCommand('ip', ['-n', env.topo.ns('r'), 'link', 'set', 'dev', 'e1', 'address', mac]);
    await waitFor(() => macToText(slot().srcMac) === mac, 5_000, () => `source MAC still ${macToText(slot().srcMac)}`);
    t.is(slot().mtu, mtu0, 'MTU unchanged by a MAC change');

    await runCommand('ip', ['-n', env.topo.ns('r'), 'link', 'set', 'dev', 'e1', 'mtu', '1400']);
    await waitFor(() => slot().mtu === 1400, 5_000, () => `MTU still ${slot().mtu}`);
    t.is(macToText(slot().srcMac), mac);
    t.is(slot().ifindex, e1.ifindex);
    // The MAC change flushed the kernel's neighbours on e1: the manager asks for the gateway again.
    await waitFor(() => (slot().flags & RoutedNhFlag.RESOLVED) !== 0, 10_000, () => `next hop not resolved again: ${JSON.stringify(entry(env, '198.18.100.0/24'))}`);
  });
});
