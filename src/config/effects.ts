// What a reload does with each configuration key: the one table. diffConfig (diff.ts) reads it
// to classify a change, the daemon's reload (src/daemon/reload.ts) applies the classification,
// and the README's list of what resets a session is generated from it (reloadEffectsMarkdown).

import type { Config, NeighborConfig } from './types.js';

/**
 * - none: display only, nothing to apply.
 * - live: applied to the running daemon in place; no session is touched.
 * - reimport: the neighbour's Adj-RIB-In runs through import again (no reset, no route refresh).
 * - reexport: the Loc-RIB runs through the neighbour's export again (no reset).
 * - reset: the session restarts: Cease / Administrative Reset (RFC 4486 subcode 4). A session
 *   that is not Established restarts without a NOTIFICATION.
 * - shutdown: the session is shut down (Cease / Administrative Shutdown) or started.
 * - restart-required: kept at its running value until routed restarts; the reload says so.
 */
export type ReloadEffect = 'none' | 'live' | 'reimport' | 'reexport' | 'reset' | 'shutdown' | 'restart-required';

export interface KeyEffect {
  /** The key as written in the YAML file. */
  yaml: string;
  effects: readonly ReloadEffect[];
  /** Why, for the README and the reload log. */
  why: string;
}

/** Top-level keys; `neighbors` is per neighbour, below. */
export type RouterKey = Exclude<keyof Config, 'neighbors'>;

const e = (yaml: string, effects: readonly ReloadEffect[], why: string): KeyEffect => ({ yaml, effects, why });

/** Every key of Config and NeighborConfig, so that a new one cannot be left out (the type checks it). */
export const RELOAD_EFFECTS: {
  readonly router: { readonly [K in RouterKey]-?: KeyEffect };
  readonly neighbor: { readonly [K in keyof NeighborConfig]-?: KeyEffect };
} = {
  router: {
    // BIRD restarts every BGP protocol when the router id changes and every protocol whose
    // local AS changed; FRR sends Cease to every peer on a router-id change and cannot change
    // its AS without removing the instance. Both are in every OPEN (RFC 4271 §4.2).
    routerId: e('router-id', ['reset'], 'in every OPEN: every session resets (as BIRD and FRR do)'),
    localAs: e('local-as', ['reset'], 'in every OPEN: every session resets (as BIRD and FRR do)'),
    // RFC 4456 §8: reflected routes carry the CLUSTER_LIST with our cluster id.
    clusterId: e('cluster-id', ['reexport'], 'export to iBGP neighbours runs again'),
    listen: e('listen', ['restart-required'], 'the listening sockets and the port of outgoing connections stay until a restart'),
    controlSocket: e('control-socket', ['restart-required'], 'the control socket stays where it is until a restart'),
    warmUp: e('warm-up', ['none'], 'read at start only'),
    log: e('log.level', ['live'], 'the new level applies at once'),
    metrics: e('metrics.listen', ['live'], 'the Prometheus endpoint is closed and opened at the new address'),
    bestPath: e('best-path', ['live'], 'the decision process runs again on every prefix; changed best paths are announced'),
    preference: e('preference', ['live'], 'the decision process runs again on every prefix; changed best paths are announced'),
    staticRoutes: e('static-routes', ['live'], 'routes added, removed or changed in the RIB, announced through export policies'),
    policies: e('policies', ['reimport', 'reexport'], 'the neighbours that use a changed policy run that direction again'),
    prefixLists: e('prefix-lists', ['reimport', 'reexport'], 'the neighbours whose policies read a changed list run that direction again'),
    fib: e('fib', ['live'], 'mode, xdp-interfaces, pin-dir: the forwarding plane is re-opened and refilled, keeping installed routes where the new settings allow; reconcile-interval: the timer restarts; keep-forwarding-on-stop: read at stop'),
  },
  neighbor: {
    address: e('address', ['reset'], 'a new address is a new neighbour'),
    remoteAs: e('remote-as', ['reset'], 'checked against the OPEN'),
    description: e('description', ['none'], 'display only'),
    localAddress: e('local-address', ['reset'], 'the transport: the session reconnects from the new address'),
    passive: e('passive', ['reset'], 'the transport: who connects'),
    connectRetry: e('connect-retry', ['reset'], "the session's timers are set when it is built (BIRD restarts too)"),
    startupHoldTime: e('startup-hold-time', ['reset'], "the session's timers are set when it is built"),
    holdTime: e('hold-time', ['reset'], 'negotiated in the OPEN: min(ours, theirs) (RFC 4271 §4.2)'),
    keepalive: e('keepalive', ['reset'], 'derived from the negotiated hold time when the session comes up'),
    families: e('families', ['reset'], 'multiprotocol capabilities in the OPEN (RFC 4760)'),
    addPath: e('add-path', ['reset'], 'ADD-PATH capability in the OPEN (RFC 7911)'),
    gracefulRestart: e('graceful-restart', ['reset'], 'graceful-restart capability in the OPEN (RFC 4724)'),
    // The client flag is part of the session's peer identity in the RIB and in its Adj-RIB-Out
    // (FRR resets the session for it too).
    routeReflectorClient: e('route-reflector-client', ['reset'], "part of the session's identity in the RIB (FRR resets too)"),
    // The Adj-RIB-Out caches its rewrite per attribute set with the next-hop setting inside.
    nextHopSelf: e('next-hop-self', ['reset'], "the Adj-RIB-Out is built with it when the session comes up"),
    importPolicy: e('import', ['reimport'], 'import runs again over the Adj-RIB-In'),
    exportPolicy: e('export', ['reexport'], 'export runs again over the Loc-RIB'),
    // The count is checked against the new limit when the Adj-RIB-In runs again.
    maxPrefix: e('max-prefix', ['reimport'], 'the new limit is checked when import runs again'),
    maxPrefixLength: e('max-prefix-length', ['reimport'], 'import runs again over the Adj-RIB-In'),
    password: e('password', ['reset'], 'the transport: TCP-MD5 key on the sockets (RFC 2385)'),
    ttlSecurity: e('ttl-security', ['reset'], 'the transport: GTSM socket options (RFC 5082)'),
    shutdown: e('shutdown', ['shutdown'], 'true: Cease / Administrative Shutdown (RFC 8203); false: the session starts'),
    group: e('group', ['none'], 'display only (the settings it gave are compared one by one)'),
  },
};

/** The effects of a changed top-level key. */
export function routerEffects(key: RouterKey): readonly ReloadEffect[] {
  return RELOAD_EFFECTS.router[key].effects;
}

/** The README's "Reload" table, generated from RELOAD_EFFECTS. */
export function reloadEffectsMarkdown(): string[] {
  const row = (k: KeyEffect, scope: string): string => `| ${scope}\`${k.yaml}\` | ${k.effects.join(', ')} | ${k.why} |`;
  return [
    '| key | on reload | |',
    '| --- | --- | --- |',
    ...Object.values(RELOAD_EFFECTS.router).map((k) => row(k, '')),
    '| a neighbour added | start | its session starts |',
    '| a neighbour removed | stop | Cease / Peer De-configured (RFC 4486 subcode 3); its routes are withdrawn |',
    ...Object.values(RELOAD_EFFECTS.neighbor).map((k) => row(k, 'neighbor ')),
  ];
}
