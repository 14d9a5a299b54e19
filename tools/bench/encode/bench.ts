// UPDATE head micro-benchmark (single thread, no sockets): the Adj-RIB-Out encodes one head per
// attribute set it sends (src/rib/attrs-head.ts). Compares, in the same run, over the same sets:
//   generic  toWire, then encodeOrUndefined (encodeMessage): the path encodeHead replaces;
//   head     encodeHead.
//
//   node dist/tools/bench/encode/bench.js [--prefixes N] [--v6 N] [--runs K] [--seed S] [--as2]
//
// The sets are the synthetic full table's (tools/bench/lib/fulltable.ts: ~N/4 sets per family),
// decoded as a peer's, rewritten for an eBGP collector as export does (our AS prepended, next hop
// self, MED and LOCAL_PREF dropped) and interned, so that they are the frozen objects the store
// hands the Adj-RIB-Out. Before timing, every set's two encodings are compared byte for byte.
// Each run times one pass of each (alternating which goes first); reported: the median ns/set.
// --as2 encodes for a 2-octet-AS session (sets with 4-octet ASNs then take the generic path).

import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { makeContext } from '../../../src/bgp/wire/index.js';
import type { CodecContext } from '../../../src/bgp/wire/index.js';
import { AttrStore, attrsFromWire, encodeHead, toWire } from '../../../src/rib/index.js';
import type { ExportContext, Family, PathAttrs, PeerInfo } from '../../../src/rib/index.js';
import { encodeOrUndefined } from '../../../src/rib/adjout-wire.js';
import { directHead } from '../../../src/rib/attrs-head.js';
import { rewriteForPeer } from '../../../src/rib/export.js';
import { generateFullTable } from '../lib/fulltable.js';
import type { RouteSet } from '../lib/fulltable.js';
import { benchRibConfig } from '../lib/rib-config.js';

interface Options {
  prefixes: number;
  v6: number;
  runs: number;
  seed: number;
  as2: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { prefixes: 1_000_000, v6: 0, runs: 7, seed: 0x5eed, as2: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--as2') {
      o.as2 = true;
      continue;
    }
    const n = Number(argv[++i]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${a} wants a number`);
    if (a === '--prefixes') o.prefixes = Math.floor(n);
    else if (a === '--v6') o.v6 = Math.floor(n);
    else if (a === '--runs') o.runs = Math.max(1, Math.floor(n));
    else if (a === '--seed') o.seed = Math.floor(n);
    else throw new Error(`unknown option ${a} (see ${path.basename(process.argv[1] ?? 'bench.js')} header)`);
  }
  return o;
}

const SOURCE: PeerInfo = { address: '198.18.1.2', asn: 65001, routerId: '198.18.1.2', ibgp: false, routeReflectorClient: false };
const COLLECTOR: PeerInfo = { address: '198.18.2.2', asn: 65002, routerId: '198.18.2.2', ibgp: false, routeReflectorClient: false };
const EXPORT: ExportContext = {
  local: { asn: benchRibConfig.localAs, routerId: benchRibConfig.routerId, clusterId: benchRibConfig.clusterId },
  target: COLLECTOR,
  localAddress: { ipv4: '198.18.2.1', ipv6: '2001:db8:2::1', ipv6LinkLocal: 'fe80::2:1' },
  nextHopSelf: false,
};

interface Case {
  attrs: PathAttrs;
  family: Family;
}

/** The sets of one family as the Adj-RIB-Out towards the collector gets them. */
function exported(sets: readonly RouteSet[], store: AttrStore): Case[] {
  const out: Case[] = [];
  for (const set of sets) {
    const family: Family = set.afi === 1 ? 'ipv4' : 'ipv6';
    const received: PathAttrs = { ...attrsFromWire(set.attributes, true), nextHop: set.afi === 1 ? '198.18.1.2' : (set.nextHops[0] ?? '') };
    if (set.afi === 2 && set.nextHops[1]) received.nextHopLinkLocal = set.nextHops[1];
    const attrs = store.intern(received);
    const rewritten = rewriteForPeer({ source: { kind: 'bgp', peer: SOURCE }, family, attrs }, attrs, EXPORT);
    if (rewritten) out.push({ attrs: store.intern(rewritten), family });
  }
  return out;
}

function generic(a: PathAttrs, codec: CodecContext, family: Family): Buffer | undefined {
  return encodeOrUndefined({ type: 'UPDATE', withdrawn: [], attributes: toWire(a, { as4: codec.as4, family }), nlri: [] }, codec);
}

type Encoder = (a: PathAttrs, codec: CodecContext, family: Family) => Buffer | undefined;

/** One pass over every case; returns ns per set (and keeps a checksum so nothing is optimised away). */
let sink = 0;
function pass(cases: readonly Case[], codec: CodecContext, encode: Encoder): number {
  const t0 = performance.now();
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    sink += encode(c.attrs, codec, c.family)?.length ?? 0;
  }
  return ((performance.now() - t0) * 1e6) / cases.length;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const codec = makeContext({ as4: !o.as2 });
  const table = generateFullTable({ v4: o.prefixes, v6: o.v6, seed: o.seed });
  const store = new AttrStore();
  const cases = [...exported(table.v4, store), ...exported(table.v6, store)];
  // Untimed: the two encodings agree for every set, and how many encodeHead writes itself.
  let direct = 0;
  let bytes = 0;
  for (const c of cases) {
    const want = generic(c.attrs, codec, c.family);
    const got = encodeHead(c.attrs, codec, c.family);
    if (!(want && got ? want.equals(got) : want === got)) throw new Error(`encodeHead differs from the generic path for ${JSON.stringify(c.attrs)}`);
    if (directHead(c.attrs, codec, c.family)) direct++;
    bytes += got?.length ?? 0;
  }
  console.log(`encode bench: ${cases.length} attribute sets (${table.v4.length} IPv4, ${table.v6.length} IPv6) from ${o.prefixes} + ${o.v6} prefixes, ${o.as2 ? '2' : '4'}-octet AS session, seed ${o.seed}`);
  console.log(`heads: ${(bytes / cases.length).toFixed(1)} octets on average, ${direct} written directly, ${cases.length - direct} by the generic path; all byte-equal`);
  const g: number[] = [];
  const h: number[] = [];
  pass(cases, codec, generic);
  pass(cases, codec, encodeHead);
  for (let r = 0; r < o.runs; r++) {
    if (r % 2 === 0) {
      g.push(pass(cases, codec, generic));
      h.push(pass(cases, codec, encodeHead));
    } else {
      h.push(pass(cases, codec, encodeHead));
      g.push(pass(cases, codec, generic));
    }
  }
  const gm = median(g);
  const hm = median(h);
  console.log('path | ns/set (median of runs) | min..max | ms per pass');
  console.log(`generic (toWire + encodeMessage) | ${gm.toFixed(0)} | ${Math.min(...g).toFixed(0)}..${Math.max(...g).toFixed(0)} | ${((gm * cases.length) / 1e6).toFixed(0)}`);
  console.log(`encodeHead | ${hm.toFixed(0)} | ${Math.min(...h).toFixed(0)}..${Math.max(...h).toFixed(0)} | ${((hm * cases.length) / 1e6).toFixed(0)}`);
  console.log(`speed-up ${(gm / hm).toFixed(2)}×`);
  console.log(JSON.stringify({ ...o, sets: cases.length, genericNsPerSet: gm, headNsPerSet: hm, direct, checksum: sink }));
}

main();
