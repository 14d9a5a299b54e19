// A batch of kernel route operations in flat arrays: per operation its kind, the prefix as
// address words and length, and the route's shape (RouteSpec: kind, next hops, metric) by
// reference. A full table is a million operations over a few dozen distinct shapes, so the
// backend resolves each shape once per batch and encodes each message straight from the words:
// no FibRoute, prefix text or error object per route on the way (KernelFib.applyBatch).

import { parseIpv4, parseIpv6, wordsToText } from '../../bgp/wire/addr.js';
import { prefixLengthAt } from '../../rib/prefix.js';
import type { FibFamily, FibRoute } from '../types.js';

/** What a route is apart from its prefix; shared by every route of the same shape. */
export type RouteSpec = Omit<FibRoute, 'prefix'>;

/** A failed operation of a batch, by its index. */
export interface BatchError {
  index: number;
  /** errno name, e.g. ENETUNREACH, ESRCH. */
  code: string;
  errno: number;
  message: string;
}

export interface BatchResult {
  /** Operations that took effect. */
  applied: number;
  /** One per failing operation, in operation order. */
  errors: BatchError[];
}

export const OP_REPLACE = 0;
export const OP_DELETE = 1;

/** 0..255 as text (IPv4 prefixes are formatted by concatenating these). */
const OCTET = Array.from({ length: 256 }, (_, i) => String(i));

export class RouteBatch {
  length = 0;
  op: Uint8Array;
  plen: Uint8Array;
  /** Four words per operation (an IPv4 address uses the first), first octet in the high bits. */
  addr: Uint32Array;
  spec: RouteSpec[] = [];
  private readonly bytes = new Uint8Array(16);

  constructor(capacity = 1024) {
    this.op = new Uint8Array(capacity);
    this.plen = new Uint8Array(capacity);
    this.addr = new Uint32Array(capacity * 4);
  }

  clear(): void {
    this.length = 0;
    this.spec.length = 0;
  }

  private room(): void {
    if (this.length < this.op.length) return;
    const cap = this.op.length * 2;
    const grow = <T extends Uint8Array | Uint32Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.op = grow(this.op, cap);
    this.plen = grow(this.plen, cap);
    this.addr = grow(this.addr, cap * 4);
  }

  /** Append an operation on the prefix w0..w3/len (IPv4: w0 only); returns its index. */
  push(op: number, spec: RouteSpec, len: number, w0: number, w1 = 0, w2 = 0, w3 = 0): number {
    this.room();
    const i = this.length++;
    this.op[i] = op;
    this.plen[i] = len;
    const a = i * 4;
    this.addr[a] = w0;
    this.addr[a + 1] = w1;
    this.addr[a + 2] = w2;
    this.addr[a + 3] = w3;
    this.spec[i] = spec;
    return i;
  }

  /**
   * Append an operation on prefix text, its address taken as written (host bits too: the kernel
   * judges them, as it did the text). Throws RangeError on text that is not a prefix.
   */
  pushText(op: number, spec: RouteSpec, prefix: string): number {
    const slash = prefix.indexOf('/');
    const v4 = spec.family === 'ipv4';
    const len = prefixLengthAt(prefix, slash);
    const b = this.bytes;
    b.fill(0);
    const ok = v4 ? parseIpv4(prefix, b, 0, 0, slash) : parseIpv6(prefix, b, 0, 0, slash);
    if (!ok || len < 0 || len > (v4 ? 32 : 128)) throw new RangeError(`not a prefix: ${prefix}`);
    const w = (k: number): number => ((b[k]! << 24) | (b[k + 1]! << 16) | (b[k + 2]! << 8) | b[k + 3]!) >>> 0;
    return this.push(op, spec, len, w(0), w(4), w(8), w(12));
  }

  family(i: number): FibFamily {
    return this.spec[i]!.family;
  }

  /** The prefix of operation i as text (error messages, logs). */
  prefix(i: number): string {
    const a = i * 4;
    if (this.family(i) === 'ipv4') {
      const x = this.addr[a]!;
      return `${OCTET[x >>> 24]!}.${OCTET[(x >>> 16) & 255]!}.${OCTET[(x >>> 8) & 255]!}.${OCTET[x & 255]!}/${this.plen[i]!}`;
    }
    const words: number[] = [];
    for (let k = 0; k < 4; k++) words.push(this.addr[a + k]! >>> 16, this.addr[a + k]! & 0xffff);
    return `${wordsToText(words)}/${this.plen[i]!}`;
  }
}

