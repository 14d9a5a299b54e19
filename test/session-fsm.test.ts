// The FSM over every state × event pair (RFC 4271 §8.2.2, RFC 6608 subcodes). The expected table
// below is written from the RFC's text, state by state: each state has its "any other event" row
// and the rows that differ from it. Every pair is asserted: next state and the key actions in order
// (timers are checked by the targeted tests further down).
import test from 'ava';
import { fsmConfig, initialState, step, OPEN_HOLD_MS } from '../src/bgp/session/fsm.js';
import { buildOpen } from '../src/bgp/session/negotiate.js';
import type { FsmStateName, SessionAction, SessionEvent, SessionEventType, SessionState } from '../src/bgp/session/types.js';
import { as4cap, mp, peerConfig, remoteOpen } from './session-fixtures.js';
import type { PeerConfig } from '../src/bgp/session/types.js';

const notif = (code: number, subcode: number, data = '') => ({ type: 'NOTIFICATION' as const, code, subcode, data });

const EVENTS: Record<SessionEventType, SessionEvent> = {
  ManualStart: { type: 'ManualStart' },
  ManualStop: { type: 'ManualStop' },
  AutomaticStart: { type: 'AutomaticStart' },
  ManualStart_with_PassiveTcpEstablishment: { type: 'ManualStart_with_PassiveTcpEstablishment' },
  AutomaticStart_with_PassiveTcpEstablishment: { type: 'AutomaticStart_with_PassiveTcpEstablishment' },
  AutomaticStop: { type: 'AutomaticStop', notification: { code: 6, subcode: 1, data: '' }, reason: 'max prefix' },
  ConnectRetryTimer_Expires: { type: 'ConnectRetryTimer_Expires' },
  HoldTimer_Expires: { type: 'HoldTimer_Expires' },
  KeepaliveTimer_Expires: { type: 'KeepaliveTimer_Expires' },
  IdleHoldTimer_Expires: { type: 'IdleHoldTimer_Expires' },
  Tcp_CR_Acked: { type: 'Tcp_CR_Acked' },
  TcpConnectionConfirmed: { type: 'TcpConnectionConfirmed' },
  TcpConnectionFails: { type: 'TcpConnectionFails', reason: 'reset' },
  BGPOpen: { type: 'BGPOpen', open: remoteOpen([mp(1), mp(2), as4cap(65002)]) },
  BGPHeaderErr: { type: 'BGPHeaderErr', error: { code: 1, subcode: 2, data: '0001' }, reason: 'bad length' },
  BGPOpenMsgErr: { type: 'BGPOpenMsgErr', error: { code: 2, subcode: 4, data: '' }, reason: 'bad param' },
  OpenCollisionDump: { type: 'OpenCollisionDump' },
  NotifMsgVerErr: { type: 'NotifMsgVerErr', msg: notif(2, 1, '0004') },
  NotifMsg: { type: 'NotifMsg', msg: notif(6, 2) },
  KeepAliveMsg: { type: 'KeepAliveMsg' },
  UpdateMsg: { type: 'UpdateMsg', msg: { type: 'UPDATE', withdrawn: [{ prefix: '10.0.0.0/8' }], attributes: [], nlri: [] }, findings: [] },
  UpdateMsgErr: { type: 'UpdateMsgErr', error: { code: 3, subcode: 1, data: '' }, reason: 'malformed' },
  RouteRefreshMsg: { type: 'RouteRefreshMsg', msg: { type: 'ROUTE_REFRESH', afi: 1, subtype: 0, safi: 1 } },
};

/** The actions that matter for the protocol, compactly: timers are left out here. */
function key(actions: SessionAction[]): string[] {
  return actions.flatMap((a): string[] => {
    switch (a.type) {
      case 'send-notification':
        return [`notify ${a.error.code}/${a.error.subcode}`];
      case 'send-open':
        return ['open'];
      case 'send-keepalive':
        return ['keepalive'];
      case 'deliver-update':
        return ['update'];
      case 'deliver-route-refresh':
        return ['route-refresh'];
      case 'start-timer':
      case 'stop-timer':
        return [];
      default:
        return [a.type];
    }
  });
}

type Row = [FsmStateName, string[]];
type Table = { other: Row } & Partial<Record<SessionEventType, Row>>;

const STARTS = ['ManualStart', 'AutomaticStart', 'ManualStart_with_PassiveTcpEstablishment', 'AutomaticStart_with_PassiveTcpEstablishment'] as const;
const same = (state: FsmStateName): Partial<Record<SessionEventType, Row>> =>
  Object.fromEntries(STARTS.map((e) => [e, [state, []]]));

const EXPECTED: Record<FsmStateName, Table> = {
  // §8.2.2 Idle: only the start events do anything; "any other event … does not cause change".
  Idle: {
    other: ['Idle', []],
    ManualStart: ['Connect', ['connect']],
    AutomaticStart: ['Connect', ['connect']],
    ManualStart_with_PassiveTcpEstablishment: ['Active', []],
    AutomaticStart_with_PassiveTcpEstablishment: ['Active', []],
  },
  // §8.2.2 Connect: no OPEN sent yet, so errors drop the attempt without a NOTIFICATION.
  Connect: {
    other: ['Idle', ['drop']],
    ...same('Connect'),
    ManualStop: ['Idle', ['drop']],
    ConnectRetryTimer_Expires: ['Connect', ['drop', 'connect']],
    Tcp_CR_Acked: ['OpenSent', ['open']],
    TcpConnectionConfirmed: ['OpenSent', ['open']],
    TcpConnectionFails: ['Active', ['drop']],
  },
  Active: {
    other: ['Idle', ['drop']],
    ...same('Active'),
    ManualStop: ['Idle', ['drop']],
    ConnectRetryTimer_Expires: ['Connect', ['connect']],
    Tcp_CR_Acked: ['OpenSent', ['open']],
    TcpConnectionConfirmed: ['OpenSent', ['open']],
  },
  // §8.2.2 OpenSent; RFC 6608: unexpected messages are 5/1.
  OpenSent: {
    other: ['Idle', ['notify 5/1', 'drop']],
    ...same('OpenSent'),
    ManualStop: ['Idle', ['notify 6/2', 'drop']],
    AutomaticStop: ['Idle', ['notify 6/1', 'drop']],
    HoldTimer_Expires: ['Idle', ['notify 4/0', 'drop']],
    ConnectRetryTimer_Expires: ['Idle', ['notify 5/0', 'drop']],
    KeepaliveTimer_Expires: ['Idle', ['notify 5/0', 'drop']],
    IdleHoldTimer_Expires: ['Idle', ['notify 5/0', 'drop']],
    Tcp_CR_Acked: ['OpenSent', []],
    TcpConnectionConfirmed: ['OpenSent', []],
    TcpConnectionFails: ['Active', ['drop']],
    BGPOpen: ['OpenConfirm', ['keepalive']],
    BGPHeaderErr: ['Idle', ['notify 1/2', 'drop']],
    BGPOpenMsgErr: ['Idle', ['notify 2/4', 'drop']],
    OpenCollisionDump: ['Idle', ['notify 6/7', 'drop']],
    NotifMsgVerErr: ['Idle', ['drop']],
    NotifMsg: ['Idle', ['drop']],
  },
  // §8.2.2 OpenConfirm; RFC 6608: unexpected messages (an OPEN too) are 5/2.
  OpenConfirm: {
    other: ['Idle', ['notify 5/2', 'drop']],
    ...same('OpenConfirm'),
    ManualStop: ['Idle', ['notify 6/2', 'drop']],
    AutomaticStop: ['Idle', ['notify 6/1', 'drop']],
    HoldTimer_Expires: ['Idle', ['notify 4/0', 'drop']],
    KeepaliveTimer_Expires: ['OpenConfirm', ['keepalive']],
    ConnectRetryTimer_Expires: ['Idle', ['notify 5/0', 'drop']],
    IdleHoldTimer_Expires: ['Idle', ['notify 5/0', 'drop']],
    Tcp_CR_Acked: ['OpenConfirm', []],
    TcpConnectionConfirmed: ['OpenConfirm', []],
    TcpConnectionFails: ['Idle', ['drop']],
    BGPHeaderErr: ['Idle', ['notify 1/2', 'drop']],
    BGPOpenMsgErr: ['Idle', ['notify 2/4', 'drop']],
    OpenCollisionDump: ['Idle', ['notify 6/7', 'drop']],
    NotifMsgVerErr: ['Idle', ['drop']],
    NotifMsg: ['Idle', ['drop']],
    KeepAliveMsg: ['Established', ['established']],
  },
  // §8.2.2 Established; RFC 6608: unexpected messages are 5/3. Leaving reports 'down'.
  Established: {
    other: ['Idle', ['notify 5/3', 'drop', 'down']],
    ...same('Established'),
    ManualStop: ['Idle', ['notify 6/2', 'drop', 'down']],
    AutomaticStop: ['Idle', ['notify 6/1', 'drop', 'down']],
    HoldTimer_Expires: ['Idle', ['notify 4/0', 'drop', 'down']],
    KeepaliveTimer_Expires: ['Established', ['keepalive']],
    ConnectRetryTimer_Expires: ['Idle', ['notify 5/0', 'drop', 'down']],
    IdleHoldTimer_Expires: ['Idle', ['notify 5/0', 'drop', 'down']],
    Tcp_CR_Acked: ['Established', []],
    TcpConnectionConfirmed: ['Established', []],
    TcpConnectionFails: ['Idle', ['drop', 'down']],
    BGPHeaderErr: ['Idle', ['notify 1/2', 'drop', 'down']],
    OpenCollisionDump: ['Idle', ['notify 6/7', 'drop', 'down']],
    NotifMsgVerErr: ['Idle', ['drop', 'down']],
    NotifMsg: ['Idle', ['drop', 'down']],
    KeepAliveMsg: ['Established', []],
    UpdateMsg: ['Established', ['update']],
    UpdateMsgErr: ['Idle', ['notify 3/1', 'drop', 'down']],
    RouteRefreshMsg: ['Established', ['route-refresh']],
  },
};

function cfgFor(p: Partial<PeerConfig> = {}) {
  const peer = peerConfig(p);
  return fsmConfig(peer, buildOpen(peer));
}

function run(s: SessionState, ...events: SessionEvent[]): SessionState {
  for (const e of events) s = step(s, e).state;
  return s;
}

/** A state of each name, reached through the FSM itself. */
function stateNamed(name: FsmStateName, p: Partial<PeerConfig> = {}): SessionState {
  const idle = initialState(cfgFor(p), 7);
  const paths: Record<FsmStateName, SessionEvent[]> = {
    Idle: [],
    Connect: [EVENTS.ManualStart],
    Active: [EVENTS.ManualStart_with_PassiveTcpEstablishment],
    OpenSent: [EVENTS.ManualStart, EVENTS.Tcp_CR_Acked],
    OpenConfirm: [EVENTS.ManualStart, EVENTS.Tcp_CR_Acked, EVENTS.BGPOpen],
    Established: [EVENTS.ManualStart, EVENTS.Tcp_CR_Acked, EVENTS.BGPOpen, EVENTS.KeepAliveMsg],
  };
  const s = run(idle, ...paths[name]);
  if (s.name !== name) throw new Error(`could not reach ${name}`);
  return s;
}

const STATES: FsmStateName[] = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];

for (const name of STATES) {
  for (const ev of Object.keys(EVENTS) as SessionEventType[]) {
    test(`${name} × ${ev}`, (t) => {
      const [next, actions] = EXPECTED[name][ev] ?? EXPECTED[name].other;
      const r = step(stateNamed(name), EVENTS[ev]);
      t.is(r.state.name, next);
      t.deepEqual(key(r.actions), actions);
    });
  }
}

test('the table names all 23 events', (t) => {
  t.is(Object.keys(EVENTS).length, 23);
});

const timers = (actions: SessionAction[]) =>
  actions.filter((a) => a.type === 'start-timer' || a.type === 'stop-timer').map((a) => (a.type === 'start-timer' ? `start ${a.timer}` : `stop ${a.timer}`));

test('step is pure: the input state is untouched and a replay gives the same result', (t) => {
  const s = stateNamed('OpenSent');
  const before = structuredClone(s);
  const a = step(s, EVENTS.BGPOpen);
  const b = step(s, EVENTS.BGPOpen);
  t.deepEqual(s, before);
  t.deepEqual(a, b);
});

test('OpenSent: hold timer of four minutes, connect-retry stopped', (t) => {
  const r = step(stateNamed('Connect'), EVENTS.Tcp_CR_Acked);
  t.deepEqual(r.actions.find((a) => a.type === 'start-timer'), { type: 'start-timer', timer: 'hold', ms: OPEN_HOLD_MS });
  t.true(timers(r.actions).includes('stop connectRetry'));
});

test('OpenConfirm: negotiated hold time, jittered keepalive at a third', (t) => {
  const r = step(stateNamed('OpenSent', { holdTime: 30 }), { type: 'BGPOpen', open: remoteOpen([mp(1)], { holdTime: 60 }) });
  const hold = r.actions.find((a) => a.type === 'start-timer' && a.timer === 'hold');
  const ka = r.actions.find((a) => a.type === 'start-timer' && a.timer === 'keepalive');
  t.deepEqual(hold, { type: 'start-timer', timer: 'hold', ms: 30_000 });
  t.true(ka?.type === 'start-timer' && ka.ms >= 7_500 && ka.ms <= 10_000);
  t.is(r.state.negotiated?.holdTime, 30);
});

test('hold time 0: no keepalive timer and the hold timer is stopped', (t) => {
  const r = step(stateNamed('OpenSent'), { type: 'BGPOpen', open: remoteOpen([mp(1)], { holdTime: 0 }) });
  t.is(r.state.name, 'OpenConfirm');
  t.deepEqual(timers(r.actions), ['stop connectRetry', 'stop hold']);
  const est = step(r.state, EVENTS.KeepAliveMsg);
  t.deepEqual(timers(est.actions), []);
  t.deepEqual(timers(step(est.state, EVENTS.UpdateMsg).actions), []);
});

test('Established restarts the hold timer on KEEPALIVE, UPDATE and ROUTE-REFRESH', (t) => {
  const s = stateNamed('Established');
  for (const e of [EVENTS.KeepAliveMsg, EVENTS.UpdateMsg, EVENTS.RouteRefreshMsg]) {
    t.deepEqual(step(s, e).actions.find((a) => a.type === 'start-timer'), { type: 'start-timer', timer: 'hold', ms: 90_000 });
  }
});

test('a peer OPEN that fails negotiation gets its NOTIFICATION (Bad Peer AS)', (t) => {
  const r = step(stateNamed('OpenSent'), { type: 'BGPOpen', open: remoteOpen([mp(1)], { myAs: 65009 }) });
  t.is(r.state.name, 'Idle');
  t.deepEqual(key(r.actions), ['notify 2/2', 'drop']);
});

test('ConnectRetryCounter: ManualStop zeroes it, errors add one, a version error keeps it', (t) => {
  const s = { ...stateNamed('OpenSent'), connectRetryCounter: 3 };
  t.is(step(s, EVENTS.ManualStop).state.connectRetryCounter, 0);
  t.is(step(s, EVENTS.HoldTimer_Expires).state.connectRetryCounter, 4);
  t.is(step(s, EVENTS.NotifMsgVerErr).state.connectRetryCounter, 3);
});

test('ManualStop sends the given Cease and does not restart', (t) => {
  const notification = { code: 6, subcode: 2, data: '056d61696e74' };
  const r = step(stateNamed('Established'), { type: 'ManualStop', notification });
  t.deepEqual(r.actions[0], { type: 'send-notification', error: notification });
  t.false(r.state.autoRestart);
  t.false(timers(r.actions).includes('start idleHold'));
  t.is(step(r.state, EVENTS.IdleHoldTimer_Expires).state.name, 'Idle');
});

test('after a failure Idle restarts itself through the idle-hold timer', (t) => {
  const down = step(stateNamed('Established'), EVENTS.HoldTimer_Expires);
  t.true(timers(down.actions).includes('start idleHold'));
  const r = step(down.state, EVENTS.IdleHoldTimer_Expires);
  t.is(r.state.name, 'Connect');
  t.deepEqual(key(r.actions), ['connect']);
  const passive = step(step(stateNamed('Established', { passive: true }), EVENTS.HoldTimer_Expires).state, EVENTS.IdleHoldTimer_Expires);
  t.is(passive.state.name, 'Active');
  t.deepEqual(passive.actions, [{ type: 'stop-timer', timer: 'idleHold' }]);
});

test('a passive neighbour never connects out', (t) => {
  const s = step(initialState(cfgFor({ passive: true })), EVENTS.ManualStart_with_PassiveTcpEstablishment).state;
  t.is(s.name, 'Active');
  const r = step(s, EVENTS.ConnectRetryTimer_Expires);
  t.is(r.state.name, 'Active');
  t.deepEqual(r.actions, []);
});

test('refused connections back off exponentially from the connect-retry time', (t) => {
  let s = stateNamed('Connect', { connectRetry: 5 });
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    const failed = step(s, EVENTS.TcpConnectionFails);
    const timer = failed.actions.find((a) => a.type === 'start-timer');
    if (timer?.type !== 'start-timer') throw new Error('no retry timer');
    delays.push(timer.ms);
    s = step(failed.state, EVENTS.ConnectRetryTimer_Expires).state;
  }
  const nominal = [10, 20, 40, 80, 120, 120, 120, 120].map((x) => x * 1000);
  delays.forEach((d, i) => t.true(d >= nominal[i]! * 0.75 && d <= nominal[i]! * 1.25, `retry ${i}: ${d}`));
  t.is(step(stateNamed('Established'), EVENTS.KeepAliveMsg).state.attempt, 0);
});

test('graceful restart: routes kept stale when the TCP session dies, not on a NOTIFICATION', (t) => {
  const grOpen = remoteOpen([mp(1), { code: 64, name: 'GRACEFUL_RESTART', value: { restarting: false, notification: false, restartTime: 100, families: [{ afi: 1, safi: 1, forwardingPreserved: true }] } }]);
  const est = run(stateNamed('OpenSent'), { type: 'BGPOpen', open: grOpen }, EVENTS.KeepAliveMsg);
  const tcp = step(est, EVENTS.TcpConnectionFails).actions.find((a) => a.type === 'down');
  t.deepEqual(tcp?.type === 'down' && [tcp.info.keepStale, tcp.info.restartTime], [true, 100]);
  const notified = step(est, EVENTS.NotifMsg).actions.find((a) => a.type === 'down');
  t.true(notified?.type === 'down' && !notified.info.keepStale && notified.info.notificationReceived?.subcode === 2);
  const plain = step(stateNamed('Established'), EVENTS.TcpConnectionFails).actions.find((a) => a.type === 'down');
  t.true(plain?.type === 'down' && !plain.info.keepStale);
});

test('ROUTE-REFRESH for a family not negotiated, or BoRR without enhanced refresh, is ignored', (t) => {
  const s = stateNamed('Established', { families: ['ipv4'] });
  const rr = (afi: number, subtype: number) => step(s, { type: 'RouteRefreshMsg', msg: { type: 'ROUTE_REFRESH', afi, subtype, safi: 1 } });
  t.deepEqual(key(rr(2, 0).actions), []);
  t.deepEqual(key(rr(1, 1).actions), []);
  t.deepEqual(key(rr(1, 0).actions), ['route-refresh']);
});
