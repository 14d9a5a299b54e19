// The routed configuration for the convergence topology (config/routed.example.yaml): the device
// under test listens on its two link addresses, both neighbours are passive eBGP with every
// family and an accept-all policy each way (without one, RFC 8212 would block eBGP routes).

export interface DutNeighbor {
  address: string;
  remoteAs: number;
  localAddress: string;
  description: string;
}

export interface DutConfig {
  routerId: string;
  localAs: number;
  neighbors: DutNeighbor[];
  controlSocket: string;
  /** routed's FIB: off (default, like BIRD without a kernel protocol) or kernel routes. */
  fibMode?: 'off' | 'kernel';
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** The start-up warm-up (default on, as in routed's own default). */
  warmUp?: boolean;
}

/** YAML text: every value is an address, a number or a fixed word, so no quoting is needed beyond IPv6. */
export function routedConfig(c: DutConfig): string {
  const q = (s: string): string => JSON.stringify(s);
  const lines = [
    `router-id: ${c.routerId}`,
    `local-as: ${c.localAs}`,
    'listen:',
    `  addresses: [${c.neighbors.map((n) => q(n.localAddress)).join(', ')}]`,
    '  port: 179',
    `control-socket: ${q(c.controlSocket)}`,
    `warm-up: ${c.warmUp ?? true}`,
    'log:',
    `  level: ${c.logLevel ?? 'warn'}`,
    // Without --fib BIRD runs with no kernel protocol, and routed's FIB is off too: same work.
    'fib:',
    `  mode: ${c.fibMode ?? 'off'}`,
    'policies:',
    '  accept-all:',
    '    default-action: accept',
    'neighbors:',
  ];
  for (const n of c.neighbors) {
    lines.push(
      `  - address: ${q(n.address)}`,
      `    remote-as: ${n.remoteAs}`,
      `    local-address: ${q(n.localAddress)}`,
      `    description: ${q(n.description)}`,
      '    passive: true',
      '    families: [ipv4, ipv6]',
      '    import: accept-all',
      '    export: accept-all',
    );
  }
  return lines.join('\n') + '\n';
}
