// Control-socket permissions, as the systemd unit sets them up: routed runs as an unprivileged
// "routed" user (uid 64996) with the "routed" group (gid 64998) in a 0750 runtime directory, and
// its socket is 0660 routed:routed. routectl then runs as four users (setpriv, real credentials
// that the daemon reads with SO_PEERCRED): root and the routed user may change state; a member
// of the routed group may only read (changes exit 4, "permission denied"); anyone else cannot
// connect at all (exit 4). The uids need no /etc/passwd entries.

import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import test from 'ava';

import { EXIT } from '../src/mgmt/protocol.js';
import { createTopology, runCommand, stopProcess, type RunResult, type Topology } from './harness/netns.js';
import { pollUntil } from './harness/peers.js';
import { ROUTECTL, ROUTED } from './helpers/routed.js';

const ROUTED_UID = 64996;
const ROUTED_GID = 64998;
const MEMBER_UID = 64997;
const OTHER_UID = 64995;
const NEIGHBOR = '127.0.0.2';

interface Ctx {
  topo: Topology;
  child: ChildProcess;
  dir: string;
  socket: string;
  log: () => string;
}
let ctx: Ctx | undefined;

function setup(): Ctx {
  if (!ctx) throw new Error('setup failed (see the before hook)');
  return ctx;
}

type Who = 'root' | 'routed' | 'member' | 'other';

/** setpriv arguments that make a process `who`, with real uid, gid and supplementary groups. */
const IDENTITY: Record<Who, string[]> = {
  root: [],
  routed: [`--reuid=${ROUTED_UID}`, `--regid=${ROUTED_GID}`, '--clear-groups'],
  member: [`--reuid=${MEMBER_UID}`, `--regid=${MEMBER_UID}`, `--groups=${ROUTED_GID}`],
  other: [`--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups'],
};

function as(who: Who, args: string[]): Promise<RunResult> {
  const cmd = [process.execPath, ROUTECTL, ...args, '--socket', setup().socket];
  return who === 'root' ? runCommand(cmd[0]!, cmd.slice(1), { allowFail: true, timeoutMs: 20_000 }) : runCommand('setpriv', [...IDENTITY[who], '--inh-caps=-all', ...cmd], { allowFail: true, timeoutMs: 20_000 });
}

test.before(async () => {
  const topo = await createTopology({ nodes: ['a'], links: [] }, import.meta.url);
  const dir = mkdtempSync(path.join(tmpdir(), 'routed-perms-'));
  chmodSync(dir, 0o755);
  // RuntimeDirectory=routed with RuntimeDirectoryMode=0750: the group may enter, others may not.
  const run = path.join(dir, 'run');
  mkdirSync(run, { mode: 0o750 });
  chownSync(run, ROUTED_UID, ROUTED_GID);
  chmodSync(run, 0o750);
  const socket = path.join(run, 'routed.sock');
  const configFile = path.join(dir, 'routed.yaml');
  writeFileSync(
    configFile,
    `router-id: 198.18.255.1
local-as: 65001
listen: { addresses: [127.0.0.1], port: 1179 }
control-socket: ${JSON.stringify(socket)}
fib: { mode: "off" }
neighbors:
  - { address: ${NEIGHBOR}, remote-as: 65002, passive: true }
`,
    { mode: 0o644 },
  );
  let log = '';
  const child = topo.spawn('a', 'setpriv', [...IDENTITY.routed, '--inh-caps=-all', process.execPath, ROUTED, '--config', configFile]);
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  ctx = { topo, child, dir, socket, log: () => `--- routed log ---\n${log}` };
  await pollUntil(async () => child.exitCode !== null || (await as('root', ['show', 'neighbors'])).code === 0, 15_000, 'routed (as uid 64996): control socket', ctx.log);
  if (child.exitCode !== null) throw new Error(`routed exited at start:\n${ctx.log()}`);
});

test.after.always(async () => {
  if (!ctx) return;
  await stopProcess(ctx.child, 3000);
  await ctx.topo.destroy();
  rmSync(ctx.dir, { recursive: true, force: true });
});

test.serial('the socket is 0660, owned by the routed user and group', (t) => {
  const st = statSync(setup().socket);
  t.true(st.isSocket());
  t.is(st.mode & 0o777, 0o660);
  t.is(st.uid, ROUTED_UID);
  t.is(st.gid, ROUTED_GID);
});

test.serial('a member of the routed group reads; every change is refused with exit 4', async (t) => {
  const show = await as('member', ['show', 'neighbors', '--json']);
  t.is(show.code, EXIT.OK, show.stderr + setup().log());
  t.regex(show.stdout, new RegExp(NEIGHBOR.replace(/\./g, '\\.')));
  // Read-only, and the forwarding plane is off: not found, not refused.
  t.is((await as('member', ['check', 'fib'])).code, EXIT.NOT_FOUND);
  for (const args of [['neighbor', NEIGHBOR, 'shutdown'], ['neighbor', NEIGHBOR, 'reset'], ['check', 'fib', '--repair'], ['reload']]) {
    const r = await as('member', args);
    t.is(r.code, EXIT.REFUSED, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    t.regex(r.stderr, /permission denied/, args.join(' '));
  }
  t.false((await as('root', ['show', 'neighbors', NEIGHBOR, '--json'])).stdout.includes('"adminDown":true'), 'the refused shutdown changed nothing');
});

test.serial('the routed user and root change state', async (t) => {
  const down = await as('routed', ['neighbor', NEIGHBOR, 'shutdown']);
  t.is(down.code, EXIT.OK, down.stderr + setup().log());
  t.regex((await as('root', ['show', 'neighbors', NEIGHBOR, '--json'])).stdout, /"adminDown":true/);
  const up = await as('root', ['neighbor', NEIGHBOR, 'enable']);
  t.is(up.code, EXIT.OK, up.stderr);
  t.regex((await as('member', ['show', 'neighbors', NEIGHBOR, '--json'])).stdout, /"adminDown":false/);
});

test.serial('a user outside the routed group cannot connect: exit 4', async (t) => {
  const r = await as('other', ['show', 'neighbors']);
  t.is(r.code, EXIT.REFUSED, r.stdout + r.stderr);
  t.regex(r.stderr, /EACCES|permission denied|no access/i);
});
