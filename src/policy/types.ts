// The policy engine's public shapes: what the RIB calls per route, and the compile errors the
// config loader maps to file:line.

import type { PathAttrs, PeerInfo, Route } from '../rib/types.js';

export interface EvalContext {
  /** Import: the peer the route came from. Export: the peer it is to be sent to. Undefined for local routes on import. */
  neighbor: PeerInfo | undefined;
  direction: 'import' | 'export';
  /** Our AS towards this neighbour: the default AS for prepend, the origin AS of local routes. */
  localAs: number;
  /** Our address on the session: what next-hop "self" sets. */
  localAddress?: string;
}

export interface PolicyResult {
  accept: boolean;
  /**
   * The attributes after the policy's modifications: the route's own attrs object (same identity)
   * when nothing changed or the route was rejected, else a new unfrozen object for the RIB to intern.
   */
  attrs: PathAttrs;
  /** What decided: "policy/term", "policy/default", "rfc8212", "no-policy" or "unknown-policy/name". */
  decidedBy: string;
}

export interface PolicyEngine {
  evaluate(policyNames: readonly string[] | undefined, route: Route, ctx: EvalContext): PolicyResult;
  /** evaluate()'s attrs when it accepts, else null (no result object: for the RIB's filters). */
  filter(policyNames: readonly string[] | undefined, route: Route, ctx: EvalContext): Route['attrs'] | null;
  /** Whether the outcome can differ between two routes with the same attributes (a prefix match). */
  dependsOnPrefix(policyNames: readonly string[] | undefined): boolean;
  /** Is a policy of that name defined? (The config loader checks neighbours' references with it.) */
  has(name: string): boolean;
}

/** Location in the resolved Config: a key path such as ['policies', 'in', 'terms', 2, 'match', 'community', 1]. */
export type ConfigPath = readonly (string | number)[];

export interface PolicyError {
  path: ConfigPath;
  /** The policy or prefix list the error is in, and the term (by name) for policy errors. */
  policy?: string;
  term?: string;
  prefixList?: string;
  /** The field inside the term or prefix-list entry, e.g. "match.community[1]", "set.prepend.count", "[3].ge". */
  field: string;
  message: string;
}

/** One line for logs and `routed --check`: where, then what. */
export function formatPolicyError(e: PolicyError): string {
  const where = e.prefixList !== undefined
    ? `prefix-list ${e.prefixList}${e.field}`
    : `policy ${e.policy ?? '?'}${e.term !== undefined ? ` term ${e.term}` : ''} ${e.field}`;
  return `${where}: ${e.message}`;
}
