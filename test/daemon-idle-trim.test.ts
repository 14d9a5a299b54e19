// The idle trim in a real daemon: routed on loopback (127.66.10.x, port 42180: this file's own)
// with its start-up warm-up, which grows V8's young generation to its maximum. Once quiet, the
// daemon gives that memory back (src/os/idle-trim.ts): its heap, as `show status` reports it,
// shrinks by the young generation's 32 MiB, and the log says so (debug).

import test from 'ava';
import type { StatusView } from '../src/mgmt/views.js';
import { loopbackRouted } from './helpers/raw-peer.js';

const MiB = 1048576;

const CONFIG = `router-id: 198.18.255.1
local-as: 65001
listen:
  addresses: [127.66.10.1]
  port: 42180
log:
  level: debug
policies:
  accept-all:
    default-action: accept
neighbors:
  - address: 127.66.10.2
    remote-as: 65002
    local-address: 127.66.10.1
    passive: true
    import: accept-all
    export: accept-all
`;

test('once quiet after its warm-up, routed gives the young generation back', async (t) => {
  const r = loopbackRouted(CONFIG);
  t.teardown(() => r.stop());
  t.teardown(() => {
    if (!t.passed) t.log(r.logTail(60));
  });
  await r.start();
  const heapTotal = async (): Promise<number> => (await r.json<StatusView>(['show', 'status']))[0]!.memory.heapTotal;
  const first = await heapTotal();
  // The warm-up left the young generation at its maximum: two 16 MiB semi-spaces in the heap's total.
  t.true(first > 40 * MiB, `heap total after the warm-up ${(first / MiB).toFixed(1)} MiB`);
  // Two quiet intervals of five seconds, then V8's own look at the allocation rate; polled
  // every two seconds (each poll is a routectl process and a request the daemon answers).
  const seen: string[] = [];
  for (const deadline = Date.now() + 45_000; Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const now = await heapTotal();
    seen.push((now / MiB).toFixed(1));
    if (now < first - 24 * MiB) break;
  }
  t.true((await heapTotal()) < first - 24 * MiB, `heap total ${(first / MiB).toFixed(1)} MiB, then ${seen.join(', ')}`);
  // The try's outcome is logged an interval after it, the young generation then at its 1 MiB
  // floor or a little above (what the daemon allocated since).
  const shrunk = /memory: quiet, young generation \d+\.\d → [0-3]\.\d MiB/;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && !shrunk.test(r.logTail(200)); ) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  t.regex(r.logTail(200), shrunk);
});
