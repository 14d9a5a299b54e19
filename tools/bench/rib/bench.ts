// RIB micro-benchmark (single thread, no sockets): the route path of the daemon without I/O.
//
//   node dist/tools/bench/rib/bench.js [--prefixes N] [--v6 N] [--peers M] [--out K] [--seed S]
//
// M eBGP peers (AS 65001..) each send the same synthetic table (tools/bench/lib/fulltable.ts,
// N IPv4 + --v6 IPv6 prefixes, the peer's AS prepended, its own next hop), packed and encoded as
// the convergence feeder sends it. Timed stages, each against a reference run in the same process
// so that figures from different machines or loads compare:
//   decode   decodeMessage of every UPDATE (the reference: the codec's own pace);
//   import   Rib.applyUpdate of every decoded UPDATE of every peer (Adj-RIB-In, import, Loc-RIB);
//   decide   Rib.drainChanges (the coalesced best-path changes);
//   export   K Adj-RIB-Outs (eBGP, accept-all): enqueue the changes, then nextBatch() until
//            drained (UPDATEs encoded); its reference is encodeMessage of the feeder's messages.
// Memory: the heap retained by the RIB (after a full GC, decoded messages and drained changes dropped) per route held
// (N × M routes), and per prefix against a reference Map<prefix text, attrs> of the same prefixes
// (the floor of any table keyed by prefix text); then the same with the K Adj-RIB-Outs.

import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { decodeMessage, encodeMessage, makeContext } from '../../../src/bgp/wire/index.js';
import type { UpdateMessage } from '../../../src/bgp/wire/types.js';
import { AdjRibOut, Rib } from '../../../src/rib/index.js';
import type { PeerInfo } from '../../../src/rib/index.js';
import { benchRibConfig } from '../lib/rib-config.js';
import { buildFeed } from '../lib/feeder.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Options {
  prefixes: number;
  v6: number;
  peers: number;
  out: number;
  seed: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { prefixes: 1_000_000, v6: 0, peers: 1, out: 1, seed: 0x5eed };
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i]!;
    const n = Number(argv[i + 1]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${a} wants a number`);
    if (a === '--prefixes') o.prefixes = Math.floor(n);
    else if (a === '--v6') o.v6 = Math.floor(n);
    else if (a === '--peers') o.peers = Math.max(1, Math.floor(n));
    else if (a === '--out') o.out = Math.floor(n);
    else if (a === '--seed') o.seed = Math.floor(n);
    else throw new Error(`unknown option ${a} (see ${path.basename(process.argv[1] ?? 'bench.js')} header)`);
  }
  return o;
}

const CTX = makeContext({ as4: true });
const CFG = benchRibConfig;
const LOCAL_AS = CFG.localAs;

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
}

function peerInfo(i: number): PeerInfo {
  return { address: `198.18.${i >> 8}.${(i & 255) + 1}`, asn: 65001 + i, routerId: `198.18.254.${i + 1}`, ibgp: false, routeReflectorClient: false };
}

function decodeAll(wire: Buffer, offsets: Uint32Array, count: number): UpdateMessage[] {
  const out: UpdateMessage[] = [];
  for (let i = 0; i < count; i++) {
    const r = decodeMessage(wire.subarray(offsets[i]!, offsets[i + 1]!), CTX);
    if (!r.ok || r.msg.type !== 'UPDATE') throw new Error(`message ${i} does not decode as an UPDATE`);
    out.push(r.msg);
  }
  return out;
}

const rate = (n: number, s: number): string => `${(n / s / 1e6).toFixed(2)} M/s`;
const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const perPeer = o.prefixes + o.v6;
  const total = perPeer * o.peers;
  console.log(`rib bench: ${o.prefixes} IPv4 + ${o.v6} IPv6 prefixes from ${o.peers} peer(s), export to ${o.out}, seed ${o.seed}`);
  const feeds = Array.from({ length: o.peers }, (_, i) =>
    buildFeed({ v4: o.prefixes, v6: o.v6, seed: o.seed, localAs: 65001 + i, nextHopV4: `198.18.${i >> 8}.${(i & 255) + 1}`, nextHopV6: `2001:db8::${i + 1}` }),
  );

  // Reference memory: a Map from prefix text to one shared object, for the same prefixes.
  const h0 = heap();
  const refMap = new Map<string, object>();
  const shared = {};
  for (const p of feeds[0]!.v4) refMap.set(p, shared);
  for (const p of feeds[0]!.v6) refMap.set(p, shared);
  const refBytes = heap() - h0;
  refMap.clear();

  const rib = new Rib(CFG);
  // The peers' next hops resolve through connected routes, as on the daemon's links.
  rib.setConnected([
    { prefix: '198.18.0.0/15', interface: 'bench0' },
    { prefix: '2001:db8::/64', interface: 'bench0' },
  ]);
  rib.drainChanges();
  const h1 = heap();
  let decodeS = 0;
  let importS = 0;
  for (let i = 0; i < o.peers; i++) {
    const info = peerInfo(i);
    rib.peerUp(info);
    const s = feeds[i]!.stream;
    const [msgs, d] = time(() => decodeAll(s.wire, s.offsets, s.count));
    decodeS += d;
    importS += time(() => {
      for (const m of msgs) rib.applyUpdate(info.address, m, [], true);
    })[1];
  }
  const [changes, decideS] = time(() => rib.drainChanges());

  let exportS = 0;
  let updates = 0;
  const outs: AdjRibOut[] = [];
  for (let k = 0; k < o.out; k++) {
    const target: PeerInfo = { address: `198.19.0.${k + 1}`, asn: 65500 + k, routerId: `198.19.0.${k + 1}`, ibgp: false, routeReflectorClient: false };
    const out = new AdjRibOut({
      local: { asn: LOCAL_AS, routerId: CFG.routerId, clusterId: CFG.clusterId },
      target,
      localAddress: { ipv4: '198.19.0.254', ipv6: '2001:db8:1::254' },
      nextHopSelf: false,
      filter: (route) => route.attrs,
      codec: CTX,
      families: ['ipv4', 'ipv6'],
      store: rib.store,
      prefixes: rib.prefixTables,
    });
    outs.push(out);
    exportS += time(() => {
      out.enqueue(changes);
      for (;;) {
        const batch = out.nextBatch(64 * 1024);
        if (batch.length === 0) break;
        updates += batch.length;
      }
    })[1];
  }
  // The drained changes are transient (the daemon drops them each tick): not counted.
  changes.length = 0;
  const withOutBytes = heap() - h1;
  for (const out of outs) out.close();
  outs.length = 0;
  const ribBytes = heap() - h1;

  // Reference for export: encoding the feeder's own messages once per out peer.
  const s = feeds[0]!.stream;
  const msgs = decodeAll(s.wire, s.offsets, s.count);
  const [, encodeS] = time(() => {
    for (let k = 0; k < Math.max(1, o.out); k++) for (const m of msgs) encodeMessage(m, CTX);
  });

  console.log('stage | seconds | routes/s | × reference');
  console.log(`decode (reference) | ${decodeS.toFixed(2)} | ${rate(total, decodeS)} | 1.00`);
  console.log(`import | ${importS.toFixed(2)} | ${rate(total, importS)} | ${(importS / decodeS).toFixed(2)}`);
  console.log(`decide (drain) | ${decideS.toFixed(2)} | ${rate(total, decideS)} | ${(decideS / decodeS).toFixed(2)}`);
  const exported = perPeer * Math.max(1, o.out);
  console.log(`encode (reference) | ${encodeS.toFixed(2)} | ${rate(exported, encodeS)} | 1.00`);
  if (o.out) console.log(`export (${updates} UPDATEs) | ${exportS.toFixed(2)} | ${rate(perPeer * o.out, exportS)} | ${(exportS / encodeS).toFixed(2)}`);
  console.log(`memory: RIB ${mib(ribBytes)} = ${(ribBytes / total).toFixed(0)} B/route; reference Map<prefix, attrs> ${(refBytes / perPeer).toFixed(0)} B/prefix (RIB ${(ribBytes / perPeer / (refBytes / perPeer)).toFixed(2)}× per prefix)`);
  if (o.out) console.log(`memory with ${o.out} Adj-RIB-Out(s): ${mib(withOutBytes)} (+${((withOutBytes - ribBytes) / perPeer / o.out).toFixed(0)} B/prefix/peer); attribute sets ${rib.store.size}`);
  console.log(`peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`);
  console.log(JSON.stringify({ ...o, decodeS, importS, decideS, exportS, encodeS, ribBytesPerRoute: ribBytes / total, refBytesPerPrefix: refBytes / perPeer, outBytesPerPrefix: o.out ? (withOutBytes - ribBytes) / perPeer / o.out : 0 }));
}

main();
