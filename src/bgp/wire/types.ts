// Decoded BGP message shapes. Plain data: JSON-serialisable (no Buffers, no bigints), so that
// golden files, routectl --json and tests can use them as they are. Raw bytes are lower-case hex.

/** Message type codes (RFC 4271 §4.1, RFC 2918 §3). */
export const MSG_TYPE = {
  OPEN: 1,
  UPDATE: 2,
  NOTIFICATION: 3,
  KEEPALIVE: 4,
  ROUTE_REFRESH: 5,
} as const;

export const AFI_IPV4 = 1;
export const AFI_IPV6 = 2;
export const SAFI_UNICAST = 1;

/** One NLRI entry. `prefix` is canonical text ("192.0.2.0/24", "2001:db8::/32"). */
export interface Nlri {
  prefix: string;
  /** RFC 7911 path identifier, present only where ADD-PATH receive was negotiated. */
  pathId?: number;
}

/** Per-session facts the decoder and encoder need (RFC 6793, RFC 7911, RFC 8654). */
export interface CodecContext {
  /** 4-octet AS numbers negotiated: AS_PATH and AGGREGATOR carry 4-octet ASNs. */
  as4: boolean;
  /** ADD-PATH in this direction, keyed "afi/safi" ("1/1", "2/1"). */
  addPath: ReadonlySet<string>;
  /** RFC 8654 extended messages negotiated: maximum length 65535 instead of 4096. */
  extendedMessage: boolean;
  /**
   * Decode NLRI lists into keyed holders (list-fields.ts): fields on the prototype, none defined per
   * message, so not seen by spreading, Object.keys or deepEqual. For the session's receive path.
   */
  keyedLists?: boolean;
}

export type AsPathSegmentType = 'AS_SET' | 'AS_SEQUENCE' | 'AS_CONFED_SEQUENCE' | 'AS_CONFED_SET';
export interface AsPathSegment {
  type: AsPathSegmentType;
  asns: number[];
}

export interface Aggregator {
  asn: number;
  address: string;
}

export type Origin = 'IGP' | 'EGP' | 'INCOMPLETE';

export interface MpReach {
  afi: number;
  safi: number;
  /** Next-hop addresses as text (IPv6: global, then link-local when 32 bytes). Unknown families: empty. */
  nextHops: string[];
  /** Raw next-hop bytes, only for families whose next hop the codec does not interpret. */
  nextHopHex?: string;
  /** RFC 4760 "Reserved" octet; kept so that re-encoding gives the same bytes. Absent when 0. */
  reserved?: number;
  nlri: Nlri[];
  /** Raw NLRI bytes, only for families the codec does not interpret (VPNv4, flowspec, …). */
  nlriHex?: string;
}

export interface MpUnreach {
  afi: number;
  safi: number;
  withdrawn: Nlri[];
  nlriHex?: string;
}

/** One path attribute in wire order. `flags` are the octet as received (or to be sent). */
export type PathAttribute =
  | { code: 1; name: 'ORIGIN'; flags: number; value: Origin }
  | { code: 2; name: 'AS_PATH'; flags: number; value: AsPathSegment[] }
  | { code: 3; name: 'NEXT_HOP'; flags: number; value: string }
  | { code: 4; name: 'MULTI_EXIT_DISC'; flags: number; value: number }
  | { code: 5; name: 'LOCAL_PREF'; flags: number; value: number }
  | { code: 6; name: 'ATOMIC_AGGREGATE'; flags: number; value: true }
  | { code: 7; name: 'AGGREGATOR'; flags: number; value: Aggregator }
  | { code: 8; name: 'COMMUNITIES'; flags: number; value: number[] }
  | { code: 9; name: 'ORIGINATOR_ID'; flags: number; value: string }
  | { code: 10; name: 'CLUSTER_LIST'; flags: number; value: string[] }
  | { code: 14; name: 'MP_REACH_NLRI'; flags: number; value: MpReach }
  | { code: 15; name: 'MP_UNREACH_NLRI'; flags: number; value: MpUnreach }
  | { code: 16; name: 'EXTENDED_COMMUNITIES'; flags: number; value: string[] }
  | { code: 17; name: 'AS4_PATH'; flags: number; value: AsPathSegment[] }
  | { code: 18; name: 'AS4_AGGREGATOR'; flags: number; value: Aggregator }
  | { code: 32; name: 'LARGE_COMMUNITY'; flags: number; value: [number, number, number][] }
  | { code: 35; name: 'ONLY_TO_CUSTOMER'; flags: number; value: number }
  | { code: number; name: 'UNKNOWN'; flags: number; value: string };

export type AttrName = PathAttribute['name'];

// ---- Capabilities (RFC 5492) ----

export interface AfiSafi {
  afi: number;
  safi: number;
}

export type Capability =
  | { code: 1; name: 'MULTIPROTOCOL'; value: AfiSafi }
  | { code: 2; name: 'ROUTE_REFRESH'; value: null }
  | { code: 5; name: 'EXTENDED_NEXT_HOP'; value: { afi: number; safi: number; nextHopAfi: number }[] }
  | { code: 6; name: 'EXTENDED_MESSAGE'; value: null }
  | { code: 9; name: 'BGP_ROLE'; value: number }
  | { code: 64; name: 'GRACEFUL_RESTART'; value: GracefulRestart }
  | { code: 65; name: 'FOUR_OCTET_AS'; value: number }
  | { code: 69; name: 'ADD_PATH'; value: { afi: number; safi: number; sendReceive: number }[] }
  | { code: 70; name: 'ENHANCED_ROUTE_REFRESH'; value: null }
  | { code: 71; name: 'LONG_LIVED_GR'; value: { afi: number; safi: number; flags: number; staleTime: number }[] }
  | { code: 73; name: 'FQDN'; value: { hostname: string; domain: string } }
  | { code: 128; name: 'ROUTE_REFRESH_OLD'; value: null }
  | { code: number; name: 'UNKNOWN'; value: string };

export interface GracefulRestart {
  /** Restart State (R) bit. */
  restarting: boolean;
  /** Graceful Notification (N) bit, RFC 8538. */
  notification: boolean;
  restartTime: number;
  families: { afi: number; safi: number; forwardingPreserved: boolean }[];
}

/**
 * An optional parameter of OPEN: type 2 holds capabilities, anything else is kept raw.
 *
 * Made with `type` after the other members, never first: V8 gives object literals whose first
 * member is `type` one shared start of their hidden classes, and a first `type` holding a number
 * there (all the others hold strings: AS path segments, messages, events) generalizes the
 * member for every one of them. Every function compiled for AS path segments was thrown away
 * when the first session built its OPEN (--trace-deopt: decode, decodeAsPath, encodeAsPath,
 * "marking dependent code"). Netlink messages (RxMsg) follow the same rule.
 */
export type OptionalParameter =
  | { type: 2; capabilities: Capability[] }
  | { type: number; hex: string };

export interface OpenMessage {
  type: 'OPEN';
  version: number;
  /** The My Autonomous System field (AS_TRANS 23456 when the real AS is 4-octet). */
  myAs: number;
  holdTime: number;
  bgpId: string;
  /** RFC 9072 extended optional parameters encoding was used. */
  extendedParams?: boolean;
  params: OptionalParameter[];
}

export interface UpdateMessage {
  type: 'UPDATE';
  withdrawn: Nlri[];
  attributes: PathAttribute[];
  nlri: Nlri[];
}

export interface NotificationMessage {
  type: 'NOTIFICATION';
  code: number;
  subcode: number;
  /** Data field as hex. */
  data: string;
  /** RFC 9003 shutdown communication, decoded when Cease/2 or Cease/4 carries one. */
  shutdownMessage?: string;
}

export interface KeepaliveMessage {
  type: 'KEEPALIVE';
}

export interface RouteRefreshMessage {
  type: 'ROUTE_REFRESH';
  afi: number;
  /** RFC 7313 message subtype: 0 normal request, 1 BoRR, 2 EoRR. */
  subtype: number;
  safi: number;
}

export type BgpMessage =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

// ---- Error outcomes (RFC 4271 §6, RFC 7606 §2) ----

/** What the receiver must do about an error. */
export type ErrorAction = 'session-reset' | 'treat-as-withdraw' | 'attribute-discard';

/** A NOTIFICATION to send: the session-reset outcome. */
export interface NotifyError {
  code: number;
  subcode: number;
  /** Data field as hex. */
  data: string;
}

/** A non-fatal finding while decoding an UPDATE (RFC 7606). */
export interface UpdateFinding {
  action: 'treat-as-withdraw' | 'attribute-discard';
  /** Attribute type code concerned, when one is. */
  attrCode?: number;
  reason: string;
}

export type DecodeResult<M extends BgpMessage = BgpMessage> =
  | {
      ok: true;
      msg: M;
      /** Total bytes consumed (the header's length field). */
      length: number;
      /**
       * RFC 7606 outcomes short of a reset: the UPDATE's routes are withdrawn or attributes dropped.
       * Read only: when there are none it is one list shared by every result (update.ts NO_FINDINGS).
       */
      findings: UpdateFinding[];
    }
  | { ok: false; error: NotifyError; reason: string };
