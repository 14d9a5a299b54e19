// routed as a process in a topology's namespace, for daemon-level tests: its configuration,
// control socket and log in a temporary directory, routectl run against that socket, and bounded
// waits on what routectl shows. The control socket is a path, not a network endpoint, so
// routectl runs from the test's own namespace.

import type { ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { NeighborView, RibEntryView } from '../../src/mgmt/views.js';
import { runCommand, stopProcess, type RunResult, type Topology } from '../harness/netns.js';
import { pollUntil } from '../harness/peers.js';

export const REPO = path.resolve(fileURLToPath(import.meta.url), '../../../..');
export const ROUTED = path.join(REPO, 'dist/src/cli/routed.js');
export const ROUTECTL = path.join(REPO, 'dist/src/cli/routectl.js');

/** Run routectl with the given arguments; never throws on a non-zero exit. */
export function routectl(args: readonly string[], timeoutMs = 20_000): Promise<RunResult> {
  return runCommand(process.execPath, [ROUTECTL, ...args], { allowFail: true, timeoutMs });
}

/** JSON lines of a --json answer. */
export function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export class RoutedProcess {
  readonly dir: string;
  readonly socket: string;
  readonly configFile: string;
  private readonly logFile: string;
  private child: ChildProcess | undefined;

  /** configText: the YAML without control-socket (added here, in the temporary directory). */
  constructor(
    private readonly topo: Topology,
    readonly node: string,
    configText: string,
  ) {
    this.dir = mkdtempSync(path.join(tmpdir(), `routed-test-${node}-`));
    this.socket = path.join(this.dir, 'routed.sock');
    this.configFile = path.join(this.dir, 'routed.yaml');
    this.logFile = path.join(this.dir, 'routed.log');
    // No forwarding unless the test asks for it (a `fib:` section of its own).
    const fib = /^fib:/m.test(configText) ? '' : 'fib: {mode: "off"}\n';
    writeFileSync(this.configFile, `control-socket: ${JSON.stringify(this.socket)}\n${fib}${configText}`);
  }

  /** Start and wait until the control socket answers. */
  async start(timeoutMs = 15_000): Promise<void> {
    const child = this.topo.spawn(this.node, process.execPath, [ROUTED, '--config', this.configFile]);
    const keep = (d: Buffer): void => appendFileSync(this.logFile, d);
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', (code, sig) => appendFileSync(this.logFile, `[test] routed exited: ${code ?? sig}\n`));
    this.child = child;
    // An exit ends the wait at once (the check "succeeds"), and is reported with the log.
    const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
    await pollUntil(async () => exited() || (await this.ctl(['show', 'neighbors', '--json'])).code === 0, timeoutMs, `routed on ${this.node}: control socket`, () => this.logTail());
    if (exited()) throw new Error(`routed on ${this.node} exited at start:\n${this.logTail()}`);
  }

  /** The daemon's pid (for /proc measurements), once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  ctl(args: readonly string[]): Promise<RunResult> {
    return routectl([...args, '--socket', this.socket]);
  }

  /** routectl with --json; throws (with the log tail) on a non-zero exit. */
  async json<T>(args: readonly string[]): Promise<T[]> {
    const r = await this.ctl([...args, '--json']);
    if (r.code !== 0) throw new Error(`routectl ${args.join(' ')} exited ${r.code}: ${r.stderr}\n${this.logTail()}`);
    return jsonLines<T>(r.stdout);
  }

  async neighbor(address: string): Promise<NeighborView> {
    const [n] = await this.json<NeighborView>(['show', 'neighbors', address]);
    if (!n) throw new Error(`no neighbor ${address}`);
    return n;
  }

  async rib(): Promise<RibEntryView[]> {
    return this.json<RibEntryView>(['show', 'rib']);
  }

  /** Wait until the neighbour's view satisfies check; fails naming what, with the log tail. */
  async waitNeighbor(address: string, what: string, check: (n: NeighborView) => boolean, timeoutMs = 20_000): Promise<NeighborView> {
    let last: NeighborView | undefined;
    await pollUntil(
      async () => {
        last = await this.neighbor(address);
        return check(last);
      },
      timeoutMs,
      `routed on ${this.node}: neighbor ${address} ${what} (last seen ${JSON.stringify(last)})`,
      () => this.logTail(),
    );
    return last!;
  }

  waitEstablished(address: string, timeoutMs = 20_000): Promise<NeighborView> {
    return this.waitNeighbor(address, 'Established', (n) => n.state === 'Established', timeoutMs);
  }

  /** Wait until the RIB has the prefix with a best path satisfying check. */
  async waitRoute(prefix: string, what: string, check: (e: RibEntryView) => boolean, timeoutMs = 20_000): Promise<RibEntryView> {
    let last: RibEntryView | undefined;
    await pollUntil(
      async () => {
        const r = await this.ctl(['show', 'rib', prefix, '--json']);
        last = r.code === 0 ? jsonLines<RibEntryView>(r.stdout)[0] : undefined;
        return last !== undefined && check(last);
      },
      timeoutMs,
      `routed on ${this.node}: ${prefix} ${what} (last seen ${JSON.stringify(last)})`,
      () => this.logTail(),
    );
    return last!;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  logTail(lines = 40): string {
    return `--- routed on ${this.node} ---\n${this.log().split('\n').slice(-lines).join('\n')}`;
  }

  async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child, 3000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
