#!/usr/bin/env node
// routed: the daemon's entry point. `routed --config FILE` runs in the foreground and logs to
// stdout; `routed --check --config FILE` validates and exits 0, or 1 listing every error as
// file:line:col. SIGTERM/SIGINT stop it cleanly (Cease with a shutdown message to every peer);
// SIGHUP reloads the configuration file (src/daemon/reload.ts).

import { readFileSync } from 'node:fs';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { loadConfig } from '../config/load.js';
import { Daemon } from '../daemon/daemon.js';
import { createLogger } from '../daemon/log.js';
import { Notifier } from '../daemon/notify.js';
import { IDLE_TRIM_DEFAULTS, IdleTrim } from '../os/idle-trim.js';
import { largeBlocksFromMmap, libc } from '../os/libc.js';

// The heap: a full table is ~100 MiB of typed arrays outside the heap and only ~20–30 MiB of
// long-lived JavaScript objects, beside a stream of short-lived ones (decoded UPDATEs, best-path
// changes). While a table loads, V8's own growth factor rises towards 4× (allocation outpaces
// marking), so the old generation grew to several times the live data between full collections.
// A fixed 25 % step, set before the first full collection of the load, keeps it near the live
// data: full collections of a small live heap are cheap (~6 ms each). Set only past LARGE_HEAP
// (an idle daemon is ~20 MiB): on small heaps the step buys no RSS and costs extra full
// collections. At 1M IPv4 (tools/bench/convergence, back to back): a 64 MiB threshold, which the
// packed attribute sets no longer reach before the peak, left the peak at 241–266 MiB; 32 MiB
// gives 222–237 MiB, T and CPU within the noise. Polled often: a step set after a collection at
// a 4× factor waits for that limit to be reached first.
const LARGE_HEAP = 32 * 1048576;
const heapWatch = setInterval(() => {
  if (getHeapStatistics().used_heap_size < LARGE_HEAP) return;
  setFlagsFromString('--heap-growing-percent=25');
  clearInterval(heapWatch);
}, 100);
heapWatch.unref();

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const usage = `usage: routed --config FILE        run the daemon in the foreground
       routed --check --config FILE validate a configuration and exit
       routed --version`;

function parseArgs(argv: string[]): { config?: string; check: boolean; version: boolean; help: boolean; port?: number } | string {
  const out: { config?: string; check: boolean; version: boolean; help: boolean; port?: number } = { check: false, version: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--config' || a === '-c') {
      const v = argv[++i];
      if (!v) return '--config needs a file';
      out.config = v;
    } else if (a === '--check') out.check = true;
    else if (a === '--version') out.version = true;
    else if (a === '--help' || a === '-h') out.help = true;
    else return `unknown argument: ${a}`;
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`routed: ${args}\n${usage}\n`);
    return 2;
  }
  if (args.version) {
    process.stdout.write(`routed ${pkg.version}\n`);
    return 0;
  }
  if (args.help || !args.config) {
    process.stdout.write(usage + '\n');
    return args.help ? 0 : 2;
  }
  const result = await loadConfig(args.config);
  for (const w of result.warnings) process.stderr.write(`warning: ${w.toString()}\n`);
  if (!result.ok) {
    for (const e of result.errors) process.stderr.write(`${e.toString()}\n`);
    return 1;
  }
  if (args.check) {
    process.stdout.write(`${args.config}: configuration OK (${result.config.neighbors.length} neighbors)\n`);
    return 0;
  }
  const log = createLogger(result.config.log.level);
  if (!largeBlocksFromMmap()) log.warn('mallopt(M_MMAP_THRESHOLD) refused: large tables come from the heap (more memory held)', { event: 'start' });
  const trim = new IdleTrim({
    ...IDLE_TRIM_DEFAULTS,
    mallocTrim: () => void libc().mallocTrim(0),
    onTrim: (before, after) => log.debug(`memory: quiet, young generation ${(before / 1048576).toFixed(1)} → ${(after / 1048576).toFixed(1)} MiB`, { event: 'memory' }),
  });
  const daemon = new Daemon(result.config, log, { configPath: args.config });
  const notifier = Notifier.fromEnv();
  daemon.notifier = notifier;
  // systemd holds `systemctl reload` until READY=1 follows RELOADING=1; a rejected file is a
  // finished reload too (the old configuration keeps running, the error is in the log).
  daemon.reloader.on('start', () => notifier?.reloading());
  daemon.reloader.on('end', () => notifier?.ready());
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, stopping`, { event: 'signal' });
    notifier?.stopping();
    daemon.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Registered before start: Node's default for SIGHUP is to exit.
  let running = false;
  process.on('SIGHUP', () => (running && !stopping ? daemon.reloader.signal('SIGHUP') : log.warn('SIGHUP while starting or stopping: ignored', { event: 'signal' })));
  try {
    await daemon.start();
    running = true;
    trim.start();
    // Type=notify: systemd starts what is ordered after routed (and `systemctl start` returns)
    // only now, with the configuration loaded and the BGP, control and metrics sockets listening.
    notifier?.ready(`${result.config.neighbors.length} neighbors`);
    const ms = notifier?.startWatchdog();
    if (ms !== undefined) log.info(`watchdog: WATCHDOG=1 every ${ms} ms`, { event: 'watchdog' });
  } catch (e) {
    log.error(`cannot start: ${(e as Error).message}`, { event: 'start' });
    await daemon.stop().catch(() => undefined);
    notifier?.close();
    // Whatever was opened before the failure may still hold the event loop: the service manager
    // must see the exit status now (Restart=on-failure), not a start timeout.
    process.exit(1);
  }
  return new Promise<number>(() => undefined);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`routed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
