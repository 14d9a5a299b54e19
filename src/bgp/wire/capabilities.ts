// Capabilities (RFC 5492): one descriptor table by capability code. A known capability whose
// length does not fit its format is kept raw (as UNKNOWN) rather than failing the OPEN: the
// session decides what it requires, and the bytes still re-encode exactly.

import type { Capability } from './types.js';
import { toHex, fromHex } from './reader.js';
import type { Writer } from './writer.js';

interface CapDescriptor {
  code: number;
  name: Capability['name'];
  /** Value from value bytes, or undefined when the length does not fit the format. */
  decode(b: Uint8Array, s: number, len: number): unknown;
  encode(w: Writer, value: never): void;
}

const u16 = (b: Uint8Array, p: number): number => (b[p]! << 8) | b[p + 1]!;
const u32 = (b: Uint8Array, p: number): number =>
  ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;

/** Decode a list of fixed-size tuples, or undefined if len is not a multiple of the size. */
function tuples<T>(b: Uint8Array, s: number, len: number, size: number, one: (p: number) => T): T[] | undefined {
  if (len % size !== 0) return undefined;
  return Array.from({ length: len / size }, (_, i) => one(s + i * size));
}

const empty = (_b: Uint8Array, _s: number, len: number): null | undefined => (len === 0 ? null : undefined);

const utf8 = new TextDecoder('utf-8', { fatal: false });

const CAPABILITIES: CapDescriptor[] = [
  {
    code: 1, name: 'MULTIPROTOCOL', // RFC 4760 §8
    decode: (b, s, len) => (len === 4 ? { afi: u16(b, s), safi: b[s + 3]! } : undefined),
    encode: (w, v: { afi: number; safi: number }) => (w.u16(v.afi), w.u8(0), w.u8(v.safi)),
  },
  { code: 2, name: 'ROUTE_REFRESH', decode: empty, encode: () => undefined }, // RFC 2918 §2
  {
    code: 5, name: 'EXTENDED_NEXT_HOP', // RFC 8950 §4
    decode: (b, s, len) => tuples(b, s, len, 6, (p) => ({ afi: u16(b, p), safi: u16(b, p + 2), nextHopAfi: u16(b, p + 4) })),
    encode: (w, v: { afi: number; safi: number; nextHopAfi: number }[]) =>
      v.forEach((t) => (w.u16(t.afi), w.u16(t.safi), w.u16(t.nextHopAfi))),
  },
  { code: 6, name: 'EXTENDED_MESSAGE', decode: empty, encode: () => undefined }, // RFC 8654 §3
  {
    code: 9, name: 'BGP_ROLE', // RFC 9234 §4.1
    decode: (b, s, len) => (len === 1 ? b[s]! : undefined),
    encode: (w, v: number) => w.u8(v),
  },
  {
    code: 64, name: 'GRACEFUL_RESTART', // RFC 4724 §3, RFC 8538 §2 (N bit)
    decode: (b, s, len) => {
      if (len < 2 || (len - 2) % 4 !== 0) return undefined;
      const head = u16(b, s);
      return {
        restarting: (head & 0x8000) !== 0,
        notification: (head & 0x4000) !== 0,
        restartTime: head & 0x0fff,
        families: tuples(b, s + 2, len - 2, 4, (p) => ({
          afi: u16(b, p),
          safi: b[p + 2]!,
          forwardingPreserved: (b[p + 3]! & 0x80) !== 0,
        }))!,
      };
    },
    encode: (w, v: Extract<Capability, { code: 64 }>['value']) => {
      w.u16((v.restarting ? 0x8000 : 0) | (v.notification ? 0x4000 : 0) | (v.restartTime & 0x0fff));
      for (const f of v.families) {
        w.u16(f.afi);
        w.u8(f.safi);
        w.u8(f.forwardingPreserved ? 0x80 : 0);
      }
    },
  },
  {
    code: 65, name: 'FOUR_OCTET_AS', // RFC 6793 §3
    decode: (b, s, len) => (len === 4 ? u32(b, s) : undefined),
    encode: (w, v: number) => w.u32(v),
  },
  {
    code: 69, name: 'ADD_PATH', // RFC 7911 §4
    decode: (b, s, len) => tuples(b, s, len, 4, (p) => ({ afi: u16(b, p), safi: b[p + 2]!, sendReceive: b[p + 3]! })),
    encode: (w, v: { afi: number; safi: number; sendReceive: number }[]) =>
      v.forEach((t) => (w.u16(t.afi), w.u8(t.safi), w.u8(t.sendReceive))),
  },
  { code: 70, name: 'ENHANCED_ROUTE_REFRESH', decode: empty, encode: () => undefined }, // RFC 7313 §3
  {
    code: 71, name: 'LONG_LIVED_GR', // RFC 9494 §3
    decode: (b, s, len) =>
      tuples(b, s, len, 7, (p) => ({
        afi: u16(b, p),
        safi: b[p + 2]!,
        flags: b[p + 3]!,
        staleTime: (b[p + 4]! << 16) | (b[p + 5]! << 8) | b[p + 6]!,
      })),
    encode: (w, v: { afi: number; safi: number; flags: number; staleTime: number }[]) =>
      v.forEach((t) => {
        w.u16(t.afi);
        w.u8(t.safi);
        w.u8(t.flags);
        w.u8(t.staleTime >>> 16);
        w.u16(t.staleTime & 0xffff);
      }),
  },
  {
    code: 73, name: 'FQDN', // draft-walton-bgp-hostname-capability §3
    decode: (b, s, len) => {
      if (len < 2) return undefined;
      const hostLen = b[s]!;
      if (1 + hostLen + 1 > len) return undefined;
      const domainLen = b[s + 1 + hostLen]!;
      if (2 + hostLen + domainLen !== len) return undefined;
      return {
        hostname: utf8.decode(b.subarray(s + 1, s + 1 + hostLen)),
        domain: utf8.decode(b.subarray(s + 2 + hostLen, s + 2 + hostLen + domainLen)),
      };
    },
    encode: (w, v: { hostname: string; domain: string }) => {
      for (const part of [v.hostname, v.domain]) {
        const bytes = Buffer.from(part, 'utf8');
        w.u8(bytes.length);
        w.bytes(bytes);
      }
    },
  },
  { code: 128, name: 'ROUTE_REFRESH_OLD', decode: empty, encode: () => undefined }, // pre-RFC 2918 Cisco code
];

const BY_CODE: (CapDescriptor | undefined)[] = [];
for (const d of CAPABILITIES) BY_CODE[d.code] = d;

/** Decode capabilities from a type-2 optional parameter's value; undefined if its framing overruns. */
export function decodeCapabilities(b: Uint8Array, start: number, end: number): Capability[] | undefined {
  const caps: Capability[] = [];
  let p = start;
  while (p < end) {
    if (p + 2 > end) return undefined;
    const code = b[p]!;
    const len = b[p + 1]!;
    p += 2;
    if (p + len > end) return undefined;
    const d = BY_CODE[code];
    const value = d ? d.decode(b, p, len) : undefined;
    caps.push(
      d && value !== undefined
        ? ({ code, name: d.name, value } as Capability)
        : { code, name: 'UNKNOWN', value: toHex(b.subarray(p, p + len)) },
    );
    p += len;
  }
  return caps;
}

export function encodeCapability(w: Writer, cap: Capability): void {
  w.u8(cap.code);
  const lenAt = w.reserve(1);
  const d = BY_CODE[cap.code];
  if (cap.name === 'UNKNOWN' || !d) w.bytes(fromHex(cap.value as string));
  else d.encode(w, cap.value as never);
  w.putU8(lenAt, w.pos - lenAt - 1);
}
