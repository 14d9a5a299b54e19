// One rtnetlink socket with request tracking by sequence number, over the `netlink` package's raw
// socket (the parsed NetlinkSocket layer would decode every reply of a million-route dump twice).
// The raw socket stays referenced while open, so Node does not start exiting while replies are
// awaited (dataplane-facts.md: an unreferenced socket there aborts the process).
//
// A socket belongs to the network namespace its creator was in: to program another namespace,
// it is made inside inNetns (src/os/netns.ts).

// The raw layer only: the package's index loads its generated code for every netlink family (~12 MiB).
import { RawNetlinkSocket } from 'netlink/dist/raw.js';
import type { ErrnoException } from 'netlink/dist/raw.js';
import { MsgWriter, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, errnoName, errorCode, forEachMsg } from './nlmsg.js';
import type { RxMsg } from './nlmsg.js';
import { ENOBUFS } from '../../os/libc.js';

import { inNetns } from '../../os/netns.js';

export { inNetns };

const NETLINK_ROUTE = 0;

/** A kernel error for one request. */
export class NetlinkError extends Error {
  constructor(readonly errno: number, what: string) {
    super(`${what}: ${errnoName(errno)}`);
  }

  get code(): string {
    return errnoName(this.errno);
  }
}

interface Pending {
  first: number;
  last: number;
  /** Called for each reply in [first, last]; returns true when the request is complete. */
  onMsg: (m: RxMsg) => boolean;
  fail: (e: Error) => void;
}

export interface NlSocketOptions {
  /** Network namespace name (/run/netns/NAME) or path; default: the caller's. */
  netns?: string;
  /** SO_RCVBUF request (the kernel caps it at net.core.rmem_max, then doubles it). */
  recvBufferSize?: number;
}

export class NlSocket {
  private readonly raw: RawNetlinkSocket;
  private seq = 1;
  private pending: Pending[] = [];
  private closed = false;
  /** Messages nobody asked for (multicast events, seq 0). */
  onEvent: ((m: RxMsg) => void) | undefined;
  /** The socket lost messages (ENOBUFS) or failed: events were dropped, state must be re-read. */
  onError: ((e: Error) => void) | undefined;

  constructor(opts: NlSocketOptions = {}) {
    this.raw = inNetns(opts.netns, () => new RawNetlinkSocket(NETLINK_ROUTE, {
      recvBufferSize: opts.recvBufferSize ?? 8 << 20,
      sendBufferSize: 4 << 20,
    }));
    // These handlers run inside the native binding's callback: an exception escaping them aborts
    // the whole process (Napi::Error), so every one is caught and reported as a socket error.
    this.raw.on('message', (buf) => {
      try {
        forEachMsg(buf, (m) => this.dispatch(m));
      } catch (e) {
        this.failAll(e instanceof Error ? e : new Error(String(e)));
      }
    });
    this.raw.on('error', (e: ErrnoException) => this.failAll(e.errno === ENOBUFS ? new NetlinkError(ENOBUFS, 'netlink replies lost') : e));
  }

  /** The receive buffer the kernel granted: how many error replies fit before any is lost. */
  recvBufferSize(): number {
    return this.raw.getRecvBufferSize();
  }

  addMembership(group: number): void {
    this.raw.addMembership(group);
  }

  /** Reserve n consecutive sequence numbers; returns the first. */
  reserve(n: number): number {
    // A batch's numbers must be consecutive: wrap before, never inside, a range.
    if (this.seq + n > 0x7fffffff) this.seq = 1;
    const first = this.seq;
    this.seq += n;
    return first;
  }

  private dispatch(m: RxMsg): void {
    const p = m.seq === 0 ? undefined : this.pending.find((x) => m.seq >= x.first && m.seq <= x.last);
    if (!p) {
      this.onEvent?.(m);
      return;
    }
    let done: boolean;
    try {
      done = p.onMsg(m);
    } catch (e) {
      done = true;
      p.fail(e as Error);
    }
    if (done) this.pending = this.pending.filter((x) => x !== p);
  }

  private failAll(e: Error): void {
    const all = this.pending;
    this.pending = [];
    for (const p of all) p.fail(e);
    if (!this.closed) {
      try {
        this.onError?.(e);
      } catch (inner) {
        process.emitWarning(`netlink error handler failed: ${(inner as Error).message} (after: ${e.message})`);
      }
    }
  }

  private write(data: Buffer, p: Pending): void {
    if (this.closed) {
      p.fail(new Error('netlink socket closed'));
      return;
    }
    this.pending.push(p);
    // The native send runs sendmsg(2) at once; the kernel handles every message of the datagram
    // inside that call, so the callback means every reply is queued for us.
    this.raw.send(data, {}, (err) => {
      if (!err) return;
      this.pending = this.pending.filter((x) => x !== p);
      try {
        p.fail(err);
      } catch (e) {
        this.onError?.(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /**
   * Send a datagram of messages numbered first..last, the last one carrying NLM_F_ACK. Resolves
   * with the kernel's errors by sequence number (negative errno) once the last one is answered.
   */
  batch(data: Buffer, first: number, last: number): Promise<Map<number, number>> {
    return new Promise((resolve, reject) => {
      const errors = new Map<number, number>();
      this.write(data, {
        first,
        last,
        fail: reject,
        onMsg: (m) => {
          if (m.type !== NLMSG_ERROR) return false;
          const code = errorCode(m);
          if (code !== 0) errors.set(m.seq, code);
          if (m.seq !== last) return false;
          resolve(errors);
          return true;
        },
      });
    });
  }

  /** One request with NLM_F_ACK set by the caller; resolves with its replies, rejects on error. */
  request(data: Buffer, seq: number, what: string): Promise<RxMsg[]> {
    return new Promise((resolve, reject) => {
      const replies: RxMsg[] = [];
      this.write(data, {
        first: seq,
        last: seq,
        fail: reject,
        onMsg: (m) => {
          if (m.type === NLMSG_ERROR) {
            const code = errorCode(m);
            if (code !== 0) reject(new NetlinkError(-code, what));
            else resolve(replies);
            return true;
          }
          replies.push(m); // each datagram is a fresh Buffer: keeping the view is safe
          return false;
        },
      });
    });
  }

  /**
   * Dump every object of a kind: a `type` request with NLM_F_DUMP and a zeroed fixed header of
   * `headerLen` bytes whose first byte is `family` (AF_UNSPEC: both); each reply goes to onMsg.
   */
  dumpOf(type: number, headerLen: number, what: string, onMsg: (m: RxMsg) => void, family = 0): Promise<void> {
    const w = new MsgWriter(64);
    const seq = this.reserve(1);
    const at = w.begin(type, NLM_F_REQUEST | NLM_F_DUMP, seq, headerLen);
    w.buf[at] = family;
    w.end();
    return this.dump(w.take(), seq, what, onMsg);
  }

  /** A dump request (NLM_F_DUMP set by the caller): each reply goes to onMsg until NLMSG_DONE. */
  dump(data: Buffer, seq: number, what: string, onMsg: (m: RxMsg) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.write(data, {
        first: seq,
        last: seq,
        fail: reject,
        onMsg: (m) => {
          if (m.type === NLMSG_DONE) {
            resolve();
            return true;
          }
          if (m.type === NLMSG_ERROR) {
            const code = errorCode(m);
            if (code !== 0) reject(new NetlinkError(-code, what));
            else resolve();
            return true;
          }
          onMsg(m);
          return false;
        },
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('netlink socket closed'));
    this.raw.close();
  }
}
