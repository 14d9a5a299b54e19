// show rib's streamed order (src/daemon/rib-order.ts: the RIB's prefix table dealt into buckets,
// each sorted as the stream reaches it) is the listing order of src/mgmt/prefix-order.ts, for any
// set of prefixes held in a real prefix table (src/rib/ptable.ts), freed slots left out.

import test from 'ava';
import fc from 'fast-check';

import { orderedPrefixes } from '../src/daemon/rib-order.js';
import { sortByPrefix } from '../src/mgmt/prefix-order.js';
import { canonicalPrefix } from '../src/rib/index.js';
import { PrefixTable } from '../src/rib/ptable.js';
import type { Family } from '../src/rib/index.js';

/** The prefixes in a prefix table, as the RIB holds them; `freed` are added and released again. */
function tableOf(family: Family, prefixes: string[], freed: string[] = []): PrefixTable {
  const table = new PrefixTable(family);
  for (const p of [...prefixes, ...freed]) table.acquire(p);
  for (const p of freed) table.release(table.find(p));
  return table;
}

async function listed(family: Family, prefixes: string[], include?: (p: string) => boolean, freed: string[] = []): Promise<string[]> {
  const table = tableOf(family, prefixes, freed);
  const it = await orderedPrefixes(family, () => table, include);
  const out: string[] = [];
  for (let r = it.next(); !r.done; r = it.next()) out.push(r.value);
  return out;
}

const canonical = (text: string): string => {
  const c = canonicalPrefix(text);
  if (!c) throw new Error(`not a prefix: ${text}`);
  return c.prefix;
};

const v4 = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([a, len]) => canonical(`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`));
const v6 = fc.tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 128 })).map(([w, len]) => canonical(`${w.map((x) => x.toString(16)).join(':')}/${len}`));

test('IPv4: the prefix-order listing of the same set', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(v4, { maxLength: 300 }), async (set) => {
      t.deepEqual(await listed('ipv4', set), sortByPrefix(set, (p) => p));
    }),
    { numRuns: 100 },
  );
});

test('IPv6: the prefix-order listing of the same set, "::/0" and zero-led groups first', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(v6, { maxLength: 300 }), async (set) => {
      const all = [...new Set([...set, '::/0', '::1/128', '0:1::/32'])];
      t.deepEqual(await listed('ipv6', all), sortByPrefix(all, (p) => p));
    }),
    { numRuns: 100 },
  );
});

test('include and freed slots leave prefixes out; a large bucket keeps its order', async (t) => {
  const many = Array.from({ length: 60_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`).reverse();
  const kept = await listed('ipv4', [...many, '9.0.0.0/8', '11.0.0.0/8'], (p) => p !== '11.0.0.0/8', ['10.255.0.0/16', '0.0.0.0/0']);
  t.is(kept.length, 60_001);
  t.deepEqual(kept.slice(0, 3), ['9.0.0.0/8', '10.0.0.0/24', '10.0.1.0/24']);
  t.is(kept[kept.length - 1], '10.234.95.0/24');
});
