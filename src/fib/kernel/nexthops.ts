// Kernel nexthop objects (RTM_NEWNEXTHOP, Linux ≥ 5.3) owned by routed, with reference counts.
// Routes point at an object by id (RTA_NH_ID), so a route message is smaller and the kernel skips
// per-route next-hop validation (~270k routes/s against ~180k/s, dataplane-facts.md), and
// re-pointing every route behind one next hop is a single RTM_NEWNEXTHOP with NLM_F_REPLACE.
// ECMP is a group object whose members are single objects. An object nobody references is
// deleted after the batch that dropped its last reference (deleting a referenced one would take
// its routes with it).

import { AF_INET, AF_INET6, AF_UNSPEC, NHA_GATEWAY, NHA_GROUP, NHA_ID, NHA_OIF, NHMSG_LEN, RTM_DELNEXTHOP, RTM_NEWNEXTHOP, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from './nlmsg.js';
import type { MsgWriter } from './nlmsg.js';
import { RTPROT_ROUTED } from '../types.js';

export interface NhMember {
  id: number;
  /** 1–256. */
  weight: number;
}

export interface NhObject {
  id: number;
  key: string;
  /** Routes and groups using it. */
  refs: number;
  /** AF_INET/AF_INET6 for a single next hop, AF_UNSPEC for a group. */
  family: number;
  gateway?: string;
  ifindex?: number;
  members?: NhMember[];
}

/** Identity of a single next hop: address family, gateway, interface. */
export function singleKey(family: number, gateway: string | undefined, ifindex: number): string {
  return `${family}|${gateway ?? ''}|${ifindex}`;
}

export function groupKey(members: readonly NhMember[]): string {
  return 'g|' + [...members].sort((a, b) => a.id - b.id).map((m) => `${m.id}*${m.weight}`).join(',');
}

/** Where routed's ids start: far from the small ids other daemons and people pick by hand. */
export const NH_ID_BASE = 0x52000000;

export class NexthopTable {
  readonly byId = new Map<number, NhObject>();
  private readonly byKey = new Map<string, number>();
  /** Ids that exist in the kernel but are not ours: never allocated. */
  readonly foreign = new Set<number>();
  private next = NH_ID_BASE;
  /** Objects whose count fell to zero since the last collect(). */
  private readonly idle = new Set<number>();

  lookup(key: string): NhObject | undefined {
    const id = this.byKey.get(key);
    return id === undefined ? undefined : this.byId.get(id);
  }

  private allocId(): number {
    for (;;) {
      const id = this.next;
      this.next = this.next >= 0xfffffff0 ? NH_ID_BASE : this.next + 1;
      if (!this.byId.has(id) && !this.foreign.has(id)) return id;
    }
  }

  /** Record an object (new, or adopted from the kernel at start). New objects start unreferenced. */
  add(obj: Omit<NhObject, 'id' | 'refs'> & { id?: number }): NhObject {
    const full: NhObject = { ...obj, id: obj.id ?? this.allocId(), refs: 0 };
    this.byId.set(full.id, full);
    if (!this.byKey.has(full.key)) this.byKey.set(full.key, full.id);
    if (full.id >= this.next && full.id < 0xfffffff0) this.next = full.id + 1;
    for (const m of full.members ?? []) this.ref(m.id);
    this.idle.add(full.id);
    return full;
  }

  ref(id: number): void {
    const o = this.byId.get(id);
    if (!o) throw new Error(`nexthop ${id} is not routed's`);
    o.refs++;
    this.idle.delete(id);
  }

  unref(id: number): void {
    const o = this.byId.get(id);
    if (!o) return;
    o.refs--;
    if (o.refs <= 0) this.idle.add(id);
  }

  /** Forget an object (deleted from the kernel, or never created). Releases its members. */
  drop(id: number): void {
    const o = this.byId.get(id);
    if (!o) return;
    this.byId.delete(id);
    if (this.byKey.get(o.key) === id) this.byKey.delete(o.key);
    this.idle.delete(id);
    for (const m of o.members ?? []) this.unref(m.id);
  }

  /** Give an object a new identity after its kernel content was replaced in place. */
  rekey(o: NhObject, key: string): void {
    if (this.byKey.get(o.key) === o.id) this.byKey.delete(o.key);
    o.key = key;
    // If another object already has that content, it stays the one new routes use.
    if (!this.byKey.has(key)) this.byKey.set(key, o.id);
  }

  /**
   * Unreferenced objects to delete now: groups first (a single's deletion would also shrink a
   * group), then the singles they released.
   */
  collect(): NhObject[] {
    const out: NhObject[] = [];
    for (let round = 0; round < 2; round++) {
      for (const id of [...this.idle]) {
        const o = this.byId.get(id);
        if (!o || o.refs > 0) {
          this.idle.delete(id);
          continue;
        }
        if ((round === 0) !== (o.members !== undefined)) continue;
        out.push(o);
        this.drop(id);
      }
    }
    return out;
  }

  get size(): number {
    return this.byId.size;
  }
}

/** RTM_NEWNEXTHOP for an object: created exclusively, or replacing its content in place. */
export function writeNexthop(w: MsgWriter, seq: number, o: NhObject, replace: boolean): void {
  const flags = NLM_F_REQUEST | NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
  const at = w.begin(RTM_NEWNEXTHOP, flags, seq, NHMSG_LEN);
  w.buf[at] = o.members ? AF_UNSPEC : o.family;
  w.buf[at + 2] = RTPROT_ROUTED;
  w.u32(NHA_ID, o.id);
  if (o.members) {
    // struct nexthop_grp { u32 id; u8 weight (weight - 1); u8 weight_high; u16 resvd2 }
    const p = w.raw(NHA_GROUP, 8 * o.members.length);
    o.members.forEach((m, i) => {
      w.buf.writeUInt32LE(m.id, p + 8 * i);
      w.buf[p + 8 * i + 4] = (m.weight - 1) & 0xff;
    });
  } else {
    // The kernel requires a device on every non-blackhole single next hop.
    w.u32(NHA_OIF, o.ifindex ?? 0);
    if (o.gateway !== undefined) w.addr(NHA_GATEWAY, o.family, o.gateway);
  }
  w.end();
}

export function writeDelNexthop(w: MsgWriter, seq: number, id: number, flags = NLM_F_REQUEST): void {
  w.begin(RTM_DELNEXTHOP, flags, seq, NHMSG_LEN);
  w.u32(NHA_ID, id);
  w.end();
}

export function gatewayFamily(gateway: string): number {
  return gateway.includes(':') ? AF_INET6 : AF_INET;
}
