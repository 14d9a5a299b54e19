// The one bounded reader of the codec. Every read of wire bytes goes through it, so every
// declared length is checked against the bytes really there in this one place. binary-parser
// (used for fixed layouts) does not check lengths: `fixed()` checks before it runs one.

import type { Parser } from 'binary-parser';

/** Thrown inside the codec when a read would pass the end; caught at the codec's entry points. */
export class Truncated extends Error {
  constructor(
    readonly at: number,
    readonly wanted: number,
  ) {
    super(`truncated: wanted ${wanted} byte(s) at offset ${at}`);
  }
}

export class Reader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    /** Exclusive end of the readable window. */
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Check that n more bytes are present; throws Truncated otherwise. */
  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new Truncated(this.pos, n);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** A view of the next n bytes (no copy). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A reader over the next n bytes, which this reader then skips. */
  sub(n: number): Reader {
    this.need(n);
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** Run a binary-parser fixed layout of `size` bytes, after checking the bytes are there. */
  fixed<T>(parser: Parser, size: number): T {
    this.need(size);
    const view = this.buf.subarray(this.pos, this.pos + size);
    this.pos += size;
    return parser.parse(view) as T;
  }

  hex(n: number): string {
    return toHex(this.bytes(n));
  }
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  return Buffer.from(hex, 'hex');
}
