// The convergence benchmark's routed configuration is one the configuration module accepts, and
// resolves to the topology it was generated for.

import test from 'ava';

import { parseConfig } from '../src/config/index.js';
import { routedConfig } from '../tools/bench/convergence/routed-config.js';

test('the benchmark DUT configuration parses and resolves to two passive dual-family eBGP neighbours with accept-all policies', (t) => {
  const text = routedConfig({
    routerId: '198.18.255.2',
    localAs: 65002,
    controlSocket: '/tmp/routed-bench/routed.sock',
    neighbors: [
      { address: '198.18.0.1', remoteAs: 65001, localAddress: '198.18.0.2', description: 'feeder' },
      { address: '2001:db8:0:1::2', remoteAs: 4200000003, localAddress: '2001:db8:0:1::1', description: 'collector' },
    ],
  });
  const r = parseConfig(text, 'bench.yaml');
  if (!r.ok) return t.fail(r.errors.map(String).join('\n'));
  // Both families ride on each session: the only warnings are the ones saying so.
  t.is(r.warnings.length, 2);
  for (const w of r.warnings) t.regex(String(w), /next hops of the other family/);
  const c = r.config;
  t.is(c.routerId, '198.18.255.2');
  t.is(c.localAs, 65002);
  t.deepEqual(c.listen, { addresses: ['198.18.0.2', '2001:db8:0:1::1'], port: 179 });
  t.is(c.controlSocket, '/tmp/routed-bench/routed.sock');
  t.deepEqual(
    c.neighbors.map((n) => [n.address, n.remoteAs, n.localAddress, n.passive, n.families, n.importPolicy, n.exportPolicy]),
    [
      ['198.18.0.1', 65001, '198.18.0.2', true, ['ipv4', 'ipv6'], ['accept-all'], ['accept-all']],
      ['2001:db8:0:1::2', 4200000003, '2001:db8:0:1::1', true, ['ipv4', 'ipv6'], ['accept-all'], ['accept-all']],
    ],
  );
  t.deepEqual(c.policies['accept-all'], { terms: [], defaultAction: 'accept' });
});
