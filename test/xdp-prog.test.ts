// xdp_fwd through BPF_PROG_TEST_RUN: packet bytes in → XDP action and the exact bytes out, and
// the counter of the outcome. Runs as root; needs dist/bpf/xdp_fwd.o (tools/build-bpf).
// repeat is always 1, so no spare interface is needed (see the BPF_PROG_TEST_RUN traps).

import test from 'ava';
import { existsSync } from 'node:fs';
import { createTopology, runCommand, type Topology } from './harness/netns.js';
import { RoutedXdp, bpfObjectPath } from '../src/fib/bpf/routed.js';
import { withNetns } from '../src/fib/bpf/netns.js';
import { XDP_DROP, XDP_PASS, XDP_REDIRECT } from '../src/fib/bpf/object.js';
import { RoutedNhFlag, type RoutedNextHop, type RoutedStatName } from '../src/fib/bpf/layout.generated.js';
import { buildPacket, inetChecksum, type PacketSpec } from '../tools/bench/xdp/packets.js';

const NEIGH = [0x02, 0xaa, 0, 0, 0, 0x01];
const SELF = [0x02, 0xbb, 0, 0, 0, 0x01];

let topo: Topology;
let xdp: RoutedXdp;
let egress = 0;

test.before(async () => {
  if (!existsSync(bpfObjectPath('xdp_fwd'))) throw new Error(`${bpfObjectPath('xdp_fwd')} missing: run tools/build-bpf`);
  topo = await createTopology({ nodes: ['r', 'x'], links: [{ a: 'r', b: 'x' }] }, import.meta.url);
  const links = JSON.parse((await runCommand('ip', ['-n', topo.ns('r'), '-j', 'link', 'show', 'e0'])).stdout) as Array<{ ifindex: number }>;
  egress = links[0]!.ifindex;
  xdp = RoutedXdp.load({ maxEntries: { next_hops: 64, ecmp_groups: 8, routes_v4: 1024, routes_v6: 1024 } });
  // The devmap resolves ifindexes in the caller's namespace.
  withNetns(topo.ns('r'), () => xdp.txPorts.add(egress));
});

test.after.always(async () => {
  xdp?.close();
  await topo?.destroy();
});

function nh(over: Partial<RoutedNextHop> = {}): RoutedNextHop {
  return {
    ifindex: egress, flags: RoutedNhFlag.RESOLVED, dstMac: Uint8Array.from(NEIGH), srcMac: Uint8Array.from(SELF),
    vlanId: 0, mtu: 1500, ecmpGroup: 0, ...over,
  };
}

/** Run one packet; returns the action, bytes out and the counter delta of `stat`. */
function run(pkt: Buffer, stat: RoutedStatName): { action: number; out: Buffer; counted: bigint; bytes: bigint } {
  const before = xdp.counters.get(stat);
  const r = xdp.program.testRun(pkt);
  const after = xdp.counters.get(stat);
  return { action: r.retval, out: r.data, counted: after.packets - before.packets, bytes: after.bytes - before.bytes };
}

/** What the forwarded frame must be: same L3+ with TTL-1 and a fresh checksum, new L2 header. */
function expectedV4(spec: PacketSpec, vlan: number): Buffer {
  const out = buildPacket({ ...spec, ttl: (spec.ttl ?? 64) - 1, vlans: vlan ? [{ id: vlan }] : [], dstMac: NEIGH, srcMac: SELF });
  return out;
}

const v4: PacketSpec = { family: 4, src: '198.18.0.10', dst: '198.18.100.5', ttl: 64, sport: 4000, dport: 9 };
const v6: PacketSpec = { family: 6, src: '2001:db8::10', dst: '2001:db8:100::5', ttl: 64, sport: 4000, dport: 9 };

test.serial('IPv4 forward: MACs rewritten, TTL decremented, checksum recomputed from scratch matches', (t) => {
  xdp.nextHops.set(1, nh());
  xdp.v4.set('198.18.100.0/24', 1);
  const pkt = buildPacket(v4);
  const r = run(pkt, 'FORWARDED');
  t.is(r.action, XDP_REDIRECT);
  t.deepEqual(r.out, expectedV4(v4, 0));
  t.is(inetChecksum(r.out, 14, 20), 0, 'header checksum verifies');
  t.is(r.counted, 1n);
  t.is(r.bytes, BigInt(pkt.length));
});

test.serial('IPv4 checksum update is right for many TTLs and addresses', (t) => {
  xdp.v4.set('198.18.0.0/15', 1);
  for (let i = 0; i < 200; i++) {
    const spec: PacketSpec = { ...v4, ttl: 2 + (i % 254), src: `198.18.${i}.${(i * 7) % 256}`, dst: `198.19.${(i * 13) % 256}.${i}` };
    const r = run(buildPacket(spec), 'FORWARDED');
    t.is(inetChecksum(r.out, 14, 20), 0, `checksum for ${JSON.stringify(spec)}`);
    t.deepEqual(r.out, expectedV4(spec, 0));
  }
  xdp.v4.delete('198.18.0.0/15');
});

test.serial('IPv4 options: NOPs are forwarded, router alert goes to the kernel', (t) => {
  const nops: PacketSpec = { ...v4, options: [1, 1, 1, 0] };
  const r = run(buildPacket(nops), 'FORWARDED');
  t.is(r.action, XDP_REDIRECT);
  t.deepEqual(r.out, expectedV4(nops, 0));
  t.is(inetChecksum(r.out, 14, 24), 0);
  const ra = buildPacket({ ...v4, options: [148, 4, 0, 0] });
  const p = run(ra, 'PASS_OPTIONS');
  t.is(p.action, XDP_PASS);
  t.deepEqual(p.out, ra);
  t.is(p.counted, 1n);
});

test.serial('VLAN: push, replace, pop, and QinQ in → one tag out', (t) => {
  const cases: Array<[PacketSpec['vlans'], number]> = [
    [[], 100],
    [[{ id: 5 }], 7],
    [[{ id: 200 }], 0],
    [[{ id: 10, tpid: 0x88a8 }, { id: 20 }], 30],
    [[{ id: 10, tpid: 0x88a8 }, { id: 20 }], 0],
  ];
  for (const [vlans, out] of cases) {
    xdp.nextHops.set(2, nh({ vlanId: out }));
    xdp.v4.set('198.18.101.0/24', 2);
    const spec: PacketSpec = { ...v4, dst: '198.18.101.1', vlans };
    const r = run(buildPacket(spec), 'FORWARDED');
    t.is(r.action, XDP_REDIRECT);
    t.deepEqual(r.out, expectedV4(spec, out), `${JSON.stringify(vlans)} → ${out}`);
  }
  const three = buildPacket({ ...v4, vlans: [{ id: 1, tpid: 0x88a8 }, { id: 2 }, { id: 3 }] });
  t.is(run(three, 'PASS_VLAN_DEPTH').counted, 1n);
});

test.serial('IPv6 forward: hop limit decremented, MACs rewritten, tag pushed', (t) => {
  xdp.nextHops.set(3, nh({ vlanId: 42 }));
  xdp.v6.set('2001:db8:100::/48', 3);
  const r = run(buildPacket(v6), 'FORWARDED');
  t.is(r.action, XDP_REDIRECT);
  t.deepEqual(r.out, buildPacket({ ...v6, ttl: 63, vlans: [{ id: 42 }], dstMac: NEIGH, srcMac: SELF }));
  t.is(r.counted, 1n);
});

test.serial('pass and drop outcomes leave the packet unchanged and count their reason', (t) => {
  xdp.nextHops.set(10, nh({ flags: RoutedNhFlag.BLACKHOLE }));
  xdp.nextHops.set(11, nh({ flags: RoutedNhFlag.UNREACHABLE }));
  xdp.nextHops.set(12, nh({ flags: RoutedNhFlag.LOCAL }));
  xdp.nextHops.set(13, nh({ flags: 0 }));
  xdp.nextHops.set(14, nh({ mtu: 40 }));
  xdp.nextHops.set(15, nh({ ifindex: 999999 }));
  const routes: Array<[string, number]> = [
    ['198.18.110.0/24', 10], ['198.18.111.0/24', 11], ['198.18.112.1/32', 12], ['198.18.113.0/24', 13],
    ['198.18.114.0/24', 14], ['198.18.115.0/24', 15], ['198.18.116.0/24', 63],
  ];
  xdp.v4.setMany(routes);
  const cases: Array<[string, PacketSpec, number, RoutedStatName]> = [
    ['miss', { ...v4, dst: '198.19.200.1' }, XDP_PASS, 'PASS_MISS'],
    ['blackhole', { ...v4, dst: '198.18.110.1' }, XDP_DROP, 'DROP_BLACKHOLE'],
    ['unreachable', { ...v4, dst: '198.18.111.1' }, XDP_PASS, 'PASS_UNREACHABLE'],
    ['local', { ...v4, dst: '198.18.112.1' }, XDP_PASS, 'PASS_LOCAL'],
    ['unresolved', { ...v4, dst: '198.18.113.1' }, XDP_PASS, 'PASS_UNRESOLVED'],
    ['never-set id', { ...v4, dst: '198.18.116.1' }, XDP_PASS, 'PASS_UNRESOLVED'],
    ['mtu', { ...v4, dst: '198.18.114.1' }, XDP_PASS, 'PASS_MTU'],
    ['no tx port', { ...v4, dst: '198.18.115.1' }, XDP_PASS, 'PASS_NO_PORT'],
    ['ttl 1', { ...v4, ttl: 1 }, XDP_PASS, 'PASS_TTL'],
    ['ttl 0', { ...v4, ttl: 0 }, XDP_PASS, 'PASS_TTL'],
    ['hop limit 1', { ...v6, ttl: 1 }, XDP_PASS, 'PASS_TTL'],
    ['v4 link-local dst', { ...v4, dst: '169.254.1.1' }, XDP_PASS, 'PASS_LINK_LOCAL'],
    ['v6 link-local dst', { ...v6, dst: 'fe80::1' }, XDP_PASS, 'PASS_LINK_LOCAL'],
    ['v6 link-local src', { ...v6, src: 'fe80::1' }, XDP_PASS, 'PASS_LINK_LOCAL'],
    ['v6 hop-by-hop', { ...v6, proto: 0 }, XDP_PASS, 'PASS_OPTIONS'],
    ['v4 multicast', { ...v4, dst: '224.0.0.5' }, XDP_PASS, 'PASS_NOT_UNICAST'],
    ['v6 miss', { ...v6, dst: '2001:db8:999::1' }, XDP_PASS, 'PASS_MISS'],
    ['ARP', { ...v4, ethertype: 0x0806 }, XDP_PASS, 'PASS_NON_IP'],
  ];
  for (const [name, spec, action, stat] of cases) {
    const pkt = buildPacket(spec);
    const r = run(pkt, stat);
    t.is(r.action, action, name);
    t.deepEqual(r.out, pkt, `${name}: unchanged`);
    t.is(r.counted, 1n, `${name}: ${stat} counted`);
  }
  const truncated = buildPacket(v4).subarray(0, 30);
  t.is(run(Buffer.from(truncated), 'PASS_MALFORMED').counted, 1n);
  t.is(xdp.v4.deleteMany(routes.map(([p]) => p)), routes.length);
});

test.serial('ECMP: a flow always takes the same member, flows spread, fragments ignore ports', (t) => {
  const members = [20, 21, 22, 23];
  for (const id of members) xdp.nextHops.set(id, nh({ dstMac: Uint8Array.from([0x02, 0xcc, 0, 0, 0, id]) }));
  xdp.ecmp.set(1, members);
  xdp.nextHops.set(24, nh({ flags: RoutedNhFlag.ECMP, ecmpGroup: 1 }));
  xdp.v4.set('198.18.120.0/24', 24);
  const memberOf = (spec: PacketSpec): number => {
    const r = run(buildPacket(spec), 'FORWARDED');
    t.is(r.action, XDP_REDIRECT);
    return r.out[5]!;
  };
  const used = new Map<number, number>();
  for (let sport = 1000; sport < 1064; sport++) {
    const spec: PacketSpec = { ...v4, dst: '198.18.120.9', sport };
    const m = memberOf(spec);
    t.is(memberOf(spec), m, 'same flow, same member');
    used.set(m, (used.get(m) ?? 0) + 1);
  }
  t.deepEqual([...used.keys()].sort(), members, 'every member carries some of 64 flows');
  // More fragments set: the ports are not read, so the port numbers cannot change the member.
  const frag = (sport: number): PacketSpec => ({ ...v4, dst: '198.18.120.9', sport, fragField: 0x2000 });
  const first = memberOf(frag(1));
  for (let sport = 2; sport < 32; sport++) t.is(memberOf(frag(sport)), first);
  t.deepEqual(xdp.ecmp.get(1), members);
});

test.serial('map API round trips: dump, get, next hop decode', (t) => {
  t.is(xdp.v4.get('198.18.100.0/24'), 1);
  t.is(xdp.v4.get('198.18.100.7/24'), 1, 'host bits are cleared in keys');
  t.is(xdp.v6.get('2001:db8:100::/48'), 3);
  const dump = new Map(xdp.v4.dump(2));
  t.is(dump.get('198.18.100.0/24'), 1);
  t.is(dump.get('198.18.120.0/24'), 24);
  t.deepEqual(xdp.nextHops.get(3), nh({ vlanId: 42 }));
  xdp.nextHops.clear(3);
  t.is(xdp.nextHops.get(3).flags, 0);
});

test.serial('bulk writes: setMany and setManyAsync store every entry of an unsorted list, both families at once', async (t) => {
  // Addresses in descending order with mixed lengths: the radix sort must keep each key with its value.
  const v4: [string, number][] = [];
  for (let i = 199; i >= 100; i--) v4.push([`198.19.${i}.0/24`, i], [`198.19.${i}.128/25`, i + 1000]);
  const v6: [string, number][] = [];
  for (let i = 99; i >= 0; i--) v6.push([`2001:db8:ff${i.toString(16).padStart(2, '0')}::/48`, i], [`2001:db8:ff${i.toString(16).padStart(2, '0')}:8000::/49`, i + 1000]);
  await Promise.all([xdp.v4.setManyAsync(v4, 7), xdp.v6.setManyAsync(v6, 7)]);
  const got4 = new Map(xdp.v4.dump());
  const got6 = new Map(xdp.v6.dump());
  for (const [p, id] of v4) t.is(got4.get(p), id, p);
  for (const [p, id] of v6) t.is(got6.get(p), id, p);
  t.is(xdp.v4.deleteMany(v4.map(([p]) => p)), v4.length);
  t.is(xdp.v6.deleteMany(v6.map(([p]) => p)), v6.length);
  xdp.v4.setMany(v4.map(([p, id]) => [p, id + 1] as const), 5);
  for (const [p, id] of v4) t.is(xdp.v4.get(p), id + 1, p);
  t.is(xdp.v4.deleteMany(v4.map(([p]) => p)), v4.length);
});
