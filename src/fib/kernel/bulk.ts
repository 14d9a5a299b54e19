// A netlink socket for bulk route writes, through libc (src/os/libc.ts), whose sendmsg(2) runs on a libuv
// worker thread. rtnetlink handles every message of a datagram inside the sender's sendmsg call
// (that is where the kernel spends its ~2.5 µs per route), so with the call off the main thread
// the next datagram is built in JavaScript while the kernel installs the previous one. The
// `netlink` package's socket sends on the main thread and cannot overlap the two.
//
// When the send returns, every reply of the datagram is already queued: they are read at once,
// without waiting, with MSG_DONTWAIT. NETLINK_CAP_ACK keeps error replies to their header, so the
// receive buffer holds the errors of a whole datagram.

import { EAGAIN, ENOBUFS, errno as lastErrno, int32 as int, libc as c, MSG_DONTWAIT, SOL_SOCKET } from '../../os/libc.js';
import { openRtnetlink, setBuffer } from './rawsock.js';
import { NLMSG_ERROR, errorCode, forEachMsg } from './nlmsg.js';
import { NetlinkError } from './socket.js';

const SO_RCVBUF = 8;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;

export interface BulkSocketOptions {
  netns?: string;
  /** Receive buffer asked for (SO_RCVBUFFORCE as root, else capped at net.core.rmem_max). */
  recvBufferSize?: number;
}

export class BulkSocket {
  private readonly fd: number;
  private readonly rx = Buffer.alloc(1 << 16);
  private closed = false;
  private busy = false;

  constructor(opts: BulkSocketOptions = {}) {
    this.fd = openRtnetlink({ netns: opts.netns, nonBlocking: false, recvBufferSize: opts.recvBufferSize ?? 8 << 20 }, (fd) => {
      setBuffer(fd, 'snd', 8 << 20);
      // Linux ≥ 4.3; without it, error replies quote the whole failing message (still correct).
      c().setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, int(1), 4);
    });
  }

  /** The receive buffer the kernel granted. */
  recvBufferSize(): number {
    const v = Buffer.alloc(4);
    const len = new Uint32Array([4]);
    return c().getsockopt(this.fd, SOL_SOCKET, SO_RCVBUF, v, len) === 0 ? v.readInt32LE(0) : 0;
  }

  /**
   * Send a datagram of messages numbered first..last, NLM_F_ACK on the last, on a worker thread;
   * resolves with the kernel's errors by sequence number (negative errno). One at a time: the
   * buffer must stay untouched until this settles.
   */
  async batch(data: Buffer, first: number, last: number): Promise<Map<number, number>> {
    if (this.closed) throw new Error('netlink socket closed');
    if (this.busy) throw new Error('bulk netlink socket: one datagram at a time');
    this.busy = true;
    try {
      const sent = await new Promise<number>((resolve, reject) => {
        c().send.async(this.fd, data, data.length, 0, (err, r) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(r)));
      });
      if (sent < 0) throw new NetlinkError(ENOBUFS, 'netlink send');
      return this.replies(first, last);
    } finally {
      this.busy = false;
    }
  }

  /** Read the queued replies up to the ACK of `last`. */
  private replies(first: number, last: number): Map<number, number> {
    const errors = new Map<number, number>();
    let done = false;
    while (!done) {
      const n = c().recv(this.fd, this.rx, this.rx.length, MSG_DONTWAIT);
      if (n < 0) {
        const errno = lastErrno();
        // The kernel answered inside sendmsg: nothing queued means replies were dropped.
        throw new NetlinkError(errno === EAGAIN ? ENOBUFS : errno, 'netlink replies lost');
      }
      forEachMsg(this.rx.subarray(0, n), (m) => {
        if (m.type !== NLMSG_ERROR || m.seq < first || m.seq > last) return;
        const code = errorCode(m);
        if (code !== 0) errors.set(m.seq, code);
        if (m.seq === last) done = true;
      });
    }
    return errors;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    c().close(this.fd);
  }
}
