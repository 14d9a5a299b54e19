// From the validated file (kebab-case, optional keys) to the resolved Config every module reads:
// neighbours merged with their group, every default filled in, names in camelCase.

import type { ConfigPath } from './errors.js';
import { parseAddress } from './net.js';
import type { RawConfig, RawGroup, RawNeighbor, RawPolicy, RawPrefixEntry, RawStaticRoute } from './schema.js';
import type {
  Config,
  Family,
  NeighborConfig,
  PolicyConfig,
  PolicyMatch,
  PolicySet,
  PolicyTerm,
  PrefixListEntry,
  StaticRouteConfig,
} from './types.js';

/** Every default, in one place; config/routed.example.yaml documents the same values. */
export const DEFAULTS = {
  /** IPv4 and IPv6 wildcards (the transport binds "::" IPv6-only so both can be bound). */
  listenAddresses: ['0.0.0.0', '::'],
  port: 179,
  controlSocket: '/run/routed/routed.sock',
  warmUp: true,
  logLevel: 'info',
  bestPath: { alwaysCompareMed: false, deterministicMed: false, maxPaths: 1, maxPathsIbgp: 1 },
  /** Lower wins across sources, FRR's administrative distances; kernel routes lose to all. */
  preference: { connected: 0, static: 1, ebgp: 20, ibgp: 200, kernel: 250 },
  /** RFC 4271 §10 suggests 90 s hold time and a keepalive of a third of it. */
  holdTime: 90,
  /** RFC 4271 §10 suggests 120 s ConnectRetryTime (BIRD uses the same). */
  connectRetry: 120,
  /** RFC 4724 §3 restart time (FRR and BIRD use 120 s). */
  restartTime: 120,
  maxPrefixAction: 'reset',
  termAction: 'next',
  fib: { mode: 'xdp+kernel', keepForwardingOnStop: false, pinDir: '/sys/fs/bpf/routed', reconcileInterval: 60 },
} as const;

/** Neighbour settings that are mappings: a neighbour overrides its group's key by key. */
const nestedSettings = new Set<string>(['add-path', 'graceful-restart', 'max-prefix', 'max-prefix-length']);

export interface MergedNeighbor {
  settings: RawNeighbor;
  /** Where a setting was written: the neighbour, else its group; the neighbour when nowhere. */
  originOf(key: keyof RawGroup): ConfigPath;
}

/** A neighbour's settings over its group's. */
export function mergeWithGroup(
  neighbor: RawNeighbor,
  neighborPath: ConfigPath,
  group?: { settings: RawGroup; path: ConfigPath },
): MergedNeighbor {
  const merged: Record<string, unknown> = { ...group?.settings };
  for (const [key, value] of Object.entries(neighbor)) {
    if (value === undefined) continue;
    const inherited = merged[key];
    merged[key] = nestedSettings.has(key) && inherited !== undefined ? { ...(inherited as object), ...(value as object) } : value;
  }
  return {
    settings: merged as RawNeighbor,
    originOf: (key) => (neighbor[key] === undefined && group?.settings[key] !== undefined ? [...group.path, key] : [...neighborPath, key]),
  };
}

const familyOrder: Family[] = ['ipv4', 'ipv6'];

/** Families in one order, once each, so that configs compare equal whatever order was written. */
export function canonicalFamilies(families: readonly Family[]): Family[] {
  return familyOrder.filter((f) => families.includes(f));
}

/** Resolve one merged neighbour. remote-as must be set (the checks guarantee it). */
export function resolveNeighbor(settings: RawNeighbor): NeighborConfig {
  const remoteAs = settings['remote-as'];
  if (remoteAs === undefined) throw new Error(`neighbor ${settings.address}: resolved without remote-as`);
  const holdTime = settings['hold-time'] ?? DEFAULTS.holdTime;
  const addressFamily = parseAddress(settings.address)?.family ?? 'ipv4';
  const maxPrefix = settings['max-prefix'];
  const maxLength = settings['max-prefix-length'];
  return shapedNeighbor({
    address: settings.address,
    remoteAs,
    description: settings.description ?? '',
    passive: settings.passive ?? false,
    holdTime,
    keepalive: settings.keepalive ?? Math.floor(holdTime / 3),
    connectRetry: settings['connect-retry'] ?? DEFAULTS.connectRetry,
    families: canonicalFamilies(settings.families ?? [addressFamily]),
    addPath: {
      receive: canonicalFamilies(settings['add-path']?.receive ?? []),
      send: canonicalFamilies(settings['add-path']?.send ?? []),
    },
    gracefulRestart: {
      enabled: settings['graceful-restart']?.enabled ?? false,
      restartTime: settings['graceful-restart']?.['restart-time'] ?? DEFAULTS.restartTime,
    },
    routeReflectorClient: settings['route-reflector-client'] ?? false,
    nextHopSelf: settings['next-hop-self'] ?? false,
    shutdown: settings.shutdown ?? false,
    localAddress: settings['local-address'],
    startupHoldTime: settings['startup-hold-time'],
    importPolicy: settings.import,
    exportPolicy: settings.export,
    maxPrefix: maxPrefix?.limit === undefined ? undefined : maxPrefixOf(maxPrefix.limit, maxPrefix.action, maxPrefix['restart-after']),
    maxPrefixLength: maxLength !== undefined && (maxLength.ipv4 !== undefined || maxLength.ipv6 !== undefined) ? { ...maxLength } : undefined,
    password: settings.password,
    ttlSecurity: settings['ttl-security'] === undefined ? undefined : { hops: settings['ttl-security'] },
    group: settings.group,
  });
}

function maxPrefixOf(limit: number, action: NonNullable<NeighborConfig['maxPrefix']>['action'] | undefined, restartAfter: number | undefined): NonNullable<NeighborConfig['maxPrefix']> {
  const m: NonNullable<NeighborConfig['maxPrefix']> = { limit, action: action ?? DEFAULTS.maxPrefixAction };
  if (restartAfter !== undefined) m.restartAfter = restartAfter;
  return m;
}

/**
 * A neighbour's configuration in the one shape every one has: the required keys in one order,
 * then each optional key only when it is set, in one order. Objects of one V8 map: code compiled
 * for one neighbour (the warm-up's synthetic ones, copied from the first) holds for the others',
 * where a copy made by spreading had a map of its own and the first real session threw that
 * code away ("wrong map": the session's getters and Peer.onUpdate compiled again in its feed).
 */
export function shapedNeighbor(n: NeighborConfig): NeighborConfig {
  const shaped: NeighborConfig = {
    address: n.address,
    remoteAs: n.remoteAs,
    description: n.description,
    passive: n.passive,
    holdTime: n.holdTime,
    keepalive: n.keepalive,
    connectRetry: n.connectRetry,
    families: n.families,
    addPath: n.addPath,
    gracefulRestart: n.gracefulRestart,
    routeReflectorClient: n.routeReflectorClient,
    nextHopSelf: n.nextHopSelf,
    shutdown: n.shutdown,
  };
  if (n.localAddress !== undefined) shaped.localAddress = n.localAddress;
  if (n.startupHoldTime !== undefined) shaped.startupHoldTime = n.startupHoldTime;
  if (n.importPolicy !== undefined) shaped.importPolicy = n.importPolicy;
  if (n.exportPolicy !== undefined) shaped.exportPolicy = n.exportPolicy;
  if (n.maxPrefix !== undefined) shaped.maxPrefix = n.maxPrefix;
  if (n.maxPrefixLength !== undefined) shaped.maxPrefixLength = n.maxPrefixLength;
  if (n.password !== undefined) shaped.password = n.password;
  if (n.ttlSecurity !== undefined) shaped.ttlSecurity = n.ttlSecurity;
  if (n.group !== undefined) shaped.group = n.group;
  return shaped;
}

/** The resolved configuration of a file that passed every check. */
export function resolveConfig(raw: RawConfig): Config {
  const groups = raw['neighbor-groups'] ?? {};
  return {
    routerId: raw['router-id'],
    localAs: raw['local-as'],
    listen: {
      addresses: raw.listen?.addresses ?? [...DEFAULTS.listenAddresses],
      port: raw.listen?.port ?? DEFAULTS.port,
    },
    neighbors: (raw.neighbors ?? []).map((n, i) => {
      const group = n.group === undefined ? undefined : groups[n.group];
      const groupRef = group && { settings: group, path: ['neighbor-groups', n.group!] };
      return resolveNeighbor(mergeWithGroup(n, ['neighbors', i], groupRef).settings);
    }),
    policies: mapValues(raw.policies ?? {}, resolvePolicy),
    prefixLists: mapValues(raw['prefix-lists'] ?? {}, (entries) => entries.map(resolvePrefixEntry)),
    staticRoutes: (raw['static-routes'] ?? []).map(resolveStaticRoute),
    preference: { ...DEFAULTS.preference, ...raw.preference },
    bestPath: {
      alwaysCompareMed: raw['best-path']?.['always-compare-med'] ?? DEFAULTS.bestPath.alwaysCompareMed,
      deterministicMed: raw['best-path']?.['deterministic-med'] ?? DEFAULTS.bestPath.deterministicMed,
      maxPaths: raw['best-path']?.['max-paths'] ?? DEFAULTS.bestPath.maxPaths,
      maxPathsIbgp: raw['best-path']?.['max-paths-ibgp'] ?? DEFAULTS.bestPath.maxPathsIbgp,
    },
    // RFC 4456: a reflector alone in its cluster is identified by its BGP Identifier.
    clusterId: raw['cluster-id'] ?? raw['router-id'],
    controlSocket: raw['control-socket'] ?? DEFAULTS.controlSocket,
    warmUp: raw['warm-up'] ?? DEFAULTS.warmUp,
    log: { level: raw.log?.level ?? DEFAULTS.logLevel },
    metrics: { ...(raw.metrics?.listen !== undefined && { listen: raw.metrics.listen }) },
    fib: {
      mode: raw.fib?.mode ?? DEFAULTS.fib.mode,
      xdpInterfaces: raw.fib?.['xdp-interfaces'] ?? [],
      keepForwardingOnStop: raw.fib?.['keep-forwarding-on-stop'] ?? DEFAULTS.fib.keepForwardingOnStop,
      pinDir: raw.fib?.['pin-dir'] ?? DEFAULTS.fib.pinDir,
      reconcileInterval: raw.fib?.['reconcile-interval'] ?? DEFAULTS.fib.reconcileInterval,
    },
  };
}

function mapValues<A, B>(record: Record<string, A>, f: (value: A) => B): Record<string, B> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value)]));
}

function resolvePrefixEntry(entry: RawPrefixEntry): PrefixListEntry {
  const out: PrefixListEntry = { prefix: entry.prefix };
  if (entry.ge !== undefined) out.ge = entry.ge;
  if (entry.le !== undefined) out.le = entry.le;
  return out;
}

function resolvePolicy(policy: RawPolicy): PolicyConfig {
  return {
    terms: (policy.terms ?? []).map((term, i): PolicyTerm => ({
      name: term.name ?? `term-${i + 1}`,
      match: resolveMatch(term.match ?? {}),
      set: resolveSet(term.set ?? {}),
      action: term.action ?? DEFAULTS.termAction,
    })),
    ...(policy['default-action'] !== undefined && { defaultAction: policy['default-action'] }),
  };
}

type RawTerm = NonNullable<RawPolicy['terms']>[number];

/** kebab-case key in the file → camelCase key in Config; only keys that are set are copied. */
function renamed<T>(raw: Record<string, unknown>, names: Record<string, keyof T>): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const target = names[key];
    if (value !== undefined && target !== undefined) out[target as string] = value;
  }
  return out as T;
}

const matchNames: Record<keyof NonNullable<RawTerm['match']>, keyof PolicyMatch> = {
  'prefix-list': 'prefixList',
  prefix: 'prefix',
  'as-path-regex': 'asPathRegex',
  'origin-as': 'originAs',
  'contains-as': 'containsAs',
  'as-path-length': 'asPathLength',
  community: 'community',
  'ext-community': 'extCommunity',
  'large-community': 'largeCommunity',
  'next-hop': 'nextHop',
  neighbor: 'neighbor',
  family: 'family',
};

const setNames: Record<keyof NonNullable<RawTerm['set']>, keyof PolicySet> = {
  'local-pref': 'localPref',
  med: 'med',
  prepend: 'prepend',
  'community-add': 'communityAdd',
  'community-remove': 'communityRemove',
  'community-replace': 'communityReplace',
  'large-community-add': 'largeCommunityAdd',
  'large-community-remove': 'largeCommunityRemove',
  'ext-community-add': 'extCommunityAdd',
  'ext-community-remove': 'extCommunityRemove',
  'next-hop': 'nextHop',
};

function resolveMatch(match: NonNullable<RawTerm['match']>): PolicyMatch {
  const out = renamed<PolicyMatch>(match, matchNames);
  if (match.prefix !== undefined) out.prefix = match.prefix.map(resolvePrefixEntry);
  return out;
}

function resolveSet(set: NonNullable<RawTerm['set']>): PolicySet {
  return renamed<PolicySet>(set, setNames);
}

function resolveStaticRoute(route: RawStaticRoute): StaticRouteConfig {
  if (route.via !== undefined) return { prefix: route.prefix, type: 'via', via: route.via };
  if (route.interface !== undefined) return { prefix: route.prefix, type: 'interface', interface: route.interface };
  return { prefix: route.prefix, type: route.blackhole ? 'blackhole' : 'unreachable' };
}

/** Config key → key in the file, for the keys of the sections the policy engine reports on. */
const fileKeys: Record<string, string> = {
  prefixLists: 'prefix-lists',
  defaultAction: 'default-action',
  ...Object.fromEntries(Object.entries(matchNames).map(([file, config]) => [config, file])),
  ...Object.fromEntries(Object.entries(setNames).map(([file, config]) => [config, file])),
};

/** A path into the resolved Config ("prefixLists", "localPref") as a path into the file. */
export function filePath(configPath: readonly (string | number)[]): (string | number)[] {
  // The second element is a policy or prefix-list name: the user's, never renamed.
  return configPath.map((seg, i) => (typeof seg === 'string' && i !== 1 ? (fileKeys[seg] ?? seg) : seg));
}
