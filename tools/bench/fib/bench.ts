// FIB programming benchmark: a full table (default 1M IPv4 + 250k IPv6 prefixes from the
// synthetic full table) into routed's XDP maps (maps.ts) and into the kernel of a scratch
// namespace through KernelFib, each a median of --runs runs, against references measured in the
// same run: for the kernel, the kernel floor (the same routes as pre-built RTM_NEWROUTE
// datagrams on one nexthop object, sent one after the other: only the kernel's work), and on a
// smaller slice of the routes `ip -batch` and the `netlink` package's high-level newRoute().
// Prints one line per figure and a JSON summary.
//
//   node dist/tools/bench/fib/bench.js [--v4 N] [--v6 N] [--ref N] [--runs N] [--no-classic] [--no-maps] [--maps-only]
//
// Routes go through 16 gateways on two links (a route in ten is ECMP over two of them), as a
// router with a few transit and peering sessions has them.

import { performance } from 'node:perf_hooks';
import { createRtNetlink } from 'netlink';
import { KernelFib, inNetns } from '../../../src/fib/kernel/index.js';
import type { FibOp, FibRoute } from '../../../src/fib/types.js';
import { RTPROT_ROUTED } from '../../../src/fib/types.js';
import { parseIpv4, parseIpv6 } from '../../../src/bgp/wire/index.js';
import { BulkSocket } from '../../../src/fib/kernel/bulk.js';
import { MsgWriter } from '../../../src/fib/kernel/nlmsg.js';
import { writeReplace } from '../../../src/fib/kernel/routes.js';
import { createTopology, type Topology } from '../../../test/harness/netns.js';
import { generateFullTable } from '../lib/fulltable.js';
import { benchMaps } from './maps.js';

interface Args {
  v4: number;
  v6: number;
  ref: number;
  runs: number;
  classic: boolean;
  maps: boolean;
  kernel: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { v4: 1_000_000, v6: 250_000, ref: 50_000, runs: 3, classic: true, maps: true, kernel: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--no-classic') a.classic = false;
    else if (k === '--no-maps') a.maps = false;
    else if (k === '--maps-only') a.kernel = false;
    else if (k === '--v4' || k === '--v6' || k === '--ref' || k === '--runs') a[k.slice(2) as 'v4' | 'v6' | 'ref' | 'runs'] = Number(argv[++i]);
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Gateways: 8 per family per link; the peer namespace answers for none of them (no traffic here). */
function gateways(family: 'ipv4' | 'ipv6'): string[] {
  const out: string[] = [];
  for (let link = 0; link < 2; link++) {
    for (let h = 2; h < 10; h++) out.push(family === 'ipv4' ? `198.18.${link}.${h}` : `2001:db8:0:${link}::${h}`);
  }
  return out;
}

function buildRoutes(a: Args): FibRoute[] {
  const table = generateFullTable({ v4: a.v4, v6: a.v6 });
  const routes: FibRoute[] = [];
  for (const [family, sets] of [['ipv4', table.v4], ['ipv6', table.v6]] as const) {
    const gws = gateways(family);
    sets.forEach((set, s) => {
      const gw = gws[s % gws.length]!;
      const nextHops = s % 10 === 0 ? [{ gateway: gw }, { gateway: gws[(s + 5) % gws.length]! }] : [{ gateway: gw }];
      for (const n of set.nlri) routes.push({ family, prefix: n.prefix, kind: 'unicast', nextHops });
    });
  }
  return routes;
}

function rate(n: number, ms: number): string {
  return `${n} in ${(ms / 1000).toFixed(2)} s = ${Math.round(n / (ms / 1000)).toLocaleString('en')}/s`;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
}

async function countOwn(topo: Topology): Promise<number> {
  let n = 0;
  for (const fam of ['-4', '-6']) {
    const out = await topo.run('r', 'ip', [fam, 'route', 'show', 'proto', String(RTPROT_ROUTED)], { timeoutMs: 120_000 });
    n += out.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('\t') && !l.startsWith(' ')).length;
  }
  return n;
}

async function viaKernelFib(topo: Topology, routes: FibRoute[], nexthopObjects: boolean, label: string, runs: number): Promise<Record<string, number>> {
  const fib = await KernelFib.open({ netns: topo.ns('r'), nexthopObjects });
  try {
    const add: FibOp[] = routes.map((route) => ({ op: 'replace', route }));
    const installs: number[] = [];
    for (let run = 0; run < runs; run++) {
      if (run > 0) await fib.flush();
      const [res, ms] = await timed(() => fib.apply(add));
      if (res.errors.length > 0) throw new Error(`${label}: ${res.errors.length} errors, first: ${res.errors[0]!.message}`);
      installs.push(ms);
    }
    const addMs = median(installs);
    console.log(`${label} install: ${rate(routes.length, addMs)} (median of ${runs}: ${installs.map((x) => (x / 1000).toFixed(2)).join(', ')} s; batch ${fib.stats().batchSize}, ${fib.stats().nexthops} nexthop objects)`);
    const [dumped, dumpMs] = await timed(() => fib.dump());
    if (dumped.length !== routes.length) throw new Error(`${label}: dump shows ${dumped.length} routes, expected ${routes.length}`);
    console.log(`${label} dump: ${rate(dumped.length, dumpMs)}`);
    const out: Record<string, number> = { [`${label}_install_per_s`]: routes.length / (addMs / 1000), [`${label}_dump_per_s`]: dumped.length / (dumpMs / 1000) };
    if (nexthopObjects) {
      const [users, moveMs] = await timed(() => fib.moveNextHop('ipv4', { gateway: '198.18.0.2' }, { gateway: '198.18.1.200' }));
      console.log(`${label} move one next hop (${users} routes/groups use it): ${moveMs.toFixed(1)} ms`);
      out[`${label}_move_ms`] = moveMs;
    }
    const del: FibOp[] = routes.map((route) => ({ op: 'delete', route }));
    const [dres, delMs] = await timed(() => fib.apply(del));
    if (dres.errors.length > 0) throw new Error(`${label} delete: ${dres.errors.length} errors, first: ${dres.errors[0]!.message}`);
    console.log(`${label} delete: ${rate(routes.length, delMs)}`);
    out[`${label}_delete_per_s`] = routes.length / (delMs / 1000);
    if (nexthopObjects) {
      await fib.apply(add);
      const [flushed, flushMs] = await timed(() => fib.flush());
      console.log(`${label} flush (nexthop objects take their routes): ${rate(flushed, flushMs)}`);
      out[`${label}_flush_per_s`] = flushed / (flushMs / 1000);
    }
    return out;
  } finally {
    await fib.close();
  }
}

/**
 * The kernel floor: the same routes as pre-built RTM_NEWROUTE datagrams (2048 per send) onto one
 * nexthop object, sent one after the other and awaited: what the kernel alone takes.
 */
async function kernelFloor(topo: Topology, routes: FibRoute[], runs: number): Promise<number> {
  const NH = { ipv4: 4242, ipv6: 4243 };
  const nexthops = async (): Promise<void> => {
    await topo.run('r', 'ip', ['nexthop', 'replace', 'id', String(NH.ipv4), 'via', '198.18.0.2', 'dev', 'e0']);
    await topo.run('r', 'ip', ['nexthop', 'replace', 'id', String(NH.ipv6), 'via', '2001:db8::2', 'dev', 'e0']);
  };
  const drop = async (): Promise<void> => {
    // Deleting a nexthop object takes its routes with it.
    for (const id of Object.values(NH)) await topo.run('r', 'ip', ['nexthop', 'del', 'id', String(id)], { timeoutMs: 120_000, allowFail: true });
  };
  await nexthops();
  const bulk = new BulkSocket({ netns: topo.ns('r'), recvBufferSize: 16 << 20 });
  try {
    const datagrams: { data: Buffer; first: number; last: number }[] = [];
    let seq = 1;
    for (let i = 0; i < routes.length; i += 2048) {
      const w = new MsgWriter(2048 * 64);
      const first = seq;
      for (const r of routes.slice(i, i + 2048)) writeReplace(w, seq++, r, { type: 'nhid', id: NH[r.family] });
      w.ackLast();
      datagrams.push({ data: w.take(), first, last: seq - 1 });
    }
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      const [errs, ms] = await timed(async () => {
        let n = 0;
        for (const d of datagrams) n += (await bulk.batch(d.data, d.first, d.last)).size;
        return n;
      });
      if (errs > 0) throw new Error(`kernel floor: ${errs} errors`);
      times.push(ms);
      await drop();
      await nexthops();
    }
    const ms = median(times);
    console.log(`reference kernel floor (pre-built datagrams, one nexthop object): ${rate(routes.length, ms)} (median of ${runs}: ${times.map((x) => (x / 1000).toFixed(2)).join(', ')} s)`);
    return routes.length / (ms / 1000);
  } finally {
    bulk.close();
    await drop();
  }
}

function ipRouteLine(r: FibRoute): string {
  const hops = r.nextHops.length === 1 ? `via ${r.nextHops[0]!.gateway}` : r.nextHops.map((h) => `nexthop via ${h.gateway}`).join(' ');
  return `route replace ${r.prefix} proto ${RTPROT_ROUTED} ${hops}`;
}

async function viaIpBatch(topo: Topology, routes: FibRoute[]): Promise<number> {
  const add = routes.map(ipRouteLine).join('\n') + '\n';
  const [, ms] = await timed(() => topo.run('r', 'ip', ['-batch', '-'], { input: add, timeoutMs: 300_000 }));
  console.log(`reference ip -batch install: ${rate(routes.length, ms)}`);
  const del = routes.map((r) => `route del ${r.prefix} proto ${RTPROT_ROUTED}`).join('\n') + '\n';
  await topo.run('r', 'ip', ['-batch', '-'], { input: del, timeoutMs: 300_000 });
  return routes.length / (ms / 1000);
}

/** The netlink package's own newRoute(), one awaited request per route, 64 in flight. */
async function viaNewRoute(topo: Topology, routes: FibRoute[]): Promise<number> {
  const sock = inNetns(topo.ns('r'), () => createRtNetlink({ ref: true, recvBufferSize: 8 << 20, sendBufferSize: 4 << 20 }));
  try {
    const one = (r: FibRoute): Promise<unknown> => {
      const [addr, len] = r.prefix.split('/') as [string, string];
      const v4 = r.family === 'ipv4';
      const dst = Buffer.alloc(v4 ? 4 : 16);
      const gw = Buffer.alloc(v4 ? 4 : 16);
      const hop = r.nextHops[0]!.gateway!;
      if (!(v4 ? parseIpv4(addr, dst) && parseIpv4(hop, gw) : parseIpv6(addr, dst) && parseIpv6(hop, gw))) throw new Error(`bad route ${r.prefix}`);
      return sock.newRoute(
        { family: v4 ? 2 : 10, dstLen: Number(len), table: 254, protocol: RTPROT_ROUTED, scope: 'UNIVERSE', type: 'UNICAST' },
        { dst, gateway: gw },
        { flags: 0x400 | 0x100 },
      );
    };
    const [, ms] = await timed(async () => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < routes.length) await one(routes[next++]!);
      };
      await Promise.all(Array.from({ length: 64 }, worker));
    });
    console.log(`reference netlink newRoute() install: ${rate(routes.length, ms)}`);
    return routes.length / (ms / 1000);
  } finally {
    sock.socket.close();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const routes = buildRoutes(args);
  console.log(`table: ${routes.filter((r) => r.family === 'ipv4').length} IPv4 + ${routes.filter((r) => r.family === 'ipv6').length} IPv6 routes`);
  const summary: Record<string, number> = { routes: routes.length };
  if (args.maps) {
    const entries = (f: string): [string, number][] => routes.filter((r) => r.family === f).map((r) => [r.prefix, 3]);
    Object.assign(summary, await benchMaps(entries('ipv4'), entries('ipv6'), args.runs));
  }
  if (!args.kernel) {
    console.log(JSON.stringify(summary));
    return;
  }
  const topo = await createTopology({ nodes: ['r', 'p'], links: [{ a: 'r', b: 'p' }, { a: 'r', b: 'p' }] }, 'fibbench');
  const onSignal = (): void => {
    topo.destroySync();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  try {
    Object.assign(summary, await viaKernelFib(topo, routes, true, 'nhobj', args.runs));
    if ((await countOwn(topo)) !== 0) throw new Error('routes left after flush');
    summary.floor_per_s = await kernelFloor(topo, routes, args.runs);
    summary.nhobj_vs_floor = summary.nhobj_install_per_s! / summary.floor_per_s;
    console.log(`nhobj install = ${summary.nhobj_vs_floor.toFixed(2)}× the kernel floor's rate`);
    if (args.classic) Object.assign(summary, await viaKernelFib(topo, routes, false, 'classic', 1));
    const slice = routes.filter((_, i) => i % Math.max(1, Math.floor(routes.length / args.ref)) === 0).slice(0, args.ref);
    summary.ip_batch_per_s = await viaIpBatch(topo, slice);
    summary.newroute_per_s = await viaNewRoute(topo, slice);
    summary.speedup_vs_ip_batch = summary.nhobj_install_per_s! / summary.ip_batch_per_s;
    console.log(JSON.stringify(summary));
  } finally {
    process.off('SIGINT', onSignal);
    await topo.destroy();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
