// Real BGP daemons as peers inside a topology's namespaces: BIRD 2, GoBGP, FRR's bgpd and ExaBGP,
// each with a generated configuration, sockets and logs in its own temporary directory, so any
// number of instances run side by side. Each has the same small API: start, waitEstablished,
// routes (the prefixes in its RIB), waitRoute, logTail, stop.

import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { stopProcess, type RunResult, type Topology } from './netns.js';

export type PeerFamily = 'ipv4' | 'ipv6';
export type PeerKind = 'bird' | 'gobgp' | 'frr' | 'exabgp';

export interface NeighborSpec {
  address: string;
  remoteAs: number;
  /** Source address for the session. */
  localAddress?: string;
  /** Wait for the neighbour to connect (default false). */
  passive?: boolean;
  /** Default both. */
  families?: PeerFamily[];
  /** Graceful restart capability (RFC 4724) with this restart time in seconds (GoBGP, ExaBGP). */
  gracefulRestartTime?: number;
}

export interface PeerSpec {
  routerId: string;
  localAs: number;
  neighbors: NeighborSpec[];
  /** Prefixes the daemon originates itself (next hop: itself). */
  originate?: string[];
  /**
   * Next hop of originated IPv6 prefixes where the daemon cannot find one itself: ExaBGP's
   * `next-hop self` on an IPv4 session puts the IPv4 address into MP_REACH_NLRI.
   */
  nextHopV6?: string;
}

export interface PeerDaemon {
  readonly kind: PeerKind;
  readonly node: string;
  readonly dir: string;
  /** The daemon's own pid (for /proc measurements), once started. */
  readonly pid: number | undefined;
  start(timeoutMs?: number): Promise<void>;
  /** Resolve when the session with peerAddr is Established; reject with the log tail otherwise. */
  waitEstablished(peerAddr: string, timeoutMs: number): Promise<void>;
  /** Prefixes of one family in the daemon's RIB (received and originated), sorted. */
  routes(family: PeerFamily): Promise<string[]>;
  /** Resolve when the prefix is in the RIB; reject with the log tail otherwise. */
  waitRoute(prefix: string, timeoutMs: number): Promise<void>;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

const POLL_MS = 150;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until check() is true; on timeout throw an error naming what and the daemon's log tail. */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, what: string, tail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms. Log tail:\n${tail()}`);
    await sleep(POLL_MS);
  }
}

function tailOf(file: string, lines: number): string {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
}

function families(n: NeighborSpec): PeerFamily[] {
  return n.families ?? ['ipv4', 'ipv6'];
}

const isV6 = (prefix: string): boolean => prefix.includes(':');

/** What every launcher shares: the temp dir, the process, its output captured into a log file. */
abstract class DaemonBase implements PeerDaemon {
  abstract readonly kind: PeerKind;
  readonly dir: string;
  protected child: ChildProcess | undefined;
  protected readonly outFile: string;

  constructor(
    protected readonly topo: Topology,
    readonly node: string,
    protected readonly spec: PeerSpec,
  ) {
    this.dir = mkdtempSync(path.join(tmpdir(), `routed-peer-${node}-`));
    this.outFile = path.join(this.dir, 'output.log');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  protected launch(cmd: string, args: string[], env?: NodeJS.ProcessEnv): void {
    const child = this.topo.spawn(this.node, cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    const keep = (d: Buffer): void => appendFileSync(this.outFile, d);
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', (code, sig) => appendFileSync(this.outFile, `\n[harness] ${cmd} exited: ${code ?? sig}\n`));
    this.child = child;
  }

  protected exited(): boolean {
    return !this.child || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The daemon's output and its own log file, last lines of each. */
  logTail(lines = 30): string {
    const own = this.logFile();
    return `--- ${this.kind} output ---\n${tailOf(this.outFile, lines)}${own ? `\n--- ${own} ---\n${tailOf(own, lines)}` : ''}`;
  }

  protected logFile(): string | undefined {
    return undefined;
  }

  protected run(cmd: string, args: string[], timeoutMs = 5000): Promise<RunResult> {
    return this.topo.run(this.node, cmd, args, { timeoutMs });
  }

  async waitRoute(prefix: string, timeoutMs: number): Promise<void> {
    const fam: PeerFamily = isV6(prefix) ? 'ipv6' : 'ipv4';
    await pollUntil(async () => (await this.routes(fam)).includes(prefix), timeoutMs, `${this.kind} on ${this.node}: route ${prefix}`, () => this.logTail());
  }

  async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child, 3000);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** SIGKILL the daemon (a crash: no NOTIFICATION) and wait for it to exit; the dir stays for a restart. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || this.exited()) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  abstract start(timeoutMs?: number): Promise<void>;
  abstract waitEstablished(peerAddr: string, timeoutMs: number): Promise<void>;
  abstract routes(family: PeerFamily): Promise<string[]>;
}

// ---- BIRD 2 ----

/** BIRD protocol name for a neighbour address. */
export function birdProtoName(addr: string): string {
  return 'n_' + addr.replace(/[.:]/g, '_');
}

/** A BIRD 2 configuration: device protocol, one BGP protocol per neighbour (import/export all), statics. */
export function birdConfig(spec: PeerSpec, logFile: string): string {
  const out = [`router id ${spec.routerId};`, `log "${logFile}" all;`, 'protocol device { scan time 10; }'];
  const orig = spec.originate ?? [];
  for (const fam of ['ipv4', 'ipv6'] as const) {
    const mine = orig.filter((p) => isV6(p) === (fam === 'ipv6'));
    if (mine.length) out.push(`protocol static static_${fam} { ${fam}; ${mine.map((p) => `route ${p} blackhole;`).join(' ')} }`);
  }
  for (const n of spec.neighbors) {
    out.push(`protocol bgp ${birdProtoName(n.address)} {`);
    out.push(`  local ${n.localAddress ?? ''} as ${spec.localAs};`, `  neighbor ${n.address} as ${n.remoteAs};`);
    if (n.passive) out.push('  passive on;');
    out.push('  connect retry time 2;', '  error wait time 1, 5;');
    // RFC 8212 in BIRD: eBGP channels need explicit filters; the tests want everything through.
    for (const f of families(n)) out.push(`  ${f} { import all; export all; };`);
    out.push('}');
  }
  return out.join('\n') + '\n';
}

export interface BirdProtocol {
  name: string;
  proto: string;
  table: string;
  state: string;
  info: string;
}

export class Bird extends DaemonBase {
  readonly kind = 'bird';
  readonly socket: string;
  readonly config: string;

  /** configText overrides the generated configuration (the benchmark's DUT). */
  constructor(topo: Topology, node: string, spec: PeerSpec, configText?: string) {
    super(topo, node, spec);
    this.socket = path.join(this.dir, 'bird.ctl');
    this.config = path.join(this.dir, 'bird.conf');
    writeFileSync(this.config, configText ?? birdConfig(spec, path.join(this.dir, 'bird.log')));
  }

  protected override logFile(): string {
    return path.join(this.dir, 'bird.log');
  }

  /** extraArgs: e.g. ['-R'], graceful restart recovery after a restart. */
  async start(timeoutMs = 10_000, extraArgs: string[] = []): Promise<void> {
    this.launch('bird', ['-f', '-c', this.config, '-s', this.socket, '-P', path.join(this.dir, 'bird.pid'), ...extraArgs]);
    await pollUntil(async () => !this.exited() && (await this.birdc('show status')).includes('Daemon is up'), timeoutMs, `bird on ${this.node} start`, () => this.logTail());
  }

  /** birdc output for one command. */
  async birdc(command: string, timeoutMs = 5000): Promise<string> {
    return (await this.run('birdc', ['-s', this.socket, command], timeoutMs)).stdout;
  }

  async showProtocols(): Promise<BirdProtocol[]> {
    const rows = (await this.birdc('show protocols')).split('\n');
    const out: BirdProtocol[] = [];
    for (const row of rows) {
      const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+(?:\s+\S+)?\s{2,}(.*)$/.exec(row) ?? /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(row);
      if (!m || m[1] === 'Name' || m[1] === 'BIRD') continue;
      out.push({ name: m[1]!, proto: m[2]!, table: m[3]!, state: m[4]!, info: m[5]?.trim() ?? '' });
    }
    return out;
  }

  async waitEstablished(peerAddr: string, timeoutMs: number): Promise<void> {
    const name = birdProtoName(peerAddr);
    const up = async (): Promise<boolean> => (await this.birdc(`show protocols ${name}`)).includes('Established');
    await pollUntil(up, timeoutMs, `bird on ${this.node}: session with ${peerAddr}`, () => this.logTail());
  }

  /** Routes per table: {master4, master6} from `show route count`. */
  async routeCount(): Promise<{ v4: number; v6: number }> {
    const text = await this.birdc('show route count');
    const per = (table: string): number => Number(new RegExp(`(\\d+) of \\d+ routes for \\d+ networks in table ${table}`).exec(text)?.[1] ?? 0);
    return { v4: per('master4'), v6: per('master6') };
  }

  async routes(family: PeerFamily): Promise<string[]> {
    const text = await this.birdc(`show route table ${family === 'ipv4' ? 'master4' : 'master6'}`, 30_000);
    const out: string[] = [];
    for (const line of text.split('\n')) {
      const m = /^([0-9a-f.:]+\/\d+)\s/.exec(line);
      if (m) out.push(m[1]!);
    }
    return out.sort();
  }

  /** `show route for X all`: the full text (attributes, next hop) for one destination. */
  routeDetail(prefix: string): Promise<string> {
    return this.birdc(`show route for ${prefix} all`);
  }
}

// ---- GoBGP ----

let gobgpPorts = 0;

/** GoBGP TOML: one neighbour block per neighbour with its families. */
export function gobgpConfig(spec: PeerSpec): string {
  const out = ['[global.config]', `  as = ${spec.localAs}`, `  router-id = "${spec.routerId}"`, '  port = 179', ''];
  for (const n of spec.neighbors) {
    out.push('[[neighbors]]', '  [neighbors.config]', `    neighbor-address = "${n.address}"`, `    peer-as = ${n.remoteAs}`);
    out.push('  [neighbors.timers.config]', '    connect-retry = 2');
    out.push('  [neighbors.transport.config]', `    passive-mode = ${n.passive ? 'true' : 'false'}`);
    if (n.localAddress) out.push(`    local-address = "${n.localAddress}"`);
    const gr = n.gracefulRestartTime;
    if (gr !== undefined) out.push('  [neighbors.graceful-restart.config]', '    enabled = true', `    restart-time = ${gr}`);
    for (const f of families(n)) {
      out.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = "${f}-unicast"`);
      if (gr !== undefined) out.push('    [neighbors.afi-safis.mp-graceful-restart.config]', '      enabled = true');
    }
    out.push('');
  }
  return out.join('\n');
}

export class GoBgp extends DaemonBase {
  readonly kind = 'gobgp';
  readonly apiPort: number;
  readonly config: string;

  constructor(topo: Topology, node: string, spec: PeerSpec) {
    super(topo, node, spec);
    // Each namespace has its own loopback, but two instances may share one namespace.
    this.apiPort = 50051 + (gobgpPorts++ % 1000);
    this.config = path.join(this.dir, 'gobgpd.toml');
    writeFileSync(this.config, gobgpConfig(spec));
  }

  /** The gobgp client against this instance. */
  async gobgp(args: string[], timeoutMs = 5000): Promise<string> {
    return (await this.run('gobgp', ['-u', '127.0.0.1', '-p', String(this.apiPort), ...args], timeoutMs)).stdout;
  }

  /** extraArgs: e.g. ['-r'], restarting in graceful-restart mode (RFC 4724 Restart State). */
  async start(timeoutMs = 10_000, extraArgs: string[] = []): Promise<void> {
    this.launch('gobgpd', ['-f', this.config, '-t', 'toml', '--api-hosts', `127.0.0.1:${this.apiPort}`, '--pprof-disable', '-p', '-l', 'info', ...extraArgs]);
    await pollUntil(async () => !this.exited() && (await this.gobgp(['global'])).includes('AS:'), timeoutMs, `gobgpd on ${this.node} start`, () => this.logTail());
    for (const p of this.spec.originate ?? []) await this.gobgp(['global', 'rib', 'add', p, '-a', isV6(p) ? 'ipv6' : 'ipv4']);
  }

  async waitEstablished(peerAddr: string, timeoutMs: number): Promise<void> {
    const up = async (): Promise<boolean> => {
      const j = JSON.parse(await this.gobgp(['neighbor', peerAddr, '-j'])) as { state?: { session_state?: number | string } };
      const s = j.state?.session_state;
      return s === 6 || s === 'established' || s === 'ESTABLISHED';
    };
    await pollUntil(up, timeoutMs, `gobgpd on ${this.node}: session with ${peerAddr}`, () => this.logTail());
  }

  async routes(family: PeerFamily): Promise<string[]> {
    const j = JSON.parse(await this.gobgp(['global', 'rib', '-a', family, '-j'], 30_000)) as Record<string, unknown> | null;
    return Object.keys(j ?? {}).sort();
  }

  /** The best path of each prefix in the global RIB, with the attributes the tests check. */
  async paths(family: PeerFamily): Promise<GoBgpPath[]> {
    const j = JSON.parse(await this.gobgp(['global', 'rib', '-a', family, '-j'], 30_000)) as Record<string, GoBgpJsonPath[]> | null;
    const out: GoBgpPath[] = [];
    for (const [prefix, list] of Object.entries(j ?? {})) {
      const best = list.find((p) => p.best) ?? list[0];
      if (best) out.push(goBgpPath(prefix, best));
    }
    return out.sort((x, y) => (x.prefix < y.prefix ? -1 : 1));
  }
}

interface GoBgpJsonPath {
  best?: boolean;
  stale?: boolean;
  attrs?: { type: number; value?: number; nexthop?: string; as_paths?: { asns?: number[] }[]; metric?: number; communities?: number[] }[];
}

export interface GoBgpPath {
  prefix: string;
  asPath: number[];
  nextHop: string | undefined;
  origin: number | undefined;
  med: number | undefined;
  /** "asn:value" text. */
  communities: string[];
}

function goBgpPath(prefix: string, p: GoBgpJsonPath): GoBgpPath {
  const attr = (type: number): NonNullable<GoBgpJsonPath['attrs']>[number] | undefined => p.attrs?.find((a) => a.type === type);
  return {
    prefix,
    asPath: (attr(2)?.as_paths ?? []).flatMap((s) => s.asns ?? []),
    // NEXT_HOP (3) for IPv4, MP_REACH_NLRI (14) for IPv6.
    nextHop: attr(3)?.nexthop ?? attr(14)?.nexthop,
    origin: attr(1)?.value,
    med: attr(4)?.metric,
    communities: (attr(8)?.communities ?? []).map((c) => `${c >>> 16}:${c & 0xffff}`),
  };
}

// ---- FRR (bgpd alone, no zebra) ----

/** FRR bgpd configuration for a zebra-less instance: no policy requirement, no import check. */
export function frrConfig(spec: PeerSpec, logFile: string): string {
  const out = ['frr defaults traditional', `log file ${logFile}`, '!', `router bgp ${spec.localAs}`, ` bgp router-id ${spec.routerId}`];
  // Without zebra, bgpd knows no interfaces and no IGP: the tests' peers are on the link and the
  // originated prefixes exist nowhere but here.
  out.push(' no bgp ebgp-requires-policy', ' no bgp network import-check', ' no bgp default ipv4-unicast');
  for (const n of spec.neighbors) {
    out.push(` neighbor ${n.address} remote-as ${n.remoteAs}`, ` neighbor ${n.address} disable-connected-check`, ` neighbor ${n.address} timers connect 2`);
    if (n.passive) out.push(` neighbor ${n.address} passive`);
    if (n.localAddress) out.push(` neighbor ${n.address} update-source ${n.localAddress}`);
  }
  for (const fam of ['ipv4', 'ipv6'] as const) {
    out.push(` address-family ${fam} unicast`);
    for (const p of (spec.originate ?? []).filter((x) => isV6(x) === (fam === 'ipv6'))) out.push(`  network ${p}`);
    for (const n of spec.neighbors.filter((x) => families(x).includes(fam))) out.push(`  neighbor ${n.address} activate`);
    out.push(' exit-address-family');
  }
  return out.join('\n') + '\n!\n';
}

export class Frr extends DaemonBase {
  readonly kind = 'frr';
  readonly config: string;
  readonly vtyDir: string;

  constructor(topo: Topology, node: string, spec: PeerSpec) {
    super(topo, node, spec);
    this.config = path.join(this.dir, 'bgpd.conf');
    this.vtyDir = this.dir;
    writeFileSync(this.config, frrConfig(spec, path.join(this.dir, 'bgpd.log')));
  }

  protected override logFile(): string {
    return path.join(this.dir, 'bgpd.log');
  }

  /** vtysh against this instance's vty socket; `show … json` output is parsed by the callers. */
  async vtysh(command: string, timeoutMs = 5000): Promise<string> {
    return (await this.run('vtysh', ['--vty_socket', this.vtyDir, '-d', 'bgpd', '-c', command], timeoutMs)).stdout;
  }

  async start(timeoutMs = 10_000): Promise<void> {
    // -Z: no zebra; -S: stay root (no frr user in a temp dir); -P 0: no TCP vty; -n: no kernel.
    this.launch('/usr/lib/frr/bgpd', [
      '-f', this.config, '-i', path.join(this.dir, 'bgpd.pid'), '-z', path.join(this.dir, 'zserv.api'),
      '--vty_socket', this.vtyDir, '-Z', '-S', '-n', '-P', '0',
    ]);
    await pollUntil(async () => !this.exited() && (await this.vtysh('show bgp summary json')).includes('{'), timeoutMs, `bgpd on ${this.node} start`, () => this.logTail());
  }

  async waitEstablished(peerAddr: string, timeoutMs: number): Promise<void> {
    const up = async (): Promise<boolean> => {
      const j = JSON.parse(await this.vtysh(`show bgp neighbors ${peerAddr} json`)) as Record<string, { bgpState?: string }>;
      return j[peerAddr]?.bgpState === 'Established';
    };
    await pollUntil(up, timeoutMs, `bgpd on ${this.node}: session with ${peerAddr}`, () => this.logTail());
  }

  async routes(family: PeerFamily): Promise<string[]> {
    const j = JSON.parse(await this.vtysh(`show bgp ${family} unicast json`, 30_000)) as { routes?: Record<string, unknown> };
    return Object.keys(j.routes ?? {}).sort();
  }
}

// ---- ExaBGP ----

/**
 * ExaBGP configuration: statics for the originated prefixes, and one API process that appends
 * every JSON message ExaBGP gives it (state changes, parsed UPDATEs) to a file.
 */
export function exabgpConfig(spec: PeerSpec, apiScript: string): string {
  const out = ['process watch {', `  run ${apiScript};`, '  encoder json;', '}'];
  for (const n of spec.neighbors) {
    out.push(`neighbor ${n.address} {`, `  router-id ${spec.routerId};`, `  local-as ${spec.localAs};`, `  peer-as ${n.remoteAs};`);
    if (n.localAddress) out.push(`  local-address ${n.localAddress};`);
    if (n.passive) out.push('  passive;');
    out.push(`  family { ${families(n).map((f) => `${f} unicast;`).join(' ')} }`);
    out.push(`  capability { route-refresh;${n.gracefulRestartTime !== undefined ? ` graceful-restart ${n.gracefulRestartTime};` : ''} }`);
    out.push('  api { processes [ watch ]; neighbor-changes; receive { parsed; update; } }');
    const mine = (spec.originate ?? []).filter((p) => families(n).includes(isV6(p) ? 'ipv6' : 'ipv4'));
    // Explicit next hops where known (see PeerSpec.nextHopV6 for why IPv6 needs one).
    const hop = (p: string): string => (isV6(p) ? spec.nextHopV6 : n.localAddress) ?? 'self';
    if (mine.length) out.push(`  static { ${mine.map((p) => `route ${p} next-hop ${hop(p)};`).join(' ')} }`);
    out.push('}');
  }
  return out.join('\n') + '\n';
}

interface ExaMessage {
  type?: string;
  neighbor?: {
    address?: { peer?: string };
    state?: string;
    message?: { update?: { announce?: Record<string, Record<string, { nlri?: string }[]>>; withdraw?: Record<string, { nlri?: string }[]> } };
  };
}

export class ExaBgp extends DaemonBase {
  readonly kind = 'exabgp';
  readonly config: string;
  readonly received: string;
  /** Lines appended here reach ExaBGP as API commands (command()). */
  private readonly commands: string;

  constructor(topo: Topology, node: string, spec: PeerSpec) {
    super(topo, node, spec);
    this.config = path.join(this.dir, 'exabgp.conf');
    this.received = path.join(this.dir, 'received.jsonl');
    this.commands = path.join(this.dir, 'commands.txt');
    const script = path.join(this.dir, 'api.sh');
    // The shell stays, holding the pipe back to ExaBGP open: ExaBGP treats a closed pipe as the
    // process's death and stops after five restarts. Its stdout (tail of the commands file) is
    // ExaBGP's command input; once ExaBGP closes the pipe, cat ends and takes tail with it.
    writeFileSync(script, `#!/bin/sh\ntail -n +1 -f ${this.commands} &\ncat >> ${this.received}\nkill $!\n`);
    chmodSync(script, 0o755);
    writeFileSync(this.config, exabgpConfig(spec, script));
  }

  protected override logFile(): string {
    return this.received;
  }

  async start(timeoutMs = 10_000): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      'exabgp.daemon.user': 'root',
      'exabgp.daemon.drop': 'false',
      'exabgp.daemon.daemonize': 'false',
      'exabgp.api.cli': 'false',
      'exabgp.log.destination': 'stdout',
      'exabgp.log.level': 'INFO',
      'exabgp.tcp.bind': '',
      // exabgp.* settings in our environment win (e.g. exabgp.log.packets=true when debugging).
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('exabgp.'))),
    };
    // A restarted ExaBGP starts with no commands pending (the API script replays the file).
    writeFileSync(this.commands, '');
    this.launch('exabgp', [this.config], env);
    await pollUntil(async () => !this.exited() && existsSync(this.received), timeoutMs, `exabgp on ${this.node} start`, () => this.logTail());
  }

  /** Send ExaBGP an API command, e.g. `neighbor 198.18.0.2 withdraw route 198.19.50.0/24 next-hop self`. */
  command(line: string): void {
    appendFileSync(this.commands, line + '\n');
  }

  /** Every JSON message the API process has received so far. */
  messages(): ExaMessage[] {
    if (!existsSync(this.received)) return [];
    return readFileSync(this.received, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as ExaMessage);
  }

  async waitEstablished(peerAddr: string, timeoutMs: number): Promise<void> {
    const up = async (): Promise<boolean> => {
      const states = this.messages().filter((m) => m.type === 'state' && m.neighbor?.address?.peer === peerAddr);
      return states.at(-1)?.neighbor?.state === 'up';
    };
    await pollUntil(up, timeoutMs, `exabgp on ${this.node}: session with ${peerAddr}`, () => this.logTail());
  }

  /** Prefixes received (announced and not since withdrawn) plus the originated ones. */
  async routes(family: PeerFamily): Promise<string[]> {
    const key = `${family} unicast`;
    const held = new Set((this.spec.originate ?? []).filter((p) => isV6(p) === (family === 'ipv6')));
    for (const m of this.messages()) {
      const u = m.neighbor?.message?.update;
      if (!u) continue;
      for (const w of u.withdraw?.[key] ?? []) if (w.nlri) held.delete(w.nlri);
      for (const list of Object.values(u.announce?.[key] ?? {})) for (const a of list) if (a.nlri) held.add(a.nlri);
    }
    return [...held].sort();
  }
}

/** Construct a launcher by kind. */
export function makePeer(kind: PeerKind, topo: Topology, node: string, spec: PeerSpec): PeerDaemon {
  switch (kind) {
    case 'bird':
      return new Bird(topo, node, spec);
    case 'gobgp':
      return new GoBgp(topo, node, spec);
    case 'frr':
      return new Frr(topo, node, spec);
    case 'exabgp':
      return new ExaBgp(topo, node, spec);
  }
}
