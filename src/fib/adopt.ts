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
import type { FibFamily, FibRoute } from './types.js';

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
