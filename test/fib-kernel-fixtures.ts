// Shared setup of the kernel FIB tests: a router namespace `r` with two links to `p`
// (e0: 198.18.0.1 ↔ .2, 2001:db8::1 ↔ ::2; e1: 198.18.1.1 ↔ .2, 2001:db8:0:1::1 ↔ ::2), and
// readers of what the kernel really has, through iproute2 rather than through the code under test.

import type { ExecutionContext } from 'ava';
import { createTopology, type Topology } from './harness/netns.js';
import { KernelFib, type KernelFibOptions } from '../src/fib/kernel/index.js';
import { RTPROT_ROUTED } from '../src/fib/types.js';
import type { FibRoute } from '../src/fib/types.js';

export interface IpRoute {
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  nhid?: number;
  metric?: number;
  protocol?: string;
  nexthops?: { gateway?: string; dev: string; weight: number }[];
}

export interface IpNexthop {
  id: number;
  gateway?: string;
  dev?: string;
  group?: { id: number; weight?: number }[];
  protocol?: string;
}

export async function routerTopology(t: ExecutionContext, tag: string): Promise<Topology> {
  const topo = await createTopology({ nodes: ['r', 'p'], links: [{ a: 'r', b: 'p' }, { a: 'r', b: 'p' }] }, tag);
  t.teardown(() => topo.destroy());
  return topo;
}

export async function openFib(t: ExecutionContext, topo: Topology, opts: KernelFibOptions = {}): Promise<KernelFib> {
  const fib = await KernelFib.open({ netns: topo.ns('r'), ...opts });
  t.teardown(() => fib.close());
  return fib;
}

/** `ip -j route show proto 186` (or another protocol) in r, by destination. */
export async function ipRoutes(topo: Topology, family: 'ipv4' | 'ipv6', proto: number = RTPROT_ROUTED): Promise<Map<string, IpRoute>> {
  const out = await topo.run('r', 'ip', ['-j', family === 'ipv4' ? '-4' : '-6', 'route', 'show', 'proto', String(proto)]);
  const list = JSON.parse(out.stdout || '[]') as IpRoute[];
  return new Map(list.map((r) => [r.dst, r]));
}

export async function ipNexthops(topo: Topology): Promise<IpNexthop[]> {
  const out = await topo.run('r', 'ip', ['-j', 'nexthop', 'show']);
  return JSON.parse(out.stdout || '[]') as IpNexthop[];
}

export function v4(prefix: string, nextHops: FibRoute['nextHops'], extra: Partial<FibRoute> = {}): FibRoute {
  return { family: 'ipv4', prefix, kind: 'unicast', nextHops, ...extra };
}

export function v6(prefix: string, nextHops: FibRoute['nextHops'], extra: Partial<FibRoute> = {}): FibRoute {
  return { family: 'ipv6', prefix, kind: 'unicast', nextHops, ...extra };
}

/** The gateways of an `ip -j` route, sorted, whether it is multipath or not. */
export function gatewaysOf(r: IpRoute | undefined): string[] {
  if (!r) return [];
  if (r.nexthops) return r.nexthops.map((h) => h.gateway ?? `dev ${h.dev}`).sort();
  return [r.gateway ?? `dev ${r.dev}`];
}
