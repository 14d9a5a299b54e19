// routectl show rib: the query (prefix, `longer`, path filters) and the streamed answer. A full
// table is a million entries and hundreds of megabytes of JSON, so the answer goes out in chunks:
// each chunk is one socket write, the event loop runs between chunks (setImmediate) so that
// keepalives, UPDATEs and timers are never held up, and a full socket buffer ('drain') pauses
// the stream instead of piling the table up in memory.
//
// The RIB may change between chunks. The stream therefore never holds a RIB iterator across
// turns: it reads the prefixes of a family from the RIB's prefix table (Rib.prefixTables) at
// the start, a slice per turn, and looks each prefix up (Rib.lookup) when its chunk is built. A
// prefix withdrawn meanwhile is skipped, one that changed is shown as it is when sent, and
// prefixes added after the reading are not shown: the answer is the table as of the request,
// updated in place.
//
// Prefixes are listed in prefix order (src/mgmt/prefix-order.ts), not the RIB's, sorted a
// bucket at a time as the stream goes (rib-order.ts).

import type { Family, Rib, Route } from '../rib/index.js';
import { canonicalPrefix } from '../rib/index.js';
import type { DecisionConfig } from '../rib/index.js';
import { asPathText, compileAsPathRegex } from '../policy/index.js';
import { matchesLarge, matchesStandard, parseLarge, parseStandard } from '../policy/community.js';
import { PrefixSet, canonicalAddress, parsePrefix } from '../policy/prefix-trie.js';
import { dataLine } from '../mgmt/protocol.js';
import { orderedPrefixes } from './rib-order.js';
import type { MgmtRequest } from '../mgmt/protocol.js';
import type { Reply } from '../mgmt/server.js';
import { ribEntryJson } from './rib-json.js';

type PathFilter = (r: Route) => boolean;

/** The path filters, by option: each compiles the option's text or says why it cannot. */
const PATH_FILTERS: readonly { option: string; compile(text: string): PathFilter | string }[] = [
  {
    option: 'community',
    compile(text) {
      const p = parseStandard(text, true);
      if ('error' in p) return p.error;
      return (r) => r.attrs.communities.some((c) => matchesStandard(p.value, c));
    },
  },
  {
    option: 'large-community',
    compile(text) {
      const p = parseLarge(text, true);
      if ('error' in p) return p.error;
      return (r) => r.attrs.largeCommunities.some((c) => matchesLarge(p.value, c));
    },
  },
  {
    // The policy engine's AS path regexes ('_' boundaries) over the text show rib prints; an
    // empty path (static, connected) matches '^$' as in FRR.
    option: 'as-path',
    compile(text) {
      const re = compileAsPathRegex(text);
      if (typeof re === 'string') return re;
      return (r) => re.test(asPathText(r.attrs.asPath));
    },
  },
  {
    option: 'neighbor',
    compile(text) {
      const address = canonicalAddress(text);
      if (address === undefined) return `--neighbor takes an address, not ${text}`;
      return (r) => r.source.kind === 'bgp' && r.source.peer.address === address;
    },
  },
];

export interface RibQuery {
  families: Family[];
  /**
   * exact: one prefix; longest: the longest match of an address (as show route does); longer:
   * the prefix and every more specific prefix.
   */
  target?: { family: Family; prefix: string; mode: 'exact' | 'longest' | 'longer'; longer?: PrefixSet };
  /** Every given path filter must hold; absent: every path. */
  keep?: PathFilter;
}

function familiesOf(req: MgmtRequest): Family[] | string {
  const f = req.options.family;
  if (f === undefined) return ['ipv4', 'ipv6'];
  if (f === 'ipv4' || f === 'ipv6') return [f];
  return `--family takes ipv4 or ipv6, not ${String(f)}`;
}

function pathFilter(req: MgmtRequest): PathFilter | undefined | string {
  const filters: PathFilter[] = [];
  for (const spec of PATH_FILTERS) {
    const text = req.options[spec.option];
    if (text === undefined) continue;
    if (typeof text !== 'string') return `--${spec.option} needs a value`;
    const f = spec.compile(text);
    if (typeof f === 'string') return f;
    filters.push(f);
  }
  if (filters.length === 0) return undefined;
  return (r) => filters.every((f) => f(r));
}

function targetOf(args: string[], families: Family[]): RibQuery['target'] | string {
  const [text, word, extra] = args;
  if (text === undefined) return undefined;
  if (extra !== undefined || (word !== undefined && word !== 'longer')) return `unexpected ${[word, extra].filter(Boolean).join(' ')}: show rib [PREFIX [longer]|ADDRESS]`;
  const p = canonicalPrefix(text);
  if (!p) return `not a prefix or address: ${text}`;
  if (!families.includes(p.family)) return `${text} is not in --family ${families.join(', ')}`;
  const isPrefix = text.includes('/');
  if (word === 'longer') {
    if (!isPrefix) return `longer takes a prefix, not the address ${text}`;
    const parsed = parsePrefix(p.prefix);
    if (typeof parsed === 'string') return parsed;
    const longer = new PrefixSet();
    longer.add(parsed, parsed.len, p.family === 'ipv4' ? 32 : 128);
    return { family: p.family, prefix: p.prefix, mode: 'longer', longer };
  }
  return { family: p.family, prefix: p.prefix, mode: isPrefix ? 'exact' : 'longest' };
}

/** show rib's arguments and options to a query, or the usage error. */
export function ribQuery(req: MgmtRequest): RibQuery | string {
  const families = familiesOf(req);
  if (typeof families === 'string') return families;
  const keep = pathFilter(req);
  if (typeof keep === 'string') return keep;
  const target = targetOf(req.args, families);
  if (typeof target === 'string') return target;
  return { families: target?.mode === 'longer' ? [target.family] : families, ...(target && { target }), ...(keep && { keep }) };
}

/** One prefix's view as a data frame line, or '' when the filters leave no path of it. */
function entryLine(rib: Rib, cfg: DecisionConfig, family: Family, prefix: string, keep: PathFilter | undefined): string {
  const e = rib.lookup(family, prefix);
  if (!e || (keep && !e.candidates.some(keep))) return '';
  return dataLine(ribEntryJson(e, cfg, keep));
}

/** exact / longest: the one entry, or undefined when there is none (or the filters drop it). */
export function findRibLine(rib: Rib, cfg: DecisionConfig, q: RibQuery): string | undefined {
  const t = q.target;
  if (!t || t.mode === 'longer') return undefined;
  const slash = t.prefix.indexOf('/');
  const length = Number(t.prefix.slice(slash + 1));
  for (let len = length; len >= (t.mode === 'exact' ? length : 0); len--) {
    const c = canonicalPrefix(`${t.prefix.slice(0, slash)}/${len}`);
    if (!c || !rib.lookup(c.family, c.prefix)) continue;
    // Longest match finds the most specific prefix; filters apply to it, not to shorter ones.
    return entryLine(rib, cfg, c.family, c.prefix, q.keep) || undefined;
  }
  return undefined;
}

/** A chunk is sent once it holds this much text, or once this many prefixes were looked at. */
const CHUNK_CHARS = 64 * 1024;
const CHUNK_PREFIXES = 2048;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A chunk's bytes. The text is nearly always ASCII (prefixes, AS paths, communities, words): then
 * a Latin-1 copy is its UTF-8, and about twice as fast to make as the UTF-8 encoding the socket
 * would do. Anything else (an interface name in UTF-8) is encoded as UTF-8.
 */
function chunkBytes(chunk: string): Buffer {
  return Buffer.byteLength(chunk, 'utf8') === chunk.length ? Buffer.from(chunk, 'latin1') : Buffer.from(chunk, 'utf8');
}

/**
 * Stream every entry the query selects, in prefix order, IPv4 first. Returns how many entries
 * were sent (fewer when the client went away).
 */
export async function streamRib(rib: Rib, cfg: DecisionConfig, q: RibQuery, reply: Reply): Promise<number> {
  let sent = 0;
  const longer = q.target?.mode === 'longer' ? q.target.longer : undefined;
  for (const family of q.families) {
    const include = longer && ((prefix: string): boolean => longer.matchesRoute(family, prefix));
    const prefixes = await orderedPrefixes(family, () => rib.prefixTables[family], include);
    for (let done = false; !done; ) {
      if (reply.closed) return sent;
      // Lines joined once: a string grown line by line is a rope the write would flatten again.
      const lines: string[] = [];
      for (let n = 0, size = 0; n < CHUNK_PREFIXES && size < CHUNK_CHARS; n++) {
        const next = prefixes.next();
        if (next.done) {
          done = true;
          break;
        }
        const line = entryLine(rib, cfg, family, next.value, q.keep);
        if (line === '') continue;
        lines.push(line);
        size += line.length;
        sent++;
      }
      if (lines.length > 0) await reply.writeFrames(chunkBytes(lines.join('')));
      // Whether or not the socket had to drain, let the event loop run before the next chunk.
      await nextTurn();
    }
  }
  return sent;
}
