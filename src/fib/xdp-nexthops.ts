// The XDP forwarder's next-hop table: one next_hops slot per {interface, gateway} in use, shared
// by every prefix through it and reference counted, so a neighbour's MAC changing rewrites one
// slot, not a route per prefix. ECMP groups are next hops too (flag ECMP, members in
// ecmp_groups); blackhole, unreachable, "let the kernel route it" and the router's own addresses
// are single shared slots. A slot is written before any trie entry points at it and zeroed (the
// program then passes to the kernel) only once nothing points at it any more.

import { ROUTED_ECMP_GROUPS_MAX, ROUTED_ECMP_MEMBERS_MAX, ROUTED_NEXTHOPS_MAX, RoutedNhFlag } from './bpf/layout.generated.js';
import type { EcmpMap, NextHopMap } from './bpf/maps.js';
import { parseMac } from './bpf/maps.js';
import type { LinkInfo } from './links.js';
import { usable } from './neigh.js';
import type { Neighbour } from './neigh.js';

export type XdpHopKind = 'forward' | 'ecmp' | 'blackhole' | 'unreachable' | 'local' | 'pass';

export interface XdpHop {
  id: number;
  key: string;
  kind: XdpHopKind;
  refs: number;
  /** forward: egress interface and gateway; resolved once the neighbour's MAC is known. */
  ifindex: number;
  gateway?: string;
  mac?: string;
  resolved: boolean;
  /** ecmp: the member next hops (each holding a reference) and the ecmp_groups index. */
  members?: XdpHop[];
  group?: number;
  /**
   * Taken over from the previous run's pinned next_hops slot as it is (fib mode xdp, where no
   * kernel route stands behind the entries): never rewritten from a neighbour (its gateway is
   * not known), only its source MAC and MTU follow its link; released like any other.
   */
  adopted?: boolean;
}

const ZERO_MAC = new Uint8Array(6);
const SPECIAL_FLAGS: Record<'blackhole' | 'unreachable' | 'local' | 'pass', number> = {
  blackhole: RoutedNhFlag.BLACKHOLE,
  unreachable: RoutedNhFlag.UNREACHABLE,
  local: RoutedNhFlag.LOCAL,
  // Flags clear: "not resolved", which the program hands to the kernel's own routing.
  pass: 0,
};

/** What a slot does, from its flags (the program's order: ECMP, then the special kinds). */
function kindOfSlot(flags: number, ifindex: number): XdpHopKind {
  if (flags & RoutedNhFlag.ECMP) return 'ecmp';
  if (flags & RoutedNhFlag.BLACKHOLE) return 'blackhole';
  if (flags & RoutedNhFlag.UNREACHABLE) return 'unreachable';
  if (flags & RoutedNhFlag.LOCAL) return 'local';
  return ifindex !== 0 ? 'forward' : 'pass';
}

/** Lowest-free-first id allocator over [first, limit). */
class IdPool {
  private next: number;
  private readonly free: number[] = [];
  constructor(first: number, private readonly limit: number, private readonly what: string) {
    this.next = first;
  }
  take(): number {
    const id = this.free.pop() ?? this.next++;
    if (id >= this.limit) throw new RangeError(`out of ${this.what} (${this.limit})`);
    return id;
  }
  give(id: number): void {
    this.free.push(id);
  }
  /** Take this id out of the pool (a slot adopted from a previous run). */
  reserve(id: number): void {
    if (id >= this.next) {
      for (let i = this.next; i < id; i++) this.free.push(i);
      this.next = id + 1;
      return;
    }
    const at = this.free.indexOf(id);
    if (at >= 0) this.free.splice(at, 1);
  }
}

export interface XdpNextHopsDeps {
  nextHops: NextHopMap;
  ecmp: EcmpMap;
  link(ifindex: number): LinkInfo | undefined;
  neighbour(ifindex: number, address: string): Neighbour | undefined;
  /** A forward next hop came into use: ask the kernel to resolve (and keep resolving) it. */
  wanted(ifindex: number, gateway: string): void;
  /** A forward next hop is no longer used. */
  unwanted(ifindex: number, gateway: string): void;
}

export class XdpNextHops {
  private readonly byKey = new Map<string, XdpHop>();
  private readonly byId = new Map<number, XdpHop>();
  // Id 0 (ROUTED_NEXTHOP_NONE) is never written.
  private readonly ids = new IdPool(1, ROUTED_NEXTHOPS_MAX, 'XDP next-hop ids');
  private readonly groups = new IdPool(0, ROUTED_ECMP_GROUPS_MAX, 'XDP ECMP groups');

  constructor(private readonly deps: XdpNextHopsDeps) {}

  get size(): number {
    return this.byId.size;
  }

  all(): XdpHop[] {
    return [...this.byId.values()];
  }

  get(id: number): XdpHop | undefined {
    return this.byId.get(id);
  }

  /** A reference on the shared slot of a kind without an interface. */
  special(kind: 'blackhole' | 'unreachable' | 'local' | 'pass'): XdpHop {
    return this.acquire(kind, () => ({ kind, ifindex: 0, resolved: false }));
  }

  /** A reference on the next hop through `gateway` on `ifindex`. */
  forward(ifindex: number, gateway: string): XdpHop {
    return this.acquire(`${ifindex}|${gateway}`, () => {
      this.deps.wanted(ifindex, gateway);
      return { kind: 'forward', ifindex, gateway, resolved: false };
    });
  }

  /**
   * A reference on the previous run's slot `id`, kept exactly as it is in the pinned maps (with
   * its ECMP group and members); the id stays out of this run's allocations until released.
   */
  adopt(id: number): XdpHop {
    const have = this.byId.get(id);
    if (have) {
      have.refs++;
      return have;
    }
    this.ids.reserve(id);
    const slot = this.deps.nextHops.get(id);
    const hop: XdpHop = { id, key: `adopted:${id}`, kind: kindOfSlot(slot.flags, slot.ifindex), refs: 1, ifindex: slot.ifindex, resolved: (slot.flags & RoutedNhFlag.RESOLVED) !== 0, adopted: true };
    if (hop.kind === 'ecmp') {
      hop.group = slot.ecmpGroup;
      this.groups.reserve(slot.ecmpGroup);
      hop.members = this.deps.ecmp.get(slot.ecmpGroup).map((m) => this.adopt(m));
    }
    this.byKey.set(hop.key, hop);
    this.byId.set(id, hop);
    return hop;
  }

  /** A reference on the group over these forward next hops (one reference each taken by the caller, handed over). */
  ecmp(members: XdpHop[]): XdpHop {
    const list = [...new Map(members.map((m) => [m.id, m])).values()].sort((a, b) => a.id - b.id).slice(0, ROUTED_ECMP_MEMBERS_MAX);
    // The group keeps one reference per member; the caller's references go back.
    const key = `ecmp:${list.map((m) => m.id).join(',')}`;
    const hop = this.acquire(key, () => {
      for (const m of list) m.refs++;
      const group = this.groups.take();
      this.deps.ecmp.set(group, list.map((m) => m.id));
      return { kind: 'ecmp', ifindex: 0, resolved: true, members: list, group };
    });
    for (const m of members) this.release(m);
    return hop;
  }

  private acquire(key: string, make: () => Omit<XdpHop, 'id' | 'key' | 'refs'>): XdpHop {
    let hop = this.byKey.get(key);
    if (!hop) {
      hop = { ...make(), id: this.ids.take(), key, refs: 0 };
      this.byKey.set(key, hop);
      this.byId.set(hop.id, hop);
      this.write(hop);
    }
    hop.refs++;
    return hop;
  }

  /** Drop one reference; the slot is zeroed and its id reused once none is left. */
  release(hop: XdpHop): void {
    if (--hop.refs > 0) return;
    this.byKey.delete(hop.key);
    this.byId.delete(hop.id);
    this.deps.nextHops.clear(hop.id);
    this.ids.give(hop.id);
    if (hop.kind === 'ecmp') {
      this.groups.give(hop.group!);
      for (const m of hop.members!) this.release(m);
    }
    if (hop.kind === 'forward' && !hop.adopted) this.deps.unwanted(hop.ifindex, hop.gateway!);
  }

  /** A neighbour changed: rewrite the slot of the next hop through it, if any; true if there is one. */
  neighbourChanged(ifindex: number, address: string): boolean {
    const hop = this.byKey.get(`${ifindex}|${address}`);
    if (hop) this.write(hop);
    return hop !== undefined;
  }

  /** A next hop in use lost its neighbour entry: ask for its resolution again. */
  wantAgain(ifindex: number, gateway: string): void {
    if (this.byKey.has(`${ifindex}|${gateway}`)) this.deps.wanted(ifindex, gateway);
  }

  /** An interface's MAC or MTU may have changed: rewrite the slots through it. */
  linkChanged(ifindex: number): void {
    for (const hop of this.byId.values()) if (hop.kind === 'forward' && hop.ifindex === ifindex) this.write(hop);
  }

  /** An adopted slot keeps its destination MAC and flags; its link's MAC and MTU are this run's. */
  private rewriteAdopted(hop: XdpHop): void {
    const link = this.deps.link(hop.ifindex);
    if (!link) return;
    const slot = this.deps.nextHops.get(hop.id);
    this.deps.nextHops.set(hop.id, { ...slot, srcMac: link.mac ? parseMac(link.mac) : ZERO_MAC, mtu: Math.min(link.mtu, 0xffff) });
  }

  private write(hop: XdpHop): void {
    if (hop.adopted) {
      if (hop.kind === 'forward') this.rewriteAdopted(hop);
      return;
    }
    if (hop.kind === 'ecmp') {
      this.deps.nextHops.set(hop.id, { ifindex: 0, flags: RoutedNhFlag.ECMP, dstMac: ZERO_MAC, srcMac: ZERO_MAC, vlanId: 0, mtu: 0, ecmpGroup: hop.group! });
      return;
    }
    if (hop.kind !== 'forward') {
      this.deps.nextHops.set(hop.id, { ifindex: 0, flags: SPECIAL_FLAGS[hop.kind], dstMac: ZERO_MAC, srcMac: ZERO_MAC, vlanId: 0, mtu: 0, ecmpGroup: 0 });
      return;
    }
    const link = this.deps.link(hop.ifindex);
    const n = this.deps.neighbour(hop.ifindex, hop.gateway!);
    // Forward only with both MACs: without them the frame cannot be rewritten, the kernel resolves.
    hop.resolved = !!(link?.mac && n && usable(n));
    if (hop.resolved) hop.mac = n!.mac!;
    else delete hop.mac;
    this.deps.nextHops.set(hop.id, {
      ifindex: hop.ifindex,
      flags: hop.resolved ? RoutedNhFlag.RESOLVED : 0,
      dstMac: hop.resolved ? parseMac(n!.mac!) : ZERO_MAC,
      srcMac: link?.mac ? parseMac(link.mac) : ZERO_MAC,
      vlanId: 0,
      mtu: Math.min(link?.mtu ?? 0, 0xffff),
      ecmpGroup: 0,
    });
  }
}
