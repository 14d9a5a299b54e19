// The feeder: a synthetic table (fulltable.ts), rewritten as its own eBGP announcement (its AS
// prepended, next hop its own address), packed and encoded once (updates.ts), then streamed to
// a peer as fast as the socket takes it. Also builds the UPDATEs that withdraw a list of prefixes,
// and small hand-made announcements for interop tests.

import { encodeMessage, makeContext } from '../../../src/bgp/wire/index.js';
import type { Nlri, PathAttribute, UpdateMessage } from '../../../src/bgp/wire/types.js';
import type { LiteSession } from './bgp-speaker-lite.js';
import { generateFullTable, type FullTable, type RouteSet } from './fulltable.js';
import { concatMessages, encodeStream, packUpdates, type WireStream } from './updates.js';

export interface FeedOptions {
  v4: number;
  v6: number;
  seed?: number;
  /** The feeder's AS, prepended to every AS_PATH as an eBGP speaker does (RFC 4271 §5.1.2). */
  localAs: number;
  /** NEXT_HOP of every IPv4 route: the feeder's address on the link. */
  nextHopV4: string;
  /** MP_REACH_NLRI next hop of every IPv6 route (one global address). */
  nextHopV6: string;
}

export interface Feed {
  stream: WireStream;
  v4: string[];
  v6: string[];
  updates: number;
}

/** The encoder for everything the feeder sends: 4-octet AS (the lite speaker always offers it). */
export const FEED_CTX = makeContext({ as4: true });

function rewriteSet(set: RouteSet, o: FeedOptions): RouteSet {
  const attributes = set.attributes.map((a): PathAttribute => {
    if (a.name === 'NEXT_HOP') return { ...a, value: o.nextHopV4 };
    if (a.name === 'AS_PATH') {
      const [first, ...rest] = a.value;
      const lead = first && first.type === 'AS_SEQUENCE' ? [{ type: first.type, asns: [o.localAs, ...first.asns] }, ...rest] : [{ type: 'AS_SEQUENCE' as const, asns: [o.localAs] }, ...a.value];
      return { ...a, value: lead };
    }
    return a;
  });
  return { ...set, attributes, nextHops: set.afi === 2 ? [o.nextHopV6] : [] };
}

/** Generate, rewrite, pack and encode a table: the same options give the same bytes. */
export function buildFeed(o: FeedOptions): Feed {
  const table: FullTable = generateFullTable({ v4: o.v4, v6: o.v6, seed: o.seed ?? 0x5eed });
  const sets = [...table.v4, ...table.v6].map((s) => rewriteSet(s, o));
  const packed = packUpdates(sets);
  const stream = encodeStream(packed, (m) => encodeMessage(m, FEED_CTX));
  const v4: string[] = [];
  const v6: string[] = [];
  for (const s of sets) for (const n of s.nlri) (s.afi === 1 ? v4 : v6).push(n.prefix);
  return { stream, v4, v6, updates: packed.length };
}

/** Per-message prefix counts that keep withdrawals well under 4096 bytes (5 / 17 bytes each at most). */
const WITHDRAW_PER_MSG = { v4: 700, v6: 200 };

/** UPDATEs withdrawing the given prefixes: IPv4 in Withdrawn Routes, IPv6 in MP_UNREACH_NLRI (RFC 4760 §4). */
export function buildWithdrawals(v4: readonly string[], v6: readonly string[]): WireStream {
  const msgs: Buffer[] = [];
  const nlri = (list: readonly string[]): Nlri[] => list.map((prefix) => ({ prefix }));
  for (let i = 0; i < v4.length; i += WITHDRAW_PER_MSG.v4) {
    const msg: UpdateMessage = { type: 'UPDATE', withdrawn: nlri(v4.slice(i, i + WITHDRAW_PER_MSG.v4)), attributes: [], nlri: [] };
    msgs.push(encodeMessage(msg, FEED_CTX));
  }
  for (let i = 0; i < v6.length; i += WITHDRAW_PER_MSG.v6) {
    const value = { afi: 2, safi: 1, withdrawn: nlri(v6.slice(i, i + WITHDRAW_PER_MSG.v6)) };
    const msg: UpdateMessage = { type: 'UPDATE', withdrawn: [], attributes: [{ code: 15, name: 'MP_UNREACH_NLRI', flags: 0x90, value }], nlri: [] };
    msgs.push(encodeMessage(msg, FEED_CTX));
  }
  return concatMessages(msgs);
}

export interface SimpleRoute {
  prefix: string;
  nextHop: string;
  /** AS_PATH as one AS_SEQUENCE; the feeder's AS is not added here. */
  asPath: number[];
  communities?: number[];
  med?: number;
  largeCommunities?: [number, number, number][];
}

/** One UPDATE per route, IPv4 in NLRI with NEXT_HOP, IPv6 in MP_REACH_NLRI: for interop tests. */
export function buildAnnouncements(routes: readonly SimpleRoute[]): WireStream {
  const msgs = routes.map((r) => {
    const attributes: PathAttribute[] = [
      { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' },
      { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: r.asPath }] },
    ];
    const v6 = r.prefix.includes(':');
    if (!v6) attributes.push({ code: 3, name: 'NEXT_HOP', flags: 0x40, value: r.nextHop });
    if (r.med !== undefined) attributes.push({ code: 4, name: 'MULTI_EXIT_DISC', flags: 0x80, value: r.med });
    if (r.communities?.length) attributes.push({ code: 8, name: 'COMMUNITIES', flags: 0xc0, value: r.communities });
    if (v6) attributes.push({ code: 14, name: 'MP_REACH_NLRI', flags: 0x80, value: { afi: 2, safi: 1, nextHops: [r.nextHop], nlri: [{ prefix: r.prefix }] } });
    if (r.largeCommunities?.length) attributes.push({ code: 32, name: 'LARGE_COMMUNITY', flags: 0xc0, value: r.largeCommunities });
    const msg: UpdateMessage = { type: 'UPDATE', withdrawn: [], attributes, nlri: v6 ? [] : [{ prefix: r.prefix }] };
    return encodeMessage(msg, FEED_CTX);
  });
  return concatMessages(msgs);
}

export interface FeedResult {
  /** When the first byte of the first UPDATE was handed to the socket (nowNs clock). */
  firstNs: bigint;
  /** When the last write was accepted by the socket. */
  lastNs: bigint;
  bytes: number;
  messages: number;
}

/** Stream a pre-encoded set of UPDATEs over an Established session (encoded with FEED_CTX). */
export async function feed(session: LiteSession, stream: WireStream): Promise<FeedResult> {
  if (!session.ctx.as4) throw new Error('feed: the peer did not negotiate 4-octet AS; the feed is encoded with 4-octet AS_PATHs');
  const { firstNs, lastNs } = await session.stream(stream.wire);
  return { firstNs, lastNs, bytes: stream.wire.length, messages: stream.count };
}
