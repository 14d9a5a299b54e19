// Hostile peers, load level: a real routed on loopback (127.66.6-8.x, ports 42176-42178: this
// file's own) against scripted raw TCP peers. A peer that stops reading while routed has a large
// table for it, an UPDATE flood, and max-prefix exceeded with the configured restart timer.

import net from 'node:net';
import test from 'ava';

import type { PathAttribute } from '../src/bgp/wire/index.js';
import { pollUntil } from './harness/peers.js';
import { establishedPeer, RawPeer, rssOf, startRouted, updateOf } from './helpers/raw-peer.js';

const v4 = (i: number): string => `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;

test.serial('a peer that stops reading: the Adj-RIB-Out builds no backlog, the hold timer ends the session', async (t) => {
  const port = 42176;
  const local = '127.66.6.1';
  const feeder = '127.66.6.2';
  const stuck = '127.66.6.3';
  const r = await startRouted(t, local, port, [
    { address: feeder, remoteAs: 65002 },
    { address: stuck, remoteAs: 65003, extra: '    hold-time: 8\n' },
  ]);
  // 60,000 routes with 200 communities each, every set distinct: about 50 MB of UPDATEs for the
  // stuck peer, several times what the two sockets' kernel buffers hold.
  const N = 60_000;
  const a = await establishedPeer(t, r, local, port, feeder, 65002);
  const stopA = a.keepalives(20_000);
  t.teardown(stopA);
  for (let i = 0; i < N; i++) {
    const communities: PathAttribute = { code: 8, name: 'COMMUNITIES', flags: 0xd0, value: Array.from({ length: 200 }, (_, k) => (i * 200 + k) >>> 0) };
    a.write(a.encode(updateOf([65002], feeder, [v4(i)], [communities])));
  }
  await r.waitNeighbor(feeder, `all ${N} routes accepted`, (n) => n.accepted === N, 90_000);
  const base = rssOf(r.pid!);

  const b = await establishedPeer(t, r, local, port, stuck, 65003, { holdTime: 8 });
  // From here on the stuck peer neither reads nor sends: routed's writes block, and its hold
  // timer (8 s, RFC 4271 §4.2 min of both OPENs) runs out.
  b.stopReading();
  let peak = base;
  const samples: { at: number; advertised: number }[] = [];
  await pollUntil(
    async () => {
      peak = Math.max(peak, rssOf(r.pid!));
      const n = await r.neighbor(stuck);
      if (n.state === 'Established') samples.push({ at: Date.now(), advertised: n.advertised });
      return n.state !== 'Established';
    },
    30_000,
    'the stuck peer dropped by the hold timer',
    () => r.logTail(),
  );
  const n = await r.neighbor(stuck);
  const last = samples.at(-1)!;
  const secondBefore = samples.filter((x) => x.at <= last.at - 500).at(-1);
  t.log(`stuck peer: ${last.advertised} of ${N} routes advertised before the hold timer; RSS ${(base / 1048576).toFixed(0)} MiB, peak +${((peak - base) / 1048576).toFixed(1)} MiB`);
  // RFC 4271 §8.2.2 (Established, HoldTimer_Expires): Hold Timer Expired, then the session ends.
  t.regex(n.lastError ?? '', /Hold Timer Expired/);
  // The pull model: UPDATEs are encoded only as the socket drains, so once the kernel buffers
  // were full nothing more was built for the stuck peer (the count stood still over the last
  // half second or more), and most of the table never was: routed holds no backlog for a peer that reads
  // nothing, whatever the table size. (RSS is only logged: it moves with GC by more than the
  // backlog it would show.)
  t.truthy(secondBefore, `samples ${JSON.stringify(samples)}`);
  t.is(last.advertised, secondBefore!.advertised, 'still encoding for a peer that reads nothing');
  t.true(last.advertised < N / 2, `advertised ${last.advertised} of ${N} to a peer that reads nothing`);
  // The feeder was never disturbed.
  t.false(a.closed);
  t.is((await r.neighbor(feeder)).state, 'Established');
});

test.serial('an UPDATE flood: routectl answers and keepalives to another peer go on', async (t) => {
  const port = 42177;
  const local = '127.66.7.1';
  const flooder = '127.66.7.2';
  const quiet = '127.66.7.3';
  const r = await startRouted(t, local, port, [
    { address: flooder, remoteAs: 65002 },
    { address: quiet, remoteAs: 65003, extra: '    hold-time: 3\n' },
  ]);
  const q = await establishedPeer(t, r, local, port, quiet, 65003, { holdTime: 3 });
  t.teardown(q.keepalives(1000));
  const f = await establishedPeer(t, r, local, port, flooder, 65002);
  // 400,000 UPDATEs: announce and withdraw 100,000 prefixes, twice.
  const ROUNDS = 2;
  const PREFIXES = 100_000;
  let flooding = true;
  // Written as fast as the socket takes them, yielding every 1,000 so that this process's own
  // KEEPALIVEs to routed (the quiet peer's) keep their schedule.
  const send = async (i: number, msg: Buffer): Promise<void> => {
    if (!f.socket.write(msg)) await new Promise((res) => f.socket.once('drain', res));
    else if (i % 1000 === 0) await new Promise((res) => setImmediate(res));
  };
  const flood = (async () => {
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < PREFIXES; i++) await send(i, f.encode(updateOf([65002, 64512 + round], flooder, [v4(i)])));
      for (let i = 0; i < PREFIXES; i++) await send(i, f.encode({ type: 'UPDATE', withdrawn: [{ prefix: v4(i) }], attributes: [], nlri: [] }));
    }
    flooding = false;
  })();
  const keepalivesBefore = q.received.filter((m) => m.type === 'KEEPALIVE').length;
  let answers = 0;
  let failures = 0;
  const deadline = Date.now() + 120_000;
  while ((flooding || (await r.neighbor(flooder)).received !== 0 || answers < 3) && Date.now() < deadline) {
    const res = await r.ctl(['show', 'neighbors', '--json']);
    if (res.code === 0) answers++;
    else failures++;
    await new Promise((res) => setTimeout(res, 250));
  }
  await flood;
  const keepalives = q.received.filter((m) => m.type === 'KEEPALIVE').length - keepalivesBefore;
  t.log(`flood: routectl answered ${answers} times, ${keepalives} KEEPALIVEs to the quiet peer`);
  t.is(failures, 0);
  t.true(answers >= 3, `routectl answered ${answers} times during the flood`);
  // RFC 4271 §4.4: with a 3 s hold time routed keeps sending KEEPALIVEs (every second) to the
  // quiet peer throughout, and neither side's hold timer fires.
  t.true(keepalives >= 2, `${keepalives} KEEPALIVEs to the quiet peer during the flood`);
  t.false(q.closed, `quiet peer got ${JSON.stringify(q.notification())}`);
  t.false(f.closed, `flooder got ${JSON.stringify(f.notification())}`);
  t.is((await r.neighbor(quiet)).state, 'Established');
  await r.waitNeighbor(flooder, 'every flooded route withdrawn', (n) => n.received === 0 && n.state === 'Established', 60_000);
});

test.serial('max-prefix exceeded: Cease/1, then the session comes back after restart-after', async (t) => {
  const port = 42178;
  const local = '127.66.8.1';
  const addr = '127.66.8.2';
  const RESTART = 3;
  // Active neighbour: routed connects to our listener, so its reconnect is visible.
  const conns: { at: number; peer: RawPeer }[] = [];
  const server = net.createServer((s) => conns.push({ at: Date.now(), peer: RawPeer.fromSocket(s, { host: local, port, localAddress: addr, asn: 65002, routerId: '198.66.8.2' }) }));
  await new Promise<void>((res) => server.listen(port, addr, res));
  t.teardown(() => {
    server.close();
    for (const c of conns) c.peer.destroy();
  });
  const r = await startRouted(t, local, port, [{ address: addr, remoteAs: 65002, passive: false, extra: `    max-prefix: { limit: 10, action: reset, restart-after: ${RESTART} }\n` }]);
  await pollUntil(async () => conns.length >= 1, 20_000, 'routed connects', () => r.logTail());
  const first = conns[0]!.peer;
  await first.establish(15_000, () => r.logTail());
  first.write(first.encode(updateOf([65002], addr, Array.from({ length: 11 }, (_, i) => v4(i)))));
  await first.waitClosed('max-prefix reset', 15_000, () => r.logTail());
  const downAt = Date.now();
  // RFC 4486 §4: Cease / Maximum Number of Prefixes Reached; the data (AFI, SAFI, limit) is optional.
  const note = first.notification();
  t.is(note?.code, 6);
  t.is(note?.subcode, 1);
  t.regex((await r.neighbor(addr)).lastError ?? '', /max-prefix 10 exceeded/);
  await pollUntil(async () => conns.length >= 2, 30_000, `routed reconnects after restart-after ${RESTART} s`, () => r.logTail());
  const again = conns[1]!;
  // Not before the configured restart timer (less the clocks' resolution).
  t.true(again.at - downAt >= RESTART * 1000 - 250, `reconnected ${again.at - downAt} ms after the reset`);
  await again.peer.establish(15_000, () => r.logTail());
  await r.waitEstablished(addr);
});
