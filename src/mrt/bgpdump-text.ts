// Address text exactly as bgpdump 1.6.2 prints it (its own fmt_ipv6, not RFC 5952): every run
// of zero words, even a single one, may be compressed (the first longest run wins), and
// IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d, last word pair > 1) addresses
// keep a dotted quad.

import { parseIpv6 } from '../bgp/wire/addr.js';

export function fmtIpv4(b: Uint8Array, off = 0): string {
  return `${b[off] ?? 0}.${b[off + 1] ?? 0}.${b[off + 2] ?? 0}.${b[off + 3] ?? 0}`;
}

export function fmtIpv6(b: Uint8Array, off = 0): string {
  const byte = (i: number): number => b[off + i] ?? 0;
  let firstTenZero = true;
  for (let i = 0; i < 10; i++) if (byte(i) !== 0) firstTenZero = false;
  const mapped = firstTenZero && byte(10) === 0xff && byte(11) === 0xff;
  const last = ((byte(12) << 24) | (byte(13) << 16) | (byte(14) << 8) | byte(15)) >>> 0;
  const compat = firstTenZero && byte(10) === 0 && byte(11) === 0 && last > 1;
  if (mapped || compat) return `::${mapped ? 'ffff:' : ''}${fmtIpv4(b, off + 12)}`;

  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((byte(2 * i) << 8) | byte(2 * i + 1));
  // zr[i]: length of the zero run starting at word i.
  const zr = new Array<number>(8).fill(0);
  let run = 0;
  for (let i = 7; i >= 0; i--) {
    run = words[i] === 0 ? run + 1 : 0;
    zr[i] = run;
  }
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; i++) {
    if (zr[i]! > bestLen) {
      best = i;
      bestLen = zr[i]!;
    }
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      if (i === 0) out += ':';
      out += ':';
      i += bestLen - 1;
      continue;
    }
    out += words[i]!.toString(16);
    if (i !== 7) out += ':';
  }
  return out;
}

/** bgpdump's text for an address given as canonical text (dotted quad or RFC 5952). */
export function fmtAddr(text: string): string {
  if (!text.includes(':')) return text;
  const b = new Uint8Array(16);
  if (!parseIpv6(text, b)) return text;
  return fmtIpv6(b);
}

/** bgpdump's text for a prefix given as canonical text ("2001:db8::/32"). */
export function fmtPrefix(text: string): string {
  const slash = text.indexOf('/');
  return slash < 0 ? fmtAddr(text) : fmtAddr(text.slice(0, slash)) + text.slice(slash);
}
