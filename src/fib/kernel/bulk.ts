// A netlink socket for bulk route writes, through koffi and libc, whose sendmsg(2) runs on a libuv
// worker thread. rtnetlink handles every message of a datagram inside the sender's sendmsg call
// (that is where the kernel spends its ~2.5 µs per route), so with the call off the main thread
// the next datagram is built in JavaScript while the kernel installs the previous one. The
// `netlink` package's socket sends on the main thread and cannot overlap the two.
//
// When the send returns, every reply of the datagram is already queued: they are read at once,
// without waiting, with MSG_DONTWAIT. NETLINK_CAP_ACK keeps error replies to their header, so the
// receive buffer holds the errors of a whole datagram.

import koffi from 'koffi';
import { NLMSG_ERROR, errorCode, forEachMsg } from './nlmsg.js';
import { NetlinkError, inNetns } from './socket.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;
const ENOBUFS = 105;

export interface Libc {
  socket(domain: number, type: number, proto: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  getsockopt(fd: number, level: number, name: number, value: Buffer, len: Uint32Array): number;
  send: ((fd: number, buf: Buffer, len: number, flags: number) => number) & {
    async: (fd: number, buf: Buffer, len: number, flags: number, cb: (err: unknown, r: number) => void) => void;
  };
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  close(fd: number): number;
}

let libc: Libc | undefined;
/** libc through koffi (socket calls of the bulk and event sockets). */
export function c(): Libc {
  if (libc) return libc;
  const so = koffi.load('libc.so.6');
  libc = {
    socket: so.func('int socket(int, int, int)'),
    bind: so.func('int bind(int, const void *, uint32_t)'),
    setsockopt: so.func('int setsockopt(int, int, int, const void *, uint32_t)'),
    getsockopt: so.func('int getsockopt(int, int, int, _Out_ void *, _Inout_ uint32_t *)'),
    send: so.func('intptr_t send(int, const void *, size_t, int)'),
    recv: so.func('intptr_t recv(int, _Out_ void *, size_t, int)'),
    close: so.func('int close(int)'),
  } as Libc;
  return libc;
}

export function int(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

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
    const fd = inNetns(opts.netns, () => c().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (fd < 0) throw new NetlinkError(koffi.errno(), 'netlink socket');
    this.fd = fd;
    try {
      const rcv = int(opts.recvBufferSize ?? 8 << 20);
      if (c().setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, rcv, 4) !== 0) c().setsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcv, 4);
      const snd = int(8 << 20);
      if (c().setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, snd, 4) !== 0) c().setsockopt(fd, SOL_SOCKET, SO_SNDBUF, snd, 4);
      // Linux ≥ 4.3; without it, error replies quote the whole failing message (still correct).
      c().setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, int(1), 4);
      const addr = Buffer.alloc(12);
      addr.writeUInt16LE(AF_NETLINK, 0);
      if (c().bind(fd, addr, 12) !== 0) throw new NetlinkError(koffi.errno(), 'netlink bind');
    } catch (e) {
      c().close(fd);
      throw e;
    }
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
        const errno = koffi.errno();
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
