// Evaluation (term order, 'next', default actions, RFC 8212), every action, the unchanged-route
// fast path (same attrs object), compile errors with their location, RFC 1997 export blocking.

import test from 'ava';
import {
  compilePolicies, defaultPolicyFor, defaultPolicyMessage, formatPolicyError, wellKnownExportBlocked,
  type EvalContext, type PolicyEngine, type PolicyError,
} from '../src/policy/index.js';
import type { Config, PolicyConfig, PolicyTerm } from '../src/config/types.js';
import type { PathAttrs, PeerInfo, Route } from '../src/rib/types.js';

const ebgp: PeerInfo = { address: '192.0.2.1', asn: 65001, routerId: '192.0.2.1', ibgp: false, routeReflectorClient: false };
const ibgp: PeerInfo = { ...ebgp, address: '10.0.0.2', asn: 65000, ibgp: true };
const ctx: EvalContext = { neighbor: ebgp, direction: 'import', localAs: 65000, localAddress: '192.0.2.254' };
const comm = (a: number, b: number): number => a * 65536 + b;

function route(over: Partial<PathAttrs> = {}, prefix = '192.0.2.0/24'): Route {
  const attrs: PathAttrs = Object.freeze({
    origin: 'IGP', asPath: [{ type: 'AS_SEQUENCE' as const, asns: [65001, 174] }], nextHop: '192.0.2.1', atomicAggregate: false,
    communities: [], extCommunities: [], largeCommunities: [], clusterList: [], unknown: [], ...over,
  });
  return { family: prefix.includes(':') ? 'ipv6' : 'ipv4', prefix, pathId: 0, source: { kind: 'bgp', peer: ebgp }, type: 'unicast', attrs, stale: false };
}

type Cfg = Pick<Config, 'policies' | 'prefixLists' | 'localAs'>;

function term(name: string, t: Partial<PolicyTerm>): PolicyTerm {
  return { name, match: {}, set: {}, action: 'accept', ...t };
}

function engine(policies: Record<string, PolicyConfig>, prefixLists: Cfg['prefixLists'] = {}): PolicyEngine {
  const e = compilePolicies({ localAs: 65000, policies, prefixLists });
  if (Array.isArray(e)) throw new Error(JSON.stringify(e));
  return e;
}

function errorsOf(cfg: Partial<Cfg>): PolicyError[] {
  const e = compilePolicies({ localAs: 65000, policies: {}, prefixLists: {}, ...cfg });
  if (!Array.isArray(e)) throw new Error('expected errors');
  return e;
}

/** Run a single accepting term with these modifications. */
function apply(set: PolicyTerm['set'], r = route(), c = ctx): PathAttrs {
  const res = engine({ p: { defaultAction: 'reject', terms: [term('t', { set })] } }).evaluate(['p'], r, c);
  if (!res.accept) throw new Error('rejected');
  return res.attrs;
}

// ---- evaluation order ----

test('the first deciding term wins; later terms are not reached', (t) => {
  const e = engine({
    p: { defaultAction: 'accept', terms: [
      term('drop-174', { match: { originAs: [174] }, action: 'reject' }),
      term('take-all', { set: { localPref: 200 } }),
    ] },
  });
  const r = route();
  t.deepEqual(e.evaluate(['p'], r, ctx), { accept: false, attrs: r.attrs, decidedBy: 'p/drop-174' });
  const other = route({ asPath: [{ type: 'AS_SEQUENCE', asns: [65001, 3356] }] });
  const res = e.evaluate(['p'], other, ctx);
  t.true(res.accept);
  t.is(res.decidedBy, 'p/take-all');
  t.is(res.attrs.localPref, 200);
});

test("'next' keeps its changes, later terms see them, and the default action applies at the end", (t) => {
  const e = engine({
    p: { defaultAction: 'accept', terms: [
      term('tag', { set: { communityAdd: ['65000:1'] }, action: 'next' }),
      term('tagged-lp', { match: { community: ['65000:1'] }, set: { localPref: 50 }, action: 'next' }),
      term('never', { match: { community: ['65000:2'] }, action: 'reject' }),
    ] },
  });
  const res = e.evaluate(['p'], route(), ctx);
  t.true(res.accept);
  t.is(res.decidedBy, 'p/default');
  t.deepEqual(res.attrs.communities, [comm(65000, 1)]);
  t.is(res.attrs.localPref, 50);
});

test('default reject when no term decides; a rejected route keeps its own attrs', (t) => {
  const e = engine({ p: { defaultAction: 'reject', terms: [term('mark', { set: { med: 5 }, action: 'next' })] } });
  const r = route();
  t.deepEqual(e.evaluate(['p'], r, ctx), { accept: false, attrs: r.attrs, decidedBy: 'p/default' });
});

/** Policies for chains: ones that decide by default, one that marks and falls through, one that decides by term. */
function chainEngine(): PolicyEngine {
  return engine({
    a: { defaultAction: 'accept', terms: [term('x', { match: { originAs: [1] }, action: 'reject' })] },
    b: { defaultAction: 'reject', terms: [] },
    mark: { terms: [term('lp', { set: { localPref: 300 }, action: 'next' })] },
    drop174: { terms: [term('t', { match: { originAs: [174] }, action: 'reject' })] },
    pass: { terms: [term('all', { action: 'accept' })] },
  });
}

test('a chain: a policy with a default-action ends it; one that decides nothing passes the route on', (t) => {
  const e = chainEngine();
  t.is(e.evaluate(['a', 'b'], route(), ctx).decidedBy, 'a/default');
  t.false(e.evaluate(['b', 'a'], route(), ctx).accept);
  // mark falls through with its change kept; pass accepts.
  const r = e.evaluate(['mark', 'pass'], route(), ctx);
  t.like(r, { accept: true, decidedBy: 'pass/all' });
  t.is(r.attrs.localPref, 300);
  // A terminal term in an earlier policy ends the chain before later ones.
  t.like(e.evaluate(['drop174', 'pass'], route(), ctx), { accept: false, decidedBy: 'drop174/t' });
  t.like(e.evaluate(['drop174', 'pass'], route({ asPath: [{ type: 'AS_SEQUENCE', asns: [65001] }] }), ctx), { accept: true, decidedBy: 'pass/all' });
  // Nothing decides: rejected after the last policy, which names the default.
  const other = route({ asPath: [{ type: 'AS_SEQUENCE', asns: [65001] }] });
  const none = e.evaluate(['mark', 'drop174'], other, ctx);
  t.like(none, { accept: false, decidedBy: 'drop174/default' });
  t.is(none.attrs, other.attrs, 'a rejected route keeps its own attrs, not the chain\'s changes');
});

test('a single policy without default-action rejects what no term decides', (t) => {
  const e = engine({ p: { terms: [term('mark', { set: { med: 5 }, action: 'next' })] } });
  const r = route();
  t.deepEqual(e.evaluate(['p'], r, ctx), { accept: false, attrs: r.attrs, decidedBy: 'p/default' });
});

test('an unknown policy later in a chain rejects (fail closed) when reached', (t) => {
  const e = engine({ mark: { terms: [] }, pass: { defaultAction: 'accept', terms: [] } });
  t.like(e.evaluate(['mark', 'nope'], route(), ctx), { accept: false, decidedBy: 'unknown-policy/nope' });
  t.like(e.evaluate(['pass', 'nope'], route(), ctx), { accept: true, decidedBy: 'pass/default' });
});

test('an unknown policy name rejects (fail closed); has() tells the loader', (t) => {
  const e = engine({ a: { defaultAction: 'accept', terms: [] } });
  t.deepEqual(e.evaluate(['nope'], route(), ctx), { accept: false, attrs: route().attrs, decidedBy: 'unknown-policy/nope' } as never);
  t.true(e.has('a'));
  t.false(e.has('nope'));
});

test('unchanged routes return the same attrs object; real changes return a new one', (t) => {
  const r = route({ localPref: 100, med: 0, communities: [comm(65000, 1)], nextHop: '192.0.2.254' });
  const e = engine({
    same: { defaultAction: 'reject', terms: [term('noop', {
      set: { localPref: 100, med: 0, communityAdd: ['65000:1'], communityRemove: ['65000:2'], nextHop: 'self', largeCommunityRemove: ['1:2:3'], extCommunityRemove: ['rt:1:1'] },
    })] },
    diff: { defaultAction: 'reject', terms: [term('lp', { set: { localPref: 101 } })] },
  });
  t.is(e.evaluate(['same'], r, ctx).attrs, r.attrs);
  t.is(engine({ p: { defaultAction: 'accept', terms: [] } }).evaluate(['p'], r, ctx).attrs, r.attrs);
  const changed = e.evaluate(['diff'], r, ctx).attrs;
  t.not(changed, r.attrs);
  t.is(r.attrs.localPref, 100, 'the interned original is untouched');
  t.deepEqual({ ...changed, localPref: 100 }, { ...r.attrs });
});

// ---- actions ----

test('set local-pref and MED', (t) => {
  const a = apply({ localPref: 300, med: 20 });
  t.is(a.localPref, 300);
  t.is(a.med, 20);
});

test('prepend: own AS by default, a given AS, into the leading sequence or before a set', (t) => {
  t.deepEqual(apply({ prepend: { count: 2 } }).asPath, [{ type: 'AS_SEQUENCE', asns: [65000, 65000, 65001, 174] }]);
  t.deepEqual(apply({ prepend: { asn: 64999, count: 1 } }, route(), { ...ctx, localAs: 4200000000 }).asPath[0]!.asns, [64999, 65001, 174]);
  t.deepEqual(apply({ prepend: { count: 1 } }, route(), { ...ctx, localAs: 4200000000 }).asPath[0]!.asns, [4200000000, 65001, 174]);
  t.deepEqual(apply({ prepend: { count: 1 } }, route({ asPath: [{ type: 'AS_SET', asns: [1, 2] }] })).asPath,
    [{ type: 'AS_SEQUENCE', asns: [65000] }, { type: 'AS_SET', asns: [1, 2] }]);
  t.deepEqual(apply({ prepend: { count: 3 } }, route({ asPath: [] })).asPath, [{ type: 'AS_SEQUENCE', asns: [65000, 65000, 65000] }]);
});

test('standard communities: add, remove (with wildcards), replace; results sorted and deduplicated', (t) => {
  const r = route({ communities: [comm(65000, 3), comm(65000, 1), 0xffffff01] });
  t.deepEqual(apply({ communityAdd: ['65000:2', '65000:2', '1:1'] }, r).communities, [comm(1, 1), comm(65000, 1), comm(65000, 2), comm(65000, 3), 0xffffff01]);
  t.deepEqual(apply({ communityRemove: ['65000:*'] }, r).communities, [0xffffff01]);
  t.deepEqual(apply({ communityRemove: ['no-export', '65000:3'] }, r).communities, [comm(65000, 1)]);
  t.deepEqual(apply({ communityReplace: ['2:2', '1:1', 'blackhole'] }, r).communities, [comm(1, 1), comm(2, 2), 0xffff029a]);
  t.deepEqual(apply({ communityReplace: ['2:2'], communityAdd: ['3:3'] }, r).communities, [comm(2, 2), comm(3, 3)], 'replace, then add');
});

test('large communities: add and remove, sorted and deduplicated', (t) => {
  const r = route({ largeCommunities: [[65000, 2, 1], [65000, 1, 9]] });
  t.deepEqual(apply({ largeCommunityAdd: ['65000:1:5', '4200000000:0:0'] }, r).largeCommunities,
    [[65000, 1, 5], [65000, 1, 9], [65000, 2, 1], [4200000000, 0, 0]]);
  t.deepEqual(apply({ largeCommunityRemove: ['65000:1:*'] }, r).largeCommunities, [[65000, 2, 1]]);
});

test('extended communities: add and remove, sorted', (t) => {
  const r = route({ extCommunities: ['0003fde800000064'] });
  t.deepEqual(apply({ extCommunityAdd: ['rt:65000:100', 'rt:192.0.2.1:7'] }, r).extCommunities,
    ['0002fde800000064', '0003fde800000064', '0102c00002010007']);
  t.deepEqual(apply({ extCommunityRemove: ['soo:65000:100'] }, r).extCommunities, []);
});

test('set next hop: address (canonicalised), self, and the link-local one is dropped', (t) => {
  const r6 = route({ nextHop: '2001:db8::1', nextHopLinkLocal: 'fe80::1' }, '2001:db8:1::/48');
  const a = apply({ nextHop: '2001:DB8::FF' }, r6);
  t.is(a.nextHop, '2001:db8::ff');
  t.is(a.nextHopLinkLocal, undefined);
  t.is(apply({ nextHop: 'self' }).nextHop, '192.0.2.254');
  const noLocal = route();
  t.is(apply({ nextHop: 'self' }, noLocal, { ...ctx, localAddress: undefined }), noLocal.attrs, 'without a local address, self changes nothing');
});

// ---- RFC 8212 ----

test('RFC 8212: eBGP without policy accepts and announces nothing; iBGP and local routes pass', (t) => {
  const e = engine({});
  const r = route();
  t.deepEqual(e.evaluate(undefined, r, ctx), { accept: false, attrs: r.attrs, decidedBy: 'rfc8212' });
  t.false(e.evaluate([], r, { ...ctx, direction: 'export' }).accept);
  t.deepEqual(e.evaluate(undefined, r, { ...ctx, neighbor: ibgp }), { accept: true, attrs: r.attrs, decidedBy: 'no-policy' });
  t.true(e.evaluate(undefined, r, { ...ctx, neighbor: undefined }).accept);
});

test('defaultPolicyFor and its log message', (t) => {
  t.is(defaultPolicyFor({ ibgp: false }, 'import', undefined), 'reject-all');
  t.is(defaultPolicyFor({ ibgp: false }, 'export', []), 'reject-all');
  t.is(defaultPolicyFor({ ibgp: true }, 'import', undefined), 'accept-all');
  t.is(defaultPolicyFor({ ibgp: false }, 'export', ['out']), 'configured');
  t.is(defaultPolicyFor({ ibgp: true }, 'export', ['out']), 'configured');
  t.is(defaultPolicyMessage({ address: '192.0.2.1', ibgp: false }, 'import', undefined), 'RFC 8212: no import policy for eBGP neighbor 192.0.2.1: accepting nothing');
  t.is(defaultPolicyMessage({ address: '192.0.2.1', ibgp: false }, 'export', undefined), 'RFC 8212: no export policy for eBGP neighbor 192.0.2.1: announcing nothing');
  t.is(defaultPolicyMessage({ address: '10.0.0.2', ibgp: true }, 'import', undefined), undefined);
  t.is(defaultPolicyMessage({ address: '192.0.2.1', ibgp: false }, 'import', ['in']), undefined);
});

// ---- RFC 1997 ----

test('wellKnownExportBlocked: NO_ADVERTISE, NO_EXPORT, NO_EXPORT_SUBCONFED', (t) => {
  const withC = (c: number): PathAttrs => route({ communities: [comm(65000, 1), c] }).attrs;
  const peers = [{ ibgp: true }, { ibgp: false }, { ibgp: false, confedMember: true }];
  t.deepEqual(peers.map((p) => wellKnownExportBlocked(withC(0xffffff02), p)), [true, true, true]);
  t.deepEqual(peers.map((p) => wellKnownExportBlocked(withC(0xffffff01), p)), [false, true, false]);
  t.deepEqual(peers.map((p) => wellKnownExportBlocked(withC(0xffffff03), p)), [false, true, true]);
  t.deepEqual(peers.map((p) => wellKnownExportBlocked(withC(comm(65000, 2)), p)), [false, false, false]);
});

// ---- compile errors ----

test('every error is reported with policy, term, field and config path', (t) => {
  const errors = errorsOf({
    prefixLists: { pl: [{ prefix: '10.0.0.0/8' }, { prefix: '10.0.0.1/8' }] },
    policies: {
      in: { defaultAction: 'reject', terms: [
        term('ok', { match: { prefixList: 'pl' } }),
        term('bad', {
          match: { prefixList: 'missing', asPathRegex: '^(65001', community: ['65000:1', '65000:70000', 'no-such'], extCommunity: ['rt:1'], largeCommunity: ['1:2'] },
          set: { communityAdd: ['65000:*'], prepend: { count: 0 }, nextHop: 'me', localPref: -1 },
        }),
      ] },
      out: { defaultAction: 'reject', terms: [term('p', { match: { prefix: [{ prefix: '2001:db8::/32', le: 16 }] } })] },
    },
  });
  const where = errors.map((e) => e.path.join('.'));
  t.deepEqual(where, [
    'prefixLists.pl.1.prefix',
    'policies.in.terms.1.match.prefixList',
    'policies.in.terms.1.match.asPathRegex',
    'policies.in.terms.1.match.community.1',
    'policies.in.terms.1.match.community.2',
    'policies.in.terms.1.match.extCommunity.0',
    'policies.in.terms.1.match.largeCommunity.0',
    'policies.in.terms.1.set.localPref',
    'policies.in.terms.1.set.prepend.count',
    'policies.in.terms.1.set.communityAdd.0',
    'policies.in.terms.1.set.nextHop',
    'policies.out.terms.0.match.prefix.0.le',
  ]);
  const community = errors[3]!;
  t.is(community.policy, 'in');
  t.is(community.term, 'bad');
  t.is(community.field, 'match.community[1]');
  t.regex(community.message, /65000:70000/);
  t.is(formatPolicyError(community), `policy in term bad match.community[1]: ${community.message}`);
  t.is(formatPolicyError(errors[0]!), `prefix-list pl[1].prefix: ${errors[0]!.message}`);
  t.regex(errors[1]!.message, /unknown prefix list "missing"/);
});

test('structural errors: empty lists, bad ranges, duplicate term names, bad actions', (t) => {
  const errors = errorsOf({
    policies: {
      p: { defaultAction: 'maybe' as never, terms: [
        term('a', { match: { community: [], asPathLength: { min: 3, max: 2 }, originAs: [-1] } }),
        term('a', { action: 'continue' as never }),
      ] },
    },
  });
  t.deepEqual(errors.map((e) => e.field), ['defaultAction', 'match.originAs[0]', 'match.asPathLength', 'match.community', 'name', 'action']);
});

test('filter() gives evaluate()\'s attrs when it accepts and null when it rejects, for every kind of decision', (t) => {
  const e = chainEngine();
  const routes = [route(), route({ asPath: [{ type: 'AS_SEQUENCE', asns: [65001] }] }), route({ asPath: [{ type: 'AS_SEQUENCE', asns: [65001, 1] }] })];
  const chains: (string[] | undefined)[] = [['a'], ['b'], ['a', 'b'], ['b', 'a'], ['mark', 'pass'], ['drop174', 'pass'], ['mark', 'drop174'], ['nope'], ['pass', 'nope'], undefined, []];
  const contexts: EvalContext[] = [ctx, { ...ctx, neighbor: ibgp }, { ...ctx, direction: 'export' }];
  let accepted = 0;
  let rejected = 0;
  // Twice over: filter() reuses one result inside the engine, which must not carry over.
  for (let pass = 0; pass < 2; pass++) {
    for (const names of chains) {
      for (const r of routes) {
        for (const c of contexts) {
          const res = e.evaluate(names, r, c);
          const got = e.filter(names, r, c);
          t.deepEqual(got, res.accept ? res.attrs : null, `${names?.join(',') ?? 'no policy'}: ${res.decidedBy}`);
          if (res.accept) t.is(got === r.attrs, res.attrs === r.attrs, 'the same object when nothing changed');
          if (res.accept) accepted++;
          else rejected++;
        }
      }
    }
  }
  t.true(accepted > 0 && rejected > 0);
});
