// The Adj-RIB-Out's groups are found through lists indexed by set id and Lazy index
// (src/rib/adjout-queue.ts). A full table's IPv6 Lazy indices start past its IPv4 ones: a store
// that far past the IPv6 list's end made V8 turn it into a dictionary. Checked with V8's own
// %HasDictionaryElements after IPv4 routes of 2,000 sets and then IPv6 ones, and the UPDATEs
// still carry every prefix.
import test from 'ava';
import { setFlagsFromString } from 'node:v8';
import { ribWithAdjOut, SOURCE } from './helpers/adjout.js';
import { decodeMessage, makeContext } from '../src/bgp/wire/index.js';
import { baseAttrs } from '../src/rib/index.js';
import type { Family } from '../src/rib/index.js';

setFlagsFromString('--allow-natives-syntax');
const hasDictionaryElements = new Function('a', 'return %HasDictionaryElements(a)') as (list: readonly unknown[]) => boolean;

const SETS = 2000;

test('IPv6 groups after 2,000 IPv4 sets: the Lazy-indexed list stays a list', (t) => {
  const codec = makeContext({ as4: true });
  const { rib, out } = ribWithAdjOut(codec);
  const announce = (family: Family, i: number): void => {
    const hop = family === 'ipv4' ? SOURCE.address : '2001:db8::1';
    const prefix = family === 'ipv4' ? `10.${i >> 8}.${i & 255}.0/24` : `2001:db8:${(0x100 + i).toString(16)}::/48`;
    rib.announce(SOURCE.address, family, { prefix }, { ...baseAttrs(hop), asPath: [{ type: 'AS_SEQUENCE', asns: [SOURCE.asn, 100000 + i] }] });
  };
  for (let i = 0; i < SETS; i++) announce('ipv4', i);
  out.enqueueBatch(rib.drainBatch(1 << 16));
  for (let i = 0; i < 10; i++) announce('ipv6', i);
  out.enqueueBatch(rib.drainBatch(1 << 16));
  const fams = (out as unknown as { fams: Map<Family, { byLazy: unknown[] }> }).fams;
  const byLazy = fams.get('ipv6')!.byLazy;
  t.true(byLazy.length > SETS, `the IPv6 groups sit past index ${SETS} (${byLazy.length})`);
  t.false(hasDictionaryElements(byLazy));
  let prefixes = 0;
  for (let batch = out.nextBatch(1 << 16); batch.length; batch = out.nextBatch(1 << 16)) {
    for (const b of batch) {
      const r = decodeMessage(b, codec);
      if (!r.ok || r.msg.type !== 'UPDATE') continue;
      prefixes += r.msg.nlri.length;
      for (const a of r.msg.attributes) if (a.name === 'MP_REACH_NLRI') prefixes += a.value.nlri.length;
    }
  }
  t.is(prefixes, SETS + 10);
});
