// Address and prefix text <-> bytes, hand-written because they run once per prefix on the hot
// path (ip-num's objects cost several times more per prefix). Text is canonical: dotted quad for
// IPv4, RFC 5952 for IPv6.

/**
 * Dotted quad of b[off..off+4). The texts made last are kept in a small direct-mapped cache: the
 * same few addresses (a peer's next hop, aggregators, router ids) come in every UPDATE, and a hit
 * costs no string.
 */
export function ipv4ToText(b: Uint8Array, off = 0): string {
  const a = (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
  const i = Math.imul(a, 0x9e3779b1) >>> 24;
  const hit = cachedText[i];
  if (hit !== undefined && cachedAddr[i] === a) return hit;
  // Octet texts from the table, not number-to-string conversions (a miss is an AGGREGATOR's
  // address, different in most sets).
  const text = OCTET[b[off]!]! + '.' + OCTET[b[off + 1]!]! + '.' + OCTET[b[off + 2]!]! + '.' + OCTET[b[off + 3]!]!;
  cachedAddr[i] = a;
  cachedText[i] = text;
  return text;
}

const cachedAddr = new Int32Array(256);
const cachedText = new Array<string | undefined>(256).fill(undefined);

/**
 * Hex text of 16-bit words, made on first use. Filled with undefined up front: writes at
 * scattered indices into an empty array turn it into a slow dictionary (a lookup per word of
 * every IPv6 prefix text).
 */
const hexWords: (string | undefined)[] = new Array<string | undefined>(65536).fill(undefined);
const scratchWords = new Array<number>(8);

/** RFC 5952 text of eight 16-bit words (shared by addresses and NLRI prefixes). */
export function wordsToText(words: ArrayLike<number>): string {
  // RFC 5952 §4.2: compress the longest run (first on a tie) of two or more zero words.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
  if (bestStart === 0 && bestLen === 5 && words[5] === 0xffff) {
    const hi = words[6]!;
    const lo = words[7]!;
    return `::ffff:${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    out += hexWord(words[i]!);
    if (i < 7) out += ':';
  }
  return out;
}

/** 0..255 as text: IPv4 prefixes are formatted by concatenating four of these. */
const OCTET = Array.from({ length: 256 }, (_, i) => String(i));

/** "a.b.c.d/len" of an address as one 32-bit word (prefix keys, the RIB's prefix table). */
export function ipv4WordText(a: number, len: number): string {
  return OCTET[a >>> 24]! + '.' + OCTET[(a >>> 16) & 255]! + '.' + OCTET[(a >>> 8) & 255]! + '.' + OCTET[a & 255]! + '/' + OCTET[len]!;
}

/** RFC 5952 text and "/len" of an IPv6 address as four 32-bit words. */
export function ipv6WordsText(w0: number, w1: number, w2: number, w3: number, len: number): string {
  scratchWords[0] = w0 >>> 16;
  scratchWords[1] = w0 & 0xffff;
  scratchWords[2] = w1 >>> 16;
  scratchWords[3] = w1 & 0xffff;
  scratchWords[4] = w2 >>> 16;
  scratchWords[5] = w2 & 0xffff;
  scratchWords[6] = w3 >>> 16;
  scratchWords[7] = w3 & 0xffff;
  return `${wordsToText(scratchWords)}/${len}`;
}

/**
 * RFC 5952 text of b[off..off+16). As ipv4ToText, the texts made last are kept in a small
 * direct-mapped cache keyed by the address's four words: a full table's MP_REACH_NLRI names a
 * handful of next hops in ~100k UPDATEs, and a hit costs neither the formatting nor a string.
 */
export function ipv6ToText(b: Uint8Array, off = 0): string {
  const w0 = (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
  const w1 = (b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!;
  const w2 = (b[off + 8]! << 24) | (b[off + 9]! << 16) | (b[off + 10]! << 8) | b[off + 11]!;
  const w3 = (b[off + 12]! << 24) | (b[off + 13]! << 16) | (b[off + 14]! << 8) | b[off + 15]!;
  const i = Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ Math.imul(w3, 0x27d4eb2f), 0x9e3779b1) >>> 26;
  const hit = cachedV6Text[i];
  const at = 4 * i;
  if (hit !== undefined && cachedV6Words[at] === w0 && cachedV6Words[at + 1] === w1 && cachedV6Words[at + 2] === w2 && cachedV6Words[at + 3] === w3) {
    return hit;
  }
  for (let k = 0; k < 8; k++) scratchWords[k] = (b[off + 2 * k]! << 8) | b[off + 2 * k + 1]!;
  const text = wordsToText(scratchWords);
  cachedV6Words[at] = w0;
  cachedV6Words[at + 1] = w1;
  cachedV6Words[at + 2] = w2;
  cachedV6Words[at + 3] = w3;
  cachedV6Text[i] = text;
  return text;
}

/** 64 entries: the four words of each address (Int32, as computed above) and its text. */
const cachedV6Words = new Int32Array(4 * 64);
const cachedV6Text = new Array<string | undefined>(64).fill(undefined);

function hexWord(w: number): string {
  let s = hexWords[w];
  if (s === undefined) {
    s = w.toString(16);
    hexWords[w] = s;
  }
  return s;
}

/** Parse a dotted quad text[from, to) into out[off..off+4). Returns false if it is not one. */
export function parseIpv4(text: string, out: Uint8Array, off = 0, from = 0, to = text.length): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 2) return false;
      out[off + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else {
      return false;
    }
  }
  if (digits === 0 || part !== 3) return false;
  out[off + 3] = value;
  return true;
}

/** The value of a hex digit's character code, or -1. */
export function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const groups = new Uint16Array(8);

/**
 * Parse IPv6 text[from, to) (RFC 4291 §2.2, with "::" and an optional trailing dotted quad) into
 * out[off..off+16). A single pass over the characters: it runs once per IPv6 prefix encoded.
 */
export function parseIpv6(text: string, out: Uint8Array, off = 0, from = 0, to = text.length): boolean {
  let n = 0; // groups parsed
  let gap = -1; // group index where "::" stands
  let i = from;
  if (to - from >= 2 && text.charCodeAt(i) === 58) {
    if (text.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < to) {
    if (n === 8) return false;
    let value = 0;
    let digits = 0;
    const groupStart = i;
    while (i < to) {
      const d = hexDigit(text.charCodeAt(i));
      if (d < 0) break;
      value = (value << 4) | d;
      if (++digits > 4) return false;
      i++;
    }
    if (i < to && text.charCodeAt(i) === 46) {
      // Embedded IPv4 in the last 32 bits (RFC 4291 §2.2 form 3).
      if (n > 6 || !parseIpv4(text, scratch4, 0, groupStart, to)) return false;
      groups[n++] = (scratch4[0]! << 8) | scratch4[1]!;
      groups[n++] = (scratch4[2]! << 8) | scratch4[3]!;
      i = to;
      break;
    }
    if (digits === 0) return false;
    groups[n++] = value;
    if (i === to) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < to && text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === to) {
      return false;
    }
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  const zeros = 8 - n;
  for (let g = 0, src = 0; g < 8; g++) {
    const w = gap >= 0 && g >= gap && g < gap + zeros ? 0 : groups[src++]!;
    out[off + 2 * g] = w >>> 8;
    out[off + 2 * g + 1] = w & 0xff;
  }
  return true;
}

const scratch4 = new Uint8Array(4);

/** Text of a prefix whose significant bytes are b[off..off+ceil(len/8)). Host bits are kept. */
export function prefixToText(afi: number, b: Uint8Array, off: number, len: number): string {
  const n = (len + 7) >> 3;
  if (afi === 1) {
    const a = n > 0 ? b[off]! : 0;
    const c = n > 1 ? b[off + 1]! : 0;
    const d = n > 2 ? b[off + 2]! : 0;
    const e = n > 3 ? b[off + 3]! : 0;
    return `${a}.${c}.${d}.${e}/${len}`;
  }
  const full = new Uint8Array(16);
  for (let i = 0; i < n; i++) full[i] = b[off + i]!;
  return `${ipv6ToText(full)}/${len}`;
}

/**
 * Parse prefix text into out[off..]: writes the length octet and the significant bytes, returns
 * bytes written, or -1 if the text is not a prefix of that family.
 */
export function writePrefix(afi: number, text: string, out: Uint8Array, off: number): number {
  const slash = text.indexOf('/');
  if (slash < 0 || slash + 1 >= text.length || text.length - slash > 4) return -1;
  let len = 0;
  for (let i = slash + 1; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    len = len * 10 + c;
  }
  if (len > (afi === 1 ? 32 : 128)) return -1;
  const ok = afi === 1 ? parseIpv4(text, scratch, 0, 0, slash) : parseIpv6(text, scratch, 0, 0, slash);
  if (!ok) return -1;
  const n = (len + 7) >> 3;
  out[off] = len;
  for (let i = 0; i < n; i++) out[off + 1 + i] = scratch[i]!;
  return 1 + n;
}

const scratch = new Uint8Array(16);
