// The kernel's neighbour table (ARP / IPv6 ND) over rtnetlink: a dump, then RTM_NEWNEIGH /
// RTM_DELNEIGH events, kept as (ifindex, address) → MAC and NUD state, with change callbacks.
// The XDP forwarder needs a next hop's MAC to rewrite frames; until the kernel knows it, packets
// take the kernel path. resolve() asks the kernel to resolve a neighbour without waiting for
// traffic: RTM_NEWNEIGH with NTF_USE runs the kernel's own neigh_event_send() (an ARP request or
// Neighbour Solicitation, exactly as a first packet would), and with `managed` the entry is
// flagged NTF_EXT_MANAGED (Linux ≥ 5.16), which the kernel keeps resolved and refreshed by
// itself for as long as the entry exists, the way hardware offload keeps its next hops warm.

import {
  AF_INET, AF_INET6, MsgWriter, NDA_DST, NDA_FLAGS_EXT, NDA_LLADDR, NDMSG_LEN, NLM_F_ACK, NLM_F_CREATE,
  NLM_F_REQUEST, RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGH, attrAddr, attrU32, macText, parseAttrs,
} from './kernel/nlmsg.js';
import type { RxMsg } from './kernel/nlmsg.js';
import { NlSocket } from './kernel/socket.js';
import { NlEventSocket } from './kernel/events.js';
import type { FibFamily } from './types.js';

const RTNLGRP_NEIGH = 3;
const NTF_USE = 0x01;
const NTF_ROUTER = 0x80;
const NTF_EXT_MANAGED = 0x01;

export type NeighState = 'none' | 'incomplete' | 'reachable' | 'stale' | 'delay' | 'probe' | 'failed' | 'noarp' | 'permanent';

/** NUD_* bits (include/uapi/linux/neighbour.h), most telling first. */
const STATES: [number, NeighState][] = [
  [0x80, 'permanent'], [0x40, 'noarp'], [0x02, 'reachable'], [0x10, 'probe'], [0x08, 'delay'], [0x04, 'stale'],
  [0x01, 'incomplete'], [0x20, 'failed'],
];

export interface Neighbour {
  family: FibFamily;
  ifindex: number;
  address: string;
  /** Link-layer address (aa:bb:cc:dd:ee:ff); absent while unresolved or failed. */
  mac?: string;
  state: NeighState;
  /** The raw NUD bits. */
  nud: number;
  router: boolean;
  managed: boolean;
}

/** True when the MAC can be used to forward: the kernel itself would send with it. */
export function usable(n: Neighbour): boolean {
  return n.mac !== undefined && n.state !== 'incomplete' && n.state !== 'failed' && n.state !== 'none';
}

/** previous undefined: new entry; current undefined: removed. */
export type NeighListener = (current: Neighbour | undefined, previous: Neighbour | undefined) => void;

export interface NeighTableOptions {
  /** Network namespace name (/run/netns/NAME) or path; default: the caller's. */
  netns?: string;
  /** Receive buffer of the event socket (tests make it small to overflow it). */
  eventBufferSize?: number;
}

function stateOf(nud: number): NeighState {
  for (const [bit, name] of STATES) if (nud & bit) return name;
  return 'none';
}

function decode(m: RxMsg): Neighbour | undefined {
  const b = m.buf;
  const fam = b[m.off]!;
  if (fam !== AF_INET && fam !== AF_INET6) return undefined;
  const attrs = parseAttrs(b, m.off + NDMSG_LEN, m.end);
  const address = attrAddr(b, attrs, NDA_DST);
  if (address === undefined) return undefined;
  const ll = attrs.get(NDA_LLADDR);
  const nud = b.readUInt16LE(m.off + 8);
  return {
    family: fam === AF_INET ? 'ipv4' : 'ipv6',
    ifindex: b.readInt32LE(m.off + 4),
    address,
    ...(ll && ll[1] > 0 ? { mac: macText(b, ll[0], ll[1]) } : {}),
    state: stateOf(nud),
    nud,
    router: (b[m.off + 10]! & NTF_ROUTER) !== 0,
    managed: ((attrU32(b, attrs, NDA_FLAGS_EXT) ?? 0) & NTF_EXT_MANAGED) !== 0,
  };
}

function same(a: Neighbour, b: Neighbour): boolean {
  return a.mac === b.mac && a.nud === b.nud && a.router === b.router && a.managed === b.managed;
}

export class NeighTable {
  private readonly entries = new Map<string, Neighbour>();
  private readonly listeners = new Set<NeighListener>();
  /** Events that arrive while a dump runs: applied after it, being newer. */
  private queued: RxMsg[] | undefined;
  /** A re-read after lost events, in progress; `again`: more were lost meanwhile. */
  private resyncing: Promise<void> | undefined;
  private again = false;
  /** Times the event socket overflowed (ENOBUFS) and the table was read again. */
  lostBursts = 0;

  private constructor(
    private readonly sock: NlSocket,
    private readonly events: NlEventSocket,
  ) {}

  /**
   * Subscribe to neighbour events, then read the table. Events come on a socket of our own
   * (src/fib/kernel/events.ts), not the netlink package's: a burst that overflows the package's
   * socket aborts the process; ours reports ENOBUFS and the table is read again.
   */
  static async open(opts: NeighTableOptions = {}): Promise<NeighTable> {
    const events = new NlEventSocket({ netns: opts.netns, groups: [RTNLGRP_NEIGH], recvBufferSize: opts.eventBufferSize ?? 4 << 20 });
    let sock: NlSocket | undefined;
    try {
      sock = new NlSocket({ netns: opts.netns });
      const t = new NeighTable(sock, events);
      events.onEvent = (m) => t.event(m);
      // Lost events (ENOBUFS on a burst): the table can be wrong in any way; read it again.
      events.onError = () => t.lostEvents();
      await t.resync();
      return t;
    } catch (e) {
      events.close();
      sock?.close();
      throw e;
    }
  }

  /** One re-read after a burst that lost events, however many overflows it caused. */
  private lostEvents(): void {
    this.lostBursts++;
    if (this.resyncing) {
      this.again = true;
      return;
    }
    this.resyncing = this.resync()
      .catch(() => undefined)
      .finally(() => {
        this.resyncing = undefined;
        if (this.again) {
          this.again = false;
          this.lostEvents();
        }
      });
  }

  /** Call fn on every change (state, MAC, flags, appearance, removal). Returns the unsubscribe. */
  onChange(fn: NeighListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(ifindex: number, address: string): Neighbour | undefined {
    return this.entries.get(`${ifindex}|${address}`);
  }

  all(): Neighbour[] {
    return [...this.entries.values()];
  }

  private set(n: Neighbour | undefined, key: string): void {
    const prev = this.entries.get(key);
    if (n) {
      if (prev && same(prev, n)) return;
      this.entries.set(key, n);
    } else {
      if (!prev) return;
      this.entries.delete(key);
    }
    for (const fn of this.listeners) fn(n, prev);
  }

  private event(m: RxMsg): void {
    if (m.type !== RTM_NEWNEIGH && m.type !== RTM_DELNEIGH) return;
    if (this.queued) {
      // The event socket reuses its buffer once this returns: a queued message keeps a copy.
      this.queued.push({ ...m, buf: Buffer.from(m.buf.subarray(m.off, m.end)), off: 0, end: m.end - m.off });
      return;
    }
    const n = decode(m);
    if (n) this.set(m.type === RTM_NEWNEIGH ? n : undefined, `${n.ifindex}|${n.address}`);
  }

  /** Re-read the whole table; entries gone from the kernel are reported removed. */
  async resync(): Promise<void> {
    this.queued = [];
    const seen = new Map<string, Neighbour>();
    try {
      for (const fam of [AF_INET, AF_INET6]) {
        const onMsg = (m: RxMsg): void => {
          const n = m.type === RTM_NEWNEIGH ? decode(m) : undefined;
          if (n) seen.set(`${n.ifindex}|${n.address}`, n);
        };
        await this.sock.dumpOf(RTM_GETNEIGH, NDMSG_LEN, 'neighbour dump', onMsg, fam);
      }
    } finally {
      const queued = this.queued;
      this.queued = undefined;
      for (const key of [...this.entries.keys()]) if (!seen.has(key)) this.set(undefined, key);
      for (const [key, n] of seen) this.set(n, key);
      for (const m of queued) this.event(m);
    }
  }

  /**
   * Ask the kernel to resolve `address` on `ifindex` now (ARP / NS), creating the entry if needed.
   * managed: keep it resolved from now on (NTF_EXT_MANAGED). Changes arrive as events.
   */
  async resolve(ifindex: number, address: string, opts: { managed?: boolean } = {}): Promise<void> {
    const fam = address.includes(':') ? AF_INET6 : AF_INET;
    const w = new MsgWriter(256);
    const seq = this.sock.reserve(1);
    const at = w.begin(RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, seq, NDMSG_LEN);
    w.buf[at] = fam;
    w.buf.writeInt32LE(ifindex, at + 4);
    // ndm_state NUD_NONE: no state is imposed, the kernel's resolution sets it.
    w.buf[at + 10] = NTF_USE;
    w.addr(NDA_DST, fam, address);
    if (opts.managed) w.u32(NDA_FLAGS_EXT, NTF_EXT_MANAGED);
    w.end();
    await this.sock.request(w.take(), seq, `resolve ${address}`);
  }

  /** Remove an entry (e.g. a managed one routed no longer needs). */
  async forget(ifindex: number, address: string): Promise<void> {
    const fam = address.includes(':') ? AF_INET6 : AF_INET;
    const w = new MsgWriter(256);
    const seq = this.sock.reserve(1);
    const at = w.begin(RTM_DELNEIGH, NLM_F_REQUEST | NLM_F_ACK, seq, NDMSG_LEN);
    w.buf[at] = fam;
    w.buf.writeInt32LE(ifindex, at + 4);
    w.addr(NDA_DST, fam, address);
    w.end();
    await this.sock.request(w.take(), seq, `forget ${address}`);
  }

  close(): void {
    this.listeners.clear();
    this.events.close();
    this.sock.close();
  }
}
