// The libc calls routed makes itself, through koffi: Node has no setsockopt/getsockopt, no
// socket made before connect or listen (TCP-MD5, GTSM), no datagram to systemd's notify socket,
// no netlink socket it can drain without aborting on an overflow, no malloc tuning. One binding
// for all of them, loaded on first use, so each C signature is declared once.

import { constants as osConstants } from 'node:os';

import koffi from 'koffi';

export const SOL_SOCKET = 1;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_DONTWAIT = 0x40;
export const EAGAIN = 11;
export const ENOBUFS = 105;
/** mallopt(3): the size from which glibc's malloc serves a block by mmap of its own. */
export const M_MMAP_THRESHOLD = -3;

/** struct sock_fprog, a classic BPF socket filter: { unsigned short len; struct sock_filter *filter; }. */
export interface SockFprog {
  len: number;
  filter: Buffer;
}

export interface Libc {
  socket(domain: number, type: number, proto: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  listen(fd: number, backlog: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  /** setsockopt(SO_ATTACH_FILTER): the struct is laid out by koffi (padding before the pointer). */
  setsockoptFilter(fd: number, level: number, name: number, prog: SockFprog, len: number): number;
  getsockopt(fd: number, level: number, name: number, value: Buffer, len: Uint32Array): number;
  send: ((fd: number, buf: Buffer, len: number, flags: number) => number) & {
    /** On a libuv worker thread: a send that blocks does not hold the event loop. */
    async: (fd: number, buf: Buffer, len: number, flags: number, cb: (err: unknown, r: number) => void) => void;
  };
  sendto(fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, addrlen: number): number;
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  close(fd: number): number;
  clockGettime(clock: number, ts: Buffer): number;
  setns(fd: number, nstype: number): number;
  /** glibc's malloc tuning; 1 on success. */
  mallopt(param: number, value: number): number;
  /** glibc: free heap memory back to the system (1 if any was). */
  mallocTrim(pad: number): number;
}

let bound: Libc | undefined;

export function libc(): Libc {
  if (bound) return bound;
  const so = koffi.load('libc.so.6');
  koffi.struct('routed_sock_fprog', { len: 'uint16', filter: 'void *' });
  bound = {
    socket: so.func('int socket(int, int, int)'),
    bind: so.func('int bind(int, const void *, uint32_t)'),
    listen: so.func('int listen(int, int)'),
    setsockopt: so.func('int setsockopt(int, int, int, const void *, uint32_t)'),
    setsockoptFilter: so.func('int setsockopt(int, int, int, const routed_sock_fprog *, uint32_t)'),
    getsockopt: so.func('int getsockopt(int, int, int, _Out_ void *, _Inout_ uint32_t *)'),
    send: so.func('intptr_t send(int, const void *, size_t, int)'),
    sendto: so.func('intptr_t sendto(int, const void *, size_t, int, const void *, uint32_t)'),
    recv: so.func('intptr_t recv(int, _Out_ void *, size_t, int)'),
    close: so.func('int close(int)'),
    clockGettime: so.func('int clock_gettime(int, void *)'),
    setns: so.func('int setns(int, int)'),
    mallopt: so.func('int mallopt(int, int)'),
    mallocTrim: so.func('int malloc_trim(size_t)'),
  } as Libc;
  return bound;
}

/** errno of the last libc call on this thread. */
export function errno(): number {
  return koffi.errno();
}

/** An Error for a failed call, with errno and its name (EADDRINUSE…) as `code`. */
export function errnoError(call: string, code = koffi.errno()): Error & { errno: number; code: string } {
  const name = Object.entries(osConstants.errno).find(([, v]) => v === code)?.[0] ?? `errno ${code}`;
  return Object.assign(new Error(`${call}: ${name}`), { errno: code, code: name });
}

/** A C int as setsockopt takes it. */
export function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v, 0);
  return b;
}

/**
 * Large blocks from mmap, always: the RIB's tables are typed arrays that double as a table
 * loads, each growth a new block of up to tens of MiB. glibc serves a block by mmap only above
 * its mmap threshold, which it raises to the size of each such block freed (up to 32 MiB), so
 * after the first tables grew the next came from the heap, where calloc zero-fills them (every
 * page of the new array touched at once, the half not used yet too) and a freed one stays
 * mapped. mallopt fixes the threshold at glibc's default, 128 KiB: pages of zeros touched only
 * when used, and returned to the system when freed. tools/bench/convergence, routed alone,
 * alternating with and without (GLIBC_TUNABLES): 250k IPv6 prefixes, five alternations of two
 * runs, peak RSS median 149.5 -> 145.5 MiB, T 0.70 -> 0.65 s, CPU 0.495 -> 0.48 s; 100k,
 * three of two, 127 -> 124.5 MiB; 1M within the noise. Returns whether glibc took it.
 */
export function largeBlocksFromMmap(): boolean {
  return libc().mallopt(M_MMAP_THRESHOLD, 128 * 1024) === 1;
}
