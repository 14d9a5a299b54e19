// What applies when no policy is configured (RFC 8212), and the well-known communities that
// restrict export (RFC 1997). Both are decisions the RIB applies per neighbour and route.

import type { PathAttrs } from '../rib/types.js';
import { NO_ADVERTISE, NO_EXPORT, NO_EXPORT_SUBCONFED } from './community.js';

export type DefaultPolicy = 'accept-all' | 'reject-all' | 'configured';

/** A policy list counts as configured when it names at least one policy. */
export function isConfigured(configured: readonly string[] | undefined): configured is readonly string[] {
  return configured !== undefined && configured.length > 0;
}

/**
 * RFC 8212 §3: "Routes contained in an Adj-RIB-In associated with an EBGP peer SHALL NOT be
 * considered eligible in the Decision Process if no explicit Import Policy has been applied."
 * and "Routes SHALL NOT be added to an Adj-RIB-Out associated with an EBGP peer if no explicit
 * Export Policy has been applied." iBGP sessions keep RFC 4271's accept-everything default.
 */
export function defaultPolicyFor(
  neighbor: { ibgp: boolean },
  _direction: 'import' | 'export',
  configured: readonly string[] | undefined,
): DefaultPolicy {
  if (isConfigured(configured)) return 'configured';
  return neighbor.ibgp ? 'accept-all' : 'reject-all';
}

/**
 * The line the daemon logs once per neighbour when RFC 8212 blocks it, else undefined
 * (iBGP without policy, or a policy configured).
 */
export function defaultPolicyMessage(
  neighbor: { address: string; ibgp: boolean },
  direction: 'import' | 'export',
  configured: readonly string[] | undefined,
): string | undefined {
  if (defaultPolicyFor(neighbor, direction, configured) !== 'reject-all') return undefined;
  const outcome = direction === 'import' ? 'accepting nothing' : 'announcing nothing';
  return `RFC 8212: no ${direction} policy for eBGP neighbor ${neighbor.address}: ${outcome}`;
}

/**
 * RFC 1997: may a route with these communities be sent to this peer?
 * - NO_ADVERTISE: "MUST NOT be advertised to other BGP peers" — nobody.
 * - NO_EXPORT: "MUST NOT be advertised outside a BGP confederation boundary (a stand-alone
 *   autonomous system that is not part of a confederation should be considered a confederation
 *   itself)" — not to eBGP peers, except peers in other member ASes of our confederation.
 * - NO_EXPORT_SUBCONFED: "MUST NOT be advertised to external BGP peers (this includes peers in
 *   other members autonomous systems inside a BGP confederation)" — not to any eBGP peer.
 * Returns true when the route must not be sent.
 */
export function wellKnownExportBlocked(attrs: PathAttrs, peer: { ibgp: boolean; confedMember?: boolean }): boolean {
  for (const c of attrs.communities) {
    if (c === NO_ADVERTISE) return true;
    if (c === NO_EXPORT && !peer.ibgp && !peer.confedMember) return true;
    if (c === NO_EXPORT_SUBCONFED && !peer.ibgp) return true;
  }
  return false;
}
