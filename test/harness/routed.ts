// routed itself as a daemon inside a topology's namespace, for the interop tests: a generated
// configuration (config/routed.example.yaml keys), the process started and stopped by its pid,
// its log captured to a file, and `ctl(args)`, which runs the real routectl against the control
// socket. The waits poll `routectl … --json`, so they exercise the operator's view of the daemon.

import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { NeighborView, RibEntryView, RibPathView } from '../../src/mgmt/views.js';
import { canonicalPrefix } from '../../src/rib/index.js';
import { runCommand, stopProcess, type Topology } from './netns.js';
import { pollUntil } from './peers.js';

const DIST = path.resolve(fileURLToPath(import.meta.url), '../../../src/cli');
const ROUTED = path.join(DIST, 'routed.js');
const ROUTECTL = path.join(DIST, 'routectl.js');

export interface RoutedNeighbor {
  address: string;
  remoteAs: number;
  localAddress?: string;
  description?: string;
  passive?: boolean;
  families?: ('ipv4' | 'ipv6')[];
  /** Policy names; the default is the accept-all policy every generated config has. */
  import?: string[];
  export?: string[];
  password?: string;
  /** GTSM (RFC 5082): the number of hops, `ttl-security`. */
  ttlSecurity?: number;
  gracefulRestart?: { enabled: boolean; restartTime?: number };
  holdTime?: number;
  connectRetry?: number;
  nextHopSelf?: boolean;
}

export interface RoutedStatic {
  prefix: string;
  /** Default: blackhole. */
  via?: string;
}

export interface RoutedSpec {
  routerId: string;
  localAs: number;
  /** Listen addresses; default: every neighbour's local address. */
  listen?: string[];
  neighbors: RoutedNeighbor[];
  staticRoutes?: RoutedStatic[];
  /** More policies: YAML lines at the indentation of `accept-all` (2 spaces), under `policies:`. */
  policiesYaml?: string;
  /** Extra top-level YAML (e.g. prefix-lists) appended verbatim; not `policies`. */
  extraYaml?: string;
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** fib.mode (default off: interop tests check routing, not forwarding, and stay light). */
  fibMode?: 'xdp+kernel' | 'kernel' | 'xdp' | 'off';
}

/** An address in routed's canonical text (2001:db8:0:0::1 → 2001:db8::1), as its logs and views show it. */
export function canonicalAddress(address: string): string {
  const p = canonicalPrefix(address);
  if (!p) throw new Error(`not an address: ${address}`);
  return p.prefix.slice(0, p.prefix.indexOf('/'));
}

const q = (s: string): string => JSON.stringify(s);
const list = (xs: readonly string[]): string => `[${xs.map(q).join(', ')}]`;

function neighborYaml(n: RoutedNeighbor): string[] {
  const out = [`  - address: ${q(n.address)}`, `    remote-as: ${n.remoteAs}`];
  if (n.localAddress) out.push(`    local-address: ${q(n.localAddress)}`);
  if (n.description) out.push(`    description: ${q(n.description)}`);
  if (n.passive) out.push('    passive: true');
  if (n.families) out.push(`    families: ${list(n.families)}`);
  out.push(`    import: ${list(n.import ?? ['accept-all'])}`, `    export: ${list(n.export ?? ['accept-all'])}`);
  if (n.password) out.push(`    password: ${q(n.password)}`);
  if (n.ttlSecurity !== undefined) out.push(`    ttl-security: ${n.ttlSecurity}`);
  if (n.gracefulRestart) {
    out.push('    graceful-restart:', `      enabled: ${n.gracefulRestart.enabled}`);
    if (n.gracefulRestart.restartTime !== undefined) out.push(`      restart-time: ${n.gracefulRestart.restartTime}`);
  }
  if (n.holdTime !== undefined) out.push(`    hold-time: ${n.holdTime}`);
  // Short retries: the tests restart peers and must not wait the default 120 s.
  out.push(`    connect-retry: ${n.connectRetry ?? 2}`);
  if (n.nextHopSelf) out.push('    next-hop-self: true');
  return out;
}

/** The YAML text for a spec and a control socket path. */
export function routedYaml(spec: RoutedSpec, socket: string): string {
  const listen = spec.listen ?? [...new Set(spec.neighbors.map((n) => n.localAddress).filter((a): a is string => !!a))];
  const lines = [
    `router-id: ${spec.routerId}`,
    `local-as: ${spec.localAs}`,
    'listen:',
    `  addresses: ${list(listen)}`,
    `control-socket: ${q(socket)}`,
    'log:',
    `  level: ${spec.logLevel ?? 'debug'}`,
    'fib:',
    `  mode: ${q(spec.fibMode ?? 'off')}`,
    'policies:',
    '  accept-all:',
    '    default-action: accept',
  ];
  if (spec.policiesYaml) lines.push(spec.policiesYaml.trimEnd());
  if (spec.staticRoutes?.length) {
    lines.push('static-routes:');
    for (const s of spec.staticRoutes) lines.push(`  - prefix: ${q(s.prefix)}`, s.via ? `    via: ${q(s.via)}` : '    blackhole: true');
  }
  lines.push('neighbors:', ...spec.neighbors.flatMap(neighborYaml));
  return lines.join('\n') + '\n' + (spec.extraYaml ?? '');
}

export class Routed {
  readonly dir: string;
  readonly socket: string;
  readonly configFile: string;
  readonly logFile: string;
  private child: ChildProcess | undefined;

  constructor(
    private readonly topo: Topology,
    readonly node: string,
    spec: RoutedSpec,
  ) {
    this.dir = mkdtempSync(path.join(tmpdir(), `routed-interop-${node}-`));
    this.socket = path.join(this.dir, 'routed.sock');
    this.configFile = path.join(this.dir, 'routed.yaml');
    this.logFile = path.join(this.dir, 'routed.log');
    writeFileSync(this.configFile, routedYaml(spec, this.socket));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Start the daemon; resolves when the control socket answers. */
  async start(timeoutMs = 15_000): Promise<void> {
    const child = this.topo.spawn(this.node, process.execPath, [ROUTED, '--config', this.configFile]);
    const keep = (d: Buffer): void => appendFileSync(this.logFile, d);
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', (code, sig) => appendFileSync(this.logFile, `\n[harness] routed exited: ${code ?? sig}\n`));
    this.child = child;
    await pollUntil(async () => this.running() && (await this.ctl(['show', 'neighbors', '--json'])).code === 0, timeoutMs, `routed on ${this.node} start`, () => this.logTail());
  }

  private running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** routectl ARGS --socket S inside the namespace; never throws on a non-zero exit. */
  ctl(args: string[], timeoutMs = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
    return runCommand('ip', ['netns', 'exec', this.topo.ns(this.node), process.execPath, ROUTECTL, ...args, '--socket', this.socket], { timeoutMs, allowFail: true });
  }

  /** JSON lines of a routectl command run with --json. */
  async ctlJson<T>(args: string[]): Promise<T[]> {
    const r = await this.ctl([...args, '--json']);
    if (r.code !== 0) throw new Error(`routectl ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
    return r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as T);
  }

  async neighbor(address: string): Promise<NeighborView> {
    const [n] = await this.ctlJson<NeighborView>(['show', 'neighbors', address]);
    if (!n) throw new Error(`routectl show neighbors ${address}: no answer`);
    return n;
  }

  /** The RIB entry of one prefix, or undefined when routed has none. */
  async ribEntry(prefix: string): Promise<RibEntryView | undefined> {
    const r = await this.ctl(['show', 'rib', prefix, '--json']);
    if (r.code === 1) return undefined;
    if (r.code !== 0) throw new Error(`routectl show rib ${prefix}: exit ${r.code}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout.trim().split('\n')[0]!) as RibEntryView;
  }

  /** The best path of a prefix (routectl's first path), or undefined. */
  async best(prefix: string): Promise<RibPathView | undefined> {
    const e = await this.ribEntry(prefix);
    return e?.paths.find((p) => p.best);
  }

  async waitState(address: string, state: string, timeoutMs: number): Promise<NeighborView> {
    let last: NeighborView | undefined;
    await pollUntil(
      async () => (last = await this.neighbor(address)).state === state,
      timeoutMs,
      `routed: session with ${address} ${state} (last: ${last?.state ?? '?'} ${last?.lastError ?? ''})`,
      () => this.logTail(),
    );
    return last!;
  }

  waitEstablished(address: string, timeoutMs: number): Promise<NeighborView> {
    return this.waitState(address, 'Established', timeoutMs);
  }

  /** Wait until the best path of prefix satisfies check (default: exists); returns it. */
  async waitRoute(prefix: string, timeoutMs: number, check: (p: RibPathView) => boolean = () => true, what = 'present'): Promise<RibPathView> {
    let found: RibPathView | undefined;
    await pollUntil(async () => !!(found = await this.best(prefix)) && check(found), timeoutMs, `routed: route ${prefix} ${what}`, () => this.logTail());
    return found!;
  }

  async waitNoRoute(prefix: string, timeoutMs: number): Promise<void> {
    await pollUntil(async () => (await this.ribEntry(prefix)) === undefined, timeoutMs, `routed: route ${prefix} gone`, () => this.logTail());
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  logTail(lines = 40): string {
    return `--- routed log ---\n${this.log().split('\n').slice(-lines - 1).join('\n')}`;
  }

  /** SIGTERM (Cease to every peer), SIGKILL after the grace time; removes the temp dir. */
  async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child, 3000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
