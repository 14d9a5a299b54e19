// What a reload changes: the running daemon applies a ConfigDiff instead of restarting. Each
// neighbour setting is classified once, in a table, by what applying a change to it takes.

import type { Config, NeighborConfig, PolicyConfig, StaticRouteConfig } from './types.js';

/**
 * - reset: the session must restart: the setting is in the OPEN (RFC 4271 §4.2 hold time,
 *   capabilities) or in the transport (addresses, TCP-MD5, TTL).
 * - import / export: re-run that direction's policy over the routes (no reset).
 * - live: takes effect on the running session as it is (timers restart with the new value).
 * - shutdown: start or stop the session (administrative down, RFC 8203 Cease subcode 2).
 * - none: display only.
 */
export type NeighborEffect = 'reset' | 'import' | 'export' | 'live' | 'shutdown' | 'none';

/** Every NeighborConfig field, so that a new field cannot be left out (the type checks it). */
export const NEIGHBOR_FIELD_EFFECTS: { readonly [K in keyof NeighborConfig]-?: readonly NeighborEffect[] } = {
  address: ['reset'],
  remoteAs: ['reset'],
  description: ['none'],
  localAddress: ['reset'],
  // Only the next connection attempt looks at these.
  passive: ['live'],
  connectRetry: ['live'],
  // Negotiated in the OPEN: min(ours, theirs), RFC 4271 §4.2.
  holdTime: ['reset'],
  // Ours alone, within the negotiated hold time.
  keepalive: ['live'],
  families: ['reset'],
  addPath: ['reset'],
  gracefulRestart: ['reset'],
  // A client's routes are reflected to every iBGP peer and others' routes to it (RFC 4456 §6):
  // re-importing its routes re-runs their export to everyone.
  routeReflectorClient: ['import', 'export'],
  nextHopSelf: ['export'],
  importPolicy: ['import'],
  exportPolicy: ['export'],
  // The count is checked against the new limit when the Adj-RIB-In is re-run.
  maxPrefix: ['import'],
  password: ['reset'],
  ttlSecurity: ['reset'],
  shutdown: ['shutdown'],
  group: ['none'],
};

export interface Change<T> {
  old: T;
  next: T;
}

export interface NeighborChange {
  address: string;
  old: NeighborConfig;
  next: NeighborConfig;
  /** The settings that differ. */
  fields: (keyof NeighborConfig)[];
  /** The union of the effects of those fields. */
  effects: NeighborEffect[];
  /** Shorthands over `effects`. */
  reset: boolean;
  reimport: boolean;
  reexport: boolean;
}

export interface NamedChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface ConfigDiff {
  /** Nothing differs. */
  empty: boolean;
  /** Router id or local AS changed: both are in every OPEN, so every session restarts. */
  resetAll: boolean;
  routerId?: Change<string>;
  localAs?: Change<number>;
  /** RFC 4456: reflected routes carry it; every iBGP neighbour's export is re-run (rerun). */
  clusterId?: Change<string>;
  listen?: Change<Config['listen']>;
  controlSocket?: Change<string>;
  logLevel?: Change<Config['log']['level']>;
  /** Best-path options or preferences changed: the decision process runs again on every prefix. */
  bestPath?: Change<Config['bestPath']>;
  preference?: Change<Config['preference']>;
  neighbors: { added: NeighborConfig[]; removed: NeighborConfig[]; changed: NeighborChange[] };
  policies: NamedChanges;
  prefixLists: NamedChanges;
  /** By prefix (prefixes are unique in a config): a changed route is in `changed`. */
  staticRoutes: { added: StaticRouteConfig[]; removed: StaticRouteConfig[]; changed: Change<StaticRouteConfig>[] };
  /**
   * Neighbours kept across the reload, not reset, whose policies must be re-run: for their own
   * settings, or because a policy or prefix list they use changed. Empty when resetAll.
   */
  rerun: { address: string; import: boolean; export: boolean }[];
}

export function diffConfig(old: Config, next: Config): ConfigDiff {
  const diff: ConfigDiff = {
    empty: false,
    resetAll: old.routerId !== next.routerId || old.localAs !== next.localAs,
    neighbors: diffNeighbors(old.neighbors, next.neighbors),
    policies: diffNamed(old.policies, next.policies),
    prefixLists: diffNamed(old.prefixLists, next.prefixLists),
    staticRoutes: diffStaticRoutes(old.staticRoutes, next.staticRoutes),
    rerun: [],
  };
  addChange(diff, 'routerId', old.routerId, next.routerId);
  addChange(diff, 'localAs', old.localAs, next.localAs);
  addChange(diff, 'clusterId', old.clusterId, next.clusterId);
  addChange(diff, 'listen', old.listen, next.listen);
  addChange(diff, 'controlSocket', old.controlSocket, next.controlSocket);
  addChange(diff, 'logLevel', old.log.level, next.log.level);
  addChange(diff, 'bestPath', old.bestPath, next.bestPath);
  addChange(diff, 'preference', old.preference, next.preference);
  diff.rerun = diff.resetAll ? [] : policyReruns(diff, next, diff.clusterId !== undefined);
  diff.empty = isEmpty(diff);
  return diff;
}

type ChangeKey = 'routerId' | 'localAs' | 'clusterId' | 'listen' | 'controlSocket' | 'logLevel' | 'bestPath' | 'preference';

function addChange<K extends ChangeKey>(diff: ConfigDiff, key: K, old: NonNullable<ConfigDiff[K]>['old'], next: typeof old): void {
  if (!same(old, next)) (diff as unknown as Record<string, unknown>)[key] = { old, next };
}

/** Deep equality of plain data; a member set to undefined equals an absent one. */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) if (!same(left[key], right[key])) return false;
  return true;
}

function diffNeighbors(old: NeighborConfig[], next: NeighborConfig[]): ConfigDiff['neighbors'] {
  const before = new Map(old.map((n) => [n.address, n]));
  const after = new Map(next.map((n) => [n.address, n]));
  const changed: NeighborChange[] = [];
  for (const n of next) {
    const previous = before.get(n.address);
    if (previous !== undefined) {
      const change = neighborChange(previous, n);
      if (change !== undefined) changed.push(change);
    }
  }
  return {
    added: next.filter((n) => !before.has(n.address)),
    removed: old.filter((n) => !after.has(n.address)),
    changed,
  };
}

function neighborChange(old: NeighborConfig, next: NeighborConfig): NeighborChange | undefined {
  const keys = Object.keys(NEIGHBOR_FIELD_EFFECTS) as (keyof NeighborConfig)[];
  const fields = keys.filter((key) => !same(old[key], next[key]));
  if (fields.length === 0) return undefined;
  const effects = [...new Set(fields.flatMap((key) => NEIGHBOR_FIELD_EFFECTS[key]))];
  const reset = effects.includes('reset');
  return {
    address: next.address,
    old,
    next,
    fields,
    effects,
    reset,
    reimport: !reset && effects.includes('import'),
    reexport: !reset && effects.includes('export'),
  };
}

function diffNamed<T>(old: Record<string, T>, next: Record<string, T>): NamedChanges {
  const oldNames = Object.keys(old);
  const nextNames = Object.keys(next);
  return {
    added: nextNames.filter((name) => !(name in old)),
    removed: oldNames.filter((name) => !(name in next)),
    changed: nextNames.filter((name) => name in old && !same(old[name], next[name])),
  };
}

function diffStaticRoutes(old: StaticRouteConfig[], next: StaticRouteConfig[]): ConfigDiff['staticRoutes'] {
  const before = new Map(old.map((r) => [r.prefix, r]));
  const after = new Map(next.map((r) => [r.prefix, r]));
  const changed: Change<StaticRouteConfig>[] = [];
  for (const route of next) {
    const previous = before.get(route.prefix);
    if (previous !== undefined && !same(previous, route)) changed.push({ old: previous, next: route });
  }
  return {
    added: next.filter((r) => !before.has(r.prefix)),
    removed: old.filter((r) => !after.has(r.prefix)),
    changed,
  };
}

/** Policies a neighbour runs in one direction, and the prefix lists those policies read. */
function uses(policyNames: string[] | undefined, policies: Record<string, PolicyConfig>): { policies: string[]; prefixLists: string[] } {
  const names = policyNames ?? [];
  const prefixLists = names.flatMap((name) => policies[name]?.terms.flatMap((t) => (t.match.prefixList ? [t.match.prefixList] : [])) ?? []);
  return { policies: names, prefixLists };
}

function policyReruns(diff: ConfigDiff, next: Config, reexportIbgp: boolean): ConfigDiff['rerun'] {
  const changedPolicies = new Set([...diff.policies.changed, ...diff.policies.added, ...diff.policies.removed]);
  const changedLists = new Set([...diff.prefixLists.changed, ...diff.prefixLists.added, ...diff.prefixLists.removed]);
  const affected = (direction: string[] | undefined) => {
    const used = uses(direction, next.policies);
    return used.policies.some((p) => changedPolicies.has(p)) || used.prefixLists.some((l) => changedLists.has(l));
  };
  const own = new Map(diff.neighbors.changed.map((c) => [c.address, c]));
  const added = new Set(diff.neighbors.added.map((n) => n.address));
  const out: ConfigDiff['rerun'] = [];
  for (const n of next.neighbors) {
    const change = own.get(n.address);
    if (added.has(n.address) || change?.reset) continue;
    const reimport = (change?.reimport ?? false) || affected(n.importPolicy);
    const reexport = (change?.reexport ?? false) || affected(n.exportPolicy) || (reexportIbgp && n.remoteAs === next.localAs);
    if (reimport || reexport) out.push({ address: n.address, import: reimport, export: reexport });
  }
  return out;
}

function isEmpty(diff: ConfigDiff): boolean {
  const lists = [
    diff.neighbors.added, diff.neighbors.removed, diff.neighbors.changed,
    diff.policies.added, diff.policies.removed, diff.policies.changed,
    diff.prefixLists.added, diff.prefixLists.removed, diff.prefixLists.changed,
    diff.staticRoutes.added, diff.staticRoutes.removed, diff.staticRoutes.changed,
  ];
  const changes: ChangeKey[] = ['routerId', 'localAs', 'clusterId', 'listen', 'controlSocket', 'logLevel', 'bestPath', 'preference'];
  return lists.every((l) => l.length === 0) && changes.every((key) => diff[key] === undefined);
}
