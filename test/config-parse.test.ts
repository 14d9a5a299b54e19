// parseConfig and loadConfig on valid files: the example, defaults, group inheritance, the
// resolved shapes of policies and static routes, canonical text, masking.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import { parseConfig, maskSecrets, MASK, DEFAULTS } from '../src/config/index.js';
import type { Config, NeighborConfig } from '../src/config/index.js';

const root = path.resolve(fileURLToPath(import.meta.url), '../../..');
const example = path.join(root, 'config', 'routed.example.yaml');

function load(text: string): Config {
  const result = parseConfig(text, 't.yaml');
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

const head = 'router-id: 192.0.2.1\nlocal-as: 65000\n';

function neighbor(config: Config, address: string): NeighborConfig {
  const found = config.neighbors.find((n) => n.address === address);
  if (found === undefined) throw new Error(`no neighbor ${address}`);
  return found;
}

test('the example file loads without errors or warnings', async (t) => {
  const result = await loadConfig(example);
  if (!result.ok) return t.fail(result.errors.join('\n'));
  t.deepEqual(result.warnings, []);
  const c = result.config;
  t.is(c.routerId, '192.0.2.1');
  t.is(c.localAs, 65000);
  t.is(c.neighbors.length, 3);
  t.deepEqual(Object.keys(c.policies).sort(), ['to-upstream', 'transit-in']);
  t.deepEqual(Object.keys(c.prefixLists).sort(), ['bogons', 'too-specific']);
  t.deepEqual(c.staticRoutes.map((r) => r.type), ['via', 'interface', 'blackhole', 'unreachable']);
});

test('the example documents every key the schema accepts', (t) => {
  // Each key appears in the example as "key:" (written out, so a key added to the schema must be
  // added here and to the example).
  const text = readFileSync(example, 'utf8');
  const keys = [
    'router-id', 'local-as', 'cluster-id', 'listen', 'addresses', 'port', 'control-socket', 'log', 'level',
    'best-path', 'always-compare-med', 'deterministic-med', 'max-paths', 'max-paths-ibgp', 'preference',
    'connected', 'static', 'ebgp', 'ibgp', 'kernel', 'neighbor-groups', 'neighbors', 'address', 'remote-as',
    'group', 'description', 'local-address', 'passive', 'hold-time', 'keepalive', 'connect-retry', 'families',
    'add-path', 'receive', 'send', 'graceful-restart', 'enabled', 'restart-time', 'route-reflector-client',
    'next-hop-self', 'import', 'export', 'max-prefix', 'limit', 'action', 'restart-after', 'password',
    'ttl-security', 'shutdown', 'prefix-lists', 'prefix', 'ge', 'le', 'policies', 'default-action', 'terms',
    'name', 'match', 'prefix-list', 'as-path-regex', 'origin-as', 'contains-as', 'as-path-length', 'min', 'max',
    'community', 'ext-community', 'large-community', 'next-hop', 'neighbor', 'family', 'set', 'local-pref',
    'med', 'prepend', 'count', 'community-add', 'community-remove', 'community-replace', 'large-community-add',
    'large-community-remove', 'ext-community-add', 'ext-community-remove', 'static-routes', 'via', 'interface',
    'blackhole', 'unreachable', 'fib', 'mode', 'xdp-interfaces', 'keep-forwarding-on-stop', 'pin-dir',
    'reconcile-interval', 'metrics',
  ];
  for (const key of keys) t.regex(text, new RegExp(`(^|[\\s{,])${key}:`, 'm'), key);
});

test('defaults fill every unset key', (t) => {
  const c = load(`${head}neighbors:\n  - address: 192.0.2.2\n    remote-as: 65001\n`);
  t.deepEqual(c.listen, { addresses: ['0.0.0.0', '::'], port: 179 });
  t.is(c.controlSocket, '/run/routed/routed.sock');
  t.deepEqual(c.log, { level: 'info' });
  t.deepEqual(c.preference, { connected: 0, static: 1, ebgp: 20, ibgp: 200, kernel: 250 });
  t.deepEqual(c.bestPath, { alwaysCompareMed: false, deterministicMed: false, maxPaths: 1, maxPathsIbgp: 1 });
  t.is(c.clusterId, '192.0.2.1');
  t.deepEqual(c.policies, {});
  t.deepEqual(c.prefixLists, {});
  t.deepEqual(c.staticRoutes, []);
  t.deepEqual(c.fib, { mode: 'xdp+kernel', xdpInterfaces: [], keepForwardingOnStop: false, pinDir: '/sys/fs/bpf/routed', reconcileInterval: 60 });
  t.deepEqual(neighbor(c, '192.0.2.2'), {
    address: '192.0.2.2',
    remoteAs: 65001,
    description: '',
    passive: false,
    holdTime: 90,
    keepalive: 30,
    connectRetry: 120,
    families: ['ipv4'],
    addPath: { receive: [], send: [] },
    gracefulRestart: { enabled: false, restartTime: 120 },
    routeReflectorClient: false,
    nextHopSelf: false,
    shutdown: false,
  });
  t.is(DEFAULTS.holdTime, 90);
});

test('keepalive defaults to a third of the hold time; 0 with hold time 0', (t) => {
  const c = load(`${head}neighbors:
  - { address: 192.0.2.2, remote-as: 65001, hold-time: 10 }
  - { address: 192.0.2.3, remote-as: 65001, hold-time: 0 }
  - { address: "2001:DB8::0:1", remote-as: 65001 }
`);
  t.is(neighbor(c, '192.0.2.2').keepalive, 3);
  t.is(neighbor(c, '192.0.2.3').keepalive, 0);
  // Canonical text, and the family of the address as default family.
  t.deepEqual(neighbor(c, '2001:db8::1').families, ['ipv6']);
});

test('a neighbour inherits its group and overrides it key by key', (t) => {
  const c = load(`${head}neighbor-groups:
  ibgp:
    remote-as: 65000
    hold-time: 30
    import: [in]
    families: [ipv6, ipv4, ipv4]
    graceful-restart: { enabled: true, restart-time: 200 }
    max-prefix: { limit: 100, action: warn }
    password: group-secret
neighbors:
  - address: 192.0.2.2
    group: ibgp
  - address: 192.0.2.3
    group: ibgp
    hold-time: 60
    families: [ipv4]
    graceful-restart: { restart-time: 50 }
    max-prefix: { action: reset, restart-after: 30 }
    import: other
policies:
  in: {}
  other: {}
`);
  const inherited = neighbor(c, '192.0.2.2');
  t.is(inherited.remoteAs, 65000);
  t.is(inherited.holdTime, 30);
  t.is(inherited.keepalive, 10);
  t.deepEqual(inherited.families, ['ipv4', 'ipv6']);
  t.deepEqual(inherited.importPolicy, ['in']);
  t.deepEqual(inherited.gracefulRestart, { enabled: true, restartTime: 200 });
  t.deepEqual(inherited.maxPrefix, { limit: 100, action: 'warn' });
  t.is(inherited.password, 'group-secret');
  t.is(inherited.group, 'ibgp');
  const overriding = neighbor(c, '192.0.2.3');
  t.is(overriding.holdTime, 60);
  t.is(overriding.keepalive, 20);
  t.deepEqual(overriding.families, ['ipv4']);
  t.deepEqual(overriding.importPolicy, ['other']);
  // Nested mappings: only the keys the neighbour sets are its own.
  t.deepEqual(overriding.gracefulRestart, { enabled: true, restartTime: 50 });
  t.deepEqual(overriding.maxPrefix, { limit: 100, action: 'reset', restartAfter: 30 });
});

test('groups do not nest', (t) => {
  const result = parseConfig(`${head}neighbor-groups:\n  a: { hold-time: 30 }\n  b: { group: a }\n`, 'g.yaml');
  if (result.ok) return t.fail('loaded');
  t.deepEqual(result.errors.map(String), ['g.yaml:5:8: unknown key "group" in neighbor-groups.b']);
});

test('every neighbour setting in the file reaches NeighborConfig', (t) => {
  const c = load(`${head}neighbors:
  - address: 192.0.2.2
    remote-as: 65001
    description: d
    local-address: 192.0.2.1
    passive: true
    hold-time: 9
    keepalive: 2
    connect-retry: 5
    families: [ipv4]
    add-path: { receive: [ipv4], send: ipv4 }
    route-reflector-client: false
    next-hop-self: true
    import: in
    export: [out]
    password: pw
    ttl-security: 2
    shutdown: true
policies: { in: {}, out: {} }
`);
  const n = neighbor(c, '192.0.2.2');
  t.like(n, {
    description: 'd', localAddress: '192.0.2.1', passive: true, holdTime: 9, keepalive: 2, connectRetry: 5,
    nextHopSelf: true, importPolicy: ['in'], exportPolicy: ['out'], password: 'pw', ttlSecurity: { hops: 2 }, shutdown: true,
  });
  t.deepEqual(n.addPath, { receive: ['ipv4'], send: ['ipv4'] });
});

test('policies, prefix lists and static routes resolve to camelCase shapes', (t) => {
  const c = load(`${head}prefix-lists:
  l: [10.0.0.0/8, { prefix: "2001:DB8::/32", ge: 48, le: 64 }]
policies:
  p:
    terms:
      - match: { prefix-list: l, community: no-export, as-path-length: { max: 5 }, next-hop: "2001:DB8::1" }
        set: { local-pref: 200, prepend: { count: 2 }, next-hop: self, community-add: "65000:1" }
        action: accept
      - name: last
        match: { prefix: 192.0.2.0/24 }
static-routes:
  - { prefix: 203.0.113.0/24, via: [192.0.2.254, "2001:db8::fe"] }
  - { prefix: 198.51.100.0/24, interface: eth0 }
  - { prefix: 192.0.2.0/25, blackhole: true }
  - { prefix: "2001:db8:1::/48", unreachable: true }
`);
  t.deepEqual(c.prefixLists, { l: [{ prefix: '10.0.0.0/8' }, { prefix: '2001:db8::/32', ge: 48, le: 64 }] });
  t.deepEqual(c.policies, {
    p: {
      terms: [
        {
          name: 'term-1',
          match: { prefixList: 'l', community: ['no-export'], asPathLength: { max: 5 }, nextHop: ['2001:db8::1'] },
          set: { localPref: 200, prepend: { count: 2 }, nextHop: 'self', communityAdd: ['65000:1'] },
          action: 'accept',
        },
        { name: 'last', match: { prefix: [{ prefix: '192.0.2.0/24' }] }, set: {}, action: 'next' },
      ],
    },
  });
  t.deepEqual(c.staticRoutes, [
    { prefix: '203.0.113.0/24', type: 'via', via: ['192.0.2.254', '2001:db8::fe'] },
    { prefix: '198.51.100.0/24', type: 'interface', interface: 'eth0' },
    { prefix: '192.0.2.0/25', type: 'blackhole' },
    { prefix: '2001:db8:1::/48', type: 'unreachable' },
  ]);
});

test('maskSecrets hides every password and leaves the config untouched', (t) => {
  const c = load(`${head}neighbors:
  - { address: 192.0.2.2, remote-as: 65001, password: s3cret }
  - { address: 192.0.2.3, remote-as: 65001 }
`);
  const masked = maskSecrets(c);
  t.is(neighbor(masked, '192.0.2.2').password, MASK);
  t.is(MASK, '********');
  t.false('password' in neighbor(masked, '192.0.2.3'));
  t.false(JSON.stringify(masked).includes('s3cret'));
  t.is(neighbor(c, '192.0.2.2').password, 's3cret');
  t.deepEqual({ ...masked, neighbors: [] }, { ...c, neighbors: [] });
});

test('loadConfig reports a file it cannot read at 1:1', async (t) => {
  const missing = path.join(mkdtempSync(path.join(tmpdir(), 'routed-config-')), 'absent.yaml');
  const result = await loadConfig(missing);
  if (result.ok) return t.fail('loaded');
  t.deepEqual(result.errors.map(String), [`${missing}:1:1: cannot read the file: ENOENT`]);
});

test('loadConfig names the file in its errors', async (t) => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'routed-config-')), 'bad.yaml');
  writeFileSync(file, `${head}log: { level: chatty }\n`);
  const result = await loadConfig(file);
  if (result.ok) return t.fail('loaded');
  t.deepEqual(result.errors.map(String), [`${file}:3:15: log.level: must be one of error, warn, info, debug; got the string "chatty"`]);
});

test('fib: the mode and interfaces are read; a pin directory outside /sys/fs/bpf is refused', (t) => {
  const c = load(`${head}fib:\n  mode: kernel\n  xdp-interfaces: eth1\n  keep-forwarding-on-stop: true\n  reconcile-interval: 0\n`);
  t.deepEqual(c.fib, { mode: 'kernel', xdpInterfaces: ['eth1'], keepForwardingOnStop: true, pinDir: '/sys/fs/bpf/routed', reconcileInterval: 0 });
  const negative = parseConfig(`${head}fib:\n  reconcile-interval: -1\n`, 'bad.yaml');
  t.false(negative.ok);
  if (!negative.ok) t.regex(String(negative.errors[0]), /fib\.reconcile-interval/);
  const bad = parseConfig(`${head}fib:\n  pin-dir: /tmp/x\n`, 'bad.yaml');
  t.false(bad.ok);
  if (!bad.ok) t.regex(String(bad.errors[0]), /not a directory directly under \/sys\/fs\/bpf/);
});
