// Two routed processes, one per namespace on a veth link (198.18.0.1 ↔ 198.18.0.2, port 179):
// eBGP and iBGP sessions between them, static routes exported by policy, the operator's
// neighbor shutdown / enable / reset, and RFC 8212's default for an eBGP neighbour without
// policies — all observed through routectl, as an operator would.

import test from 'ava';

import { withTopology, type Topology } from './harness/netns.js';
import { pollUntil } from './harness/peers.js';
import { RoutedProcess } from './helpers/routed.js';

const A = '198.18.0.1';
const B = '198.18.0.2';
const SPEC = { nodes: ['a', 'b'], links: [{ a: 'a', b: 'b' }] };

interface Side {
  routerId: string;
  as: number;
  peerAs: number;
  local: string;
  peer: string;
  /** YAML under the neighbour (policies, …), indented by four spaces. */
  neighborExtra: string;
  /** Top-level YAML (policies, static routes). */
  extra: string;
}

function config(s: Side): string {
  return `router-id: ${s.routerId}
local-as: ${s.as}
listen:
  addresses: [${s.local}]
log:
  level: info
${s.extra}
neighbors:
  - address: ${s.peer}
    remote-as: ${s.peerAs}
    local-address: ${s.local}
    connect-retry: 1
    families: [ipv4, ipv6]
${s.neighborExtra}
`;
}

const ACCEPT_ALL = `policies:
  accept-all:
    default-action: accept
`;

async function pair(t: import('ava').ExecutionContext, topo: Topology, a: string, b: string): Promise<[RoutedProcess, RoutedProcess]> {
  const ra = new RoutedProcess(topo, 'a', a);
  const rb = new RoutedProcess(topo, 'b', b);
  t.teardown(() => ra.stop());
  t.teardown(() => rb.stop());
  await Promise.all([ra.start(), rb.start()]);
  // Fail with both daemons' logs: a session problem is often clearer from the other side.
  t.teardown(() => {
    if (!t.passed) t.log(`${ra.logTail()}\n${rb.logTail()}`);
  });
  return [ra, rb];
}

test.serial('eBGP: Established, statics exported with our AS, shutdown with a message, enable, reset', async (t) => {
  await withTopology(t, SPEC, async (topo) => {
    const statics = `static-routes:
  - prefix: 198.19.1.0/24
    blackhole: true
  - prefix: "2001:db8:ffff:1::/64"
    blackhole: true
`;
    const io = '    import: accept-all\n    export: accept-all';
    const [ra, rb] = await pair(
      t,
      topo,
      config({ routerId: '198.18.255.1', as: 65001, peerAs: 65002, local: A, peer: B, neighborExtra: io, extra: ACCEPT_ALL + statics }),
      config({ routerId: '198.18.255.2', as: 65002, peerAs: 65001, local: B, peer: A, neighborExtra: io, extra: ACCEPT_ALL }),
    );
    await ra.waitEstablished(B);
    await rb.waitEstablished(A);

    // A's statics reach B as eBGP routes from A with A's AS as the whole path (RFC 4271 §5.1.2).
    for (const prefix of ['198.19.1.0/24', '2001:db8:ffff:1::/64']) {
      const e = await rb.waitRoute(prefix, 'learned from A', (x) => x.paths[0]?.source === 'bgp');
      const best = e.paths[0]!;
      t.is(best.neighbor, A, prefix);
      t.is(best.asPath, '65001', prefix);
      t.true(best.best, prefix);
    }
    const fromA = (await rb.rib()).filter((e) => e.paths.some((p) => p.neighbor === A)).map((e) => e.prefix);
    t.deepEqual(fromA.sort(), ['198.19.1.0/24', '2001:db8:ffff:1::/64']);

    // RFC 9003: the shutdown communication travels with the Cease.
    const down = await ra.ctl(['neighbor', B, 'shutdown', '--message', 'maintenance']);
    t.is(down.code, 0, down.stderr);
    const seen = await rb.waitNeighbor(A, 'down with the shutdown message', (n) => n.state !== 'Established' && /maintenance/.test(n.lastError ?? ''));
    t.regex(seen.lastError ?? '', /Cease/);
    t.regex(seen.lastError ?? '', /Administrative Shutdown/);
    t.regex(seen.lastError ?? '', /"maintenance"/);
    t.true((await ra.neighbor(B)).adminDown);
    t.regex(ra.log(), /info administrative shutdown peer=198\.18\.0\.2 event=admin message=maintenance\n/);
    // B withdrew what A had sent when the session went down.
    t.is((await rb.ctl(['show', 'rib', '198.19.1.0/24'])).code, 1);

    const up = await ra.ctl(['neighbor', B, 'enable']);
    t.is(up.code, 0, up.stderr);
    await ra.waitEstablished(B);
    await rb.waitEstablished(A);
    t.false((await ra.neighbor(B)).adminDown);
    await rb.waitRoute('198.19.1.0/24', 'learned again after enable', (x) => x.paths[0]?.neighbor === A);

    // Reset: Cease / Administrative Reset, and the session comes back by itself.
    const reset = await ra.ctl(['neighbor', B, 'reset']);
    t.is(reset.code, 0, reset.stderr);
    // The session may be back before a poll sees it down (Established clears lastError): read B's log.
    await pollUntil(async () => /session down: received Cease \/ Administrative Reset/.test(rb.log()), 20_000, 'B sees the reset', () => rb.logTail());
    await rb.waitNeighbor(A, 'Established after the reset', (n) => n.state === 'Established');
    await rb.waitRoute('198.19.1.0/24', 'learned again after reset', (x) => x.paths[0]?.neighbor === A);
    t.regex(ra.log(), /administrative reset/);
  });
});

test.serial('iBGP: LOCAL_PREF set by the export policy reaches the peer', async (t) => {
  await withTopology(t, SPEC, async (topo) => {
    const exportPref = `policies:
  accept-all:
    default-action: accept
  pref-250:
    default-action: accept
    terms:
      - name: pref
        set: { local-pref: 250 }
        action: accept
static-routes:
  - prefix: 198.19.3.0/24
    blackhole: true
`;
    const [ra, rb] = await pair(
      t,
      topo,
      config({ routerId: '198.18.255.1', as: 65010, peerAs: 65010, local: A, peer: B, neighborExtra: '    import: accept-all\n    export: pref-250', extra: exportPref }),
      // iBGP without policies: RFC 8212 leaves iBGP at accept-all.
      config({ routerId: '198.18.255.2', as: 65010, peerAs: 65010, local: B, peer: A, neighborExtra: '', extra: '' }),
    );
    await rb.waitEstablished(A);
    const e = await rb.waitRoute('198.19.3.0/24', 'learned over iBGP', (x) => x.paths[0]?.source === 'bgp');
    const best = e.paths[0]!;
    t.is(best.neighbor, A);
    t.is(best.localPref, 250);
    // RFC 4271 §5.1.2: iBGP does not prepend; a locally originated route has an empty path.
    t.is(best.asPath, '');
    const adjIn = await rb.json<{ prefix: string; localPref?: number }>(['show', 'rib', 'in', A]);
    t.deepEqual(
      adjIn.filter((r) => r.prefix === '198.19.3.0/24').map((r) => r.localPref),
      [250],
    );
    const adjOut = await ra.json<{ prefix: string; localPref?: number }>(['show', 'rib', 'out', B]);
    t.deepEqual(
      adjOut.filter((r) => r.prefix === '198.19.3.0/24').map((r) => r.localPref),
      [250],
    );
    // No RFC 8212 line for an iBGP neighbour without policies.
    t.notRegex(rb.log(), /RFC 8212/);
  });
});

test.serial('RFC 8212: an eBGP neighbour without policies gets nothing and gives nothing, logged once per direction', async (t) => {
  await withTopology(t, SPEC, async (topo) => {
    const statics = (p: string): string => `static-routes:\n  - prefix: ${p}\n    blackhole: true\n`;
    const [ra, rb] = await pair(
      t,
      topo,
      config({ routerId: '198.18.255.1', as: 65001, peerAs: 65002, local: A, peer: B, neighborExtra: '    import: accept-all\n    export: accept-all', extra: ACCEPT_ALL + statics('198.19.1.0/24') }),
      config({ routerId: '198.18.255.2', as: 65002, peerAs: 65001, local: B, peer: A, neighborExtra: '', extra: statics('198.19.2.0/24') }),
    );
    await ra.waitEstablished(B);
    // A announces; B receives and accepts nothing.
    const bSide = await rb.waitNeighbor(A, 'received A\'s route', (n) => n.state === 'Established' && n.received >= 1);
    t.is(bSide.accepted, 0);
    t.is(bSide.advertised, 0);
    t.is((await rb.ctl(['show', 'rib', '198.19.1.0/24'])).code, 1);
    const adjIn = await rb.json<{ prefix: string; accepted?: boolean }>(['show', 'rib', 'in', A]);
    t.deepEqual(
      adjIn.map((r) => [r.prefix, r.accepted]),
      [['198.19.1.0/24', false]],
    );
    t.deepEqual(await rb.json(['show', 'rib', 'out', A]), []);
    // B's static never reaches A.
    const aSide = await ra.neighbor(B);
    t.is(aSide.received, 0);
    t.is((await ra.ctl(['show', 'rib', '198.19.2.0/24'])).code, 1);

    // Once per direction, also across a session reset.
    await rb.ctl(['neighbor', A, 'reset']);
    await rb.waitNeighbor(A, 'Established after the reset', (n) => n.state === 'Established' && n.received >= 1);
    const count = (re: RegExp): number => rb.log().split('\n').filter((l) => re.test(l)).length;
    t.is(count(/RFC 8212: no import policy for eBGP neighbor 198\.18\.0\.1: accepting nothing/), 1);
    t.is(count(/RFC 8212: no export policy for eBGP neighbor 198\.18\.0\.1: announcing nothing/), 1);
    t.is(count(/RFC 8212/), 2);
    t.notRegex(ra.log(), /RFC 8212/);
  });
});
