// The README's demo: three network namespaces in a chain, feeder ↔ bird ↔ routed. A lite BGP
// speaker feeds BIRD a realistic synthetic table (real prefix-length mix, one origin AS per
// block of prefixes, AS paths of 1–10 hops, communities); BIRD announces it to routed over eBGP.
// The demo then shows `routectl show neighbors` and an excerpt of `routectl show rib`, and waits
// for Ctrl-C (or exits at once with --once), removing everything it made on the way out.
//
//   node dist/tools/demo.js [--prefixes N] [--once]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LiteAgent } from '../test/harness/lite.js';
import { createTopology } from '../test/harness/netns.js';
import { Bird, pollUntil } from '../test/harness/peers.js';
import { ROUTED_NODE_FLAGS } from '../src/cli/node-flags.js';

const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../..');
const routectl = path.join(repoRoot, 'dist/src/cli/routectl.js');

function options(argv: string[]): { prefixes: number; once: boolean } {
  const o = { prefixes: 50_000, once: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--once') o.once = true;
    else if (argv[i] === '--prefixes') o.prefixes = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (!Number.isInteger(o.prefixes) || o.prefixes < 1 || o.prefixes > 1_000_000) throw new Error('--prefixes 1..1000000');
  return o;
}

function routedConfig(a: { routerId: string; birdAddr: string; localAddr: string; socket: string }): string {
  return `# routed demo configuration: one eBGP neighbour (BIRD), everything accepted.
router-id: ${a.routerId}
local-as: 65020
listen:
  addresses: [${a.localAddr}]
control-socket: ${JSON.stringify(a.socket)}
log:
  level: info
policies:
  accept-all:
    default-action: accept
neighbors:
  - address: ${a.birdAddr}
    remote-as: 65010
    description: bird
    local-address: ${a.localAddr}
    families: [ipv4, ipv6]
    import: accept-all
    export: accept-all
`;
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'routed-demo-'));
  const topo = await createTopology({ nodes: ['feeder', 'bird', 'routed'], links: [{ a: 'feeder', b: 'bird' }, { a: 'bird', b: 'routed' }] }, 'demo');
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    topo.destroySync();
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    console.log('\nCtrl-C: removing the demo namespaces');
    cleanup();
    process.exit(0);
  });
  try {
    const socket = path.join(dir, 'routed.sock');
    const file = path.join(dir, 'routed.yaml');
    writeFileSync(file, routedConfig({ routerId: '198.18.255.20', birdAddr: topo.addr('bird', 'routed'), localAddr: topo.addr('routed', 'bird'), socket }));
    console.log(`== namespaces: ${['feeder', 'bird', 'routed'].map((n) => topo.ns(n)).join(', ')}`);
    const bird = new Bird(topo, 'bird', {
      routerId: '198.18.255.10',
      localAs: 65010,
      neighbors: [
        { address: topo.addr('feeder', 'bird'), remoteAs: 65001, localAddress: topo.addr('bird', 'feeder'), passive: true },
        { address: topo.addr('routed', 'bird'), remoteAs: 65020, localAddress: topo.addr('bird', 'routed') },
      ],
    });
    await bird.start();
    const routed = topo.spawn('routed', process.execPath, [...ROUTED_NODE_FLAGS, path.join(repoRoot, 'dist/src/cli/routed.js'), '--config', file]);
    routed.stdout!.on('data', (d: Buffer) => process.stdout.write(`  routed | ${d.toString().replace(/\n(?=.)/g, '\n  routed | ')}`));
    routed.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
    const feeder = await LiteAgent.start(topo, 'feeder');
    const built = await feeder.build(
      { v4: o.prefixes, v6: Math.floor(o.prefixes / 5), seed: 1, localAs: 65001, nextHopV4: topo.addr('feeder', 'bird'), nextHopV6: topo.addr('feeder', 'bird', 'ipv6') },
      120_000,
    );
    await feeder.connect({ host: topo.addr('bird', 'feeder'), localAddress: topo.addr('feeder', 'bird'), localAs: 65001, peerAs: 65010, routerId: '198.18.255.1' }, 30_000);
    console.log(`== feeding BIRD ${built.v4} IPv4 and ${built.v6} IPv6 prefixes; BIRD announces them to routed`);
    await feeder.send(120_000);
    // stderr piped, not inherited: while routed starts, the polls' "connect ENOENT" stays quiet.
    const ctl = (...args: string[]): string =>
      execFileSync('ip', ['netns', 'exec', topo.ns('routed'), process.execPath, routectl, ...args, '--socket', socket], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
    await pollUntil(
      async () => {
        try {
          const n = JSON.parse(ctl('show', 'neighbors', '--json').trim().split('\n')[0] ?? '{}') as { accepted?: number };
          return (n.accepted ?? 0) >= built.v4 + built.v6;
        } catch {
          return false;
        }
      },
      120_000,
      'routed to hold the whole table',
      () => bird.logTail(10),
    );
    console.log('\n$ routectl show neighbors');
    process.stdout.write(ctl('show', 'neighbors'));
    console.log('\n$ routectl show rib --family ipv4   (first 12 lines)');
    process.stdout.write(ctl('show', 'rib', '--family', 'ipv4').split('\n').slice(0, 12).join('\n') + '\n');
    const v6 = ctl('show', 'rib', '--family', 'ipv6', '--json').split('\n').filter(Boolean);
    const bgpEntry = v6.map((l) => JSON.parse(l) as { prefix: string; paths: { source: string }[] }).find((e) => e.paths[0]?.source === 'bgp');
    const prefix = bgpEntry?.prefix;
    if (prefix) {
      console.log(`\n$ routectl show rib ${prefix}`);
      process.stdout.write(ctl('show', 'rib', prefix));
    }
    if (o.once) return;
    console.log(`\nThe demo keeps running. Try:\n  ip netns exec ${topo.ns('routed')} node ${routectl} show neighbors --socket ${socket}\nCtrl-C stops it and removes the namespaces.`);
    await new Promise(() => undefined);
  } finally {
    cleanup();
  }
}

// Exit explicitly: the agents' and daemons' pipes would otherwise keep the event loop alive
// after the namespaces (and the processes in them) are gone.
main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`demo failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
