// A neighbour's import filter, export filter and RIB options, made by one set of functions for the
// neighbours' sessions (peer.ts) and for the start-up warm-up (warmup.ts): V8 compiles the RIB for
// the filters and option objects it meets, and objects made elsewhere (another closure, another
// object shape) throw that code away at the first real peer ("wrong map", "wrong feedback cell").

import type { NeighborConfig, Config } from '../config/types.js';
import type { EvalContext, PolicyEngine } from '../policy/index.js';
import type { ExportFilter, Family, ImportFilter, PeerInfo, PeerOptions } from '../rib/index.js';
import { prefixLengthFilter } from './prefix-length.js';

/** What the filters read from the daemon: the policies and the config in force now (a reload swaps both). */
export interface FilterHost {
  config(): Config;
  policy(): PolicyEngine;
}

/**
 * The neighbour's config in force, which a reload replaces: the filters read it at each call.
 * One class for the sessions and the warm-up, so compiled filter code meets one kind of object.
 */
export class NeighborRef {
  constructor(public cfg: NeighborConfig) {}
}

/** Our addresses on a session, for next hop self in each family (ExportContext.localAddress). */
export interface SessionAddresses {
  ipv4?: string;
  ipv6?: string;
  ipv6LinkLocal?: string;
}

/**
 * The session's own address `local`, and the other family's address from `sameInterface` (the
 * addresses on the interface that carries it): an IPv4 session carrying IPv6 routes, or the
 * reverse. One function for the sessions and the warm-up, so that the export path the warm-up
 * compiles meets these objects in the hidden class real sessions give them (a literal with both
 * members is another class than an object that grew its second member).
 */
export function sessionAddresses(local: string, sameInterface: readonly { family: Family; address: string }[]): SessionAddresses {
  const out: SessionAddresses = local.includes(':') ? { ipv6: local } : { ipv4: local };
  for (const c of sameInterface) {
    if (c.family === 'ipv4' && !out.ipv4) out.ipv4 = c.address;
    if (c.family === 'ipv6' && !out.ipv6) out.ipv6 = c.address;
  }
  return out;
}

/** Called once per family when max-prefix-length first filters a route. */
export type TooLongReport = (family: Family, prefix: string, limit: number) => void;

/**
 * A filter's policy context, made again only when the peer or our AS differs from the last call's:
 * a filter runs once per attribute set, a quarter million times for a table, and policies only read it.
 */
function contextCache(direction: EvalContext['direction'], localAddress: string | undefined): (neighbor: PeerInfo, localAs: number) => EvalContext {
  let ctx: EvalContext | undefined;
  return (neighbor, localAs) => {
    if (ctx?.neighbor !== neighbor || ctx.localAs !== localAs) ctx = { neighbor, direction, localAs, ...(localAddress && { localAddress }) };
    return ctx;
  };
}

/**
 * PolicyEngine.dependsOnPrefix for a filter's policy list, asked again only when the engine or the
 * list is another (a reload): the RIB reads a filter's perAttributes once per UPDATE.
 */
function dependenceCache(): (engine: PolicyEngine, names: readonly string[] | undefined) => boolean {
  let lastEngine: PolicyEngine | undefined;
  let lastNames: readonly string[] | undefined;
  let depends = false;
  return (engine, names) => {
    if (engine !== lastEngine || names !== lastNames) {
      depends = engine.dependsOnPrefix(names);
      lastEngine = engine;
      lastNames = names;
    }
    return depends;
  };
}

/** The import filter: the policy engine over the neighbour's import policies (RFC 8212 inside). */
export function importFilterFor(host: FilterHost, neighbor: NeighborRef, tooLong: TooLongReport): ImportFilter {
  const context = contextCache('import', undefined);
  const policy: ImportFilter = (route, peer) => {
    return host.policy().filter(neighbor.cfg.importPolicy, route, context(peer, host.config().localAs));
  };
  const filter = prefixLengthFilter(neighbor.cfg.maxPrefixLength, policy, tooLong);
  // Without a prefix match (and no length limit in front) the outcome depends on the
  // attributes only: the RIB then runs the policy once per attribute set, not per prefix.
  const lengthLimited = filter !== policy;
  const dependsOnPrefix = dependenceCache();
  return Object.defineProperty(filter, 'perAttributes', { get: () => !lengthLimited && !dependsOnPrefix(host.policy(), neighbor.cfg.importPolicy) });
}

/** The export filter towards the neighbour (before the message-size check the Adj-RIB-Out adds). */
export function exportFilterFor(host: FilterHost, neighbor: NeighborRef, localAddress: string | undefined): ExportFilter {
  const context = contextCache('export', localAddress);
  const filter: ExportFilter = (route, peer) => {
    // Connected and kernel routes are next-hop resolution sources, not announcements (FRR
    // needs `redistribute` for them, BIRD a protocol in the table); static routes and BGP
    // routes go through the export policy.
    if (route.source.kind === 'connected' || route.source.kind === 'kernel') return null;
    return host.policy().filter(neighbor.cfg.exportPolicy, route, context(peer, host.config().localAs));
  };
  // Without a prefix match the Adj-RIB-Out runs the policy once per attribute set and source.
  const dependsOnPrefix = dependenceCache();
  return Object.defineProperty(filter, 'perAttributes', { get: () => !dependsOnPrefix(host.policy(), neighbor.cfg.exportPolicy) });
}

/** The RIB's options for the neighbour's routes (Rib.peerUp, Rib.reimport). */
export function peerOptionsFor(host: FilterHost, neighbor: NeighborRef, tooLong: TooLongReport): PeerOptions {
  const cfg = neighbor.cfg;
  return { importFilter: importFilterFor(host, neighbor, tooLong), ...(cfg.maxPrefix && { maxPrefix: cfg.maxPrefix }) };
}
