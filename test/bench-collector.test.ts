// The bench's collector (tools/bench/lib/collector.ts): the prefixes a peer announces, held by
// the codec's prefix keys, with replacement, withdrawal in both places, loops, End-of-RIB (an
// MP_UNREACH_NLRI withdrawing prefixes is none), and the same outcome from UPDATEs decoded keyed
// (as the lite session does) or plain.

import test from 'ava';
import { decodeMessage, encodeMessage, makeContext, type UpdateMessage } from '../src/bgp/wire/index.js';
import type { PathAttribute } from '../src/bgp/wire/index.js';
import { Collector } from '../tools/bench/lib/collector.js';

const base = (asns: number[], hop = '198.18.0.1'): PathAttribute[] => [
  { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' },
  { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns }] },
  { code: 3, name: 'NEXT_HOP', flags: 0x40, value: hop },
];
const v6 = (nlri: string[], withdrawn: string[] = []): PathAttribute[] => [
  ...(nlri.length ? [{ code: 14, name: 'MP_REACH_NLRI', flags: 0x90, value: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: nlri.map((prefix) => ({ prefix })) } } as PathAttribute] : []),
  ...(withdrawn.length ? [{ code: 15, name: 'MP_UNREACH_NLRI', flags: 0x90, value: { afi: 2, safi: 1, withdrawn: withdrawn.map((prefix) => ({ prefix })) } } as PathAttribute] : []),
];
const update = (attributes: PathAttribute[], nlri: string[] = [], withdrawn: string[] = []): UpdateMessage => ({
  type: 'UPDATE',
  withdrawn: withdrawn.map((prefix) => ({ prefix })),
  attributes,
  nlri: nlri.map((prefix) => ({ prefix })),
});

const STREAM: UpdateMessage[] = [
  update(base([65002, 64512]), ['203.0.113.0/24', '10.0.0.0/8', '192.0.2.0/25']),
  update([...base([65002]), ...v6(['2001:db8:1::/48', '2001:db8:2::/48'])]),
  // Replacements (same prefix, other path), then a withdrawal of a replaced prefix in the IPv4
  // field (it must go: held once, not once per announcement) and one in MP_UNREACH.
  update(base([65002, 64998]), ['192.0.2.0/25']),
  update(base([65002, 64999]), ['10.0.0.0/8'], ['192.0.2.0/25']),
  update(v6([], ['2001:db8:2::/48'])),
  // A loop (our AS 65003 in the path): not held, and it withdraws the prefix's earlier route.
  update(base([65002, 65003]), ['203.0.113.0/24', '198.51.100.0/24']),
  // End-of-RIB, IPv4 and IPv6 (RFC 4724 §2).
  update([]),
  update([{ code: 15, name: 'MP_UNREACH_NLRI', flags: 0x80, value: { afi: 2, safi: 1, withdrawn: [] } }]),
];

for (const keyedLists of [true, false]) {
  test(`held prefixes after announcements, replacements, withdrawals and a loop (${keyedLists ? 'keyed' : 'plain'} UPDATEs)`, (t) => {
    const c = new Collector({ localAs: 65003, keepAttributes: true });
    const ctx = makeContext({ as4: true, keyedLists });
    for (const m of STREAM) {
      const r = decodeMessage(encodeMessage(m, ctx), ctx);
      if (!r.ok || r.msg.type !== 'UPDATE') return t.fail('did not decode');
      c.add(r.msg);
    }
    t.deepEqual(c.prefixes('ipv4'), ['10.0.0.0/8']);
    t.deepEqual(c.prefixes('ipv6'), ['2001:db8:1::/48']);
    t.deepEqual([c.size('ipv4'), c.size('ipv6')], [1, 1]);
    const counts = c.counts();
    t.deepEqual([counts.announced, counts.withdrawn, counts.updates, counts.endOfRib], [9, 2, 8, 2]);
    const held = c.routes().find((r) => r.prefix === '10.0.0.0/8')!;
    t.deepEqual(JSON.parse(JSON.stringify(held.attributes))[1].value, [{ type: 'AS_SEQUENCE', asns: [65002, 64999] }], 'the replacement\'s attributes');
  });
}

test('a wait for a count resolves when an UPDATE brings the table to it', async (t) => {
  const c = new Collector();
  const ctx = makeContext({ as4: true, keyedLists: true });
  const waited = c.waitForCount(3, 0, 5_000);
  const r = decodeMessage(encodeMessage(STREAM[0]!, ctx), ctx);
  if (!r.ok || r.msg.type !== 'UPDATE') return t.fail('did not decode');
  c.add(r.msg);
  t.true((await waited) > 0n);
  t.true(c.firstUpdateNs > 0n);
});
