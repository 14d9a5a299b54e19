// What the kernel knows that the RIB needs for next-hop resolution: connected prefixes (from
// interface addresses, dumped and re-read, debounced, when addresses or links change) and other protocols' routes in the main table (static, DHCP, an IGP's), dumped
// and then followed route by route from the route multicast groups on routed's own raw sockets
// (src/fib/kernel): the `netlink` package parsed every route event in its native callback, and
// the burst of routed's own routes made that abort. routed's own routes (a full table of them)
// are dropped from one header byte; the rest is coalesced per event-loop turn. Links and addresses
// are dumped on the same raw socket, decoded here: the `netlink` package's rtnetlink layer (with
// the generated code of every netlink family it loads) was ~12 MiB of an idle daemon's RSS.

import { ipv4ToText, ipv6ToText, prefixToText } from '../bgp/wire/index.js';
import { NlSocket } from '../fib/kernel/socket.js';
import { NlEventSocket } from '../fib/kernel/events.js';
import { RTPROT_ROUTED } from '../fib/types.js';
import type { RxMsg } from '../fib/kernel/nlmsg.js';
import { RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, decodeForeign, dumpForeign, isRouteAdd } from '../fib/kernel/foreign.js';
import { RTNLGRP_LINK, dumpLinkInfo } from '../fib/links.js';
import { parseAttrs } from '../fib/kernel/nlmsg.js';
import type { ForeignRoute } from '../fib/kernel/foreign.js';

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

/** A prefix's kernel route after route events: its lowest-metric route, or none left. */
export interface KernelRouteChange {
  family: 'ipv4' | 'ipv6';
  prefix: string;
  route?: KernelRoute;
}

/** rtnetlink multicast groups of address changes (linux/rtnetlink.h). */
const RTNLGRP_IPV4_IFADDR = 5;
const RTNLGRP_IPV6_IFADDR = 9;

/** RTM_GETADDR and its reply, struct ifaddrmsg and its attributes (linux/if_addr.h). */
const RTM_NEWADDR = 20;
const RTM_GETADDR = 22;
const IFADDRMSG_LEN = 8;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;

/** Lost route events (ENOBUFS) are re-read once the burst that caused them has been quiet this long. */
const LOST_EVENTS_QUIET_MS = 500;

/** The network prefix of an address with its host bits cleared. */
function networkOf(afi: 1 | 2, addr: Uint8Array, len: number): string {
  const bytes = Uint8Array.from(addr);
  for (let bit = len; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return prefixToText(afi, bytes, 0, len);
}

function addrText(afi: number, b: Uint8Array): string {
  return afi === 2 ? ipv4ToText(b) : ipv6ToText(b);
}

/** One interface address: struct ifaddrmsg and the address bytes (IFA_LOCAL, else IFA_ADDRESS). */
interface IfAddr {
  family: number;
  prefixlen: number;
  scope: number;
  index: number;
  raw: Uint8Array | undefined;
}

/** Every address of every interface, both families (an AF_UNSPEC dump). */
async function dumpAddresses(sock: NlSocket): Promise<IfAddr[]> {
  const out: IfAddr[] = [];
  await sock.dumpOf(RTM_GETADDR, IFADDRMSG_LEN, 'address dump', (m) => {
    if (m.type !== RTM_NEWADDR || m.end - m.off < IFADDRMSG_LEN) return;
    const b = m.buf;
    const attrs = parseAttrs(b, m.off + IFADDRMSG_LEN, m.end);
    // IFA_LOCAL is the interface's own address; on point-to-point links IFA_ADDRESS is the peer's.
    const a = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS);
    out.push({ family: b[m.off]!, prefixlen: b[m.off + 1]!, scope: b[m.off + 3]!, index: b.readUInt32LE(m.off + 4), raw: a ? Uint8Array.from(b.subarray(a[0], a[0] + a[1])) : undefined });
  });
  return out;
}

export class KernelWatcher {
  /** Change notifications: a socket of their own, so no event interleaves with a dump's replies. */
  private events: NlEventSocket | undefined;
  /** Link, address and route dumps (a million of routed's own routes are skipped from one byte each). */
  private readonly routeSock: NlSocket;
  /**
   * Route events: a socket of its own (a lost-events error never fails a dump in flight), read
   * through koffi (events.ts: the `netlink` package's socket aborts the process on overflow).
   */
  private routeEvents: NlEventSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lostTimer: NodeJS.Timeout | undefined;
  private dumping: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Interface names by index, from the last dump. */
  private names = new Map<number, string>();
  /** Other protocols' routes: family|prefix → metric → route. */
  private routes = new Map<string, Map<number, KernelRoute>>();
  /** Route events since the last flush, in arrival order; while a dump runs, kept for after it. */
  private queued: [boolean, ForeignRoute][] = [];
  private dumpRunning = false;
  private flushScheduled = false;

  /**
   * onChange: the whole view, after each dump. onRoutes: prefixes whose route changed through
   * route events, once per event-loop turn.
   */
  constructor(
    private readonly onChange: (view: KernelView) => void,
    private readonly ownProtocol: number,
    private readonly onRoutes?: (changes: KernelRouteChange[]) => void,
  ) {
    this.routeSock = new NlSocket({ recvBufferSize: 1 << 21 });
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
    const names = new Map<number, string>();
    for (const [index, l] of await dumpLinkInfo(this.routeSock)) names.set(index, l.name || `if${index}`);
    const connected: ConnectedPrefix[] = [];
    for (const a of await dumpAddresses(this.routeSock)) {
      const fam = a.family;
      const raw = a.raw;
      if (!raw || (fam !== 2 && fam !== 10) || raw.length !== (fam === 2 ? 4 : 16)) continue;
      const afi = fam === 2 ? 1 : 2;
      const address = addrText(fam, raw);
      // Host-scope (loopback) and link-local addresses do not make next hops reachable.
      if (a.scope >= 254 || address.startsWith('fe80:')) continue;
      connected.push({
        family: afi === 1 ? 'ipv4' : 'ipv6',
        prefix: networkOf(afi, raw, a.prefixlen),
        interface: names.get(a.index) ?? '',
        address,
      });
    }
    this.names = names;
    this.dumpRunning = true;
    try {
      const fresh = new Map<string, Map<number, KernelRoute>>();
      for (const r of await dumpForeign(this.routeSock, this.ownProtocol)) setRoute(fresh, this.kernelRoute(r));
      this.routes = fresh;
    } finally {
      this.dumpRunning = false;
    }
    // Events that arrived during the dump are newer than what it read.
    this.applyQueued();
    const routes: KernelRoute[] = [];
    for (const byMetric of this.routes.values()) routes.push(...byMetric.values());
    return { connected, routes };
  }

  private kernelRoute(r: ForeignRoute): KernelRoute {
    return {
      family: r.family,
      prefix: r.prefix,
      ...(r.gateway !== undefined ? { nextHop: r.gateway } : {}),
      ...(r.ifindex !== undefined ? { interface: this.names.get(r.ifindex) ?? `if${r.ifindex}` } : {}),
      metric: r.metric,
      protocol: r.protocol,
    };
  }

  /** One route event (runs inside the raw socket's callback: never throws, allocates nothing for our own routes). */
  private routeEvent(m: RxMsg): void {
    const add = isRouteAdd(m);
    if (add === undefined) return;
    const r = decodeForeign(m, this.ownProtocol);
    if (!r) return;
    this.queued.push([add, r]);
    if (this.dumpRunning || this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.dumpRunning || this.closed) return;
      const changes = this.applyQueued();
      if (changes.length > 0) this.onRoutes?.(changes);
    });
  }

  /** Apply queued events to the route table; the changed prefixes with their best route now. */
  private applyQueued(): KernelRouteChange[] {
    const touched = new Map<string, ForeignRoute>();
    for (const [add, r] of this.queued) {
      const k = `${r.family}|${r.prefix}`;
      if (add) setRoute(this.routes, this.kernelRoute(r));
      else {
        const byMetric = this.routes.get(k);
        byMetric?.delete(r.metric);
        if (byMetric?.size === 0) this.routes.delete(k);
      }
      touched.set(k, r);
    }
    this.queued = [];
    return [...touched].map(([k, r]) => {
      const best = lowestMetric(this.routes.get(k));
      return { family: r.family, prefix: r.prefix, ...(best ? { route: best } : {}) };
    });
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
    // Addresses and links: any event means "read again", so none is parsed; a lost burst
    // (ENOBUFS) means the same. On a socket of our own: the netlink package's aborts the process
    // when a burst overflows it.
    const events = new NlEventSocket({ groups: [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR], recvBufferSize: 1 << 21 });
    this.events = events;
    events.onEvent = reread;
    events.onError = reread;
    // Routes on a raw socket, subscribed before the first dump so no change falls between the two.
    // routed's own routes never reach it: a socket filter drops them in the kernel.
    const routeEvents = new NlEventSocket({ groups: [RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE], recvBufferSize: 8 << 20, dropRouteProtocol: RTPROT_ROUTED });
    this.routeEvents = routeEvents;
    routeEvents.onEvent = (m) => this.routeEvent(m);
    // Lost route events (ENOBUFS: the socket overflowed, typically under routed's own full table):
    // one dump once the burst is over, not one per overflow.
    routeEvents.onError = () => {
      clearTimeout(this.lostTimer);
      this.lostTimer = setTimeout(() => {
        if (!this.closed) this.read().then(this.onChange, () => undefined);
      }, LOST_EVENTS_QUIET_MS);
    };
    return this.read();
  }

  /** Stop re-reading; the sockets close once a dump in flight has ended (closing under it aborts the native binding). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    clearTimeout(this.lostTimer);
    this.events?.close();
    this.routeEvents?.close();
    await this.dumping;
    this.routeSock.close();
  }
}

function setRoute(table: Map<string, Map<number, KernelRoute>>, r: KernelRoute): void {
  const k = `${r.family}|${r.prefix}`;
  let byMetric = table.get(k);
  if (!byMetric) table.set(k, (byMetric = new Map()));
  byMetric.set(r.metric, r);
}

function lowestMetric(byMetric: Map<number, KernelRoute> | undefined): KernelRoute | undefined {
  let best: KernelRoute | undefined;
  for (const r of byMetric?.values() ?? []) if (!best || r.metric < best.metric) best = r;
  return best;
}
