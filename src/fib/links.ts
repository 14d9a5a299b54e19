// Interfaces as the XDP next hops need them: index, name, MAC (the source address of rewritten
// frames) and MTU (larger packets go to the kernel, which fragments or answers with PTB).

import { IFINFOMSG_LEN, IFLA_IFNAME, RTM_GETLINK, macText, parseAttrs } from './kernel/nlmsg.js';
import type { NlSocket } from './kernel/socket.js';
import type { RxMsg } from './kernel/nlmsg.js';

const IFLA_ADDRESS = 1;
const IFLA_MTU = 4;

export interface LinkInfo {
  ifindex: number;
  name: string;
  /** aa:bb:cc:dd:ee:ff; absent on links without a 6-byte hardware address (lo, tunnels). */
  mac?: string;
  mtu: number;
}

/** rtnetlink multicast group of link changes (RTM_NEWLINK / RTM_DELLINK). */
export const RTNLGRP_LINK = 1;
export const RTM_DELLINK = 17;

/** One RTM_NEWLINK (dump reply or event) as LinkInfo. */
export function decodeLink(m: RxMsg): LinkInfo {
  const b = m.buf;
  const ifindex = b.readInt32LE(m.off + 4);
  const attrs = parseAttrs(b, m.off + IFINFOMSG_LEN, m.end);
  const name = attrs.get(IFLA_IFNAME);
  const addr = attrs.get(IFLA_ADDRESS);
  const mtu = attrs.get(IFLA_MTU);
  return {
    ifindex,
    name: name ? b.toString('latin1', name[0], name[0] + name[1]).replace(/\0+$/, '') : '',
    ...(addr && addr[1] === 6 ? { mac: macText(b, addr[0], 6) } : {}),
    mtu: mtu ? b.readUInt32LE(mtu[0]) : 0,
  };
}

/** Whether the XDP next hops through a link must be rewritten (its source MAC or MTU changed). */
export function linkChanged(a: LinkInfo | undefined, b: LinkInfo): boolean {
  return a === undefined || a.mac !== b.mac || a.mtu !== b.mtu;
}

/** Every interface of the socket's namespace, by index. */
export async function dumpLinkInfo(sock: NlSocket): Promise<Map<number, LinkInfo>> {
  const out = new Map<number, LinkInfo>();
  await sock.dumpOf(RTM_GETLINK, IFINFOMSG_LEN, 'link dump', (m) => {
    const l = decodeLink(m);
    out.set(l.ifindex, l);
  });
  return out;
}
