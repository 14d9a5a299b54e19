// The BGP finite state machine (RFC 4271 §8.2.2) as a pure function: state and event in, next
// state and actions out. One table per state names each event's handler; an event a table does
// not name takes the state's "any other event" row. Options not implemented: DelayOpen,
// SendNOTIFICATIONwithoutOPEN, DampPeerOscillations (the idle-hold backoff does its job),
// CollisionDetectEstablishedState (the runner resolves collisions across connections, §6.8).
//
// Departures from the RFC's text, each for a reason given where it happens:
// - Connect + TcpConnectionFails goes to Active with the ConnectRetryTimer running (the RFC's
//   DelayOpen branch, as FRR does), so refused connections are paced by the retry backoff.
// - A received NOTIFICATION is never answered with one: the peer closes right after sending it.
// - Unexpected local timer events send FSM Error / Unspecified (5/0); unexpected messages send
//   5/1, 5/2, 5/3 per RFC 6608 §4.

import { CEASE_SUB, ERR, type NotificationMessage, type NotifyError } from '../wire/index.js';
import { backoffMs, keepaliveJitterMs, nextRandom, BACKOFF_CAP_SECONDS } from './backoff.js';
import { familyOf, negotiate } from './negotiate.js';
import type {
  FsmConfig,
  FsmStateName,
  SessionAction,
  SessionEvent,
  SessionEventType,
  SessionState,
  StepResult,
  TimerName,
} from './types.js';

/** RFC 4271 §8.2.2: the HoldTimer in OpenSent is "set to a large value … 4 minutes". */
export const OPEN_HOLD_MS = 240_000;
/** BIRD's `startup hold time`: the neighbour's own value for that large value, when configured. */
const openHoldMs = (s: SessionState): number => (s.cfg.peer.startupHoldTime !== undefined ? s.cfg.peer.startupHoldTime * 1000 : OPEN_HOLD_MS);
/** Default first idle-hold delay after a failed session, seconds (FRR's start timer). */
export const IDLE_HOLD_SECONDS = 1;

export function fsmConfig(peer: FsmConfig['peer'], localOpen: FsmConfig['localOpen'], p: Partial<FsmConfig> = {}): FsmConfig {
  return { peer, localOpen, backoffCapSeconds: BACKOFF_CAP_SECONDS, idleHoldSeconds: IDLE_HOLD_SECONDS, ...p };
}

export function initialState(cfg: FsmConfig, seed = 0x2545f491): SessionState {
  return { name: 'Idle', cfg, connectRetryCounter: 0, attempt: 0, rng: seed >>> 0 || 1, autoRestart: false };
}

const notify = (code: number, subcode: number, data = ''): NotifyError => ({ code, subcode, data });
const HOLD_EXPIRED = notify(ERR.HOLD_TIMER, 0);
const COLLISION = notify(ERR.CEASE, CEASE_SUB.COLLISION);
const ADMIN_SHUTDOWN = notify(ERR.CEASE, CEASE_SUB.ADMIN_SHUTDOWN);
/** RFC 6608 §3 subcodes of Finite State Machine Error. */
const FSM_UNSPECIFIED = notify(ERR.FSM, 0);
const UNEXPECTED_IN: Partial<Record<FsmStateName, NotifyError>> = {
  OpenSent: notify(ERR.FSM, 1),
  OpenConfirm: notify(ERR.FSM, 2),
  Established: notify(ERR.FSM, 3),
};

const SESSION_TIMERS: TimerName[] = ['connectRetry', 'hold', 'keepalive'];
const stopTimer = (timer: TimerName): SessionAction => ({ type: 'stop-timer', timer });
const startTimer = (timer: TimerName, ms: number): SessionAction => ({ type: 'start-timer', timer, ms });

function random(s: SessionState): [number, SessionState] {
  const r = nextRandom(s.rng);
  return [r.value, { ...s, rng: r.seed }];
}

/** ConnectRetryTimer with backoff; none for a passive neighbour, which never connects out. */
function connectRetryTimer(s: SessionState): [SessionAction[], SessionState] {
  if (s.cfg.peer.passive) return [[], s];
  const [r, next] = random(s);
  return [[startTimer('connectRetry', backoffMs(s.attempt, s.cfg.peer.connectRetry, s.cfg.backoffCapSeconds, r))], next];
}

function keepaliveTimer(s: SessionState, seconds: number): [SessionAction[], SessionState] {
  if (seconds === 0) return [[], s];
  const [r, next] = random(s);
  return [[startTimer('keepalive', keepaliveJitterMs(seconds, r))], next];
}

interface IdleCause {
  reason: string;
  /** NOTIFICATION we send before dropping the connection. */
  send?: NotifyError;
  received?: NotificationMessage;
  /** RFC 4271 ConnectRetryCounter: ManualStop zeroes it, version errors keep it, the rest add one. */
  counter: 'increment' | 'zero' | 'keep';
  /** The TCP session died under us: a graceful-restart peer's routes are kept stale (RFC 4724 §4.2). */
  tcpFailure?: boolean;
}

/** Leave for Idle: notify, stop timers, drop the connection, report a lost session, schedule a restart. */
function toIdle(s: SessionState, cause: IdleCause): StepResult {
  const actions: SessionAction[] = [];
  if (cause.send) actions.push({ type: 'send-notification', error: cause.send });
  actions.push(...SESSION_TIMERS.map(stopTimer), { type: 'drop' });
  const gr = s.negotiated?.gracefulRestart;
  if (s.name === 'Established') {
    const keepStale = !!gr && !!cause.tcpFailure;
    const info = { reason: cause.reason, keepStale, restartTime: keepStale && gr ? gr.restartTime : 0 };
    actions.push({
      type: 'down',
      info: { ...info, ...(cause.send && { notificationSent: cause.send }), ...(cause.received && { notificationReceived: cause.received }) },
    });
  }
  const counter = cause.counter === 'zero' ? 0 : s.connectRetryCounter + (cause.counter === 'increment' ? 1 : 0);
  let next: SessionState = { ...s, name: 'Idle', connectRetryCounter: counter, negotiated: undefined };
  delete next.negotiated;
  if (cause.counter === 'zero') next.autoRestart = false;
  if (next.autoRestart) {
    const [r, seeded] = random(next);
    actions.push(startTimer('idleHold', backoffMs(next.attempt, next.cfg.idleHoldSeconds, next.cfg.backoffCapSeconds, r)));
    next = { ...seeded, attempt: seeded.attempt + 1 };
  }
  return { state: next, actions };
}

const stay = (s: SessionState, actions: SessionAction[] = []): StepResult => ({ state: s, actions });

/** Idle → Connect (connect out) or Active (wait for the peer). */
function start(s: SessionState, passive: boolean, manual: boolean): StepResult {
  const base: SessionState = { ...s, connectRetryCounter: 0, autoRestart: true, attempt: manual ? 0 : s.attempt };
  const [timer, next] = connectRetryTimer(base);
  const actions: SessionAction[] = [stopTimer('idleHold'), ...timer];
  if (passive) return { state: { ...next, name: 'Active' }, actions };
  return { state: { ...next, name: 'Connect' }, actions: [...actions, { type: 'connect' }] };
}

/** RFC 4271 §8.2.2 Connect/Active on Event 16/17: send OPEN and wait up to 4 minutes for the peer's. */
function tcpUp(s: SessionState): StepResult {
  return {
    state: { ...s, name: 'OpenSent' },
    actions: [stopTimer('connectRetry'), { type: 'send-open', open: s.cfg.localOpen }, startTimer('hold', openHoldMs(s))],
  };
}

/** A failed connection attempt: count it, back off, keep listening in Active. */
function retryLater(s: SessionState, dropHold: boolean): StepResult {
  const counted = { ...s, attempt: s.attempt + 1 };
  const [timer, next] = connectRetryTimer(counted);
  const actions: SessionAction[] = [{ type: 'drop' }, ...(dropHold ? [stopTimer('hold')] : []), ...timer];
  return { state: { ...next, name: 'Active' }, actions };
}

function manualStop(s: SessionState, e: { notification?: NotifyError }, sends: boolean): StepResult {
  return toIdle(s, { reason: 'stopped by operator', counter: 'zero', ...(sends && { send: e.notification ?? ADMIN_SHUTDOWN }) });
}

function received(msg: NotificationMessage): string {
  return `NOTIFICATION received: ${msg.code}/${msg.subcode}${msg.shutdownMessage ? ` "${msg.shutdownMessage}"` : ''}`;
}

type Handler<T extends SessionEventType> = (s: SessionState, e: Extract<SessionEvent, { type: T }>) => StepResult;
type StateTable = { [T in SessionEventType]?: Handler<T> } & { other: (s: SessionState, e: SessionEvent) => StepResult };

const ignore = (s: SessionState): StepResult => stay(s);

const IGNORE_STARTS = {
  ManualStart: ignore,
  AutomaticStart: ignore,
  ManualStart_with_PassiveTcpEstablishment: ignore,
  AutomaticStart_with_PassiveTcpEstablishment: ignore,
} as const;

/** Connect and Active share all but a few rows. */
const BEFORE_TCP_COMMON = {
  ...IGNORE_STARTS,
  // No OPEN has been sent, so nothing is said before dropping (SendNOTIFICATIONwithoutOPEN off).
  ManualStop: (s: SessionState) => manualStop(s, {}, false),
  Tcp_CR_Acked: tcpUp,
  TcpConnectionConfirmed: tcpUp,
  NotifMsgVerErr: (s: SessionState) => toIdle(s, { reason: 'version error from peer', counter: 'keep' }),
  other: (s: SessionState, e: SessionEvent) => toIdle(s, { reason: `${e.type} in ${s.name}`, counter: 'increment' }),
} satisfies Partial<StateTable>;

/** OpenSent, OpenConfirm and Established share their error rows. */
function afterOpenCommon(state: 'OpenSent' | 'OpenConfirm' | 'Established') {
  const unexpected = UNEXPECTED_IN[state]!;
  return {
    ...IGNORE_STARTS,
    ManualStop: (s: SessionState, e: { notification?: NotifyError }) => manualStop(s, e, true),
    AutomaticStop: (s: SessionState, e: { notification: NotifyError; reason: string }) =>
      toIdle(s, { reason: e.reason, send: e.notification, counter: 'increment' }),
    HoldTimer_Expires: (s: SessionState) => toIdle(s, { reason: 'hold timer expired', send: HOLD_EXPIRED, counter: 'increment' }),
    // A second connection is tracked by the runner for collision detection (§6.8).
    Tcp_CR_Acked: ignore,
    TcpConnectionConfirmed: ignore,
    BGPHeaderErr: (s: SessionState, e: { error: NotifyError; reason: string }) =>
      toIdle(s, { reason: e.reason, send: e.error, counter: 'increment' }),
    OpenCollisionDump: (s: SessionState) => toIdle(s, { reason: 'connection collision', send: COLLISION, counter: 'increment' }),
    NotifMsgVerErr: (s: SessionState, e: { msg: NotificationMessage }) =>
      toIdle(s, { reason: received(e.msg), received: e.msg, counter: state === 'Established' ? 'increment' : 'keep' }),
    NotifMsg: (s: SessionState, e: { msg: NotificationMessage }) => toIdle(s, { reason: received(e.msg), received: e.msg, counter: 'increment' }),
    other: (s: SessionState, e: SessionEvent) =>
      toIdle(s, { reason: `unexpected ${e.type} in ${s.name}`, send: e.type.endsWith('_Expires') ? FSM_UNSPECIFIED : unexpected, counter: 'increment' }),
  };
}

function keepaliveTick(s: SessionState): StepResult {
  const [timer, next] = keepaliveTimer(s, s.negotiated?.keepalive ?? 0);
  return stay(next, [{ type: 'send-keepalive' }, ...timer]);
}

/** The HoldTimer a message received in Established restarts, in ms; 0 when the negotiated hold time is zero (no timer). */
export function holdRestartMs(s: SessionState): number {
  return (s.negotiated?.holdTime ?? 0) * 1000;
}

function restartHold(s: SessionState): SessionAction[] {
  const ms = holdRestartMs(s);
  return ms > 0 ? [startTimer('hold', ms)] : [];
}

function openReceived(s: SessionState, e: Extract<SessionEvent, { type: 'BGPOpen' }>): StepResult {
  const result = negotiate(s.cfg.localOpen, e.open, s.cfg.peer);
  if (!result.ok) return toIdle(s, { reason: result.reason, send: result.error, counter: 'increment' });
  const n = result.negotiated;
  const withN: SessionState = { ...s, name: 'OpenConfirm', negotiated: n };
  const [keepalive, next] = keepaliveTimer(withN, n.keepalive);
  // RFC 4271 §8.2.2: a negotiated hold time of zero runs neither the HoldTimer nor the KeepaliveTimer.
  const hold = n.holdTime > 0 ? startTimer('hold', n.holdTime * 1000) : stopTimer('hold');
  return { state: next, actions: [stopTimer('connectRetry'), { type: 'send-keepalive' }, ...keepalive, hold] };
}

function established(s: SessionState): StepResult {
  const n = s.negotiated!;
  return { state: { ...s, name: 'Established', attempt: 0 }, actions: [...restartHold(s), { type: 'established', negotiated: n }] };
}

function routeRefresh(s: SessionState, e: Extract<SessionEvent, { type: 'RouteRefreshMsg' }>): StepResult {
  const n = s.negotiated!;
  const family = familyOf(e.msg.afi, e.msg.safi);
  // RFC 2918 §4: a request for a family not negotiated is ignored. RFC 7313 §5: unknown
  // subtypes are ignored, and BoRR/EoRR mean nothing without enhanced route refresh.
  const wanted = family !== undefined && n.families.includes(family) && (e.msg.subtype === 0 || (e.msg.subtype <= 2 && n.enhancedRouteRefresh));
  return stay(s, [...restartHold(s), ...(wanted ? [{ type: 'deliver-route-refresh' as const, msg: e.msg }] : [])]);
}

const TABLES: Record<FsmStateName, StateTable> = {
  Idle: {
    ManualStart: (s) => start(s, false, true),
    AutomaticStart: (s) => start(s, false, false),
    ManualStart_with_PassiveTcpEstablishment: (s) => start(s, true, true),
    AutomaticStart_with_PassiveTcpEstablishment: (s) => start(s, true, false),
    // RFC 4271 §8.1.2 Event 13: the back-off period is over; restart as configured.
    IdleHoldTimer_Expires: (s) => (s.autoRestart ? start(s, s.cfg.peer.passive, false) : ignore(s)),
    // RFC 4271 §8.2.2: any other event in Idle changes nothing.
    other: ignore,
  },
  Connect: {
    ...BEFORE_TCP_COMMON,
    ConnectRetryTimer_Expires: (s) => {
      const counted = { ...s, attempt: s.attempt + 1 };
      const [timer, next] = connectRetryTimer(counted);
      return stay(next, [{ type: 'drop' }, ...timer, { type: 'connect' }]);
    },
    TcpConnectionFails: (s) => retryLater(s, false),
  },
  Active: {
    ...BEFORE_TCP_COMMON,
    // A passive neighbour never connects out, so a stray retry timer changes nothing.
    ConnectRetryTimer_Expires: (s) => {
      if (s.cfg.peer.passive) return ignore(s);
      const [timer, next] = connectRetryTimer(s);
      return { state: { ...next, name: 'Connect' }, actions: [...timer, { type: 'connect' }] };
    },
  },
  OpenSent: {
    ...afterOpenCommon('OpenSent'),
    TcpConnectionFails: (s) => retryLater(s, true),
    BGPOpen: openReceived,
    BGPOpenMsgErr: (s, e) => toIdle(s, { reason: e.reason, send: e.error, counter: 'increment' }),
  },
  OpenConfirm: {
    ...afterOpenCommon('OpenConfirm'),
    KeepaliveTimer_Expires: keepaliveTick,
    TcpConnectionFails: (s, e) => toIdle(s, { reason: e.reason, counter: 'increment' }),
    BGPOpenMsgErr: (s, e) => toIdle(s, { reason: e.reason, send: e.error, counter: 'increment' }),
    KeepAliveMsg: established,
  },
  Established: {
    ...afterOpenCommon('Established'),
    KeepaliveTimer_Expires: keepaliveTick,
    TcpConnectionFails: (s, e) => toIdle(s, { reason: e.reason, counter: 'increment', tcpFailure: true }),
    KeepAliveMsg: (s) => stay(s, restartHold(s)),
    // The runner applies this row itself for the primary connection (Session.updateFrom): keep the two alike.
    UpdateMsg: (s, e) => stay(s, [...restartHold(s), { type: 'deliver-update', msg: e.msg, findings: e.findings }]),
    UpdateMsgErr: (s, e) => toIdle(s, { reason: e.reason, send: e.error, counter: 'increment' }),
    RouteRefreshMsg: routeRefresh,
  },
};

/** One FSM transition. Pure: the same state and event always give the same result. */
export function step(state: SessionState, event: SessionEvent): StepResult {
  const table = TABLES[state.name];
  const handler = table[event.type] as ((s: SessionState, e: SessionEvent) => StepResult) | undefined;
  return (handler ?? table.other)(state, event);
}
