// Restart without loss: what a previous run of routed left in the forwarding plane (its proto 186
// kernel routes, its pinned XDP tries) is adopted at start-up and keeps forwarding while the
// sessions come back. Every adopted entry is stale until the new Loc-RIB writes the same prefix
// again; once the sessions have resynchronised, the stale ones left are swept.
//
// The trie entries point at next-hop ids the previous run allocated. This run's next-hop table
// starts empty and would hand out the same ids for other next hops. With kernel routes behind
// the entries (xdp+kernel), the adopted entries are moved onto the shared "pass" slot first: the
// program hands those packets to the kernel, whose adopted routes forward them, until the prefix
// is written again with a next hop of this run. In xdp-only mode nothing stands behind them, so
// the slots themselves are adopted as they are (XdpNextHops.adopt): their ids stay reserved and
// the entries keep forwarding through them until written again or swept.

import type { KernelFib } from './kernel/backend.js';
import type { RoutedXdp } from './bpf/routed.js';
import type { FibTables } from './tables.js';
import type { XdpNextHops } from './xdp-nexthops.js';
import type { FibFamily, FibNextHop, FibRoute } from './types.js';

export interface PreviousState {
  /** routed's kernel routes in the main table. */
  kernel: FibRoute[];
  /** Prefixes with an entry in the pinned tries, and the next-hop slot each points at. */
  trie: { family: FibFamily; prefix: string; id: number }[];
}

/** Read what the previous run left: kernel routes with protocol 186 and the pinned tries' entries. */
export async function readPrevious(kernel: KernelFib | undefined, xdp: RoutedXdp | undefined): Promise<PreviousState> {
  const routes = kernel ? await kernel.dump() : [];
  const trie: PreviousState['trie'] = [];
  if (xdp) {
    for (const [prefix, id] of xdp.v4.dump()) trie.push({ family: 'ipv4', prefix, id });
    for (const [prefix, id] of xdp.v6.dump()) trie.push({ family: 'ipv6', prefix, id });
  }
  return { kernel: routes, trie };
}

/**
 * Record what the previous run left as this run's installed state, every prefix stale: kernel
 * routes as they are; trie entries on their own slots in xdp-only mode (hops.adopt), else moved
 * onto the shared "pass" slot (written to the tries here).
 */
export function adoptInto(t: FibTables, prev: PreviousState, xdp: RoutedXdp | undefined, hops: XdpNextHops | undefined, withKernel: boolean): void {
  // The dump's routes on one nexthop object share their next-hop list: one shape lookup per list.
  const seen = new Map<readonly FibNextHop[], { shape: number; r: FibRoute }>();
  const shapeOf = (r: FibRoute): number => {
    const m = seen.get(r.nextHops);
    if (m && m.r.family === r.family && m.r.kind === r.kind && m.r.metric === r.metric) return m.shape;
    const shape = t.shapes.ofRoute(r);
    seen.set(r.nextHops, { shape, r });
    return shape;
  };
  for (const r of prev.kernel) {
    const at = t.hold(r.family, r.prefix);
    if (!at) continue;
    t.setKernel(at.f, at.id, shapeOf(r));
    t.markStale(at.f, at.id);
  }
  if (!hops || !xdp || prev.trie.length === 0) return;
  const moved: Record<FibFamily, [string, number][]> = { ipv4: [], ipv6: [] };
  for (const e of prev.trie) {
    const at = t.hold(e.family, e.prefix);
    if (!at) continue;
    const { f, id } = at;
    // xdp only: no kernel route behind the entries, so they keep their slots.
    const hop = withKernel ? hops.special('pass') : hops.adopt(e.id);
    const old = f.hop(id);
    t.setHop(f, id, hop);
    if (old) hops.release(old);
    t.markStale(f, id);
    if (withKernel) moved[e.family].push([e.prefix, hop.id]);
  }
  xdp.v4.setMany(moved.ipv4);
  xdp.v6.setMany(moved.ipv6);
}
