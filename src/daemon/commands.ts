// The control socket's command table: each routectl command and the daemon state it reads or
// changes. Long answers stream one frame per row, awaiting the socket between rows.

import net from 'node:net';
import { canonicalPrefix } from '../rib/index.js';
import type { Family } from '../rib/index.js';
import { EXIT } from '../mgmt/protocol.js';
import type { MgmtRequest } from '../mgmt/protocol.js';
import type { CommandSpec, Reply } from '../mgmt/server.js';
import type { Daemon } from './daemon.js';
import type { Peer } from './peer.js';
import { adjRibView } from './views.js';
import { findRibLine, ribQuery, streamRib } from './rib-stream.js';
import { configJson, statusView } from './status.js';
import { sortByPrefix } from '../mgmt/prefix-order.js';
// The reconcile code (and the FIB's with it) is imported by the handlers that need a FIB: with
// fib.mode off it is never loaded (src/daemon/daemon.ts).
const reconcile = (): Promise<typeof import('../fib/reconcile.js')> => import('../fib/reconcile.js');
import type { FibManager } from '../fib/manager.js';
import type { FibEntryView, FibSummaryView, XdpView } from '../mgmt/views.js';

function families(req: MgmtRequest): Family[] | string {
  const f = req.options.family;
  if (f === undefined) return ['ipv4', 'ipv6'];
  if (f === 'ipv4' || f === 'ipv6') return [f];
  return `--family takes ipv4 or ipv6, not ${String(f)}`;
}

function findPeer(d: Daemon, req: MgmtRequest, reply: Reply): Peer | undefined {
  const name = req.args[0];
  if (!name) {
    reply.end(EXIT.USAGE, 'which neighbor?');
    return undefined;
  }
  // Neighbours are keyed by canonical address: 2001:DB8:0:0::1 finds 2001:db8::1.
  const canonical = canonicalPrefix(name)?.prefix.replace(/\/\d+$/, '');
  const peer = d.peers.get(name) ?? (canonical !== undefined ? d.peers.get(canonical) : undefined) ?? [...d.peers.values()].find((p) => p.cfg.description === name);
  if (!peer) reply.end(EXIT.NOT_FOUND, `no neighbor ${name}`);
  return peer;
}

/** show rib [PREFIX [longer]|ADDRESS] [filters]: one entry, or the table streamed (rib-stream.ts). */
async function showRib(d: Daemon, req: MgmtRequest, reply: Reply): Promise<void> {
  // --neighbor NAME: a neighbour's description stands for its address, as in show rib in NAME.
  const name = req.options.neighbor;
  if (typeof name === 'string' && !net.isIP(name)) {
    const peer = [...d.peers.values()].find((p) => p.cfg.description === name);
    if (!peer) return reply.end(EXIT.NOT_FOUND, `no neighbor ${name}`);
    req = { ...req, options: { ...req.options, neighbor: peer.address } };
  }
  const q = ribQuery(req);
  if (typeof q === 'string') return reply.end(EXIT.USAGE, q);
  if (q.target && q.target.mode !== 'longer') {
    const line = findRibLine(d.rib, d.config(), q);
    if (line === undefined) return reply.end(EXIT.NOT_FOUND, `${req.args[0] ?? ''}: no route${q.keep ? ' matching the filters' : ''}`);
    return reply.writeFrames(line);
  }
  await streamRib(d.rib, d.config(), q, reply);
}

async function showAdjRib(d: Daemon, req: MgmtRequest, reply: Reply, direction: 'in' | 'out'): Promise<void> {
  const fams = families(req);
  if (typeof fams === 'string') return reply.end(EXIT.USAGE, fams);
  const peer = findPeer(d, req, reply);
  if (!peer) return;
  for (const f of fams) {
    if (direction === 'in') {
      for (const r of sortByPrefix(d.rib.adjRibIn(peer.address, f), (x) => x.prefix)) await reply.write(adjRibView(f, r.prefix, r.pathId, r.attrs, r.accepted));
    } else if (peer.adjOut) {
      for (const r of sortByPrefix(peer.adjOut.sentRoutes(f), (x) => x.prefix)) await reply.write(adjRibView(f, r.prefix, r.pathId, r.attrs));
    }
    if (reply.closed) return;
  }
}

async function showNeighbors(d: Daemon, req: MgmtRequest, reply: Reply): Promise<void> {
  if (req.args.length) {
    const peer = findPeer(d, req, reply);
    if (peer) await reply.write(peer.view());
    return;
  }
  for (const p of d.peers.values()) await reply.write(p.view());
}

async function neighborAction(d: Daemon, req: MgmtRequest, reply: Reply): Promise<void> {
  const peer = findPeer(d, req, reply);
  if (!peer) return;
  const verb = req.args[1];
  const message = typeof req.options.message === 'string' ? req.options.message : undefined;
  const who = { peer: peer.address, event: 'admin' };
  switch (verb) {
    case 'reset':
      d.log.info('administrative reset', who);
      peer.session.reset(message);
      return void (await reply.write({ message: `neighbor ${peer.address}: reset` }));
    case 'shutdown':
      d.log.info('administrative shutdown', { ...who, message });
      peer.session.stop({ subcode: 2, ...(message !== undefined && { message }) });
      return void (await reply.write({ message: `neighbor ${peer.address}: shut down` }));
    case 'enable':
      d.log.info('administratively enabled', who);
      peer.session.enable();
      return void (await reply.write({ message: `neighbor ${peer.address}: enabled` }));
    case 'refresh': {
      // FRR's `clear bgp X soft in|out`: ask the peer for its routes, or send ours again.
      const direction = req.args[2];
      if (direction !== 'in' && direction !== 'out') return reply.end(EXIT.USAGE, 'neighbor NEIGHBOR refresh in|out');
      const r = peer.refresh(direction);
      if (!r.ok) return reply.end(EXIT.NOT_FOUND, r.message);
      return void (await reply.write({ message: r.message }));
    }
    default:
      return reply.end(EXIT.USAGE, 'neighbor NEIGHBOR reset|shutdown|enable|refresh in|out');
  }
}

function fibOf(d: Daemon, reply: Reply): FibManager | undefined {
  if (!d.fib) reply.end(EXIT.NOT_FOUND, 'no forwarding plane programmed (fib mode off, or no kernel access: see the log)');
  return d.fib;
}

function summary(fib: FibManager): FibSummaryView {
  const { mode, kernel, xdp, prefixes, kernelRoutes, xdpEntries, nextHops, errors, repaired } = fib.stats();
  return { mode, kernel, xdp, prefixes, kernelRoutes, xdpEntries, nextHops, errors, repaired };
}

/** show fib [PREFIX] [--kernel|--xdp]: routed's kernel routes and trie entries, per prefix, then the summary. */
async function showFib(d: Daemon, req: MgmtRequest, reply: Reply): Promise<void> {
  const fib = fibOf(d, reply);
  if (!fib) return;
  const only = req.args[0] !== undefined ? canonicalPrefix(req.args[0])?.prefix : undefined;
  if (req.args[0] !== undefined && only === undefined) return reply.end(EXIT.USAGE, `not a prefix: ${req.args[0]}`);
  await fib.idle();
  const rows = new Map<string, FibEntryView>();
  const row = (family: string, prefix: string): FibEntryView => rows.get(`${family}|${prefix}`) ?? rows.set(`${family}|${prefix}`, { family, prefix }).get(`${family}|${prefix}`)!;
  const name = (i: number): string | undefined => fib.linkName(i);
  if (fib.kernel && req.options.xdp !== true) {
    for (const r of await fib.kernel.dump()) {
      if (only !== undefined && r.prefix !== only) continue;
      const nextHops = r.nextHops.map((h) => ({ ...(h.gateway !== undefined ? { gateway: h.gateway } : {}), ...(h.ifindex !== undefined ? { interface: name(h.ifindex) ?? `#${h.ifindex}` } : {}), ...(h.weight !== undefined ? { weight: h.weight } : {}) }));
      row(r.family, r.prefix).kernel = { type: r.kind, nextHops };
    }
  }
  if (fib.xdp && req.options.kernel !== true) {
    const { slotView } = await reconcile();
    for (const [family, trie] of [['ipv4', fib.xdp.v4], ['ipv6', fib.xdp.v6]] as const) {
      for (const [prefix, id] of trie.dump()) if (only === undefined || prefix === only) row(family, prefix).xdp = slotView(fib.xdp, id, name);
    }
  }
  if (only !== undefined && rows.size === 0) return reply.end(EXIT.NOT_FOUND, `${only}: not in the forwarding plane`);
  const sorted = [...rows.values()].sort((a, b) => a.family.localeCompare(b.family) || a.prefix.localeCompare(b.prefix, 'en', { numeric: true }));
  for (const r of sorted) {
    if (reply.closed) return;
    await reply.write(r);
  }
  await reply.write({ summary: summary(fib) });
}

/** show route ADDRESS: what the XDP program does with a packet to ADDRESS. */
async function showRoute(d: Daemon, req: MgmtRequest, reply: Reply): Promise<void> {
  const fib = fibOf(d, reply);
  if (!fib) return;
  if (!fib.xdp) return reply.end(EXIT.NOT_FOUND, 'the XDP forwarder is not running: the kernel routes every packet (show fib --kernel)');
  const address = req.args[0];
  if (address === undefined) return reply.end(EXIT.USAGE, 'which address?');
  await fib.idle();
  const { lookupRoute } = await reconcile();
  const v = lookupRoute(fib.xdp, address, (i) => fib.linkName(i), (p) => fib.hasEntry(p));
  if (!v) return reply.end(EXIT.USAGE, `not an address: ${address}`);
  await reply.write(v);
}

async function showXdp(d: Daemon, _req: MgmtRequest, reply: Reply): Promise<void> {
  const fib = fibOf(d, reply);
  if (!fib) return;
  const xdp = fib.xdp;
  const { counterViews } = await reconcile();
  const view: XdpView = {
    fib: summary(fib),
    interfaces: fib.xdpAttachments(),
    entries: { ipv4: xdp ? xdp.v4.dump().length : 0, ipv6: xdp ? xdp.v6.dump().length : 0 },
    counters: xdp ? counterViews(xdp) : [],
  };
  await reply.write(view);
}

/** check fib [--repair]: Loc-RIB best paths against the planes; exit 1 on any difference. */
async function checkFib(d: Daemon, req: MgmtRequest, reply: Reply): Promise<void> {
  const fib = fibOf(d, reply);
  if (!fib) return;
  const { findFibDiffs, repairFib } = await reconcile();
  const diffs = await findFibDiffs(fib, d.rib);
  for (const x of diffs) await reply.write(x);
  if (req.options.repair === true && diffs.length > 0) {
    const n = await fib.repairNow(() => repairFib(fib, d.rib));
    await reply.write({ message: `repaired ${n}` });
  }
  if (diffs.length > 0) reply.end(EXIT.NOT_FOUND, `${diffs.length} difference${diffs.length === 1 ? '' : 's'} between the RIB and the forwarding plane`);
}

async function showStatus(d: Daemon, _req: MgmtRequest, reply: Reply): Promise<void> {
  await reply.write(statusView(d, d.fib ? summary(d.fib) : undefined));
}

async function showConfig(d: Daemon, _req: MgmtRequest, reply: Reply): Promise<void> {
  await reply.write(configJson(d.config()));
}

/** reload: read the configuration file again and apply what changed (src/daemon/reload.ts). */
async function reload(d: Daemon, req: MgmtRequest, reply: Reply): Promise<void> {
  if (req.args.length > 0) return reply.end(EXIT.USAGE, 'reload takes no arguments');
  const run = d.reloader.request('routectl');
  if (!run) return reply.end(EXIT.REFUSED, 'a reload is already running: try again once it has finished');
  const outcome = await run;
  for (const line of outcome.applied) await reply.write({ message: line });
  if (!outcome.ok) return reply.end(EXIT.REFUSED, `configuration rejected, the running configuration is unchanged:\n${outcome.errors.join('\n')}`);
  if (outcome.applied.length === 0) await reply.write({ message: 'no changes' });
}

export function mgmtCommands(d: Daemon): CommandSpec[] {
  return [
    { words: ['show', 'status'], handler: (req, reply) => showStatus(d, req, reply) },
    { words: ['show', 'config'], handler: (req, reply) => showConfig(d, req, reply) },
    { words: ['show', 'neighbors'], handler: (req, reply) => showNeighbors(d, req, reply) },
    { words: ['show', 'rib'], handler: (req, reply) => showRib(d, req, reply) },
    { words: ['show', 'rib', 'in'], handler: (req, reply) => showAdjRib(d, req, reply, 'in') },
    { words: ['show', 'rib', 'out'], handler: (req, reply) => showAdjRib(d, req, reply, 'out') },
    { words: ['neighbor'], handler: (req, reply) => neighborAction(d, req, reply) },
    { words: ['show', 'fib'], handler: (req, reply) => showFib(d, req, reply) },
    { words: ['show', 'route'], handler: (req, reply) => showRoute(d, req, reply) },
    { words: ['show', 'xdp'], handler: (req, reply) => showXdp(d, req, reply) },
    { words: ['reload'], handler: (req, reply) => reload(d, req, reply), change: () => true },
    { words: ['check', 'fib'], handler: (req, reply) => checkFib(d, req, reply), change: (req) => req.options.repair === true },
  ];
}
