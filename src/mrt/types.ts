// Typed MRT records (RFC 6396, RFC 8050). Raw bytes are kept as views into the file buffer (for
// tests and tools that re-encode or rewrite records); formatters use the decoded fields.

import type { DecodeResult, PathAttribute, UpdateFinding, NotifyError } from '../bgp/wire/types.js';

export const MRT_TYPE = {
  TABLE_DUMP_V2: 13,
  BGP4MP: 16,
  BGP4MP_ET: 17,
} as const;

export const BGP4MP_SUBTYPE = {
  STATE_CHANGE: 0,
  MESSAGE: 1,
  MESSAGE_AS4: 4,
  STATE_CHANGE_AS4: 5,
  MESSAGE_LOCAL: 6,
  MESSAGE_AS4_LOCAL: 7,
  MESSAGE_ADDPATH: 8,
  MESSAGE_AS4_ADDPATH: 9,
  MESSAGE_LOCAL_ADDPATH: 10,
  MESSAGE_AS4_LOCAL_ADDPATH: 11,
} as const;

export const TABLE_DUMP_V2_SUBTYPE = {
  PEER_INDEX_TABLE: 1,
  RIB_IPV4_UNICAST: 2,
  RIB_IPV6_UNICAST: 4,
  RIB_IPV4_UNICAST_ADDPATH: 8,
  RIB_IPV6_UNICAST_ADDPATH: 10,
} as const;

/** The MRT common header (plus the BGP4MP_ET microsecond field). */
export interface MrtHeader {
  /** Byte offset of the record's first header byte in the (decompressed) input. */
  offset: number;
  timestamp: number;
  type: number;
  subtype: number;
  /** The header's length field as written (for BGP4MP_ET it includes the microsecond field). */
  length: number;
  /** BGP4MP_ET only. */
  microseconds?: number;
}

interface RecordBase {
  header: MrtHeader;
  /** The record body after the common header (after the microsecond field for BGP4MP_ET). */
  body: Uint8Array;
}

/** BGP4MP peer header fields, named from the point of view of the MRT writer (RFC 6396 §4.4). */
export interface Bgp4mpPeer {
  peerAs: number;
  localAs: number;
  ifIndex: number;
  afi: number;
  peerIp: string;
  localIp: string;
}

export interface Bgp4mpStateChange extends RecordBase, Bgp4mpPeer {
  kind: 'state-change';
  oldState: number;
  newState: number;
}

export interface Bgp4mpMessage extends RecordBase, Bgp4mpPeer {
  kind: 'message';
  as4: boolean;
  /** MESSAGE_LOCAL variants: a message sent by the local side. */
  local: boolean;
  /**
   * Path identifiers in the NLRI of some family: an ADD-PATH subtype (RFC 8050), the session's
   * OPENs (addPathFromSession), or inferred (addPathInferred).
   */
  addPath: boolean;
  /** The families ("afi/safi") the message was decoded with path identifiers for. */
  addPathFamilies: string[];
  /**
   * Plain subtype, but both OPENs of this (peer ip, local ip) session earlier in the file
   * negotiated ADD-PATH (RFC 7911) in this message's direction for the families above.
   */
  addPathFromSession?: boolean;
  /**
   * Plain subtype and no OPENs of the session in the file, but the UPDATE only decodes with path
   * identifiers (captures from BIRD versions that predate RFC 8050's subtypes): it was decoded
   * with them for IPv4 and IPv6 unicast.
   */
  addPathInferred?: boolean;
  /** The whole BGP message, marker included. */
  message: Uint8Array;
  decoded: DecodeResult;
}

export interface MrtPeer {
  bgpId: string;
  ip: string;
  afi: number;
  asn: number;
}

export interface PeerIndexTable extends RecordBase {
  kind: 'peer-index-table';
  collectorId: string;
  viewName: string;
  peers: MrtPeer[];
}

export type RibAttributes =
  | { ok: true; attributes: PathAttribute[]; findings: UpdateFinding[] }
  | { ok: false; error: NotifyError; reason: string };

export interface RibEntry {
  peerIndex: number;
  /** The peer from the last PEER_INDEX_TABLE, when there is one with that index. */
  peer?: MrtPeer;
  originatedTime: number;
  pathId?: number;
  attributeBytes: Uint8Array;
  attributes: RibAttributes;
}

export interface RibRecord extends RecordBase {
  kind: 'rib';
  afi: number;
  safi: number;
  addPath: boolean;
  sequence: number;
  prefix: string;
  entries: RibEntry[];
}

/** A record of a type or subtype this reader does not interpret, or whose content is malformed. */
export interface SkippedRecord extends RecordBase {
  kind: 'skipped';
  reason: string;
}

export type MrtRecord = Bgp4mpStateChange | Bgp4mpMessage | PeerIndexTable | RibRecord | SkippedRecord;

/** Malformed framing: the file cannot be split into records past `offset`. */
export class MrtFramingError extends Error {
  constructor(
    readonly offset: number,
    detail: string,
  ) {
    super(`malformed MRT framing at byte offset ${offset}: ${detail}`);
    this.name = 'MrtFramingError';
  }
}
