// Import of a peer's routes into the Loc-RIB (the RIB's part of RFC 4271 §9.1): the loop checks,
// LOCAL_PREF from external peers ignored, then the peer's import filter. A full table imports a
// few attribute sets a quarter million times each, so the outcome is remembered per set: the
// loop checks for the last set seen, and the whole outcome per peer when the filter's result
// depends on the attributes only (ImportFilter.perAttributes).

import type { Config } from '../config/types.js';
import type { AttrStore } from './attrs.js';
import { NONE } from './family-rib.js';
import type { FamilyRib } from './family-rib.js';
import { LazyRoute } from './lazy-route.js';
import type { Family, ImportFilter, PathAttrs, PeerInfo, RouteSource } from './types.js';

/** The part of the configuration import reads. */
export type ImportConfig = Pick<Config, 'localAs' | 'routerId' | 'clusterId'>;

/**
 * The import outcome last computed for one received attribute set: with a filter whose result
 * depends on the attributes only (ImportFilter.perAttributes), every prefix of an UPDATE shares
 * it. Holds a reference on both ids.
 */
interface ImportMemo {
  family: Family;
  raw: number;
  acc: number;
}

/** What import reads and keeps of a peer (the RIB's peer state). */
export interface ImportState {
  info: PeerInfo;
  source: RouteSource;
  opts: { importFilter?: ImportFilter };
  memo: ImportMemo | undefined;
  /** The object `memo` is, kept while it is unset. */
  spareMemo?: ImportMemo;
  /** The import filter's perAttributes, read at the start of each call. */
  perAttributes: boolean;
}

function inPath(attrs: PathAttrs, asn: number): boolean {
  // Indexed: a for-of over the interned (frozen) lists allocated an iterator per set.
  const path = attrs.asPath;
  for (let i = 0; i < path.length; i++) if (path[i]!.asns.includes(asn)) return true;
  return false;
}

export class Importer {
  private readonly loopMemo: { raw: number; info?: PeerInfo; cfg?: ImportConfig; looped: boolean } = { raw: NONE, looped: false };

  constructor(private readonly store: AttrStore) {}

  /** Drop a peer's remembered outcome (new options, session down, a policy change). */
  forgetMemo(state: ImportState): void {
    const m = state.memo;
    if (!m) return;
    state.memo = undefined;
    this.store.releaseId(m.raw);
    if (m.acc !== NONE) this.store.releaseId(m.acc);
  }

  /** Whether import may run once per attribute set for this call (the filter says so, or there is none). */
  readFilter(state: ImportState): void {
    const filter = state.opts.importFilter;
    const per = !filter || filter.perAttributes === true;
    if (!per) this.forgetMemo(state);
    state.perAttributes = per;
  }

  /**
   * Import: loop checks, then the import filter. Returns the accepted attributes' id (one
   * reference taken) or NONE when import rejects the route.
   */
  importId(state: ImportState, cfg: ImportConfig, f: FamilyRib, pid: number, raw: number): number {
    const m = state.memo;
    if (m && m.raw === raw && m.family === f.family) {
      if (m.acc !== NONE) this.store.retainId(m.acc);
      return m.acc;
    }
    const acc = this.runImport(state, cfg, f, pid, raw);
    if (!state.perAttributes) return acc;
    // The outcome depends on the attributes only: remember it for the next prefixes (in the
    // peer's one memo object: a set is imported a quarter million times in a table).
    this.forgetMemo(state);
    this.store.retainId(raw);
    if (acc !== NONE) this.store.retainId(acc);
    const memo = (state.spareMemo ??= { family: f.family, raw, acc });
    memo.family = f.family;
    memo.raw = raw;
    memo.acc = acc;
    state.memo = memo;
    return acc;
  }

  private runImport(state: ImportState, cfg: ImportConfig, f: FamilyRib, pid: number, rawId: number): number {
    const peer = state.info;
    const raw = this.store.attrs(rawId);
    if (this.looped(state, cfg, rawId, raw)) return NONE;
    let attrs = raw;
    if (!peer.ibgp && raw.localPref !== undefined) {
      // RFC 4271 §5.1.5: LOCAL_PREF received from an external peer is ignored.
      attrs = { ...raw };
      delete attrs.localPref;
    }
    const filter = state.opts.importFilter;
    if (filter) {
      // The prefix text only if the filter reads it (prefix-dependent policies, length limits).
      const route = new LazyRoute(f.pt, pid, f.family, 0, state.source, 'unicast', attrs, false, raw, true);
      const out = filter(route, peer);
      if (!out) return NONE;
      attrs = out;
    }
    return this.store.internId(attrs);
  }

  /** The loop checks, remembered for the last set seen: every prefix of an UPDATE shares it. */
  private looped(state: ImportState, cfg: ImportConfig, rawId: number, raw: PathAttrs): boolean {
    const memo = this.loopMemo;
    if (memo.raw === rawId && memo.info === state.info && memo.cfg === cfg) return memo.looped;
    // RFC 4271 §9.1.2: a route whose AS_PATH holds our own AS is a loop and not accepted.
    let looped = inPath(raw, cfg.localAs);
    // RFC 4456 §8: a reflected route that carries our ORIGINATOR_ID or our CLUSTER_ID has looped.
    if (!looped && state.info.ibgp) looped = raw.originatorId === cfg.routerId || raw.clusterList.includes(cfg.clusterId);
    memo.raw = rawId;
    memo.info = state.info;
    memo.cfg = cfg;
    memo.looped = looped;
    return looped;
  }
}
