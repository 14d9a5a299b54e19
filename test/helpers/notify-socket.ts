// A service manager's notify socket for tests: a real AF_UNIX datagram socket (bound by a small
// python3 process, since Node has no Unix datagram sockets) that records every datagram it gets,
// with the receiver's CLOCK_MONOTONIC at arrival, so tests can check what routed sends and when.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

import { pollUntil } from '../harness/peers.js';

const RECEIVER = `
import json, socket, sys, time
name = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\\0" + name[1:] if name.startswith("@") else name)
print(json.dumps({"bound": True}), flush=True)
while True:
    data = s.recv(65536)
    now = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    print(json.dumps({"text": data.decode(), "monotonicUsec": now}), flush=True)
`;

export interface Datagram {
  /** KEY=VALUE lines as sent. */
  text: string;
  /** The assignments, parsed. */
  fields: Record<string, string>;
  /** The receiver's CLOCK_MONOTONIC when it arrived, µs. */
  monotonicUsec: number;
}

export class NotifySocket {
  readonly received: Datagram[] = [];
  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {}

  /** Bind `name` (a path, or '@abstract'); resolves once it is bound. */
  static async open(name: string): Promise<NotifySocket> {
    const child = spawn('python3', ['-c', RECEIVER, name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const sock = new NotifySocket(name, child);
    let bound = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { bound?: boolean; text?: string; monotonicUsec?: number };
      if (m.bound) bound = true;
      if (m.text === undefined) return;
      const fields = Object.fromEntries(m.text.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      sock.received.push({ text: m.text, fields, monotonicUsec: m.monotonicUsec ?? 0 });
    });
    await pollUntil(async () => bound || child.exitCode !== null, 10_000, `notify socket ${name} bound`, () => stderr);
    if (!bound) throw new Error(`notify socket receiver exited: ${stderr}`);
    return sock;
  }

  /** Datagrams that set `key` (e.g. READY), in order. */
  with(key: string): Datagram[] {
    return this.received.filter((d) => key in d.fields);
  }

  /** Wait until `count` datagrams have set `key`; fail naming what was received, and `tail`. */
  async waitFor(key: string, count: number, timeoutMs: number, tail: () => string = () => ''): Promise<Datagram[]> {
    await pollUntil(async () => this.with(key).length >= count, timeoutMs, `${count}× ${key} on ${this.name} (received: ${JSON.stringify(this.received.map((d) => d.text))})`, tail);
    return this.with(key);
  }

  close(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
