// What the kernel knows that the RIB needs for next-hop resolution: connected prefixes (from
// interface addresses) and the kernel's own routes, read over rtnetlink with the `netlink`
// package, and re-read when the kernel announces a change (debounced: a burst of address or
// route events costs one dump).

import { createRtNetlink } from 'netlink';
import type { RtNetlinkSocket } from 'netlink';
import { ipv4ToText, ipv6ToText, prefixToText } from '../bgp/wire/index.js';

export interface ConnectedPrefix {
  family: 'ipv4' | 'ipv6';
  prefix: string;
  interface: string;
  /** The local address on that prefix. */
  address: string;
}

export interface KernelRoute {
  family: 'ipv4' | 'ipv6';
  prefix: string;
  nextHop?: string;
  interface?: string;
  metric: number;
  /** rtm_protocol number, to skip routed's own routes. */
  protocol: number;
}

export interface KernelView {
  connected: ConnectedPrefix[];
  routes: KernelRoute[];
}

const RT_TABLE_MAIN = 254;
// The netlink package names the protocols linux/rtnetlink.h names; RTPROT_BGP is 186, routed's own.
const PROTOCOL_NUMBERS: Record<string, number> = { UNSPEC: 0, REDIRECT: 1, KERNEL: 2, BOOT: 3, STATIC: 4, BGP: 186 };

/** The network prefix of an address with its host bits cleared. */
function networkOf(afi: 1 | 2, addr: Uint8Array, len: number): string {
  const bytes = Uint8Array.from(addr);
  for (let bit = len; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return prefixToText(afi, bytes, 0, len);
}

function addrText(afi: number, b: Uint8Array): string {
  return afi === 2 ? ipv4ToText(b) : ipv6ToText(b);
}

export class KernelWatcher {
  private readonly sock: RtNetlinkSocket;
  /**
   * Change notifications arrive on a socket of their own: on the dump socket, an event arriving
   * in the middle of a multipart dump reply breaks the `netlink` package's reassembly (the dump
   * fails with "Multipart message not terminated properly").
   */
  private events: RtNetlinkSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private dumping: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly onChange: (view: KernelView) => void, private readonly ownProtocol: number) {
    // ref: true, as dataplane-facts.md advises: an unref'd socket lets Node start exiting while
    // a dump is awaited, and the native binding then aborts. close() releases it.
    this.sock = createRtNetlink({ ref: true, recvBufferSize: 1 << 21, sendBufferSize: 1 << 20 });
    // An 'error' with no listener would throw inside the native binding's callback and abort
    // the process; a failed dump rejects its own request, and the next event re-reads.
    this.sock.socket.on('error', () => undefined);
  }

  /**
   * One dump at a time: the kernel answers a second dump request on a socket whose dump is still
   * running with EBUSY, and the replies interleave (a debounced re-read can overlap another).
   */
  read(): Promise<KernelView> {
    const next = this.dumping.then(() => this.dump());
    this.dumping = next.catch(() => undefined);
    return next;
  }

  private async dump(): Promise<KernelView> {
    const links = await this.sock.getLinks();
    const names = new Map<number, string>();
    for (const l of links) names.set(l.data.index ?? -1, l.attrs.ifname ?? `if${l.data.index}`);
    const connected: ConnectedPrefix[] = [];
    for (const a of await this.sock.getAddresses()) {
      const fam = a.data.family;
      const raw = (a.attrs.local ?? a.attrs.address) as Uint8Array | undefined;
      if (!raw || (fam !== 2 && fam !== 10)) continue;
      const afi = fam === 2 ? 1 : 2;
      const address = addrText(fam, raw);
      // Host-scope (loopback) and link-local addresses do not make next hops reachable.
      if ((a.data.scope ?? 0) >= 254 || address.startsWith('fe80:')) continue;
      connected.push({
        family: afi === 1 ? 'ipv4' : 'ipv6',
        prefix: networkOf(afi, raw, a.data.prefixlen ?? 0),
        interface: names.get(a.data.index ?? -1) ?? '',
        address,
      });
    }
    const routes: KernelRoute[] = [];
    for (const r of await this.sock.getRoutes()) {
      const fam = r.data.family;
      if ((fam !== 2 && fam !== 10) || (r.attrs.table ?? r.data.table) !== RT_TABLE_MAIN || r.data.type !== 'UNICAST') continue;
      const protocol = this.protocolOf(r.data.protocol);
      // Connected routes come from the addresses above; routed's own routes are not a source.
      if (protocol === PROTOCOL_NUMBERS.KERNEL || protocol === this.ownProtocol) continue;
      const afi = fam === 2 ? 1 : 2;
      const dst = (r.attrs.dst as Uint8Array | undefined) ?? new Uint8Array(afi === 1 ? 4 : 16);
      const gw = r.attrs.gateway as Uint8Array | undefined;
      routes.push({
        family: afi === 1 ? 'ipv4' : 'ipv6',
        prefix: networkOf(afi, dst, r.data.dstLen ?? 0),
        ...(gw ? { nextHop: addrText(fam, gw) } : {}),
        ...(r.attrs.oif !== undefined ? { interface: names.get(r.attrs.oif) ?? '' } : {}),
        metric: r.attrs.priority ?? 0,
        protocol,
      });
    }
    return { connected, routes };
  }

  private protocolOf(p: unknown): number {
    return typeof p === 'string' ? (PROTOCOL_NUMBERS[p] ?? -1) : Number(p);
  }

  /** Read now, then again after every burst of address/route/link events. */
  async watch(debounceMs = 200): Promise<KernelView> {
    const reread = (): void => {
      if (this.timer) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.closed) this.read().then(this.onChange, () => undefined);
      }, debounceMs);
    };
    const events = createRtNetlink({ ref: true, recvBufferSize: 1 << 21, sendBufferSize: 1 << 16 });
    this.events = events;
    // Addresses and links only. Route events are not subscribed to: the netlink package parses
    // every event inside its native callback, and the burst of routed's own routes that the FIB
    // writes (a full table) made that abort the process. Kernel routes of other protocols are
    // therefore re-read when addresses or links change, not when they alone change.
    for (const g of ['IPV4_IFADDR', 'IPV6_IFADDR', 'LINK'] as const) events.addMembership(g);
    // Handlers of this socket run inside the native binding's callback: nothing may throw there.
    events.on('message', reread);
    // ENOBUFS: events were lost under a burst; the state must be read again.
    events.socket.on('error', reread);
    return this.read();
  }

  /** Stop re-reading; the sockets close once a dump in flight has ended (closing under it aborts the native binding). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.events?.socket.close();
    await this.dumping;
    this.sock.socket.close();
  }
}
