// The fuzz targets: the codec, the MRT reader, and a session fed arbitrary bytes after OPEN.
// Each returns a message for a finding, undefined otherwise. The first input byte of each target
// selects a context (ADD-PATH, extended messages, 4-octet AS) and whether the target repairs
// the framing (marker and length), so mutations reach the parsers behind the header checks.

import net from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { decodeMessage, encodeMessage, makeContext, type CodecContext } from '../../src/bgp/wire/index.js';
import { readMrt } from '../../src/mrt/reader.js';
import { MrtFramingError } from '../../src/mrt/types.js';
import { BgpdumpFormatter } from '../../src/mrt/bgpdump.js';
import { Connection } from '../../src/bgp/session/transport-conn.js';
import { buildOpen } from '../../src/bgp/session/negotiate.js';
import { fsmConfig, initialState, step } from '../../src/bgp/session/fsm.js';
import type { SessionEvent, SessionState } from '../../src/bgp/session/types.js';
import { as4cap, mp, peerConfig, remoteOpen } from '../../test/session-fixtures.js';
import type { Target } from './engine.js';

/** Bit 0: 4-octet AS; bit 1: ADD-PATH IPv4; bit 2: ADD-PATH IPv6; bit 3: extended messages. */
function contextOf(flags: number): CodecContext {
  const addPath = new Set<string>();
  if (flags & 2) addPath.add('1/1');
  if (flags & 4) addPath.add('2/1');
  return makeContext({ as4: (flags & 1) !== 0, addPath, extendedMessage: (flags & 8) !== 0 });
}

/** Bit 4 of the flags byte: body is type + payload and the target writes marker and length. */
function framed(input: Uint8Array, max: number): Uint8Array {
  if ((input[0]! & 0x10) === 0) return input.subarray(1);
  const body = input.subarray(1, 1 + max - 18);
  const out = new Uint8Array(18 + body.length);
  out.fill(0xff, 0, 16);
  out[16] = (out.length >> 8) & 0xff;
  out[17] = out.length & 0xff;
  out.set(body, 18);
  return out;
}

const INTERNAL = 'internal decoder error';

/**
 * The codec: decodeMessage never throws and fails only with its typed NOTIFICATION errors; what
 * it accepts re-encodes (the encoder throws only for values a caller built wrong) and decodes to
 * the same message.
 */
export const codecTarget: Target = {
  name: 'codec',
  maxLen: 8192,
  run(input) {
    if (input.length === 0) return undefined;
    const ctx = contextOf(input[0]!);
    const bytes = framed(input, ctx.extendedMessage ? 65535 : 4096);
    const r = decodeMessage(bytes, ctx);
    if (!r.ok) return r.reason.startsWith(INTERNAL) ? `decode: ${r.reason}` : undefined;
    let again: Uint8Array;
    try {
      again = Buffer.from(encodeMessage(r.msg, ctx));
    } catch (e) {
      return `re-encode of an accepted ${r.msg.type} threw: ${(e as Error).message}`;
    }
    const r2 = decodeMessage(again, ctx);
    if (!r2.ok) return `re-encoded ${r.msg.type} does not decode: ${r2.reason}`;
    if (!isDeepStrictEqual(r2.msg, r.msg)) return `decode(encode(m)) != m for ${r.msg.type}`;
    return undefined;
  },
};

const MRT_KINDS: [number, number][] = [
  [16, 4], [16, 1], [16, 0], [16, 5], [16, 8], [16, 9], [17, 4], [17, 1],
  [13, 1], [13, 2], [13, 4], [13, 8], [13, 10], [13, 6], [12, 1], [11, 0],
];

/** Bit 4 set: the input is a run of records [kind, len16, body] that the target frames. */
function mrtFile(input: Uint8Array): Uint8Array {
  if ((input[0]! & 0x10) === 0) return input.subarray(1);
  const parts: Uint8Array[] = [];
  let i = 1;
  while (i + 3 <= input.length) {
    const kind = MRT_KINDS[input[i]! & 15]!;
    const len = Math.min((input[i + 1]! << 8) | input[i + 2]!, input.length - i - 3);
    const body = input.subarray(i + 3, i + 3 + len);
    const h = Buffer.alloc(12);
    h.writeUInt32BE(1_700_000_000 + parts.length, 0);
    h.writeUInt16BE(kind[0], 4);
    h.writeUInt16BE(kind[1], 6);
    h.writeUInt32BE(body.length, 8);
    parts.push(h, body);
    i += 3 + len;
  }
  return Buffer.concat(parts);
}

/** The MRT reader and the bgpdump formatter over it: only MrtFramingError may end a file. */
export const mrtTarget: Target = {
  name: 'mrt',
  maxLen: 4096,
  run(input) {
    if (input.length === 0) return undefined;
    const fmt = new BgpdumpFormatter();
    try {
      for (const rec of readMrt(mrtFile(input))) fmt.lines(rec);
    } catch (e) {
      if (e instanceof MrtFramingError) return undefined;
      return `MRT reader threw ${(e as Error)?.stack ?? String(e)}`;
    }
    return undefined;
  },
};

/** Established sessions, one per capability set the peer's OPEN can bring (bits 0-2 of byte 0). */
function established(variant: number): SessionState {
  const families = ['ipv4', 'ipv6'] as const;
  const peer = peerConfig({ families: [...families], addPath: { receive: variant & 1 ? [...families] : [], send: [] } });
  const caps = [mp(1), mp(2)];
  if (variant & 2) caps.push(as4cap(65002));
  if (variant & 1) caps.push({ code: 69, name: 'ADD_PATH', value: [{ afi: 1, safi: 1, sendReceive: 2 }, { afi: 2, safi: 1, sendReceive: 2 }] });
  if (variant & 4) caps.push({ code: 6, name: 'EXTENDED_MESSAGE', value: null });
  let s = initialState(fsmConfig(peer, buildOpen(peer)));
  const events: SessionEvent[] = [{ type: 'ManualStart' }, { type: 'Tcp_CR_Acked' }, { type: 'BGPOpen', open: remoteOpen(caps) }, { type: 'KeepAliveMsg' }];
  for (const ev of events) s = step(s, ev).state;
  if (s.name !== 'Established') throw new Error(`fixture session is ${s.name}, not Established`);
  return s;
}
const ESTABLISHED = Array.from({ length: 8 }, (_, v) => established(v));

/**
 * The connection's framing and decoding (the real Connection over a real, unconnected socket
 * whose 'data' events we raise) and the FSM, Established after the OPEN exchange, fed the input
 * in chunks. The session may answer with a NOTIFICATION and drop, or keep going; it must not
 * throw, drop without a NOTIFICATION unless the peer sent one, or report events after dropping.
 */
export const sessionTarget: Target = {
  name: 'session',
  maxLen: 16384,
  run(input) {
    if (input.length < 2) return undefined;
    let state = ESTABLISHED[input[0]! & 7]!;
    const chunk = 1 + input[1]! * 64;
    const stream = framedStream(input.subarray(2), (input[0]! & 0x10) !== 0, state.negotiated!.recvCtx.extendedMessage);
    const socket = new net.Socket();
    let dropped = false;
    let notified = false;
    let problem: string | undefined;
    const conn: Connection = new Connection(socket, 'outbound', () => state.negotiated!.recvCtx, {
      event(ev) {
        if (dropped) problem ??= `event ${ev.type} after the connection was dropped`;
        const r = step(state, ev);
        state = r.state;
        for (const a of r.actions) {
          if (a.type === 'send-notification') notified = true;
          if (a.type === 'drop') {
            if (!notified && ev.type !== 'NotifMsg' && ev.type !== 'NotifMsgVerErr') problem ??= `dropped on ${ev.type} without a NOTIFICATION`;
            dropped = true;
            conn.close();
          }
        }
      },
      closed: () => undefined,
      drain: () => undefined,
    });
    for (let off = 0; off < stream.length && !dropped; off += chunk) socket.emit('data', Buffer.from(stream.subarray(off, off + chunk)));
    if (!dropped && state.name !== 'Established') problem ??= `left Established for ${state.name} without dropping`;
    socket.destroy();
    return problem;
  },
};

/** With framing repair, the stream is a run of [len16, type, payload] turned into messages. */
function framedStream(data: Uint8Array, repair: boolean, extended: boolean): Uint8Array {
  if (!repair) return data;
  const max = extended ? 65535 : 4096;
  const parts: Uint8Array[] = [];
  let i = 0;
  while (i + 3 <= data.length) {
    const len = Math.min(((data[i]! << 8) | data[i + 1]!) % max, data.length - i - 2);
    const body = data.subarray(i + 2, i + 2 + len);
    const h = Buffer.alloc(18, 0xff);
    h.writeUInt16BE(18 + body.length, 16);
    parts.push(h, body);
    i += 2 + len;
  }
  return Buffer.concat(parts);
}

export const TARGETS: Record<string, Target> = { codec: codecTarget, mrt: mrtTarget, session: sessionTarget };
