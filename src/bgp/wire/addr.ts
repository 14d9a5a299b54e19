// Address and prefix text <-> bytes, hand-written because they run once per prefix on the hot
// path (ip-num's objects cost several times more per prefix). Text is canonical: dotted quad for
// IPv4, RFC 5952 for IPv6.

export function ipv4ToText(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

const hexWords: string[] = [];

export function ipv6ToText(b: Uint8Array, off = 0): string {
  const words = new Array<number>(8);
  for (let i = 0; i < 8; i++) words[i] = (b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!;
  // RFC 5952 §4.2: compress the longest run (first on a tie) of two or more zero words.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
  if (bestStart === 0 && bestLen === 5 && words[5] === 0xffff) return `::ffff:${ipv4ToText(b, off + 12)}`;
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

function hexWord(w: number): string {
  let s = hexWords[w];
  if (s === undefined) {
    s = w.toString(16);
    if (w < 4096) hexWords[w] = s;
  }
  return s;
}

/** Parse a dotted quad into out[off..off+4). Returns false if it is not one. */
export function parseIpv4(text: string, out: Uint8Array, off = 0): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
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

/** Parse IPv6 text (with optional embedded dotted quad) into out[off..off+16). */
export function parseIpv6(text: string, out: Uint8Array, off = 0): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const words: number[] = [];
  const pushGroups = (groups: string[], into: number[]): boolean => {
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (g.includes('.')) {
        if (i !== groups.length - 1) return false;
        const q = new Uint8Array(4);
        if (!parseIpv4(g, q)) return false;
        into.push((q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
        into.push(parseInt(g, 16));
      }
    }
    return true;
  };
  const tailWords: number[] = [];
  if (!pushGroups(head, words) || !pushGroups(tail, tailWords)) return false;
  if (halves.length === 2) {
    const zeros = 8 - words.length - tailWords.length;
    if (zeros < 1) return false;
    for (let i = 0; i < zeros; i++) words.push(0);
  }
  words.push(...tailWords);
  if (words.length !== 8) return false;
  for (let i = 0; i < 8; i++) {
    out[off + 2 * i] = words[i]! >>> 8;
    out[off + 2 * i + 1] = words[i]! & 0xff;
  }
  return true;
}

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
  if (slash < 0) return -1;
  const len = Number(text.slice(slash + 1));
  const max = afi === 1 ? 32 : 128;
  if (!Number.isInteger(len) || len < 0 || len > max) return -1;
  const addr = text.slice(0, slash);
  const n = (len + 7) >> 3;
  if (afi === 1) {
    if (!parseIpv4(addr, scratch)) return -1;
  } else if (!parseIpv6(addr, scratch)) {
    return -1;
  }
  out[off] = len;
  for (let i = 0; i < n; i++) out[off + 1 + i] = scratch[i]!;
  return 1 + n;
}

const scratch = new Uint8Array(16);
