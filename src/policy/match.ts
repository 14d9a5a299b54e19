// Match conditions, compiled once per term. Every condition of a term must hold; a list inside a
// condition matches when any of its values does. Conditions read the attributes as modified by
// earlier 'next' terms, as BIRD filters and FRR route-map continue clauses do.

import { asPathLength } from '../bgp/wire/index.js';
import type { PolicyMatch, PrefixListEntry } from '../config/types.js';
import type { PathAttrs, Route } from '../rib/types.js';
import { asPathText, compileAsPathRegex, containsAnyAs, originAs } from './aspath.js';
import {
  isWildcardStandard, matchesLarge, matchesStandard, parseExtended, parseLarge, parseStandard,
  standardValue,
} from './community.js';
import { canonicalAddress, compilePrefixEntries, parsePrefix, PrefixSet, parseAddress, MAX_LEN } from './prefix-trie.js';
import type { EvalContext } from './types.js';

export type Matcher = (route: Route, attrs: PathAttrs, ctx: EvalContext) => boolean;

export interface TermCompiler {
  prefixLists: ReadonlyMap<string, PrefixSet>;
  /** Report an error at a key path relative to the term (e.g. ['match', 'community', 1]). */
  error(rel: readonly (string | number)[], message: string): void;
}

type MatchCompilers = {
  [K in keyof PolicyMatch]-?: (value: NonNullable<PolicyMatch[K]>, c: TermCompiler) => Matcher | undefined;
};

const MAX_ASN = 0xffffffff;

/** Compile a term's conditions; undefined entries (errors) are reported through c.error. */
export function compileMatch(match: PolicyMatch, c: TermCompiler): Matcher[] {
  const matchers: Matcher[] = [];
  for (const key of Object.keys(MATCH_COMPILERS) as (keyof PolicyMatch)[]) {
    const value = match[key];
    if (value === undefined) continue;
    const compile = MATCH_COMPILERS[key] as (v: unknown, c: TermCompiler) => Matcher | undefined;
    const m = compile(value, c);
    if (m) matchers.push(m);
  }
  return matchers;
}

const MATCH_COMPILERS: MatchCompilers = {
  family: (family, c) => {
    if (family !== 'ipv4' && family !== 'ipv6') return fail(c, ['family'], `family "${String(family)}" must be ipv4 or ipv6`);
    return (route) => route.family === family;
  },

  prefixList: (name, c) => {
    const set = c.prefixLists.get(name);
    if (!set) return fail(c, ['prefixList'], `unknown prefix list "${name}"`);
    return (route) => set.matchesRoute(route.family, route.prefix);
  },

  prefix: (entries, c) => {
    if (!nonEmpty(entries, ['prefix'], c)) return undefined;
    const { set, errors } = compilePrefixEntries(entries as PrefixListEntry[]);
    for (const e of errors) c.error(['match', 'prefix', e.index, e.field], e.message);
    return errors.length ? undefined : (route) => set.matchesRoute(route.family, route.prefix);
  },

  asPathRegex: (pattern, c) => {
    const re = compileAsPathRegex(pattern);
    if (typeof re === 'string') return fail(c, ['asPathRegex'], re);
    return (_route, attrs) => re.test(asPathText(attrs.asPath));
  },

  originAs: (asns, c) => {
    const set = asnSet(asns, ['originAs'], c);
    return set && ((_route, attrs, ctx) => {
      const origin = originAs(attrs.asPath, ctx.localAs);
      return origin !== undefined && set.has(origin);
    });
  },

  containsAs: (asns, c) => {
    const set = asnSet(asns, ['containsAs'], c);
    return set && ((_route, attrs) => containsAnyAs(attrs.asPath, set));
  },

  asPathLength: (range, c) => {
    const { min, max } = range;
    const bad = [min, max].some((v) => v !== undefined && !(Number.isInteger(v) && v >= 0));
    if (bad || (min === undefined && max === undefined)) {
      return fail(c, ['asPathLength'], 'asPathLength needs min and/or max, non-negative integers');
    }
    if (min !== undefined && max !== undefined && min > max) return fail(c, ['asPathLength'], `min ${min} is above max ${max}`);
    const lo = min ?? 0;
    const hi = max ?? Infinity;
    return (_route, attrs) => {
      const n = asPathLength(attrs.asPath);
      return n >= lo && n <= hi;
    };
  },

  community: (texts, c) => {
    const patterns = parseAll(texts, ['community'], c, (t) => parseStandard(t, true));
    if (!patterns) return undefined;
    const exact = new Set(patterns.filter((p) => !isWildcardStandard(p)).map(standardValue));
    const wild = patterns.filter(isWildcardStandard);
    return (_route, attrs) => attrs.communities.some((v) => exact.has(v) || wild.some((p) => matchesStandard(p, v)));
  },

  extCommunity: (texts, c) => {
    const values = parseAll(texts, ['extCommunity'], c, parseExtended);
    if (!values) return undefined;
    const set = new Set(values);
    return (_route, attrs) => attrs.extCommunities.some((v) => set.has(v));
  },

  largeCommunity: (texts, c) => {
    const patterns = parseAll(texts, ['largeCommunity'], c, (t) => parseLarge(t, true));
    return patterns && ((_route, attrs) => attrs.largeCommunities.some((v) => patterns.some((p) => matchesLarge(p, v))));
  },

  nextHop: (texts, c) => compileNextHop(texts, c),

  neighbor: (texts, c) => {
    const addresses = parseAll<string, string>(texts, ['neighbor'], c, (t) => {
      const a = canonicalAddress(t);
      return a === undefined ? { error: `neighbor "${t}" is not an IP address` } : { value: a };
    });
    if (!addresses) return undefined;
    const set = new Set(addresses);
    return (_route, _attrs, ctx) => ctx.neighbor !== undefined && set.has(canonicalMemo(ctx.neighbor.address));
  },
};

/** Next hop: addresses (exact) or prefixes (the next hop inside one). */
function compileNextHop(texts: readonly string[], c: TermCompiler): Matcher | undefined {
  const exact = new Set<string>();
  const within = new PrefixSet();
  const ok = parseAll<string, string>(texts, ['nextHop'], c, (t) => {
    if (t.includes('/')) {
      const p = parsePrefix(t);
      if (typeof p === 'string') return { error: p };
      within.add(p, MAX_LEN[p.family], MAX_LEN[p.family]);
      return { value: t };
    }
    const a = canonicalAddress(t);
    if (a === undefined) return { error: `next hop "${t}" is not an IP address or prefix` };
    exact.add(a);
    return { value: a };
  });
  if (!ok) return undefined;
  return (_route, attrs) => exact.has(canonicalMemo(attrs.nextHop)) || (within.size > 0 && nextHopWithin(within, attrs.nextHop));
}

function nextHopWithin(set: PrefixSet, nextHop: string): boolean {
  const a = parseAddress(nextHop);
  return a !== undefined && set[a.family].matches(a.bytes, MAX_LEN[a.family]);
}

// Neighbour and static next-hop addresses may be configuration text, not canonical: canonicalise
// each distinct one once (there are as many as neighbours and static next hops).
const peerCanonical = new Map<string, string>();
function canonicalMemo(address: string): string {
  let c = peerCanonical.get(address);
  if (c === undefined) {
    c = canonicalAddress(address) ?? address;
    // A bound, in case next hops turn out not to be few after all.
    if (peerCanonical.size >= 4096) peerCanonical.clear();
    peerCanonical.set(address, c);
  }
  return c;
}

function fail(c: TermCompiler, rel: (string | number)[], message: string): undefined {
  c.error(['match', ...rel], message);
  return undefined;
}

function nonEmpty(list: readonly unknown[], rel: (string | number)[], c: TermCompiler): boolean {
  if (list.length > 0) return true;
  fail(c, rel, 'empty list matches nothing: remove the condition or list at least one value');
  return false;
}

function asnSet(asns: readonly number[], rel: (string | number)[], c: TermCompiler): Set<number> | undefined {
  const values = parseAll<number, number>(asns, rel, c, (asn) =>
    Number.isInteger(asn) && asn >= 0 && asn <= MAX_ASN ? { value: asn } : { error: `AS number ${asn} is not in 0..4294967295` });
  return values && new Set(values);
}

/** Parse every item, reporting each bad one at its index; undefined when any failed or the list is empty. */
export function parseAll<I, T>(
  items: readonly I[],
  rel: (string | number)[],
  c: TermCompiler,
  parse: (item: I) => { value: T } | { error: string },
  section = 'match',
): T[] | undefined {
  if (items.length === 0) {
    c.error([section, ...rel], 'empty list: remove the field or list at least one value');
    return undefined;
  }
  const out: T[] = [];
  let failed = false;
  items.forEach((item, i) => {
    const r = parse(item);
    if ('error' in r) {
      c.error([section, ...rel, i], r.error);
      failed = true;
    } else {
      out.push(r.value);
    }
  });
  return failed ? undefined : out;
}
