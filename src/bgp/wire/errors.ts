// NOTIFICATION error codes and subcodes: one descriptor table (RFC 4271 §4.5, §6; RFC 4486 and
// RFC 9003 for Cease; RFC 7313 for ROUTE-REFRESH; RFC 4271 FSM errors in RFC 6608).

import type { NotifyError } from './types.js';
import { toHex } from './reader.js';

export const ERR = {
  HEADER: 1,
  OPEN: 2,
  UPDATE: 3,
  HOLD_TIMER: 4,
  FSM: 5,
  CEASE: 6,
  ROUTE_REFRESH: 7,
} as const;

export const HEADER_SUB = { NOT_SYNCHRONIZED: 1, BAD_LENGTH: 2, BAD_TYPE: 3 } as const;
export const OPEN_SUB = {
  UNSUPPORTED_VERSION: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_ID: 3,
  UNSUPPORTED_OPT_PARAM: 4,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7,
  ROLE_MISMATCH: 11,
} as const;
export const UPDATE_SUB = {
  MALFORMED_ATTR_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN: 2,
  MISSING_WELL_KNOWN: 3,
  ATTR_FLAGS: 4,
  ATTR_LENGTH: 5,
  INVALID_ORIGIN: 6,
  INVALID_NEXT_HOP: 8,
  OPTIONAL_ATTR: 9,
  INVALID_NETWORK: 10,
  MALFORMED_AS_PATH: 11,
} as const;
export const CEASE_SUB = {
  MAX_PREFIXES: 1,
  ADMIN_SHUTDOWN: 2,
  PEER_DECONFIGURED: 3,
  ADMIN_RESET: 4,
  CONNECTION_REJECTED: 5,
  OTHER_CONFIG_CHANGE: 6,
  COLLISION: 7,
  OUT_OF_RESOURCES: 8,
  HARD_RESET: 9,
  BFD_DOWN: 10,
} as const;

/** Names for logs and routectl: code → [name, {subcode → name}]. */
export const ERROR_NAMES: Record<number, [string, Record<number, string>]> = {
  1: ['Message Header Error', { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' }],
  2: [
    'OPEN Message Error',
    {
      1: 'Unsupported Version Number',
      2: 'Bad Peer AS',
      3: 'Bad BGP Identifier',
      4: 'Unsupported Optional Parameter',
      6: 'Unacceptable Hold Time',
      7: 'Unsupported Capability',
      11: 'Role Mismatch',
    },
  ],
  3: [
    'UPDATE Message Error',
    {
      1: 'Malformed Attribute List',
      2: 'Unrecognized Well-known Attribute',
      3: 'Missing Well-known Attribute',
      4: 'Attribute Flags Error',
      5: 'Attribute Length Error',
      6: 'Invalid ORIGIN Attribute',
      8: 'Invalid NEXT_HOP Attribute',
      9: 'Optional Attribute Error',
      10: 'Invalid Network Field',
      11: 'Malformed AS_PATH',
    },
  ],
  4: ['Hold Timer Expired', {}],
  5: [
    'Finite State Machine Error',
    { 1: 'Unexpected Message in OpenSent', 2: 'Unexpected Message in OpenConfirm', 3: 'Unexpected Message in Established' },
  ],
  6: [
    'Cease',
    {
      1: 'Maximum Number of Prefixes Reached',
      2: 'Administrative Shutdown',
      3: 'Peer De-configured',
      4: 'Administrative Reset',
      5: 'Connection Rejected',
      6: 'Other Configuration Change',
      7: 'Connection Collision Resolution',
      8: 'Out of Resources',
      9: 'Hard Reset',
      10: 'BFD Down',
    },
  ],
  7: ['ROUTE-REFRESH Message Error', { 1: 'Invalid Message Length' }],
};

export function errorText(code: number, subcode: number): string {
  const entry = ERROR_NAMES[code];
  if (!entry) return `error ${code}/${subcode}`;
  const sub = entry[1][subcode];
  return sub ? `${entry[0]} / ${sub}` : `${entry[0]} (subcode ${subcode})`;
}

export function notify(code: number, subcode: number, data: Uint8Array | string = ''): NotifyError {
  return { code, subcode, data: typeof data === 'string' ? data : toHex(data) };
}

/** Thrown inside the codec to end decoding with a session reset; caught at the entry points. */
export class CodecError extends Error {
  constructor(
    readonly error: NotifyError,
    reason: string,
  ) {
    super(reason);
  }
}

export function fail(code: number, subcode: number, reason: string, data: Uint8Array | string = ''): never {
  throw new CodecError(notify(code, subcode, data), reason);
}
