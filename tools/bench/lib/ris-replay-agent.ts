// The RIS replay as a process inside a namespace: one lite BGP session per RIS peer and device
// under test, each sending that peer's rewritten UPDATEs (ris-replay.ts) in capture order, then
// one sentinel route of its own, so that the device holding every sentinel has processed every
// UPDATE before it (a session's messages are handled in order). The sessions then stay up (their
// routes stay in the devices) until stdin closes.
//
//   node dist/tools/bench/lib/ris-replay-agent.js '<json ReplayPlan>'
//
// Output, one JSON object per line: {event: 'ready', peers: [{peerIp, peerAs, updates}]}, then
// {event: 'sent', target, peer, messages} per session, then {event: 'done'}; on failure
// {event: 'error', error} and exit 1.

import readline from 'node:readline';

import { connectLite, type LiteFamily, type LiteSession } from './bgp-speaker-lite.js';
import { buildAnnouncements } from './feeder.js';
import { encodeReplay, risPeerStreams } from './ris-replay.js';

export interface ReplayTarget {
  /** The device's address. */
  host: string;
  port?: number;
  /** Our address for the session of RIS peer i (by capture activity, busiest first). */
  localAddresses: string[];
}

export interface ReplayPlan {
  mrt: string;
  /** How many RIS peers to replay, busiest first. */
  peers: number;
  /** BGP identifier of the session of RIS peer i (the same towards every target). */
  routerIds: string[];
  /** Sentinel prefix announced by the session of RIS peer i after its UPDATEs. */
  sentinels: string[];
  families: LiteFamily[];
  targets: ReplayTarget[];
}

function out(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function main(plan: ReplayPlan): Promise<void> {
  const peers = risPeerStreams(plan.mrt, plan.peers);
  out({ event: 'ready', peers: peers.map((p) => ({ peerIp: p.peerIp, peerAs: p.peerAs, updates: p.updates.length })) });
  const sessions: LiteSession[] = [];
  rl(sessions);
  const jobs = plan.targets.flatMap((target, t) =>
    peers.map(async (peer, i) => {
      const local = target.localAddresses[i];
      const routerId = plan.routerIds[i];
      const sentinel = plan.sentinels[i];
      if (!local || !routerId || !sentinel) throw new Error(`plan has no address, router id or sentinel for peer ${i}`);
      const s = await connectLite({ host: target.host, port: target.port ?? 179, localAddress: local, localAs: peer.peerAs, routerId, families: plan.families });
      sessions.push(s);
      await s.established;
      const wire = Buffer.concat([encodeReplay(peer, { v4: local }), buildAnnouncements([{ prefix: sentinel, nextHop: local, asPath: [peer.peerAs] }]).wire]);
      await s.stream(wire);
      out({ event: 'sent', target: t, peer: peer.peerIp, messages: peer.updates.length + 1 });
    }),
  );
  await Promise.all(jobs);
  out({ event: 'done' });
}

/** The controlling process went away: close the sessions (Cease) and stop. */
function rl(sessions: LiteSession[]): void {
  readline.createInterface({ input: process.stdin }).on('close', () => {
    void Promise.all(sessions.map((s) => s.close())).finally(() => process.exit(0));
  });
}

main(JSON.parse(process.argv[2] ?? '{}') as ReplayPlan).catch((e: unknown) => {
  out({ event: 'error', error: (e as Error).message });
  process.exit(1);
});
