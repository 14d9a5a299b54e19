// The namespace topology builder: what it makes is reachable and addressed as described, and
// destroy() removes every namespace it made (and only those), also when called twice.

import test from 'ava';

import { createTopology, listNamespaces, nsPrefix } from './harness/netns.js';

const mineOnly = (prefix: string): string[] => listNamespaces().filter((n) => n.startsWith(prefix));

test.serial('a three-node chain comes up addressed, pings across each link, and destroy leaves nothing behind', async (t) => {
  const topo = await createTopology({ nodes: ['a', 'b', 'c'], links: [{ a: 'a', b: 'b' }, { a: 'b', b: 'c' }] }, import.meta.url);
  t.teardown(() => topo.destroy());
  t.deepEqual(mineOnly(topo.prefix).sort(), ['a', 'b', 'c'].map((n) => topo.ns(n)).sort());

  t.is(topo.addr('b', 'c'), '198.18.1.1');
  t.is(topo.addr('c', 'b', 'ipv6'), '2001:db8:0:1::2');
  const addrs = (await topo.run('b', 'ip', ['-br', 'addr', 'show'])).stdout;
  for (const want of ['198.18.0.2/24', '198.18.1.1/24', '2001:db8::2/64', '2001:db8:0:1::1/64']) t.true(addrs.includes(want), `b has ${want}:\n${addrs}`);
  t.regex((await topo.run('a', 'ip', ['-br', 'link', 'show', 'lo'])).stdout, /UNKNOWN|UP/);

  await topo.run('a', 'ping', ['-c', '1', '-W', '2', topo.addr('b', 'a')]);
  await topo.run('c', 'ping', ['-6', '-c', '1', '-W', '2', topo.addr('b', 'c', 'ipv6')]);
  // No route leaves a node: a's table knows only its own link.
  const unreachable = await topo.run('a', 'ping', ['-c', '1', '-W', '1', topo.addr('c', 'b')], { allowFail: true });
  t.not(unreachable.code, 0);
  t.notRegex((await topo.run('a', 'ip', ['route', 'show'])).stdout, /default/);

  const sleeper = topo.spawn('c', 'sleep', ['30']);
  await topo.destroy();
  t.not(sleeper.exitCode ?? sleeper.signalCode, null, 'spawned process killed');
  await topo.destroy();
  t.deepEqual(mineOnly(topo.prefix), []);
});

test.serial('a bad spec is refused before anything is made', async (t) => {
  const prefix = nsPrefix(import.meta.url).replace(/n\d+$/, '');
  await t.throwsAsync(createTopology({ nodes: ['a', 'a'], links: [] }, import.meta.url), { message: /duplicate/ });
  await t.throwsAsync(createTopology({ nodes: ['a', 'b'], links: [{ a: 'a', b: 'x' }] }, import.meta.url), { message: /bad link/ });
  t.deepEqual(mineOnly(prefix), []);
});
