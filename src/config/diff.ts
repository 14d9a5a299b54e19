// What a reload changes: the running daemon applies a ConfigDiff instead of restarting. What
// applying a change to each key takes is in one table, RELOAD_EFFECTS (effects.ts).

import { RELOAD_EFFECTS, routerEffects } from './effects.js';
import type { ReloadEffect, RouterKey } from './effects.js';
import type { Config, NeighborConfig, PolicyConfig, StaticRouteConfig } from './types.js';

export type { ReloadEffect, RouterKey } from './effects.js';

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
  /** The union of the effects of those fields (RELOAD_EFFECTS.neighbor). */
  effects: ReloadEffect[];
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
  /** A top-level key whose effect is `reset` changed (router id, local AS): every session restarts. */
  resetAll: boolean;
  /** Top-level keys that differ. */
  keys: RouterKey[];
  /** Of those, the ones kept at their running value until a restart. */
  restartRequired: RouterKey[];
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
  fib?: Change<Config['fib']>;
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
  const keys = (Object.keys(RELOAD_EFFECTS.router) as RouterKey[]).filter((k) => !same(old[k], next[k]));
  const diff: ConfigDiff = {
    empty: false,
    resetAll: keys.some((k) => routerEffects(k).includes('reset')),
    keys,
    restartRequired: keys.filter((k) => routerEffects(k).includes('restart-required')),
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
  addChange(diff, 'fib', old.fib, next.fib);
  diff.rerun = diff.resetAll ? [] : policyReruns(diff, next, diff.clusterId !== undefined);
  diff.empty = isEmpty(diff);
  return diff;
}

type ChangeKey = 'routerId' | 'localAs' | 'clusterId' | 'listen' | 'controlSocket' | 'logLevel' | 'bestPath' | 'preference' | 'fib';

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
  const keys = Object.keys(RELOAD_EFFECTS.neighbor) as (keyof NeighborConfig)[];
  const fields = keys.filter((key) => !same(old[key], next[key]));
  if (fields.length === 0) return undefined;
  const effects = [...new Set(fields.flatMap((key) => RELOAD_EFFECTS.neighbor[key].effects))];
  const reset = effects.includes('reset');
  return {
    address: next.address,
    old,
    next,
    fields,
    effects,
    reset,
    reimport: !reset && effects.includes('reimport'),
    reexport: !reset && effects.includes('reexport'),
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
  return lists.every((l) => l.length === 0) && diff.keys.length === 0;
}
