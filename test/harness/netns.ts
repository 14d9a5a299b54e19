// Network-namespace topologies for tests and benchmarks: nodes are namespaces, links are veth
// pairs with addresses from the benchmarking net 198.18.0.0/15 (RFC 2544) and the documentation
// net 2001:db8::/32 (RFC 3849). Nothing here routes out of the machine: namespaces have only their
// loopback and the veths made here, and no default route.
//
// Every topology's namespaces are named `<prefix>-<node>` with a prefix unique to the calling
// file and process (ava runs test files concurrently), and destroy() deletes exactly those.

import { execFile, execFileSync, spawn as spawnChild, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { basename } from 'node:path';
import type { ExecutionContext } from 'ava';

export interface LinkSpec {
  a: string;
  b: string;
}

export interface TopologySpec {
  nodes: string[];
  /** Link i joins a and b on interfaces `e<i>`: 198.18.<i>.1/24 and .2, 2001:db8:0:<i>::1/64 and ::2. */
  links: LinkSpec[];
}

/** One side of a link. Addresses without their length. */
export interface LinkEnd {
  node: string;
  ns: string;
  ifname: string;
  v4: string;
  v6: string;
}

export interface LinkInfo {
  index: number;
  a: LinkEnd;
  b: LinkEnd;
  v4Prefix: string;
  v6Prefix: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Kill the command after this long (default 10 s). */
  timeoutMs?: number;
  /** Return a non-zero exit instead of throwing. */
  allowFail?: boolean;
  env?: NodeJS.ProcessEnv;
  input?: string;
}

const MAX_LINKS = 256;
const live = new Set<Topology>();
let made = 0;

/** Namespace-name prefix from a file name (or any tag), this process's pid and a per-process count. */
export function nsPrefix(tag: string): string {
  const clean = basename(tag).replace(/\.(test\.)?[jt]s$/, '').replace(/[^a-zA-Z0-9]/g, '').slice(0, 16);
  return `rt${clean}${process.pid}n${made++}`;
}

/** The namespaces that exist now (`ip netns list`), names only. */
export function listNamespaces(): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n !== '');
}

/** Run a command, resolving with its exit code and output. Throws on failure unless allowFail. */
export function runCommand(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 10_000, maxBuffer: 256 * 1024 * 1024, env: opts.env ?? process.env, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        if (err && !opts.allowFail) {
          reject(new Error(`${cmd} ${args.join(' ')} failed (${err.killed ? 'timed out' : `exit ${code}`}): ${stderr.trim() || err.message}`));
          return;
        }
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export class Topology {
  readonly prefix: string;
  readonly spec: TopologySpec;
  readonly links: LinkInfo[];
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;

  constructor(prefix: string, spec: TopologySpec) {
    this.prefix = prefix;
    this.spec = spec;
    this.links = spec.links.map((l, i) => linkInfo(i, l, (n) => this.ns(n)));
  }

  /** The namespace name of a node. */
  ns(node: string): string {
    if (!this.spec.nodes.includes(node)) throw new Error(`topology has no node ${node}`);
    return `${this.prefix}-${node}`;
  }

  /** The end on `node` of the (first) link between node and peer. */
  end(node: string, peer: string): LinkEnd {
    for (const l of this.links) {
      if (l.a.node === node && l.b.node === peer) return l.a;
      if (l.b.node === node && l.a.node === peer) return l.b;
    }
    throw new Error(`no link between ${node} and ${peer}`);
  }

  /** Address of node on its link to peer. */
  addr(node: string, peer: string, family: 'ipv4' | 'ipv6' = 'ipv4'): string {
    const e = this.end(node, peer);
    return family === 'ipv4' ? e.v4 : e.v6;
  }

  /** Run a command inside a node's namespace. */
  run(node: string, cmd: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<RunResult> {
    return runCommand('ip', ['netns', 'exec', this.ns(node), cmd, ...args], opts);
  }

  /**
   * Start a long-running process inside a node's namespace. `ip netns exec` execs the command in
   * place, so the child's pid is the command's own (for /proc/PID measurements). destroy() kills
   * whatever is still running.
   */
  spawn(node: string, cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ChildProcess {
    if (this.destroyed) throw new Error('topology destroyed');
    const child = spawnChild('ip', ['netns', 'exec', this.ns(node), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    child.once('error', () => this.children.delete(child));
    return child;
  }

  /** Kill the processes started by spawn() and delete the namespaces (with their veths). Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all([...this.children].map((c) => stopProcess(c, 3000)));
    const mine = new Set(this.spec.nodes.map((n) => this.ns(n)));
    for (const ns of listNamespaces().filter((n) => mine.has(n))) {
      await runCommand('ip', ['netns', 'del', ns], { allowFail: true });
    }
    live.delete(this);
  }

  /**
   * Synchronous last resort for process exit (and the demo's): SIGKILL the processes started by
   * spawn(), which deleting a namespace does not stop (the demo left its BIRD running), then
   * delete the namespaces.
   */
  destroySync(): void {
    for (const c of this.children) c.kill('SIGKILL');
    for (const n of this.spec.nodes) {
      try {
        execFileSync('ip', ['netns', 'del', this.ns(n)], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  }
}

function linkInfo(index: number, l: LinkSpec, ns: (n: string) => string): LinkInfo {
  const ifname = `e${index}`;
  const v6Net = `2001:db8:0:${index.toString(16)}::`;
  return {
    index,
    a: { node: l.a, ns: ns(l.a), ifname, v4: `198.18.${index}.1`, v6: `${v6Net}1` },
    b: { node: l.b, ns: ns(l.b), ifname, v4: `198.18.${index}.2`, v6: `${v6Net}2` },
    v4Prefix: `198.18.${index}.0/24`,
    v6Prefix: `${v6Net}/64`,
  };
}

/** SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. */
export function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function validate(spec: TopologySpec): void {
  const nodes = new Set(spec.nodes);
  if (nodes.size !== spec.nodes.length) throw new Error('duplicate node names');
  for (const n of spec.nodes) if (!/^[a-zA-Z0-9_]+$/.test(n)) throw new Error(`bad node name ${n}`);
  if (spec.links.length > MAX_LINKS) throw new Error(`at most ${MAX_LINKS} links`);
  for (const l of spec.links) {
    if (!nodes.has(l.a) || !nodes.has(l.b) || l.a === l.b) throw new Error(`bad link ${l.a}-${l.b}`);
  }
}

/**
 * Create the namespaces and links of a spec. tag names the caller (its file name): namespaces are
 * `<nsPrefix(tag)>-<node>`. On failure everything made so far is deleted before the error is thrown.
 */
export async function createTopology(spec: TopologySpec, tag: string): Promise<Topology> {
  validate(spec);
  const topo = new Topology(nsPrefix(tag), spec);
  const clash = listNamespaces().filter((n) => spec.nodes.some((node) => n === topo.ns(node)));
  if (clash.length > 0) throw new Error(`namespaces already exist: ${clash.join(', ')}`);
  live.add(topo);
  try {
    const root: string[] = spec.nodes.map((n) => `netns add ${topo.ns(n)}`);
    for (const l of topo.links) {
      root.push(`link add ${l.a.ifname} netns ${l.a.ns} type veth peer name ${l.b.ifname} netns ${l.b.ns}`);
    }
    await runCommand('ip', ['-batch', '-'], { input: root.join('\n') + '\n' });
    for (const node of spec.nodes) {
      const cmds = ['link set lo up'];
      for (const l of topo.links) {
        for (const e of [l.a, l.b]) {
          if (e.node !== node) continue;
          cmds.push(`addr add ${e.v4}/24 dev ${e.ifname}`, `addr add ${e.v6}/64 dev ${e.ifname} nodad`, `link set ${e.ifname} up`);
        }
      }
      await runCommand('ip', ['-n', topo.ns(node), '-batch', '-'], { input: cmds.join('\n') + '\n' });
    }
  } catch (e) {
    await topo.destroy();
    throw e;
  }
  return topo;
}

/** Create a topology for one ava test, destroyed in the test's teardown whatever happens. */
export async function withTopology<T>(
  t: ExecutionContext,
  spec: TopologySpec,
  fn: (topo: Topology) => Promise<T>,
  tag = t.title,
): Promise<T> {
  const topo = await createTopology(spec, tag);
  t.teardown(() => topo.destroy());
  return fn(topo);
}

// A crash or ava's worker exit must not leave namespaces behind.
process.once('exit', () => {
  for (const topo of live) topo.destroySync();
});
