// The soak benchmark's lite BGP speaker, as a process inside a namespace, driven like
// tools/bench/lib/agent.ts (one JSON request per line on stdin, one reply per line on stdout),
// with what the soak needs on top: the session can be closed and opened again without the
// process ending (a flap keeps the built table), and churn at a set rate.
//
// Ops:
//   connect    {host, localAddress, localAs, peerAs, routerId, timeoutMs} → {} once Established,
//              retrying while the peer refuses or closes (it may still be tearing the last one down)
//   build      {v4, seed, nextHopV4, nextHopV6, localAs} → {v4, updates, bytes}
//   send       {} → {ms}: the whole table
//   disconnect {} → {}: Cease / Administrative Shutdown, then close; the collector's table is emptied
//   churn      {rate, seconds, seed} → {changes, messages, announced, withdrawn, held, behindMs}
//   wait       {v4, timeoutMs} → {counts}: exactly v4 IPv4 prefixes held (collector side)
//   counts     {} → {counts}
//   events     {} → {closed: string[]}: why each session ended other than by disconnect
//   exit       {} → {} and the process exits
// Events: {event: 'closed', reason} when a session ends other than by disconnect.


import { need, out, runAgent, type Ops, type Reply, type Req } from '../lib/agent-loop.js';
import { connectLite, type LiteSession } from '../lib/bgp-speaker-lite.js';
import { Collector } from '../lib/collector.js';
import { buildFeed, feed, type Feed } from '../lib/feeder.js';
import { Churn } from './churn.js';


let session: LiteSession | undefined;
let table: Feed | undefined;
let churn: Churn | undefined;
let collector = new Collector();
const closed: string[] = [];



const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function connectOnce(r: Req): Promise<LiteSession> {
  const s = await connectLite({
    host: String(r.host),
    localAddress: String(r.localAddress),
    localAs: Number(r.localAs),
    peerAs: Number(r.peerAs),
    routerId: String(r.routerId),
    families: ['ipv4', 'ipv6'],
  });
  collector.attach(s);
  await s.established;
  return s;
}

async function connect(r: Req): Promise<Reply> {
  if (session && session.state !== 'Closed') throw new Error('already connected');
  const deadline = Date.now() + Number(r.timeoutMs ?? 30_000);
  let last = '';
  for (;;) {
    try {
      const s = await connectOnce(r);
      session = s;
      void s.closed.then((e) => {
        if (s !== session || !e) return;
        closed.push(e.message);
        out({ event: 'closed', reason: e.message });
      });
      return {};
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`no session with ${String(r.host)}: ${last}`);
    await sleep(100);
  }
}

async function disconnect(): Promise<Reply> {
  const s = need(session, 'connect');
  session = undefined;
  await s.close(6, 2);
  collector = new Collector();
  return {};
}

/** rate changes a second for `seconds`, in ticks of 100 ms; late ticks are sent at once, not dropped. */
async function runChurn(r: Req): Promise<Reply> {
  const s = need(session, 'connect');
  const c = need(churn, 'build');
  const perTick = Math.round(Number(r.rate) / 10);
  const ticks = Math.round(Number(r.seconds) * 10);
  const start = Date.now();
  let messages = 0;
  let announced = 0;
  let withdrawn = 0;
  let behindMs = 0;
  for (let k = 0; k < ticks; k++) {
    const due = start + k * 100;
    const now = Date.now();
    if (due > now) await sleep(due - now);
    else behindMs = Math.max(behindMs, now - due);
    const t = c.tick(perTick);
    await s.stream(t.wire);
    messages += t.messages;
    announced += t.announced;
    withdrawn += t.withdrawn;
  }
  return { changes: announced + withdrawn, messages, announced, withdrawn, held: c.announcedNow, behindMs, seconds: (Date.now() - start) / 1000 };
}

const ops: Ops = {
  connect,
  disconnect,
  build: async (r) => {
    const localAs = Number(r.localAs);
    const nextHopV4 = String(r.nextHopV4);
    table = buildFeed({ v4: Number(r.v4), v6: 0, seed: Number(r.seed ?? 0x5eed), localAs, nextHopV4, nextHopV6: String(r.nextHopV6) });
    churn = new Churn({ prefixes: table.v4, localAs, nextHop: nextHopV4, seed: Number(r.seed ?? 0x5eed) + 1 });
    return { v4: table.v4.length, updates: table.updates, bytes: table.stream.wire.length };
  },
  send: async () => {
    const t0 = Date.now();
    await feed(need(session, 'connect'), need(table, 'build').stream);
    need(churn, 'build').resetAllAnnounced();
    return { ms: Date.now() - t0 };
  },
  churn: runChurn,
  wait: async (r) => {
    await collector.waitForCount(Number(r.v4), 0, Number(r.timeoutMs));
    return { counts: collector.counts() };
  },
  counts: async () => ({ counts: collector.counts() }),
  events: async () => ({ closed }),
  exit: async () => {
    if (session) await session.close();
    setImmediate(() => process.exit(0));
    return {};
  },
};

runAgent(ops);
