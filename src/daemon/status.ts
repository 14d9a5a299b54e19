// routectl show status and show config: what the daemon is (version, uptime, identity, memory,
// table sizes, sessions, forwarding plane) and the configuration it runs, secrets masked
// (routectl prints it as YAML: src/mgmt/config-text.ts).

import { readFileSync } from 'node:fs';
import { maskSecrets } from '../config/mask.js';
import type { Config } from '../config/types.js';
import type { Family } from '../rib/index.js';
import type { FibSummaryView, StatusView } from '../mgmt/views.js';
import type { Daemon } from './daemon.js';

const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

/** Read once: the version of the package this daemon runs from. */
let version: string | undefined;
function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}

export function statusView(d: Daemon, fib: FibSummaryView | undefined): StatusView {
  const cfg = d.config();
  const mem = process.memoryUsage();
  const peers = [...d.peers.values()];
  return {
    version: packageVersion(),
    pid: process.pid,
    startedAt: new Date(d.startedAt).toISOString(),
    uptimeSeconds: Math.floor((Date.now() - d.startedAt) / 1000),
    routerId: cfg.routerId,
    localAs: cfg.localAs,
    memory: { rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external },
    rib: FAMILIES.map((family) => ({ family, prefixes: d.rib.prefixCount(family) })),
    neighbors: { established: peers.filter((p) => p.session.state === 'Established').length, total: peers.length },
    ...(fib && { fib }),
  };
}

/** show config --json: the resolved Config itself (src/config/types.ts), secrets masked. */
export function configJson(cfg: Config): Config {
  return maskSecrets(cfg);
}
