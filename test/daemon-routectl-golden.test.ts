// routectl against a deterministic daemon: every show command, text and --json, equals a golden
// file (test/golden/routectl/<name>.txt|json), with what changes from run to run (uptimes, pid,
// memory, the temporary directory) normalised; show rib's filters alone and combined; the exit
// codes of src/mgmt/protocol.ts EXIT.
//
// Setup: routed (AS 65002) in namespace dut, a lite BGP speaker (AS 65001) in namespace feeder
// on one veth link. The speaker announces a fixed table (FEED: AS paths, MED, communities and
// large communities of each kind, IPv4 and IPv6); routed adds two static blackholes, one of them
// for a prefix the speaker announces too, so that entry holds two paths. A second neighbour is
// configured shut down, with a TCP-MD5 password that show config must mask.
// ROUTED_GOLDEN_UPDATE=1 rewrites the golden files.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';
import type { ExecutionContext } from 'ava';

import { EXIT } from '../src/mgmt/protocol.js';
import type { SimpleRoute } from '../tools/bench/lib/feeder.js';
import { LiteAgent } from './harness/lite.js';
import { createTopology, type Topology } from './harness/netns.js';
import { REPO, RoutedProcess, routectl } from './helpers/routed.js';

const GOLDEN = path.join(REPO, 'test/golden/routectl');
const SECRET = 'md5-secret-never-shown';
const NO_EXPORT = 0xffffff01;
const c = (asn: number, value: number): number => asn * 65536 + value;

interface Ctx {
  topo: Topology;
  routed: RoutedProcess;
  agent: LiteAgent;
  feeder: string;
}
let ctx: Ctx | undefined;

function setup(): Ctx {
  if (!ctx) throw new Error('setup failed (see the before hook)');
  return ctx;
}

function feed(v4: string, v6: string): SimpleRoute[] {
  return [
    { prefix: '203.0.113.0/24', nextHop: v4, asPath: [65001, 3356], med: 10, communities: [c(65001, 100)] },
    { prefix: '203.0.113.0/25', nextHop: v4, asPath: [65001, 3356, 1299], communities: [c(65001, 200)] },
    { prefix: '203.0.113.64/26', nextHop: v4, asPath: [65001, 3356], communities: [c(65001, 100)], largeCommunities: [[65001, 2, 2]] },
    { prefix: '203.0.113.128/25', nextHop: v4, asPath: [65001, 64500], largeCommunities: [[65001, 1, 1]] },
    { prefix: '198.51.100.0/24', nextHop: v4, asPath: [65001, 64501, 64502] },
    { prefix: '192.0.2.0/24', nextHop: v4, asPath: [65001], communities: [NO_EXPORT] },
    { prefix: '2001:db8:1::/48', nextHop: v6, asPath: [65001, 3356], communities: [c(65001, 100)] },
    { prefix: '2001:db8:1:1::/64', nextHop: v6, asPath: [65001, 3356, 1299], largeCommunities: [[65001, 1, 1]] },
    { prefix: '2001:db8:2::/48', nextHop: v6, asPath: [65001, 64500], med: 5 },
  ];
}

function config(dut: string, feeder: string): string {
  return `router-id: 198.18.255.2
local-as: 65002
listen:
  addresses: [${dut}]
policies:
  accept-all:
    default-action: accept
static-routes:
  - prefix: 203.0.113.0/24
    blackhole: true
  - prefix: 198.19.255.0/24
    blackhole: true
neighbors:
  - address: ${feeder}
    remote-as: 65001
    description: feeder
    local-address: ${dut}
    passive: true
    families: [ipv4, ipv6]
    import: accept-all
    export: accept-all
  - address: 198.18.0.77
    remote-as: 65077
    description: parked
    shutdown: true
    password: ${SECRET}
    import: accept-all
    export: accept-all
`;
}

test.before(async () => {
  const topo = await createTopology({ nodes: ['feeder', 'dut'], links: [{ a: 'feeder', b: 'dut' }] }, import.meta.url);
  const feeder = topo.addr('feeder', 'dut');
  const dut = topo.addr('dut', 'feeder');
  const routed = new RoutedProcess(topo, 'dut', config(dut, feeder));
  let agent: LiteAgent | undefined;
  try {
    await routed.start();
    agent = await LiteAgent.start(topo, 'feeder');
    await agent.connect({ host: dut, localAddress: feeder, localAs: 65001, peerAs: 65002, routerId: '198.18.255.1', holdTime: 90 });
    const routes = feed(feeder, topo.addr('feeder', 'dut', 'ipv6'));
    await agent.announce(routes);
    await routed.waitNeighbor(feeder, `accepted ${routes.length}`, (n) => n.accepted === routes.length);
    ctx = { topo, routed, agent, feeder };
  } catch (e) {
    await agent?.stop();
    await routed.stop();
    await topo.destroy();
    throw e;
  }
});

test.after.always(async () => {
  if (!ctx) return;
  await ctx.agent.stop();
  await ctx.routed.stop();
  await ctx.topo.destroy();
});

/** What changes from run to run, in text: durations, pid, start time, memory, the temporary directory. */
function normaliseText(text: string, dir: string): string {
  return text
    .split(dir)
    .join('/DIR')
    .replace(/\b(\d+d)?\d{2}:\d{2}:\d{2}\b/g, 'hh:mm:ss')
    .replace(/pid \d+/g, 'pid PID')
    .replace(/since \d{4}-\d\d-\d\dT[\d:.]+Z/g, 'since START')
    .replace(/routed \d+\.\d+\.\d+\S*/g, 'routed VERSION')
    .replace(/\d+\.\d MiB/g, 'N MiB');
}

/** The same in JSON lines: fields by name, set to fixed values. */
const VOLATILE: Record<string, unknown> = { sinceSeconds: 0, uptimeSeconds: 0, pid: 0, startedAt: 'START', version: 'VERSION', rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };

function normaliseJson(text: string, dir: string): string {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.stringify(JSON.parse(l.split(dir).join('/DIR')) as unknown, (k, v: unknown) => (k in VOLATILE ? VOLATILE[k] : v)) + '\n')
    .join('');
}

function golden(t: ExecutionContext, file: string, actual: string): void {
  const full = path.join(GOLDEN, file);
  if (process.env.ROUTED_GOLDEN_UPDATE === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(full, actual);
  }
  if (!existsSync(full)) return t.fail(`no golden file ${full} (ROUTED_GOLDEN_UPDATE=1 writes it)`);
  t.is(actual, readFileSync(full, 'utf8'), `routectl output differs from ${full}`);
}

/** name → arguments; FEEDER stands for the feeder's address. */
const cases: [string, string[]][] = [
  ['status', ['show', 'status']],
  ['config', ['show', 'config']],
  ['neighbors', ['show', 'neighbors']],
  ['neighbors-feeder', ['show', 'neighbors', 'feeder']],
  ['rib-all', ['show', 'rib']],
  ['rib-prefix', ['show', 'rib', '203.0.113.0/24']],
  ['rib-address', ['show', 'rib', '203.0.113.70']],
  ['rib-longer', ['show', 'rib', '203.0.113.0/24', 'longer']],
  ['rib-family-ipv6', ['show', 'rib', '--family', 'ipv6']],
  ['rib-community', ['show', 'rib', '--community', '65001:100']],
  ['rib-community-wellknown', ['show', 'rib', '--community', 'no-export']],
  ['rib-large-community', ['show', 'rib', '--large-community', '65001:1:*']],
  ['rib-as-path', ['show', 'rib', '--as-path', '_3356_']],
  ['rib-as-path-empty', ['show', 'rib', '--as-path', '^$']],
  ['rib-neighbor', ['show', 'rib', '--neighbor', 'FEEDER']],
  ['rib-neighbor-name', ['show', 'rib', '--neighbor', 'feeder', '--family', 'ipv4']],
  ['rib-combined', ['show', 'rib', '203.0.113.0/24', 'longer', '--as-path', '3356$', '--community', '65001:100', '--neighbor', 'FEEDER']],
  ['rib-in', ['show', 'rib', 'in', 'FEEDER']],
  ['rib-out', ['show', 'rib', 'out', 'FEEDER']],
];

for (const [name, args] of cases) {
  test(`routectl ${args.join(' ')}: text and --json equal the golden files`, async (t) => {
    const { routed, feeder } = setup();
    const real = args.map((a) => (a === 'FEEDER' ? feeder : a));
    const text = await routed.ctl(real);
    t.is(text.code, EXIT.OK, text.stderr);
    t.is(text.stderr, '');
    golden(t, `ctl-${name}.txt`, normaliseText(text.stdout, routed.dir));
    const json = await routed.ctl([...real, '--json']);
    t.is(json.code, EXIT.OK, json.stderr);
    golden(t, `ctl-${name}.json`, normaliseJson(json.stdout, routed.dir));
    t.false(text.stdout.includes(SECRET) || json.stdout.includes(SECRET), 'a secret is shown');
  });
}

test('a listing whose filters match nothing prints nothing and exits 0', async (t) => {
  const { routed } = setup();
  for (const extra of [[], ['--json']]) {
    const r = await routed.ctl(['show', 'rib', '--community', '65001:999', ...extra]);
    t.is(r.code, EXIT.OK, r.stderr);
    t.is(r.stdout, '');
  }
});

test('exit codes: 1 not found, 2 usage (checked before the daemon is asked), 3 unreachable', async (t) => {
  const { routed } = setup();
  const expect = async (args: string[], code: number, stderr: RegExp): Promise<void> => {
    const r = await routed.ctl(args);
    t.is(r.code, code, `routectl ${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, stderr, args.join(' '));
    t.is(r.stdout, '', args.join(' '));
  };
  await expect(['show', 'rib', '203.0.113.0/24', '--community', '65001:999'], EXIT.NOT_FOUND, /no route matching the filters/);
  await expect(['show', 'rib', '203.0.113.128/26'], EXIT.NOT_FOUND, /no route/);
  await expect(['show', 'fib'], EXIT.NOT_FOUND, /no forwarding plane/);
  await expect(['show', 'rib', '203.0.113.1', 'longer'], EXIT.USAGE, /longer takes a prefix/);
  await expect(['show', 'rib', '203.0.113.0/24', 'shorter'], EXIT.USAGE, /unexpected shorter/);
  await expect(['show', 'rib', '203.0.113.0/24', '--family', 'ipv6'], EXIT.USAGE, /not in --family ipv6/);
  await expect(['show', 'rib', '--community', '65001'], EXIT.USAGE, /bad community/);
  await expect(['show', 'rib', '--large-community', '1:2'], EXIT.USAGE, /bad large community/);
  await expect(['show', 'rib', '--as-path', '(3356'], EXIT.USAGE, /bad AS path regex/);
  await expect(['show', 'rib', '--neighbor', 'nobody'], EXIT.NOT_FOUND, /no neighbor nobody/);
  await expect(['show', 'rib', '--comunity', '65001:100'], EXIT.USAGE, /unknown option --comunity/);
  await expect(['show', 'status', '--family', 'ipv4'], EXIT.USAGE, /unknown option --family/);
  await expect(['show', 'rib', '--as-path'], EXIT.USAGE, /--as-path needs a value/);
  // routed.ctl names the daemon's socket; this one names a socket nobody listens on.
  const none = await routectl(['show', 'status', '--socket', path.join(routed.dir, 'absent.sock')]);
  t.is(none.code, EXIT.UNAVAILABLE, none.stderr);
  t.regex(none.stderr, /routed: .*ENOENT/);
});

test('routectl --help lists every show command and the exit code table', async (t) => {
  const { routed } = setup();
  const r = await routed.ctl(['--help']);
  t.is(r.code, EXIT.OK);
  for (const cmd of ['show status', 'show config', 'show neighbors', 'show rib [PREFIX [longer]|ADDRESS]', 'show rib in', 'show rib out', 'show fib', 'show route', 'show xdp']) t.true(r.stdout.includes(`routectl ${cmd}`), cmd);
  for (const code of Object.values(EXIT)) t.regex(r.stdout, new RegExp(`^  ${code}  \\S`, 'm'), `exit code ${code}`);
});
