// FIB manager benchmark: Loc-RIB best-path changes through FibManager (fib.mode kernel) into the
// kernel of a scratch namespace, as the daemon feeds them: chunks of changes one event-loop turn
// apart, each change with the Route objects the RIB drains (a BGP route through a connected
// gateway, so `gateway` and `interface` both set). Measures the manager's own cost on top of the
// kernel's, which tools/bench/fib measures alone.
//
//   node dist/tools/bench/fib/manager.js [--prefixes N] [--chunk C] [--ecmp-every K] [--own-ids]
//
// The changes carry prefix ids of a PrefixTable handed to the manager, as the daemon's RIB does
// (FibManagerOptions.prefixes); --own-ids leaves that out (the manager parses every prefix).
//
// Reported: time from the first submit to idle (install), CPU of this process (main and worker
// threads: the kernel's work is on the worker) and of the main thread alone over it, peak RSS,
// then the same for a withdrawal of everything.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { FibManager } from '../../../src/fib/manager.js';
import { createTopology } from '../../../test/harness/netns.js';
import { PrefixTable } from '../../../src/rib/ptable.js';
import type { BestChange, PathAttrs, PeerInfo, Route } from '../../../src/rib/types.js';

interface Args {
  prefixes: number;
  chunk: number;
  ecmpEvery: number;
  ownIds: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { prefixes: 1_000_000, chunk: 4096, ecmpEvery: 0, ownIds: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--own-ids') {
      a.ownIds = true;
      continue;
    }
    const v = Number(argv[++i]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${k} wants a number`);
    if (k === '--prefixes') a.prefixes = v;
    else if (k === '--chunk') a.chunk = Math.max(1, v);
    else if (k === '--ecmp-every') a.ecmpEvery = v;
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

function attrsVia(nextHop: string): PathAttrs {
  return { origin: 0, asPath: [], nextHop, atomicAggregate: false, communities: [], extCommunities: [], largeCommunities: [], clusterList: [], unknown: [] } as unknown as PathAttrs;
}

/** A route of the shape LocRib.routeOf builds: resolved through a connected gateway. */
function route(prefix: string, peer: PeerInfo, attrs: PathAttrs, ifname: string): Route {
  return {
    family: 'ipv4', prefix, pathId: 0, source: { kind: 'bgp', peer }, type: 'unicast', attrs, stale: false,
    resolved: true, igpCost: 0, gateway: attrs.nextHop, interface: ifname, received: attrs, accepted: true,
  };
}

/** The i-th /24 of 10.0.0.0/8 onwards, as text (prefixes of a synthetic table). */
function prefixText(i: number): string {
  const a = 11 + (i >>> 16);
  return `${a}.${(i >>> 8) & 255}.${i & 255}.0/24`;
}

/** ids: the prefix table standing for the RIB's (each prefix acquired once, as the RIB holds it). */
function changes(a: Args, ifname: string, withdraw: boolean, ids: PrefixTable): BestChange[] {
  const peers: PeerInfo[] = ['198.18.0.2', '198.18.0.3'].map((address, i) => ({ address, asn: 65001 + i, routerId: address, ibgp: false, routeReflectorClient: false }));
  const attrs = peers.map((p) => attrsVia(p.address));
  const out: BestChange[] = new Array(a.prefixes);
  for (let i = 0; i < a.prefixes; i++) {
    const prefix = prefixText(i);
    const ecmp = a.ecmpEvery > 0 && i % a.ecmpEvery === 0;
    const best = withdraw ? [] : ecmp ? [0, 1].map((j) => route(prefix, peers[j]!, attrs[j]!, ifname)) : [route(prefix, peers[i & 1]!, attrs[i & 1]!, ifname)];
    const id = ids.find(prefix);
    out[i] = { family: 'ipv4', prefix, best, id: id >= 0 ? id : ids.acquire(prefix) };
  }
  return out;
}

/** CPU seconds of the main thread alone (/proc/self/task/PID/stat utime + stime, 1/100 s ticks). */
function mainThreadCpu(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Submit in chunks, one event-loop turn apart (the daemon drains the RIB once per turn), then wait for idle. */
async function feed(fib: FibManager, all: BestChange[], chunk: number): Promise<{ ms: number; cpu: number; main: number }> {
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpu();
  const t0 = performance.now();
  for (let i = 0; i < all.length; i += chunk) {
    fib.submit(all.slice(i, i + chunk));
    await new Promise((r) => setImmediate(r));
  }
  await fib.idle();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(cpu0);
  return { ms, cpu: (c.user + c.system) / 1e6, main: mainThreadCpu() - main0 };
}

const rssMiB = (): number => process.resourceUsage().maxRSS / 1024;

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const topo = await createTopology({ nodes: ['r', 'p'], links: [{ a: 'r', b: 'p' }] }, 'fib-manager-bench');
  const log = { info: (): void => undefined, warn: (m: string): void => console.error(m) };
  try {
    const ifname = topo.end('r', 'p').ifname;
    const ids = { ipv4: new PrefixTable('ipv4'), ipv6: new PrefixTable('ipv6') };
    const fib = await FibManager.open({ mode: 'kernel', xdpInterfaces: [], netns: topo.ns('r'), log, ...(a.ownIds ? {} : { prefixes: ids }) });
    try {
      const add = changes(a, ifname, false, ids.ipv4);
      const base = rssMiB();
      const ins = await feed(fib, add, a.chunk);
      const st = fib.stats();
      if (st.kernelRoutes !== a.prefixes || st.errors > 0) throw new Error(`install: ${st.kernelRoutes} kernel routes, ${st.errors} errors`);
      console.log(`install ${a.prefixes} (chunks of ${a.chunk}): ${(ins.ms / 1000).toFixed(2)} s, CPU ${ins.cpu.toFixed(2)} s (main thread ${ins.main.toFixed(2)} s), peak RSS ${rssMiB().toFixed(0)} MiB (before ${base.toFixed(0)})`);
      add.length = 0;
      const del = changes(a, ifname, true, ids.ipv4);
      const wd = await feed(fib, del, a.chunk);
      const after = fib.stats();
      if (after.kernelRoutes !== 0 || after.errors > 0) throw new Error(`withdraw: ${after.kernelRoutes} kernel routes left, ${after.errors} errors`);
      console.log(`withdraw ${a.prefixes}: ${(wd.ms / 1000).toFixed(2)} s, CPU ${wd.cpu.toFixed(2)} s (main thread ${wd.main.toFixed(2)} s), peak RSS ${rssMiB().toFixed(0)} MiB`);
      console.log(JSON.stringify({ prefixes: a.prefixes, chunk: a.chunk, installS: ins.ms / 1000, installCpuS: ins.cpu, installMainCpuS: ins.main, withdrawS: wd.ms / 1000, withdrawCpuS: wd.cpu, withdrawMainCpuS: wd.main, peakRssMiB: rssMiB() }));
    } finally {
      await fib.close();
    }
  } finally {
    await topo.destroy();
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exitCode = 1;
});
