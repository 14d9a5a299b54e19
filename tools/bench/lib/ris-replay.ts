// Replaying a RIPE RIS capture (MRT BGP4MP UPDATEs, read with src/mrt) into a device under test:
// the capture's UPDATEs grouped per RIS peer in capture order, and each UPDATE rewritten so that
// a lite session standing in for that peer can send it. What the rewrite keeps and changes:
// - NEXT_HOP and the MP_REACH_NLRI next hops become the session's own address (the originals
//   are not reachable in a test namespace);
// - a 2-octet capture's AS_PATH and AS4_PATH are merged (RFC 6793 §4.2.3) and AGGREGATOR takes
//   AS4_AGGREGATOR's value when it carries AS_TRANS: the lite session is a NEW (4-octet)
//   speaker, between which AS4_PATH and AS4_AGGREGATOR are not sent (RFC 6793 §4.1);
// - everything else (ORIGIN, AS path, MED, communities, NLRI, withdrawals, attribute order and
//   flags) is kept as captured.

import { AS_TRANS, encodeMessage, findAttr, makeContext, mergeAsPath } from '../../../src/bgp/wire/index.js';
import type { PathAttribute, UpdateMessage } from '../../../src/bgp/wire/types.js';
import { loadMrtFile } from '../../../src/mrt/input.js';
import { readMrt } from '../../../src/mrt/reader.js';

export interface RisPeerStream {
  /** The RIS peer as the capture names it. */
  peerIp: string;
  peerAs: number;
  /** Its UPDATEs in capture order, as decoded (not yet rewritten). */
  updates: UpdateMessage[];
  /** Whether the capture's session with it used 4-octet AS numbers. */
  as4: boolean;
}

/** The UPDATEs a RIS collector received, per peer, in capture order; the busiest `limit` peers. */
export function risPeerStreams(file: string, limit = Infinity): RisPeerStream[] {
  const byPeer = new Map<string, RisPeerStream>();
  for (const rec of readMrt(loadMrtFile(file))) {
    if (rec.kind !== 'message' || rec.local || !rec.decoded.ok || rec.decoded.msg.type !== 'UPDATE') continue;
    let s = byPeer.get(rec.peerIp);
    if (!s) byPeer.set(rec.peerIp, (s = { peerIp: rec.peerIp, peerAs: rec.peerAs, updates: [], as4: rec.as4 }));
    s.updates.push(rec.decoded.msg);
  }
  return [...byPeer.values()].sort((a, b) => b.updates.length - a.updates.length || (a.peerIp < b.peerIp ? -1 : 1)).slice(0, limit);
}

/** RFC 6793 §4.2.3 for an UPDATE captured on a 2-octet session; a no-op for 4-octet ones. */
function as4Merged(attrs: PathAttribute[], as4: boolean): PathAttribute[] {
  const as4Path = findAttr(attrs, 'AS4_PATH')?.value;
  const as4Aggregator = findAttr(attrs, 'AS4_AGGREGATOR')?.value;
  const out: PathAttribute[] = [];
  for (const a of attrs) {
    if (a.name === 'AS4_PATH' || a.name === 'AS4_AGGREGATOR') continue;
    if (!as4 && a.name === 'AS_PATH') out.push({ ...a, value: mergeAsPath(a.value, as4Path) });
    else if (!as4 && a.name === 'AGGREGATOR' && a.value.asn === AS_TRANS && as4Aggregator) out.push({ ...a, value: { ...as4Aggregator } });
    else out.push(a);
  }
  return out;
}

/** One UPDATE as the session at nextHop sends it (see the file comment). */
export function rewriteUpdate(msg: UpdateMessage, nextHop: { v4: string; v6?: string }, as4: boolean): UpdateMessage {
  const attributes = as4Merged(msg.attributes, as4).map((a): PathAttribute => {
    if (a.name === 'NEXT_HOP') return { ...a, value: nextHop.v4 };
    if (a.name === 'MP_REACH_NLRI') {
      const v = a.value;
      const nh = v.afi === 2 ? nextHop.v6 : nextHop.v4;
      if (!nh) throw new Error(`no next hop for afi ${v.afi}`);
      return { ...a, value: { ...v, nextHops: [nh] } };
    }
    return a;
  });
  return { ...msg, attributes };
}

/** The encoder for the replay: 4-octet AS, as the lite session negotiates. */
export const REPLAY_CTX = makeContext({ as4: true });

/** One peer's rewritten UPDATEs encoded back to back, ready to stream. */
export function encodeReplay(stream: RisPeerStream, nextHop: { v4: string; v6?: string }): Buffer {
  return Buffer.concat(stream.updates.map((m) => encodeMessage(rewriteUpdate(m, nextHop, stream.as4), REPLAY_CTX)));
}
