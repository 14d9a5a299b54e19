// Shared by the forwarding tests: sender ns "s" → router ns "r" (routed) → receiver ns "d" (BIRD,
// which originates the prefixes, so its own address is their next hop, and the UDP receiver).
// routed runs under `nsenter --net`, not `ip netns exec` (which mounts a sysfs hiding bpffs).

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCommand, stopProcess, type Topology } from './harness/netns.js';
import { Bird, pollUntil } from './harness/peers.js';
import { routedYaml, type RoutedSpec } from './harness/routed.js';
import { ROUTED } from './helpers/routed.js';
import { bpfObjectPath } from '../src/fib/bpf/routed.js';
import { BpfObject } from '../src/fib/bpf/object.js';
import { withNetns } from '../src/fib/bpf/netns.js';

export const TOPOLOGY = { nodes: ['s', 'r', 'd'], links: [{ a: 's', b: 'r' }, { a: 'r', b: 'd' }] };
export const PORT = 9000;

export async function ifindex(topo: Topology, node: string, ifname: string): Promise<number> {
  const out = JSON.parse((await runCommand('ip', ['-n', topo.ns(node), '-j', 'link', 'show', ifname])).stdout) as { ifindex: number }[];
  return out[0]!.ifindex;
}

/** routed's kernel routes (protocol 186) on the router. */
export async function kernelRoutes(topo: Topology): Promise<string[]> {
  const out = (await runCommand('ip', ['-n', topo.ns('r'), '-j', 'route', 'show', 'proto', '186'])).stdout;
  return (JSON.parse(out || '[]') as { dst: string }[]).map((r) => r.dst).sort();
}

/**
 * Addressing and routes around the router for the prefixes, a host address per prefix on the
 * receiver, and an XDP_PASS program on the receiver's veth (a frame redirected into a veth is
 * delivered only if the peer runs an XDP program). Returns the loaded pass object (close it).
 */
export async function prepare(topo: Topology, prefixes: readonly string[], hosts: readonly string[]): Promise<BpfObject> {
  for (const p of prefixes) await runCommand('ip', ['-n', topo.ns('s'), 'route', 'add', p, 'via', topo.addr('r', 's')]);
  // veth offloads the UDP checksum; a redirected frame loses that state: send complete checksums.
  await runCommand('ip', ['netns', 'exec', topo.ns('s'), 'ethtool', '-K', 'e0', 'tx', 'off']);
  for (const h of hosts) await runCommand('ip', ['-n', topo.ns('d'), 'addr', 'add', `${h}/32`, 'dev', 'lo']);
  await runCommand('ip', ['-n', topo.ns('d'), 'route', 'add', '198.18.0.0/24', 'via', topo.addr('r', 'd')]);
  await runCommand('ip', ['netns', 'exec', topo.ns('r'), 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  const pass = BpfObject.load(bpfObjectPath('xdp_ref_fib'), { maxEntries: { ref_tx_ports: 4 } });
  const dIn = await ifindex(topo, 'd', 'e1');
  withNetns(topo.ns('d'), () => pass.program('xdp_pass').attach(dIn, { mode: 'native' }));
  return pass;
}

/** BIRD on the receiver, peering with the router; extraConfig is appended (more static protocols). */
export async function startBird(topo: Topology, originate: string[], extraConfig = ''): Promise<Bird> {
  const bird = new Bird(topo, 'd', {
    routerId: '198.18.255.2',
    localAs: 65002,
    neighbors: [{ address: topo.addr('r', 'd'), remoteAs: 65001, localAddress: topo.addr('d', 'r'), families: ['ipv4'] }],
    originate,
  });
  if (extraConfig) appendFileSync(bird.config, extraConfig);
  await bird.start();
  return bird;
}

/** routed on the router, peering with BIRD, fib mode xdp+kernel (or xdp) on both veths, maps pinned in pinDir. */
export class RouterDaemon {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'routed-fib-'));
  readonly logFile = path.join(this.dir, 'routed.log');
  private child: ChildProcess | undefined;

  constructor(
    private readonly topo: Topology,
    readonly pinDir: string,
    private readonly keepForwarding = false,
    private readonly mode: 'xdp+kernel' | 'xdp' = 'xdp+kernel',
    /** Static routes routed announces (accept-all export), and neighbours besides BIRD. */
    private readonly extra: { staticRoutes?: RoutedSpec['staticRoutes']; neighbors?: RoutedSpec['neighbors'] } = {},
  ) {}

  start(): void {
    const t = this.topo;
    const yaml = routedYaml(
      {
        routerId: '198.18.255.1',
        localAs: 65001,
        fibMode: 'xdp+kernel',
        neighbors: [
          { address: t.addr('d', 'r'), remoteAs: 65002, localAddress: t.addr('r', 'd'), families: ['ipv4'], gracefulRestart: { enabled: true, restartTime: 120 } },
          ...(this.extra.neighbors ?? []),
        ],
        staticRoutes: this.extra.staticRoutes ?? [],
      },
      path.join(this.dir, 'routed.sock'),
    ).replace('  mode: "xdp+kernel"\n', `  mode: "${this.mode}"\n  xdp-interfaces: [e0, e1]\n  pin-dir: ${JSON.stringify(this.pinDir)}\n  keep-forwarding-on-stop: ${this.keepForwarding}\n`);
    const config = path.join(this.dir, 'routed.yaml');
    writeFileSync(config, yaml);
    appendFileSync(this.logFile, '[test] routed starting\n');
    const child = spawn('nsenter', [`--net=/run/netns/${t.ns('r')}`, process.execPath, ROUTED, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => appendFileSync(this.logFile, d));
    child.stderr.on('data', (d: Buffer) => appendFileSync(this.logFile, d));
    this.child = child;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  tail(): string {
    return `--- routed ---\n${this.log().split('\n').slice(-40).join('\n')}`;
  }

  async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child, 3000);
    this.child = undefined;
  }

  /** Stop and remove the temporary directory (teardown). */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A UDP receiver on the receiver ns: counts datagrams per destination address. */
export class Receiver {
  private readonly counts = new Map<string, number>();
  readonly child: ChildProcess;
  readonly ready: Promise<void>;

  constructor(topo: Topology, hosts: readonly string[]) {
    const code = `const d=require('dgram');let up=0;for(const h of ${JSON.stringify(hosts)}){const s=d.createSocket('udp4');s.on('message',()=>console.log(h));s.bind(${PORT},h,()=>{if(++up===${hosts.length})console.log('ready')});}`;
    this.child = topo.spawn('d', process.execPath, ['-e', code]);
    this.ready = new Promise<void>((resolve, reject) => {
      this.child.stdout?.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n')) {
          if (line === 'ready') resolve();
          else if (line !== '') this.counts.set(line, (this.count(line)) + 1);
        }
      });
      this.child.once('exit', (code) => reject(new Error(`receiver exited ${code}`)));
    });
  }

  count(host: string): number {
    return this.counts.get(host) ?? 0;
  }
}

/** Send count datagrams to host from the sender ns, intervalMs apart (0: back to back). */
export async function send(topo: Topology, host: string, count: number, intervalMs = 0): Promise<void> {
  const code = `const s=require('dgram').createSocket('udp4');let i=0;s.bind(0,()=>{const go=()=>{if(i++>=${count})return s.close();s.send(Buffer.alloc(18),${PORT},'${host}',()=>setTimeout(go,${intervalMs}));};go();});`;
  await topo.run('s', process.execPath, ['-e', code], { timeoutMs: 60_000 });
}

export { pollUntil };
