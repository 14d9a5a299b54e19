// RIB configurations tests share. ribConfig (the rib-* tests): AS 65000, router and cluster id 10.0.0.1,
// FRR-like admin preferences, deterministic MED, no multipath.
import type { RibConfig } from '../../src/rib/index.js';

export const ribConfig: RibConfig = {
  localAs: 65000,
  routerId: '10.0.0.1',
  clusterId: '10.0.0.1',
  preference: { connected: 0, static: 1, ebgp: 20, ibgp: 200, kernel: 254 },
  bestPath: { alwaysCompareMed: false, deterministicMed: true, maxPaths: 1, maxPathsIbgp: 1 },
};

/** The RIB of the FIB tests: a router at 198.18.255.1 with 4-way multipath (ECMP next-hop groups). */
export const fibRibConfig: RibConfig = {
  localAs: 65000,
  routerId: '198.18.255.1',
  clusterId: '198.18.255.1',
  preference: { connected: 0, static: 1, ebgp: 20, ibgp: 200, kernel: 250 },
  bestPath: { alwaysCompareMed: false, deterministicMed: false, maxPaths: 4, maxPathsIbgp: 4 },
};
