// A RIB with one eBGP source peer up and an Adj-RIB-Out towards an eBGP target (both families,
// the RIB's prefix tables, its initial dump queued): the setting of the Adj-RIB-Out tests.
import type { CodecContext } from '../../src/bgp/wire/index.js';
import { AdjRibOut, Rib } from '../../src/rib/index.js';
import type { PeerInfo } from '../../src/rib/index.js';
import { ribConfig } from './rib-config.js';

export const SOURCE: PeerInfo = { address: '198.18.0.1', asn: 65001, routerId: '198.18.0.1', ibgp: false, routeReflectorClient: false };
export const TARGET: PeerInfo = { address: '198.18.1.1', asn: 65009, routerId: '198.18.1.1', ibgp: false, routeReflectorClient: false };

export function ribWithAdjOut(codec: CodecContext): { rib: Rib; out: AdjRibOut } {
  const rib = new Rib(ribConfig);
  rib.setConnected([{ prefix: '198.18.0.0/16', interface: 'eth0' }, { prefix: '2001:db8::/64', interface: 'eth0' }]);
  rib.peerUp(SOURCE);
  const out = new AdjRibOut({
    local: { asn: 65000, routerId: '198.18.1.0', clusterId: '198.18.1.0' },
    target: TARGET,
    localAddress: { ipv4: '198.18.1.0', ipv6: '2001:db8:1::' },
    nextHopSelf: false,
    codec,
    families: ['ipv4', 'ipv6'],
    store: rib.store,
    prefixes: rib.prefixTables,
  });
  out.initialDump(rib);
  return { rib, out };
}
