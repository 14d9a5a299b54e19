// Deterministic synthetic "full Internet table" for benchmarks (codec, RIB, FIB).
//
// Shape, roughly that of a real DFZ feed from a handful of eBGP peers:
//  - IPv4: N unique prefixes (default 1,000,000), ~60% /24, /22 and /23 ~10% each, /21 and /20 ~5%,
//    /19 ~3%, /16 /17 /18 ~1.5% each, the last ~2.5% on /8../15. Addresses uniform over the
//    unicast space minus 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16, the
//    documentation and benchmarking nets and 224/3. Host bits are zero.
//  - IPv6 (optional, default ~23% of N): /48 ~45%, /32 ~10%, /44 /40 /36 /29 and the rest, inside
//    the RIR blocks under 2000::/3 (2001::/16 minus 2001::/23 and 2001:db8::/32, 2400::/12, ...).
//  - About N/4 distinct attribute sets per family with a heavy-tailed size (discrete Pareto: ~60%
//    of sets hold one prefix, a few hold thousands). A set's prefixes are neighbours in address
//    space and share one origin AS; neighbouring sets often share the origin and AS path too
//    (same AS, other communities / MED), as an AS's announcements do.
//  - Each set: ORIGIN, AS_PATH (one AS_SEQUENCE of 1..10 4-octet ASNs, mean ~4.4 with
//    prepends), NEXT_HOP (IPv4) or next hops for MP_REACH_NLRI (IPv6, global and sometimes
//    link-local), sometimes MED, AGGREGATOR, 0..8 COMMUNITIES, sometimes LARGE_COMMUNITY.
//
// Everything derives from one seed: the same options give the same table, byte for byte.

import { ipv6ToText } from '../../../src/bgp/wire/addr.js';
import type { AsPathSegment, Nlri, Origin, PathAttribute } from '../../../src/bgp/wire/types.js';
import { Rng, Weighted } from './rng.js';

export interface RouteSet {
  afi: 1 | 2;
  originAs: number;
  /**
   * Path attributes in type-code order, without MP_REACH_NLRI. IPv4 sets include NEXT_HOP; IPv6
   * sets carry their next hops in `nextHops`, for the MP_REACH_NLRI a packer builds.
   */
  attributes: PathAttribute[];
  /** IPv6 sets: MP_REACH_NLRI next hops (global, then link-local when there is one). */
  nextHops: string[];
  nlri: Nlri[];
  /** Prefix lengths, parallel to `nlri` (saves re-parsing text when sizing messages). */
  lengths: Uint8Array;
}

export interface FullTable {
  v4: RouteSet[];
  v6: RouteSet[];
  v4Prefixes: number;
  v6Prefixes: number;
}

export interface FullTableOptions {
  /** IPv4 prefixes. Default 1,000,000. */
  v4?: number;
  /** IPv6 prefixes. Default round(0.23 * v4). 0 for none. */
  v6?: number;
  /** Mean prefixes per attribute set. Default 4 (so ~250k sets for 1M prefixes). */
  prefixesPerSet?: number;
  seed?: number;
}

// ---- prefix lengths ----

const V4_LENGTHS = new Weighted<number>([
  [24, 60], [23, 10], [22, 10], [21, 5], [20, 5], [19, 3], [18, 1.5], [17, 1.5], [16, 1.5],
  [15, 0.9], [14, 0.7], [13, 0.45], [12, 0.25], [11, 0.12], [10, 0.05], [9, 0.02], [8, 0.01],
]);

const V6_LENGTHS = new Weighted<number>([
  [48, 45], [32, 10], [44, 7], [40, 6], [36, 4], [29, 4], [47, 3], [46, 3], [42, 2], [45, 2],
  [43, 1.5], [41, 1], [38, 1.2], [39, 0.8], [37, 0.8], [34, 1], [33, 1], [35, 0.8], [30, 0.8],
  [31, 0.6], [28, 1], [24, 0.5], [20, 0.3], [19, 0.2], [22, 0.3], [23, 0.2], [26, 0.3], [27, 0.3],
  [25, 0.2], [21, 0.1],
]);
const V6_MAX_LEN = 48;

/** IPv4 space that never appears in the DFZ: [network, length]. */
const V4_EXCLUDED: readonly (readonly [number, number])[] = [
  [0x00000000, 8], [0x0a000000, 8], [0x64400000, 10], [0x7f000000, 8], [0xa9fe0000, 16],
  [0xac100000, 12], [0xc0000200, 24], [0xc0a80000, 16], [0xc6120000, 15], [0xc6336400, 24],
  [0xcb007100, 24], [0xe0000000, 3],
];

function v4Mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

function v4Excluded(addr: number, len: number): boolean {
  for (const [net, elen] of V4_EXCLUDED) {
    const m = v4Mask(Math.min(len, elen));
    if (((addr & m) >>> 0) === ((net & m) >>> 0)) return true;
  }
  return false;
}

/** Sorted unique keys addr * 64 + len of n IPv4 prefixes. */
function genV4Keys(rng: Rng, n: number): Float64Array {
  const seen = new Set<number>();
  const keys = new Float64Array(n);
  let k = 0;
  while (k < n) {
    let len = V4_LENGTHS.draw(rng);
    // Short lengths have few distinct values; after enough collisions take a longer one.
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && attempt % 32 === 0 && len < 24) len++;
      const addr = (rng.u32() & v4Mask(len)) >>> 0;
      if (v4Excluded(addr, len)) continue;
      const key = addr * 64 + len;
      if (seen.has(key)) continue;
      seen.add(key);
      keys[k++] = key;
      break;
    }
  }
  return keys.sort();
}

/** RIR blocks for IPv6: [top 32 bits, block length, weight]. */
const V6_BLOCKS = new Weighted<readonly [number, number]>([
  [[0x20010000, 16], 10], [[0x24000000, 12], 18], [[0x26000000, 12], 22], [[0x28000000, 12], 8],
  [[0x2a000000, 12], 30], [[0x2a100000, 12], 5], [[0x2c000000, 12], 3],
]);

function v6Excluded(hi: number, len: number): boolean {
  // 2001::/23 (IANA special purpose) and 2001:db8::/32 (documentation).
  const m23 = v4Mask(Math.min(len, 23));
  if ((hi & m23) >>> 0 === (0x20010000 & m23) >>> 0) return true;
  const m32 = v4Mask(Math.min(len, 32));
  return (hi & m32) >>> 0 === (0x20010db8 & m32) >>> 0;
}

/**
 * Sorted unique keys of n IPv6 prefixes of at most /48: the top 48 bits, less the fixed 001 of
 * 2000::/3, times 64, plus the length (51 bits: exact in a double).
 */
function genV6Keys(rng: Rng, n: number): Float64Array {
  const seen = new Set<number>();
  const keys = new Float64Array(n);
  let k = 0;
  while (k < n) {
    let len = V6_LENGTHS.draw(rng);
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && attempt % 32 === 0 && len < V6_MAX_LEN) len++;
      const [blockHi, blockLen] = V6_BLOCKS.draw(rng);
      const bm = v4Mask(blockLen);
      let hi = ((blockHi & bm) | (rng.u32() & ~bm)) >>> 0;
      let mid = rng.u32() & 0xffff;
      if (len <= 32) {
        hi = (hi & v4Mask(len)) >>> 0;
        mid = 0;
      } else {
        mid &= (0xffff << (48 - len)) & 0xffff;
      }
      if (v6Excluded(hi, len)) continue;
      const key = ((hi & 0x1fffffff) * 65536 + mid) * 64 + len;
      if (seen.has(key)) continue;
      seen.add(key);
      keys[k++] = key;
      break;
    }
  }
  return keys.sort();
}

function v4KeyText(key: number): string {
  const len = key % 64;
  const a = (key - len) / 64;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`;
}

const v6Scratch = new Uint8Array(16);
function v6KeyText(key: number): string {
  const len = key % 64;
  const top = (key - len) / 64; // 45 bits: 29 of hi (below 001), 16 of mid
  const mid = top % 65536;
  const hi = (((top - mid) / 65536) | 0x20000000) >>> 0;
  v6Scratch.fill(0);
  v6Scratch[0] = hi >>> 24;
  v6Scratch[1] = (hi >>> 16) & 255;
  v6Scratch[2] = (hi >>> 8) & 255;
  v6Scratch[3] = hi & 255;
  v6Scratch[4] = mid >>> 8;
  v6Scratch[5] = mid & 255;
  return `${ipv6ToText(v6Scratch)}/${len}`;
}

// ---- attribute sets ----

/** Heavy-tailed set sizes summing to exactly `total`. */
function setSizes(rng: Rng, total: number, mean: number): Uint32Array {
  const count = Math.max(1, Math.round(total / mean));
  const cap = Math.max(8, Math.floor(total / 100));
  const sizes = new Uint32Array(count);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    // Discrete Pareto, alpha 1.3: P(1) ~ 0.59, P(<=4) ~ 0.88, tail into the thousands.
    const u = 1 - rng.float();
    const s = Math.min(cap, Math.floor(Math.pow(u, -1 / 1.3)));
    sizes[i] = s;
    sum += s;
  }
  // Trim or pad one prefix at a time on random sets until the sizes add up.
  while (sum > total) {
    const i = rng.int(count);
    if (sizes[i]! > 1) {
      sizes[i]!--;
      sum--;
    }
  }
  while (sum < total) {
    sizes[rng.int(count)]!++;
    sum++;
  }
  return sizes;
}

interface Peer {
  asn: number;
  nextHopV4: string;
  nextHopsV6: string[];
}

const TIER1 = [174, 701, 1299, 2914, 3257, 3320, 3356, 3491, 5511, 6453, 6461, 6762, 6830, 7018, 12956];
const PATH_LEN = new Weighted<number>([
  [1, 2], [2, 10], [3, 25], [4, 28], [5, 18], [6, 9], [7, 4.5], [8, 2], [9, 1], [10, 0.5],
]);
const COMMUNITY_COUNT = new Weighted<number>([
  [0, 25], [1, 10], [2, 15], [3, 15], [4, 12], [5, 8], [6, 6], [7, 5], [8, 4],
]);
const ORIGINS = new Weighted<Origin>([['IGP', 85], ['INCOMPLETE', 13], ['EGP', 2]]);

function randomAsn(rng: Rng): number {
  // ~60% 2-octet (skipping AS_TRANS and the private/documentation range), ~40% 4-octet.
  if (rng.chance(0.6)) {
    for (;;) {
      const a = rng.range(1, 64495);
      if (a !== 23456) return a;
    }
  }
  return rng.range(131072, 401308);
}

function hex4(n: number): string {
  return n.toString(16);
}

function makePeers(rng: Rng, count: number): Peer[] {
  const peers: Peer[] = [];
  for (let i = 0; i < count; i++) {
    const asn = i < 4 ? TIER1[rng.int(TIER1.length)]! : randomAsn(rng);
    const v6 = [`2001:7f8:${hex4(rng.range(1, 0xffff))}::${hex4(rng.range(1, 0xffff))}:${i + 1}`];
    if (rng.chance(0.3)) v6.push(`fe80::${hex4(rng.range(1, 0xffff))}:${hex4(rng.range(1, 0xffff))}:${i + 1}`);
    peers.push({ asn, nextHopV4: `80.81.${192 + (i >> 8)}.${(i & 255) + 1}`, nextHopsV6: v6 });
  }
  return peers;
}

interface SetTemplate {
  originAs: number;
  path: number[];
  peer: Peer;
  origin: Origin;
}

function makePath(rng: Rng, peer: Peer, originAs: number, transit: number[]): number[] {
  const distinct = PATH_LEN.draw(rng);
  if (distinct === 1 || originAs === peer.asn) return [peer.asn];
  const path = [peer.asn];
  const used = new Set<number>([peer.asn, originAs]);
  while (path.length < distinct - 1) {
    const pool = path.length === 1 && !TIER1.includes(peer.asn) ? TIER1 : transit;
    const a = rng.pick(pool);
    if (used.has(a)) {
      if (used.size > pool.length) break;
      continue;
    }
    used.add(a);
    path.push(a);
  }
  path.push(originAs);
  // Prepending: mostly by the origin, sometimes by a transit AS.
  if (rng.chance(0.12)) {
    const extra = Math.min(rng.range(1, 3), 10 - path.length);
    for (let i = 0; i < extra; i++) path.push(originAs);
  } else if (path.length > 2 && path.length < 10 && rng.chance(0.03)) {
    const at = rng.range(1, path.length - 2);
    path.splice(at, 0, path[at]!);
  }
  return path;
}

function communityAsn(peer: Peer): number {
  return peer.asn <= 0xffff ? peer.asn : 65000 + (peer.asn % 500);
}

function buildAttributes(rng: Rng, afi: 1 | 2, t: SetTemplate): PathAttribute[] {
  const attrs: PathAttribute[] = [];
  attrs.push({ code: 1, name: 'ORIGIN', flags: 0x40, value: t.origin });
  const seg: AsPathSegment = { type: 'AS_SEQUENCE', asns: t.path.slice() };
  attrs.push({ code: 2, name: 'AS_PATH', flags: 0x40, value: [seg] });
  if (afi === 1) attrs.push({ code: 3, name: 'NEXT_HOP', flags: 0x40, value: t.peer.nextHopV4 });
  if (rng.chance(0.35)) attrs.push({ code: 4, name: 'MULTI_EXIT_DISC', flags: 0x80, value: rng.int(101) * 10 });
  if (rng.chance(0.04)) {
    const address = `${rng.range(1, 223)}.${rng.int(256)}.${rng.int(256)}.${rng.range(1, 254)}`;
    attrs.push({ code: 7, name: 'AGGREGATOR', flags: 0xc0, value: { asn: t.originAs, address } });
  }
  const nComm = COMMUNITY_COUNT.draw(rng);
  if (nComm > 0) {
    const base = communityAsn(t.peer) * 65536;
    const comm = new Set<number>();
    while (comm.size < nComm) {
      // Location / region / relationship tags, plus the odd "origin:0" style tag.
      const kind = rng.int(4);
      const v = kind === 0 ? rng.range(1000, 1999) : kind === 1 ? rng.range(2000, 2099) : kind === 2 ? rng.range(3000, 3009) : rng.int(1000);
      comm.add(base + v);
    }
    const value = [...comm].sort((a, b) => a - b);
    attrs.push({ code: 8, name: 'COMMUNITIES', flags: 0xc0, value });
  }
  if (rng.chance(0.15)) {
    const n = rng.range(1, 3);
    const value: [number, number, number][] = [];
    for (let i = 0; i < n; i++) value.push([rng.chance(0.5) ? t.peer.asn : t.originAs, rng.range(1, 10), rng.int(100000)]);
    attrs.push({ code: 32, name: 'LARGE_COMMUNITY', flags: 0xc0, value });
  }
  return attrs;
}

function buildFamily(rng: Rng, afi: 1 | 2, keys: Float64Array, mean: number, peers: Peer[], transit: number[]): RouteSet[] {
  const sizes = setSizes(rng, keys.length, mean);
  // Sizes are drawn independently, so walking them in order along the address-sorted prefixes
  // makes each set a run of neighbours of random size.
  const peerPick = new Weighted<Peer>(peers.map((p, i) => [p, 1 / (i + 1)] as const));
  const sets: RouteSet[] = [];
  let at = 0;
  let prev: SetTemplate | undefined;
  for (let s = 0; s < sizes.length; s++) {
    const size = sizes[s]!;
    let t: SetTemplate;
    if (prev !== undefined && rng.chance(0.4)) {
      // Same AS, same path: another set of its announcements with other communities / MED.
      t = prev;
    } else {
      const peer = peerPick.draw(rng);
      const originAs = rng.chance(0.01) ? peer.asn : randomAsn(rng);
      t = { originAs, peer, path: makePath(rng, peer, originAs, transit), origin: ORIGINS.draw(rng) };
    }
    prev = t;
    const nlri: Nlri[] = new Array(size);
    const lengths = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      const key = keys[at + i]!;
      nlri[i] = { prefix: afi === 1 ? v4KeyText(key) : v6KeyText(key) };
      lengths[i] = key % 64;
    }
    at += size;
    sets.push({
      afi,
      originAs: t.originAs,
      attributes: buildAttributes(rng, afi, t),
      nextHops: afi === 2 ? t.peer.nextHopsV6.slice() : [],
      nlri,
      lengths,
    });
  }
  return sets;
}

export function generateFullTable(opts: FullTableOptions = {}): FullTable {
  const nV4 = opts.v4 ?? 1_000_000;
  const nV6 = opts.v6 ?? Math.round(nV4 * 0.23);
  const mean = opts.prefixesPerSet ?? 4;
  const rng = new Rng(opts.seed ?? 0x5eed);
  const peers = makePeers(rng, 8);
  const transit: number[] = [];
  while (transit.length < 400) transit.push(randomAsn(rng));
  const v4 = nV4 > 0 ? buildFamily(rng, 1, genV4Keys(rng, nV4), mean, peers, transit) : [];
  const v6 = nV6 > 0 ? buildFamily(rng, 2, genV6Keys(rng, nV6), mean, peers, transit) : [];
  return { v4, v6, v4Prefixes: nV4, v6Prefixes: nV6 };
}

/** Summary figures for a table (to print next to results, and to check the shape). */
export function describeTable(t: FullTable): string {
  const lines: string[] = [];
  for (const [name, sets] of [['IPv4', t.v4], ['IPv6', t.v6]] as const) {
    if (sets.length === 0) continue;
    let prefixes = 0;
    let pathLen = 0;
    let maxSet = 0;
    const origins = new Set<number>();
    const lenHist = new Map<number, number>();
    for (const s of sets) {
      prefixes += s.nlri.length;
      maxSet = Math.max(maxSet, s.nlri.length);
      origins.add(s.originAs);
      const ap = s.attributes.find((a) => a.name === 'AS_PATH');
      if (ap !== undefined && ap.name === 'AS_PATH') pathLen += ap.value.reduce((n, seg) => n + seg.asns.length, 0);
      for (const l of s.lengths) lenHist.set(l, (lenHist.get(l) ?? 0) + 1);
    }
    const top = [...lenHist.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
    lines.push(
      `${name}: ${prefixes} prefixes in ${sets.length} attribute sets (largest ${maxSet}), ` +
        `${origins.size} origin ASes, mean AS_PATH ${(pathLen / sets.length).toFixed(2)}; ` +
        `lengths ${top.map(([l, c]) => `/${l} ${((100 * c) / prefixes).toFixed(1)}%`).join(', ')}`,
    );
  }
  return lines.join('\n');
}
