// Enhanced Route Refresh, receiving side (RFC 7313 §4): "the BGP speaker MUST mark all the
// routes with the given AFI/SAFI from that peer as stale" on a BoRR, and on the EoRR "purge all
// the routes that are still marked as stale". Kept here, outside the RIB, as the set of Adj-RIB-In
// keys present at the BoRR minus those the peer announced or withdrew since; what is left at the
// EoRR is withdrawn through the RIB's public API.

import type { Nlri, UpdateMessage } from '../bgp/wire/index.js';
import type { Family } from '../rib/index.js';

const FAMILY_OF_AFI: Record<number, Family> = { 1: 'ipv4', 2: 'ipv6' };
const SAFI_UNICAST = 1;

const keyOf = (prefix: string, pathId: number | undefined): string => `${prefix}|${pathId ?? 0}`;

export class RefreshSweep {
  /** Per family under refresh: key → the NLRI to withdraw if the peer does not send it again. */
  private readonly stale = new Map<Family, Map<string, Nlri>>();

  /** BoRR: every route the peer has in this family now is stale until sent again. */
  begin(family: Family, current: Iterable<{ prefix: string; pathId: number }>): void {
    const marked = new Map<string, Nlri>();
    for (const r of current) marked.set(keyOf(r.prefix, r.pathId), r.pathId ? { prefix: r.prefix, pathId: r.pathId } : { prefix: r.prefix });
    this.stale.set(family, marked);
  }

  get active(): boolean {
    return this.stale.size > 0;
  }

  /** An UPDATE during the refresh: what it announces or withdraws is no longer stale. */
  seen(msg: UpdateMessage): void {
    this.clear('ipv4', msg.withdrawn);
    this.clear('ipv4', msg.nlri);
    for (const attr of msg.attributes) {
      if (attr.name !== 'MP_REACH_NLRI' && attr.name !== 'MP_UNREACH_NLRI') continue;
      const family = FAMILY_OF_AFI[attr.value.afi];
      if (!family || attr.value.safi !== SAFI_UNICAST) continue;
      this.clear(family, attr.name === 'MP_REACH_NLRI' ? attr.value.nlri : attr.value.withdrawn);
    }
  }

  private clear(family: Family, nlri: readonly Nlri[]): void {
    const marked = this.stale.get(family);
    if (!marked || nlri.length === 0) return;
    for (const n of nlri) marked.delete(keyOf(n.prefix, n.pathId));
  }

  /** EoRR: the routes still stale, to purge; undefined when no BoRR started a refresh. */
  end(family: Family): Nlri[] | undefined {
    const marked = this.stale.get(family);
    this.stale.delete(family);
    return marked ? [...marked.values()] : undefined;
  }

  /** The session went down: a refresh in progress is forgotten (its routes go with the session). */
  reset(): void {
    this.stale.clear();
  }
}
