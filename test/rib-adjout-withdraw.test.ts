// Withdrawals written from the prefix keys (adjout-wire.ts writeWithdrawal): for any table
// announced and then withdrawn, in pieces or by the peer going down, with and without ADD-PATH
// and extended messages, each withdrawal the Adj-RIB-Out sends decodes, withdraws what was
// announced, and is byte for byte what the codec's encoder makes of the decoded message.
import test from 'ava';
import fc from 'fast-check';
import { ribWithAdjOut, SOURCE } from './helpers/adjout.js';
import { decodeMessage, encodeMessage, makeContext, MAX_EXTENDED_MESSAGE } from '../src/bgp/wire/index.js';
import type { CodecContext, UpdateMessage } from '../src/bgp/wire/index.js';
import { AdjRibOut, Rib, baseAttrs } from '../src/rib/index.js';
import type { Family } from '../src/rib/index.js';


/** Prefix i of a family, distinct from the others at any length used here (the bits that differ are inside it). */
const prefixOf = (family: Family, i: number, len: number): string =>
  family === 'ipv4' ? `${10 + (i >> 8)}.${i & 255}.0.0/${len}` : `2001:${(0xdb8 + (i >> 8)).toString(16)}:${((i & 255) << 8).toString(16)}::/${len + 24}`;

/** Every message of the next batches, decoded. */
function drain(rib: Rib, out: AdjRibOut, codec: CodecContext): { bytes: Buffer; msg: UpdateMessage }[] {
  out.enqueueBatch(rib.drainBatch());
  const msgs: { bytes: Buffer; msg: UpdateMessage }[] = [];
  for (let b = out.nextBytes(64 * 1024); b; b = out.nextBytes(64 * 1024)) {
    for (let at = 0; at < b.bytes.length; ) {
      const len = b.bytes.readUInt16BE(at + 16);
      const bytes = b.bytes.subarray(at, at + len);
      const r = decodeMessage(bytes, codec);
      if (!r.ok || r.msg.type !== 'UPDATE') throw new Error(`a message does not decode: ${r.ok ? r.msg.type : r.reason}`);
      msgs.push({ bytes, msg: r.msg });
      at += len;
    }
  }
  return msgs;
}

const withdrawnOf = (m: UpdateMessage): string[] => {
  const mp = m.attributes.find((a) => a.name === 'MP_UNREACH_NLRI');
  const v6 = mp && mp.name === 'MP_UNREACH_NLRI' ? mp.value.withdrawn : [];
  return [...m.withdrawn, ...v6].map((n) => `${n.prefix}#${n.pathId ?? 0}`);
};

const announcedOf = (m: UpdateMessage): string[] => {
  const mp = m.attributes.find((a) => a.name === 'MP_REACH_NLRI');
  const v6 = mp && mp.name === 'MP_REACH_NLRI' ? mp.value.nlri : [];
  return [...m.nlri, ...v6].map((n) => `${n.prefix}#${n.pathId ?? 0}`);
};

test('withdrawals are what the encoder writes, and withdraw every prefix announced', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.record({
          v4: fc.integer({ min: 0, max: 1500 }),
          v6: fc.integer({ min: 0, max: 1500 }),
          addPath: fc.boolean(),
          extended: fc.boolean(),
          byDown: fc.boolean(),
          len: fc.integer({ min: 16, max: 24 }),
        }),
        (o) => {
          const codec = makeContext({ as4: true, extendedMessage: o.extended, ...(o.addPath ? { addPath: new Set(['1/1', '2/1']) } : {}) });
          const { rib, out } = ribWithAdjOut(codec);
          // Twice: the second time the withdrawals' group is the one kept from the first.
          for (let wave = 0; wave < 2; wave++) {
            if (wave > 0 && o.byDown) rib.peerUp(SOURCE);
            withdrawAll(rib, out, codec, o);
          }
        },
      ),
      { numRuns: 30 },
    ),
  );
});

/** Announce the table of `o`, then withdraw it (route by route, or by the source going down), checking what the peer is sent. */
function withdrawAll(rib: Rib, out: AdjRibOut, codec: CodecContext, o: { v4: number; v6: number; byDown: boolean; extended: boolean; len: number }): void {
  const routes: [Family, string][] = [];
  for (const [family, n] of [['ipv4', o.v4], ['ipv6', o.v6]] as const) {
    for (let i = 0; i < n; i++) {
      const prefix = prefixOf(family, i, o.len);
      const hop = family === 'ipv4' ? SOURCE.address : '2001:db8::1';
      rib.announce(SOURCE.address, family, { prefix }, { ...baseAttrs(hop), asPath: [{ type: 'AS_SEQUENCE', asns: [SOURCE.asn, 64500 + (i % 7)] }] });
      routes.push([family, prefix]);
    }
  }
  // What the peer was told, as it decodes it.
  const announced = new Set(drain(rib, out, codec).flatMap(({ msg }) => announcedOf(msg)));
  if (announced.size !== routes.length) throw new Error(`${announced.size} announced of ${routes.length}`);
  if (o.byDown) rib.peerDown(SOURCE.address);
  else for (const [family, prefix] of routes) rib.withdrawRoute(SOURCE.address, family, { prefix });
  const withdrawn = new Set<string>();
  for (const { bytes, msg } of drain(rib, out, codec)) {
    if (msg.nlri.length > 0) throw new Error('an announcement among the withdrawals');
    for (const w of withdrawnOf(msg)) withdrawn.add(w);
    if (!encodeMessage(msg, codec).equals(bytes)) throw new Error(`a withdrawal differs from the encoder's bytes: ${bytes.toString('hex').slice(0, 80)}`);
    if (bytes.length > (o.extended ? MAX_EXTENDED_MESSAGE : 4096)) throw new Error(`a message of ${bytes.length} octets`);
  }
  if (withdrawn.size !== announced.size || [...announced].some((p) => !withdrawn.has(p))) throw new Error(`${withdrawn.size} withdrawn of ${announced.size}`);
}
