// routed's configuration for the soak topology (config/routed.example.yaml): the feeder and the
// collector are eBGP neighbours with an accept-all policy each way; the watcher has no policy, so
// by RFC 8212 nothing is exchanged with it and only its session is watched. FIB: kernel routes.

import type { Topology } from '../../../test/harness/netns.js';

export interface SoakConfig {
  dutAs: number;
  feederAs: number;
  collectorAs: number;
  watcherAs: number;
  socket: string;
  metricsPort: number;
}

export function soakConfig(topo: Topology, c: SoakConfig): string {
  const q = (s: string): string => JSON.stringify(s);
  const neighbor = (node: string, as: number, policy: boolean): string[] => [
    `  - address: ${q(topo.addr(node, 'dut'))}`,
    `    remote-as: ${as}`,
    `    local-address: ${q(topo.addr('dut', node))}`,
    `    description: ${node}`,
    '    passive: true',
    '    families: [ipv4]',
    ...(policy ? ['    import: accept-all', '    export: accept-all'] : []),
  ];
  return [
    'router-id: 198.18.255.2',
    `local-as: ${c.dutAs}`,
    'listen:',
    `  addresses: [${['feeder', 'collector', 'watcher'].map((n) => q(topo.addr('dut', n))).join(', ')}]`,
    '  port: 179',
    `control-socket: ${q(c.socket)}`,
    'log:',
    '  level: info',
    'metrics:',
    `  listen: "127.0.0.1:${c.metricsPort}"`,
    'fib:',
    '  mode: kernel',
    'policies:',
    '  accept-all:',
    '    default-action: accept',
    'neighbors:',
    ...neighbor('feeder', c.feederAs, true),
    ...neighbor('collector', c.collectorAs, true),
    ...neighbor('watcher', c.watcherAs, false),
  ].join('\n') + '\n';
}
