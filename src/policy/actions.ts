// Term modifications, compiled once. A setter returns the attributes unchanged (same object)
// when its value is already there, so a route that passes a policy without a real change keeps
// its interned attrs; the first real change copies the object, later ones write into the copy.

import type { PolicySet } from '../config/types.js';
import type { PathAttrs } from '../rib/types.js';
import { prependAs } from './aspath.js';
import {
  addValues, compareExtended, compareLarge, compareStandard, isWildcardLarge, isWildcardStandard, matchesLarge,
  matchesStandard, normalise, parseExtended, parseLarge, parseStandard, removeValues, replaceValues, standardValue,
  type LargeCommunity, type Parsed,
} from './community.js';
import { parseAll, type TermCompiler } from './match.js';
import { canonicalAddress } from './prefix-trie.js';
import type { EvalContext } from './types.js';

/** `base` is the route's own attrs: when cur is base it must be copied before writing. */
export type Setter = (cur: PathAttrs, base: PathAttrs, ctx: EvalContext) => PathAttrs;

type SetCompilers = {
  [K in keyof PolicySet]-?: (value: NonNullable<PolicySet[K]>, c: TermCompiler) => Setter | undefined;
};

const MAX_U32 = 0xffffffff;

/** Compile a term's modifications in the table's order (replace, remove, then add for each kind). */
export function compileSet(set: PolicySet, c: TermCompiler): Setter[] {
  const setters: Setter[] = [];
  for (const key of Object.keys(SET_COMPILERS) as (keyof PolicySet)[]) {
    const value = set[key];
    if (value === undefined) continue;
    const compile = SET_COMPILERS[key] as (v: unknown, c: TermCompiler) => Setter | undefined;
    const s = compile(value, c);
    if (s) setters.push(s);
  }
  return setters;
}

function writable(cur: PathAttrs, base: PathAttrs): PathAttrs {
  return cur === base ? { ...cur } : cur;
}

const SET_COMPILERS: SetCompilers = {
  localPref: (value, c) => {
    if (!isU32(value)) return fail(c, ['localPref'], `local-pref ${value} is not in 0..4294967295`);
    return (cur, base) => (cur.localPref === value ? cur : withField(cur, base, 'localPref', value));
  },

  med: (value, c) => {
    if (!isU32(value)) return fail(c, ['med'], `MED ${value} is not in 0..4294967295`);
    return (cur, base) => (cur.med === value ? cur : withField(cur, base, 'med', value));
  },

  prepend: ({ asn, count }, c) => {
    if (!(Number.isInteger(count) && count >= 1 && count <= 255)) return fail(c, ['prepend', 'count'], `prepend count ${count} is not in 1..255`);
    if (asn !== undefined && !(isU32(asn) && asn > 0)) return fail(c, ['prepend', 'asn'], `prepend AS ${asn} is not in 1..4294967295`);
    return (cur, base, ctx) => withField(cur, base, 'asPath', prependAs(cur.asPath, asn ?? ctx.localAs, count));
  },

  communityReplace: (texts, c) => {
    const values = concreteStandard(texts, 'communityReplace', c);
    if (!values) return undefined;
    const sorted = normalise(values, compareStandard);
    return (cur, base) => withList(cur, base, 'communities', replaceValues(cur.communities, sorted, compareStandard));
  },

  communityRemove: (texts, c) => {
    const patterns = parseAll(texts, ['communityRemove'], c, (t) => parseStandard(t, true), 'set');
    return patterns && ((cur, base) => withList(cur, base, 'communities',
      removeValues(cur.communities, (v) => patterns.some((p) => matchesStandard(p, v)), compareStandard)));
  },

  communityAdd: (texts, c) => {
    const values = concreteStandard(texts, 'communityAdd', c);
    return values && ((cur, base) => withList(cur, base, 'communities', addValues(cur.communities, values, compareStandard)));
  },

  largeCommunityRemove: (texts, c) => {
    const patterns = parseAll(texts, ['largeCommunityRemove'], c, (t) => parseLarge(t, true), 'set');
    return patterns && ((cur, base) => withList(cur, base, 'largeCommunities',
      removeValues(cur.largeCommunities, (v) => patterns.some((p) => matchesLarge(p, v)), compareLarge)));
  },

  largeCommunityAdd: (texts, c) => {
    const values = parseAll(texts, ['largeCommunityAdd'], c, (t) => concrete(parseLarge(t, true), isWildcardLarge, t), 'set');
    return values && ((cur, base) => withList(cur, base, 'largeCommunities',
      addValues<LargeCommunity>(cur.largeCommunities, values, compareLarge)));
  },

  extCommunityRemove: (texts, c) => {
    const values = parseAll(texts, ['extCommunityRemove'], c, parseExtended, 'set');
    if (!values) return undefined;
    const set = new Set(values);
    return (cur, base) => withList(cur, base, 'extCommunities', removeValues(cur.extCommunities, (v) => set.has(v), compareExtended));
  },

  extCommunityAdd: (texts, c) => {
    const values = parseAll(texts, ['extCommunityAdd'], c, parseExtended, 'set');
    return values && ((cur, base) => withList(cur, base, 'extCommunities', addValues(cur.extCommunities, values, compareExtended)));
  },

  nextHop: (text, c) => {
    if (text === 'self') return (cur, base, ctx) => (ctx.localAddress === undefined ? cur : setNextHop(cur, base, ctx.localAddress));
    const address = canonicalAddress(text);
    if (address === undefined) return fail(c, ['nextHop'], `next hop "${text}" is neither an IP address nor "self"`);
    return (cur, base) => setNextHop(cur, base, address);
  },
};

/**
 * A new next hop drops the link-local one (RFC 2545 §3): it belonged to the old next hop's
 * interface. Without ctx.localAddress, "self" leaves the next hop to the RIB's export rules.
 */
function setNextHop(cur: PathAttrs, base: PathAttrs, address: string): PathAttrs {
  if (cur.nextHop === address && cur.nextHopLinkLocal === undefined) return cur;
  const w = writable(cur, base);
  w.nextHop = address;
  // Undefined, not deleted: a deleted member leaves the object in dictionary mode (PathAttrs).
  w.nextHopLinkLocal = undefined;
  return w;
}

function withField<K extends keyof PathAttrs>(cur: PathAttrs, base: PathAttrs, key: K, value: PathAttrs[K]): PathAttrs {
  const w = writable(cur, base);
  w[key] = value;
  return w;
}

/** Write a list a community operation returned; undefined means it changed nothing. */
function withList<K extends 'communities' | 'extCommunities' | 'largeCommunities'>(
  cur: PathAttrs, base: PathAttrs, key: K, value: PathAttrs[K] | undefined,
): PathAttrs {
  return value === undefined ? cur : withField(cur, base, key, value);
}

/** Standard communities to add or replace with: concrete values, no '*'. */
function concreteStandard(texts: readonly string[], field: keyof PolicySet, c: TermCompiler): number[] | undefined {
  return parseAll(texts, [field], c, (t) => {
    const r = concrete(parseStandard(t, true), isWildcardStandard, t);
    return 'error' in r ? r : { value: standardValue(r.value) };
  }, 'set');
}

function concrete<T>(r: Parsed<T>, isWildcard: (v: T) => boolean, text: string): Parsed<T> {
  if ('value' in r && isWildcard(r.value)) return { error: `"${text}": '*' matches communities, it cannot be added` };
  return r;
}

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= MAX_U32;
}

function fail(c: TermCompiler, rel: (string | number)[], message: string): undefined {
  c.error(['set', ...rel], message);
  return undefined;
}
