// The bench's side of a soak agent (agent.ts) running in a namespace: requests and replies as
// JSON lines, each request bounded by a timeout.

import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

import { stopProcess, type Topology } from '../../../test/harness/netns.js';

const AGENT = path.resolve(fileURLToPath(import.meta.url), '../agent.js');

type Reply = Record<string, unknown>;

export class SoakAgent {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private stderr = '';
  /** Unsolicited events ({event: 'closed', reason}). */
  readonly events: Reply[] = [];

  private constructor(
    readonly node: string,
    readonly child: ChildProcess,
    ready: () => void,
  ) {
    child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as Reply;
      if (msg.event === 'ready') return ready();
      if (msg.id === undefined) return void this.events.push(msg);
      const p = this.pending.get(msg.id as number);
      this.pending.delete(msg.id as number);
      if (msg.ok) p?.resolve(msg);
      else p?.reject(new Error(`soak agent on ${node}: ${String(msg.error)}`));
    });
    child.once('exit', (code, sig) => {
      for (const p of this.pending.values()) p.reject(new Error(`soak agent on ${node} exited (${code ?? sig}): ${this.stderr.trim()}`));
      this.pending.clear();
    });
  }

  static async start(topo: Topology, node: string): Promise<SoakAgent> {
    let ready!: () => void;
    const up = new Promise<void>((r) => (ready = r));
    const child = topo.spawn(node, process.execPath, ['--max-old-space-size=4096', AGENT], { stdio: ['pipe', 'pipe', 'pipe'] });
    const agent = new SoakAgent(node, child, ready);
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`soak agent on ${node} not ready: ${agent.stderr}`)), 10_000).unref());
    await Promise.race([up, timer]);
    return agent;
  }

  request(op: string, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`soak agent on ${this.node}: ${op} gave no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.stdin!.write(JSON.stringify({ id, op, ...args }) + '\n');
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) await this.request('exit', {}, 3000).catch(() => {});
    await stopProcess(this.child, 3000);
  }
}
