// The lite BGP speaker (tools/bench/lib/agent.ts) as a process inside a namespace, with a typed
// request API: connect, build and send a table, announce/withdraw, wait for counts, read what it
// holds. Used as feeder and collector around a device under test.

import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { PathAttribute } from '../../src/bgp/wire/types.js';
import type { CollectorCounts } from '../../tools/bench/lib/collector.js';
import type { SimpleRoute } from '../../tools/bench/lib/feeder.js';
import { stopProcess, type Topology } from './netns.js';

const AGENT = path.resolve(fileURLToPath(import.meta.url), '../../../tools/bench/lib/agent.js');

export interface LiteConnect {
  host: string;
  port?: number;
  localAddress?: string;
  localAs: number;
  peerAs?: number;
  routerId: string;
  holdTime?: number;
  families?: ('ipv4' | 'ipv6')[];
}

export interface SendResult {
  firstNs: bigint;
  lastNs: bigint;
  bytes: number;
  messages: number;
}

type Reply = Record<string, unknown>;

export class LiteAgent {
  readonly node: string;
  readonly child: ChildProcess;
  /** Events the agent reported on its own (e.g. {event: 'closed', reason}). */
  readonly events: Reply[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private stderr = '';
  private onReady: () => void = () => {};

  private constructor(node: string, child: ChildProcess) {
    this.node = node;
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    child.once('exit', (code, sig) => {
      for (const p of this.pending.values()) p.reject(new Error(`lite agent on ${node} exited (${code ?? sig}): ${this.stderr.trim()}`));
      this.pending.clear();
    });
  }

  /** Start an agent in a node's namespace; resolves when it is ready for requests. */
  static async start(topo: Topology, node: string, opts: { keepAttributes?: boolean; maxOldSpaceMb?: number } = {}): Promise<LiteAgent> {
    const args = [`--max-old-space-size=${opts.maxOldSpaceMb ?? 4096}`, AGENT];
    if (opts.keepAttributes) args.push('--keep-attributes');
    const agent = new LiteAgent(node, topo.spawn(node, process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    await agent.ready(10_000);
    return agent;
  }

  private ready(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`lite agent on ${this.node} not ready in ${timeoutMs} ms: ${this.stderr}`)), timeoutMs);
      const onExit = (): void => {
        clearTimeout(timer);
        reject(new Error(`lite agent on ${this.node} exited: ${this.stderr}`));
      };
      this.onReady = () => {
        clearTimeout(timer);
        this.child.off('exit', onExit);
        resolve();
      };
      this.child.once('exit', onExit);
    });
  }

  private onLine(line: string): void {
    const msg = JSON.parse(line) as Reply;
    const id = msg.id as number | undefined;
    if (id === undefined) {
      this.events.push(msg);
      if (msg.event === 'ready') this.onReady();
      return;
    }
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (!p) return;
    if (msg.ok) p.resolve(msg);
    else p.reject(new Error(`lite agent on ${this.node}: ${String(msg.error)}`));
  }

  /** One request; rejects after timeoutMs or when the agent answers with an error. */
  request(op: string, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`lite agent on ${this.node}: ${op} gave no answer in ${timeoutMs} ms (events: ${JSON.stringify(this.events.slice(-3))})`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.stdin!.write(JSON.stringify({ id, op, ...args }) + '\n');
    });
  }

  /** Connect and wait for Established (the peer must accept within timeoutMs). */
  async connect(c: LiteConnect, timeoutMs = 15_000): Promise<{ peerMyAs: number; peerRouterId: string; holdTime: number }> {
    const r = await this.request('connect', { ...c }, timeoutMs);
    return { peerMyAs: r.peerMyAs as number, peerRouterId: r.peerRouterId as string, holdTime: r.holdTime as number };
  }

  /** Listen (bound when this resolves); then accept() waits for the peer's session. */
  async listen(c: Omit<LiteConnect, 'localAddress'>): Promise<void> {
    await this.request('listen', { ...c });
  }

  /** Wait for the session on the listening socket to reach Established. */
  async accept(timeoutMs = 15_000): Promise<{ peerMyAs: number; peerRouterId: string; holdTime: number }> {
    const r = await this.request('accept', {}, timeoutMs);
    return { peerMyAs: r.peerMyAs as number, peerRouterId: r.peerRouterId as string, holdTime: r.holdTime as number };
  }

  /** Generate the feeder's table (see tools/bench/lib/feeder.ts buildFeed) inside the agent; localAs defaults to the connected session's. */
  async build(o: { v4: number; v6: number; seed?: number; nextHopV4: string; nextHopV6: string; localAs?: number }, timeoutMs = 120_000): Promise<{ v4: number; v6: number; updates: number; bytes: number }> {
    const r = await this.request('build', o, timeoutMs);
    return { v4: r.v4 as number, v6: r.v6 as number, updates: r.updates as number, bytes: r.bytes as number };
  }

  async send(timeoutMs = 300_000): Promise<SendResult> {
    return sendResult(await this.request('send', {}, timeoutMs));
  }

  async announce(routes: SimpleRoute[], timeoutMs = 10_000): Promise<SendResult> {
    return sendResult(await this.request('announce', { routes }, timeoutMs));
  }

  async withdraw(v4: string[], v6: string[], timeoutMs = 10_000): Promise<SendResult> {
    return sendResult(await this.request('withdraw', { v4, v6 }, timeoutMs));
  }

  /** Wait until the agent holds exactly v4 + v6 prefixes; resolves with when (nowNs clock). */
  async waitFor(v4: number, v6: number, timeoutMs: number): Promise<{ atNs: bigint; firstNs: bigint; halfNs: bigint; counts: CollectorCounts }> {
    const r = await this.request('wait', { v4, v6, timeoutMs }, timeoutMs + 5000);
    return { atNs: BigInt(r.atNs as string), firstNs: BigInt(r.firstNs as string), halfNs: BigInt(r.halfNs as string), counts: r.counts as CollectorCounts };
  }

  async counts(): Promise<CollectorCounts> {
    return (await this.request('counts')).counts as CollectorCounts;
  }

  async prefixes(): Promise<{ v4: string[]; v6: string[] }> {
    const r = await this.request('prefixes', {}, 60_000);
    return { v4: r.v4 as string[], v6: r.v6 as string[] };
  }

  /** Held routes with attributes (only filled when started with keepAttributes). */
  async routes(): Promise<{ prefix: string; attributes: PathAttribute[] | null }[]> {
    return (await this.request('routes')).routes as { prefix: string; attributes: PathAttribute[] | null }[];
  }

  /**
   * Gaps between messages the peer sent us, ms, since the last reset (the open gap included);
   * reset starts a new window.
   */
  async gaps(reset = false): Promise<{ keepalives: number; maxKeepaliveGapMs: number; maxMessageGapMs: number }> {
    const r = await this.request('gaps', { reset });
    return { keepalives: r.keepalives as number, maxKeepaliveGapMs: r.maxKeepaliveGapMs as number, maxMessageGapMs: r.maxMessageGapMs as number };
  }

  /** Close the session and end the process (killed if it does not end in 3 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await this.request('close', {}, 3000).catch(() => {});
    }
    await stopProcess(this.child, 3000);
  }
}

function sendResult(r: Reply): SendResult {
  return { firstNs: BigInt(r.firstNs as string), lastNs: BigInt(r.lastNs as string), bytes: r.bytes as number, messages: r.messages as number };
}
