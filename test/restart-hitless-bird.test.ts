// Hitless restart under load (issue 6 item 4): routed in fib mode xdp+kernel with
// keep-forwarding-on-stop and graceful restart, BIRD (`graceful restart on`) as its helper,
// a steady UDP stream sender → routed's XDP → receiver, and a `systemctl restart`-style stop
// (SIGTERM) and start of routed in the middle of it.
//
// A second BIRD on the sender's side feeds routed a route that routed passes on to the first;
// it comes back 8 s after the restart, the first at once.
//
// What must hold: every datagram arrives (the pinned maps forward while routed is down); BIRD
// keeps the route it learned from routed all along (routed leaves without a NOTIFICATION, BIRD
// holds the route as stale, routed comes back with the Restart State and Forwarding State bits
// and sends it again: BIRD's count of routes from routed never drops); BIRD's log shows the
// graceful restart; routed's Adj-RIB-In and Loc-RIB hold BIRD's route again, not stale, and the
// adopted FIB entries are swept once BIRD's End-of-RIB is in.

import test from 'ava';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { runCommand, withTopology, type Topology } from './harness/netns.js';
import { Bird } from './harness/peers.js';
import { ROUTECTL } from './helpers/routed.js';
import type { NeighborView, RibEntryView } from '../src/mgmt/views.js';
import { bpfObjectPath } from '../src/fib/bpf/routed.js';
import { Receiver, RouterDaemon, TOPOLOGY, kernelRoutes, pollUntil, prepare, send } from './fib-e2e-fixtures.js';

const KEPT = '198.18.220.0/24';
const HOST = '198.18.220.5';
/** routed's own route, announced to BIRD: the one BIRD must keep across the restart. */
const OURS = '198.18.221.0/24';
/** A route routed learns from a second BIRD (on the sender's side) and passes on to the first. */
const FEED = '198.18.230.0/24';
const COUNT = 1500;
const INTERVAL_MS = 4;

/** BIRD on node `at` (d: the receiver side, s: the sender side), originating `prefix`. */
function birdConf(topo: Topology, at: 'd' | 's', logFile: string): string {
  return [
    `router id 198.18.255.${at === 'd' ? 2 : 3};`,
    `log "${logFile}" all;`,
    'debug protocols { states, events, routes };',
    'protocol device { scan time 10; }',
    `protocol static static_ipv4 { ipv4; route ${at === 'd' ? KEPT : FEED} blackhole; }`,
    'protocol bgp routed {',
    `  local ${topo.addr(at, 'r')} as ${at === 'd' ? 65002 : 65003};`,
    `  neighbor ${topo.addr('r', at)} as 65001;`,
    '  connect retry time 2;',
    // The sender side's BIRD comes back 8 s after routed's restart, the receiver side's at once:
    // routed hears the receiver side's End-of-RIB long before it has FEED again.
    `  error wait time ${at === 'd' ? '1, 5' : '8, 10'};`,
    // RFC 4724 both roles; the helper role is what this test needs.
    '  graceful restart on;',
    '  ipv4 { import all; export all; };',
    '}',
  ].join('\n') + '\n';
}

/** Routes BIRD holds from routed (`show route protocol routed count`); NaN when BIRD does not answer. */
async function birdCount(bird: Bird): Promise<number> {
  const out = await bird.birdc('show route protocol routed count').catch(() => '');
  const m = /(\d+) of \d+ routes/.exec(out);
  return m ? Number(m[1]) : NaN;
}

async function ctlJson<T>(topo: Topology, r: RouterDaemon, args: string[]): Promise<T[]> {
  const out = await runCommand('ip', ['netns', 'exec', topo.ns('r'), process.execPath, ROUTECTL, ...args, '--json', '--socket', path.join(r.dir, 'routed.sock')], { allowFail: true });
  return out.code === 0 ? out.stdout.trim().split('\n').map((l) => JSON.parse(l) as T) : [];
}

test('systemctl-restart-style stop/start under a UDP stream (xdp+kernel, BIRD GR helper): 0 datagrams lost, BIRD keeps routed’s route', async (t) => {
  if (!existsSync(bpfObjectPath('xdp_fwd'))) throw new Error('dist/bpf/xdp_fwd.o missing: run tools/build-bpf');
  await withTopology(t, TOPOLOGY, async (topo) => {
    const pinDir = `/sys/fs/bpf/rtd-hitless-${process.pid}`;
    t.teardown(() => rmSync(pinDir, { recursive: true, force: true }));
    const pass = await prepare(topo, [KEPT], [HOST]);
    t.teardown(() => pass.close());
    const bird = new Bird(topo, 'd', { routerId: '198.18.255.2', localAs: 65002, neighbors: [] }, '');
    writeFileSync(bird.config, birdConf(topo, 'd', path.join(bird.dir, 'bird.log')));
    await bird.start();
    t.teardown(() => bird.stop());
    const feeder = new Bird(topo, 's', { routerId: '198.18.255.3', localAs: 65003, neighbors: [] }, '');
    writeFileSync(feeder.config, birdConf(topo, 's', path.join(feeder.dir, 'bird.log')));
    await feeder.start();
    t.teardown(() => feeder.stop());
    const extra = {
      staticRoutes: [{ prefix: OURS }],
      neighbors: [{ address: topo.addr('s', 'r'), remoteAs: 65003, localAddress: topo.addr('r', 's'), families: ['ipv4' as const], gracefulRestart: { enabled: true, restartTime: 120 } }],
    };
    const first = new RouterDaemon(topo, pinDir, true, 'xdp+kernel', extra);
    t.teardown(() => first.dispose());
    first.start();
    const tail = (r: RouterDaemon) => (): string => `${r.tail()}\n--- bird ---\n${bird.logTail(30)}`;
    await pollUntil(async () => (await kernelRoutes(topo)).includes(KEPT), 30_000, `kernel route ${KEPT}`, tail(first));
    await pollUntil(async () => (await birdCount(bird)) === 2, 30_000, `BIRD holds ${OURS} and ${FEED} from routed`, tail(first));
    // The neighbour's negotiated capabilities: both sides graceful-restart capable.
    t.regex(await bird.birdc('show protocols all routed'), /Graceful restart/i);

    const rx = new Receiver(topo, [HOST]);
    t.teardown(() => void rx.child.kill());
    await rx.ready;
    // BIRD's view all along the restart: the lowest count of routes from routed it showed.
    let watching = true;
    t.teardown(() => void (watching = false));
    let lowest = Infinity;
    let polls = 0;
    const watch = (async () => {
      while (watching) {
        lowest = Math.min(lowest, await birdCount(bird));
        polls++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const sending = send(topo, HOST, COUNT, INTERVAL_MS);
    await pollUntil(async () => rx.count(HOST) >= 100, 10_000, 'the stream reaches the receiver', tail(first));

    // systemctl restart: SIGTERM, wait for the exit, start again.
    await first.stop();
    t.regex(first.log(), /graceful restart: session left open for the restart/);
    t.notRegex(first.log(), /NOTIFICATION sent/);
    const second = new RouterDaemon(topo, pinDir, true, 'xdp+kernel', extra);
    t.teardown(() => second.dispose());
    second.start();
    await pollUntil(async () => /every neighbor sent End-of-RIB, \d+ stale entries swept/.test(second.log()), 60_000, 'routed resynchronised with BIRD', tail(second));
    await sending;
    await pollUntil(async () => rx.count(HOST) >= COUNT, 15_000, `receiver got ${rx.count(HOST)}/${COUNT}`, tail(second));
    await pollUntil(async () => /Neighbor graceful restart done|graceful restart done/i.test(bird.logTail(400)), 20_000, 'BIRD ends its helper role', tail(second));
    watching = false;
    await watch;

    t.is(rx.count(HOST), COUNT, 'no datagram lost across the restart');
    t.true(polls > 5, `BIRD polled ${polls} times`);
    t.is(lowest, 2, `BIRD's count of routes from routed never dropped (lowest ${lowest} over ${polls} polls)`);
    t.is(await birdCount(bird), 2);
    const birdLog = bird.logTail(400);
    t.regex(birdLog, /Neighbor graceful restart detected/i, 'BIRD saw routed restart gracefully');
    t.notRegex(birdLog, /routed: Received: /, 'BIRD received no NOTIFICATION');
    // BIRD's route log (debug routes): each route added once; across the restart it is kept and
    // the copy routed sends again is `ignored` (the same). Without the Forwarding State bit BIRD
    // would flush its stale copies when the session came back (RFC 4724 §4.2); with routed's
    // End-of-RIB sent before FEED was learned again, BIRD would drop FEED (`removed`, then
    // `added`): routed defers its announcements until every neighbour's End-of-RIB (§4.1).
    for (const prefix of [OURS, FEED]) {
      const lines = birdLog.split('\n').filter((l) => l.includes(prefix));
      t.is(lines.filter((l) => /routed\.ipv4 > added/.test(l)).length, 1, lines.join('\n'));
      t.deepEqual(lines.filter((l) => /routed\.ipv4 > removed/.test(l)), [], `BIRD never removed ${prefix} from routed`);
    }
    t.regex(second.log(), /graceful restart: announcements deferred until every neighbor sent End-of-RIB/);
    t.regex(second.log(), /adopted \d+ kernel routes and \d+ XDP entries/);
    // routed learned BIRD's route again: best, from BIRD, not stale.
    for (const [prefix, from] of [[KEPT, topo.addr('d', 'r')], [FEED, topo.addr('s', 'r')]] as const) {
      const [entry] = await ctlJson<RibEntryView>(topo, second, ['show', 'rib', prefix]);
      const best = entry?.paths.find((p) => p.best);
      t.truthy(best, `${prefix} in routed's Loc-RIB`);
      t.false(best?.stale ?? true, `${prefix} not stale`);
      t.is(best?.neighbor, from);
    }
    // Adj-RIB-In: each neighbour's one route, received and accepted, the session Established.
    const neighbors = await ctlJson<NeighborView>(topo, second, ['show', 'neighbors']);
    t.deepEqual(
      neighbors.map((n) => [n.address, n.state, n.received, n.accepted]).sort(),
      [[topo.addr('d', 'r'), 'Established', 1, 1], [topo.addr('s', 'r'), 'Established', 1, 1]].sort(),
    );
  });
});
