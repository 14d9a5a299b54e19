// Connection collision detection (RFC 4271 §6.8): when both speakers open a connection at the
// same time, exactly one survives, chosen the same way on both sides.

import { parseIpv4 } from '../wire/index.js';

/** Which side opened a connection: inbound = the peer connected to us. */
export type ConnectionDirection = 'inbound' | 'outbound';

export interface CollisionInput {
  localId: string;
  remoteId: string;
  /** Used only when the identifiers are equal (RFC 6286 §2.3). */
  localAs: number;
  remoteAs: number;
}

export interface CollisionOutcome {
  keep: ConnectionDirection;
  /** The connection to close with NOTIFICATION Cease / Connection Collision Resolution (6/7). */
  close: ConnectionDirection;
}

function idValue(id: string): number {
  const b = new Uint8Array(4);
  if (!parseIpv4(id, b, 0)) throw new RangeError(`bad BGP identifier ${id}`);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/**
 * RFC 4271 §6.8: "the BGP Identifiers are treated as 4-octet unsigned integers"; if the local
 * identifier is lower, keep the connection the remote system initiated, otherwise keep ours.
 * RFC 6286 §2.3: with equal identifiers, the connection initiated by the speaker with the larger
 * AS number is preserved.
 */
export function resolveCollision(c: CollisionInput): CollisionOutcome {
  const local = idValue(c.localId);
  const remote = idValue(c.remoteId);
  const remoteWins = local === remote ? c.localAs < c.remoteAs : local < remote;
  return remoteWins ? { keep: 'inbound', close: 'outbound' } : { keep: 'outbound', close: 'inbound' };
}
