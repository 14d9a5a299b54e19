// Start-up warm-up: a synthetic table through the route path before any session is up.
//
// V8 runs new code in its interpreter and compiles the hot functions on background threads as
// they prove hot: measured in the convergence bench, the first ten 64 KiB reads of a feed took
// ~40 ms each and the later ones ~5 ms, ~0.3 s lost at the start of every table (most of the
// gap to BIRD at 100k prefixes). Here the running daemon's own RIB takes a small table from a
// synthetic eBGP peer in three rounds, through the session's decoder, import, best path, the
// change batch and an Adj-RIB-Out packing UPDATEs (which go nowhere), and gives every route back:
// the same objects and code the first real peer meets, compiled before it comes. Nothing of it
// stays but grown tables and compiled code; it runs before the neighbours and the control socket
// exist and drains every change it makes, so no consumer (the FIB included) sees its routes.

import { decodeChecked, encodeMessage, headerLength, headerOf, makeContext } from '../bgp/wire/index.js';
import type { AsPathSegment, CodecContext, PathAttribute, UpdateMessage } from '../bgp/wire/index.js';
import type { Config } from '../config/types.js';
import { AdjRibOut } from '../rib/index.js';
import type { ExportFilter, ImportFilter, PathAttrs, PeerInfo, PeerOptions, Rib, Route } from '../rib/index.js';
import { messageSizeFilter } from './message-size.js';
import { sessionAddresses } from './neighbor-filters.js';

/** Attribute sets per round (IPv4 sets carry 1–7 prefixes, IPv6 sets 1–3). */
const SETS_V4 = 2500;
const SETS_V6 = 500;
const ROUNDS = 3;
/** As the session reads: 64 KiB of UPDATEs, then the daemon's tick. */
const READ = 64 * 1024;

/**
 * An address made at run time, as a neighbour's is (read from the config): a string literal is
 * internalized, and code compiled comparing two of those (split horizon in export) was thrown
 * away at the first real peer ("wrong instance type").
 */
const made = (...octets: number[]): string => octets.join('.');

/** The synthetic peer: documentation addresses (RFC 5737, RFC 3849) and a private AS; its routes never leave this module. */
const PEER: PeerInfo = { address: made(192, 0, 2, 1), asn: 64512, routerId: made(192, 0, 2, 1), ibgp: false, routeReflectorClient: false };
const TARGET: PeerInfo = { address: made(192, 0, 2, 2), asn: 64513, routerId: made(192, 0, 2, 2), ibgp: false, routeReflectorClient: false };
/**
 * Our addresses on the session to TARGET, others each round as each new session's are: the
 * export's next-hop writer then meets a new address (its cache's miss) more than once here.
 */
const localV4 = (round: number): string => made(192, 0, 2, 254 - round);
const localV6 = (round: number): string => ['2001', 'db8', '', (0xfe - round).toString(16)].join(':');
const NEXT_HOP_V6 = '2001:db8::1';
/** The link-local next hop half of the IPv6 sets carry too (RFC 2545 §3), as a real table's do. */
const LINK_LOCAL = 'fe80::1';

/**
 * Accept everything, its outcome depending on the attributes only: the filter when no neighbour
 * is configured (or in tests), shaped as the neighbours' are (a function with a `perAttributes`
 * getter).
 */
function acceptAll(): ImportFilter & ExportFilter {
  const filter = (route: Route): PathAttrs => route.attrs;
  return Object.defineProperty(filter, 'perAttributes', { get: () => true });
}

/**
 * What the feed is decoded with: as a session decodes what it receives after the OPENs
 * (src/bgp/session/negotiate.ts), into keyed holders, whose code the warm-up is to compile.
 */
export const WARM_UP_RECV_CTX = makeContext({ as4: true, keyedLists: true });

/** A small deterministic generator (xorshift32): the same table every start. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/**
 * The attributes of set i, with what a real table mixes in (as RIS dumps show: a MED on about a
 * third, communities on most, an aggregator and large communities on some), so that the RIB meets
 * the object shapes of a real feed here first.
 */
function attributes(next: () => number, i: number): PathAttribute[] {
  const asns = [PEER.asn];
  for (let n = 1 + (next() % 5); n > 0; n--) asns.push(1 + (next() % 400_000));
  const origin = asns[asns.length - 1]!;
  const asPath: AsPathSegment[] = [{ type: 'AS_SEQUENCE', asns }];
  const list: PathAttribute[] = [
    { code: 1, name: 'ORIGIN', flags: 0x40, value: i % 7 === 0 ? 'INCOMPLETE' : 'IGP' },
    { code: 2, name: 'AS_PATH', flags: 0x40, value: asPath },
    { code: 3, name: 'NEXT_HOP', flags: 0x40, value: PEER.address },
  ];
  if (i % 3 === 0) list.push({ code: 4, name: 'MULTI_EXIT_DISC', flags: 0x80, value: next() % 1000 });
  // An aggregator with and without ATOMIC_AGGREGATE, a MED and communities (set i = 2, 27, 52, …):
  // each member is another hidden class for the members set after it, and a real table has every
  // mix. With the aggregator only on sets without communities, the first real set with both threw
  // away the compiled attribute path ("wrong map" at fromWire's store of `communities`).
  if (i % 25 === 2) {
    if (i % 50 === 2) list.push({ code: 6, name: 'ATOMIC_AGGREGATE', flags: 0x40, value: true });
    list.push({ code: 7, name: 'AGGREGATOR', flags: 0xc0, value: { asn: origin, address: '192.0.2.3' } });
  }
  if (i % 5 !== 0) {
    const communities = [];
    for (let n = 1 + (next() % 6); n > 0; n--) communities.push(((communityAs(i, n) << 16) | (1000 + (next() % 2000))) >>> 0);
    list.push({ code: 8, name: 'COMMUNITIES', flags: 0xc0, value: [...new Set(communities)].sort((a, b) => a - b) });
  }
  if (i % 7 === 3) list.push({ code: 32, name: 'LARGE_COMMUNITY', flags: 0xc0, value: [[origin, 1 + (next() % 9), next() % 100_000]] });
  return list;
}

/**
 * The AS half of community n (counted down) of set i: the peer's own AS on some sets, a low AS on
 * others, both in one list on a few, as in a real table (RIS dumps: 3356:…, 174:… beside 65535:…,
 * 64512:…). Below 32768 a community is below 2^31, a small integer, above it a double; whichever
 * comes first, the decoder's list settles on generic elements within the first few sets (traced
 * with %HasSmiElements and the like), so this is for realism, not for a deoptimization seen.
 */
function communityAs(i: number, n: number): number {
  if (i % 4 === 0) return PEER.asn;
  if (i % 4 === 3 && n === 1) return PEER.asn;
  return 3000 + (i % 500);
}

/**
 * An IPv4 prefix of /16–/24 with words in both halves of the 32-bit range (the first octet has
 * bit 5 cleared: below 224, no multicast; 0 becomes 1).
 */
function v4Prefix(next: () => number): string {
  const len = 16 + (next() % 9);
  const a = next() & (~0 << (32 - len));
  return `${(a >>> 24) & 223 || 1}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`;
}

function v6Prefix(next: () => number): string {
  const len = 32 + 4 * (next() % 5);
  const w = next() & (~0 << 4);
  return `2a${((w >>> 24) & 0xf).toString(16).padStart(2, '0')}:${(w & 0xffff).toString(16)}::/${len}`;
}

/** The synthetic table as the peer would send it: one UPDATE per attribute set. */
export function warmUpFeed(ctx: CodecContext): Buffer {
  const next = random(0x5eed);
  const messages: Buffer[] = [];
  for (let i = 0; i < SETS_V4; i++) {
    const nlri = Array.from({ length: 1 + (next() % 7) }, () => ({ prefix: v4Prefix(next) }));
    messages.push(encodeMessage({ type: 'UPDATE', withdrawn: [], attributes: attributes(next, i), nlri }, ctx));
  }
  for (let i = 0; i < SETS_V6; i++) {
    const list = attributes(next, i).filter((a) => a.name !== 'NEXT_HOP');
    const nlri = Array.from({ length: 1 + (next() % 3) }, () => ({ prefix: v6Prefix(next) }));
    const nextHops = i % 2 === 0 ? [NEXT_HOP_V6, LINK_LOCAL] : [NEXT_HOP_V6];
    list.push({ code: 14, name: 'MP_REACH_NLRI', flags: 0x90, value: { afi: 2, safi: 1, nextHops, nlri } });
    const msg: UpdateMessage = { type: 'UPDATE', withdrawn: [], attributes: list, nlri: [] };
    messages.push(encodeMessage(msg, ctx));
  }
  return Buffer.concat(messages);
}

/**
 * Makers of a configured neighbour's RIB options and export filter (neighbor-filters.ts, as its
 * session makes them): the warm-up's peer hands the RIB and the Adj-RIB-Out the same kinds of
 * objects, closures of the same code, so what V8 compiles for it holds for the neighbour.
 */
export interface NeighborShape {
  peerOptions(): PeerOptions;
  /** `localAddress`: ours on the session, as Peer passes it. */
  exportFilter(localAddress: string): ExportFilter;
}

/** What a warm-up did. */
export interface WarmUpResult {
  prefixes: number;
  rounds: number;
  updatesOut: number;
  ms: number;
}

/** The connected routes the synthetic peer's next hops resolve over, as a real neighbour's do. */
export const WARM_UP_CONNECTED = [
  { prefix: '192.0.2.0/24', interface: 'warm-up' },
  { prefix: '2001:db8::/64', interface: 'warm-up' },
];

/** The synthetic peer and target (the round through neighbours, warmup-session.ts, uses them too). */
export const PEER_ADDRESS = PEER.address;
export const PEER_AS = PEER.asn;
export const TARGET_ADDRESS = TARGET.address;
export const TARGET_AS = TARGET.asn;

/**
 * Run the synthetic table through `rib` ROUNDS times and take it out again, draining up to
 * `drainMax` changes a tick as the daemon does. The RIB must hold no peer, no connected, kernel
 * or static route yet (start-up): its change log is drained here, what it drains goes nowhere,
 * its connected routes are set for the synthetic peer and cleared after, and its kernel and
 * static routes are left empty. `like`: a configured neighbour's options and export filter for
 * the synthetic peer (its policies then decide what of the table goes through); without it,
 * accept-all filters.
 */
export function warmUp(rib: Rib, cfg: Pick<Config, 'localAs' | 'routerId' | 'clusterId'>, drainMax: number, like?: NeighborShape): WarmUpResult {
  const started = process.hrtime.bigint();
  const ctx = makeContext({ as4: true });
  const recvCtx = WARM_UP_RECV_CTX;
  const feed = warmUpFeed(ctx);
  let updatesOut = 0;
  let prefixes = 0;
  // The peer's next hops resolve over a connected route, as a real neighbour's do; the daemon
  // sets the kernel's own connected routes after this.
  rib.setConnected(WARM_UP_CONNECTED);
  for (let round = 0; round < ROUNDS; round++) {
    rib.peerUp(PEER, like?.peerOptions() ?? { importFilter: acceptAll() });
    const out = new AdjRibOut({
      local: { asn: cfg.localAs, routerId: cfg.routerId, clusterId: cfg.clusterId },
      target: TARGET,
      localAddress: sessionAddresses(localV4(round), [{ family: 'ipv6', address: localV6(round) }]),
      nextHopSelf: false,
      filter: messageSizeFilter(like?.exportFilter(localV4(round)) ?? acceptAll(), ctx, () => undefined, rib.store),
      codec: ctx,
      families: ['ipv4', 'ipv6'],
      store: rib.store,
      prefixes: rib.prefixTables,
    });
    // As a session's export starts (the RIB is empty: only End-of-RIB is due).
    out.initialDump(rib);
    const tick = (): void => {
      do {
        out.enqueueBatch(rib.drainBatch(drainMax));
        for (let b = out.nextBytes(READ); b; b = out.nextBytes(READ)) updatesOut += b.messages;
      } while (rib.pendingChanges() > 0);
    };
    prefixes = 0;
    let readEnd = READ;
    for (let off = 0; off < feed.length; ) {
      const header = headerOf(feed, off, recvCtx);
      if (typeof header !== 'number') throw new Error(`warm-up feed: ${header.message}`);
      const r = decodeChecked(feed, recvCtx, off, header);
      if (!r.ok || r.msg.type !== 'UPDATE') throw new Error('warm-up feed: an UPDATE does not decode');
      prefixes += rib.applyUpdate(PEER.address, r.msg, r.findings, ctx.as4).announced;
      off += headerLength(header);
      if (off >= readEnd) {
        tick();
        readEnd += READ;
      }
    }
    tick();
    rib.peerDown(PEER.address);
    tick();
    out.close();
  }
  rib.setConnected([]);
  // The daemon sets the kernel's routes and the static ones next: set here (twice, empty) too,
  // the RIB's fields that hold them are already as V8 will see them then. A field written a
  // second time after the compile changed the RIB's hidden class, and every compiled RIB method
  // was thrown away ("wrong map") and compiled again during the first feed.
  for (let i = 0; i < 2; i++) {
    rib.setKernel([]);
    rib.setStatic([]);
  }
  // In ticks of drainMax as the daemon drains, not all at once: an unbounded drain (Infinity,
  // not a small integer) would throw away the compiled drain loop just before the first feed.
  while (rib.pendingChanges() > 0) rib.drainBatch(drainMax);
  return { prefixes, rounds: ROUNDS, updatesOut, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}
