// diffConfig: one test per category of change, on configurations parsed from YAML.
import test from 'ava';
import { diffConfig, parseConfig, RELOAD_EFFECTS, reloadEffectsMarkdown } from '../src/config/index.js';
import type { Config } from '../src/config/index.js';

function load(text: string): Config {
  const result = parseConfig(text, 'd.yaml');
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

const base = `router-id: 192.0.2.1
local-as: 65000
neighbors:
  - { address: 192.0.2.2, remote-as: 65001, import: in, export: out }
  - { address: 192.0.2.3, remote-as: 65000 }
  - { address: 192.0.2.4, remote-as: 65002, import: tagged, export: out }
prefix-lists:
  mine: [203.0.113.0/24]
policies:
  in: { default-action: accept }
  out: { terms: [{ match: { prefix-list: mine }, action: accept }] }
  tagged: { default-action: accept }
static-routes:
  - { prefix: 203.0.113.0/24, blackhole: true }
  - { prefix: 198.51.100.0/24, via: 192.0.2.254 }
`;

/** The base file with one edit: replace `from` by `to` (which must occur). */
function edited(from: string, to: string): Config {
  if (!base.includes(from)) throw new Error(`not in base: ${from}`);
  return load(base.replace(from, to));
}

const old = load(base);

test('identical configs: an empty diff', (t) => {
  const d = diffConfig(old, load(base));
  t.true(d.empty);
  t.false(d.resetAll);
  t.deepEqual(d.neighbors, { added: [], removed: [], changed: [] });
  t.deepEqual(d.rerun, []);
});

test('neighbours added and removed', (t) => {
  const next = edited('  - { address: 192.0.2.3, remote-as: 65000 }\n', '  - { address: "2001:db8::9", remote-as: 65009 }\n');
  const d = diffConfig(old, next);
  t.false(d.empty);
  t.deepEqual(d.neighbors.added.map((n) => n.address), ['2001:db8::9']);
  t.deepEqual(d.neighbors.removed.map((n) => n.address), ['192.0.2.3']);
  t.deepEqual(d.neighbors.changed, []);
  t.deepEqual(d.rerun, []);
});

test('transport and OPEN settings reset the session', (t) => {
  const edits: [string, string][] = [
    ['remote-as: 65001,', 'remote-as: 65011,'],
    ['remote-as: 65001,', 'remote-as: 65001, local-address: 192.0.2.1,'],
    ['remote-as: 65001,', 'remote-as: 65001, password: pw,'],
    ['remote-as: 65001,', 'remote-as: 65001, ttl-security: 1,'],
    ['remote-as: 65001,', 'remote-as: 65001, families: [ipv4, ipv6],'],
    ['remote-as: 65001,', 'remote-as: 65001, add-path: { receive: ipv4 },'],
    ['remote-as: 65001,', 'remote-as: 65001, graceful-restart: { enabled: true },'],
    ['remote-as: 65001,', 'remote-as: 65001, hold-time: 30,'],
    ['remote-as: 65001,', 'remote-as: 65001, passive: true,'],
    ['remote-as: 65001,', 'remote-as: 65001, connect-retry: 5,'],
    ['remote-as: 65001,', 'remote-as: 65001, keepalive: 10,'],
    ['remote-as: 65001,', 'remote-as: 65001, next-hop-self: true,'],
  ];
  for (const [from, to] of edits) {
    const d = diffConfig(old, edited(from, to));
    const [change, ...more] = d.neighbors.changed;
    t.is(more.length, 0, to);
    t.is(change?.address, '192.0.2.2', to);
    t.true(change?.reset, to);
    t.false(change?.reimport, to);
    // A reset session re-runs everything on its own: nothing to re-run for it.
    t.deepEqual(d.rerun, [], to);
  }
});

test('the hold time change also changes the default keepalive: one reset', (t) => {
  const d = diffConfig(old, edited('remote-as: 65001,', 'remote-as: 65001, hold-time: 30,'));
  t.deepEqual(d.neighbors.changed[0]?.fields, ['holdTime', 'keepalive']);
  t.deepEqual(d.neighbors.changed[0]?.effects, ['reset']);
});

test('policy settings re-run policy without a reset', (t) => {
  const cases: [string, string, { import: boolean; export: boolean }][] = [
    ['import: in, export: out }', 'import: tagged, export: out }', { import: true, export: false }],
    ['import: in, export: out }', 'import: in, export: [out, in] }', { import: false, export: true }],
    ['import: in, export: out }', 'import: tagged, export: [out, in] }', { import: true, export: true }],
    ['import: in,', 'import: in, max-prefix: { limit: 10 },', { import: true, export: false }],
    ['import: in, export: out }', 'import: in, description: peer, export: [in] }', { import: false, export: true }],
  ];
  for (const [from, to, rerun] of cases) {
    const d = diffConfig(old, edited(from, to));
    t.false(d.neighbors.changed[0]?.reset, to);
    t.deepEqual(d.rerun, [{ address: '192.0.2.2', ...rerun }], to);
  }
});

test('route reflector client status resets the session (as FRR does)', (t) => {
  const d = diffConfig(old, edited('{ address: 192.0.2.3, remote-as: 65000 }', '{ address: 192.0.2.3, remote-as: 65000, route-reflector-client: true }'));
  t.deepEqual(d.neighbors.changed[0]?.fields, ['routeReflectorClient']);
  t.true(d.neighbors.changed[0]?.reset);
  t.deepEqual(d.rerun, []);
});

test('description and shutdown neither reset nor re-run', (t) => {
  const d = diffConfig(old, edited('remote-as: 65001,', 'remote-as: 65001, description: x,'));
  const change = d.neighbors.changed[0];
  t.deepEqual(change?.fields, ['description']);
  t.deepEqual(change?.effects, ['none']);
  t.false(change?.reset);
  t.deepEqual(d.rerun, []);
  const down = diffConfig(old, edited('remote-as: 65001,', 'remote-as: 65001, shutdown: true,'));
  t.deepEqual(down.neighbors.changed[0]?.effects, ['shutdown']);
  t.is(down.neighbors.changed[0]?.next.shutdown, true);
});

test('a changed policy re-runs the directions of the neighbours that use it', (t) => {
  const d = diffConfig(old, edited('tagged: { default-action: accept }', 'tagged: { default-action: reject }'));
  t.deepEqual(d.policies, { added: [], removed: [], changed: ['tagged'] });
  t.deepEqual(d.neighbors.changed, []);
  t.deepEqual(d.rerun, [{ address: '192.0.2.4', import: true, export: false }]);
});

test('a changed prefix list re-runs the policies that read it', (t) => {
  const d = diffConfig(old, edited('mine: [203.0.113.0/24]', 'mine: [203.0.113.0/25]'));
  t.deepEqual(d.prefixLists, { added: [], removed: [], changed: ['mine'] });
  t.deepEqual(d.policies.changed, []);
  t.deepEqual(d.rerun, [
    { address: '192.0.2.2', import: false, export: true },
    { address: '192.0.2.4', import: false, export: true },
  ]);
});

test('policies and prefix lists added and removed', (t) => {
  const d = diffConfig(old, edited('  tagged: { default-action: accept }\n', '  tagged: { default-action: accept }\n  spare: {}\n'));
  t.deepEqual(d.policies, { added: ['spare'], removed: [], changed: [] });
  t.deepEqual(d.rerun, []);
  const back = diffConfig(load(base.replace('mine: [203.0.113.0/24]', 'mine: [203.0.113.0/24]\n  other: []')), old);
  t.deepEqual(back.prefixLists, { added: [], removed: ['other'], changed: [] });
});

test('static routes added, removed and changed, by prefix', (t) => {
  const d = diffConfig(
    old,
    edited(
      '  - { prefix: 203.0.113.0/24, blackhole: true }\n  - { prefix: 198.51.100.0/24, via: 192.0.2.254 }\n',
      '  - { prefix: 203.0.113.0/24, unreachable: true }\n  - { prefix: 192.0.2.128/25, interface: eth0 }\n',
    ),
  );
  t.deepEqual(d.staticRoutes, {
    added: [{ prefix: '192.0.2.128/25', type: 'interface', interface: 'eth0' }],
    removed: [{ prefix: '198.51.100.0/24', type: 'via', via: ['192.0.2.254'] }],
    changed: [{ old: { prefix: '203.0.113.0/24', type: 'blackhole' }, next: { prefix: '203.0.113.0/24', type: 'unreachable' } }],
  });
  t.deepEqual(d.neighbors.changed, []);
});

test('router id or local AS: every session resets', (t) => {
  for (const [from, to] of [['router-id: 192.0.2.1', 'router-id: 192.0.2.9'], ['local-as: 65000', 'local-as: 65100']] as const) {
    const d = diffConfig(old, edited(from, to));
    t.true(d.resetAll, to);
    t.deepEqual(d.rerun, [], to);
  }
  const d = diffConfig(old, edited('router-id: 192.0.2.1', 'router-id: 192.0.2.9'));
  t.deepEqual(d.routerId, { old: '192.0.2.1', next: '192.0.2.9' });
  // The cluster id follows the router id by default.
  t.deepEqual(d.clusterId, { old: '192.0.2.1', next: '192.0.2.9' });
});

test('cluster id change re-runs export to iBGP neighbours', (t) => {
  const d = diffConfig(old, edited('local-as: 65000\n', 'local-as: 65000\ncluster-id: 10.0.0.1\n'));
  t.false(d.resetAll);
  t.deepEqual(d.rerun, [{ address: '192.0.2.3', import: false, export: true }]);
});

test('log level, listen, control socket, best path, preference', (t) => {
  const d = diffConfig(
    old,
    edited(
      'local-as: 65000\n',
      'local-as: 65000\nlog: { level: debug }\nlisten: { port: 1179 }\ncontrol-socket: /tmp/r.sock\n' +
        'best-path: { max-paths: 4 }\npreference: { kernel: 254 }\n',
    ),
  );
  t.deepEqual(d.logLevel, { old: 'info', next: 'debug' });
  t.deepEqual(d.keys, ['listen', 'controlSocket', 'log', 'bestPath', 'preference']);
  t.deepEqual(d.restartRequired, ['listen', 'controlSocket']);
  t.deepEqual(d.listen, { old: { addresses: ['0.0.0.0', '::'], port: 179 }, next: { addresses: ['0.0.0.0', '::'], port: 1179 } });
  t.deepEqual(d.controlSocket, { old: '/run/routed/routed.sock', next: '/tmp/r.sock' });
  t.is(d.bestPath?.next.maxPaths, 4);
  t.is(d.preference?.next.kernel, 254);
  t.false(d.resetAll);
  t.deepEqual(d.neighbors.changed, []);
  t.false(d.empty);
});

test('every neighbour field and top-level key is classified', (t) => {
  for (const field of Object.keys(old.neighbors[0]!)) t.true(field in RELOAD_EFFECTS.neighbor, field);
  for (const key of Object.keys(old).filter((k) => k !== 'neighbors')) t.true(key in RELOAD_EFFECTS.router, key);
});

test('fib settings are a change of their own', (t) => {
  const d = diffConfig(old, edited('local-as: 65000\n', 'local-as: 65000\nfib: { mode: kernel }\n'));
  t.is(d.fib?.next.mode, 'kernel');
  t.deepEqual(d.keys, ['fib']);
  t.false(d.empty);
});

test('the README table lists every key with its effects', (t) => {
  const table = reloadEffectsMarkdown();
  t.true(table.includes("| neighbor `hold-time` | reset | negotiated in the OPEN: min(ours, theirs) (RFC 4271 §4.2) |"));
  t.true(table.some((l) => l.startsWith('| neighbor `import` | reimport |')));
  t.is(table.length, 2 + Object.keys(RELOAD_EFFECTS.router).length + 2 + Object.keys(RELOAD_EFFECTS.neighbor).length);
});
