// A set decoded from an UPDATE and handed over to the store becomes the store's handed-out object
// itself (no copy): frozen at the top (its lists plain arrays), its next hop the store's text, and its members in
// the order of an unpacked equal set (one hidden class for both), for every combination of
// optional members, IPv4 and IPv6 with and without a link-local next hop.
import test from 'ava';
import { decodeMessage, encodeMessage, makeContext } from '../src/bgp/wire/index.js';
import type { PathAttribute, UpdateMessage } from '../src/bgp/wire/index.js';
import { AttrStore, routesOf } from '../src/rib/index.js';
import type { Family, PathAttrs } from '../src/rib/index.js';
import { isHandedOut } from './helpers/handed-out.js';

const ctx = makeContext({ as4: true });

function update(mask: number, family: Family, linkLocal: boolean): UpdateMessage {
  // Ascending type codes, as BIRD, FRR and GoBGP send them.
  const attributes: PathAttribute[] = [
    { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' },
    { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: [65001, 65002] }] },
  ];
  if (family === 'ipv4') attributes.push({ code: 3, name: 'NEXT_HOP', flags: 0x40, value: '198.18.0.1' });
  if (mask & 1) attributes.push({ code: 4, name: 'MULTI_EXIT_DISC', flags: 0x80, value: 10 });
  if (mask & 2) attributes.push({ code: 5, name: 'LOCAL_PREF', flags: 0x40, value: 200 });
  if (mask & 4) attributes.push({ code: 7, name: 'AGGREGATOR', flags: 0xc0, value: { asn: 65002, address: '198.18.0.9' } });
  attributes.push({ code: 8, name: 'COMMUNITIES', flags: 0xc0, value: [65001 * 65536 + 1] });
  if (mask & 8) attributes.push({ code: 9, name: 'ORIGINATOR_ID', flags: 0x80, value: '198.18.0.7' });
  if (family === 'ipv6') {
    const nextHops = linkLocal ? ['2001:db8::1', 'fe80::1'] : ['2001:db8::1'];
    attributes.push({ code: 14, name: 'MP_REACH_NLRI', flags: 0x90, value: { afi: 2, safi: 1, nextHops, nlri: [{ prefix: '2001:db8:1::/48' }] } });
  }
  if (mask & 16) attributes.push({ code: 35, name: 'ONLY_TO_CUSTOMER', flags: 0xc0, value: 65009 });
  return { type: 'UPDATE', withdrawn: [], attributes, nlri: family === 'ipv4' ? [{ prefix: '198.18.4.0/24' }] : [] };
}

for (const [family, linkLocal] of [['ipv4', false], ['ipv6', false], ['ipv6', true]] as const) {
  test(`decoded ${family}${linkLocal ? ' with a link-local next hop' : ''}: adopted as it is, in the unpacker's member order`, (t) => {
    for (let mask = 0; mask < 32; mask++) {
      const d = decodeMessage(encodeMessage(update(mask, family, linkLocal), ctx), ctx);
      if (!d.ok || d.msg.type !== 'UPDATE') return t.fail('the UPDATE does not decode');
      let given: PathAttrs | undefined;
      routesOf(d.msg, true, { withdraw: () => t.fail('no withdrawals'), announce: (_f, _h, attrs) => (given = attrs) });
      const store = new AttrStore();
      const id = store.internId(given!, true);
      const out = store.attrs(id);
      t.is(out, given!, 'the handed-over object is the handed-out one');
      t.true(isHandedOut(t, out), `mask ${mask}`);
      // The same set unpacked from another store's bytes: equal, with its members in one order.
      const other = new AttrStore();
      const unpacked = other.attrs(other.internId({ ...out }));
      t.deepEqual(out, unpacked);
      t.deepEqual(Object.keys(out), Object.keys(unpacked), `mask ${mask}`);
    }
  });
}
