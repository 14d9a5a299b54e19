// One configured neighbour as the daemon runs it: its session, its Adj-RIB-Out while
// Established, the policy filters plugged into the RIB, and what routectl shows about it.

import { Session } from '../bgp/session/transport.js';
import type { DownInfo, Negotiated } from '../bgp/session/types.js';
import type { NotificationEvent, StateChange } from '../bgp/session/transport.js';
import { CEASE_SUB, errorText } from '../bgp/wire/index.js';
import type { RouteRefreshMessage, UpdateFinding, UpdateMessage } from '../bgp/wire/index.js';
import type { Config, NeighborConfig } from '../config/types.js';
import { defaultPolicyMessage } from '../policy/index.js';
import type { PolicyEngine } from '../policy/index.js';
import { AdjRibOut } from '../rib/index.js';
import type { Family, PeerInfo, PeerOptions, Rib } from '../rib/index.js';
import type { NeighborView } from '../mgmt/views.js';
import type { Logger } from './log.js';
import { exportFilterFor, NeighborRef, peerOptionsFor } from './neighbor-filters.js';
import type { SessionAddresses, TooLongReport } from './neighbor-filters.js';
import { RefreshSweep } from './refresh-sweep.js';
import { messageSizeFilter } from './message-size.js';

/** What a peer needs from the daemon around it. */
export interface PeerHost {
  readonly rib: Rib;
  readonly log: Logger;
  config(): Config;
  policy(): PolicyEngine;
  /** Our addresses on the interface that carries `localAddress` (next hop self for both families). */
  localAddresses(localAddress: string): SessionAddresses;
  /** The RIB changed: drain and distribute changes on the next tick. */
  schedule(): void;
  /** Seconds to wait before restarting a session that max-prefix shut down. */
  port: number;
  /**
   * routed has just restarted with its forwarding state kept (the FIB adopted the previous run's
   * entries, not yet swept): RFC 4724 §3 Restart State and Forwarding State bits in the OPEN.
   */
  readonly restarting: boolean;
}

/** How long stale routes may wait for End-of-RIB after the session is re-established. */
const STALE_PATH_SECONDS = 360;

/** AFI of each family in ROUTE-REFRESH messages (SAFI 1, unicast). */
const REFRESH_AFI: Record<Family, number> = { ipv4: 1, ipv6: 2 };

export class Peer {
  readonly session: Session;
  adjOut: AdjRibOut | undefined;
  info: PeerInfo | undefined;
  since = Date.now();
  lastError: string | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private rfc8212Logged = new Set<string>();
  /** Families whose End-of-RIB this session has received (the daemon's FIB resync waits on them). */
  readonly endOfRib = new Set<string>();
  /** Families re-advertised after an enhanced ROUTE-REFRESH request, whose EoRR is still to send. */
  private readonly refreshEnds = new Set<Family>();
  /** The peer's enhanced route refresh in progress (RFC 7313): what it has not sent again yet. */
  private readonly refreshSweep = new RefreshSweep();
  /** Established during a graceful restart: its Adj-RIB-Out waits for resumeExport(). */
  private deferredExport: Negotiated | undefined;
  /** UPDATE messages received and sent over this neighbour's sessions (metrics). */
  updatesIn = 0;
  updatesOut = 0;
  /** max-prefix-length filtered a route of a family for the first time. */
  private readonly tooLong: TooLongReport = (family, prefix, limit) =>
    this.host.log.warn(`${family} routes longer than /${limit} filtered (max-prefix-length), first ${prefix}`, { peer: this.address, event: 'max-prefix-length', family });

  /** The config in force (a reload replaces it), where the policy filters read it. */
  private readonly ref: NeighborRef;

  constructor(
    cfg: NeighborConfig,
    private readonly host: PeerHost,
  ) {
    this.ref = new NeighborRef(cfg);
    const c = host.config();
    // RFC 4724 §3: "Restart State (R): ... set to 1 ... [when the speaker] has restarted"; "Forwarding
    // State (F): ... the forwarding state has been preserved during the previous BGP restart" —
    // both while the FIB holds the entries kept from before the restart.
    const open = { gracefulRestarting: host.restarting, forwardingPreserved: host.restarting };
    this.session = new Session({ peer: { ...cfg, localAs: c.localAs, routerId: c.routerId }, port: host.port, open });
    this.session.on('state', (ch) => this.onState(ch));
    this.session.on('established', (n, info) => this.onEstablished(n, info));
    this.session.on('update', (msg, findings) => this.onUpdate(msg, findings));
    this.session.on('route-refresh', (msg) => this.onRouteRefresh(msg));
    this.session.on('down', (info) => this.onDown(info));
    this.session.on('notification', (n) => this.onNotification(n));
    this.session.on('drain', () => this.pump());
  }

  get cfg(): NeighborConfig {
    return this.ref.cfg;
  }

  set cfg(next: NeighborConfig) {
    this.ref.cfg = next;
  }

  get address(): string {
    return this.cfg.address;
  }

  private onState(ch: StateChange): void {
    this.since = Date.now();
    this.host.log.info(`session ${ch.from} -> ${ch.to}`, { peer: this.address, event: 'state', from: ch.from, to: ch.to, reason: ch.reason });
  }

  private logPolicyDefault(direction: 'import' | 'export', configured: string[] | undefined, ibgp: boolean): void {
    const msg = defaultPolicyMessage({ address: this.address, ibgp }, direction, configured);
    if (msg && !this.rfc8212Logged.has(direction)) {
      this.rfc8212Logged.add(direction);
      this.host.log.warn(msg, { peer: this.address, event: 'rfc8212' });
    }
  }

  /** The RIB's options for this neighbour's routes: its import filter (RFC 8212 inside) and max-prefix. */
  private peerOptions(): PeerOptions {
    return peerOptionsFor(this.host, this.ref, this.tooLong);
  }

  private onEstablished(n: Negotiated, info: PeerInfo): void {
    this.info = info;
    this.lastError = undefined;
    this.endOfRib.clear();
    this.refreshEnds.clear();
    this.refreshSweep.reset();
    // The restart timer has done its job once the session is back; what is still stale now waits
    // for End-of-RIB, bounded by a stale-path timer (FRR's stalepath-time, 360 s) so that a peer
    // that never sends End-of-RIB cannot keep stale routes for ever (RFC 4724 §4.2).
    if (this.staleTimer) {
      clearTimeout(this.staleTimer);
      this.staleTimer = setTimeout(() => this.sweepStale('stale-path timer expired'), STALE_PATH_SECONDS * 1000);
    }
    this.logPolicyDefault('import', this.cfg.importPolicy, info.ibgp);
    this.logPolicyDefault('export', this.cfg.exportPolicy, info.ibgp);
    const rib = this.host.rib;
    rib.peerUp(info, this.peerOptions());
    this.sweepUnpreserved(n);
    // RFC 4724 §4.1: after its restart routed defers route selection until every peer's
    // End-of-RIB; announcing a partial table and our End-of-RIB to a helper before that would make
    // it drop the stale routes we have not learned again yet. A peer without the capability keeps
    // nothing stale, so it gets the table at once.
    if (this.host.restarting && n.gracefulRestart) {
      this.deferredExport = n;
      this.host.log.info('graceful restart: announcements deferred until every neighbor sent End-of-RIB', { peer: this.address, event: 'gr-defer' });
      this.host.schedule();
      return;
    }
    this.startExport(n, info);
  }

  /** The restart is over (every End-of-RIB in, or its timer ran out): announce what was deferred. */
  resumeExport(): void {
    const n = this.deferredExport;
    this.deferredExport = undefined;
    if (n && this.info && this.session.state === 'Established' && this.session.negotiated === n) this.startExport(n, this.info);
  }

  /** The Adj-RIB-Out for this session: the whole Loc-RIB through export, then End-of-RIB. */
  private startExport(n: Negotiated, info: PeerInfo): void {
    const rib = this.host.rib;
    const c = this.host.config();
    const local = this.session.localAddress;
    this.adjOut = new AdjRibOut({
      local: { asn: c.localAs, routerId: c.routerId, clusterId: c.clusterId },
      target: info,
      localAddress: local ? this.host.localAddresses(local) : {},
      nextHopSelf: this.cfg.nextHopSelf,
      filter: messageSizeFilter(exportFilterFor(this.host, this.ref, local), n.sendCtx, (prefix, bytes, max) =>
        this.host.log.warn(`${prefix} not announced: its attributes need up to ${bytes} octets, over the ${max} of one message (RFC 8654 §4)`, { peer: this.address, event: 'too-large' }),
      rib.store,
      ),
      codec: n.sendCtx,
      families: n.families,
      store: rib.store,
      prefixes: rib.prefixTables,
    });
    this.adjOut.initialDump(rib);
    this.host.schedule();
    this.pump();
  }

  /**
   * RFC 4724 §4.2: "If the Forwarding State bit for a specific address family is not set in the
   * newly received Graceful Restart Capability, or if a specific address family is not included
   * in the newly received Graceful Restart Capability, or if the Graceful Restart Capability
   * isn't received in the re-established session at all, then the Receiving Speaker MUST
   * immediately remove all the stale routes from the peer that it is retaining for that address
   * family." The others wait for End-of-RIB.
   */
  private sweepUnpreserved(n: Negotiated): void {
    if (!this.host.rib.peerStats(this.address)?.stale) return;
    for (const family of ['ipv4', 'ipv6'] as const) {
      if (n.gracefulRestart?.families.some((f) => f.family === family && f.forwardingPreserved)) continue;
      const swept = this.host.rib.sweepStale(this.address, family);
      if (swept) this.host.log.info(`graceful restart: forwarding state of ${family} not preserved, ${swept} stale routes removed`, { peer: this.address, event: 'gr-sweep', family });
    }
  }

  private onUpdate(msg: UpdateMessage, findings: UpdateFinding[]): void {
    const n = this.session.negotiated;
    if (!n) return;
    this.updatesIn++;
    if (this.refreshSweep.active) this.refreshSweep.seen(msg);
    for (const f of findings) {
      this.host.log.warn(`UPDATE ${f.action}: ${f.reason}`, { peer: this.address, event: 'rfc7606', action: f.action, attr: f.attrCode });
    }
    const result = this.host.rib.applyUpdate(this.address, msg, findings, n.as4);
    if (result.maxPrefixExceeded) this.onMaxPrefix(result.maxPrefixExceeded);
    if (result.endOfRib) {
      this.endOfRib.add(result.endOfRib);
      this.host.log.info(`End-of-RIB ${result.endOfRib} received`, { peer: this.address, event: 'end-of-rib', family: result.endOfRib });
      // Every family swept: the stale-path timer has nothing left to do.
      if (this.staleTimer && (this.host.rib.peerStats(this.address)?.stale ?? 0) === 0) {
        clearTimeout(this.staleTimer);
        this.staleTimer = undefined;
      }
    }
    this.host.schedule();
  }

  private onMaxPrefix(m: { accepted: number; limit: number; action: 'warn' | 'reset' | 'drop' }): void {
    this.host.log.warn(`max-prefix ${m.limit} exceeded (${m.accepted} accepted), action ${m.action}`, { peer: this.address, event: 'max-prefix' });
    if (m.action !== 'reset') return;
    // RFC 4486 §4: Cease / Maximum Number of Prefixes Reached; the session stays down until the
    // configured restart timer (or an operator's `neighbor X enable`).
    this.session.stop({ subcode: CEASE_SUB.MAX_PREFIXES });
    this.lastError = `max-prefix ${m.limit} exceeded`;
    const after = this.cfg.maxPrefix?.restartAfter;
    if (after !== undefined) this.restartTimer = setTimeout(() => this.session.enable(), after * 1000);
  }

  private onRouteRefresh(msg: RouteRefreshMessage): void {
    const family = msg.afi === 1 ? 'ipv4' : msg.afi === 2 ? 'ipv6' : undefined;
    if (msg.subtype !== 0) {
      if (family) this.onRefreshMarker(family, msg.subtype);
      return;
    }
    if (!this.adjOut) return;
    this.host.log.info(`ROUTE-REFRESH received, re-sending the Adj-RIB-Out`, { peer: this.address, event: 'route-refresh', family: family ?? `afi ${msg.afi}` });
    if (family) this.readvertise(family, this.session.negotiated?.enhancedRouteRefresh === true);
    this.pump();
  }

  /**
   * The peer's BoRR and EoRR around its answer to our request (RFC 7313 §4): its routes of the
   * family are stale from the BoRR; at the EoRR those it did not send again are purged.
   */
  private onRefreshMarker(family: Family, subtype: number): void {
    const marker = subtype === 1 ? 'BoRR' : 'EoRR';
    let purged = 0;
    if (subtype === 1) this.refreshSweep.begin(family, this.host.rib.adjRibIn(this.address, family));
    else for (const n of this.refreshSweep.end(family) ?? []) purged += this.host.rib.withdrawRoute(this.address, family, n).withdrawn;
    this.host.log.info(`ROUTE-REFRESH ${marker} received${subtype === 2 ? `, ${purged} stale routes purged` : ''}`, { peer: this.address, event: 'route-refresh-marker', family, marker, ...(subtype === 2 && { purged }) });
    if (purged) this.host.schedule();
  }

  /**
   * Send a family's Adj-RIB-Out again. RFC 7313 §4: "the BGP speaker MUST send a BoRR message
   * before it re-advertises the Adj-RIB-Out" and an EoRR after it (sent by pump() once nothing
   * is pending), when Enhanced Route Refresh was negotiated and a request asked for it.
   */
  private readvertise(family: Family, markers: boolean): void {
    if (!this.adjOut) return;
    if (markers) {
      this.session.sendMessage({ type: 'ROUTE_REFRESH', afi: REFRESH_AFI[family], safi: 1, subtype: 1 });
      this.refreshEnds.add(family);
    }
    this.adjOut.refresh(family);
  }

  /**
   * routectl `neighbor X refresh in|out` (FRR's `clear bgp X soft in|out`): in asks the peer for
   * its routes again with a ROUTE-REFRESH per family (RFC 2918, needs the capability); out
   * re-sends ours. Returns what was done, or why not.
   */
  refresh(direction: 'in' | 'out'): { ok: boolean; message: string } {
    const n = this.session.negotiated;
    if (!n || !this.adjOut) return { ok: false, message: `neighbor ${this.address} is not Established` };
    if (direction === 'in') {
      if (!n.routeRefresh) return { ok: false, message: `neighbor ${this.address} did not negotiate route refresh` };
      for (const f of n.families) this.session.sendMessage({ type: 'ROUTE_REFRESH', afi: REFRESH_AFI[f], safi: 1, subtype: 0 });
    } else {
      for (const f of n.families) this.readvertise(f, false);
      this.pump();
    }
    this.host.log.info(`route refresh ${direction} requested`, { peer: this.address, event: 'admin-refresh', direction });
    return { ok: true, message: `neighbor ${this.address}: refresh ${direction} (${n.families.join(', ')})` };
  }

  /** Every NOTIFICATION, also before Established (an OPEN refused by either side), is the last error. */
  private onNotification(n: NotificationEvent): void {
    const text = errorText(n.code, n.subcode);
    this.lastError = n.direction === 'sent' ? `sent ${text}: ${n.reason}` : `received ${text}${n.shutdownMessage ? `: "${n.shutdownMessage}"` : ''}`;
    this.host.log.info(`NOTIFICATION ${n.direction}: ${text}`, { peer: this.address, event: 'notification', direction: n.direction, code: n.code, subcode: n.subcode });
  }

  private sweepStale(why: string): void {
    this.staleTimer = undefined;
    const swept = this.host.rib.sweepStale(this.address);
    this.host.log.info(`${why}, ${swept} stale routes removed`, { peer: this.address, event: 'gr-sweep' });
    this.host.schedule();
  }

  private onDown(info: DownInfo): void {
    const n = info.notificationReceived;
    this.lastError = n ? `received ${errorText(n.code, n.subcode)}${n.shutdownMessage ? `: "${n.shutdownMessage}"` : ''}` : info.reason;
    if (info.notificationSent) this.lastError = `sent ${errorText(info.notificationSent.code, info.notificationSent.subcode)}: ${info.reason}`;
    this.host.log.info(`session down: ${this.lastError}`, { peer: this.address, event: 'down', stale: info.keepStale });
    this.adjOut?.close();
    this.adjOut = undefined;
    this.deferredExport = undefined;
    // A refresh in progress either way ends with the session (a full table's keys, if it was ours).
    this.refreshSweep.reset();
    this.refreshEnds.clear();
    if (this.info) {
      this.host.rib.peerDown(this.address, { gracefulRestart: info.keepStale });
      // RFC 4724 §4.2: stale routes go when the restart time passes without the session returning.
      if (info.keepStale) {
        this.staleTimer = setTimeout(() => this.sweepStale('graceful restart timer expired'), info.restartTime * 1000);
      }
      this.host.schedule();
    }
  }

  /** Send what the Adj-RIB-Out has while the socket takes it; 'drain' calls again. */
  pump(): void {
    const out = this.adjOut;
    if (!out) return;
    while (out.hasPending() && this.session.writable) {
      const batch = out.nextBytes(64 * 1024);
      if (!batch) break;
      this.updatesOut += batch.messages;
      if (!this.session.send(batch.bytes)) break;
    }
    this.sendRefreshEnds();
  }

  /** RFC 7313 §4: EoRR once the re-advertisement is out (nothing of any family pending). */
  private sendRefreshEnds(): void {
    if (this.refreshEnds.size === 0 || !this.adjOut || this.adjOut.pendingCount() > 0 || !this.session.writable) return;
    for (const f of this.refreshEnds) this.session.sendMessage({ type: 'ROUTE_REFRESH', afi: REFRESH_AFI[f], safi: 1, subtype: 2 });
    this.refreshEnds.clear();
  }

  /** Re-run import from Adj-RIB-In and export from Loc-RIB after a policy change (no reset). */
  rerunPolicy(dirs: { import: boolean; export: boolean }): void {
    if (!this.info) return;
    if (dirs.import) this.host.rib.reimport(this.address, this.peerOptions());
    if (dirs.export && this.adjOut) for (const f of ['ipv4', 'ipv6'] as const) this.adjOut.enqueue(this.host.rib.bestRoutes(f));
    this.host.schedule();
    // An export change alone leaves the RIB as it was: no tick would send what it queued.
    this.pump();
  }

  /** Prefixes in the Adj-RIB-In, accepted by import policy, and advertised (Adj-RIB-Out). */
  prefixCounts(): { received: number; accepted: number; advertised: number } {
    const stats = this.host.rib.peerStats(this.address);
    const advertised = this.adjOut ? this.adjOut.sentCount('ipv4') + this.adjOut.sentCount('ipv6') : 0;
    return { received: stats?.received ?? 0, accepted: stats?.accepted ?? 0, advertised };
  }

  view(): NeighborView {
    const n = this.session.negotiated;
    const { received, accepted, advertised } = this.prefixCounts();
    const caps: string[] = [];
    if (n) {
      if (n.as4) caps.push('4-octet-as');
      if (n.routeRefresh) caps.push('route-refresh');
      if (n.enhancedRouteRefresh) caps.push('enhanced-route-refresh');
      if (n.extendedMessage) caps.push('extended-message');
      if (n.gracefulRestart) caps.push(`graceful-restart(${n.gracefulRestart.restartTime}s)`);
      for (const f of n.addPath.receive) caps.push(`add-path-rx:${f}`);
      for (const f of n.addPath.send) caps.push(`add-path-tx:${f}`);
    }
    return {
      address: this.address,
      description: this.cfg.description,
      remoteAs: this.cfg.remoteAs,
      localAs: this.host.config().localAs,
      state: this.session.state,
      sinceSeconds: (Date.now() - this.since) / 1000,
      ...(n && { routerId: n.peerId, holdTime: n.holdTime, keepalive: n.keepalive }),
      families: n ? n.families : this.cfg.families,
      capabilities: caps,
      received,
      accepted,
      advertised,
      ...(this.lastError && { lastError: this.lastError }),
      adminDown: this.cfg.shutdown || this.session.disabled,
    };
  }

  /** Cease (RFC 4486): Administrative Shutdown by default; a reload resets (4) or de-configures (3). */
  close(message: string, subcode: number = CEASE_SUB.ADMIN_SHUTDOWN): void {
    this.clearTimers();
    this.session.stop({ subcode, message });
  }

  /**
   * routed stops with its forwarding kept: no NOTIFICATION, the connection closes with the
   * process. RFC 4724 §4.2: a helper that sees the TCP session end without one keeps our routes
   * (stale) for the Restart Time we advertised, and we come back with the R and F bits.
   */
  leaveForRestart(): void {
    this.clearTimers();
    this.host.log.info('graceful restart: session left open for the restart (no NOTIFICATION)', { peer: this.address, event: 'gr-stop' });
  }

  private clearTimers(): void {
    if (this.staleTimer) clearTimeout(this.staleTimer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
  }
}
