// show rib's streamed JSON (src/daemon/rib-json.ts, written directly) is the text of
// JSON.stringify(ribEntryView(...)) for every kind of entry: connected, static, BGP paths from
// an eBGP and an iBGP neighbour with and without MED, LOCAL_PREF and communities of each kind, an unresolved
// next hop, and with path filters applied.

import test from 'ava';

import type { PathAttribute, UpdateMessage } from '../src/bgp/wire/index.js';
import { ribEntryJson } from '../src/daemon/rib-json.js';
import { ribEntryView } from '../src/daemon/views.js';
import { Rib } from '../src/rib/index.js';
import type { PeerInfo, Route } from '../src/rib/index.js';
import { ribConfig } from './helpers/rib-config.js';

const A: PeerInfo = { address: '192.0.2.1', asn: 65001, routerId: '1.1.1.1', ibgp: false, routeReflectorClient: false };
// iBGP: LOCAL_PREF is kept (an eBGP neighbour's is not).
const B: PeerInfo = { address: '192.0.2.2', asn: 65000, routerId: '2.2.2.2', ibgp: true, routeReflectorClient: false };

function update(prefixes: string[], asns: number[], nextHop: string, extra: PathAttribute[] = []): UpdateMessage {
  return {
    type: 'UPDATE',
    withdrawn: [],
    attributes: [
      { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' },
      { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns }] },
      { code: 3, name: 'NEXT_HOP', flags: 0x40, value: nextHop },
      ...extra,
    ],
    nlri: prefixes.map((prefix) => ({ prefix })),
  };
}

function table(): Rib {
  const rib = new Rib(ribConfig);
  rib.setConnected([{ prefix: '192.0.2.10/24', interface: 'eth0' }]);
  rib.setStatic([
    { prefix: '203.0.113.0/24', type: 'blackhole' },
    { prefix: '198.51.100.128/25', type: 'via', via: ['192.0.2.7'] },
  ]);
  rib.peerUp(A);
  rib.peerUp(B);
  rib.applyUpdate(A.address, update(['198.51.100.0/24', '203.0.113.0/24'], [65001, 3356], '192.0.2.1', [
    { code: 4, name: 'MULTI_EXIT_DISC', flags: 0x80, value: 50 },
    { code: 8, name: 'COMMUNITIES', flags: 0xc0, value: [(65001 << 16) | 100, 0xffffff01] },
    { code: 32, name: 'LARGE_COMMUNITY', flags: 0xc0, value: [[65001, 1, 2]] },
  ]), [], true);
  rib.applyUpdate(B.address, update(['198.51.100.0/24'], [1299, 3356], '192.0.2.2', [
    { code: 5, name: 'LOCAL_PREF', flags: 0x40, value: 200 },
    { code: 16, name: 'EXTENDED_COMMUNITIES', flags: 0xc0, value: ['0002fde800000064'] },
  ]), [], true);
  // A next hop no connected, static or kernel route covers: unresolved.
  rib.applyUpdate(B.address, update(['100.64.0.0/10'], [64500], '100.127.0.1'), [], true);
  rib.drainChanges();
  return rib;
}

const filters: [string, ((r: Route) => boolean) | undefined][] = [
  ['no filter', undefined],
  ['neighbor B', (r) => r.source.kind === 'bgp' && r.source.peer.address === B.address],
  ['no path', () => false],
];

for (const [name, keep] of filters) {
  test(`every entry's JSON equals JSON.stringify of its view (${name})`, (t) => {
    const rib = table();
    let entries = 0;
    for (const family of ['ipv4', 'ipv6'] as const) {
      for (const e of rib.entries(family)) {
        entries++;
        t.is(ribEntryJson(e, ribConfig, keep), JSON.stringify(ribEntryView(e, ribConfig, keep)), e.prefix);
      }
    }
    t.is(entries, 5);
  });
}

test('the table covers what the JSON has to render', (t) => {
  const rib = table();
  const views = [...rib.entries('ipv4')].map((e) => ribEntryView(e, ribConfig));
  const paths = views.flatMap((v) => v.paths);
  t.deepEqual([...new Set(paths.map((p) => p.source))].sort(), ['bgp', 'connected', 'static']);
  const has = (what: string, f: (p: (typeof paths)[number]) => boolean): void => {
    t.true(paths.some(f), `a path with ${what}: ${JSON.stringify(paths)}`);
  };
  has('MED', (p) => p.med !== undefined);
  has('LOCAL_PREF', (p) => p.localPref !== undefined);
  has('communities and large communities', (p) => p.communities.length > 0 && p.largeCommunities.length > 0);
  has('extended communities', (p) => p.extCommunities.length > 0);
  has('an unresolved next hop', (p) => !p.resolved);
  has('an interface', (p) => p.interface !== undefined);
  has('a losing step', (p) => !p.best && p.decidedBy !== undefined);
});
