// What routed should have installed against what the forwarding plane holds. The comparison is
// pure (compareFib: desired state, kernel routes and trie entries in, differences out); reading
// the planes (readFibState) and writing them back (repairFib) go through the FIB manager.
//
// Desired state is the manager's own desiredOf() of every Loc-RIB best set, so the check cannot
// drift from what the manager would write. The kernel side is routed's proto 186 routes of the
// main table; the XDP side is both LPM tries, each entry classified by the next-hop slot it
// points at.
//
// The daemon's passes (the periodic repair, routectl check fib) are cooperative: a full table is
// about a second of work, so the comparison runs in steps and lets the event loop turn between
// them (turns.ts), and what it finds is compared again before it is reported or repaired.

import { RoutedNhFlag, RoutedStat } from './bpf/layout.generated.js';
import type { RoutedNextHop, RoutedStatName } from './bpf/layout.generated.js';
import { macToText } from './bpf/maps.js';
import type { RoutedXdp } from './bpf/routed.js';
import { desiredOf } from './manager.js';
import type { FibManager } from './manager.js';
import type { FibFamily, FibNextHop, FibRoute } from './types.js';
import { Turns, runAtOnce, runCooperative } from './turns.js';
import type { BestChange, Route } from '../rib/types.js';
import { canonicalPrefix } from '../rib/prefix.js';
import type { XdpRouteView, XdpSlotView, XdpVerdictView, XdpView } from '../mgmt/views.js';

/** What a trie entry makes the program do, from its next-hop slot. */
export type XdpEntryKind = 'forward' | 'pass' | 'local' | 'blackhole' | 'unreachable';

export interface XdpEntry {
  family: FibFamily;
  prefix: string;
  kind: XdpEntryKind;
}

export interface FibState {
  /** Every Loc-RIB best set, through desiredOf. */
  desired: Iterable<{ family: FibFamily; prefix: string; want: ReturnType<typeof desiredOf> }>;
  /** The router's own addresses (LOCAL trie entries, not RIB prefixes). */
  local: readonly string[];
  /** routed's kernel routes; undefined when there is no kernel backend. */
  kernel?: readonly FibRoute[];
  /** The trie entries; undefined when XDP is not running. */
  xdp?: readonly XdpEntry[];
  ifname(ifindex: number): string | undefined;
}

export interface FibDiff {
  family: FibFamily;
  prefix: string;
  plane: 'kernel' | 'xdp';
  problem: 'missing' | 'extra' | 'differs';
  /** What should be there / what is there, in text (absent: nothing). */
  want?: string;
  have?: string;
}

/** A slot's meaning as the program reads it (bpf/xdp_fwd.c: flags tested in this order). */
export function classifySlot(nh: RoutedNextHop): XdpEntryKind {
  if (nh.flags & RoutedNhFlag.LOCAL) return 'local';
  if (nh.flags & RoutedNhFlag.BLACKHOLE) return 'blackhole';
  if (nh.flags & RoutedNhFlag.UNREACHABLE) return 'unreachable';
  // An unresolved forward slot keeps its ifindex; the shared pass slot has none.
  if (nh.flags & (RoutedNhFlag.ECMP | RoutedNhFlag.RESOLVED) || nh.ifindex !== 0) return 'forward';
  return 'pass';
}

/** Next hops as comparable text: "via GATEWAY" (the kernel picks the device) or "dev NAME". */
function hopsText(hops: readonly FibNextHop[], ifname: (i: number) => string | undefined): string {
  const one = (h: FibNextHop): string => (h.gateway !== undefined ? `via ${h.gateway}` : `dev ${h.interface ?? (h.ifindex !== undefined ? ifname(h.ifindex) ?? `#${h.ifindex}` : '?')}`);
  return hops.map(one).sort().join(', ');
}

export function routeText(r: FibRoute, ifname: (i: number) => string | undefined): string {
  return r.kind === 'unicast' ? hopsText(r.nextHops, ifname) : r.kind;
}

/** Items between two looks at the clock in the comparison (a few hundred microseconds of work). */
const STEP = 256;

const keyOf = (x: { family: string; prefix: string }): string => `${x.family}|${x.prefix}`;

/** One collator for every comparison: localeCompare with options builds one per call (thousands of diffs took ~0.5 s). */
const numeric = new Intl.Collator('en', { numeric: true });

function sortDiffs(diffs: FibDiff[]): FibDiff[] {
  return diffs.sort((a, b) => numeric.compare(a.family, b.family) || numeric.compare(a.prefix, b.prefix) || numeric.compare(a.plane, b.plane));
}

/**
 * The comparison as steps: it yields every STEP items, so a caller can let the event loop turn
 * between them (compareFibAsync) or run it through (compareFib). The desired state is read lazily,
 * so desiredOf runs inside the steps too.
 */
function* compareSteps(s: FibState, sorted = true): Generator<void, FibDiff[], undefined> {
  const diffs: FibDiff[] = [];
  let n = 0;
  const kernel = s.kernel && new Map<string, FibRoute>();
  for (const r of s.kernel ?? []) {
    kernel!.set(keyOf(r), r);
    if (++n % STEP === 0) yield;
  }
  const xdp = s.xdp && new Map<string, XdpEntry>();
  for (const e of s.xdp ?? []) {
    xdp!.set(keyOf(e), e);
    if (++n % STEP === 0) yield;
  }
  const local = new Set(s.local);
  for (const d of s.desired) {
    const k = keyOf(d);
    const base = { family: d.family, prefix: d.prefix };
    if (kernel) {
      const have = kernel.get(k);
      kernel.delete(k);
      const want = d.want.kernel && routeText(d.want.kernel, s.ifname);
      const got = have && routeText(have, s.ifname);
      if (want !== got) diffs.push({ ...base, plane: 'kernel', problem: !got ? 'missing' : !want ? 'extra' : 'differs', ...(want ? { want } : {}), ...(got ? { have: got } : {}) });
    }
    // The router's own address wins its trie slot over a RIB prefix of the same length.
    if (xdp && !local.has(d.prefix)) {
      const have = xdp.get(k)?.kind;
      xdp.delete(k);
      const want = d.want.xdp?.kind;
      // A forward next hop whose gateway the kernel cannot reach yet is written as "pass" on purpose.
      const ok = want === have || (want === 'forward' && have === 'pass');
      if (!ok) diffs.push({ ...base, plane: 'xdp', problem: !have ? 'missing' : !want ? 'extra' : 'differs', ...(want ? { want } : {}), ...(have ? { have } : {}) });
    }
    if (++n % STEP === 0) yield;
  }
  if (xdp) {
    for (const p of local) {
      const family: FibFamily = p.includes(':') ? 'ipv6' : 'ipv4';
      const have = xdp.get(`${family}|${p}`)?.kind;
      xdp.delete(`${family}|${p}`);
      if (have !== 'local') diffs.push({ family, prefix: p, plane: 'xdp', problem: have ? 'differs' : 'missing', want: 'local', ...(have ? { have } : {}) });
    }
    for (const e of xdp.values()) diffs.push({ family: e.family, prefix: e.prefix, plane: 'xdp', problem: 'extra', have: e.kind });
  }
  for (const r of kernel?.values() ?? []) {
    diffs.push({ family: r.family, prefix: r.prefix, plane: 'kernel', problem: 'extra', have: routeText(r, s.ifname) });
    if (++n % STEP === 0) yield;
  }
  return sorted ? sortDiffs(diffs) : diffs;
}

/** Every difference between the desired state and the planes, sorted by prefix then plane. */
export function compareFib(s: FibState): FibDiff[] {
  return runAtOnce(compareSteps(s));
}

/** compareFib letting the event loop turn whenever `turns` says (a table of 100k routes is ~1 s of work). */
export function compareFibAsync(s: FibState, turns = new Turns(), sorted = true): Promise<FibDiff[]> {
  return runCooperative(compareSteps(s, sorted), turns);
}

/** Every trie entry, classified by its slot (each slot read once). */
export function readTries(xdp: RoutedXdp): XdpEntry[] {
  const slots = new Map<number, XdpEntryKind>();
  const kind = (id: number): XdpEntryKind => {
    let k = slots.get(id);
    if (k === undefined) slots.set(id, (k = id === 0 ? 'pass' : classifySlot(xdp.nextHops.get(id))));
    return k;
  };
  const out: XdpEntry[] = [];
  for (const [family, trie] of [['ipv4', xdp.v4], ['ipv6', xdp.v6]] as const) for (const [prefix, id] of trie.dump()) out.push({ family, prefix, kind: kind(id) });
  return out;
}

/** The planes as they are once pending writes are done, and the desired state (read lazily from `desired`). */
async function readPlanes(fib: FibManager, desired: FibState['desired'], turns?: Turns): Promise<FibState & { kernel?: FibRoute[] }> {
  // Pending writes first: a check right after a change must not report it as missing.
  await fib.idle();
  const kernel = fib.kernel ? await fib.kernel.dump(turns) : undefined;
  return {
    desired,
    local: fib.localPrefixes(),
    ...(kernel ? { kernel } : {}),
    ...(fib.xdp ? { xdp: readTries(fib.xdp) } : {}),
    ifname: (i) => fib.linkName(i),
  };
}

/** The manager's planes and the desired state of the given best sets. */
export async function readFibState(fib: FibManager, best: Iterable<BestChange>): Promise<FibState & { kernel?: FibRoute[] }> {
  const s = await readPlanes(fib, []);
  return { ...s, desired: [...best].map((c) => ({ family: c.family, prefix: c.prefix, want: desiredOf(c) })) };
}

/** What the checks need of the RIB: every best set, and one prefix's best set as it is now. */
export interface RibReader {
  bestRoutes(family: FibFamily): Iterable<BestChange>;
  lookup(family: FibFamily, prefix: string): { best: readonly Route[] } | undefined;
}

/** The desired state of every Loc-RIB best set, computed as the comparison reaches it. */
function* desiredOfRib(rib: RibReader): Generator<FibState['desired'] extends Iterable<infer D> ? D : never> {
  for (const family of ['ipv4', 'ipv6'] as const) for (const c of rib.bestRoutes(family)) yield { family: c.family, prefix: c.prefix, want: desiredOf(c) };
}

export interface PassOptions {
  /** When the pass lets the event loop turn (tests: Turns(0), every step). */
  turns?: Turns;
  /** The first pass's candidates, before they are compared again (tests). */
  firstPass?: (diffs: readonly FibDiff[]) => void;
}

/** A prefix's best set as the RIB holds it now. */
function bestNow(rib: RibReader, family: FibFamily, prefix: string): BestChange {
  return { family, prefix, best: rib.lookup(family, prefix)?.best ?? [] };
}

/**
 * Every difference between the RIB and the planes, found without holding the event loop. Routes
 * may change while the pass runs (the RIB between steps, the kernel between its dump and the
 * comparison), so what the first pass finds is only a candidate: those prefixes are compared
 * again against freshly read planes and the RIB as it is then, and only a difference found both
 * times is reported. Also returns the second read's kernel routes of those prefixes (a repair
 * deletes exactly what the kernel holds).
 */
async function confirmedDiffs(fib: FibManager, rib: RibReader, o: PassOptions = {}): Promise<{ diffs: FibDiff[]; kernel: Map<string, FibRoute[]> }> {
  const turns = o.turns ?? new Turns();
  // Unsorted: only what is found again is reported, and sorting a long list is one piece of work.
  const first = await compareFibAsync(await readPlanes(fib, desiredOfRib(rib), turns), turns, false);
  o.firstPass?.(first);
  if (first.length === 0) return { diffs: first, kernel: new Map() };
  const wanted = new Set(first.map(keyOf));
  const again = await readPlanes(fib, [], turns);
  const only = <T extends { family: string; prefix: string }>(xs: readonly T[] | undefined): T[] | undefined => xs?.filter((x) => wanted.has(keyOf(x)));
  const kernel = only(again.kernel);
  const xdp = only(again.xdp);
  const state: FibState = {
    ...again,
    // Read after the planes: a write the manager made in between is in both.
    desired: [...wanted].map((k) => {
      const [family, prefix] = k.split('|') as [FibFamily, string];
      return { family, prefix, want: desiredOf(bestNow(rib, family, prefix)) };
    }),
    local: again.local.filter((p) => wanted.has(`${p.includes(':') ? 'ipv6' : 'ipv4'}|${p}`)),
    ...(kernel ? { kernel } : {}),
    ...(xdp ? { xdp } : {}),
  };
  const twice = new Set(first.map((d) => `${keyOf(d)}|${d.plane}`));
  const diffs = (await compareFibAsync(state, turns)).filter((d) => twice.has(`${keyOf(d)}|${d.plane}`));
  const byKey = new Map<string, FibRoute[]>();
  for (const r of kernel ?? []) byKey.set(keyOf(r), [...(byKey.get(keyOf(r)) ?? []), r]);
  return { diffs, kernel: byKey };
}

/** `routectl check fib`: the confirmed differences, computed cooperatively. */
export async function findFibDiffs(fib: FibManager, rib: RibReader, o: PassOptions = {}): Promise<FibDiff[]> {
  return (await confirmedDiffs(fib, rib, o)).diffs;
}

/**
 * Compare, then write back what differs: a missing or different kernel route is forgotten and
 * submitted again; a route of ours nobody wants is deleted; a trie entry is rewritten from the
 * manager's own record (or submitted again when it has none) or deleted when nothing wants it.
 * Each difference is looked at again against the RIB as it is when the repair acts (the pass
 * yields to the event loop, so the RIB may have moved on): what is submitted is the prefix's
 * best set now, and nothing the RIB wants now is deleted. Resolves with the number of
 * differences acted on.
 */
export async function repairFib(fib: FibManager, rib: RibReader, o: PassOptions = {}): Promise<number> {
  const { diffs, kernel } = await confirmedDiffs(fib, rib, o);
  const resubmit = new Map<string, BestChange>();
  const deletes: FibRoute[] = [];
  let acted = 0;
  for (const d of diffs) {
    const k = keyOf(d);
    // What the manager itself holds but the RIB no longer wants (entries adopted from a previous
    // run until the sessions resynchronise) is the manager's to withdraw, not the repair's.
    if (d.problem === 'extra' && (d.plane === 'kernel' ? fib.installedKernel(d.family, d.prefix) !== undefined : fib.hasEntry(d.prefix))) continue;
    const now = bestNow(rib, d.family, d.prefix);
    const wantedNow = now.best.length > 0;
    acted++;
    if (d.plane === 'kernel') {
      fib.forgetKernel(d.family, d.prefix);
      if (wantedNow) resubmit.set(k, now);
      else if (d.problem === 'extra') deletes.push(...(kernel.get(k) ?? []));
    } else if (d.problem === 'extra' && !wantedNow) {
      (d.family === 'ipv6' ? fib.xdp!.v6 : fib.xdp!.v4).delete(d.prefix);
    } else if (!fib.rewriteEntry(d.prefix) && wantedNow) {
      resubmit.set(k, now);
    }
  }
  if (deletes.length > 0) await fib.kernel!.apply(deletes.map((route) => ({ op: 'delete' as const, route })));
  fib.submit([...resubmit.values()]);
  await fib.idle();
  return acted;
}

// ---- Reading the XDP maps for routectl (show fib, show route, show xdp). ----

const FLAG_NAMES = Object.entries(RoutedNhFlag) as [string, number][];

/** A next-hop slot as routectl shows it; ECMP slots with their members. */
export function slotView(xdp: RoutedXdp, id: number, ifname: (i: number) => string | undefined, depth = 0): XdpSlotView {
  const nh = xdp.nextHops.get(id);
  const ecmp = (nh.flags & RoutedNhFlag.ECMP) !== 0;
  const v: XdpSlotView = { id, kind: ecmp ? 'ecmp' : id === 0 ? 'pass' : classifySlot(nh), flags: FLAG_NAMES.filter(([, bit]) => nh.flags & bit).map(([n]) => n) };
  if (nh.ifindex !== 0) Object.assign(v, { ifindex: nh.ifindex, interface: ifname(nh.ifindex) ?? `#${nh.ifindex}`, dstMac: macToText(nh.dstMac), srcMac: macToText(nh.srcMac), vlan: nh.vlanId & 0xfff, mtu: nh.mtu });
  // Members are never groups themselves (the program passes such a member: PASS_BAD_ECMP).
  if (ecmp && depth === 0) v.members = xdp.ecmp.get(nh.ecmpGroup).map((m) => slotView(xdp, m, ifname, 1));
  return v;
}

function inTxPorts(xdp: RoutedXdp, ifindex: number): boolean {
  const k = Buffer.alloc(4);
  k.writeUInt32LE(ifindex, 0);
  return xdp.txPorts.map.lookup(k, Buffer.alloc(4));
}

/**
 * The program's verdict for one (non-ECMP) slot, in bpf/xdp_fwd.c's order. The packet-dependent
 * checks that follow (MTU, TTL) are not known here: a packet larger than the slot's MTU or with
 * TTL 1 passes to the kernel instead.
 */
export function slotVerdict(xdp: RoutedXdp, nh: XdpSlotView): XdpVerdictView {
  const has = (f: string): boolean => nh.flags.includes(f);
  if (has('ECMP')) return { action: 'pass', reason: 'PASS_BAD_ECMP' };
  if (has('LOCAL')) return { action: 'pass', reason: 'PASS_LOCAL' };
  if (has('BLACKHOLE')) return { action: 'drop', reason: 'DROP_BLACKHOLE' };
  if (has('UNREACHABLE')) return { action: 'pass', reason: 'PASS_UNREACHABLE' };
  if (!has('RESOLVED')) return { action: 'pass', reason: 'PASS_UNRESOLVED' };
  if (!inTxPorts(xdp, nh.ifindex ?? 0)) return { action: 'pass', reason: 'PASS_NO_PORT' };
  return { action: 'forward', reason: 'FORWARDED' };
}

/**
 * The trie's longest match for an address: the map lookup with a full-length key is the LPM
 * lookup the program does. The lookup returns the next-hop id only; the prefix is named by
 * walking lengths down over `has` (the entries known to exist) and checking each candidate's
 * own lookup gives the same id.
 */
export function lookupRoute(xdp: RoutedXdp, address: string, ifname: (i: number) => string | undefined, has?: (prefix: string) => boolean): XdpRouteView | undefined {
  const a = canonicalPrefix(address);
  if (!a || address.includes('/')) return undefined;
  const addr = a.prefix.slice(0, a.prefix.indexOf('/'));
  const trie = a.family === 'ipv6' ? xdp.v6 : xdp.v4;
  const base = { address: addr, family: a.family };
  const id = trie.get(addr);
  if (id === undefined) return { ...base, action: 'pass', reason: 'PASS_MISS' };
  const name = (exists: (p: string) => boolean): string | undefined => {
    for (let len = a.length; len >= 0; len--) {
      const p = canonicalPrefix(`${addr}/${len}`)!.prefix;
      if (exists(p)) return trie.get(p) === id ? p : undefined;
    }
    return undefined;
  };
  let prefix = has ? name(has) : undefined;
  if (prefix === undefined) {
    const all = new Set(trie.dump().map(([p]) => p));
    prefix = name((p) => all.has(p));
  }
  const nextHop = slotView(xdp, id, ifname);
  const at = { ...base, ...(prefix !== undefined ? { prefix } : {}), nextHop };
  if (!nextHop.members) return { ...at, ...slotVerdict(xdp, nextHop) };
  const members = nextHop.members.map((m) => ({ ...slotVerdict(xdp, m), nextHop: m }));
  // The flow hash picks a member; a group with no member is the program's PASS_BAD_ECMP.
  const verdict: XdpVerdictView = members.some((m) => m.action === 'forward') ? { action: 'forward', reason: 'FORWARDED' } : members[0] ?? { action: 'pass', reason: 'PASS_BAD_ECMP' };
  return { ...at, action: verdict.action, reason: verdict.reason, members };
}

/** The program's counters by outcome (forward, pass, drop, aborted) and reason. */
export function counterViews(xdp: RoutedXdp): XdpView['counters'] {
  const snap = xdp.counters.snapshot();
  return (Object.keys(RoutedStat) as RoutedStatName[]).flatMap((name) => {
    const c = snap[name];
    if (!c) return [];
    const outcome = name === 'FORWARDED' ? 'forward' : name === 'ABORTED' ? 'aborted' : name.startsWith('DROP_') ? 'drop' : 'pass';
    return [{ outcome, reason: name, packets: String(c.packets), bytes: String(c.bytes) }];
  });
}
