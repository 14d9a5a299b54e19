// The warm-up's rounds through real neighbours on loopback (the daemon runs two, see Daemon.warmUpPeers).
//
// warmUp (warmup.ts) runs the route path from the decoder on, in one synchronous loop, so the
// path of a neighbour's own was left for the first real one to compile: in the convergence bench
// the session's framing, the FSM's UPDATE row, the event to the owner, Peer.onUpdate (which
// inlines the whole import) and the pump's socket writes (frames, deliver, update, updateFrom,
// emit, onUpdate, send) were compiled during the first feed, the feed's first reads run by the
// interpreter meanwhile (`--trace-opt`). Here the daemon's own Peers, two synthetic neighbours
// made from the first configured one, accept loopback connections from two speakers in this
// process: one sends the warm-up table, the other takes what the daemon exports to it, through
// the daemon's ticks as a real table goes. Loopback only (127.0.0.1, ports the kernel picks).

import net from 'node:net';

import { AS_TRANS, CEASE_SUB, encodeMessage, headerLength, headerOf, makeContext } from '../bgp/wire/index.js';
import type { Capability, CodecContext, OpenMessage, OptionalParameter } from '../bgp/wire/index.js';
import { negotiate } from '../bgp/session/negotiate.js';
import { shapedNeighbor } from '../config/index.js';
import type { Config, NeighborConfig } from '../config/types.js';
import type { Rib } from '../rib/index.js';
import type { Peer } from './peer.js';
import { PEER_ADDRESS, PEER_AS, TARGET_ADDRESS, TARGET_AS, warmUpFeed } from './warmup.js';

/** The whole round gives up after this long (it takes ~0.1–0.3 s). */
const TIMEOUT_MS = 10_000;
/** How often the end of the round is looked for. */
const POLL_MS = 2;

/** What of the daemon the round uses. */
export interface WarmUpHost {
  readonly rib: Rib;
  config(): Pick<Config, 'localAs' | 'routerId'>;
  addPeer(n: NeighborConfig): Peer;
  removePeer(address: string, notice: { subcode: number; message: string }): void;
}

export interface SessionWarmUpResult {
  /** UPDATEs the feeder's session took in, and the collector's sent out. */
  updates: number;
  updatesOut: number;
  ms: number;
}

/**
 * A synthetic neighbour from `first`: its policies, families and options, with the synthetic
 * address and AS, passive, without TCP-MD5 and GTSM (loopback packets carry TTL 64) and without
 * a max-prefix limit (one below the warm-up table's size would end the session).
 */
export function synthetic(first: NeighborConfig, address: string, remoteAs: number): NeighborConfig {
  // In the shape of a configured neighbour's (shapedNeighbor), not a spread copy's.
  return shapedNeighbor({ ...first, address, remoteAs, passive: true, password: undefined, ttlSecurity: undefined, maxPrefix: undefined, shutdown: false });
}

/**
 * The speaker's OPEN: ours to that neighbour as its session built it (so that what is negotiated
 * is what a peer like us would negotiate), with the speaker's AS (RFC 6793 §4.1: AS_TRANS in My
 * AS above 65535) and identifier, and no graceful restart (a restart in progress would hold the
 * export back, RFC 4724 §4.1; a session that ends would leave stale routes).
 */
function speakerOpen(ours: OpenMessage, asn: number, routerId: string): OpenMessage {
  const caps = (list: Capability[]): Capability[] =>
    list.filter((c) => c.name !== 'GRACEFUL_RESTART' && c.name !== 'LONG_LIVED_GR').map((c) => (c.name === 'FOUR_OCTET_AS' ? { ...c, value: asn } : c));
  // `type` after the other members, as the codec makes parameters (a number first in a literal
  // whose first member is elsewhere a string `type` generalized that shared hidden class).
  const params = ours.params.map((p): OptionalParameter => ('capabilities' in p ? { capabilities: caps(p.capabilities), type: 2 } : p));
  return { ...ours, myAs: asn > 0xffff ? AS_TRANS : asn, bgpId: routerId, params };
}

/**
 * A loopback connection to `peer`: a listener whose one connection the peer's session takes, and
 * a speaker connected to it that sends its OPEN and a KEEPALIVE, then `then` (the table, or
 * nothing), and reads and drops what it is sent. Closed by the returned function.
 */
async function connectSpeaker(peer: Peer, asn: number, then: (socket: net.Socket, open: OpenMessage) => void): Promise<() => void> {
  const server = net.createServer((socket) => peer.session.acceptInbound(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const speaker = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' }, () => {
    const ctx = makeContext({});
    const open = speakerOpen(peer.session.localOpen, asn, peer.address);
    speaker.write(encodeMessage(open, ctx));
    speaker.write(encodeMessage({ type: 'KEEPALIVE' }, ctx));
    then(speaker, open);
  });
  speaker.on('data', () => undefined);
  speaker.on('error', () => undefined);
  return () => {
    speaker.destroy();
    server.close();
  };
}

/**
 * Resolves true once `done()` holds (looked at every POLL_MS), false when `failed()` does or
 * `deadline` passes first.
 */
async function until(done: () => boolean, failed: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (failed() || Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}

/**
 * One round of the warm-up table through two synthetic neighbours made from `first`: the
 * collector's session comes up, then the feeder's, which sends the table; done once the
 * feeder's every UPDATE is in and the collector's export is written. Both neighbours are removed
 * after (their routes with them) and the RIB's change log drained: undefined when the round did
 * not complete (no loopback, a session refused, the time ran out).
 */
export async function warmUpPeers(host: WarmUpHost, first: NeighborConfig, drainMax: number): Promise<SessionWarmUpResult | undefined> {
  const started = process.hrtime.bigint();
  const deadline = Date.now() + TIMEOUT_MS;
  const collector = host.addPeer(synthetic(first, TARGET_ADDRESS, TARGET_AS));
  const feeder = host.addPeer(synthetic(first, PEER_ADDRESS, PEER_AS));
  const closers: (() => void)[] = [];
  let total = -1;
  try {
    collector.session.start();
    feeder.session.start();
    closers.push(await connectSpeaker(collector, TARGET_AS, () => undefined));
    // A session that went down (an OPEN refused, a NOTIFICATION) ends the round at once.
    const failed = (): boolean => collector.lastError !== undefined || feeder.lastError !== undefined;
    if (!(await until(() => collector.adjOut !== undefined, failed, deadline))) return undefined;
    closers.push(
      await connectSpeaker(feeder, PEER_AS, (socket, open) => {
        // Encoded as the feeder's session will decode it: the negotiation its FSM runs on the
        // speaker's OPEN (4-octet ASes, ADD-PATH, extended messages).
        const c = host.config();
        const r = negotiate(feeder.session.localOpen, open, { ...feeder.cfg, localAs: c.localAs, routerId: c.routerId });
        // Refused, the session ends on its own (the FSM sends the NOTIFICATION) and `failed` sees it.
        if (!r.ok) return;
        const feed = warmUpFeed(r.negotiated.recvCtx);
        total = countMessages(feed, r.negotiated.recvCtx);
        socket.write(feed);
      }),
    );
    const done = await until(() => total >= 0 && feeder.updatesIn === total && host.rib.pendingChanges() === 0 && !collector.adjOut?.hasPending(), failed, deadline);
    return done ? { updates: total, updatesOut: collector.updatesOut, ms: Number(process.hrtime.bigint() - started) / 1e6 } : undefined;
  } finally {
    const notice = { subcode: CEASE_SUB.ADMIN_SHUTDOWN, message: 'warm-up done' };
    host.removePeer(feeder.address, notice);
    host.removePeer(collector.address, notice);
    for (const close of closers) close();
    while (host.rib.pendingChanges() > 0) host.rib.drainBatch(drainMax);
  }
}

/** UPDATEs in a feed built by warmUpFeed with `ctx` (one message after another). */
function countMessages(feed: Buffer, ctx: CodecContext): number {
  let n = 0;
  for (let off = 0; off < feed.length; n++) {
    const header = headerOf(feed, off, ctx);
    if (typeof header !== 'number') throw new Error(`warm-up feed: ${header.message}`);
    off += headerLength(header);
  }
  return n;
}
