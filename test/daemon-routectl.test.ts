// routectl against a running routed: text output of every show command equals a golden file
// (test/golden/routectl/*.txt, uptimes normalised to hh:mm:ss), --json of each has the fields
// of src/mgmt/views.ts, and the exit codes scripts rely on: 1 not found, 2 usage, 3 no daemon.
//
// Setup: routed A (AS 65001) ↔ routed B (AS 65002) over eBGP on one veth link, both with an
// accept-all policy. A originates 198.19.1.0/24, 198.19.2.0/24 and 2001:db8:ffff:1::/64 (static
// blackholes); B originates 198.19.2.0/24 too, so B's RIB holds two paths for it (static first by
// preference). The outputs are B's. ROUTED_GOLDEN_UPDATE=1 rewrites the golden files.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';

import type { AdjRibView, NeighborView, RibEntryView } from '../src/mgmt/views.js';
import { createTopology, type Topology } from './harness/netns.js';
import { pollUntil } from './harness/peers.js';
import { jsonLines, REPO, RoutedProcess, routectl } from './helpers/routed.js';

const GOLDEN = path.join(REPO, 'test/golden/routectl');
const A = '198.18.0.1';
const B = '198.18.0.2';

function config(o: { routerId: string; as: number; peerAs: number; local: string; peer: string; statics: string[] }): string {
  return `router-id: ${o.routerId}
local-as: ${o.as}
listen:
  addresses: [${o.local}]
policies:
  accept-all:
    default-action: accept
static-routes:
${o.statics.map((p) => `  - prefix: ${JSON.stringify(p)}\n    blackhole: true`).join('\n')}
neighbors:
  - address: ${o.peer}
    remote-as: ${o.peerAs}
    local-address: ${o.local}
    description: peer-${o.peerAs}
    connect-retry: 1
    families: [ipv4, ipv6]
    import: accept-all
    export: accept-all
`;
}

interface Ctx {
  topo: Topology;
  a: RoutedProcess;
  b: RoutedProcess;
}
let ctx: Ctx | undefined;

function setup(): Ctx {
  if (!ctx) throw new Error('setup failed (see the before hook)');
  return ctx;
}

test.before(async () => {
  const topo = await createTopology({ nodes: ['a', 'b'], links: [{ a: 'a', b: 'b' }] }, import.meta.url);
  const a = new RoutedProcess(topo, 'a', config({ routerId: '198.18.255.1', as: 65001, peerAs: 65002, local: A, peer: B, statics: ['198.19.1.0/24', '198.19.2.0/24', '2001:db8:ffff:1::/64'] }));
  const b = new RoutedProcess(topo, 'b', config({ routerId: '198.18.255.2', as: 65002, peerAs: 65001, local: B, peer: A, statics: ['198.19.2.0/24'] }));
  ctx = { topo, a, b };
  await Promise.all([a.start(), b.start()]);
  // Converged: B has A's three routes, A has B's one route (its own 198.19.2.0/24 from B loses to
  // its static, but is held), and B has sent A everything it will.
  await pollUntil(
    async () => {
      const [nb, na] = [await b.neighbor(A), await a.neighbor(B)];
      return nb.state === 'Established' && nb.accepted === 3 && na.accepted >= 1 && nb.advertised === na.received;
    },
    30_000,
    'A and B converged',
    () => `${a.logTail()}\n${b.logTail()}`,
  );
});

test.after.always(async () => {
  if (!ctx) return;
  await ctx.a.stop();
  await ctx.b.stop();
  await ctx.topo.destroy();
});

/** Durations (uptime) change from run to run; their width stays the same. */
function normalise(text: string): string {
  return text.replace(/\b(\d+d)?\d{2}:\d{2}:\d{2}\b/g, 'hh:mm:ss');
}

function golden(t: import('ava').ExecutionContext, name: string, actual: string): void {
  const file = path.join(GOLDEN, `${name}.txt`);
  if (process.env.ROUTED_GOLDEN_UPDATE === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
  }
  if (!existsSync(file)) return t.fail(`no golden file ${file} (ROUTED_GOLDEN_UPDATE=1 writes it)`);
  t.is(actual, readFileSync(file, 'utf8'), `${name}: routectl output differs from ${file}`);
}

const cases: { name: string; args: string[] }[] = [
  { name: 'show-neighbors', args: ['show', 'neighbors'] },
  { name: 'show-neighbors-detail', args: ['show', 'neighbors', A] },
  { name: 'show-neighbors-by-description', args: ['show', 'neighbors', 'peer-65001'] },
  { name: 'show-rib', args: ['show', 'rib'] },
  { name: 'show-rib-ipv6', args: ['show', 'rib', '--family', 'ipv6'] },
  { name: 'show-rib-prefix', args: ['show', 'rib', '198.19.2.0/24'] },
  { name: 'show-rib-address', args: ['show', 'rib', '198.19.1.77'] },
  { name: 'show-rib-in', args: ['show', 'rib', 'in', A] },
  { name: 'show-rib-out', args: ['show', 'rib', 'out', A] },
];

for (const c of cases) {
  test(`routectl ${c.args.join(' ')}: text equals the golden file`, async (t) => {
    const r = await setup().b.ctl(c.args);
    t.is(r.code, 0, r.stderr);
    t.is(r.stderr, '');
    golden(t, c.name, normalise(r.stdout));
  });
}

const NEIGHBOR_FIELDS = ['address', 'description', 'remoteAs', 'localAs', 'state', 'sinceSeconds', 'routerId', 'holdTime', 'keepalive', 'families', 'capabilities', 'received', 'accepted', 'advertised', 'adminDown'];
const PATH_FIELDS = ['family', 'prefix', 'pathId', 'source', 'nextHop', 'asPath', 'origin', 'communities', 'largeCommunities', 'extCommunities', 'best', 'multipath', 'resolved', 'stale', 'type'];
const ADJ_FIELDS = ['family', 'prefix', 'pathId', 'nextHop', 'asPath', 'origin', 'communities'];

function hasFields(t: import('ava').ExecutionContext, obj: object, fields: string[], what: string): void {
  const missing = fields.filter((f) => !(f in obj));
  t.deepEqual(missing, [], `${what} lacks ${missing.join(', ')}: ${JSON.stringify(obj)}`);
}

test('--json: show neighbors [X] are NeighborView lines', async (t) => {
  const { b } = setup();
  for (const args of [['show', 'neighbors'], ['show', 'neighbors', A]]) {
    const rows = jsonLines<NeighborView>((await b.ctl([...args, '--json'])).stdout);
    t.is(rows.length, 1);
    const n = rows[0]!;
    hasFields(t, n, NEIGHBOR_FIELDS, 'neighbor');
    t.like(n, { address: A, remoteAs: 65001, localAs: 65002, state: 'Established', routerId: '198.18.255.1', description: 'peer-65001', accepted: 3, adminDown: false });
    t.true(typeof n.sinceSeconds === 'number' && n.sinceSeconds >= 0);
    t.true(n.capabilities.includes('4-octet-as'));
  }
});

test('--json: show rib [PREFIX] are RibEntryView lines, best path first', async (t) => {
  const { b } = setup();
  const all = jsonLines<RibEntryView>((await b.ctl(['show', 'rib', '--json'])).stdout);
  t.true(all.length >= 4);
  // Prefix order (IPv4 first, numeric), as in the text golden: 198.19.1.0/24 before 198.19.2.0/24.
  t.deepEqual(all.map((e) => e.prefix), ['198.18.0.0/24', '198.19.1.0/24', '198.19.2.0/24', '2001:db8::/64', '2001:db8:ffff:1::/64']);
  for (const e of all) {
    hasFields(t, e, ['family', 'prefix', 'paths'], 'rib entry');
    for (const p of e.paths) hasFields(t, p, PATH_FIELDS, `path of ${e.prefix}`);
  }
  const [one] = jsonLines<RibEntryView>((await b.ctl(['show', 'rib', '198.19.2.0/24', '--json'])).stdout);
  t.deepEqual(
    one?.paths.map((p) => [p.source, p.neighbor, p.best, p.decidedBy]),
    [
      ['static', undefined, true, 'preference'],
      ['bgp', A, false, 'preference'],
    ],
  );
  t.like(one?.paths[1], { asPath: '65001', origin: 'IGP', nextHop: A, family: 'ipv4' });
});

test('--json: show rib in|out X are AdjRibView lines', async (t) => {
  const { b } = setup();
  const rin = jsonLines<AdjRibView>((await b.ctl(['show', 'rib', 'in', A, '--json'])).stdout);
  t.deepEqual(rin.map((r) => r.prefix), ['198.19.1.0/24', '198.19.2.0/24', '2001:db8:ffff:1::/64']);
  for (const r of rin) {
    hasFields(t, r, [...ADJ_FIELDS, 'accepted'], 'adj-rib-in row');
    t.true(r.accepted);
  }
  const rout = jsonLines<AdjRibView>((await b.ctl(['show', 'rib', 'out', A, '--json'])).stdout);
  t.true(rout.length >= 1);
  for (const r of rout) {
    hasFields(t, r, ADJ_FIELDS, 'adj-rib-out row');
    t.regex(r.asPath, /^65002\b/);
  }
});

test('exit codes: unknown neighbour or prefix 1, bad usage 2, no daemon 3', async (t) => {
  const { b } = setup();
  const expect = async (args: string[], code: number, stderr: RegExp): Promise<void> => {
    const r = await b.ctl(args);
    t.is(r.code, code, `routectl ${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, stderr, args.join(' '));
  };
  await expect(['show', 'neighbors', '198.18.9.9'], 1, /no neighbor 198\.18\.9\.9/);
  await expect(['show', 'rib', 'in', 'nobody'], 1, /no neighbor nobody/);
  await expect(['neighbor', '198.18.9.9', 'reset'], 1, /no neighbor/);
  await expect(['show', 'rib', '198.51.100.0/24'], 1, /no route/);
  await expect(['show', 'rib', '--family', 'ipv5'], 2, /--family/);
  await expect(['show', 'rib', 'not-a-prefix'], 2, /not a prefix/);
  await expect(['neighbor', A, 'frobnicate'], 2, /reset\|shutdown\|enable/);
  await expect(['show', 'rib', 'in'], 2, /which neighbor/);
  await expect(['show', 'rib', '--family'], 2, /needs a value/);
  const none = await routectl(['show', 'neighbors', '--socket', path.join(b.dir, 'no-such.sock')]);
  t.is(none.code, 3, none.stderr);
  t.regex(none.stderr, /routed/);
});
