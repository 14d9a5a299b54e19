// RFC 7313 §4 on the receiving side: routes of a family are stale from the peer's BoRR; at its
// EoRR, those it neither announced nor withdrew in between are the ones to purge.

import test from 'ava';
import type { UpdateMessage } from '../src/bgp/wire/index.js';
import { RefreshSweep } from '../src/daemon/refresh-sweep.js';

const update = (over: Partial<UpdateMessage>): UpdateMessage => ({ type: 'UPDATE', withdrawn: [], attributes: [], nlri: [], ...over });

test('what the peer does not send again between BoRR and EoRR is purged, per family and path id', (t) => {
  const s = new RefreshSweep();
  t.false(s.active);
  s.begin('ipv4', [
    { prefix: '198.51.100.0/24', pathId: 0 },
    { prefix: '203.0.113.0/24', pathId: 0 },
    { prefix: '192.0.2.0/24', pathId: 1 },
    { prefix: '192.0.2.0/24', pathId: 2 },
  ]);
  t.true(s.active);
  s.seen(update({ nlri: [{ prefix: '198.51.100.0/24' }, { prefix: '192.0.2.0/24', pathId: 2 }] }));
  s.seen(update({ withdrawn: [{ prefix: '203.0.113.0/24' }] }));
  t.deepEqual(s.end('ipv4'), [{ prefix: '192.0.2.0/24', pathId: 1 }]);
  t.false(s.active);
  t.is(s.end('ipv4'), undefined, 'an EoRR without a BoRR purges nothing');
});

test('IPv6 through MP_REACH / MP_UNREACH; other families and a reset leave nothing to purge', (t) => {
  const s = new RefreshSweep();
  s.begin('ipv6', [{ prefix: '2001:db8:1::/48', pathId: 0 }, { prefix: '2001:db8:2::/48', pathId: 0 }, { prefix: '2001:db8:3::/48', pathId: 0 }]);
  const reach = { name: 'MP_REACH_NLRI', value: { afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: [{ prefix: '2001:db8:1::/48' }] } };
  const unreach = { name: 'MP_UNREACH_NLRI', value: { afi: 2, safi: 1, withdrawn: [{ prefix: '2001:db8:2::/48' }] } };
  s.seen(update({ attributes: [reach, unreach] as unknown as UpdateMessage['attributes'] }));
  // An IPv4 announcement of the same text changes nothing in IPv6.
  s.seen(update({ nlri: [{ prefix: '2001:db8:3::/48' }] }));
  t.deepEqual(s.end('ipv6'), [{ prefix: '2001:db8:3::/48' }]);
  s.begin('ipv4', [{ prefix: '198.51.100.0/24', pathId: 0 }]);
  s.reset();
  t.is(s.end('ipv4'), undefined);
});
