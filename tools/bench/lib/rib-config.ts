// The RIB configuration of the in-process RIB benches (heap census, churn census): AS 64999, one
// best path, FRR-like admin preferences.
import type { RibConfig } from '../../../src/rib/index.js';

export const benchRibConfig: RibConfig = {
  localAs: 64999,
  routerId: '198.18.255.254',
  clusterId: '198.18.255.254',
  preference: { connected: 0, static: 1, kernel: 254, ebgp: 20, ibgp: 200 },
  bestPath: { alwaysCompareMed: false, deterministicMed: false, maxPaths: 1, maxPathsIbgp: 1 },
};
