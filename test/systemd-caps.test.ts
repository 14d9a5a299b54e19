// The capabilities systemd/routed.service gives routed are the ones it needs, and each is needed:
// routed runs as an unprivileged user (uid 64010) with exactly the unit's AmbientCapabilities,
// in a namespace set up as the unit sets up the real host (bpffs mounted mode 0700 as systemd
// mounts it, the pin directory made by root for the routed user, then TemporaryFileSystem=
// /sys/fs/bpf + BindPaths= of that directory), with XDP on its link and kernel routes on.
// With all of them: XDP attached, a kernel route installed, port 179 listening. Without each one
// in turn: the failure that capability prevents.

import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import test from 'ava';

import { createTopology, stopProcess, type Topology } from './harness/netns.js';
import { pollUntil } from './harness/peers.js';
import { REPO, ROUTED, routectl } from './helpers/routed.js';

const UID = 64010;
const STATIC = '198.19.77.0/24';

/** The unit's capability list, as written in it. */
function unitCapabilities(): string[] {
  const unit = readFileSync(path.join(REPO, 'systemd/routed.service'), 'utf8');
  const ambient = /^AmbientCapabilities=(.*)$/m.exec(unit)?.[1]?.trim().split(/\s+/) ?? [];
  const bounding = /^CapabilityBoundingSet=(.*)$/m.exec(unit)?.[1]?.trim().split(/\s+/) ?? [];
  if (ambient.join() !== bounding.join()) throw new Error(`AmbientCapabilities (${ambient}) and CapabilityBoundingSet (${bounding}) differ`);
  return ambient;
}

/** What systemd does before ExecStart, then setpriv to the routed user with exactly `caps`. */
const SANDBOX = `set -e
pin="$1"; bind="$2"; caps="$3"; shift 3
mount -t bpf -o mode=700 bpf /sys/fs/bpf
install -d -o ${UID} -g ${UID} -m 0700 "/sys/fs/bpf/$pin"
mount --bind "/sys/fs/bpf/$pin" "$bind"
mount -t tmpfs -o mode=0755 tmpfs /sys/fs/bpf
mkdir "/sys/fs/bpf/$pin"
mount --move "$bind" "/sys/fs/bpf/$pin"
exec setpriv --reuid=${UID} --regid=${UID} --clear-groups --inh-caps="-all,$caps" --ambient-caps="-all,$caps" --bounding-set="-all,$caps" "$@"
`;

interface Run {
  log: string;
  started: boolean;
  /** Exit status when it did not start (undefined while it runs). */
  exitCode?: number | null;
  kernelRoute: boolean;
  xdpInterfaces: string[];
}

async function runWith(caps: string[]): Promise<Run> {
  const dir = mkdtempSync(path.join(tmpdir(), 'routed-caps-'));
  const topo: Topology = await createTopology({ nodes: ['a', 'b'], links: [{ a: 'a', b: 'b' }] }, import.meta.url);
  const socket = path.join(dir, 'routed.sock');
  const pin = topo.ns('a');
  const configFile = path.join(dir, 'routed.yaml');
  try {
    writeFileSync(
      configFile,
      `router-id: 198.18.255.1
local-as: 65001
listen: { addresses: [${topo.addr('a', 'b')}], port: 179 }
control-socket: ${JSON.stringify(socket)}
fib: { mode: "xdp+kernel", xdp-interfaces: [e0], pin-dir: /sys/fs/bpf/${pin} }
static-routes:
  - { prefix: ${STATIC}, via: ${topo.addr('b', 'a')} }
neighbors:
  - { address: ${topo.addr('b', 'a')}, remote-as: 65002, passive: true }
`,
    );
    mkdirSync(path.join(dir, 'bind'));
    // The control socket's directory belongs to the routed user (RuntimeDirectory=).
    chownSync(dir, UID, UID);
    const capList = caps.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`).join(',');
    const child = topo.spawn('a', 'sh', ['-c', SANDBOX, 'sh', pin, path.join(dir, 'bind'), capList, process.execPath, ROUTED, '--config', configFile]);
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const done = (): boolean => child.exitCode !== null || /routed started|cannot start/.test(log);
    await pollUntil(async () => done(), 20_000, `routed with ${capList}`, () => log);
    const started = /routed started/.test(log);
    // Refusing to start must end the process (systemd's Restart=on-failure sees the status).
    if (!started) await pollUntil(async () => child.exitCode !== null, 10_000, 'routed exits after failing to start', () => log);
    const exitCode = started ? undefined : child.exitCode;
    // Let the first FIB batch go out before looking at the kernel.
    if (started) await pollUntil(async () => (await routectl(['show', 'fib', '--socket', socket])).code !== 3, 10_000, 'show fib', () => log);
    const routes = await topo.run('a', 'ip', ['route', 'show', 'proto', '186']);
    const xdp = started ? await routectl(['show', 'xdp', '--json', '--socket', socket]) : undefined;
    const xdpInterfaces = xdp?.code === 0 ? (JSON.parse(xdp.stdout.split('\n')[0]!) as { interfaces: { interface: string }[] }).interfaces.map((i) => i.interface) : [];
    await stopProcess(child, 3000);
    return { log, started, ...(exitCode !== undefined && { exitCode }), kernelRoute: routes.stdout.includes(STATIC), xdpInterfaces };
  } finally {
    await topo.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

test.serial('with exactly the unit\'s capabilities: XDP attached, kernel route installed, port 179 open', async (t) => {
  const caps = unitCapabilities();
  t.deepEqual([...caps].sort(), ['CAP_BPF', 'CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE', 'CAP_PERFMON']);
  const r = await runWith(caps);
  t.true(r.started, r.log);
  t.deepEqual(r.xdpInterfaces, ['e0'], r.log);
  t.true(r.kernelRoute, r.log);
  t.notRegex(r.log, /warn|error/, r.log);
});

/** What goes wrong without each capability (the unit's comments say the same). */
const WITHOUT: Record<string, { started: boolean; xdp: boolean; kernelRoute: boolean; log: RegExp }> = {
  CAP_NET_ADMIN: { started: true, xdp: false, kernelRoute: false, log: /XDP unavailable[\s\S]*kernel replace .*EPERM/ },
  CAP_BPF: { started: true, xdp: false, kernelRoute: true, log: /XDP unavailable.*EPERM/ },
  CAP_PERFMON: { started: true, xdp: false, kernelRoute: true, log: /pointer -= pointer prohibited[\s\S]*XDP unavailable/ },
  CAP_NET_BIND_SERVICE: { started: false, xdp: false, kernelRoute: false, log: /cannot start: bind\(.*:179\): EACCES/ },
};

for (const [cap, want] of Object.entries(WITHOUT)) {
  test.serial(`without ${cap}: ${want.started ? 'routed runs degraded' : 'routed exits at once, status 1'}`, async (t) => {
    const caps = unitCapabilities();
    t.true(caps.includes(cap), `${cap} is in the unit`);
    const r = await runWith(caps.filter((c) => c !== cap));
    t.is(r.started, want.started, r.log);
    t.is(r.xdpInterfaces.length > 0, want.xdp, r.log);
    t.is(r.kernelRoute, want.kernelRoute, r.log);
    t.regex(r.log, want.log);
    if (!want.started) t.is(r.exitCode, 1, r.log);
  });
}
