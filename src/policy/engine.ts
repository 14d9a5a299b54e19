// compilePolicies: every policy and prefix list compiled once, every error reported with its
// location; evaluate: the per-route filter the RIB runs on import and export.

import type { Config, PolicyConfig, PolicyTerm } from '../config/types.js';
import type { Route } from '../rib/types.js';
import { compileSet, type Setter } from './actions.js';
import { defaultPolicyFor, isConfigured } from './defaults.js';
import { compileMatch, type Matcher, type TermCompiler } from './match.js';
import { compilePrefixEntries, PrefixSet } from './prefix-trie.js';
import type { ConfigPath, EvalContext, PolicyEngine, PolicyError, PolicyResult } from './types.js';

interface CompiledTerm {
  /** "policy/term": the decidedBy of this term. */
  label: string;
  matchers: Matcher[];
  /** A matcher reads the route's prefix (prefix, prefix list): the outcome differs per prefix. */
  byPrefix: boolean;
  setters: Setter[];
  action: PolicyTerm['action'];
}

interface CompiledPolicy {
  terms: CompiledTerm[];
  /** The policy's default-action; undefined: a route no term decides falls through to the next policy. */
  accept: boolean | undefined;
  defaultLabel: string;
}

/** After the last policy of a chain, when none decided: reject (as without a default-action). */
const CHAIN_DEFAULT_ACCEPT = false;

const ACTIONS: readonly PolicyTerm['action'][] = ['accept', 'reject', 'next'];

export function compilePolicies(cfg: Pick<Config, 'policies' | 'prefixLists' | 'localAs'>): PolicyEngine | PolicyError[] {
  const errors: PolicyError[] = [];
  const prefixLists = compilePrefixLists(cfg.prefixLists, errors);
  const policies = new Map<string, CompiledPolicy>();
  for (const [name, policy] of Object.entries(cfg.policies)) {
    policies.set(name, compilePolicy(name, policy, prefixLists, errors));
  }
  return errors.length > 0 ? errors : new Engine(policies);
}

function compilePrefixLists(lists: Config['prefixLists'], errors: PolicyError[]): Map<string, PrefixSet> {
  const sets = new Map<string, PrefixSet>();
  for (const [name, entries] of Object.entries(lists)) {
    const { set, errors: entryErrors } = compilePrefixEntries(entries);
    for (const e of entryErrors) {
      errors.push({ path: ['prefixLists', name, e.index, e.field], prefixList: name, field: `[${e.index}].${e.field}`, message: e.message });
    }
    // Registered even with bad entries, so that terms naming it are not also reported as unknown.
    sets.set(name, set);
  }
  return sets;
}

function compilePolicy(name: string, policy: PolicyConfig, prefixLists: ReadonlyMap<string, PrefixSet>, errors: PolicyError[]): CompiledPolicy {
  if (policy.defaultAction !== undefined && policy.defaultAction !== 'accept' && policy.defaultAction !== 'reject') {
    errors.push({ path: ['policies', name, 'defaultAction'], policy: name, field: 'defaultAction', message: `defaultAction "${String(policy.defaultAction)}" must be accept or reject` });
  }
  const seen = new Set<string>();
  const terms = policy.terms.map((term, index) => {
    const label = term.name || `#${index}`;
    const c = termCompiler(name, label, ['policies', name, 'terms', index], prefixLists, errors);
    if (seen.has(label)) c.error(['name'], `duplicate term name "${label}" in policy ${name}`);
    seen.add(label);
    if (!ACTIONS.includes(term.action)) c.error(['action'], `action "${String(term.action)}" must be accept, reject or next`);
    return { label: `${name}/${label}`, matchers: compileMatch(term.match, c), byPrefix: term.match.prefix !== undefined || term.match.prefixList !== undefined, setters: compileSet(term.set, c), action: term.action };
  });
  const accept = policy.defaultAction === undefined ? undefined : policy.defaultAction === 'accept';
  return { terms, accept, defaultLabel: `${name}/default` };
}

function termCompiler(
  policy: string, term: string, at: ConfigPath, prefixLists: ReadonlyMap<string, PrefixSet>, errors: PolicyError[],
): TermCompiler {
  return {
    prefixLists,
    error: (rel, message) => errors.push({ path: [...at, ...rel], policy, term, field: fieldText(rel), message }),
  };
}

/** ['match', 'community', 1] → "match.community[1]". */
function fieldText(rel: readonly (string | number)[]): string {
  return rel.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

class Engine implements PolicyEngine {
  constructor(private readonly policies: ReadonlyMap<string, CompiledPolicy>) {}

  has(name: string): boolean {
    return this.policies.has(name);
  }

  /**
   * Whether a chain's outcome can differ between two routes with the same attributes. Asked per
   * UPDATE (the RIB reads its filter's perAttributes): remembered per list of names, which a
   * configuration keeps as one array.
   */
  dependsOnPrefix(policyNames: readonly string[] | undefined): boolean {
    if (!isConfigured(policyNames)) return false;
    let depends = this.prefixDependence.get(policyNames);
    if (depends === undefined) {
      depends = policyNames.some((name) => this.policies.get(name)?.terms.some((t) => t.byPrefix) ?? true);
      this.prefixDependence.set(policyNames, depends);
    }
    return depends;
  }

  private readonly prefixDependence = new WeakMap<readonly string[], boolean>();

  /**
   * A chain, as in Junos: each policy in order until a term accepts or rejects, or a policy's
   * own default-action does; a policy without default-action that decides nothing passes the
   * route on (with its changes) to the next. After the last one: reject, the same default a
   * single policy without default-action has.
   */
  evaluate(policyNames: readonly string[] | undefined, route: Route, ctx: EvalContext): PolicyResult {
    return this.decide(policyNames, route, ctx, { accept: false, attrs: route.attrs, decidedBy: '' });
  }

  /**
   * evaluate()'s attributes when it accepts, else null, with no result object: the RIB's filters
   * run once per attribute set, half a million times for a table in and out.
   */
  filter(policyNames: readonly string[] | undefined, route: Route, ctx: EvalContext): Route['attrs'] | null {
    const out = this.decide(policyNames, route, ctx, (this.scratch ??= { accept: false, attrs: route.attrs, decidedBy: '' }));
    return out.accept ? out.attrs : null;
  }

  /** filter()'s result, reused (decisions are synchronous and filter() hands out none of it). */
  private scratch: PolicyResult | undefined;

  /** The chain's decision, written into `out` (returned). */
  private decide(policyNames: readonly string[] | undefined, route: Route, ctx: EvalContext, out: PolicyResult): PolicyResult {
    if (!isConfigured(policyNames)) return withoutPolicy(route, ctx, out);
    out.attrs = route.attrs;
    for (const name of policyNames) {
      const policy = this.policies.get(name);
      // A reference to a missing policy is a configuration error the loader reports; fail closed.
      if (!policy) return decided(out, false, route.attrs, route, `unknown-policy/${name}`);
      if (runPolicy(policy, route, ctx, out)) return out;
    }
    const last = this.policies.get(policyNames[policyNames.length - 1]!)!;
    return decided(out, CHAIN_DEFAULT_ACCEPT, out.attrs, route, last.defaultLabel);
  }
}

/**
 * One policy from the attributes so far (out.attrs): true when it decided (written into `out`),
 * false when it falls through (out.attrs then holds its changes).
 */
function runPolicy(policy: CompiledPolicy, route: Route, ctx: EvalContext, out: PolicyResult): boolean {
  const base = route.attrs;
  let attrs = out.attrs;
  for (const term of policy.terms) {
    if (!allMatch(term.matchers, route, attrs, ctx)) continue;
    for (const set of term.setters) attrs = set(attrs, base, ctx);
    // 'next' keeps the changes and goes on to the following term.
    if (term.action === 'next') continue;
    decided(out, term.action === 'accept', attrs, route, term.label);
    return true;
  }
  if (policy.accept !== undefined) {
    decided(out, policy.accept, attrs, route, policy.defaultLabel);
    return true;
  }
  out.attrs = attrs;
  return false;
}

function allMatch(matchers: readonly Matcher[], route: Route, attrs: Route['attrs'], ctx: EvalContext): boolean {
  for (const m of matchers) if (!m(route, attrs, ctx)) return false;
  return true;
}

/** A rejected route keeps its own attrs: the RIB has nothing to intern. */
function decided(out: PolicyResult, accept: boolean, attrs: Route['attrs'], route: Route, decidedBy: string): PolicyResult {
  out.accept = accept;
  out.attrs = accept ? attrs : route.attrs;
  out.decidedBy = decidedBy;
  return out;
}

/** No policy configured: RFC 8212 for eBGP neighbours; iBGP and local routes pass. */
function withoutPolicy(route: Route, ctx: EvalContext, out: PolicyResult): PolicyResult {
  const mode = ctx.neighbor ? defaultPolicyFor(ctx.neighbor, ctx.direction, undefined) : 'accept-all';
  return mode === 'reject-all' ? decided(out, false, route.attrs, route, 'rfc8212') : decided(out, true, route.attrs, route, 'no-policy');
}
