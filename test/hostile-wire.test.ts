// Hostile peers, message level: a real routed on loopback (127.66.x, ports 42171-42175: this
// file's own) against scripted raw TCP peers writing hand-built bytes. Over- and undersize
// messages, an OPEN that never completes, attribute bombs, prefixes longer than the configured
// limit, and connections from addresses that are not neighbours. Throughout, a bystander peer
// must stay Established: one hostile session never disturbs another.

import test from 'ava';

import type { PathAttribute, UpdateMessage } from '../src/bgp/wire/index.js';
import type { RibEntryView } from '../src/mgmt/views.js';
import { pollUntil } from './harness/peers.js';
import { establishedPeer as peer, ORIGIN, rawMessage, RawPeer, rssOf, startRouted as routed, updateOf as update, type RawPeerOptions } from './helpers/raw-peer.js';

test.serial('over- and undersize messages: NOTIFICATION 1/2 with the bad length, bystander unaffected', async (t) => {
  const port = 42171;
  const local = '127.66.1.1';
  const cases = [
    // RFC 4271 §6.1: a length over 4096 (no extended messages) or under 19, or wrong for the
    // type (KEEPALIVE is exactly 19, UPDATE at least 23), is Bad Message Length with the
    // erroneous length field as data.
    { addr: '127.66.1.2', what: 'KEEPALIVE claiming 4097 bytes', bytes: rawMessage(4, new Uint8Array(4078)), data: '1001' },
    { addr: '127.66.1.3', what: 'header claiming 18 bytes', bytes: rawMessage(4, new Uint8Array(0), 18), data: '0012' },
    { addr: '127.66.1.4', what: 'UPDATE of 22 bytes', bytes: rawMessage(2, new Uint8Array(3)), data: '0016' },
    { addr: '127.66.1.5', what: 'KEEPALIVE of 20 bytes', bytes: rawMessage(4, new Uint8Array(1)), data: '0014' },
    { addr: '127.66.1.6', what: 'UPDATE of 5000 bytes without extended messages', bytes: rawMessage(2, new Uint8Array(4981)), data: '1388' },
  ];
  const bystander = '127.66.1.9';
  const r = await routed(t, local, port, [...cases.map((c) => ({ address: c.addr, remoteAs: 65002 })), { address: bystander, remoteAs: 65009 }]);
  const by = await peer(t, r, local, port, bystander, 65009);
  for (const c of cases) {
    const p = await peer(t, r, local, port, c.addr, 65002);
    p.write(c.bytes);
    await p.waitClosed(c.what, 15_000, () => r.logTail());
    t.deepEqual(p.notification(), { code: 1, subcode: 2, data: c.data }, c.what);
  }
  t.false(by.closed);
  t.is(by.notification(), undefined);
  t.is((await r.neighbor(bystander)).state, 'Established');
});

test.serial('an OPEN that never completes: dropped with Hold Timer Expired at the startup hold time', async (t) => {
  const port = 42172;
  const local = '127.66.2.1';
  const silent = '127.66.2.2';
  const partial = '127.66.2.3';
  const r = await routed(t, local, port, [
    { address: silent, remoteAs: 65002, extra: '    startup-hold-time: 3\n' },
    { address: partial, remoteAs: 65003, extra: '    startup-hold-time: 3\n' },
  ]);
  // One peer connects and says nothing; the other sends the first 25 bytes of its OPEN.
  const a = await RawPeer.connect({ host: local, port, localAddress: silent, asn: 65002, routerId: '198.66.2.2' });
  const b = await RawPeer.connect({ host: local, port, localAddress: partial, asn: 65003, routerId: '198.66.2.3' });
  t.teardown(() => a.destroy());
  t.teardown(() => b.destroy());
  b.write(b.open().subarray(0, 25));
  for (const [p, what] of [[a, 'silent peer'], [b, 'half an OPEN']] as const) {
    await p.waitClosed(what, 20_000, () => r.logTail());
    // RFC 4271 §8.2.2 (OpenSent, HoldTimer_Expires): NOTIFICATION Hold Timer Expired, then drop.
    t.deepEqual(p.notification(), { code: 4, subcode: 0, data: '' }, what);
    t.true(p.received.some((m) => m.type === 'OPEN'), `${what}: routed sent its OPEN first`);
  }
});

test.serial('attribute bombs: a 1,000-AS path and 10,000 communities are accepted; other peers unaffected', async (t) => {
  const port = 42173;
  const local = '127.66.3.1';
  const bomber = '127.66.3.2';
  const bystander = '127.66.3.9';
  const r = await routed(t, local, port, [
    { address: bomber, remoteAs: 65002 },
    { address: bystander, remoteAs: 65009 },
  ]);
  const ext: Partial<RawPeerOptions> = { extraCaps: [{ code: 6, name: 'EXTENDED_MESSAGE', value: null }] };
  const p = await peer(t, r, local, port, bomber, 65002, ext);
  const by = await peer(t, r, local, port, bystander, 65009);
  // RFC 4271 §5.1.2: a long AS_PATH is valid; 4 segments of 250 ASNs, first the peer's own AS.
  const path = [65002, ...Array.from({ length: 999 }, (_, i) => 100_000 + i)];
  p.write(p.encode(update(path, bomber, ['198.19.1.0/24'])));
  // RFC 8654: with extended messages, one UPDATE carries 10,000 communities (40,000 octets, an
  // extended-length attribute, RFC 4271 §4.3).
  const communities = Array.from({ length: 10_000 }, (_, i) => ((65002 << 16) | i) >>> 0);
  const bomb = update([65002], bomber, ['198.19.2.0/24'], [{ code: 8, name: 'COMMUNITIES', flags: 0xd0, value: communities }]);
  p.write(Buffer.from(encodeExtended(p, bomb)));
  const long = await r.waitRoute('198.19.1.0/24', 'with the 1,000-AS path', (e) => e.paths[0]?.neighbor === bomber);
  t.is(long.paths[0]!.asPath.split(' ').length, 1000);
  const many = await r.waitRoute('198.19.2.0/24', 'with 10,000 communities', (e) => e.paths[0]?.neighbor === bomber);
  t.is(many.paths[0]!.communities.length, 10_000);
  // The bystander (no extended messages) gets what fits in 4,096 octets and stays up.
  await by.waitFor('the 1,000-AS route re-announced with our AS prepended', (m) => m.type === 'UPDATE' && m.nlri.some((n) => n.prefix === '198.19.1.0/24'), 20_000, () => r.logTail());
  // RFC 8654 §4: 40,000 octets of communities cannot reach a peer without extended messages:
  // not sent (and logged), where routed used to throw in the Adj-RIB-Out and exit.
  await pollUntil(async () => /198\.19\.2\.0\/24 not announced: .* over the 4096 of one message \(RFC 8654 §4\)/.test(r.log()), 20_000, 'the too-large route logged', () => r.logTail());
  t.false(by.received.some((m) => m.type === 'UPDATE' && m.nlri.some((n) => n.prefix === '198.19.2.0/24')));
  t.false(p.closed, `bomber got ${JSON.stringify(p.notification())}`);
  t.false(by.closed, `bystander got ${JSON.stringify(by.notification())}`);
  t.is((await r.neighbor(bystander)).state, 'Established');
  t.is((await r.neighbor(bomber)).state, 'Established');
});

function encodeExtended(p: RawPeer, m: UpdateMessage): Uint8Array {
  return p.encodeWith(m, { extendedMessage: true });
}

test.serial('max-prefix-length: longer prefixes are filtered on import, logged once per family', async (t) => {
  const port = 42174;
  const local = '127.66.4.1';
  const addr = '127.66.4.2';
  const r = await routed(t, local, port, [{ address: addr, remoteAs: 65002, extra: '    max-prefix-length: { ipv4: 24, ipv6: 48 }\n' }]);
  const p = await peer(t, r, local, port, addr, 65002);
  p.write(p.encode(update([65002], addr, ['198.19.1.0/24', '198.19.2.0/25', '198.19.3.128/26'])));
  const v6 = (prefixes: string[]): PathAttribute => ({ code: 14, name: 'MP_REACH_NLRI', flags: 0x90, value: { afi: 2, safi: 1, nextHops: ['2001:db8:66::2'], nlri: prefixes.map((prefix) => ({ prefix })) } });
  p.write(p.encode({ type: 'UPDATE', withdrawn: [], attributes: [ORIGIN, { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: [65002] }] }, v6(['2001:db8:1::/48', '2001:db8:2:1::/64'])], nlri: [] }));
  await r.waitNeighbor(addr, 'all five received', (n) => n.received === 5);
  // A second batch of over-long ones: filtered too, and no second log line.
  p.write(p.encode(update([65002], addr, ['198.19.4.0/25', '198.19.5.0/30'])));
  await r.waitNeighbor(addr, 'all seven received', (n) => n.received === 7);
  const n = await r.neighbor(addr);
  t.is(n.accepted, 2);
  const bgp = (await r.rib()).filter((e: RibEntryView) => e.paths.some((x) => x.source === 'bgp'));
  t.deepEqual(bgp.map((e) => e.prefix).sort(), ['198.19.1.0/24', '2001:db8:1::/48']);
  const adjIn = await r.json<{ prefix: string; accepted?: boolean }>(['show', 'rib', 'in', addr]);
  t.deepEqual(adjIn.filter((e) => e.accepted === false).map((e) => e.prefix).sort(), ['198.19.2.0/25', '198.19.3.128/26', '198.19.4.0/25', '198.19.5.0/30', '2001:db8:2:1::/64']);
  const lines = r.log().split('\n').filter((l) => /max-prefix-length/.test(l));
  t.is(lines.length, 2, lines.join('\n'));
  t.regex(r.log(), /ipv4 routes longer than \/24 filtered \(max-prefix-length\), first 198\.19\.2\.0\/25/);
  t.regex(r.log(), /ipv6 routes longer than \/48 filtered \(max-prefix-length\), first 2001:db8:2:1::\/64/);
  t.false(p.closed);
});

test.serial('connections from unconfigured addresses are closed at once, leaving no session and bounded memory', async (t) => {
  const port = 42175;
  const local = '127.66.5.1';
  const r = await routed(t, local, port, [{ address: '127.66.5.2', remoteAs: 65002 }]);
  const before = rssOf(r.pid!);
  const N = 2000;
  let refused = 0;
  let answered = 0;
  for (let i = 0; i < N; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, async (_, j) => {
        const p = await RawPeer.connect({ host: local, port, localAddress: `127.66.5.${100 + ((i + j) % 100)}`, asn: 65099, routerId: '198.66.5.99' });
        p.write(p.open());
        await p.waitClosed('stranger refused', 10_000, () => r.logTail());
        refused++;
        if (p.received.length > 0) answered++;
      }),
    );
  }
  t.is(refused, N);
  // Closed before anything was read or sent: no OPEN, no NOTIFICATION for a stranger.
  t.is(answered, 0);
  const ns = await r.json<{ address: string; state: string }>(['show', 'neighbors']);
  t.deepEqual(ns.map((n) => n.address), ['127.66.5.2']);
  t.not(ns[0]!.state, 'Established');
  await pollUntil(async () => rssOf(r.pid!) - before < 32 * 1048576, 10_000, `routed RSS back within 32 MiB of ${before} (now ${rssOf(r.pid!)})`, () => r.logTail());
  t.true(rssOf(r.pid!) - before < 32 * 1048576);
});
