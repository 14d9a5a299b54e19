// The daemon's fan-out of one large drain: when a neighbour carrying tens of thousands of routes
// goes down, every withdrawal reaches the other neighbour (a tick drains at most 65,536 changes
// and schedules another for the rest, and hands them to the Adj-RIB-Outs in slices of 16,384,
// each released before the next: 70,000 crosses both).
// A real routed on loopback (127.66.9.x, port 42179: this file's own) and two scripted peers.

import test from 'ava';

import type { UpdateMessage } from '../src/bgp/wire/index.js';
import { pollUntil } from './harness/peers.js';
import { establishedPeer, startRouted, updateOf } from './helpers/raw-peer.js';
import type { RawPeer } from './helpers/raw-peer.js';

const v4 = (i: number): string => `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;

/** The collector's view after everything it received: prefix → announced (true) or withdrawn. */
function table(p: RawPeer): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const m of p.received) {
    if (m.type !== 'UPDATE') continue;
    const u = m as UpdateMessage;
    for (const w of u.withdrawn) out.set(w.prefix, false);
    for (const n of u.nlri) out.set(n.prefix, true);
  }
  return out;
}

const count = (t: Map<string, boolean>, announced: boolean): number => [...t.values()].filter((v) => v === announced).length;

test('a neighbour with 70,000 routes goes down: the other neighbour gets every withdrawal', async (t) => {
  const port = 42179;
  const local = '127.66.9.1';
  const feeder = '127.66.9.2';
  const collector = '127.66.9.3';
  const r = await startRouted(t, local, port, [{ address: feeder, remoteAs: 65002 }, { address: collector, remoteAs: 65003 }]);
  const c = await establishedPeer(t, r, local, port, collector, 65003);
  const stopC = c.keepalives(20_000);
  t.teardown(stopC);
  const a = await establishedPeer(t, r, local, port, feeder, 65002);
  const N = 70_000;
  for (let i = 0; i < N; i += 500) a.write(a.encode(updateOf([65002], feeder, Array.from({ length: 500 }, (_, k) => v4(i + k)))));
  await pollUntil(async () => count(table(c), true) === N, 60_000, `the collector holds all ${N} routes (has ${count(table(c), true)})`, () => r.logTail());

  // The session drops: its routes leave the Loc-RIB, N changes drained over two ticks.
  a.destroy();
  await pollUntil(async () => count(table(c), false) === N, 60_000, `the collector got ${N} withdrawals (has ${count(table(c), false)})`, () => r.logTail());
  const view = table(c);
  t.is(view.size, N);
  for (let i = 0; i < N; i++) t.false(view.get(v4(i)), v4(i));
  t.false(c.closed);
});
