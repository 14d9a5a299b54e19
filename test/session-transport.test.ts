// The session runner over real sockets on the loopback: two routed sessions establish, exchange
// an UPDATE and a ROUTE-REFRESH and shut down with an RFC 9003 message; a silent peer hits the
// hold timer; simultaneous connects resolve their collision; TCP-MD5 keys that match establish
// and keys that differ never get past the kernel. Sessions use 127.0.0.1 and 127.0.0.2 so that
// each end has its own address, and every listener takes a free port.
import test from 'ava';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Session } from '../src/bgp/session/transport.js';
import { Listener } from '../src/bgp/session/socket.js';
import type { DownInfo, FsmStateName, PeerConfig } from '../src/bgp/session/types.js';
import { checkHeader, CodecError, decodeMessage, encodeMessage, makeContext, type BgpMessage, type UpdateMessage } from '../src/bgp/wire/index.js';
import { mp, peerConfig } from './session-fixtures.js';

const A = '127.0.0.1';
const B = '127.0.0.2';

/** Side A: AS 65001 at 127.0.0.1; side B: AS 65002 at 127.0.0.2. */
function sideA(p: Partial<PeerConfig> = {}): PeerConfig {
  return peerConfig({ address: B, remoteAs: 65002, localAs: 65001, routerId: '10.0.0.1', holdTime: 30, ...p });
}
function sideB(p: Partial<PeerConfig> = {}): PeerConfig {
  return peerConfig({ address: A, remoteAs: 65001, localAs: 65002, routerId: '10.0.0.2', holdTime: 30, localAddress: B, ...p });
}

/** A listener that hands connections from `from` to `session` and refuses the rest. */
async function listen(address: string, from: string, session: () => Session): Promise<Listener> {
  const l = await Listener.open(address, 0);
  l.server.on('connection', (s: net.Socket) => (s.remoteAddress === from ? session().acceptInbound(s) : s.destroy()));
  return l;
}

/** Every state a session passes through. */
function trace(s: Session): FsmStateName[] {
  const seen: FsmStateName[] = [s.state];
  s.on('state', (c) => seen.push(c.to));
  return seen;
}

const UPDATE: UpdateMessage = {
  type: 'UPDATE',
  withdrawn: [],
  attributes: [
    { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' },
    { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: [65002] }] },
    { code: 3, name: 'NEXT_HOP', flags: 0x40, value: B },
  ],
  nlri: [{ prefix: '198.51.100.0/24' }],
};

test('two sessions establish, exchange UPDATE and ROUTE-REFRESH, and shut down with a message', async (t) => {
  const a = new Session({ peer: sideA({ passive: true }), open: { hostname: 'router-a' } });
  const listener = await listen(A, B, () => a);
  const b = new Session({ peer: sideB(), port: listener.port });
  try {
    const established = Promise.all([once(a, 'established'), once(b, 'established')]);
    a.start();
    b.start();
    const [[nA, peerA], [nB]] = await established;
    t.deepEqual(peerA, { address: B, asn: 65002, routerId: '10.0.0.2', ibgp: false, routeReflectorClient: false });
    t.is(nA.peerHostname, undefined);
    t.is(nB.peerHostname, 'router-a');
    t.deepEqual(nB.families, ['ipv4', 'ipv6']);
    t.true(nA.as4 && nA.extendedMessage && nA.routeRefresh && nA.enhancedRouteRefresh);

    const update = once(a, 'update');
    t.true(b.sendMessage(UPDATE));
    const [got, findings] = await update;
    // A received UPDATE is a keyed holder (src/bgp/wire/list-fields.ts): its lists are read, not own fields.
    t.deepEqual(JSON.parse(JSON.stringify(got)), UPDATE);
    t.deepEqual(got.nlri, UPDATE.nlri);
    t.deepEqual(findings, []);

    const refresh = once(b, 'route-refresh');
    t.true(a.sendMessage({ type: 'ROUTE_REFRESH', afi: 1, subtype: 0, safi: 1 }));
    t.deepEqual((await refresh)[0], { type: 'ROUTE_REFRESH', afi: 1, subtype: 0, safi: 1 });

    const downA = once(a, 'down');
    const downB = once(b, 'down');
    b.stop({ message: 'maintenance: back at 14:00' });
    const [infoA] = (await downA) as [DownInfo];
    const [infoB] = (await downB) as [DownInfo];
    t.like(infoA.notificationReceived, { code: 6, subcode: 2, shutdownMessage: 'maintenance: back at 14:00' });
    t.false(infoA.keepStale);
    t.like(infoB.notificationSent, { code: 6, subcode: 2 });
    t.is(b.state, 'Idle');
  } finally {
    a.stop();
    b.stop();
    await listener.close();
  }
});

test('send() reports backpressure and the session emits drain; every UPDATE arrives', async (t) => {
  const a = new Session({ peer: sideA({ passive: true }) });
  const listener = await listen(A, B, () => a);
  const b = new Session({ peer: sideB(), port: listener.port, writableHighWaterMark: 16 * 1024 });
  try {
    const established = Promise.all([once(a, 'established'), once(b, 'established')]);
    a.start();
    b.start();
    const [, [nB]] = await established;
    // 500 UPDATEs back to back in one buffer, as the Adj-RIB-Out hands a batch to send().
    const perBatch = 500;
    const batch = Buffer.concat(Array.from({ length: perBatch }, () => encodeMessage(UPDATE, nB.sendCtx)));
    let received = 0;
    a.on('update', () => received++);
    // Write in one go until the socket says stop: the loopback's buffers fill within a few MB.
    let sent = 0;
    let accepted = true;
    while (accepted) {
      accepted = b.send(batch);
      sent += perBatch;
      if (sent > 2_000_000) throw new Error('no backpressure after 2 million UPDATEs');
    }
    t.false(b.writable);
    await once(b, 'drain');
    t.true(b.writable);
    while (received < sent) await once(a, 'update');
    t.is(received, sent);
  } finally {
    a.stop();
    b.stop();
    await listener.close();
  }
});

/** Messages from a raw socket, as they arrive. */
function messages(socket: net.Socket, onMessage: (m: BgpMessage) => void): void {
  let buf = Buffer.alloc(0);
  const ctx = makeContext({ as4: true });
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const h = checkHeader(buf, 0, ctx);
      if (h instanceof CodecError || buf.length < h.length) return;
      const r = decodeMessage(buf.subarray(0, h.length), ctx);
      buf = buf.subarray(h.length);
      if (r.ok) onMessage(r.msg);
    }
  });
}

test('hold timer: a peer that stops sending keepalives gets Hold Timer Expired (4/0)', async (t) => {
  const server = net.createServer();
  const notification = new Promise<BgpMessage>((resolve) => {
    server.on('connection', (socket: net.Socket) => {
      socket.on('error', () => undefined);
      const ctx = makeContext();
      // The peer's OPEN (hold time 3 s) and one KEEPALIVE, then silence.
      socket.write(encodeMessage({ type: 'OPEN', version: 4, myAs: 65002, holdTime: 3, bgpId: '10.9.9.9', params: [{ type: 2, capabilities: [mp(1)] }] }, ctx));
      socket.write(encodeMessage({ type: 'KEEPALIVE' }, ctx));
      messages(socket, (m) => m.type === 'NOTIFICATION' && resolve(m));
    });
  });
  server.listen(0, A);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const s = new Session({ peer: peerConfig({ address: A, remoteAs: 65002, holdTime: 3 }), port });
  try {
    const established = once(s, 'established');
    const down = once(s, 'down');
    s.start();
    const [n] = await established;
    t.is(n.holdTime, 3);
    const [info] = (await down) as [DownInfo];
    t.like(info, { reason: 'hold timer expired', notificationSent: { code: 4, subcode: 0, data: '' } });
    t.like(await notification, { type: 'NOTIFICATION', code: 4, subcode: 0 });
  } finally {
    s.stop();
    server.close();
  }
});

test('collision: both sides connect at once and settle on one connection', async (t) => {
  // Each session needs the other's port, and each listener its session: a holder breaks the cycle.
  const held: { a?: Session; b?: Session } = {};
  const la = await listen(A, B, () => held.a!);
  const lb = await listen(B, A, () => held.b!);
  const a = (held.a = new Session({ peer: sideA({ localAddress: A }), port: lb.port }));
  const b = (held.b = new Session({ peer: sideB(), port: la.port }));
  try {
    const established = Promise.all([once(a, 'established'), once(b, 'established')]);
    a.start();
    b.start();
    await established;
    // The connection each side kept is the same one: what B sends on its connection reaches A.
    const update = once(a, 'update');
    t.true(b.sendMessage(UPDATE));
    t.deepEqual(JSON.parse(JSON.stringify((await update)[0])), UPDATE);
    t.is(a.state, 'Established');
    t.is(b.state, 'Established');
  } finally {
    a.stop();
    b.stop();
    await Promise.all([la.close(), lb.close()]);
  }
});

function md5Failures(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const head = lines.findIndex((l) => l.startsWith('TcpExt:'));
  const names = lines[head]!.split(' ');
  const values = lines[head + 1]!.split(' ');
  return Number(values[names.indexOf('TCPMD5Failure')]);
}

test('TCP-MD5 with the same key (and GTSM) establishes', async (t) => {
  const security = { password: 's3cret-key', ttlSecurity: { hops: 1 } };
  const a = new Session({ peer: sideA({ passive: true, ...security }) });
  const listener = await listen(A, B, () => a);
  listener.setPeerKey(B, security.password);
  const b = new Session({ peer: sideB(security), port: listener.port });
  try {
    const established = Promise.all([once(a, 'established'), once(b, 'established')]);
    a.start();
    b.start();
    await established;
    t.is(a.state, 'Established');
    t.is(b.state, 'Established');
  } finally {
    a.stop();
    b.stop();
    await listener.close();
  }
});

test('TCP-MD5 with different keys: the kernel drops the SYNs, no OPEN is ever sent', async (t) => {
  const a = new Session({ peer: sideA({ passive: true, password: 'right' }) });
  const listener = await listen(A, B, () => a);
  listener.setPeerKey(B, 'right');
  const b = new Session({ peer: sideB({ password: 'wrong' }), port: listener.port });
  const statesA = trace(a);
  const statesB = trace(b);
  const before = md5Failures();
  try {
    a.start();
    b.start();
    // The listener's kernel counts a segment whose signature does not verify (TCPMD5Failure:
    // B signed with its key, but not A's). Wait for that instead of for a time.
    while (md5Failures() === before) await new Promise((r) => setTimeout(r, 20));
    t.deepEqual(statesA, ['Idle', 'Active']);
    t.deepEqual(statesB, ['Idle', 'Connect']);
  } finally {
    a.stop();
    b.stop();
    await listener.close();
  }
});

/** A raw peer at A: our OPEN answered with its own (hold time 3 s), then `script` on the socket. */
async function rawPeer(script: (socket: net.Socket, ctx: ReturnType<typeof makeContext>) => void): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((socket: net.Socket) => {
    socket.on('error', () => undefined);
    const ctx = makeContext();
    socket.write(encodeMessage({ type: 'OPEN', version: 4, myAs: 65002, holdTime: 3, bgpId: '10.9.9.9', params: [{ type: 2, capabilities: [mp(1)] }] }, ctx));
    script(socket, ctx);
  });
  server.listen(0, A);
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port };
}

test('RFC 4271 Event 27: UPDATEs alone restart the hold timer (no KEEPALIVE for longer than the hold time)', async (t) => {
  let timer: NodeJS.Timeout | undefined;
  const { server, port } = await rawPeer((socket, ctx) => {
    socket.write(encodeMessage({ type: 'KEEPALIVE' }, ctx));
    // Then only UPDATEs, one a second for five seconds, then silence.
    let n = 0;
    timer = setInterval(() => {
      if (++n > 5) return clearInterval(timer);
      socket.write(encodeMessage({ ...UPDATE, nlri: [{ prefix: `198.51.100.${n}/32` }] }, ctx));
    }, 1000);
  });
  const s = new Session({ peer: peerConfig({ address: A, remoteAs: 65002, holdTime: 3 }), port });
  const prefixes: string[] = [];
  s.on('update', (m) => prefixes.push(...m.nlri.map((x) => x.prefix)));
  try {
    const down = once(s, 'down');
    s.start();
    const [info] = (await down) as [DownInfo];
    // Down only after the fifth UPDATE, 5 s in, though the hold time is 3 s.
    t.deepEqual(prefixes, [1, 2, 3, 4, 5].map((i) => `198.51.100.${i}/32`));
    t.like(info, { reason: 'hold timer expired' });
  } finally {
    clearInterval(timer);
    s.stop();
    server.close();
  }
});

test('an UPDATE before Established is not delivered: FSM error in OpenConfirm (RFC 6608, 5/2)', async (t) => {
  let notified: (m: BgpMessage) => void = () => undefined;
  const notification = new Promise<BgpMessage>((resolve) => (notified = resolve));
  // The peer's OPEN, then an UPDATE before its KEEPALIVE: we are in OpenConfirm.
  const { server, port } = await rawPeer((socket, ctx) => {
    socket.write(encodeMessage(UPDATE, ctx));
    messages(socket, (m) => m.type === 'NOTIFICATION' && notified(m));
  });
  const s = new Session({ peer: peerConfig({ address: A, remoteAs: 65002, holdTime: 3 }), port });
  let delivered = 0;
  s.on('update', () => delivered++);
  try {
    s.start();
    t.like(await notification, { type: 'NOTIFICATION', code: 5, subcode: 2 });
    t.is(delivered, 0);
    t.not(s.state, 'Established');
  } finally {
    s.stop();
    server.close();
  }
});
