// The decision process: every step decides both ways (and the order of the arguments does not
// change the winner or the step), arrival-order independence with deterministic-med, ECMP sets.
import test from 'ava';
import { ribConfig } from './helpers/rib-config.js';
import { baseAttrs, compareRoutes, selectBest } from '../src/rib/index.js';
import type { DecisionConfig, DecisionStep, PathAttrs, PeerInfo, Route } from '../src/rib/index.js';

const cfg: DecisionConfig = { preference: ribConfig.preference, bestPath: ribConfig.bestPath };

function peer(p: Partial<PeerInfo> = {}): PeerInfo {
  return { address: '192.0.2.1', asn: 65001, routerId: '1.1.1.1', ibgp: false, routeReflectorClient: false, ...p };
}

function bgp(o: { peer?: Partial<PeerInfo>; attrs?: Partial<PathAttrs>; pathId?: number; igpCost?: number } = {}): Route {
  const p = peer(o.peer);
  const attrs: PathAttrs = { ...baseAttrs('192.0.2.1'), asPath: [{ type: 'AS_SEQUENCE', asns: [p.ibgp ? 65010 : p.asn] }], ...o.attrs };
  return {
    family: 'ipv4',
    prefix: '203.0.113.0/24',
    pathId: o.pathId ?? 0,
    source: { kind: 'bgp', peer: p },
    type: 'unicast',
    attrs,
    stale: false,
    resolved: true,
    igpCost: o.igpCost ?? 0,
  };
}

const path = (...asns: number[]): PathAttrs['asPath'] => [{ type: 'AS_SEQUENCE', asns }];
const ibgp = (address: string, routerId: string): Partial<PeerInfo> => ({ address, routerId, asn: 65000, ibgp: true });

/** [step, the route that wins by it, the route that loses]: equal in every earlier step. */
const cases: [DecisionStep, Route, Route][] = [
  ['preference', { ...bgp(), source: { kind: 'static' }, resolved: undefined }, bgp()],
  ['local-pref', bgp({ peer: ibgp('10.0.0.2', '2.2.2.2'), attrs: { localPref: 200 } }), bgp({ peer: ibgp('10.0.0.3', '3.3.3.3'), attrs: { localPref: 150 } })],
  ['as-path-length', bgp({ attrs: { asPath: path(65001, 1) } }), bgp({ peer: { address: '192.0.2.2' }, attrs: { asPath: path(65001, 1, 2) } })],
  ['as-path-length', bgp({ attrs: { asPath: [...path(65001), { type: 'AS_SET', asns: [5, 6, 7] }] } }), bgp({ peer: { address: '192.0.2.2' }, attrs: { asPath: path(65001, 1, 2) } })],
  ['origin', bgp({ attrs: { origin: 'EGP' } }), bgp({ peer: { address: '192.0.2.2' }, attrs: { origin: 'INCOMPLETE' } })],
  ['med', bgp({ attrs: { med: 5 } }), bgp({ peer: { address: '192.0.2.0', routerId: '0.0.0.1' }, attrs: { med: 10 } })],
  ['med', bgp({ attrs: {} }), bgp({ peer: { address: '192.0.2.0', routerId: '0.0.0.1' }, attrs: { med: 1 } })],
  ['ebgp-over-ibgp', bgp({ peer: { address: '192.0.2.9', routerId: '9.9.9.9' } }), bgp({ peer: ibgp('10.0.0.2', '2.2.2.2') })],
  ['igp-cost', bgp({ peer: { address: '192.0.2.9', routerId: '9.9.9.9' }, igpCost: 1 }), bgp({ igpCost: 10 })],
  ['router-id', bgp({ peer: { address: '192.0.2.9', routerId: '1.1.1.1' } }), bgp({ peer: { address: '192.0.2.2', routerId: '1.1.1.2' } })],
  ['router-id', bgp({ peer: { ...ibgp('10.0.0.9', '9.9.9.9') }, attrs: { originatorId: '1.0.0.0' } }), bgp({ peer: ibgp('10.0.0.2', '2.2.2.2') })],
  [
    'cluster-list-length',
    bgp({ peer: ibgp('10.0.0.9', '9.9.9.9'), attrs: { originatorId: '5.5.5.5', clusterList: ['7.7.7.7'] } }),
    bgp({ peer: ibgp('10.0.0.2', '2.2.2.2'), attrs: { originatorId: '5.5.5.5', clusterList: ['7.7.7.7', '8.8.8.8'] } }),
  ],
  [
    'peer-address',
    bgp({ peer: ibgp('10.0.0.2', '9.9.9.9'), attrs: { originatorId: '5.5.5.5' } }),
    bgp({ peer: ibgp('10.0.0.10', '2.2.2.2'), attrs: { originatorId: '5.5.5.5' } }),
  ],
  ['path-id', bgp({ pathId: 1 }), bgp({ pathId: 2 })],
];

for (const [i, [step, winner, loser]] of cases.entries()) {
  test(`step ${step} (case ${i}): the winner wins both ways`, (t) => {
    const ab = compareRoutes(winner, loser, cfg);
    const ba = compareRoutes(loser, winner, cfg);
    t.true(ab.order < 0);
    t.true(ba.order > 0);
    t.is(ab.step, step);
    t.is(ba.step, step);
    for (const list of [[winner, loser], [loser, winner]]) {
      const sel = selectBest(list, cfg);
      t.is(sel.best[0], winner);
      t.is(sel.best.length, 1);
      t.is(sel.step, step);
    }
  });
}

test('MED is not compared across neighbour ASes unless always-compare-med', (t) => {
  const a = bgp({ attrs: { med: 50 }, igpCost: 5 });
  const b = bgp({ peer: { address: '192.0.2.2', asn: 65002 }, attrs: { asPath: path(65002), med: 10 }, igpCost: 1 });
  t.deepEqual(compareRoutes(a, b, cfg), { order: 1, step: 'igp-cost' });
  const always = { ...cfg, bestPath: { ...cfg.bestPath, alwaysCompareMed: true } };
  t.deepEqual(compareRoutes(a, b, always), { order: 1, step: 'med' });
  t.deepEqual(compareRoutes(b, a, always), { order: -1, step: 'med' });
});

test('an unresolved route is never selected; the only usable one wins as only-path', (t) => {
  const good = bgp({ igpCost: 100 });
  const unresolved = { ...bgp({ peer: { address: '192.0.2.2' }, attrs: { localPref: 500 } }), resolved: false };
  t.deepEqual(selectBest([unresolved, good], cfg), { best: [good], step: 'only-path' });
  t.deepEqual(selectBest([unresolved], cfg), { best: [] });
});

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

// A beats C (igp), C beats B (igp), B beats A (MED, same neighbour AS): no total order without
// deterministic-med, so sequential comparison depends on arrival order.
const cyclic = (): Route[] => [
  bgp({ peer: { address: '192.0.2.1', routerId: '1.1.1.1', asn: 100 }, attrs: { asPath: path(100), med: 50 }, igpCost: 10 }),
  bgp({ peer: { address: '192.0.2.2', routerId: '1.1.1.2', asn: 100 }, attrs: { asPath: path(100), med: 10 }, igpCost: 30 }),
  bgp({ peer: { address: '192.0.2.3', routerId: '1.1.1.3', asn: 200 }, attrs: { asPath: path(200) }, igpCost: 20 }),
  bgp({ peer: { address: '192.0.2.4', routerId: '1.1.1.4', asn: 300 }, attrs: { asPath: path(300) }, igpCost: 25 }),
  bgp({ peer: { address: '192.0.2.5', routerId: '1.1.1.5', asn: 100 }, attrs: { asPath: path(100), med: 60 }, igpCost: 5 }),
];

test('deterministic-med: the same best for every permutation of five routes', (t) => {
  const routes = cyclic();
  const winners = new Set(permutations(routes).map((p) => selectBest(p, cfg).best[0]));
  t.is(winners.size, 1);
  // Best of AS 100 by MED is .2 (cost 30); against .3 (20) and .4 (25) the IGP cost decides.
  t.is([...winners][0], routes[2]);
});

test('without deterministic-med the same routes give an order-dependent outcome (why the option exists)', (t) => {
  const plain = { ...cfg, bestPath: { ...cfg.bestPath, deterministicMed: false } };
  const winners = new Set(permutations(cyclic()).map((p) => selectBest(p, plain).best[0]));
  t.true(winners.size > 1);
});

test('ECMP: eBGP routes equal through IGP cost from the same neighbour AS, up to maxPaths', (t) => {
  const same = [1, 2, 3].map((i) => bgp({ peer: { address: `192.0.2.${i}`, routerId: `1.1.1.${i}` } }));
  const otherAs = bgp({ peer: { address: '192.0.2.9', routerId: '1.1.1.9', asn: 65009 }, attrs: { asPath: path(65009) } });
  const costlier = bgp({ peer: { address: '192.0.2.8', routerId: '1.1.1.8' }, igpCost: 5 });
  const all = [costlier, otherAs, ...same];
  const four = { ...cfg, bestPath: { ...cfg.bestPath, maxPaths: 4 } };
  t.deepEqual(selectBest(all, four).best, same);
  const two = { ...cfg, bestPath: { ...cfg.bestPath, maxPaths: 2 } };
  t.deepEqual(selectBest(all, two).best, same.slice(0, 2));
  t.deepEqual(selectBest(all, cfg).best, same.slice(0, 1));
});

test('ECMP: iBGP multipath uses maxPathsIbgp and ignores the neighbour AS', (t) => {
  const a = bgp({ peer: ibgp('10.0.0.2', '2.2.2.2'), attrs: { asPath: path(1) } });
  const b = bgp({ peer: ibgp('10.0.0.3', '3.3.3.3'), attrs: { asPath: path(2) } });
  const ib = { ...cfg, bestPath: { ...cfg.bestPath, maxPaths: 1, maxPathsIbgp: 2 } };
  t.deepEqual(selectBest([b, a], ib).best, [a, b]);
  t.deepEqual(selectBest([b, a], cfg).best, [a]);
});
