// Match conditions, each true and false: prefixes, AS path regex ('_' boundaries, anchors),
// origin and contains AS, path length, communities of the three kinds, next hop, neighbour, family.

import test from 'ava';
import { compilePolicies, parseExtended, parseLarge, parseStandard, asPathText, type EvalContext, type PolicyEngine } from '../src/policy/index.js';
import type { AsPathSegment } from '../src/bgp/wire/index.js';
import type { PolicyMatch } from '../src/config/types.js';
import type { PathAttrs, PeerInfo, Route } from '../src/rib/types.js';

const peer: PeerInfo = { address: '192.0.2.1', asn: 65001, routerId: '192.0.2.1', ibgp: false, routeReflectorClient: false };
const ctx: EvalContext = { neighbor: peer, direction: 'import', localAs: 65000 };

function route(prefix: string, over: Partial<PathAttrs> = {}): Route {
  const attrs: PathAttrs = Object.freeze({
    origin: 'IGP', asPath: [{ type: 'AS_SEQUENCE' as const, asns: [65001, 3356, 174] }], nextHop: '192.0.2.1', atomicAggregate: false,
    communities: [], extCommunities: [], largeCommunities: [], clusterList: [], unknown: [], ...over,
  });
  return { family: prefix.includes(':') ? 'ipv6' : 'ipv4', prefix, pathId: 0, source: { kind: 'bgp', peer }, type: 'unicast', attrs, stale: false };
}

function engineFor(match: PolicyMatch, prefixLists = {}): PolicyEngine {
  const e = compilePolicies({ localAs: 65000, prefixLists, policies: { p: { defaultAction: 'reject', terms: [{ name: 't', match, set: {}, action: 'accept' }] } } });
  if (Array.isArray(e)) throw new Error(JSON.stringify(e));
  return e;
}

function matches(match: PolicyMatch, r: Route, c: EvalContext = ctx): boolean {
  return engineFor(match).evaluate(['p'], r, c).accept;
}

const seq = (...asns: number[]): AsPathSegment => ({ type: 'AS_SEQUENCE', asns });
const set = (...asns: number[]): AsPathSegment => ({ type: 'AS_SET', asns });

test('prefix list by name and inline prefixes', (t) => {
  const e = engineFor({ prefixList: 'bogons' }, { bogons: [{ prefix: '10.0.0.0/8', le: 32 }, { prefix: 'fc00::/7', le: 128 }] });
  t.true(e.evaluate(['p'], route('10.1.0.0/16'), ctx).accept);
  t.true(e.evaluate(['p'], route('fd00::/8'), ctx).accept);
  t.false(e.evaluate(['p'], route('192.0.2.0/24'), ctx).accept);
  t.true(matches({ prefix: [{ prefix: '192.0.2.0/24' }] }, route('192.0.2.0/24')));
  t.false(matches({ prefix: [{ prefix: '192.0.2.0/24' }] }, route('192.0.2.0/25')));
});

test('AS path text is what operators see', (t) => {
  const path = [{ type: 'AS_CONFED_SEQUENCE', asns: [64512, 64513] }, seq(65001, 174), set(1, 2), { type: 'AS_CONFED_SET', asns: [7, 8] }] as AsPathSegment[];
  t.is(asPathText(path), '(64512 64513) 65001 174 {1,2} [7,8]');
  t.is(asPathText([]), '');
});

test('AS path regex: plain text, anchors and .*', (t) => {
  const r = route('192.0.2.0/24', { asPath: [seq(65001, 3356, 174)] });
  t.true(matches({ asPathRegex: '^65001 .* 174$' }, r));
  t.false(matches({ asPathRegex: '^65001 .* 174$' }, route('192.0.2.0/24', { asPath: [seq(65001, 174)] })), 'two spaces needed around .*, as in FRR');
  t.true(matches({ asPathRegex: '^65001 ' }, r));
  t.false(matches({ asPathRegex: '^3356' }, r));
  t.true(matches({ asPathRegex: '^$' }, route('192.0.2.0/24', { asPath: [] })));
  t.false(matches({ asPathRegex: '^$' }, r));
});

test("AS path regex: '_' is a boundary (start, end, space, brackets), not part of a number", (t) => {
  const r = route('192.0.2.0/24', { asPath: [seq(65001, 3356, 174)] });
  t.true(matches({ asPathRegex: '_174$' }, r));
  t.true(matches({ asPathRegex: '_3356_' }, r));
  t.true(matches({ asPathRegex: '^65001_' }, r));
  t.true(matches({ asPathRegex: '_65001_3356_' }, r));
  t.false(matches({ asPathRegex: '_74$' }, r), '_74 must not match inside 174');
  t.false(matches({ asPathRegex: '_335_' }, r));
  t.true(matches({ asPathRegex: '_2_' }, route('192.0.2.0/24', { asPath: [seq(65001), set(1, 2)] })), 'ASNs in a set');
  t.true(matches({ asPathRegex: '^1[ _]2$' }, route('192.0.2.0/24', { asPath: [seq(1, 2)] })), "'_' inside a class is itself");
});

test('origin AS: last ASN of a sequence; none for an AS_SET; own AS for an empty path', (t) => {
  t.true(matches({ originAs: [174, 1299] }, route('192.0.2.0/24')));
  t.false(matches({ originAs: [3356] }, route('192.0.2.0/24')));
  t.false(matches({ originAs: [2] }, route('192.0.2.0/24', { asPath: [seq(65001), set(1, 2)] })));
  t.false(matches({ originAs: [65001] }, route('192.0.2.0/24', { asPath: [seq(65001), set(1, 2)] })));
  t.true(matches({ originAs: [65000] }, route('192.0.2.0/24', { asPath: [] })));
  t.true(matches({ originAs: [65000] }, route('192.0.2.0/24', { asPath: [{ type: 'AS_CONFED_SEQUENCE', asns: [64512] }] })));
});

test('contains AS: any segment', (t) => {
  t.true(matches({ containsAs: [3356] }, route('192.0.2.0/24')));
  t.false(matches({ containsAs: [1299, 2914] }, route('192.0.2.0/24')));
  t.true(matches({ containsAs: [2] }, route('192.0.2.0/24', { asPath: [seq(65001), set(1, 2)] })));
});

test('path length range counts a set as one, confederation segments as zero', (t) => {
  const r = route('192.0.2.0/24', { asPath: [{ type: 'AS_CONFED_SEQUENCE', asns: [64512, 64513] }, seq(65001, 174), set(1, 2, 3)] });
  t.true(matches({ asPathLength: { min: 3, max: 3 } }, r));
  t.false(matches({ asPathLength: { min: 4 } }, r));
  t.false(matches({ asPathLength: { max: 2 } }, r));
  t.true(matches({ asPathLength: { max: 0 } }, route('192.0.2.0/24', { asPath: [] })));
});

test('standard communities: values, well-known names, wildcards', (t) => {
  const r = route('192.0.2.0/24', { communities: [65000 * 65536 + 100, 0xffffff01] });
  t.true(matches({ community: ['65000:100'] }, r));
  t.false(matches({ community: ['65000:101'] }, r));
  t.true(matches({ community: ['no-export'] }, r));
  t.true(matches({ community: ['NO_EXPORT'] }, r));
  t.false(matches({ community: ['no-advertise', 'blackhole'] }, r));
  t.true(matches({ community: ['65000:*'] }, r));
  t.true(matches({ community: ['*:100'] }, r));
  t.false(matches({ community: ['65001:*'] }, r));
  t.false(matches({ community: ['65000:100'] }, route('192.0.2.0/24')));
});

test('well-known community values (RFC 1997, 7999, 8326)', (t) => {
  const value = (text: string): number => {
    const p = parseStandard(text, false);
    if ('error' in p) throw new Error(p.error);
    return ((p.value.high << 16) | p.value.low) >>> 0;
  };
  t.is(value('no-export'), 0xffffff01);
  t.is(value('no-advertise'), 0xffffff02);
  t.is(value('no-export-subconfed'), 0xffffff03);
  t.is(value('local-as'), 0xffffff03);
  t.is(value('blackhole'), 0xffff029a);
  t.is(value('graceful-shutdown'), 0xffff0000);
  t.is(value('65535:666'), 0xffff029a);
  for (const bad of ['65536:1', '1:65536', '1', '1:2:3', 'a:b', 'no-such', '*:1']) t.true('error' in parseStandard(bad, false), bad);
});

test('extended community encodings (RFC 4360, RFC 5668)', (t) => {
  const hex = (text: string): string => {
    const p = parseExtended(text);
    if ('error' in p) throw new Error(p.error);
    return p.value;
  };
  t.is(hex('rt:65000:100'), '0002fde800000064');
  t.is(hex('soo:65000:100'), '0003fde800000064');
  t.is(hex('rt:65000:4294967295'), '0002fde8ffffffff');
  t.is(hex('rt:192.0.2.1:7'), '0102c00002010007');
  t.is(hex('rt:4200000000:7'), '0202fa56ea000007');
  t.is(hex('0002FDE800000064'), '0002fde800000064');
  for (const bad of ['rt:4200000000:65536', 'rt:192.0.2.1:65536', 'rt:192.0.2:1', 'xx:1:2', 'rt:1', '0002fde8', 'rt:65000:4294967296']) {
    t.true('error' in parseExtended(bad), bad);
  }
});

test('extended and large community matches', (t) => {
  const r = route('192.0.2.0/24', { extCommunities: ['0002fde800000064'], largeCommunities: [[65000, 1, 2]] });
  t.true(matches({ extCommunity: ['rt:65000:100'] }, r));
  t.false(matches({ extCommunity: ['soo:65000:100'] }, r));
  t.true(matches({ largeCommunity: ['65000:1:2'] }, r));
  t.false(matches({ largeCommunity: ['65000:1:3'] }, r));
  t.true(matches({ largeCommunity: ['65000:*:2'] }, r));
  t.false(matches({ largeCommunity: ['*:2:*'] }, r));
  t.true('error' in parseLarge('4294967296:1:1', true));
  t.deepEqual(parseLarge('4294967295:0:*', true), { value: [4294967295, 0, -1] });
});

test('next hop: address (canonical form) or a prefix containing it', (t) => {
  const r6 = route('2001:db8:1::/48', { nextHop: '2001:db8::1' });
  t.true(matches({ nextHop: ['2001:DB8:0::1'] }, r6));
  t.false(matches({ nextHop: ['2001:db8::2'] }, r6));
  t.true(matches({ nextHop: ['2001:db8::/64'] }, r6));
  t.true(matches({ nextHop: ['192.0.2.0/24'] }, route('10.0.0.0/8')));
  t.false(matches({ nextHop: ['198.51.100.0/24', '192.0.2.2'] }, route('10.0.0.0/8')));
});

test('neighbour address and family', (t) => {
  t.true(matches({ neighbor: ['192.0.2.1'] }, route('10.0.0.0/8')));
  t.false(matches({ neighbor: ['192.0.2.2'] }, route('10.0.0.0/8')));
  t.false(matches({ neighbor: ['192.0.2.1'] }, route('10.0.0.0/8'), { ...ctx, neighbor: undefined }));
  t.true(matches({ family: 'ipv6' }, route('2001:db8::/32')));
  t.false(matches({ family: 'ipv6' }, route('10.0.0.0/8')));
});

test('all conditions of a term must hold', (t) => {
  const r = route('10.0.0.0/8', { communities: [65000 * 65536 + 100] });
  t.true(matches({ family: 'ipv4', community: ['65000:100'], originAs: [174] }, r));
  t.false(matches({ family: 'ipv4', community: ['65000:100'], originAs: [3356] }, r));
});
