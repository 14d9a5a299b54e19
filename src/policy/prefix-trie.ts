// Prefix lists compiled into binary tries, one per family. A prefix list on a real edge router
// holds tens of thousands of entries and the filter runs once per route of a full table, so a
// lookup walks at most one root-to-leaf path (32 or 128 steps) instead of scanning the list.
// Nodes live in typed arrays: a 20k-entry list of /24s is ~200k nodes, a few MB as objects but
// about 1 MB here.

import { ipv4ToText, ipv6ToText, parseIpv4, parseIpv6 } from '../bgp/wire/index.js';
import type { Family, PrefixListEntry } from '../config/types.js';

export const MAX_LEN: Record<Family, number> = { ipv4: 32, ipv6: 128 };

/** A prefix in bytes: network address (host bits zero for config prefixes) and length. */
export interface ParsedPrefix {
  family: Family;
  bytes: Uint8Array;
  len: number;
}

/** Parse an address (no length) of either family; undefined when it is not one. */
export function parseAddress(text: string): { family: Family; bytes: Uint8Array } | undefined {
  const bytes = new Uint8Array(16);
  if (text.includes(':')) return parseIpv6(text, bytes) ? { family: 'ipv6', bytes } : undefined;
  return parseIpv4(text, bytes) ? { family: 'ipv4', bytes: bytes.subarray(0, 4) } : undefined;
}

/** Canonical text of an address (dotted quad, RFC 5952), or undefined when it is not one. */
export function canonicalAddress(text: string): string | undefined {
  const a = parseAddress(text);
  if (!a) return undefined;
  return a.family === 'ipv4' ? ipv4ToText(a.bytes) : ipv6ToText(a.bytes);
}

/**
 * Parse configuration prefix text strictly: RFC 4632 §3.1 writes a prefix as its network address
 * and length, so host bits set ("192.0.2.1/24") are most likely a typo and are reported.
 */
export function parsePrefix(text: string): ParsedPrefix | string {
  const slash = text.indexOf('/');
  if (slash < 0) return `"${text}" is not a prefix (address/length)`;
  const addr = parseAddress(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!addr) return `"${text}" is not a prefix: bad address`;
  const max = MAX_LEN[addr.family];
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) return `"${text}" is not a prefix: length must be 0..${max}`;
  const len = Number(lenText);
  if (!hostBitsZero(addr.bytes, len)) return `"${text}" has host bits set beyond /${len}`;
  return { family: addr.family, bytes: addr.bytes, len };
}

function hostBitsZero(bytes: Uint8Array, len: number): boolean {
  for (let bit = len; bit < bytes.length * 8; bit++) {
    if (bitAt(bytes, bit) !== 0) return false;
  }
  return true;
}

function bitAt(bytes: Uint8Array, bit: number): number {
  return (bytes[bit >> 3]! >> (7 - (bit & 7))) & 1;
}

const routeScratch = new Uint8Array(16);
// The last prefix parsed into routeScratch: a policy with several prefix conditions (or a chain
// of terms each with one) parses the route's prefix once.
let scratchText = '';
let scratchFamily: Family = 'ipv4';
let scratchLen = -1;

/**
 * Parse a route's canonical prefix text into a shared scratch buffer (the hot path: no
 * allocation). Returns the length, or -1. The buffer is valid until the next call.
 */
export function parseRoutePrefix(family: Family, text: string): number {
  if (text === scratchText && family === scratchFamily) return scratchLen;
  scratchText = '';
  const len = parseIntoScratch(family, text);
  scratchText = text;
  scratchFamily = family;
  scratchLen = len;
  return len;
}

function parseIntoScratch(family: Family, text: string): number {
  const slash = text.indexOf('/');
  if (slash < 0) return -1;
  const ok = family === 'ipv4' ? parseIpv4(text, routeScratch, 0, 0, slash) : parseIpv6(text, routeScratch, 0, 0, slash);
  if (!ok) return -1;
  let len = 0;
  for (let i = slash + 1; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    len = len * 10 + d;
  }
  return slash + 1 < text.length && len <= MAX_LEN[family] ? len : -1;
}

/** One family's binary trie. Each node may carry length ranges [ge, le] of the entries ending there. */
export class PrefixTrie {
  /** Children of node i at 2i (bit 0) and 2i+1 (bit 1); 0 = none (the root, 0, is nobody's child). */
  private children = new Int32Array(64);
  /** First range of node i, plus one; 0 = none. */
  private firstRange = new Int32Array(32);
  private nodeCount = 1;
  private readonly rangeGe: number[] = [];
  private readonly rangeLe: number[] = [];
  private readonly rangeNext: number[] = [];

  get size(): number {
    return this.rangeGe.length;
  }

  /** Add an entry: prefixes under bytes/len whose own length is in [ge, le]. */
  insert(bytes: Uint8Array, len: number, ge: number, le: number): void {
    let node = 0;
    for (let d = 0; d < len; d++) {
      const slot = 2 * node + bitAt(bytes, d);
      let next = this.children[slot]!;
      if (next === 0) {
        next = this.newNode();
        this.children[slot] = next;
      }
      node = next;
    }
    this.rangeGe.push(ge);
    this.rangeLe.push(le);
    this.rangeNext.push(this.firstRange[node]! - 1);
    this.firstRange[node] = this.rangeGe.length;
  }

  /** Does any entry cover the prefix bytes/len (RFC 4632 prefix match plus the entry's length range)? */
  matches(bytes: Uint8Array, len: number): boolean {
    let node = 0;
    for (let d = 0; ; d++) {
      for (let r = this.firstRange[node]! - 1; r >= 0; r = this.rangeNext[r]!) {
        if (len >= this.rangeGe[r]! && len <= this.rangeLe[r]!) return true;
      }
      if (d === len) return false;
      node = this.children[2 * node + bitAt(bytes, d)]!;
      if (node === 0) return false;
    }
  }

  private newNode(): number {
    if (this.nodeCount === this.firstRange.length) {
      const children = new Int32Array(this.children.length * 2);
      children.set(this.children);
      this.children = children;
      const firstRange = new Int32Array(this.firstRange.length * 2);
      firstRange.set(this.firstRange);
      this.firstRange = firstRange;
    }
    return this.nodeCount++;
  }
}

/** A compiled prefix list: one trie per family. */
export class PrefixSet {
  readonly ipv4 = new PrefixTrie();
  readonly ipv6 = new PrefixTrie();

  get size(): number {
    return this.ipv4.size + this.ipv6.size;
  }

  add(p: ParsedPrefix, ge: number, le: number): void {
    this[p.family].insert(p.bytes, p.len, ge, le);
  }

  /** Match a route's canonical prefix text. */
  matchesRoute(family: Family, prefix: string): boolean {
    const trie = this[family];
    if (trie.size === 0) return false;
    const len = parseRoutePrefix(family, prefix);
    return len >= 0 && trie.matches(routeScratch, len);
  }
}

/** Where a prefix-list entry error is, relative to the list: entry index and field. */
export interface EntryError {
  index: number;
  field: 'prefix' | 'ge' | 'le';
  message: string;
}

/**
 * Compile entries into a PrefixSet. Entry semantics (FRR/Cisco prefix lists, BIRD's {ge,le}):
 * neither ge nor le = exactly that prefix; ge alone = lengths ge..max; le alone = len..le;
 * both = ge..le, always with the first `len` bits equal to the entry's prefix.
 */
export function compilePrefixEntries(entries: readonly PrefixListEntry[], into = new PrefixSet()): { set: PrefixSet; errors: EntryError[] } {
  const errors: EntryError[] = [];
  entries.forEach((entry, index) => {
    const p = parsePrefix(entry.prefix);
    if (typeof p === 'string') {
      errors.push({ index, field: 'prefix', message: p });
      return;
    }
    const range = lengthRange(p, entry);
    if (!Array.isArray(range)) {
      errors.push({ index, ...range });
      return;
    }
    into.add(p, range[0], range[1]);
  });
  return { set: into, errors };
}

function lengthRange(p: ParsedPrefix, entry: PrefixListEntry): [number, number] | Omit<EntryError, 'index'> {
  const max = MAX_LEN[p.family];
  const ge = entry.ge ?? p.len;
  const le = entry.le ?? (entry.ge === undefined ? p.len : max);
  if (entry.ge !== undefined && !(Number.isInteger(ge) && ge >= p.len && ge <= max)) {
    return { field: 'ge', message: `ge ${entry.ge} must be an integer in ${p.len}..${max} for ${entry.prefix}` };
  }
  if (entry.le !== undefined && !(Number.isInteger(le) && le >= p.len && le <= max)) {
    return { field: 'le', message: `le ${entry.le} must be an integer in ${p.len}..${max} for ${entry.prefix}` };
  }
  if (ge > le) return { field: 'le', message: `le ${le} is below ge ${ge} for ${entry.prefix}` };
  return [ge, le];
}
