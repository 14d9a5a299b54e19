// What churn leaves in the RIB's heap (a development aid for the soak's RSS figure):
//   node dist/tools/bench/soak/heap-churn.js [--prefixes N] [--rounds R] [--adj-out]
// Loads N IPv4 prefixes from one peer into a Rib, forces a GC and counts the heap by constructor;
// then applies R ticks of the soak's churn (1,000 changes each, new attribute sets every tick),
// sends the full table again (the same contents as at first), forces a GC and counts again. The
// difference per constructor is what the churn left behind. --adj-out: with an Adj-RIB-Out for
// one eBGP collector, fed and drained as the daemon does.

import { writeHeapSnapshot, setFlagsFromString } from 'node:v8';
import { readFileSync, rmSync, mkdirSync } from 'node:fs';
import { runInNewContext } from 'node:vm';

import { decodeMessage, makeContext } from '../../../src/bgp/wire/index.js';
import { AdjRibOut, Rib } from '../../../src/rib/index.js';
import type { ExportFilter } from '../../../src/rib/index.js';
import { benchRibConfig } from '../lib/rib-config.js';
import { buildFeed } from '../lib/feeder.js';
import { Churn } from './churn.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const PEER = '198.18.0.1';
const CFG = benchRibConfig;

function census(): Map<string, number> {
  gc();
  gc();
  mkdirSync('/tmp/heap-churn', { recursive: true });
  const file = writeHeapSnapshot('/tmp/heap-churn/rib.heapsnapshot');
  const snap = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: string[][] } }; nodes: number[]; strings: string[] };
  rmSync(file);
  const f = snap.snapshot.meta.node_fields;
  const [ti, ni, si] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
  const types = snap.snapshot.meta.node_types[0]!;
  const by = new Map<string, number>();
  for (let p = 0; p < snap.nodes.length; p += f.length) {
    const type = types[snap.nodes[p + ti]!]!;
    const name = type === 'object' || type === 'native' || type === 'closure' ? snap.strings[snap.nodes[p + ni]!]! : `(${type})`;
    by.set(name, (by.get(name) ?? 0) + snap.nodes[p + si]!);
  }
  return by;
}

/** The collector's Adj-RIB-Out as peer.ts builds it: accept-all export, attribute-only filter. */
function collectorOut(rib: Rib): AdjRibOut {
  const filter: ExportFilter = (route) => route.attrs;
  Object.defineProperty(filter, 'perAttributes', { get: () => true });
  const out = new AdjRibOut({
    local: { asn: CFG.localAs, routerId: CFG.routerId, clusterId: CFG.clusterId },
    target: { address: '198.18.1.2', asn: 65003, routerId: '198.18.255.3', ibgp: false, routeReflectorClient: false },
    localAddress: { ipv4: '198.18.1.1' },
    nextHopSelf: false,
    filter,
    codec: makeContext({ as4: true }),
    families: ['ipv4'],
    store: rib.store,
    prefixes: rib.prefixTables,
  });
  out.initialDump(rib);
  return out;
}

let out: AdjRibOut | undefined;

function apply(rib: Rib, wire: Buffer): void {
  const ctx = makeContext({ as4: true });
  for (let at = 0; at < wire.length; ) {
    const len = wire.readUInt16BE(at + 16);
    const r = decodeMessage(wire.subarray(at, at + len), ctx);
    if (r.ok && r.msg.type === 'UPDATE') rib.applyUpdate(PEER, r.msg, [], true);
    at += len;
  }
  const changes = rib.drainChanges();
  if (out) {
    out.enqueue(changes);
    while (out.hasPending()) if (out.nextBatch(64 * 1024).length === 0) break;
  }
}

function main(): void {
  const arg = (flag: string, dflt: number): number => (process.argv.includes(flag) ? Number(process.argv[process.argv.indexOf(flag) + 1]) : dflt);
  const n = arg('--prefixes', 100_000);
  const rounds = arg('--rounds', 600);
  const feed = buildFeed({ v4: n, v6: 0, seed: 0x5eed, localAs: 65001, nextHopV4: PEER, nextHopV6: '2001:db8::1' });
  const rib = new Rib(CFG);
  rib.setConnected([{ prefix: '198.18.0.0/15', interface: 'bench0' }]);
  rib.drainChanges();
  rib.peerUp({ address: PEER, asn: 65001, routerId: '198.18.254.1', ibgp: false, routeReflectorClient: false });
  if (process.argv.includes('--adj-out')) out = collectorOut(rib);
  apply(rib, feed.stream.wire);
  const before = census();
  const churn = new Churn({ prefixes: feed.v4, localAs: 65001, nextHop: PEER, seed: 1 });
  for (let r = 0; r < rounds; r++) apply(rib, churn.tick(1000).wire);
  apply(rib, feed.stream.wire);
  const after = census();
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  console.log(`heap ${(sum(before) / 1048576).toFixed(1)} MiB after the load, ${(sum(after) / 1048576).toFixed(1)} MiB after ${rounds} churn ticks and the table again`);
  const diff = [...new Set([...before.keys(), ...after.keys()])].map((k) => [k, (after.get(k) ?? 0) - (before.get(k) ?? 0)] as const);
  for (const [k, d] of diff.sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${(d / 1048576).toFixed(2).padStart(8)} MiB  ${k.slice(0, 70)}`);
}

main();
