// A scripted BGP peer over node:net for the hostile-peer tests: it writes whatever bytes the test
// builds (the codec's encoder for well-formed messages, hand-built bytes for the rest), records
// every message routed sends, and can stop reading altogether. Also: routed on loopback in the
// test's own namespace, each test file on its own 127.x addresses and port.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

import type { ExecutionContext } from 'ava';

import { checkHeader, CodecError, decodeMessage, encodeMessage, makeContext, type BgpMessage, type Capability, type CodecContext, type PathAttribute, type UpdateMessage } from '../../src/bgp/wire/index.js';
import type { Topology } from '../harness/netns.js';
import { pollUntil } from '../harness/peers.js';
import { RoutedProcess } from './routed.js';

/** Spawns routed in this process's namespace: the loopback test needs no topology. */
const LOOPBACK = { spawn: (_node: string, cmd: string, args: readonly string[]) => spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }) } as unknown as Topology;

export function loopbackRouted(configText: string): RoutedProcess {
  return new RoutedProcess(LOOPBACK, 'loopback', configText);
}

/** VmRSS of a process, bytes. */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

export interface RawPeerOptions {
  host: string;
  port: number;
  localAddress: string;
  asn: number;
  routerId: string;
  holdTime?: number;
  /** Capabilities beyond MP IPv4/IPv6 and 4-octet AS. */
  extraCaps?: Capability[];
}

export class RawPeer {
  readonly received: BgpMessage[] = [];
  /** Set once the connection closed (either side). */
  closed = false;
  private buf = Buffer.alloc(0);
  readonly ctx: CodecContext = makeContext({ as4: true });

  private constructor(
    readonly socket: net.Socket,
    private readonly o: RawPeerOptions,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  /** A peer on a connection routed opened to us (an active neighbour). */
  static fromSocket(socket: net.Socket, o: RawPeerOptions): RawPeer {
    return new RawPeer(socket, o);
  }

  /** Send a KEEPALIVE every `ms` until the connection closes; returns the stop function. */
  keepalives(ms: number): () => void {
    const timer = setInterval(() => (this.closed ? clearInterval(timer) : this.write(this.encode({ type: 'KEEPALIVE' }))), ms);
    return () => clearInterval(timer);
  }

  static connect(o: RawPeerOptions): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: o.host, port: o.port, localAddress: o.localAddress });
      s.once('connect', () => resolve(new RawPeer(s, o)));
      s.once('error', reject);
    });
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const h = checkHeader(this.buf, 0, makeContext({ extendedMessage: true }));
      if (h instanceof CodecError) return;
      if (this.buf.length < h.length) return;
      const r = decodeMessage(this.buf.subarray(0, h.length), { ...this.ctx, extendedMessage: true });
      this.buf = this.buf.subarray(h.length);
      if (r.ok) this.received.push(r.msg);
    }
  }

  open(): Buffer {
    const caps: Capability[] = [
      { code: 1, name: 'MULTIPROTOCOL', value: { afi: 1, safi: 1 } },
      { code: 1, name: 'MULTIPROTOCOL', value: { afi: 2, safi: 1 } },
      { code: 65, name: 'FOUR_OCTET_AS', value: this.o.asn },
      ...(this.o.extraCaps ?? []),
    ];
    return this.encode({ type: 'OPEN', version: 4, myAs: this.o.asn > 0xffff ? 23456 : this.o.asn, holdTime: this.o.holdTime ?? 90, bgpId: this.o.routerId, params: [{ type: 2, capabilities: caps }] });
  }

  encode(m: BgpMessage): Buffer {
    return Buffer.from(encodeMessage(m, this.ctx));
  }

  /** Encode with context overrides (extended messages for an UPDATE over 4,096 octets). */
  encodeWith(m: BgpMessage, ctx: Partial<CodecContext>): Buffer {
    return Buffer.from(encodeMessage(m, { ...this.ctx, ...ctx }));
  }

  write(b: Uint8Array): void {
    if (!this.closed) this.socket.write(b);
  }

  /** OPEN and KEEPALIVE both ways: Established on routed's side once it has our KEEPALIVE. */
  async establish(timeoutMs = 15_000, tail = (): string => ''): Promise<void> {
    this.write(this.open());
    await this.waitFor('routed OPEN', (m) => m.type === 'OPEN', timeoutMs, tail);
    this.write(this.encode({ type: 'KEEPALIVE' }));
    await this.waitFor('routed KEEPALIVE', (m) => m.type === 'KEEPALIVE', timeoutMs, tail);
  }

  async waitFor(what: string, pred: (m: BgpMessage) => boolean, timeoutMs: number, tail = (): string => ''): Promise<BgpMessage> {
    let found: BgpMessage | undefined;
    await pollUntil(async () => (found = this.received.find(pred)) !== undefined, timeoutMs, `${this.o.localAddress}: ${what} (received ${this.summary()})`, tail);
    return found!;
  }

  async waitClosed(what: string, timeoutMs: number, tail = (): string => ''): Promise<void> {
    await pollUntil(async () => this.closed, timeoutMs, `${this.o.localAddress}: ${what}: connection closed (received ${this.summary()})`, tail);
  }

  notification(): { code: number; subcode: number; data: string } | undefined {
    const n = this.received.find((m) => m.type === 'NOTIFICATION');
    return n?.type === 'NOTIFICATION' ? { code: n.code, subcode: n.subcode, data: n.data } : undefined;
  }

  summary(): string {
    const counts = new Map<string, number>();
    for (const m of this.received) counts.set(m.type, (counts.get(m.type) ?? 0) + 1);
    return [...counts].map(([k, v]) => `${k}×${v}`).join(' ') || 'nothing';
  }

  /** Stop reading: the kernel's receive buffer fills, then routed's send buffer. */
  stopReading(): void {
    this.socket.pause();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A message header around a body, with the length field as given (for over- and undersize). */
export function rawMessage(type: number, body: Uint8Array, length = 19 + body.length): Buffer {
  const h = Buffer.alloc(19, 0xff);
  h.writeUInt16BE(length & 0xffff, 16);
  h[18] = type;
  return Buffer.concat([h, body]);
}

export interface HostileNeighbor {
  address: string;
  remoteAs: number;
  /** YAML lines under the neighbour, indented by four spaces. */
  extra?: string;
  passive?: boolean;
}

/** routed on `local`:port, AS 65001, accepting and announcing everything to every neighbour. */
export function hostileConfig(local: string, port: number, neighbors: HostileNeighbor[]): string {
  const ns = neighbors
    .map(
      (n) => `  - address: ${n.address}
    remote-as: ${n.remoteAs}
    local-address: ${local}
    passive: ${n.passive ?? true}
    connect-retry: 1
    families: [ipv4, ipv6]
    import: accept-all
    export: accept-all
${n.extra ?? ''}`,
    )
    .join('\n');
  return `router-id: 198.18.255.1
local-as: 65001
listen:
  addresses: [${local}]
  port: ${port}
log:
  level: info
policies:
  accept-all:
    default-action: accept
neighbors:
${ns}
`;
}

/** routed on loopback with the given neighbours, stopped (log shown on failure) at teardown. */
export async function startRouted(t: ExecutionContext, local: string, port: number, neighbors: HostileNeighbor[]): Promise<RoutedProcess> {
  const r = loopbackRouted(hostileConfig(local, port, neighbors));
  t.teardown(() => r.stop());
  t.teardown(() => {
    if (!t.passed) t.log(r.logTail(60));
  });
  await r.start();
  return r;
}

/** A raw peer connected to routed and Established, destroyed at teardown. */
export async function establishedPeer(t: ExecutionContext, r: RoutedProcess, host: string, port: number, localAddress: string, asn: number, extra: Partial<RawPeerOptions> = {}): Promise<RawPeer> {
  const p = await RawPeer.connect({ host, port, localAddress, asn, routerId: localAddress.replace(/^127\./, '198.'), ...extra });
  t.teardown(() => p.destroy());
  await p.establish(15_000, () => r.logTail());
  return p;
}

export const ORIGIN: PathAttribute = { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' };

/** An IPv4 UPDATE: AS_PATH of `asns` (segments of 250, RFC 4271 §4.3 allows 255), next hop, NLRI. */
export function updateOf(asns: number[], nh: string, prefixes: string[], more: PathAttribute[] = []): UpdateMessage {
  const segments = [];
  for (let i = 0; i < asns.length; i += 250) segments.push({ type: 'AS_SEQUENCE' as const, asns: asns.slice(i, i + 250) });
  // Over 255 octets of value the attribute needs the Extended Length flag (RFC 4271 §4.3).
  const flags = asns.length > 60 ? 0x50 : 0x40;
  return {
    type: 'UPDATE',
    withdrawn: [],
    attributes: [ORIGIN, { code: 2, name: 'AS_PATH', flags, value: segments }, { code: 3, name: 'NEXT_HOP', flags: 0x40, value: nh }, ...more],
    nlri: prefixes.map((prefix) => ({ prefix })),
  };
}
