// The control socket's command table: each routectl command and the daemon state it reads or
// changes. Long answers stream one frame per row, awaiting the socket between rows.

import { canonicalPrefix } from '../rib/index.js';
import type { Family } from '../rib/index.js';
import { EXIT } from '../mgmt/protocol.js';
import type { MgmtRequest } from '../mgmt/protocol.js';
import type { CommandSpec, Reply } from '../mgmt/server.js';
import type { Daemon } from './daemon.js';
import type { Peer } from './peer.js';
import { adjRibView, ribEntryView } from './views.js';

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

async function showRib(d: Daemon, req: MgmtRequest, reply: Reply): Promise<void> {
  const fams = families(req);
  if (typeof fams === 'string') return reply.end(EXIT.USAGE, fams);
  const cfg = d.config();
  const target = req.args[0];
  if (target !== undefined) {
    const p = canonicalPrefix(target);
    if (!p) return reply.end(EXIT.USAGE, `not a prefix or address: ${target}`);
    // A prefix is looked up exactly; an address by longest match, as `show route ADDRESS` does.
    const exact = target.includes('/');
    for (let len = p.length; len >= (exact ? p.length : 0); len--) {
      const c = canonicalPrefix(`${p.prefix.slice(0, p.prefix.indexOf('/'))}/${len}`);
      const e = c && d.rib.lookup(c.family, c.prefix);
      if (e) return void (await reply.write(ribEntryView(e, cfg)));
    }
    return reply.end(EXIT.NOT_FOUND, `${target}: no route`);
  }
  for (const f of fams) {
    for (const e of d.rib.entries(f)) {
      if (reply.closed) return;
      await reply.write(ribEntryView(e, cfg));
    }
  }
}

async function showAdjRib(d: Daemon, req: MgmtRequest, reply: Reply, direction: 'in' | 'out'): Promise<void> {
  const fams = families(req);
  if (typeof fams === 'string') return reply.end(EXIT.USAGE, fams);
  const peer = findPeer(d, req, reply);
  if (!peer) return;
  for (const f of fams) {
    if (direction === 'in') {
      for (const r of d.rib.adjRibIn(peer.address, f)) await reply.write(adjRibView(f, r.prefix, r.pathId, r.attrs, r.accepted));
    } else if (peer.adjOut) {
      for (const r of peer.adjOut.sentRoutes(f)) await reply.write(adjRibView(f, r.prefix, r.pathId, r.attrs));
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
    default:
      return reply.end(EXIT.USAGE, 'neighbor NEIGHBOR reset|shutdown|enable');
  }
}

export function mgmtCommands(d: Daemon): CommandSpec[] {
  return [
    { words: ['show', 'neighbors'], handler: (req, reply) => showNeighbors(d, req, reply) },
    { words: ['show', 'rib'], handler: (req, reply) => showRib(d, req, reply) },
    { words: ['show', 'rib', 'in'], handler: (req, reply) => showAdjRib(d, req, reply, 'in') },
    { words: ['show', 'rib', 'out'], handler: (req, reply) => showAdjRib(d, req, reply, 'out') },
    { words: ['neighbor'], handler: (req, reply) => neighborAction(d, req, reply) },
  ];
}
