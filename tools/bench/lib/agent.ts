// A lite BGP speaker as a process, driven over stdin/stdout with one JSON object per line, so that
// a test or benchmark can place a feeder or collector inside a network namespace
// (`ip netns exec NS node dist/tools/bench/lib/agent.js`). Requests: {"id": n, "op": ..., ...};
// replies: {"id": n, "ok": true, ...} or {"id": n, "ok": false, "error": "..."}. Times are
// nowNs() (CLOCK_MONOTONIC, comparable across processes) as decimal strings.
//
// Ops:
//   connect   {host, port?, localAddress?, localAs, peerAs?, routerId, holdTime?, families?}
//             → {peerMyAs, peerRouterId, holdTime} once Established
//   listen    {host, port?, localAs, peerAs?, routerId, holdTime?, families?} → {} once bound
//   accept    {}                                      → as connect, once the accepted session is Established
//   build     {v4, v6, seed?, nextHopV4, nextHopV6, localAs?} → {v4, v6, updates, bytes}  (the feeder
//             table; localAs defaults to the session's)
//   send      {}                                      → {firstNs, lastNs, bytes, messages}
//   announce  {routes: SimpleRoute[]}                 → {firstNs, lastNs, ...}
//   withdraw  {v4: string[], v6: string[]}            → {firstNs, lastNs, ...}
//   wait      {v4, v6, timeoutMs}                     → {atNs, counts}: exactly v4 + v6 held
//   counts    {}                                      → {counts}
//   prefixes  {}                                      → {v4: string[], v6: string[]} (sorted)
//   routes    {}                                      → {routes: {prefix, attributes}[]} (small tables)
//   gaps      {reset?}                                → {keepalives, maxKeepaliveGapMs, maxMessageGapMs}:
//             gaps between messages received since the last reset (reset: true starts a new window)
//   close     {}                                      → {} and the process exits


import { need, out, runAgent, type Ops, type Reply, type Req } from './agent-loop.js';
import { connectLite, listenLite, type LiteFamily, type LiteOptions, type LiteSession } from './bgp-speaker-lite.js';
import { Collector } from './collector.js';
import { buildAnnouncements, buildFeed, buildWithdrawals, feed, type Feed, type FeedResult, type SimpleRoute } from './feeder.js';


let session: LiteSession | undefined;
let accepting: Promise<LiteSession> | undefined;
let table: Feed | undefined;
const collector = new Collector({ keepAttributes: process.argv.includes('--keep-attributes') });



function fed(r: FeedResult): Reply {
  return { firstNs: r.firstNs, lastNs: r.lastNs, bytes: r.bytes, messages: r.messages };
}

function liteOptions(r: Req): LiteOptions {
  return {
    localAs: Number(r.localAs),
    peerAs: r.peerAs === undefined ? undefined : Number(r.peerAs),
    routerId: String(r.routerId),
    holdTime: r.holdTime === undefined ? 90 : Number(r.holdTime),
    families: (r.families as LiteFamily[] | undefined) ?? ['ipv4', 'ipv6'],
  };
}

/** Count the session's UPDATEs from its first message on. */
function adopt(s: LiteSession): void {
  session = s;
  collector.attach(s);
  void s.closed.then((e) => out({ event: 'closed', reason: e?.message ?? 'closed' }));
}

async function established(s: LiteSession): Promise<Reply> {
  await s.established;
  const open = s.peerOpen!;
  return { peerMyAs: open.myAs, peerRouterId: open.bgpId, holdTime: open.holdTime };
}

async function connect(r: Req): Promise<Reply> {
  if (session || accepting) throw new Error('already connected');
  const port = r.port === undefined ? 179 : Number(r.port);
  const localAddress = r.localAddress === undefined ? undefined : String(r.localAddress);
  const s = await connectLite({ ...liteOptions(r), host: String(r.host), port, localAddress });
  adopt(s);
  return established(s);
}

async function listen(r: Req): Promise<Reply> {
  if (session || accepting) throw new Error('already connected');
  const { session: s } = await listenLite({ ...liteOptions(r), host: String(r.host), port: r.port === undefined ? 179 : Number(r.port) }, adopt);
  accepting = s;
  return {};
}

const ops: Ops = {
  connect,
  listen,
  accept: async () => established(await need(accepting, 'listen')),
  build: async (r) => {
    table = buildFeed({
      v4: Number(r.v4),
      v6: Number(r.v6),
      seed: r.seed === undefined ? undefined : Number(r.seed),
      localAs: r.localAs === undefined ? need(session, 'connect (or localAs)').opts.localAs : Number(r.localAs),
      nextHopV4: String(r.nextHopV4),
      nextHopV6: String(r.nextHopV6),
    });
    return { v4: table.v4.length, v6: table.v6.length, updates: table.updates, bytes: table.stream.wire.length };
  },
  send: async () => fed(await feed(need(session, 'connect'), need(table, 'build').stream)),
  announce: async (r) => fed(await feed(need(session, 'connect'), buildAnnouncements(r.routes as SimpleRoute[]))),
  withdraw: async (r) => fed(await feed(need(session, 'connect'), buildWithdrawals(r.v4 as string[], r.v6 as string[]))),
  wait: async (r) => {
    const half = collector.waitForCount(Math.ceil(Number(r.v4) / 2), Math.ceil(Number(r.v6) / 2), Number(r.timeoutMs), false).catch(() => 0n);
    const atNs = await collector.waitForCount(Number(r.v4), Number(r.v6), Number(r.timeoutMs));
    return { atNs, firstNs: collector.firstUpdateNs, halfNs: await half, counts: collector.counts() };
  },
  counts: async () => ({ counts: collector.counts() }),
  prefixes: async () => ({ v4: collector.prefixes('ipv4'), v6: collector.prefixes('ipv6') }),
  routes: async () => ({
    routes: collector.routes(),
  }),
  gaps: async (r) => {
    const s = need(session, 'connect');
    const g = s.gaps.read();
    if (r.reset === true) s.gaps.reset();
    return g;
  },
  close: async () => {
    if (session) await session.close();
    setImmediate(() => process.exit(0));
    return {};
  },
};

runAgent(ops);
