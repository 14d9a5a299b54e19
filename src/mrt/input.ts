// Loading an MRT file: plain, gzip or bzip2, detected by magic bytes (not by file name).

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import Bunzip from 'seek-bzip';

export type Compression = 'none' | 'gzip' | 'bzip2';

export function detectCompression(buf: Uint8Array): Compression {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return 'gzip';
  // "BZh" followed by the block size digit '1'..'9'.
  if (buf.length >= 4 && buf[0] === 0x42 && buf[1] === 0x5a && buf[2] === 0x68 && buf[3]! >= 0x31 && buf[3]! <= 0x39) {
    return 'bzip2';
  }
  return 'none';
}

/** Decompress if needed. Throws on a corrupt compressed stream. */
export function decompressMrt(buf: Uint8Array): Uint8Array {
  switch (detectCompression(buf)) {
    case 'gzip':
      return gunzipSync(buf);
    case 'bzip2':
      return Bunzip.decode(buf);
    default:
      return buf;
  }
}

export function loadMrtFile(path: string): Uint8Array {
  return decompressMrt(readFileSync(path));
}
