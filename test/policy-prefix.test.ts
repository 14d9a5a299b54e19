// Prefix lists: RFC 4632 prefix matching with ge/le ranges per family, strict parsing of config
// prefixes, and a 20k-entry list checked against a brute-force reference.

import test from 'ava';
import { compilePrefixEntries, parsePrefix, PrefixSet } from '../src/policy/index.js';
import type { Family, PrefixListEntry } from '../src/config/types.js';

function setOf(entries: PrefixListEntry[]): PrefixSet {
  const { set, errors } = compilePrefixEntries(entries);
  if (errors.length) throw new Error(JSON.stringify(errors));
  return set;
}

const v4 = (set: PrefixSet, p: string): boolean => set.matchesRoute('ipv4', p);
const v6 = (set: PrefixSet, p: string): boolean => set.matchesRoute('ipv6', p);

test('exact entry matches only that prefix', (t) => {
  const set = setOf([{ prefix: '10.0.0.0/8' }]);
  t.true(v4(set, '10.0.0.0/8'));
  t.false(v4(set, '10.0.0.0/9'));
  t.false(v4(set, '10.0.0.0/7'));
  t.false(v4(set, '11.0.0.0/8'));
  t.false(v4(set, '0.0.0.0/0'));
});

test('ge alone: lengths ge..32 under the prefix, edges included', (t) => {
  const set = setOf([{ prefix: '192.0.2.0/24', ge: 26 }]);
  t.false(v4(set, '192.0.2.0/24'));
  t.false(v4(set, '192.0.2.0/25'));
  t.true(v4(set, '192.0.2.64/26'));
  t.true(v4(set, '192.0.2.255/32'));
  t.false(v4(set, '192.0.3.0/26'));
});

test('le alone: lengths len..le; both: ge..le', (t) => {
  const le = setOf([{ prefix: '10.0.0.0/8', le: 16 }]);
  t.true(v4(le, '10.0.0.0/8'));
  t.true(v4(le, '10.255.0.0/16'));
  t.false(v4(le, '10.255.0.0/17'));
  const both = setOf([{ prefix: '10.0.0.0/8', ge: 12, le: 14 }]);
  t.false(v4(both, '10.16.0.0/11'));
  t.true(v4(both, '10.16.0.0/12'));
  t.true(v4(both, '10.16.0.0/14'));
  t.false(v4(both, '10.16.0.0/15'));
});

test('default route entries: exact 0/0 versus 0/0 le 32 (any)', (t) => {
  const exact = setOf([{ prefix: '0.0.0.0/0' }]);
  t.true(v4(exact, '0.0.0.0/0'));
  t.false(v4(exact, '1.0.0.0/8'));
  const any = setOf([{ prefix: '0.0.0.0/0', le: 32 }]);
  t.true(v4(any, '203.0.113.7/32'));
  t.false(v6(any, '2001:db8::/32'), 'an IPv4 entry never matches an IPv6 route');
});

test('several entries at the same node with disjoint ranges', (t) => {
  const set = setOf([{ prefix: '10.0.0.0/8' }, { prefix: '10.0.0.0/8', ge: 24, le: 24 }]);
  t.true(v4(set, '10.0.0.0/8'));
  t.true(v4(set, '10.1.2.0/24'));
  t.false(v4(set, '10.1.0.0/16'));
});

test('IPv6 prefix lists: exact, ge/le, compressed and uncompressed text', (t) => {
  const set = setOf([{ prefix: '2001:db8::/32', ge: 48, le: 64 }, { prefix: '2001:0DB8:FFFF:0000::/64' }, { prefix: '::/0' }]);
  t.true(v6(set, '2001:db8:1::/48'));
  t.true(v6(set, '2001:db8:1:2::/64'));
  t.false(v6(set, '2001:db8::/32'));
  t.false(v6(set, '2001:db8:1:2::/65'));
  t.false(v6(set, '2001:db9::/48'));
  t.true(v6(set, '2001:db8:ffff::/64'));
  t.true(v6(set, '::/0'));
  t.false(v4(set, '0.0.0.0/0'));
  t.false(v6(set, '2001:db8:fffe::/47'));
});

test('bad entries are reported with index and field', (t) => {
  const { errors } = compilePrefixEntries([
    { prefix: '10.0.0.0/8' },
    { prefix: '10.1.0.0/8' },
    { prefix: '10.0.0.0/33' },
    { prefix: 'ten/8' },
    { prefix: '10.0.0.0/8', ge: 4 },
    { prefix: '10.0.0.0/8', le: 33 },
    { prefix: '10.0.0.0/8', ge: 20, le: 16 },
    { prefix: '2001:db8::/129' },
    { prefix: '10.0.0.0' },
  ]);
  t.deepEqual(errors.map((e) => [e.index, e.field]), [[1, 'prefix'], [2, 'prefix'], [3, 'prefix'], [4, 'ge'], [5, 'le'], [6, 'le'], [7, 'prefix'], [8, 'prefix']]);
  t.regex(errors[0]!.message, /host bits/);
});

test('parsePrefix returns family, bytes and length', (t) => {
  const p = parsePrefix('2001:db8::/32');
  if (typeof p === 'string') return t.fail(p);
  t.is(p.family, 'ipv6');
  t.is(p.len, 32);
  t.deepEqual(Array.from(p.bytes.subarray(0, 4)), [0x20, 0x01, 0x0d, 0xb8]);
});

test('malformed route prefix text matches nothing', (t) => {
  const set = setOf([{ prefix: '0.0.0.0/0', le: 32 }]);
  t.false(v4(set, '10.0.0.0'));
  t.false(v4(set, '10.0.0.0/'));
  t.false(v4(set, '10.0.0/8'));
  t.false(v4(set, '10.0.0.0/40'));
});

// ---- 20k entries against a reference that scans the list with BigInt arithmetic ----

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

interface Ref { family: Family; net: bigint; len: number; ge: number; le: number }

const BITS: Record<Family, number> = { ipv4: 32, ipv6: 128 };

function text(family: Family, addr: bigint, len: number): string {
  if (family === 'ipv4') return `${[24n, 16n, 8n, 0n].map((s) => (addr >> s) & 255n).join('.')}/${len}`;
  const words = [];
  for (let i = 7; i >= 0; i--) words.push(((addr >> BigInt(16 * i)) & 0xffffn).toString(16));
  return `${words.join(':')}/${len}`;
}

function mask(family: Family, addr: bigint, len: number): bigint {
  const bits = BigInt(BITS[family]);
  const host = bits - BigInt(len);
  return (addr >> host) << host;
}

function anyAddr(next: () => number, family: Family): bigint {
  let a = 0n;
  for (let i = 0; i < BITS[family] / 32; i++) a = (a << 32n) | BigInt(next());
  return a;
}

/** Entries concentrate in a small space so that they overlap and nest. */
function randomAddr(next: () => number, family: Family): bigint {
  const a = anyAddr(next, family);
  return family === 'ipv4' ? (a & 0x0fffffffn) | 0x0a000000n : (a & ((1n << 100n) - 1n)) | (0x2001n << 112n);
}

function reference(refs: Ref[], family: Family, addr: bigint, len: number): boolean {
  return refs.some((r) => r.family === family && len >= r.ge && len <= r.le && len >= r.len && mask(family, addr, r.len) === r.net);
}

test('a 20k-entry mixed-family list compiles and matches like a linear scan', (t) => {
  const next = rng(42);
  const refs: Ref[] = [];
  const entries: PrefixListEntry[] = [];
  for (let i = 0; i < 20000; i++) {
    const family: Family = i % 4 === 0 ? 'ipv6' : 'ipv4';
    const max = BITS[family];
    const len = family === 'ipv4' ? 8 + (next() % 17) : 20 + (next() % 45);
    const net = mask(family, randomAddr(next, family), len);
    const kind = next() % 4;
    const ge = kind === 1 || kind === 3 ? len + (next() % (max - len + 1)) : undefined;
    const le = kind === 2 || kind === 3 ? Math.max(ge ?? len, len + (next() % (max - len + 1))) : undefined;
    entries.push({ prefix: text(family, net, len), ...(ge !== undefined && { ge }), ...(le !== undefined && { le }) });
    refs.push({ family, net, len, ge: ge ?? len, le: le ?? (ge === undefined ? len : max) });
  }
  const set = setOf(entries);
  t.is(set.size, 20000);
  let hits = 0;
  for (let i = 0; i < 3000; i++) {
    // Half the probes extend an entry's prefix (likely hits), half are random (mostly misses).
    const base = refs[next() % refs.length]!;
    const family = i % 2 === 0 ? base.family : (next() % 2 ? 'ipv4' : 'ipv6');
    const max = BITS[family];
    const len = i % 2 === 0 ? base.len + (next() % (max - base.len + 1)) : next() % (max + 1);
    const addr = i % 2 === 0 ? mask(family, base.net | (randomAddr(next, family) & ((1n << BigInt(max - base.len)) - 1n)), len) : mask(family, anyAddr(next, family), len);
    const expected = reference(refs, family, addr, len);
    if (set.matchesRoute(family, text(family, addr, len)) !== expected) return t.fail(`${text(family, addr, len)} expected ${expected}`);
    if (expected) hits++;
  }
  t.true(hits > 300 && hits < 2700, `both outcomes exercised (hits ${hits} of 3000)`);
});
