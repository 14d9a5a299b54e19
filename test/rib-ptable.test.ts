// The RIB's prefix table (src/rib/ptable.ts): text ↔ id, reference counts, deletion by backward
// shift in the open-addressing index, against a Map model under random operation sequences (both
// families: an IPv6 key is four words).

import test from 'ava';
import fc from 'fast-check';

import { PrefixTable } from '../src/rib/ptable.js';

test('IPv4 and IPv6 text: canonical form, host bits cleared, invalid text refused', (t) => {
  const v4 = new PrefixTable('ipv4');
  const id = v4.acquire('10.1.2.3/24');
  t.is(v4.text(id), '10.1.2.0/24');
  t.is(v4.find('10.1.2.0/24'), id);
  for (const bad of ['1.2.3/24', '1.2.3.4/33', '1.2.3.4/', '1.2.3.256/8', '1.2.3.4.5/32', 'x/8', '2001:db8::/32']) t.is(v4.acquire(bad), -1, bad);
  const v6 = new PrefixTable('ipv6');
  t.is(v6.text(v6.acquire('2001:db8:0:1::5/64')), '2001:db8:0:1::/64');
  t.is(v6.text(v6.acquire('::/0')), '::/0');
  t.is(v6.acquire('10.0.0.0/8'), -1);
  const out = new Uint8Array(8);
  t.is(v4.writeNlri(id, out, 0), 4);
  t.deepEqual([...out.subarray(0, 4)], [24, 10, 1, 2]);
});

const prefix4 = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([a, len]) => {
  const masked = len === 0 ? 0 : (a & (~0 << (32 - len))) >>> 0;
  return `${masked >>> 24}.${(masked >>> 16) & 255}.${(masked >>> 8) & 255}.${masked & 255}/${len}`;
});

const prefix6 = fc
  .tuple(fc.nat({ max: 0xffff }), fc.nat({ max: 0xffff }), fc.nat({ max: 0xffff }), fc.nat({ max: 0xffff }), fc.integer({ min: 0, max: 128 }))
  .map(([a, b, c, d, len]) => `${a.toString(16)}:${b.toString(16)}:${c.toString(16)}:${d.toString(16)}::/${len}`);

/** Random acquires and releases of `names` agree with a Map model: ids stable while held, each prefix found by its text. */
function agreesWithModel(family: 'ipv4' | 'ipv6', ops: [boolean, number][], rawNames: string[]): boolean {
  const table = new PrefixTable(family, 4);
  // Canonical texts (host bits cleared), as the table gives them back.
  const canon = new PrefixTable(family);
  const names = rawNames.map((n) => canon.text(canon.acquire(n)));
  const model = new Map<string, { id: number; refs: number }>();
  for (const [add, i] of ops) {
    const name = names[i]!;
    const have = model.get(name);
    if (add) {
      const id = table.acquire(name);
      if (have && have.id !== id) return false;
      if (have) have.refs++;
      else model.set(name, { id, refs: 1 });
    } else if (have) {
      table.release(have.id);
      if (--have.refs === 0) model.delete(name);
    }
    if (table.size !== model.size) return false;
  }
  for (const name of new Set(names)) {
    const have = model.get(name);
    const found = table.find(name);
    if (have ? found !== have.id || table.text(found) !== name : found !== -1) return false;
  }
  return true;
}

const ops = fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 199 })), { minLength: 1, maxLength: 600 });

test('random acquire/release sequences agree with a Map model (ids stable while held, reused after)', (t) => {
  t.notThrows(() => fc.assert(fc.property(ops, fc.array(prefix4, { minLength: 200, maxLength: 200 }), (o, names) => agreesWithModel('ipv4', o, names)), { numRuns: 300, seed: 0x5eed }));
  t.notThrows(() => fc.assert(fc.property(ops, fc.array(prefix6, { minLength: 200, maxLength: 200 }), (o, names) => agreesWithModel('ipv6', o, names)), { numRuns: 300, seed: 0x5eed6 }));
});

test('trim forgets the free ids above the highest held one: limit comes down, held ids and lookups stay, ids are handed out again from there', (t) => {
  const table = new PrefixTable('ipv4', 4);
  const ids = Array.from({ length: 100 }, (_, i) => table.acquire(`10.0.${i}.0/24`));
  t.deepEqual(ids, Array.from({ length: 100 }, (_, i) => i));
  for (let i = 0; i < 100; i++) if (i !== 3 && i !== 40) table.release(i);
  t.is(table.limit, 100);
  table.trim();
  t.is(table.limit, 41);
  t.true(table.live(3) && table.live(40) && !table.live(41));
  t.is(table.find('10.0.40.0/24'), 40);
  t.is(table.find('10.0.3.0/24'), 3);
  t.is(table.find('10.0.99.0/24'), -1);
  // Free ids below the highest held one first (last freed first), then on from 41.
  const again = Array.from({ length: 40 }, (_, i) => table.acquire(`10.1.${i}.0/24`));
  t.deepEqual(
    [...again].sort((a, b) => a - b),
    [...Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 3), 41],
  );
  t.is(table.size, 42);
  // Nothing held: all of it.
  for (const id of [3, 40, ...again]) table.release(id);
  table.trim();
  t.is(table.limit, 0);
  t.is(table.acquire('10.2.0.0/24'), 0);
});

test('a prefix as address words (host bits set) and as text is the same id, in both families', (t) => {
  const words = fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }));
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), words, fc.nat({ max: 128 })), { minLength: 1, maxLength: 300 }), (list) => {
        const tables = { ipv4: new PrefixTable('ipv4', 4), ipv6: new PrefixTable('ipv6', 4) };
        const ids = new Map<string, number>();
        for (const [v4, w, rawLen] of list) {
          const table = v4 ? tables.ipv4 : tables.ipv6;
          const len = v4 ? rawLen % 33 : rawLen;
          const id = table.acquireKey(w, 0, len);
          // The text of the id, acquired again, must be the same prefix.
          const text = table.text(id);
          if (table.acquire(text) !== id || table.findKey(w, 0, len) !== id || table.find(text) !== id) return false;
          if (ids.has(`${v4}${text}`) && ids.get(`${v4}${text}`) !== id) return false;
          ids.set(`${v4}${text}`, id);
        }
        return tables.ipv4.acquireKey([0], 0, 33) === -1 && tables.ipv6.findKey([0, 0, 0, 0], 0, 129) === -1;
      }),
      { numRuns: 300, seed: 0x5eed_4e3 },
    ),
  );
  const v4 = new PrefixTable('ipv4');
  t.is(v4.text(v4.acquireKey([0x0a0102ff], 0, 23)), '10.1.2.0/23');
  t.is(v4.findKey([0x0a010300], 0, 23), v4.find('10.1.2.0/23'));
});
