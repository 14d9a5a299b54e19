// End to end through routed's forwarding plane: sender ns → router ns → receiver ns. routed on the
// router learns 198.18.200.0/24 from BIRD (in the receiver ns, so BIRD's own address is the next
// hop) and programs it in fib mode xdp+kernel, the XDP forwarder attached to both router veths.
// UDP datagrams to a host behind the route arrive and the XDP FORWARDED counter rises; BIRD
// withdrawing the route removes the trie entry and the kernel route.
//
// routed runs under `nsenter --net`, not `ip netns exec` (which mounts a sysfs hiding bpffs), and
// pins its maps in a directory of its own; the test reads the same pinned maps.

import test from 'ava';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { withTopology, runCommand, stopProcess, type Topology } from './harness/netns.js';
import { Bird, pollUntil } from './harness/peers.js';
import { routedYaml } from './harness/routed.js';
import { ROUTED } from './helpers/routed.js';
import { RoutedXdp, bpfObjectPath } from '../src/fib/bpf/routed.js';
import { BpfObject } from '../src/fib/bpf/object.js';
import { withNetns } from '../src/fib/bpf/netns.js';
import { RoutedNhFlag } from '../src/fib/bpf/layout.generated.js';

const PREFIX = '198.18.200.0/24';
const DST = '198.18.200.5';
const PORT = 9000;
const COUNT = 40;

const RECEIVER = `const s=require('dgram').createSocket('udp4');let n=0;s.on('message',()=>console.log(++n));s.bind(${PORT},'${DST}',()=>console.log('ready'));`;
const SENDER = `const s=require('dgram').createSocket('udp4');const n=Number(process.argv[1]);
s.bind(0,()=>{let i=0;const go=()=>{if(i++>=n)return s.close();s.send(Buffer.alloc(18),${PORT},'${DST}',go);};go();});`;

async function ifindex(topo: Topology, node: string, ifname: string): Promise<number> {
  const out = JSON.parse((await runCommand('ip', ['-n', topo.ns(node), '-j', 'link', 'show', ifname])).stdout) as { ifindex: number }[];
  return out[0]!.ifindex;
}

async function kernelRoutes(topo: Topology): Promise<string[]> {
  const out = (await runCommand('ip', ['-n', topo.ns('r'), '-j', 'route', 'show', 'proto', '186'])).stdout;
  return (JSON.parse(out || '[]') as { dst: string }[]).map((r) => r.dst);
}

/** Static addressing and routes around the router, and checksums the XDP path keeps. */
async function prepare(topo: Topology): Promise<void> {
  await runCommand('ip', ['-n', topo.ns('s'), 'route', 'add', PREFIX, 'via', topo.addr('r', 's')]);
  // veth offloads the UDP checksum; a redirected frame loses that state: send complete checksums.
  await runCommand('ip', ['netns', 'exec', topo.ns('s'), 'ethtool', '-K', 'e0', 'tx', 'off']);
  await runCommand('ip', ['-n', topo.ns('d'), 'addr', 'add', `${DST}/32`, 'dev', 'lo']);
  await runCommand('ip', ['-n', topo.ns('d'), 'route', 'add', '198.18.0.0/24', 'via', topo.addr('r', 'd')]);
  await runCommand('ip', ['netns', 'exec', topo.ns('r'), 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
}

test('UDP through routed (BIRD route, xdp+kernel): forwarded by XDP, withdrawal removes entry and kernel route', async (t) => {
  if (!existsSync(bpfObjectPath('xdp_fwd'))) throw new Error('dist/bpf/xdp_fwd.o missing: run tools/build-bpf');
  await withTopology(t, { nodes: ['s', 'r', 'd'], links: [{ a: 's', b: 'r' }, { a: 'r', b: 'd' }] }, async (topo) => {
    await prepare(topo);
    const pinDir = `/sys/fs/bpf/rtd-e2e-${process.pid}`;
    t.teardown(() => rmSync(pinDir, { recursive: true, force: true }));

    // A frame redirected into a veth is delivered only if the peer runs an XDP program.
    const pass = BpfObject.load(bpfObjectPath('xdp_ref_fib'), { maxEntries: { ref_tx_ports: 4 } });
    t.teardown(() => pass.close());
    const dIn = await ifindex(topo, 'd', 'e1');
    withNetns(topo.ns('d'), () => pass.program('xdp_pass').attach(dIn, { mode: 'native' }));

    const bird = new Bird(topo, 'd', {
      routerId: '198.18.255.2',
      localAs: 65002,
      neighbors: [{ address: topo.addr('r', 'd'), remoteAs: 65001, localAddress: topo.addr('d', 'r'), families: ['ipv4'] }],
      originate: [PREFIX],
    });
    t.teardown(() => bird.stop());
    await bird.start();

    const dir = mkdtempSync(path.join(tmpdir(), 'routed-e2e-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const yaml = routedYaml(
      { routerId: '198.18.255.1', localAs: 65001, fibMode: 'xdp+kernel', neighbors: [{ address: topo.addr('d', 'r'), remoteAs: 65002, localAddress: topo.addr('r', 'd'), families: ['ipv4'] }] },
      path.join(dir, 'routed.sock'),
    ).replace('  mode: "xdp+kernel"\n', `  mode: "xdp+kernel"\n  xdp-interfaces: [e0, e1]\n  pin-dir: ${JSON.stringify(pinDir)}\n`);
    writeFileSync(path.join(dir, 'routed.yaml'), yaml);
    const logFile = path.join(dir, 'routed.log');
    const routed = spawn('nsenter', [`--net=/run/netns/${topo.ns('r')}`, process.execPath, ROUTED, '--config', path.join(dir, 'routed.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    routed.stdout.on('data', (d: Buffer) => appendFileSync(logFile, d));
    routed.stderr.on('data', (d: Buffer) => appendFileSync(logFile, d));
    t.teardown(() => stopProcess(routed, 3000));
    const tail = (): string => `--- routed ---\n${existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n') : ''}\n--- bird ---\n${bird.logTail(20)}`;

    await pollUntil(async () => (await kernelRoutes(topo)).includes(PREFIX), 30_000, `kernel route ${PREFIX} with protocol 186 on the router`, tail);
    // The test's view of routed's pinned maps (the same maps; program loaded, attached nowhere).
    const maps = RoutedXdp.load({ pinDir });
    t.teardown(() => maps.object.close());
    const entry = (): number | undefined => maps.v4.dump().find(([p]) => p === PREFIX)?.[1];
    await pollUntil(async () => {
      const id = entry();
      return id !== undefined && (maps.nextHops.get(id).flags & RoutedNhFlag.RESOLVED) !== 0;
    }, 20_000, `trie entry ${PREFIX} with a resolved next hop`, tail);
    t.regex(readFileSync(logFile, 'utf8'), /XDP forwarder attached to e0 \(native\)/);

    const rx = spawnReceiver(topo);
    t.teardown(() => stopProcess(rx.child, 1000));
    await rx.ready;
    const fwd0 = maps.counters.get('FORWARDED').packets;
    await topo.run('s', process.execPath, ['-e', SENDER, String(COUNT)]);
    await pollUntil(async () => rx.count() >= COUNT, 10_000, `receiver got ${rx.count()}/${COUNT} datagrams`, tail);
    t.is(rx.count(), COUNT);
    const forwarded = maps.counters.get('FORWARDED').packets - fwd0;
    t.true(forwarded >= BigInt(COUNT), `XDP FORWARDED rose by ${forwarded}`);

    // BIRD withdraws: maps first, then the kernel route (manager.ts ordering); both go.
    await bird.birdc('disable static_ipv4');
    await pollUntil(async () => entry() === undefined && !(await kernelRoutes(topo)).includes(PREFIX), 20_000, `${PREFIX} gone from trie and kernel`, tail);
    t.deepEqual(await kernelRoutes(topo), []);
    await stopProcess(routed, 3000);
    t.regex(readFileSync(logFile, 'utf8'), /routed stopped/);
  });
});

function spawnReceiver(topo: Topology): { child: ReturnType<Topology['spawn']>; count: () => number; ready: Promise<void> } {
  const child = topo.spawn('d', process.execPath, ['-e', RECEIVER]);
  let count = 0;
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        if (line === 'ready') resolve();
        else if (line !== '') count = Number(line);
      }
    });
    child.once('exit', (code) => reject(new Error(`receiver exited ${code}`)));
  });
  return { child, count: () => count, ready };
}
