// Reload (SIGHUP, `routectl reload`): read the file, validate it, diff it against the running
// configuration, and apply only what changed, as RELOAD_EFFECTS (src/config/effects.ts) says.
// A file with any error changes nothing. One reload runs at a time: `routectl reload` is refused
// while one runs, a SIGHUP then queues one more (the file may have changed again since).
//
// Hooks: `reloader.on('start', (trigger) => …)` before anything is read, and
// `reloader.on('end', (outcome) => …)` once it is applied or rejected (systemd's RELOADING=1 …
// READY=1 brackets the two).

import { EventEmitter } from 'node:events';
import { CEASE_SUB } from '../bgp/wire/index.js';
import { diffConfig, RELOAD_EFFECTS } from '../config/index.js';
import type { Config, ConfigDiff, FibConfig, NeighborChange, NeighborConfig } from '../config/index.js';
import { loadConfig } from '../config/load.js';
import { compilePolicies, formatPolicyError } from '../policy/index.js';
import type { PolicyEngine } from '../policy/index.js';
import type { Rib } from '../rib/index.js';
import type { FibManager } from '../fib/manager.js';
import type { Logger } from './log.js';
import type { Peer } from './peer.js';

/** What a reload needs from the daemon. */
export interface ReloadHost {
  readonly log: Logger;
  readonly rib: Rib;
  readonly peers: ReadonlyMap<string, Peer>;
  config(): Config;
  /** Make `cfg` and its compiled policies the running ones (peers read both at every use). */
  commit(cfg: Config, engine: PolicyEngine): void;
  /** A new neighbour: its Peer, registered and keyed on the listeners (not started). */
  addPeer(n: NeighborConfig): Peer;
  /** Close the session with this Cease and forget the neighbour and its routes. */
  removePeer(address: string, notice: { subcode: number; message: string }): void;
  /** Close the forwarding plane (keeping what it installed, or not) and open it with the running fib settings. */
  reopenFib(keepForwarding: boolean): Promise<void>;
  /** The forwarding plane, when one is programmed. */
  readonly fib: FibManager | undefined;
  /** Serve metrics on `listen` (undefined: no endpoint). */
  setMetrics(listen: string | undefined): Promise<void>;
  /** The RIB changed: distribute on the next tick. */
  schedule(): void;
}

export interface ReloadOutcome {
  ok: boolean;
  /** What started it: 'SIGHUP', 'routectl'. */
  trigger: string;
  /** What was applied, one line each (also logged). */
  applied: string[];
  /** Why the file was rejected: file:line:col lines. The running configuration is unchanged. */
  errors: string[];
}

export interface ReloadEvents {
  start: [trigger: string];
  end: [outcome: ReloadOutcome];
}

export class Reloader extends EventEmitter<ReloadEvents> {
  private current: Promise<ReloadOutcome> | undefined;
  /** A SIGHUP arrived during a reload: its trigger, run once more when the reload ends. */
  private again: string | undefined;

  constructor(
    private readonly host: ReloadHost,
    private readonly path: string | undefined,
  ) {
    super();
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** routectl: undefined while a reload runs (the caller says so), else the reload's outcome. */
  request(trigger: string): Promise<ReloadOutcome> | undefined {
    return this.current ? undefined : this.begin(trigger);
  }

  /** SIGHUP: no one to answer, so a signal during a reload queues one more. */
  signal(trigger = 'SIGHUP'): void {
    if (!this.current) return void this.begin(trigger);
    this.again = trigger;
    this.host.log.info(`${trigger} during a reload: reloading again when it ends`, { event: 'reload' });
  }

  private begin(trigger: string): Promise<ReloadOutcome> {
    // run() never rejects. 'end' goes out once the next reload may start.
    const run = this.run(trigger).then((outcome) => {
      this.current = undefined;
      this.emit('end', outcome);
      const queued = this.again;
      this.again = undefined;
      if (queued !== undefined) void this.begin(`${queued} (queued)`);
      return outcome;
    });
    this.current = run;
    return run;
  }

  private async run(trigger: string): Promise<ReloadOutcome> {
    this.emit('start', trigger);
    const log = this.host.log;
    log.info(`reload (${trigger}): reading ${this.path ?? '(no file)'}`, { event: 'reload', trigger });
    let outcome: ReloadOutcome;
    try {
      outcome = await this.reload(trigger);
    } catch (e) {
      // A bug in applying: say so loudly; what was applied before it stays.
      outcome = { ok: false, trigger, applied: [], errors: [`reload failed while applying: ${(e as Error).message}`] };
    }
    for (const line of outcome.errors) log.error(`reload rejected: ${line}`, { event: 'reload', trigger });
    if (outcome.ok) log.info(`reload done: ${outcome.applied.length === 0 ? 'no changes' : `${outcome.applied.length} changes applied`}`, { event: 'reload', trigger });
    else log.error('reload rejected: the running configuration is unchanged', { event: 'reload', trigger });
    return outcome;
  }

  private async reload(trigger: string): Promise<ReloadOutcome> {
    const reject = (errors: string[]): ReloadOutcome => ({ ok: false, trigger, applied: [], errors });
    if (!this.path) return reject(['routed was started without a configuration file: nothing to reload']);
    const result = await loadConfig(this.path);
    for (const w of result.warnings) this.host.log.warn(`reload: ${w.toString()}`, { event: 'reload' });
    if (!result.ok) return reject(result.errors.map((e) => e.toString()));
    const engine = compilePolicies(result.config);
    // The loader has compiled the same policies: this only fails on a bug, and changes nothing.
    if (Array.isArray(engine)) return reject(engine.map((e) => `${this.path}: ${formatPolicyError(e)}`));
    const applied: string[] = [];
    const note = (line: string, fields: Record<string, string> = {}): void => {
      applied.push(line);
      this.host.log.info(`reload: ${line}`, { event: 'reload', ...fields });
    };
    await applyConfig(this.host, result.config, engine, note);
    // At the new level: the first line a raised level lets through.
    this.host.log.debug(`reload: running configuration replaced (${this.host.peers.size} neighbors)`, { event: 'reload' });
    return { ok: true, trigger, applied, errors: [] };
  }
}

type Note = (line: string, fields?: Record<string, string>) => void;

/** Apply a validated configuration: the steps in the order they must happen. */
async function applyConfig(host: ReloadHost, file: Config, engine: PolicyEngine, note: Note): Promise<void> {
  const old = host.config();
  const diff = diffConfig(old, file);
  if (diff.empty) return;
  // Keys that need a restart keep their running value, so that the running config says what runs
  // (and the next reload reports the difference again).
  const next: Config = { ...file };
  for (const key of diff.restartRequired) {
    (next as unknown as Record<string, unknown>)[key] = old[key];
    note(`${RELOAD_EFFECTS.router[key].yaml} changed: takes effect when routed restarts (${RELOAD_EFFECTS.router[key].why})`);
  }
  host.commit(next, engine);
  applyRouter(host, diff, next, note);
  applyNeighbors(host, diff, next, note);
  for (const r of diff.rerun) {
    host.peers.get(r.address)?.rerunPolicy(r);
    const dirs = [r.import && 'import', r.export && 'export'].filter(Boolean).join(' and ');
    note(`neighbor ${r.address}: ${dirs} policy run again (no reset)`, { peer: r.address });
  }
  await applyServices(host, diff, next, note);
  host.schedule();
}

/** The forwarding plane and the metrics endpoint: the sockets they hold are opened again. */
async function applyServices(host: ReloadHost, diff: ConfigDiff, next: Config, note: Note): Promise<void> {
  const fib = diff.fib;
  if (fib && fibReopens(fib.old, fib.next)) {
    const keep = keepForwardingAcross(fib.old, fib.next);
    await host.reopenFib(keep);
    if (next.fib.mode === 'off') note('fib: mode off, forwarding plane closed and its routes withdrawn');
    else note(`fib: forwarding plane re-opened (mode ${next.fib.mode}${keep ? ', installed routes kept until written again' : ''})`);
  } else if (fib && fib.old.reconcileInterval !== fib.next.reconcileInterval) {
    const plane = host.fib;
    // The reconcile code is loaded: a plane is open (src/daemon/daemon.ts loads it with the FIB).
    plane?.repairEvery(fib.next.reconcileInterval * 1000, async () => (await import('../fib/reconcile.js')).repairFib(plane, host.rib));
    note(`fib: reconcile every ${fib.next.reconcileInterval} s`);
  }
  if (diff.keys.includes('metrics')) {
    await host.setMetrics(next.metrics.listen);
    note(`metrics: ${next.metrics.listen ? `serving on ${next.metrics.listen}` : 'endpoint closed'}`);
  }
}

/** Router-level settings applied in place: log level, RIB settings, static routes. */
function applyRouter(host: ReloadHost, diff: ConfigDiff, next: Config, note: Note): void {
  if (diff.logLevel) {
    host.log.setLevel(diff.logLevel.next);
    note(`log level ${diff.logLevel.old} -> ${diff.logLevel.next}`);
  }
  if (diff.routerId || diff.localAs || diff.clusterId || diff.bestPath || diff.preference) {
    host.rib.setConfig(next);
    if (diff.bestPath || diff.preference) note('best-path options or preferences changed: every prefix selected again');
  }
  const s = diff.staticRoutes;
  if (s.added.length + s.removed.length + s.changed.length > 0) {
    host.rib.setStatic(next.staticRoutes);
    note(`static routes: ${s.added.length} added, ${s.removed.length} removed, ${s.changed.length} changed`);
  }
}

/** Neighbours removed, reset, updated in place, added; unchanged ones are not touched. */
function applyNeighbors(host: ReloadHost, diff: ConfigDiff, next: Config, note: Note): void {
  for (const n of diff.neighbors.removed) {
    host.removePeer(n.address, { subcode: CEASE_SUB.PEER_DECONFIGURED, message: 'neighbor removed from the configuration' });
    note(`neighbor ${n.address}: removed (Cease / Peer De-configured)`, { peer: n.address });
  }
  const changed = new Map(diff.neighbors.changed.map((c) => [c.address, c]));
  const added = new Set(diff.neighbors.added.map((n) => n.address));
  for (const n of next.neighbors) {
    if (added.has(n.address)) continue;
    const change = changed.get(n.address);
    if (diff.resetAll) resetPeer(host, n, `${diff.routerId ? 'router-id' : 'local-as'} changed`, note);
    else if (change?.reset) resetPeer(host, n, resetFields(change), note);
    else if (change) updatePeer(host, change, note);
  }
  for (const n of diff.neighbors.added) {
    const peer = host.addPeer(n);
    if (!n.shutdown) peer.session.start();
    note(`neighbor ${n.address}: added${n.shutdown ? ' (shut down)' : ''}`, { peer: n.address });
  }
}

/** The changed settings that reset, in YAML names. */
function resetFields(change: NeighborChange): string {
  return change.fields
    .filter((f) => RELOAD_EFFECTS.neighbor[f].effects.includes('reset'))
    .map((f) => RELOAD_EFFECTS.neighbor[f].yaml)
    .join(', ');
}

/**
 * A session whose OPEN or transport changed: Cease / Administrative Reset (RFC 4486 §4, subcode
 * 4), and a new session with the new settings. Not Established: no NOTIFICATION goes out.
 */
function resetPeer(host: ReloadHost, n: NeighborConfig, why: string, note: Note): void {
  const message = `configuration changed: ${why}`;
  host.removePeer(n.address, { subcode: CEASE_SUB.ADMIN_RESET, message });
  const peer = host.addPeer(n);
  if (!n.shutdown) peer.session.start();
  note(`neighbor ${n.address}: session reset (${why})`, { peer: n.address });
}

/** Settings that apply to the running session: policy reruns come from diff.rerun. */
function updatePeer(host: ReloadHost, change: NeighborChange, note: Note): void {
  const peer = host.peers.get(change.address);
  if (!peer) return;
  peer.cfg = change.next;
  const names = change.fields.map((f) => RELOAD_EFFECTS.neighbor[f].yaml).join(', ');
  if (change.fields.includes('shutdown')) {
    // RFC 8203: the message goes with the Administrative Shutdown.
    if (change.next.shutdown) peer.session.stop({ subcode: CEASE_SUB.ADMIN_SHUTDOWN, message: 'shut down by configuration' });
    else peer.session.enable();
  }
  note(`neighbor ${change.address}: updated without reset (${names})`, { peer: change.address });
}

/** Settings the forwarding plane is opened with (keep-forwarding-on-stop is read at stop). */
function fibReopens(old: FibConfig, next: FibConfig): boolean {
  return old.mode !== next.mode || old.pinDir !== next.pinDir || old.xdpInterfaces.join() !== next.xdpInterfaces.join();
}

const planes = (f: FibConfig): { kernel: boolean; xdp: boolean } => ({
  kernel: f.mode === 'kernel' || f.mode === 'xdp+kernel',
  xdp: (f.mode === 'xdp' || f.mode === 'xdp+kernel') && f.xdpInterfaces.length > 0,
});

/**
 * Keep what is installed across the re-open (the restart-without-loss path: the new plane adopts
 * it as stale and sweeps what it does not install again) only where the new plane will adopt it:
 * the same pin directory, XDP still on every interface it was on, kernel routes still written.
 * Otherwise the old plane withdraws everything first.
 */
export function keepForwardingAcross(old: FibConfig, next: FibConfig): boolean {
  if (old.mode === 'off' || next.mode === 'off' || old.pinDir !== next.pinDir) return false;
  const [a, b] = [planes(old), planes(next)];
  if (a.kernel && !b.kernel) return false;
  if (a.xdp && !(b.xdp && old.xdpInterfaces.every((i) => next.xdpInterfaces.includes(i)))) return false;
  return true;
}
