// Session types: the FSM's state, events and actions (RFC 4271 §8) and the outcome of OPEN
// negotiation. Plain data; the FSM is a pure function over them and the runner
// (transport.ts) turns actions into socket writes and timers.

import type {
  CodecContext,
  NotificationMessage,
  NotifyError,
  OpenMessage,
  RouteRefreshMessage,
  UpdateFinding,
  UpdateMessage,
} from '../wire/types.js';
import type { Family, NeighborConfig } from '../../config/types.js';

/** RFC 4271 §8.2.2 states. */
export type FsmStateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** What negotiation and OPEN building read: one neighbour plus the speaker's own identity. */
export type PeerConfig = NeighborConfig & { localAs: number; routerId: string };

/** The FSM's configuration snapshot, fixed for the life of a session. */
export interface FsmConfig {
  peer: PeerConfig;
  /** The OPEN we send (buildOpen's output). */
  localOpen: OpenMessage;
  /** Upper bound of the connect-retry and idle-hold backoff, seconds. */
  backoffCapSeconds: number;
  /** First idle-hold delay after a session failure, seconds (doubles per consecutive failure). */
  idleHoldSeconds: number;
}

export interface SessionState {
  name: FsmStateName;
  cfg: FsmConfig;
  /** RFC 4271 §8.1.1 ConnectRetryCounter. */
  connectRetryCounter: number;
  /** Consecutive failures since the last Established or manual start: the backoff exponent. */
  attempt: number;
  /** xorshift32 state for timer jitter, so that step stays pure and replayable. */
  rng: number;
  /** After ManualStop the session waits for a manual start; otherwise Idle restarts itself. */
  autoRestart: boolean;
  /** Set from the peer's OPEN (OpenConfirm) and kept through Established. */
  negotiated?: Negotiated;
}

/** RFC 4271 §8.1 events (numbers in comments), plus ROUTE-REFRESH (RFC 2918). */
export type SessionEvent =
  | { type: 'ManualStart' } // 1
  | { type: 'ManualStop'; notification?: NotifyError } // 2; default Cease/Administrative Shutdown
  | { type: 'AutomaticStart' } // 3
  | { type: 'ManualStart_with_PassiveTcpEstablishment' } // 4
  | { type: 'AutomaticStart_with_PassiveTcpEstablishment' } // 5
  | { type: 'AutomaticStop'; notification: NotifyError; reason: string } // 8 (max-prefix, config change)
  | { type: 'ConnectRetryTimer_Expires' } // 9
  | { type: 'HoldTimer_Expires' } // 10
  | { type: 'KeepaliveTimer_Expires' } // 11
  | { type: 'IdleHoldTimer_Expires' } // 13
  | { type: 'Tcp_CR_Acked' } // 16: our outbound connection is up
  | { type: 'TcpConnectionConfirmed' } // 17: an inbound connection was accepted
  | { type: 'TcpConnectionFails'; reason: string } // 18
  | { type: 'BGPOpen'; open: OpenMessage } // 19
  | { type: 'BGPHeaderErr'; error: NotifyError; reason: string } // 21
  | { type: 'BGPOpenMsgErr'; error: NotifyError; reason: string } // 22
  | { type: 'OpenCollisionDump' } // 23
  | { type: 'NotifMsgVerErr'; msg: NotificationMessage } // 24
  | { type: 'NotifMsg'; msg: NotificationMessage } // 25
  | { type: 'KeepAliveMsg' } // 26
  | { type: 'UpdateMsg'; msg: UpdateMessage; findings: UpdateFinding[] } // 27
  | { type: 'UpdateMsgErr'; error: NotifyError; reason: string } // 28
  | { type: 'RouteRefreshMsg'; msg: RouteRefreshMessage };

export type SessionEventType = SessionEvent['type'];

export type TimerName = 'connectRetry' | 'hold' | 'keepalive' | 'idleHold';

/** Why a session left Established, for the RIB and logs. */
export interface DownInfo {
  reason: string;
  /** RFC 4724 §4.2: the peer is graceful-restart capable and the TCP session died: keep its routes stale. */
  keepStale: boolean;
  /** Seconds the stale routes may be kept (the peer's restart time) when keepStale. */
  restartTime: number;
  notificationSent?: NotifyError;
  notificationReceived?: NotificationMessage;
}

export type SessionAction =
  | { type: 'send-open'; open: OpenMessage }
  | { type: 'send-keepalive' }
  | { type: 'send-notification'; error: NotifyError }
  /** Start, or restart when running. */
  | { type: 'start-timer'; timer: TimerName; ms: number }
  | { type: 'stop-timer'; timer: TimerName }
  | { type: 'connect' }
  | { type: 'drop' }
  | { type: 'deliver-update'; msg: UpdateMessage; findings: UpdateFinding[] }
  | { type: 'deliver-route-refresh'; msg: RouteRefreshMessage }
  | { type: 'established'; negotiated: Negotiated }
  | { type: 'down'; info: DownInfo };

export interface StepResult {
  state: SessionState;
  actions: SessionAction[];
}

/** The peer's graceful-restart capability (RFC 4724 §3): routed acts as helper. */
export interface PeerGracefulRestart {
  restartTime: number;
  /** R bit: the peer has just restarted. */
  restarting: boolean;
  families: { family: Family; forwardingPreserved: boolean }[];
}

/** What both OPENs agreed on. */
export interface Negotiated {
  peerAs: number;
  peerId: string;
  ibgp: boolean;
  /** Seconds; 0 = no hold timer and no keepalives. */
  holdTime: number;
  keepalive: number;
  as4: boolean;
  families: Family[];
  routeRefresh: boolean;
  enhancedRouteRefresh: boolean;
  /** RFC 7911 §4: per family, the directions in which path identifiers are carried. */
  addPath: { receive: Family[]; send: Family[] };
  extendedMessage: boolean;
  /** Present when the peer advertised graceful restart. */
  gracefulRestart?: PeerGracefulRestart;
  /** RFC 8950: <afi, safi, next-hop afi> tuples both sides advertised. */
  extendedNextHop: { afi: number; safi: number; nextHopAfi: number }[];
  /** FQDN capability host name, when sent. */
  peerHostname?: string;
  /** Codec contexts: for decoding what the peer sends, and for encoding what we send. */
  recvCtx: CodecContext;
  sendCtx: CodecContext;
  peerOpen: OpenMessage;
}
