// sd_notify(3) without libsystemd: the service manager's readiness protocol is one datagram of
// newline-separated KEY=VALUE assignments sent to the AF_UNIX socket named by $NOTIFY_SOCKET
// (a path, or an abstract name written with a leading '@'). Node has no Unix datagram sockets,
// so the socket is made and written through libc (koffi), as src/bgp/session/socket.ts does
// for TCP options. Sending never blocks (SOCK_NONBLOCK) and never throws into the daemon: a
// service manager that is gone is not a reason to stop routing.
//
// The sequence routed sends (systemd.service(5), Type=notify; sd_notify(3)):
//   READY=1                                    config loaded, listeners and control socket up
//   RELOADING=1 + MONOTONIC_USEC=…  …  READY=1 around a reload (Type=notify-reload semantics)
//   STOPPING=1                                 on SIGTERM, before the sessions close
//   WATCHDOG=1                                 every WatchdogSec/2 when WATCHDOG_USEC is set

import { libc as lib, SOCK_CLOEXEC, SOCK_NONBLOCK } from '../os/libc.js';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const MSG_NOSIGNAL = 0x4000;
/** struct sockaddr_un: sa_family_t (2 bytes) + sun_path[108]. */
const SUN_PATH_MAX = 108;
const CLOCK_MONOTONIC = 1;

/**
 * The sockaddr_un for $NOTIFY_SOCKET: '@name' is the abstract name "\0name" (its length counts,
 * no terminating NUL); a path is NUL-terminated. Undefined for anything else (sd_notify(3) also
 * accepts vsock: addresses, which routed has no use for).
 */
export function notifyAddress(name: string): Buffer | undefined {
  const abstract = name.startsWith('@');
  if (!abstract && !name.startsWith('/')) return undefined;
  const path = Buffer.from(abstract ? name.slice(1) : name, 'utf8');
  if (path.length + 1 > SUN_PATH_MAX) return undefined;
  const addr = Buffer.alloc(2 + 1 + path.length);
  addr.writeUInt16LE(AF_UNIX, 0);
  path.copy(addr, abstract ? 3 : 2);
  // Abstract: byte 2 is the leading NUL; path: the trailing NUL is the last byte. Both are zero already.
  return addr;
}

/** CLOCK_MONOTONIC in microseconds, what RELOADING=1 must carry as MONOTONIC_USEC. */
export function monotonicUsec(): bigint {
  const ts = Buffer.alloc(16);
  if (lib().clockGettime(CLOCK_MONOTONIC, ts) !== 0) return 0n;
  return ts.readBigInt64LE(0) * 1_000_000n + ts.readBigInt64LE(8) / 1000n;
}

/** The watchdog interval systemd asked for (WATCHDOG_USEC, meant for this pid), in µs, or undefined. */
export function watchdogUsec(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  // sd_watchdog_enabled(3): WATCHDOG_PID, when set, names the process the watchdog is for.
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return usec;
}

export class Notifier {
  private fd = -1;
  private watchdog: NodeJS.Timeout | undefined;

  private constructor(private readonly addr: Buffer) {}

  /** A notifier for $NOTIFY_SOCKET, or undefined when not run by a service manager. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): Notifier | undefined {
    const name = env.NOTIFY_SOCKET;
    const addr = name ? notifyAddress(name) : undefined;
    return addr ? new Notifier(addr) : undefined;
  }

  /** Send one state datagram; false when it could not be sent (the caller logs at most). */
  send(state: Record<string, string | number | bigint>): boolean {
    const text = Object.entries(state)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join('\n');
    const { socket, sendto } = lib();
    if (this.fd < 0) this.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (this.fd < 0) return false;
    const buf = Buffer.from(text, 'utf8');
    return sendto(this.fd, buf, buf.length, MSG_NOSIGNAL, this.addr, this.addr.length) === buf.length;
  }

  ready(status?: string): boolean {
    return this.send({ READY: 1, ...(status !== undefined && { STATUS: status }) });
  }

  /** systemd ≥ 253 checks MONOTONIC_USEC against the time it sent SIGHUP; older ones ignore it. */
  reloading(): boolean {
    return this.send({ RELOADING: 1, MONOTONIC_USEC: monotonicUsec() });
  }

  stopping(): boolean {
    return this.send({ STOPPING: 1 });
  }

  /**
   * WATCHDOG=1 every half interval (sd_watchdog_enabled(3) recommends pinging at half the
   * timeout). The timer is unref'd: it never keeps the process alive on its own. It runs on the
   * event loop, so a loop stalled for longer than WatchdogSec is what gets routed restarted.
   */
  startWatchdog(env: NodeJS.ProcessEnv = process.env): number | undefined {
    const usec = watchdogUsec(env);
    if (usec === undefined) return undefined;
    const ms = Math.max(1, Math.floor(usec / 2000));
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => this.send({ WATCHDOG: 1 }), ms);
    this.watchdog.unref();
    return ms;
  }

  close(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    if (this.fd >= 0) lib().close(this.fd);
    this.fd = -1;
  }
}
