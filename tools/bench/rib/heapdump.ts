// Heap census of the RIB after loading a table (a development aid for memory work):
//   node dist/tools/bench/rib/heapdump.js [--prefixes N]
// Loads N IPv4 prefixes from one peer into a Rib, drops the decoded messages, takes a heap
// snapshot and prints retained self-size per constructor, largest first.

import { writeHeapSnapshot, setFlagsFromString } from 'node:v8';
import { readFileSync, rmSync } from 'node:fs';
import { runInNewContext } from 'node:vm';

import { decodeMessage, makeContext } from '../../../src/bgp/wire/index.js';
import type { UpdateMessage } from '../../../src/bgp/wire/types.js';
import { Rib } from '../../../src/rib/index.js';
import { benchRibConfig } from '../lib/rib-config.js';
import { buildFeed } from '../lib/feeder.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CFG = benchRibConfig;

function main(): void {
  const i = process.argv.indexOf('--prefixes');
  const n = i > 0 ? Number(process.argv[i + 1]) : 100_000;
  const feed = buildFeed({ v4: n, v6: 0, seed: 0x5eed, localAs: 65001, nextHopV4: '198.18.0.1', nextHopV6: '2001:db8::1' });
  const ctx = makeContext({ as4: true });
  const rib = new Rib(CFG);
  // The peer's next hop resolves (as on the daemon's link), so routes are selected.
  rib.setConnected([{ prefix: '198.18.0.0/15', interface: 'bench0' }]);
  rib.drainChanges();
  rib.peerUp({ address: '198.18.0.1', asn: 65001, routerId: '198.18.254.1', ibgp: false, routeReflectorClient: false });
  let msgs: UpdateMessage[] = [];
  const { wire, offsets } = feed.stream;
  for (let k = 0; k < feed.updates; k++) {
    const r = decodeMessage(wire.subarray(offsets[k]!, offsets[k + 1]!), ctx);
    if (r.ok && r.msg.type === 'UPDATE') msgs.push(r.msg);
  }
  for (const m of msgs) rib.applyUpdate('198.18.0.1', m, [], true);
  rib.drainChanges();
  msgs = [];
  gc();
  const file = writeHeapSnapshot('/tmp/hs/rib.heapsnapshot');
  const snap = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: string[][] } }; nodes: number[]; strings: string[] };
  rmSync(file);
  const f = snap.snapshot.meta.node_fields;
  const stride = f.length;
  const ti = f.indexOf('type');
  const ni = f.indexOf('name');
  const si = f.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0]!;
  const by = new Map<string, { n: number; bytes: number }>();
  let total = 0;
  for (let p = 0; p < snap.nodes.length; p += stride) {
    const type = types[snap.nodes[p + ti]!]!;
    const name = type === 'object' || type === 'native' || type === 'closure' ? snap.strings[snap.nodes[p + ni]!]! : type;
    const size = snap.nodes[p + si]!;
    total += size;
    const e = by.get(name) ?? { n: 0, bytes: 0 };
    e.n++;
    e.bytes += size;
    by.set(name, e);
  }
  console.log(`heap ${(total / 1048576).toFixed(1)} MiB, ${n} prefixes: ${(total / n).toFixed(0)} B/prefix`);
  for (const [name, e] of [...by].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 25)) {
    console.log(`${(e.bytes / n).toFixed(1).padStart(8)} B/prefix ${String(e.n).padStart(9)} objs  ${name.slice(0, 60)}`);
  }
  void rib;
}

main();
