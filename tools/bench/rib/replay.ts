// The convergence bench's route path in one process, interleaved as the daemon runs it, without
// sockets, peers or other processes: for a stable A/B of the route path's CPU on a shared machine.
//
//   node dist/tools/bench/rib/replay.js [--prefixes N] [--v6 N] [--runs R] [--seed S]
//
// The feeder's table (tools/bench/lib/feeder.ts) is read 64 KiB of UPDATEs at a time, as the
// daemon's socket reads it: each UPDATE decoded and applied to the RIB, then the daemon's tick
// (Rib.drainBatch, two eBGP Adj-RIB-Outs: the feeder's, which gets nothing back, and a
// collector's, drained with nextBatch(64 KiB) until empty). R runs, each with a fresh RIB; the
// CPU seconds and garbage-collection milliseconds of each, and their median, beside a reference
// measured in the same process (decodeMessage of every UPDATE). Then the feeder goes down and
// every route is withdrawn towards the collector: that CPU is its own column (withdraw), not in
// the replay's. The first run includes the JIT's warm-up; compare builds on alternating runs of
// the median.

import { performance, PerformanceObserver } from 'node:perf_hooks';

import { decodeMessage, makeContext } from '../../../src/bgp/wire/index.js';
import { AdjRibOut, Rib } from '../../../src/rib/index.js';
import type { ExportFilter, PeerInfo } from '../../../src/rib/index.js';
import { buildFeed } from '../lib/feeder.js';
import { benchRibConfig } from '../lib/rib-config.js';

const CTX = makeContext({ as4: true });
const CHUNK = 64 * 1024;
const FEEDER: PeerInfo = { address: '198.18.0.1', asn: 65001, routerId: '198.18.255.1', ibgp: false, routeReflectorClient: false };
const COLLECTOR: PeerInfo = { address: '198.18.1.1', asn: 65003, routerId: '198.18.255.3', ibgp: false, routeReflectorClient: false };
/** The daemon's accept-all policy: its outcome depends on the attributes only. */
const acceptAll: ExportFilter = Object.assign((route: Parameters<ExportFilter>[0]) => route.attrs, { perAttributes: true });

function parseArgs(argv: string[]): { prefixes: number; v6: number; runs: number; seed: number } {
  const o = { prefixes: 1_000_000, v6: 0, runs: 3, seed: 0x5eed };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!.replace(/^--/, '');
    const n = Number(argv[i + 1]);
    if (!(key in o) || !Number.isFinite(n) || n < 0) throw new Error(`usage: replay.js [--prefixes N] [--v6 N] [--runs R] [--seed S] (${argv[i]})`);
    o[key as keyof typeof o] = Math.floor(n);
  }
  return o;
}

function adjOut(rib: Rib, target: PeerInfo): AdjRibOut {
  return new AdjRibOut({
    local: { asn: benchRibConfig.localAs, routerId: benchRibConfig.routerId, clusterId: benchRibConfig.clusterId },
    target,
    localAddress: { ipv4: '198.18.1.254', ipv6: '2001:db8:1::254' },
    nextHopSelf: false,
    filter: acceptAll,
    codec: CTX,
    families: ['ipv4', 'ipv6'],
    store: rib.store,
    prefixes: rib.prefixTables,
  });
}

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

const cpuSeconds = (f: () => void): number => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};

function replayOnce(wire: Buffer, offsets: Uint32Array, count: number): { bytesOut: number; withdrawCpu: number } {
  const rib = new Rib(benchRibConfig);
  rib.setConnected([{ prefix: '198.18.0.0/15', interface: 'bench0' }, { prefix: '2001:db8::/64', interface: 'bench0' }]);
  rib.drainBatch();
  rib.peerUp(FEEDER);
  const outs = [adjOut(rib, FEEDER), adjOut(rib, COLLECTOR)];
  let bytesOut = 0;
  const tick = (): void => {
    do {
      const batch = rib.drainBatch(65536);
      for (const out of outs) out.enqueueBatch(batch);
      for (const out of outs) {
        // As the daemon's pump takes them: one buffer per batch.
        for (let batch = out.nextBytes(CHUNK); batch; batch = out.nextBytes(CHUNK)) bytesOut += batch.bytes.length;
      }
    } while (rib.pendingChanges() > 0);
  };
  let chunkEnd = CHUNK;
  for (let i = 0; i < count; i++) {
    const r = decodeMessage(wire.subarray(offsets[i]!, offsets[i + 1]!), CTX);
    if (!r.ok || r.msg.type !== 'UPDATE') throw new Error(`message ${i} does not decode as an UPDATE`);
    rib.applyUpdate(FEEDER.address, r.msg, r.findings, true);
    if (offsets[i + 1]! >= chunkEnd) {
      tick();
      chunkEnd += CHUNK;
    }
  }
  tick();
  // Then the feeder goes down: every route withdrawn, towards the collector too.
  const withdrawCpu = cpuSeconds(() => {
    rib.peerDown(FEEDER.address);
    tick();
  });
  return { bytesOut, withdrawCpu };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const feed = buildFeed({ v4: o.prefixes, v6: o.v6, seed: o.seed, localAs: FEEDER.asn, nextHopV4: FEEDER.address, nextHopV6: '2001:db8::1' });
  const { wire, offsets, count } = feed.stream;
  console.log(`rib replay: ${o.prefixes} IPv4 + ${o.v6} IPv6 prefixes, ${count} UPDATEs, ${o.runs} run(s)`);
  console.log('run | reference decode CPU (s) | replay CPU (s) | × reference | withdraw CPU (s) | GC (ms) | wall (s) | bytes out');
  const ratios: number[] = [];
  const cpus: number[] = [];
  const withdraws: number[] = [];
  for (let r = 1; r <= o.runs; r++) {
    const ref = cpuSeconds(() => {
      for (let i = 0; i < count; i++) decodeMessage(wire.subarray(offsets[i]!, offsets[i + 1]!), CTX);
    });
    const gc0 = gcMs;
    const t0 = performance.now();
    let bytesOut = 0;
    let withdrawCpu = 0;
    const cpu = cpuSeconds(() => void ({ bytesOut, withdrawCpu } = replayOnce(wire, offsets, count))) - withdrawCpu;
    const wall = (performance.now() - t0) / 1000;
    // The collector's entries arrive after the run's synchronous work.
    await new Promise((r) => setTimeout(r, 50));
    ratios.push(cpu / ref);
    cpus.push(cpu);
    withdraws.push(withdrawCpu);
    console.log(`${r} | ${ref.toFixed(2)} | ${cpu.toFixed(2)} | ${(cpu / ref).toFixed(2)} | ${withdrawCpu.toFixed(3)} | ${(gcMs - gc0).toFixed(0)} | ${wall.toFixed(2)} | ${bytesOut}`);
  }
  const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  console.log(JSON.stringify({ prefixes: o.prefixes, v6: o.v6, medianCpuSeconds: median(cpus), medianRatio: median(ratios), medianWithdrawCpuSeconds: median(withdraws) }));
}

await main();
