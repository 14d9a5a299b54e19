// Text tables for people (routectl without --json). Pure: views in, lines out. Streaming
// commands format row by row, so column widths are fixed rather than measured over the table.

import type { AdjRibView, FibDiffView, FibEntryView, FibSummaryView, NeighborView, RibEntryView, RibPathView, StatusView, XdpRouteView, XdpSlotView, XdpView } from './views.js';

export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const hms = [Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return d > 0 ? `${d}d${hms}` : hms;
}

function row(cells: (string | number | undefined)[], widths: number[]): string {
  return cells
    .map((c, i) => {
      const text = c === undefined ? '' : String(c);
      const w = widths[i];
      return w === undefined ? text : text.padEnd(w);
    })
    .join(' ')
    .trimEnd();
}

const NEIGHBOR_WIDTHS = [26, 10, 12, 10, 9, 9, 10];

export function neighborsHeader(): string {
  return row(['Neighbor', 'AS', 'State', 'Up/Down', 'Received', 'Accepted', 'Advertised', 'Description'], NEIGHBOR_WIDTHS);
}

export function neighborRow(n: NeighborView): string {
  const state = n.adminDown ? 'Idle(Admin)' : n.state;
  return row([n.address, n.remoteAs, state, duration(n.sinceSeconds), n.received, n.accepted, n.advertised, n.description], NEIGHBOR_WIDTHS);
}

/** `show neighbors NEIGHBOUR`: the long form. */
export function neighborDetail(n: NeighborView): string[] {
  const lines = [
    `BGP neighbor ${n.address}, remote AS ${n.remoteAs}, local AS ${n.localAs}${n.description ? `, "${n.description}"` : ''}`,
    `  State: ${n.adminDown ? 'Idle (administratively down)' : n.state}, for ${duration(n.sinceSeconds)}`,
  ];
  if (n.routerId) lines.push(`  Router ID: ${n.routerId}`);
  if (n.holdTime !== undefined) lines.push(`  Hold time: ${n.holdTime} s, keepalive: ${n.keepalive ?? 0} s`);
  lines.push(`  Families: ${n.families.join(', ') || '-'}`);
  lines.push(`  Capabilities: ${n.capabilities.join(', ') || '-'}`);
  lines.push(`  Prefixes: received ${n.received}, accepted ${n.accepted}, advertised ${n.advertised}`);
  if (n.lastError) lines.push(`  Last error: ${n.lastError}`);
  return lines;
}

const RIB_WIDTHS = [3, 24, 26, 15, 6, 6];

export function ribHeader(): string {
  return row(['', 'Prefix', 'Next hop', 'From', 'LocPrf', 'MED', 'Path / origin / decided by'], RIB_WIDTHS);
}

function originCode(origin: string): string {
  return origin === 'IGP' ? 'i' : origin === 'EGP' ? 'e' : '?';
}

/** Flags like FRR's: '*' usable, '>' best, '=' multipath, 'S' stale, 'u' unresolved next hop. */
function flags(p: RibPathView): string {
  return `${p.resolved ? '*' : 'u'}${p.best ? '>' : p.multipath ? '=' : ' '}${p.stale ? 'S' : ''}`;
}

export function ribRows(e: RibEntryView): string[] {
  return e.paths.map((p, i) => {
    const from = p.neighbor ?? p.source;
    const tail = p.source === 'bgp' ? [p.asPath, originCode(p.origin)].filter(Boolean).join(' ') : p.source;
    const decided = p.decidedBy ? ` [${p.decidedBy}]` : '';
    const via = p.nextHop || (p.interface ? `dev ${p.interface}` : p.type);
    return row([flags(p), i === 0 ? e.prefix : '', via, from, p.localPref, p.med, `${tail}${decided}`], RIB_WIDTHS);
  });
}

const ADJ_WIDTHS = [30, 26, 6, 6];

export function adjRibHeader(): string {
  return row(['Prefix', 'Next hop', 'LocPrf', 'MED', 'Path / origin'], ADJ_WIDTHS);
}

export function adjRibRow(r: AdjRibView): string {
  const prefix = r.pathId ? `${r.prefix} id ${r.pathId}` : r.prefix;
  const status = r.accepted === false ? ' (filtered)' : '';
  return row([prefix, r.nextHop, r.localPref, r.med, `${[r.asPath, originCode(r.origin)].filter(Boolean).join(' ')}${status}`], ADJ_WIDTHS);
}

/** A next-hop slot in one line: "#3 forward e1 02:..:01 (VLAN 10, MTU 1500)" or "#7 ecmp [#3, #4]". */
export function slotText(s: XdpSlotView): string {
  if (s.members) return `#${s.id} ecmp [${s.members.map((m) => slotText(m)).join('; ')}]`;
  if (s.kind !== 'forward') return `#${s.id} ${s.kind}`;
  const state = s.flags.includes('RESOLVED') ? `${s.dstMac} from ${s.srcMac}` : 'unresolved';
  const extra = [s.vlan ? `VLAN ${s.vlan}` : '', s.mtu ? `MTU ${s.mtu}` : ''].filter(Boolean).join(', ');
  return `#${s.id} forward ${s.interface ?? ''} ${state}${extra ? ` (${extra})` : ''}`;
}

const FIB_WIDTHS = [30, 34];

export function fibHeader(): string {
  return row(['Prefix', 'Kernel (proto 186)', 'XDP'], FIB_WIDTHS);
}

export function fibRow(e: FibEntryView): string {
  const k = e.kernel;
  const kernel = !k ? '-' : k.type !== 'unicast' ? k.type : k.nextHops.map((h) => (h.gateway ? `via ${h.gateway}${h.interface ? ` dev ${h.interface}` : ''}` : `dev ${h.interface ?? '?'}`)).join(', ');
  return row([e.prefix, kernel, e.xdp ? slotText(e.xdp) : '-'], FIB_WIDTHS);
}

export function fibSummaryText(s: FibSummaryView): string {
  const planes = [s.kernel ? 'kernel' : '', s.xdp ? 'XDP' : ''].filter(Boolean).join(' + ') || 'none';
  return `${s.prefixes} prefixes (mode ${s.mode}: ${planes}); ${s.kernelRoutes} kernel routes, ${s.xdpEntries} XDP entries, ${s.nextHops} next hops; ${s.errors} errors, ${s.repaired} repaired`;
}

export function routeLines(r: XdpRouteView): string[] {
  const lines = [`${r.address}: ${r.prefix !== undefined ? `matches ${r.prefix}` : 'no match in the XDP trie'}`, `  action: ${r.action} (${r.reason})`];
  if (r.nextHop) lines.push(`  next hop: ${slotText(r.nextHop)}`);
  for (const m of r.members ?? []) lines.push(`    member ${slotText(m.nextHop)}: ${m.action} (${m.reason})`);
  return lines;
}

export function xdpLines(v: XdpView): string[] {
  const lines = [fibSummaryText(v.fib), `XDP entries: ${v.entries.ipv4} IPv4, ${v.entries.ipv6} IPv6`];
  lines.push(v.interfaces.length ? `Interfaces: ${v.interfaces.map((i) => `${i.interface} (${i.mode})`).join(', ')}` : 'Interfaces: none');
  lines.push(row(['Outcome', 'Reason', 'Packets', 'Bytes'], [8, 18, 14]));
  for (const c of v.counters) lines.push(row([c.outcome, c.reason, c.packets, c.bytes], [8, 18, 14]));
  return lines;
}

export function fibDiffRow(d: FibDiffView): string {
  return `${d.prefix} ${d.plane}: ${d.problem}${d.want !== undefined ? `, want ${d.want}` : ''}${d.have !== undefined ? `, have ${d.have}` : ''}`;
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

/** `show status`. */
export function statusLines(s: StatusView): string[] {
  return [
    `routed ${s.version}, pid ${s.pid}, up ${duration(s.uptimeSeconds)} (since ${s.startedAt})`,
    `Router ID ${s.routerId}, local AS ${s.localAs}`,
    `Memory: RSS ${mib(s.memory.rss)}, heap ${mib(s.memory.heapUsed)} used of ${mib(s.memory.heapTotal)}, external ${mib(s.memory.external)}`,
    `RIB: ${s.rib.map((r) => `${r.family} ${r.prefixes} prefixes`).join(', ')}`,
    `Neighbors: ${s.neighbors.established} established of ${s.neighbors.total}`,
    `FIB: ${s.fib ? fibSummaryText(s.fib) : 'not programmed'}`,
  ];
}
