// Route event sockets (src/fib/kernel/events.ts) with routed's socket filter: the kernel drops
// notifications of routed's own protocol before they are queued, and passes every other route
// event; without the filter the same routes are seen (the control that makes the test able to fail).

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { NlEventSocket } from '../src/fib/kernel/events.js';
import { RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE } from '../src/fib/kernel/foreign.js';
import { RTPROT_ROUTED } from '../src/fib/types.js';
import { routerTopology } from './fib-kernel-fixtures.js';

/** rtm_protocol and destination length of every route event read, as "proto/len" strings. */
async function routeEventsDuring(t: ExecutionContext, filtered: boolean, change: (run: (args: string[]) => Promise<unknown>) => Promise<void>): Promise<string[]> {
  const topo = await routerTopology(t, import.meta.url);
  const sock = new NlEventSocket({ netns: topo.ns('r'), groups: [RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE], ...(filtered && { dropRouteProtocol: RTPROT_ROUTED }) });
  t.teardown(() => sock.close());
  const seen: string[] = [];
  sock.onEvent = (m) => {
    if (m.type === 24 || m.type === 25) seen.push(`${m.buf[m.off + 5]}/${m.buf[m.off + 1]}`);
  };
  await change((args) => topo.run('r', 'ip', args));
  // Bounded: the events are queued by now; drain reads what is there.
  for (let i = 0; i < 20 && !seen.includes('4/24'); i++) {
    sock.drain();
    await new Promise((r) => setTimeout(r, 50));
  }
  sock.drain();
  return seen;
}

const routes = async (run: (args: string[]) => Promise<unknown>): Promise<void> => {
  await run(['route', 'add', '203.0.113.0/25', 'via', '198.18.0.2', 'proto', String(RTPROT_ROUTED)]);
  await run(['-6', 'route', 'add', '2001:db8:99::/48', 'via', '2001:db8::2', 'proto', String(RTPROT_ROUTED)]);
  await run(['route', 'del', '203.0.113.0/25', 'proto', String(RTPROT_ROUTED)]);
  await run(['route', 'add', '203.0.113.0/24', 'via', '198.18.0.2', 'proto', 'static']);
};

test('the socket filter drops routed-protocol route events in the kernel and keeps the others', async (t) => {
  const seen = await routeEventsDuring(t, true, routes);
  t.false(seen.some((s) => s.startsWith(`${RTPROT_ROUTED}/`)), `events seen: ${seen.join(' ')}`);
  t.true(seen.includes('4/24'), `the static route's event: ${seen.join(' ')}`);
});

test('without the filter the same changes arrive, routed protocol included', async (t) => {
  const seen = await routeEventsDuring(t, false, routes);
  t.deepEqual(seen.filter((s) => s.startsWith(`${RTPROT_ROUTED}/`)).sort(), [`${RTPROT_ROUTED}/25`, `${RTPROT_ROUTED}/25`, `${RTPROT_ROUTED}/48`]);
  t.true(seen.includes('4/24'));
});
