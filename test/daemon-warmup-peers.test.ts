// The warm-up's round through two synthetic neighbours on loopback (src/daemon/warmup-session.ts)
// on a real Daemon (in-process, no kernel, no BGP listener, its control socket in a temporary
// directory): the table goes in through one neighbour's session and out through the other's,
// nothing of it stays (routes, sets, neighbours, changes), and the operator's log shows the
// round's one line, not the synthetic sessions.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';

import { setFlagsFromString } from 'node:v8';

import test from 'ava';

import { parseConfig } from '../src/config/index.js';
import { Daemon, WARM_UP_ROUNDS } from '../src/daemon/daemon.js';
import { synthetic } from '../src/daemon/warmup-session.js';
import { createLogger } from '../src/daemon/log.js';

function config(dir: string, neighbor: string, warmUp = true): string {
  return `router-id: 198.18.255.1
local-as: 65001
control-socket: ${JSON.stringify(path.join(dir, 'routed.sock'))}
listen: { addresses: [] }
fib: { mode: "off" }
warm-up: ${warmUp}
policies:
  all: { terms: [ { action: accept } ] }
neighbors:
  - ${neighbor}
`;
}

async function start(t: import('ava').ExecutionContext, text: (dir: string) => string): Promise<{ d: Daemon; log: () => string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'routed-warmup-peers-'));
  const parsed = parseConfig(text(dir), path.join(dir, 'routed.yaml'));
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const stream = new PassThrough();
  let logged = '';
  stream.on('data', (b: Buffer) => (logged += b.toString()));
  const d = new Daemon(parsed.config, createLogger('debug', stream, { journal: false }), { kernel: false });
  t.teardown(async () => {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await d.start();
  return { d, log: () => logged };
}

function roundLine(log: string): RegExpExecArray | null {
  return new RegExp(`warm-up: (\\d+) UPDATEs in and (\\d+) out through two neighbours on loopback \\(${WARM_UP_ROUNDS} rounds\\)`).exec(log);
}

test('the table goes in through one synthetic neighbour and out through the other, and nothing of it stays', async (t) => {
  const { d, log } = await start(t, (dir) => config(dir, '{ address: 198.18.0.2, remote-as: 65002, import: [all], export: [all], passive: true }'));
  const line = roundLine(log());
  t.truthy(line, log());
  t.is(Number(line![1]), WARM_UP_ROUNDS * 3000, 'every UPDATE of the warm-up table in, each round');
  t.true(Number(line![2]) > 100, `${line![2]} UPDATEs out: the export path ran to the collector's socket`);
  t.is(d.rib.prefixCount('ipv4'), 0);
  t.is(d.rib.prefixCount('ipv6'), 0);
  t.is(d.rib.store.size, 0);
  t.is(d.rib.pendingChanges(), 0);
  // Nor its prefix ids: a walk over ids (the first session's export) has none to go through.
  t.is(d.rib.prefixTables.ipv4.limit, 0);
  t.is(d.rib.prefixTables.ipv6.limit, 0);
  t.deepEqual([...d.peers.keys()], ['198.18.0.2'], 'only the configured neighbour');
  t.is(d.rib.peerStats('192.0.2.1'), undefined);
  t.is(d.rib.resolveNextHop('192.0.2.1').resolved, false, 'its connected route is gone');
  t.notRegex(log(), /192\.0\.2\.[12]/, 'the synthetic sessions do not reach the log');
});

test('a first neighbour with TCP-MD5, GTSM, ADD-PATH both ways and administratively down is copied without what loopback cannot do', async (t) => {
  const neighbor = `{ address: 198.18.0.2, remote-as: 65002, import: [all], export: [all], password: "s3cret", families: [ipv4, ipv6], ttl-security: 1, add-path: { receive: [ipv4, ipv6], send: [ipv4, ipv6] }, shutdown: true }`;
  const { d, log } = await start(t, (dir) => config(dir, neighbor));
  const line = roundLine(log());
  t.truthy(line, log());
  t.is(Number(line![1]), WARM_UP_ROUNDS * 3000);
  t.true(Number(line![2]) > 100, `${line![2]} UPDATEs out`);
  t.is(d.rib.prefixCount('ipv4') + d.rib.prefixCount('ipv6'), 0);
  t.is(d.peers.get('198.18.0.2')?.session.state, 'Idle', 'the configured neighbour stays down');
});

test('without a policy (RFC 8212) the round still completes: its routes are refused as the neighbour\'s would be', async (t) => {
  const { d, log } = await start(t, (dir) => config(dir, '{ address: 198.18.0.2, remote-as: 65002, families: [ipv4, ipv6], passive: true }'));
  const line = roundLine(log());
  t.truthy(line, log());
  t.is(Number(line![1]), WARM_UP_ROUNDS * 3000);
  t.is(Number(line![2]), WARM_UP_ROUNDS * 2, 'nothing but End-of-RIB for each family, each round');
  t.is(d.rib.prefixCount('ipv4') + d.rib.prefixCount('ipv6'), 0);
});

test('warm-up: false runs no round', async (t) => {
  const { log } = await start(t, (dir) => config(dir, '{ address: 198.18.0.2, remote-as: 65002, passive: true }', false));
  t.falsy(roundLine(log()));
  t.notRegex(log(), /warm-up/);
});

test('a first neighbour of IPv6 only: the table\'s IPv4 UPDATEs do not end the synthetic session', async (t) => {
  const started = Date.now();
  const { d, log } = await start(t, (dir) => config(dir, '{ address: "2001:db8::2", remote-as: 65002, families: [ipv6], import: [all], export: [all], passive: true }'));
  const line = roundLine(log());
  t.truthy(line, log());
  t.is(Number(line![1]), WARM_UP_ROUNDS * 3000);
  t.true(Number(line![2]) > 100, `${line![2]} UPDATEs out`);
  t.true(Date.now() - started < 8000, 'no round waited for its time limit');
  t.is(d.rib.prefixCount('ipv4') + d.rib.prefixCount('ipv6'), 0);
});

test('a first neighbour with a max-prefix below the table\'s size: the synthetic neighbours are not held to it', async (t) => {
  const started = Date.now();
  const { d, log } = await start(t, (dir) => config(dir, '{ address: 198.18.0.2, remote-as: 65002, import: [all], export: [all], passive: true, max-prefix: { limit: 100, action: reset } }'));
  const line = roundLine(log());
  t.truthy(line, log());
  t.is(Number(line![1]), WARM_UP_ROUNDS * 3000);
  t.true(Date.now() - started < 8000, 'no round waited for its time limit');
  t.is(d.rib.prefixCount('ipv4') + d.rib.prefixCount('ipv6'), 0);
});

setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

test("a synthetic neighbour has the V8 shape of a configured one (code compiled for its session holds for theirs)", (t) => {
  const parsed = parseConfig(config('/tmp', '{ address: 198.18.0.2, remote-as: 65002, import: [all], export: [all], local-address: 198.18.0.1, password: secret, ttl-security: 1, max-prefix: { limit: 9 } }\n  - { address: 198.18.0.6, remote-as: 65003, import: [all], export: [all], local-address: 198.18.0.5 }'), '/tmp/routed.yaml');
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const [first, second] = parsed.config.neighbors;
  const made = synthetic(first!, '192.0.2.1', 64512);
  t.like(made, { address: '192.0.2.1', remoteAs: 64512, passive: true, password: undefined, ttlSecurity: undefined, maxPrefix: undefined });
  // Without TCP-MD5, GTSM and max-prefix it has the keys of the second (a spread copy had its own shape).
  t.deepEqual(Object.keys(made), Object.keys(second!));
  t.true(haveSameMap(made, second!));
});
