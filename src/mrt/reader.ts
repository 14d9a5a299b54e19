// MRT reader (RFC 6396, RFC 8050): a generator of typed records. Every read goes through the
// codec's bounded Reader, so no declared length is trusted: a record whose length runs past the
// end of the input, or a truncated common header, ends the iteration with MrtFramingError naming
// the record's byte offset (everything before it has been yielded). Malformed content inside a
// well-framed record is not fatal: the record is yielded as 'skipped' with the reason.

import { Parser } from 'binary-parser';
import { Reader, Truncated } from '../bgp/wire/reader.js';
import { ipv4ToText, ipv6ToText, prefixToText } from '../bgp/wire/addr.js';
import { decodeMessage, decodePathAttributes, makeContext } from '../bgp/wire/index.js';
import type { DecodeResult, OpenMessage } from '../bgp/wire/types.js';
import {
  BGP4MP_SUBTYPE,
  MRT_TYPE,
  MrtFramingError,
  TABLE_DUMP_V2_SUBTYPE,
  type Bgp4mpMessage,
  type Bgp4mpPeer,
  type MrtHeader,
  type MrtPeer,
  type MrtRecord,
  type RibEntry,
} from './types.js';

const COMMON_HEADER_SIZE = 12;

interface CommonHeader {
  timestamp: number;
  type: number;
  subtype: number;
  length: number;
}

const commonHeader = new Parser()
  .uint32be('timestamp')
  .uint16be('type')
  .uint16be('subtype')
  .uint32be('length');

interface PeerHeaderFixed {
  peerAs: number;
  localAs: number;
  ifIndex: number;
  afi: number;
}

const peerHeaderAs2 = new Parser().uint16be('peerAs').uint16be('localAs').uint16be('ifIndex').uint16be('afi');
const peerHeaderAs4 = new Parser().uint32be('peerAs').uint32be('localAs').uint16be('ifIndex').uint16be('afi');

const ADDPATH_BOTH: ReadonlySet<string> = new Set(['1/1', '2/1']);
const NO_ADDPATH: ReadonlySet<string> = new Set();

/** The ADD-PATH capability (RFC 7911) of one OPEN: "afi/safi" -> Send/Receive field. */
type AddPathCaps = Map<string, number>;

/** The OPENs seen for one (peer ip, local ip) pair since its last transition to Idle. */
interface Session {
  peer?: AddPathCaps;
  local?: AddPathCaps;
}

/**
 * Per-file state: TABLE_DUMP_V2 RIB entries refer to the last PEER_INDEX_TABLE; BGP4MP messages
 * are decoded with what the session's OPENs negotiated.
 */
interface ReaderState {
  peers: MrtPeer[] | undefined;
  sessions: Map<string, Session>;
}

const IDLE = 1;

function sessionKey(p: Bgp4mpPeer): string {
  return `${p.peerIp} ${p.localIp}`;
}

function addPathCaps(open: OpenMessage): AddPathCaps {
  const caps: AddPathCaps = new Map();
  for (const param of open.params) {
    if (!('capabilities' in param)) continue;
    for (const c of param.capabilities) {
      if (c.name !== 'ADD_PATH') continue;
      for (const f of c.value) caps.set(`${f.afi}/${f.safi}`, f.sendReceive);
    }
  }
  return caps;
}

/**
 * RFC 7911 §4: path identifiers are carried from A to B for a family when A's OPEN says Send
 * (2 or 3) and B's says Receive (1 or 3). Undefined until both OPENs of the session are seen.
 */
function negotiatedAddPath(s: Session | undefined, local: boolean): Set<string> | undefined {
  if (!s?.peer || !s.local) return undefined;
  const [sender, receiver] = local ? [s.local, s.peer] : [s.peer, s.local];
  const out = new Set<string>();
  for (const [family, sr] of sender) if (sr & 2 && (receiver.get(family) ?? 0) & 1) out.add(family);
  return out;
}

/**
 * Iterate over the MRT records in `buf` (already decompressed). Throws MrtFramingError (after
 * yielding every record before it) when the framing is malformed.
 */
export function* readMrt(buf: Uint8Array): Generator<MrtRecord, void, undefined> {
  const r = new Reader(buf);
  const state: ReaderState = { peers: undefined, sessions: new Map() };
  while (r.remaining > 0) {
    const offset = r.pos;
    if (r.remaining < COMMON_HEADER_SIZE) {
      throw new MrtFramingError(offset, `truncated MRT header (${r.remaining} of ${COMMON_HEADER_SIZE} bytes)`);
    }
    const h = r.fixed<CommonHeader>(commonHeader, COMMON_HEADER_SIZE);
    const header: MrtHeader = { offset, timestamp: h.timestamp, type: h.type, subtype: h.subtype, length: h.length };
    let bodyLength = h.length;
    if (h.type === MRT_TYPE.BGP4MP_ET) {
      if (h.length < 4) throw new MrtFramingError(offset, `BGP4MP_ET record length ${h.length} is shorter than its microsecond field`);
      if (r.remaining < 4) throw new MrtFramingError(offset, 'truncated MRT header (BGP4MP_ET microsecond field)');
      header.microseconds = r.u32();
      bodyLength -= 4;
    }
    if (bodyLength > r.remaining) {
      throw new MrtFramingError(
        offset,
        `record length ${h.length} runs past the end of the input (${r.remaining + (h.length - bodyLength)} bytes left)`,
      );
    }
    const body = r.sub(bodyLength);
    yield parseRecord(header, body, state);
  }
}

function parseRecord(header: MrtHeader, body: Reader, state: ReaderState): MrtRecord {
  const bytes = body.buf.subarray(body.pos, body.end);
  try {
    switch (header.type) {
      case MRT_TYPE.BGP4MP:
      case MRT_TYPE.BGP4MP_ET:
        return parseBgp4mp(header, body, bytes, state);
      case MRT_TYPE.TABLE_DUMP_V2:
        return parseTableDumpV2(header, body, bytes, state);
      default:
        return { kind: 'skipped', header, body: bytes, reason: `MRT type ${header.type} not supported` };
    }
  } catch (e) {
    if (e instanceof Truncated) {
      return {
        kind: 'skipped',
        header,
        body: bytes,
        reason: `truncated record content: wanted ${e.wanted} byte(s) at offset ${e.at}`,
      };
    }
    throw e;
  }
}

function readIp(r: Reader, afi: number): string {
  return afi === 1 ? ipv4ToText(r.bytes(4)) : ipv6ToText(r.bytes(16));
}

function readPeerHeader(r: Reader, as4: boolean): (Bgp4mpPeer & { ok: true }) | { ok: false; afi: number } {
  const f = as4 ? r.fixed<PeerHeaderFixed>(peerHeaderAs4, 12) : r.fixed<PeerHeaderFixed>(peerHeaderAs2, 8);
  if (f.afi !== 1 && f.afi !== 2) return { ok: false, afi: f.afi };
  const peerIp = readIp(r, f.afi);
  const localIp = readIp(r, f.afi);
  return { ok: true, peerAs: f.peerAs, localAs: f.localAs, ifIndex: f.ifIndex, afi: f.afi, peerIp, localIp };
}

function parseBgp4mp(header: MrtHeader, r: Reader, bytes: Uint8Array, state: ReaderState): MrtRecord {
  const st = header.subtype;
  const S = BGP4MP_SUBTYPE;
  if (st === S.STATE_CHANGE || st === S.STATE_CHANGE_AS4) {
    const p = readPeerHeader(r, st === S.STATE_CHANGE_AS4);
    if (!p.ok) return { kind: 'skipped', header, body: bytes, reason: `BGP4MP address family ${p.afi} not supported` };
    const oldState = r.u16();
    const newState = r.u16();
    const { ok: _ok, ...peer } = p;
    if (newState === IDLE) state.sessions.delete(sessionKey(peer));
    return { kind: 'state-change', header, body: bytes, ...peer, oldState, newState };
  }
  if (st === 1 || st === 4 || (st >= 6 && st <= 11)) {
    const as4 = st === S.MESSAGE_AS4 || st === S.MESSAGE_AS4_LOCAL || st === S.MESSAGE_AS4_ADDPATH || st === S.MESSAGE_AS4_LOCAL_ADDPATH;
    const local = st === S.MESSAGE_LOCAL || st === S.MESSAGE_AS4_LOCAL || st === S.MESSAGE_LOCAL_ADDPATH || st === S.MESSAGE_AS4_LOCAL_ADDPATH;
    const p = readPeerHeader(r, as4);
    if (!p.ok) return { kind: 'skipped', header, body: bytes, reason: `BGP4MP address family ${p.afi} not supported` };
    const { ok: _ok, ...peer } = p;
    const message = r.bytes(r.remaining);
    const key = sessionKey(peer);
    // RFC 8050 subtypes say so; otherwise the session's OPENs, when both are in the file.
    const negotiated = st >= 8 ? ADDPATH_BOTH : negotiatedAddPath(state.sessions.get(key), local);
    const decode = (addPath: ReadonlySet<string>): DecodeResult =>
      decodeMessage(message, makeContext({ as4, addPath, extendedMessage: true }));
    let addPath = negotiated ?? NO_ADDPATH;
    let decoded = decode(addPath);
    let addPathInferred = false;
    if (!decoded.ok && !negotiated && message[18] === 2) {
      // Fallback: BIRD versions before RFC 8050 wrote ADD-PATH NLRI under the plain subtypes.
      // If the UPDATE only makes sense with path identifiers, take it that way and say so.
      const withPathIds = decode(ADDPATH_BOTH);
      if (withPathIds.ok) {
        [decoded, addPath, addPathInferred] = [withPathIds, ADDPATH_BOTH, true];
      }
    }
    if (decoded.ok && decoded.msg.type === 'OPEN') {
      const session = state.sessions.get(key) ?? {};
      session[local ? 'local' : 'peer'] = addPathCaps(decoded.msg);
      state.sessions.set(key, session);
    }
    const rec: Bgp4mpMessage = {
      kind: 'message',
      header,
      body: bytes,
      ...peer,
      as4,
      local,
      addPath: addPath.size > 0,
      addPathFamilies: [...addPath],
      message,
      decoded,
    };
    if (addPathInferred) rec.addPathInferred = true;
    else if (st < 8 && addPath.size > 0) rec.addPathFromSession = true;
    return rec;
  }
  return { kind: 'skipped', header, body: bytes, reason: `BGP4MP subtype ${st} not supported` };
}

function parseTableDumpV2(header: MrtHeader, r: Reader, bytes: Uint8Array, state: ReaderState): MrtRecord {
  const T = TABLE_DUMP_V2_SUBTYPE;
  switch (header.subtype) {
    case T.PEER_INDEX_TABLE: {
      const collectorId = ipv4ToText(r.bytes(4));
      const viewName = Buffer.from(r.bytes(r.u16())).toString('utf8');
      const count = r.u16();
      const peers: MrtPeer[] = [];
      for (let i = 0; i < count; i++) {
        const peerType = r.u8();
        const afi = peerType & 1 ? 2 : 1;
        const bgpId = ipv4ToText(r.bytes(4));
        const ip = readIp(r, afi);
        const asn = peerType & 2 ? r.u32() : r.u16();
        peers.push({ bgpId, ip, afi, asn });
      }
      state.peers = peers;
      return { kind: 'peer-index-table', header, body: bytes, collectorId, viewName, peers };
    }
    case T.RIB_IPV4_UNICAST:
    case T.RIB_IPV6_UNICAST:
    case T.RIB_IPV4_UNICAST_ADDPATH:
    case T.RIB_IPV6_UNICAST_ADDPATH: {
      const afi = header.subtype === T.RIB_IPV4_UNICAST || header.subtype === T.RIB_IPV4_UNICAST_ADDPATH ? 1 : 2;
      const safi = 1;
      const addPath = header.subtype >= 8;
      const sequence = r.u32();
      const plen = r.u8();
      if (plen > (afi === 1 ? 32 : 128)) {
        return { kind: 'skipped', header, body: bytes, reason: `RIB prefix length ${plen} too long for AFI ${afi}` };
      }
      const pbytes = r.bytes((plen + 7) >> 3);
      const prefix = prefixToText(afi, pbytes, 0, plen);
      const count = r.u16();
      const entries: RibEntry[] = [];
      const ctx = makeContext({ as4: true });
      for (let i = 0; i < count; i++) {
        const peerIndex = r.u16();
        const originatedTime = r.u32();
        const pathId = addPath ? r.u32() : undefined;
        const attributeBytes = r.bytes(r.u16());
        // The codec reads RFC 6396's abbreviated MP_REACH_NLRI and Quagga's full RFC 4760 form.
        const attributes = decodePathAttributes(attributeBytes, ctx, { mrtRib: true, afi, safi });
        const entry: RibEntry = { peerIndex, originatedTime, attributeBytes, attributes };
        const peer = state.peers?.[peerIndex];
        if (peer) entry.peer = peer;
        if (pathId !== undefined) entry.pathId = pathId;
        entries.push(entry);
      }
      return { kind: 'rib', header, body: bytes, afi, safi, addPath, sequence, prefix, entries };
    }
    default:
      return { kind: 'skipped', header, body: bytes, reason: `TABLE_DUMP_V2 subtype ${header.subtype} not supported` };
  }
}
