// TCP sockets with the options BGP needs before the first SYN: TCP-MD5 (RFC 2385) and GTSM
// (RFC 5082). Node has no setsockopt, so the file descriptor is made here through libc (koffi)
// and handed to Node:
// - outbound: socket() + setsockopt() here, then `new net.Socket({ fd })` and Node's own
//   `socket.connect()`, which reuses the descriptor it was given (libuv's uv_tcp_connect on an
//   opened handle), so connect errors, 'connect' and timeouts are Node's as usual;
// - listening: socket() + SO_REUSEADDR + bind() + listen() here, then `server.listen({ fd })`;
//   MD5 keys are added to (and removed from) the listening descriptor per peer at any time, since
//   the kernel checks them only when a SYN arrives; accepted sockets inherit them.
// GTSM on an accepted socket is set after accept (the handshake has already passed the listener;
// the minimum TTL then guards every later segment), through the descriptor Node keeps in
// `socket._handle.fd`, the one place an undocumented field is read. The handshake itself is
// checked from the SYN the listener saved (TCP_SAVE_SYN): a connection whose SYN came with too
// low a TTL is closed before anything it sent is read, so a peer at the wrong distance never gets
// as far as an OPEN, even one already queued when the minimum TTL was set.

import net from 'node:net';
import { errno, errnoError, int32, libc as lib, SOCK_CLOEXEC, SOCK_NONBLOCK, SOL_SOCKET } from '../../os/libc.js';
import { parseIpv4, parseIpv6 } from '../wire/index.js';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SO_REUSEADDR = 2;
const IPPROTO_IP = 0;
const IPPROTO_TCP = 6;
const IPPROTO_IPV6 = 41;
const TCP_SAVE_SYN = 27;
const TCP_SAVED_SYN = 28;
const IP_TTL = 2;
const IP_MINTTL = 21;
const IPV6_UNICAST_HOPS = 16;
const IPV6_V6ONLY = 26;
const IPV6_MINHOPCOUNT = 73;
const TCP_MD5SIG = 14;
/** linux/tcp.h: struct tcp_md5sig is a sockaddr_storage (128), flags, prefixlen, keylen (u16), ifindex (i32), key[80]. */
const MD5SIG_SIZE = 216;
const MD5_KEYLEN_AT = 130;
const MD5_KEY_AT = 136;
const TCP_MD5SIG_MAXKEYLEN = 80;
const ENOENT = 2;

/** Security options for one neighbour's sockets. */
export interface SocketSecurity {
  /** TCP-MD5 key (RFC 2385); at most 80 bytes. */
  password?: string;
  /** GTSM (RFC 5082): hops to the peer; TTL 255 is sent and at least 256 - hops accepted. */
  ttlSecurityHops?: number;
}

function check(result: number, call: string): number {
  if (result < 0) throw errnoError(call);
  return result;
}

/**
 * A struct sockaddr_in / sockaddr_in6 for `address`. A v6 socket talking to a v4 peer sees it
 * as the mapped address ::ffff:a.b.c.d, so that form is used when `family` is 6.
 */
export function sockaddr(address: string, port: number, family: 4 | 6 = net.isIPv6(address) ? 6 : 4): Buffer {
  if (family === 4) {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(AF_INET, 0); // sa_family is host order (little-endian on the targets routed runs on)
    b.writeUInt16BE(port, 2);
    if (!parseIpv4(address, b, 4)) throw new RangeError(`bad IPv4 address ${address}`);
    return b;
  }
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  const text = net.isIPv4(address) ? `::ffff:${address}` : address.replace(/%.*$/, '');
  if (!parseIpv6(text, b, 8)) throw new RangeError(`bad IPv6 address ${address}`);
  return b;
}

/** Add (or with an empty key, remove) the TCP-MD5 key for `peer` on a socket (RFC 2385). */
export function setMd5Key(fd: number, peer: string, password: string | undefined, socketFamily: 4 | 6 = net.isIPv6(peer) ? 6 : 4): void {
  const key = Buffer.from(password ?? '', 'utf8');
  if (key.length > TCP_MD5SIG_MAXKEYLEN) throw new RangeError(`TCP-MD5 key longer than ${TCP_MD5SIG_MAXKEYLEN} bytes`);
  const sig = Buffer.alloc(MD5SIG_SIZE);
  sockaddr(peer, 0, socketFamily).copy(sig, 0);
  sig.writeUInt16LE(key.length, MD5_KEYLEN_AT);
  key.copy(sig, MD5_KEY_AT);
  const r = lib().setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, sig, MD5SIG_SIZE);
  // Removing a key that is not there is not an error for us.
  if (r < 0 && !(key.length === 0 && errno() === ENOENT)) throw errnoError('setsockopt(TCP_MD5SIG)');
}

/** GTSM (RFC 5082 §3): send with TTL 255, accept only TTL ≥ 256 - hops. */
export function setTtlSecurity(fd: number, hops: number, socketFamily: 4 | 6): void {
  const minTtl = Math.max(1, Math.min(255, 256 - hops));
  const { setsockopt } = lib();
  if (socketFamily === 4) {
    check(setsockopt(fd, IPPROTO_IP, IP_TTL, int32(255), 4), 'setsockopt(IP_TTL)');
    check(setsockopt(fd, IPPROTO_IP, IP_MINTTL, int32(minTtl), 4), 'setsockopt(IP_MINTTL)');
  } else {
    check(setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, int32(255), 4), 'setsockopt(IPV6_UNICAST_HOPS)');
    check(setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, int32(minTtl), 4), 'setsockopt(IPV6_MINHOPCOUNT)');
  }
}

function newFd(family: 4 | 6): number {
  return check(lib().socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), 'socket');
}

/** Run `setup` on a fresh descriptor; close it if setup throws. */
function withFd<T>(family: 4 | 6, setup: (fd: number) => T): T {
  const fd = newFd(family);
  try {
    return setup(fd);
  } catch (e) {
    lib().close(fd);
    throw e;
  }
}

/**
 * An unconnected Node socket for a connection to `peer`, with MD5 and GTSM already set. The
 * caller calls `socket.connect({ host: peer, port, localAddress })`. Throws when the kernel
 * refuses an option (a kernel built without TCP-MD5, for one).
 */
export function createConnectSocket(peer: string, security: SocketSecurity, opts: { writableHighWaterMark?: number } = {}): net.Socket {
  const family = net.isIPv6(peer) ? 6 : 4;
  return withFd(family, (fd) => {
    if (security.password) setMd5Key(fd, peer, security.password, family);
    if (security.ttlSecurityHops !== undefined) setTtlSecurity(fd, security.ttlSecurityHops, family);
    return new net.Socket({ fd, readable: true, writable: true, ...opts });
  });
}

/** The descriptor under a Node socket (accepted sockets), or undefined. */
export function socketFd(socket: net.Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * The TTL (IPv4) or hop limit (IPv6) of the SYN that opened an accepted connection, from the
 * headers its listener saved (TCP_SAVE_SYN: network header first); undefined when none was saved.
 */
export function savedSynTtl(fd: number): number | undefined {
  const buf = Buffer.alloc(512);
  const len = new Uint32Array([buf.length]);
  if (lib().getsockopt(fd, IPPROTO_TCP, TCP_SAVED_SYN, buf, len) !== 0 || len[0]! < 20) return undefined;
  const version = buf[0]! >> 4;
  return version === 4 ? buf[8] : version === 6 ? buf[7] : undefined;
}

/**
 * GTSM on an accepted socket: the minimum TTL from now on, and the SYN's own TTL checked. Throws
 * when the SYN came from too far (the caller closes the socket unread).
 */
export function secureAccepted(socket: net.Socket, security: SocketSecurity): void {
  if (security.ttlSecurityHops === undefined) return;
  const fd = socketFd(socket);
  if (fd === undefined) throw new Error('accepted socket has no file descriptor');
  setTtlSecurity(fd, security.ttlSecurityHops, socket.remoteFamily === 'IPv6' ? 6 : 4);
  // RFC 5082 §3: "If the TTL is less than the configured value, the packet is discarded" — the
  // listener could not know the peer before answering, so its SYN is judged here.
  const min = Math.max(1, Math.min(255, 256 - security.ttlSecurityHops));
  const ttl = savedSynTtl(fd);
  if (ttl !== undefined && ttl < min) throw new Error(`GTSM: SYN from ${socket.remoteAddress ?? '?'} with TTL ${ttl}, below ${min}`);
}

/** A listening TCP socket whose descriptor routed made, so MD5 keys can be set per peer. */
export class Listener {
  private constructor(
    readonly server: net.Server,
    private readonly fd: number,
    readonly family: 4 | 6,
  ) {}

  /** Bind and listen on address:port (port 0 picks a free one). 'connection' events come from `server`. */
  static async open(address: string, port: number, opts: { backlog?: number; highWaterMark?: number } = {}): Promise<Listener> {
    const family = net.isIPv6(address) ? 6 : 4;
    const fd = withFd(family, (fd) => {
      const { setsockopt, bind, listen } = lib();
      check(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, int32(1), 4), 'setsockopt(SO_REUSEADDR)');
      // Keep each connection's SYN headers for secureAccepted's GTSM check (freed when read or
      // when the connection closes: a few dozen bytes per connection).
      check(setsockopt(fd, IPPROTO_TCP, TCP_SAVE_SYN, int32(1), 4), 'setsockopt(TCP_SAVE_SYN)');
      // "::" listens for IPv4 peers too (as mapped addresses), unless the system says otherwise.
      if (family === 6 && address === '::') check(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, int32(0), 4), 'setsockopt(IPV6_V6ONLY)');
      // RFC 5082 §3: a GTSM peer drops our SYN-ACK unless it leaves with TTL 255, and the
      // listener cannot tell which peer a SYN is from before answering; 255 harms no other peer.
      check(setsockopt(fd, IPPROTO_IP, IP_TTL, int32(255), 4), 'setsockopt(IP_TTL)');
      if (family === 6) check(setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, int32(255), 4), 'setsockopt(IPV6_UNICAST_HOPS)');
      const sa = sockaddr(address, port, family);
      check(bind(fd, sa, sa.length), `bind(${address}:${port})`);
      check(listen(fd, opts.backlog ?? 128), 'listen');
      return fd;
    });
    const server = net.createServer({ highWaterMark: opts.highWaterMark ?? 64 * 1024 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new Listener(server, fd, family);
  }

  get port(): number {
    const a = this.server.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  /** Set the TCP-MD5 key for connections from `peer`; undefined or '' removes it. */
  setPeerKey(peer: string, password: string | undefined): void {
    if (this.family === 4 && net.isIPv6(peer)) throw new RangeError(`IPv6 peer ${peer} on an IPv4 listener`);
    setMd5Key(this.fd, peer, password, this.family);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
