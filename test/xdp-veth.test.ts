// End to end through veths: sender ns → router ns (xdp_fwd attached natively to its ingress veth,
// map entries for 198.18.100.0/24) → receiver ns. UDP datagrams arrive and the counters rise;
// with the route's next hop a blackhole they are dropped; with TTL 1 the kernel answers with ICMP
// time exceeded. Runs as root; needs dist/bpf/*.o (tools/build-bpf).

import test from 'ava';
import { existsSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { withTopology, runCommand, type Topology } from './harness/netns.js';
import { RoutedXdp, bpfObjectPath } from '../src/fib/bpf/routed.js';
import { withNetns } from '../src/fib/bpf/netns.js';
import { BpfObject } from '../src/fib/bpf/object.js';
import { RoutedNhFlag } from '../src/fib/bpf/layout.generated.js';
import { parseMac } from '../src/fib/bpf/maps.js';

const DST = '198.18.100.5';
const PORT = 9000;
const COUNT = 40;

// Receiver: counts datagrams, one line per datagram.
const RECEIVER = `const s=require('dgram').createSocket('udp4');let n=0;s.on('message',()=>console.log(++n));s.bind(${PORT},'${DST}',()=>console.log('ready'));`;
// Sender: argv ttl, count.
const SENDER = `const s=require('dgram').createSocket('udp4');const [ttl,n]=process.argv.slice(1).map(Number);
s.bind(0,()=>{s.setTTL(ttl);let i=0;const go=()=>{if(i++>=n)return s.close();s.send(Buffer.alloc(18),${PORT},'${DST}',go);};go();});`;

interface Link {
  ifindex: number;
  address: string;
}

async function link(topo: Topology, node: string, ifname: string): Promise<Link> {
  const out = JSON.parse((await runCommand('ip', ['-n', topo.ns(node), '-j', 'link', 'show', ifname])).stdout) as Link[];
  return out[0]!;
}

/** Poll cond every 50 ms for at most ms; fail with what() if it never holds. */
async function waitFor(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function startReceiver(topo: Topology): { child: ChildProcess; count: () => number; ready: Promise<void> } {
  const child = topo.spawn('x', process.execPath, ['-e', RECEIVER]);
  let count = 0;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        if (line === 'ready') resolve();
        else if (line !== '') count = Number(line);
      }
    });
    child.once('exit', (code) => reject(new Error(`receiver exited ${code}: ${stderr}`)));
  });
  return { child, count: () => count, ready };
}

function icmpTimeExceeded(topo: Topology): Promise<number> {
  return runCommand('ip', ['netns', 'exec', topo.ns('s'), 'cat', '/proc/net/snmp']).then(({ stdout }) => {
    const lines = stdout.split('\n').filter((l) => l.startsWith('Icmp:'));
    const names = lines[0]!.split(/\s+/);
    return Number(lines[1]!.split(/\s+/)[names.indexOf('InTimeExcds')]);
  });
}

test('UDP through the XDP router: forwarded, blackholed, TTL expiry answered by the kernel', async (t) => {
  for (const f of [bpfObjectPath('xdp_fwd'), bpfObjectPath('xdp_ref_fib')]) if (!existsSync(f)) throw new Error(`${f} missing: run tools/build-bpf`);
  await withTopology(t, { nodes: ['s', 'r', 'x'], links: [{ a: 's', b: 'r' }, { a: 'r', b: 'x' }] }, async (topo) => {
    await runCommand('ip', ['-n', topo.ns('s'), 'route', 'add', '198.18.100.0/24', 'via', '198.18.0.2']);
    // veth offloads the UDP checksum (CHECKSUM_PARTIAL); an XDP-redirected frame loses that
    // state and arrives with a bad checksum. Real NICs deliver complete checksums: do the same.
    await runCommand('ip', ['netns', 'exec', topo.ns('s'), 'ethtool', '-K', 'e0', 'tx', 'off']);
    await runCommand('ip', ['-n', topo.ns('x'), 'addr', 'add', `${DST}/32`, 'dev', 'lo']);
    await runCommand('ip', ['-n', topo.ns('x'), 'route', 'add', '198.18.0.0/24', 'via', '198.18.1.1']);
    // The kernel keeps the route too (slow path): TTL expiry and passes are routed by it.
    await runCommand('ip', ['-n', topo.ns('r'), 'route', 'add', '198.18.100.0/24', 'via', '198.18.1.2']);
    await runCommand('ip', ['netns', 'exec', topo.ns('r'), 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    const rIn = await link(topo, 'r', 'e0');
    const rOut = await link(topo, 'r', 'e1');
    const xIn = await link(topo, 'x', 'e1');

    const xdp = RoutedXdp.load({ maxEntries: { next_hops: 16, ecmp_groups: 4 } });
    const peer = BpfObject.load(bpfObjectPath('xdp_ref_fib'), { maxEntries: { ref_tx_ports: 4 } });
    t.teardown(() => {
      xdp.close();
      peer.close();
    });
    const warnings: string[] = [];
    withNetns(topo.ns('r'), () => {
      t.is(xdp.attach(rIn.ifindex, { mode: 'native' }), 'native');
      xdp.txPorts.add(rOut.ifindex);
    });
    // A frame redirected into a veth is delivered only if the peer runs an XDP program.
    withNetns(topo.ns('x'), () => peer.program('xdp_pass').attach(xIn.ifindex, { mode: 'native', warn: (m) => warnings.push(m) }));
    xdp.nextHops.set(1, {
      ifindex: rOut.ifindex, flags: RoutedNhFlag.RESOLVED, dstMac: parseMac(xIn.address), srcMac: parseMac(rOut.address),
      vlanId: 0, mtu: 1500, ecmpGroup: 0,
    });
    xdp.v4.set('198.18.100.0/24', 1);

    const rx = startReceiver(topo);
    await rx.ready;
    const send = (ttl: number): Promise<unknown> => topo.run('s', process.execPath, ['-e', SENDER, String(ttl), String(COUNT)]);
    const fwd0 = xdp.counters.get('FORWARDED').packets;
    await send(64);
    await waitFor(() => rx.count() >= COUNT, 10_000, () => `receiver got ${rx.count()}/${COUNT}; counters ${JSON.stringify(xdp.counters.snapshot(), (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`)
      .catch(async (e: Error) => {
        const snmp = (await runCommand('ip', ['netns', 'exec', topo.ns('x'), 'cat', '/proc/net/snmp'])).stdout;
        throw new Error(`${e.message}\nreceiver /proc/net/snmp:\n${snmp}`);
      });
    t.is(rx.count(), COUNT);
    t.true(xdp.counters.get('FORWARDED').packets - fwd0 >= BigInt(COUNT), 'forwarded by XDP, not by the kernel');

    // Blackhole: the same next-hop id now drops.
    xdp.nextHops.set(1, { ...xdp.nextHops.get(1), flags: RoutedNhFlag.BLACKHOLE });
    const bh0 = xdp.counters.get('DROP_BLACKHOLE').packets;
    await send(64);
    await waitFor(() => xdp.counters.get('DROP_BLACKHOLE').packets - bh0 >= BigInt(COUNT), 10_000, () => `blackhole count ${xdp.counters.get('DROP_BLACKHOLE').packets - bh0}`);
    t.is(rx.count(), COUNT, 'nothing more arrived');

    // TTL 1: passed to the kernel, which answers with time exceeded.
    xdp.nextHops.set(1, { ...xdp.nextHops.get(1), flags: RoutedNhFlag.RESOLVED });
    const ttl0 = xdp.counters.get('PASS_TTL').packets;
    const icmp0 = await icmpTimeExceeded(topo);
    await send(1);
    await waitFor(() => xdp.counters.get('PASS_TTL').packets - ttl0 >= BigInt(COUNT), 10_000, () => `PASS_TTL ${xdp.counters.get('PASS_TTL').packets - ttl0}`);
    let icmp = icmp0;
    for (const end = Date.now() + 10_000; icmp === icmp0 && Date.now() < end; ) {
      await new Promise((r) => setTimeout(r, 100));
      icmp = await icmpTimeExceeded(topo);
    }
    t.true(icmp > icmp0, `sender received ICMP time exceeded (InTimeExcds ${icmp0} → ${icmp})`);
    t.is(rx.count(), COUNT);
    t.deepEqual(warnings, []);
  });
});
