// A netlink socket for multicast events (route changes) that cannot abort the process. The
// `netlink` package's socket aborts Node when its receive queue overflows: libuv reports the
// socket's error as a poll error, and the binding's handler for that builds its exception with a
// null syscall name, which throws inside native code (terminate, "Error in native callback"). A
// full table of route changes overflows any buffer a busy process can drain in time. This one
// is read with non-blocking recv(2) through koffi on a short timer: an overflow comes back as
// ENOBUFS from recv, and the owner re-reads the state.

import os from 'node:os';

import { EAGAIN, ENOBUFS, errno as lastErrno, int32 as int, libc as c, MSG_DONTWAIT, SOL_SOCKET } from '../../os/libc.js';
import { openRtnetlink } from './rawsock.js';
import { forEachMsg } from './nlmsg.js';
import type { RxMsg } from './nlmsg.js';
import { NetlinkError } from './socket.js';

const SOL_NETLINK = 270;
const NETLINK_ADD_MEMBERSHIP = 1;
/** Datagrams read per timer tick at most, so a burst does not hold the event loop. */
const PER_TICK = 4096;

export interface NlEventSocketOptions {
  netns?: string;
  /** rtnetlink multicast groups (RTNLGRP_*). */
  groups: number[];
  recvBufferSize?: number;
  /** How often the queue is read. */
  intervalMs?: number;
  /**
   * Route events of this rtm_protocol are dropped in the kernel (a socket filter) and never
   * queued: routed's own routes, a million notifications on a full-table load.
   */
  dropRouteProtocol?: number;
}

const SO_ATTACH_FILTER = 26;
const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;
/** nlmsghdr (16 octets), then rtmsg: family, dst_len, src_len, tos, table, protocol. */
const RTM_PROTOCOL_AT = 16 + 5;

/**
 * Classic BPF over each notification (the kernel sends one message per route event): drop
 * RTM_NEWROUTE/RTM_DELROUTE whose rtm_protocol is `protocol`, keep everything else. A 16-bit
 * load reads network order while nlmsg_type is in host order, hence the swapped constants.
 */
export function routeProtocolFilter(protocol: number): Buffer {
  const hostType = (t: number): number => (os.endianness() === 'LE' ? ((t & 0xff) << 8) | (t >> 8) : t);
  const program: [number, number, number, number][] = [
    [0x28, 0, 0, 4], // ldh [4]: nlmsg_type
    [0x15, 1, 0, hostType(RTM_NEWROUTE)], // jeq → check the protocol
    [0x15, 0, 3, hostType(RTM_DELROUTE)], // jeq → check the protocol, else keep
    [0x30, 0, 0, RTM_PROTOCOL_AT], // ldb [21]: rtm_protocol
    [0x15, 0, 1, protocol], // jeq → drop, else keep
    [0x06, 0, 0, 0], // ret 0: drop
    [0x06, 0, 0, 0xffffffff], // ret: keep the whole message
  ];
  const f = Buffer.alloc(8 * program.length);
  program.forEach(([code, jt, jf, k], i) => {
    f.writeUInt16LE(code, i * 8);
    f[i * 8 + 2] = jt;
    f[i * 8 + 3] = jf;
    f.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return f;
}

function attach(fd: number, program: Buffer): boolean {
  return c().setsockoptFilter(fd, SOL_SOCKET, SO_ATTACH_FILTER, { len: program.length / 8, filter: program }, 16) === 0;
}

export class NlEventSocket {
  private readonly fd: number;
  private readonly rx = Buffer.alloc(1 << 16);
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** One event message; the buffer is reused after the call returns. */
  onEvent: ((m: RxMsg) => void) | undefined;
  /** Events were lost (ENOBUFS) or the socket failed: the state must be read again. */
  onError: ((e: Error) => void) | undefined;

  constructor(opts: NlEventSocketOptions) {
    this.fd = openRtnetlink({ netns: opts.netns, nonBlocking: true, recvBufferSize: opts.recvBufferSize ?? 8 << 20 }, (fd) => {
      // The filter goes on before the groups: no event arrives unfiltered.
      if (opts.dropRouteProtocol !== undefined && !attach(fd, routeProtocolFilter(opts.dropRouteProtocol))) {
        throw new NetlinkError(lastErrno(), 'netlink socket filter');
      }
      for (const g of opts.groups) {
        if (c().setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, int(g), 4) !== 0) throw new NetlinkError(lastErrno(), `netlink group ${g}`);
      }
    });
    this.timer = setInterval(() => this.drain(), opts.intervalMs ?? 20);
    // Events alone do not keep the process alive.
    this.timer.unref();
  }

  private report(e: Error): void {
    try {
      this.onError?.(e);
    } catch (inner) {
      process.emitWarning(`netlink event error handler failed: ${(inner as Error).message}`);
    }
  }

  /** Read what is queued (up to PER_TICK datagrams). */
  drain(): void {
    for (let i = 0; i < PER_TICK && !this.closed; i++) {
      const n = c().recv(this.fd, this.rx, this.rx.length, MSG_DONTWAIT);
      if (n < 0) {
        const code = lastErrno();
        if (code === EAGAIN) return;
        this.report(new NetlinkError(code, code === ENOBUFS ? 'netlink events lost' : 'netlink recv'));
        if (code !== ENOBUFS) return;
        continue;
      }
      try {
        forEachMsg(this.rx.subarray(0, n), (m) => this.onEvent?.(m));
      } catch (e) {
        this.report(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    c().close(this.fd);
  }
}
