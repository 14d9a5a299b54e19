// A NETLINK_ROUTE socket made through libc (src/os/libc.ts) rather than the `netlink` package:
// the bulk route writer and the event reader (bulk.ts, events.ts) both start from one.

import { errno as lastErrno, int32, libc as c, SOCK_CLOEXEC, SOCK_NONBLOCK, SOL_SOCKET } from '../../os/libc.js';
import { NetlinkError, inNetns } from './socket.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const NETLINK_ROUTE = 0;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;

/** A socket buffer of `bytes`: the FORCE option as root (past net.core.*mem_max), else the capped one. */
export function setBuffer(fd: number, which: 'rcv' | 'snd', bytes: number): void {
  const [force, plain] = which === 'rcv' ? [SO_RCVBUFFORCE, SO_RCVBUF] : [SO_SNDBUFFORCE, SO_SNDBUF];
  const v = int32(bytes);
  if (c().setsockopt(fd, SOL_SOCKET, force, v, 4) !== 0) c().setsockopt(fd, SOL_SOCKET, plain, v, 4);
}

/**
 * A bound rtnetlink socket in `netns` (the caller's by default) with a receive buffer of
 * `recvBufferSize`; `setup` configures it before it is returned, and it is closed if anything throws.
 */
export function openRtnetlink(opts: { netns?: string; nonBlocking: boolean; recvBufferSize: number }, setup: (fd: number) => void): number {
  const type = SOCK_RAW | SOCK_CLOEXEC | (opts.nonBlocking ? SOCK_NONBLOCK : 0);
  const fd = inNetns(opts.netns, () => c().socket(AF_NETLINK, type, NETLINK_ROUTE));
  if (fd < 0) throw new NetlinkError(lastErrno(), 'netlink socket');
  try {
    setBuffer(fd, 'rcv', opts.recvBufferSize);
    const addr = Buffer.alloc(12);
    addr.writeUInt16LE(AF_NETLINK, 0);
    if (c().bind(fd, addr, 12) !== 0) throw new NetlinkError(lastErrno(), 'netlink bind');
    setup(fd);
    return fd;
  } catch (e) {
    c().close(fd);
    throw e;
  }
}
