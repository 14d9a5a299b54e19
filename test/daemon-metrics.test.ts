// The Prometheus endpoint (metrics.listen) scraped with fetch from inside routed's namespace:
// routed A (AS 65001, fib xdp+kernel on its link, metrics on 198.18.0.1:9179) ↔ routed B
// (AS 65002) over eBGP with TCP-MD5. Every per-neighbour value equals what routectl shows for
// the same state, FIB entries per backend equal `show fib`'s summary, the XDP counters count
// the pings B sends to A, the install-latency histogram has observations, the default process
// metrics (RSS, event-loop lag) are there, and the TCP-MD5 password is nowhere in the output.

import test from 'ava';

import type { FibSummaryView, NeighborView, RibEntryView } from '../src/mgmt/views.js';
import { createTopology, type Topology } from './harness/netns.js';
import { pollUntil } from './harness/peers.js';
import { RoutedProcess } from './helpers/routed.js';

const A = '198.18.0.1';
const B = '198.18.0.2';
const PASSWORD = 's3cret-metrics-md5';
const URL = `http://${A}:9179`;

function config(o: { routerId: string; as: number; peerAs: number; local: string; peer: string; statics: string[]; extra: string }): string {
  return `router-id: ${o.routerId}
local-as: ${o.as}
listen: { addresses: [${o.local}] }
${o.extra}policies:
  accept-all: { default-action: accept }
static-routes:
${o.statics.map((p) => `  - { prefix: ${JSON.stringify(p)}, blackhole: true }`).join('\n')}
neighbors:
  - address: ${o.peer}
    remote-as: ${o.peerAs}
    local-address: ${o.local}
    connect-retry: 1
    families: [ipv4, ipv6]
    password: ${PASSWORD}
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

test.before(async () => {
  const topo = await createTopology({ nodes: ['a', 'b'], links: [{ a: 'a', b: 'b' }] }, import.meta.url);
  const extraA = `metrics: { listen: "${A}:9179" }\nfib: { mode: "xdp+kernel", xdp-interfaces: [e0], pin-dir: /sys/fs/bpf/${topo.ns('a')} }\n`;
  const a = new RoutedProcess(topo, 'a', config({ routerId: '198.18.255.1', as: 65001, peerAs: 65002, local: A, peer: B, statics: ['198.19.1.0/24'], extra: extraA }));
  const b = new RoutedProcess(topo, 'b', config({ routerId: '198.18.255.2', as: 65002, peerAs: 65001, local: B, peer: A, statics: ['198.19.2.0/24', '198.19.3.0/24', '2001:db8:ffff:2::/64'], extra: '' }));
  ctx = { topo, a, b };
  await Promise.all([a.start(), b.start()]);
  await pollUntil(
    async () => {
      const [na, nb] = [await a.neighbor(B), await b.neighbor(A)];
      return na.state === 'Established' && na.accepted === 3 && nb.accepted === 1;
    },
    30_000,
    'A and B converged',
    () => `${a.logTail()}\n${b.logTail()}`,
  );
  // Traffic for the XDP counters: pings to A's own address (the program passes them to the kernel).
  await topo.run('b', 'ping', ['-c', '3', '-i', '0.2', '-W', '1', A]);
});

test.after.always(async () => {
  if (!ctx) return;
  await ctx.a.stop();
  await ctx.b.stop();
  await ctx.topo.destroy();
});

function setup(): Ctx {
  if (!ctx) throw new Error('setup failed (see the before hook)');
  return ctx;
}

/** GET url from inside A's namespace: status, content type, body. */
async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const script = `fetch(${JSON.stringify(url)}).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, type: r.headers.get('content-type'), body: await r.text() })))`;
  const r = await setup().topo.run('a', process.execPath, ['-e', script]);
  return JSON.parse(r.stdout) as { status: number; type: string; body: string };
}

/** The exposition text as series name{labels} → value. */
function parse(body: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function value(series: Map<string, number>, key: string): number {
  const v = series.get(key);
  if (v === undefined) throw new Error(`no series ${key} in:\n${[...series.keys()].filter((k) => k.startsWith('routed_')).join('\n')}`);
  return v;
}

test('per-neighbour state, prefix counts and UPDATE counters equal what routectl shows', async (t) => {
  const { a } = setup();
  const res = await get(`${URL}/metrics`);
  t.is(res.status, 200);
  t.regex(res.type, /^text\/plain; version=0\.0\.4/);
  const m = parse(res.body);
  const n = (await a.json<NeighborView>(['show', 'neighbors', B]))[0]!;
  const nb = `neighbor="${B}"`;
  t.is(value(m, `routed_bgp_neighbor_state{${nb},state="Established"}`), 1);
  t.is(value(m, `routed_bgp_neighbor_state{${nb},state="Idle"}`), 0);
  t.is(value(m, `routed_bgp_neighbor_up{${nb}}`), 1);
  t.is(value(m, `routed_bgp_prefixes_received{${nb}}`), n.received);
  t.is(value(m, `routed_bgp_prefixes_accepted{${nb}}`), n.accepted);
  t.is(value(m, `routed_bgp_prefixes_advertised{${nb}}`), n.advertised);
  t.is(n.received, 3);
  // B's three routes came in UPDATEs, plus End-of-RIB per family; A sent its own and End-of-RIB.
  t.true(value(m, `routed_bgp_updates_received_total{${nb}}`) >= 3);
  t.true(value(m, `routed_bgp_updates_sent_total{${nb}}`) >= 2);
  const rib = await a.json<RibEntryView>(['show', 'rib']);
  for (const f of ['ipv4', 'ipv6']) t.is(value(m, `routed_rib_prefixes{family="${f}"}`), rib.filter((e) => e.family === f).length, f);
});

test('FIB entries per backend equal show fib, the install latency has observations, XDP counts the pings', async (t) => {
  const { a } = setup();
  const m = parse((await get(`${URL}/metrics`)).body);
  const rows = await a.json<{ summary?: FibSummaryView }>(['show', 'fib']);
  const s = rows.find((r) => r.summary)!.summary!;
  t.true(s.kernel && s.xdp, JSON.stringify(s));
  t.is(value(m, 'routed_fib_entries{backend="kernel"}'), s.kernelRoutes);
  t.is(value(m, 'routed_fib_entries{backend="xdp"}'), s.xdpEntries);
  t.true(s.kernelRoutes >= 3);
  t.true(value(m, 'routed_fib_install_seconds_count') >= 1);
  const passed = [...m].filter(([k]) => k.startsWith('routed_xdp_packets_total{outcome="pass"')).reduce((sum, [, v]) => sum + v, 0);
  t.true(passed >= 3, `XDP passed ${passed} packets to the kernel; B sent 3 pings`);
});

test('process metrics (RSS, event-loop lag) are there; no password anywhere; other paths 404', async (t) => {
  const res = await get(`${URL}/metrics`);
  const m = parse(res.body);
  t.true(value(m, 'process_resident_memory_bytes') > 10 * 1024 * 1024);
  t.true(value(m, 'nodejs_eventloop_lag_seconds') >= 0);
  t.false(res.body.includes(PASSWORD));
  t.false(res.body.includes('s3cret'));
  t.is((await get(`${URL}/`)).status, 404);
});

test('logs at info: one line per session transition with its reason, none per prefix', (t) => {
  const log = setup().a.log();
  const transitions = log.split('\n').filter((l) => / event=state /.test(l));
  // At least Idle -> Connect, then to OpenConfirm (through OpenSent, or straight from Connect when
  // the peer's connection won a collision), then Established; each is one line naming both states
  // and the FSM event (a reason with spaces is quoted).
  t.true(transitions.length >= 3, transitions.join('\n'));
  for (const l of transitions) t.regex(l, /session (\S+) -> (\S+) peer=198\.18\.0\.2 event=state from=\1 to=\2 reason=("[^"]+"|\S+)$/);
  t.regex(transitions.at(-1)!, /OpenConfirm -> Established/);
  for (const prefix of ['198.19.2.0/24', '198.19.3.0/24', '2001:db8:ffff:2::/64']) t.false(log.includes(prefix), `${prefix} in the log:\n${log}`);
});
