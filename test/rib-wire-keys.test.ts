// The RIB's two ways into a decoded UPDATE (src/rib/rib.ts applyUpdate): the codec's prefix keys
// while the lists are unread, the Nlri objects once something has read them. Random UPDATE
// sequences in random session contexts (ADD-PATH, 2- and 4-octet ASNs) must leave the same
// Adj-RIB-In, counts and best-path changes either way, withdrawals and treat-as-withdraw included.
import test from 'ava';
import fc from 'fast-check';

import { decodeMessage, encodeMessage, findAttr } from '../src/bgp/wire/index.js';
import type { CodecContext, UpdateFinding, UpdateMessage } from '../src/bgp/wire/index.js';
import { Rib } from '../src/rib/index.js';
import type { Family, PeerInfo } from '../src/rib/index.js';
import { ribConfig } from './helpers/rib-config.js';
import { contextArb, updateArb } from './helpers/wire-arbitraries.js';

const PEER: PeerInfo = { address: '192.0.2.1', asn: 65001, routerId: '1.1.1.1', ibgp: false, routeReflectorClient: false };
const FAMILIES: Family[] = ['ipv4', 'ipv6'];

function decoded(msg: UpdateMessage, ctx: CodecContext): { msg: UpdateMessage; findings: UpdateFinding[] } {
  const r = decodeMessage(encodeMessage(msg, { ...ctx, extendedMessage: true }), { ...ctx, extendedMessage: true });
  if (!r.ok || r.msg.type !== 'UPDATE') throw new Error(`did not decode: ${r.ok ? r.msg.type : r.reason}`);
  return { msg: r.msg, findings: r.findings };
}

/** Read every list of a decoded UPDATE, so that the RIB takes the Nlri objects. */
function readLists(msg: UpdateMessage): void {
  void msg.withdrawn.length;
  void msg.nlri.length;
  void findAttr(msg.attributes, 'MP_REACH_NLRI')?.value.nlri.length;
  void findAttr(msg.attributes, 'MP_UNREACH_NLRI')?.value.withdrawn.length;
}

function ribWithPeer(): Rib {
  const rib = new Rib(ribConfig);
  rib.setConnected([{ prefix: '192.0.2.10/24', interface: 'eth0' }]);
  rib.peerUp(PEER);
  rib.drainChanges();
  return rib;
}

/** What the RIB holds from the peer, and the changes drained. */
function state(rib: Rib): string {
  const adjIn = FAMILIES.map((f) => [...rib.adjRibIn(PEER.address, f)].map((v) => [v.prefix, v.pathId, v.accepted, v.stale]).sort());
  const changes = rib.drainChanges().map((c) => [c.family, c.prefix, c.best.length]);
  return JSON.stringify({ adjIn, changes, stats: rib.peerStats(PEER.address), v4: rib.prefixCount('ipv4'), v6: rib.prefixCount('ipv6') });
}

/** An UPDATE without ORIGIN: RFC 7606 §3(d) treat-as-withdraw for what it announces. */
function withoutOrigin(msg: UpdateMessage): UpdateMessage {
  return { ...msg, attributes: msg.attributes.filter((a) => a.name !== 'ORIGIN') };
}

test('keys and Nlri objects leave the same RIB for random UPDATE sequences (fast-check)', (t) => {
  const scenario = contextArb.chain((ctx) =>
    fc.record({ ctx: fc.constant(ctx), updates: fc.array(fc.tuple(updateArb(ctx), fc.nat({ max: 9 })), { minLength: 1, maxLength: 12 }) }),
  );
  t.notThrows(() =>
    fc.assert(
      fc.property(scenario, ({ ctx, updates }) => {
        const byKeys = ribWithPeer();
        const byText = ribWithPeer();
        // Announce what is later withdrawn too: each UPDATE's lists once as announcements.
        for (const [u, roll] of updates) {
          const sent = roll === 0 && (u.nlri.length > 0 || findAttr(u.attributes, 'MP_REACH_NLRI')) ? withoutOrigin(u) : u;
          const a = decoded(sent, ctx);
          const b = decoded(sent, ctx);
          readLists(b.msg);
          const ra = byKeys.applyUpdate(PEER.address, a.msg, a.findings, ctx.as4);
          const rb = byText.applyUpdate(PEER.address, b.msg, b.findings, ctx.as4);
          if (JSON.stringify(ra) !== JSON.stringify(rb)) return false;
          if (state(byKeys) !== state(byText)) return false;
        }
        return true;
      }),
      { numRuns: 300, seed: 0x5eed_4e2 },
    ),
  );
});

test('a withdrawal by keys finds what an announcement by text put in, and the other way round', (t) => {
  const ctx = { as4: true, addPath: new Set<string>(['1/1']), extendedMessage: false };
  const attrs: UpdateMessage['attributes'] = [
    { code: 1, name: 'ORIGIN', flags: 0x40, value: 'IGP' },
    { code: 2, name: 'AS_PATH', flags: 0x40, value: [{ type: 'AS_SEQUENCE', asns: [65001] }] },
    { code: 3, name: 'NEXT_HOP', flags: 0x40, value: '192.0.2.1' },
  ];
  // Host bits set on the wire: both forms clear them.
  const nlri = [{ prefix: '10.1.2.3/16', pathId: 1 }, { prefix: '10.2.0.0/16', pathId: 2 }];
  for (const readAnnounce of [false, true]) {
    const rib = ribWithPeer();
    const ann = decoded({ type: 'UPDATE', withdrawn: [], attributes: attrs, nlri }, ctx).msg;
    if (readAnnounce) readLists(ann);
    t.is(rib.applyUpdate(PEER.address, ann, [], true).announced, 2);
    t.deepEqual([...rib.adjRibIn(PEER.address, 'ipv4')].map((v) => `${v.prefix}#${v.pathId}`).sort(), ['10.1.0.0/16#1', '10.2.0.0/16#2']);
    const wd = decoded({ type: 'UPDATE', withdrawn: [{ prefix: '10.1.0.0/16', pathId: 1 }, { prefix: '10.2.0.0/16', pathId: 9 }], attributes: [], nlri: [] }, ctx).msg;
    if (!readAnnounce) readLists(wd);
    t.is(rib.applyUpdate(PEER.address, wd, [], true).withdrawn, 1, 'only the path id announced is withdrawn');
    t.deepEqual([...rib.adjRibIn(PEER.address, 'ipv4')].map((v) => `${v.prefix}#${v.pathId}`), ['10.2.0.0/16#2']);
  }
});
