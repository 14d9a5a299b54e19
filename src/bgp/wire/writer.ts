// Byte writer for the encoder: one growable scratch area, copied out once per message.

export class Writer {
  buf: Buffer;
  pos = 0;

  constructor(initial = 4096) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private grow(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.grow(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u16(v: number): void {
    this.grow(2);
    const b = this.buf;
    b[this.pos] = (v >>> 8) & 0xff;
    b[this.pos + 1] = v & 0xff;
    this.pos += 2;
  }

  u32(v: number): void {
    this.grow(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 24) & 0xff;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
  }

  bytes(src: Uint8Array): void {
    this.grow(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** Reserve n bytes to be filled in later (lengths); returns their offset. */
  reserve(n: number): number {
    this.grow(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  putU8(at: number, v: number): void {
    this.buf[at] = v & 0xff;
  }

  putU16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }

  /** Move bytes [from, pos) forward by `by` bytes (to widen a length field after the fact). */
  shiftFrom(from: number, by: number): void {
    this.grow(by);
    this.buf.copy(this.buf, from + by, from, this.pos);
    this.pos += by;
  }

  /** A copy of what was written; the scratch area is reset for the next message. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }
}
