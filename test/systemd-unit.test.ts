// tools/install into a DESTDIR (never the real system) and `systemd-analyze verify` of the unit
// it installs: the tree it lays out, the routed user and group (useradd/groupadd --prefix on a
// passwd/group copy in DESTDIR/etc), the configuration written once and then kept, a second run
// that changes nothing, an installed daemon that runs, and a unit file systemd accepts without a
// single warning (systemd-analyze exits 0 even with unknown keys, so stderr must be empty).

import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import test from 'ava';

import { runCommand } from './harness/netns.js';
import { REPO } from './helpers/routed.js';
import { ROUTED_NODE_FLAGS } from '../src/cli/node-flags.js';

const INSTALL = path.join(REPO, 'tools/install');

function destdir(t: { teardown: (f: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'routed-install-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A minimal account database for useradd --prefix.
  mkdirSync(path.join(dir, 'etc'));
  writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\n');
  writeFileSync(path.join(dir, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(path.join(dir, 'etc/gshadow'), 'root:*::\n', { mode: 0o640 });
  return dir;
}

function install(dir: string): ReturnType<typeof runCommand> {
  return runCommand('bash', [INSTALL, '--destdir', dir, '--no-build'], { allowFail: true, timeoutMs: 120_000 });
}

/** Every path under dir with its mode, owner and content hash: equal snapshots = nothing changed. */
function snapshot(dir: string, rel = '.'): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const p = path.join(rel, name);
    const st = statSync(path.join(dir, p));
    const hash = st.isFile() ? createHash('sha256').update(readFileSync(path.join(dir, p))).digest('hex') : '';
    out.push(`${p} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${hash}`);
    if (st.isDirectory()) out.push(...snapshot(dir, p));
  }
  return out;
}

test('tools/install lays out the daemon, wrappers, configuration, account and unit; a second run changes nothing', async (t) => {
  const dir = destdir(t);
  const first = await install(dir);
  t.is(first.code, 0, first.stdout + first.stderr);
  const lib = path.join(dir, 'usr/lib/routed');
  for (const f of ['dist/src/cli/routed.js', 'dist/src/cli/routectl.js', 'dist/bpf/xdp_fwd.o', 'node_modules/koffi/package.json', 'node_modules/prom-client/package.json', 'package.json', 'config/routed.example.yaml']) {
    t.true(existsSync(path.join(lib, f)), f);
  }
  // Development dependencies stay behind.
  for (const f of ['node_modules/typescript', 'node_modules/ava', 'node_modules/eslint']) t.false(existsSync(path.join(lib, f)), f);
  // The daemon's wrapper gives node the daemon's flags (src/cli/node-flags.ts), routectl's none.
  const wrapper = /^#!\/bin\/sh\nexec \S+node (.*)\/usr\/lib\/routed\/dist\/src\/cli\/routed\.js "\$@"\n$/.exec(readFileSync(path.join(dir, 'usr/bin/routed'), 'utf8'));
  t.is(wrapper?.[1], ROUTED_NODE_FLAGS.map((f) => `${f} `).join(''));
  t.regex(readFileSync(path.join(dir, 'usr/bin/routectl'), 'utf8'), /^#!\/bin\/sh\nexec \S+node \/usr\/lib\/routed\/dist\/src\/cli\/routectl\.js "\$@"\n$/);
  t.is(statSync(path.join(dir, 'usr/bin/routectl')).mode & 0o777, 0o755);
  const passwd = readFileSync(path.join(dir, 'etc/passwd'), 'utf8');
  const group = readFileSync(path.join(dir, 'etc/group'), 'utf8');
  const gid = Number(/^routed:x:(\d+):/m.exec(group)?.[1]);
  t.regex(passwd, new RegExp(`^routed:x:\\d+:${gid}:[^:]*:/nonexistent:/usr/sbin/nologin$`, 'm'));
  const conf = path.join(dir, 'etc/routed/routed.yaml');
  t.is(readFileSync(conf, 'utf8'), readFileSync(path.join(REPO, 'config/routed.example.yaml'), 'utf8'));
  t.is(statSync(conf).mode & 0o777, 0o640);
  t.is(statSync(conf).gid, gid);
  t.is(readFileSync(path.join(dir, 'etc/systemd/system/routed.service'), 'utf8'), readFileSync(path.join(REPO, 'systemd/routed.service'), 'utf8'));

  // The installed daemon runs from its own tree.
  const check = await runCommand(process.execPath, [path.join(lib, 'dist/src/cli/routed.js'), '--check', '--config', conf], { allowFail: true });
  t.is(check.code, 0, check.stderr);

  // An operator's edit survives a re-install; everything else is as the first run left it.
  appendFileSync(conf, '# edited by the operator\n');
  const before = snapshot(dir);
  const second = await install(dir);
  t.is(second.code, 0, second.stdout + second.stderr);
  t.regex(second.stdout, /routed\.yaml kept/);
  t.deepEqual(snapshot(dir), before);
  t.is((readFileSync(path.join(dir, 'etc/passwd'), 'utf8').match(/^routed:/gm) ?? []).length, 1);
});

test('systemd-analyze verify accepts the installed unit without a warning', async (t) => {
  const which = await runCommand('sh', ['-c', 'command -v systemd-analyze'], { allowFail: true });
  if (which.code !== 0) return t.fail('systemd-analyze is not installed (Debian package: systemd)');
  const dir = destdir(t);
  const r = await install(dir);
  t.is(r.code, 0, r.stdout + r.stderr);
  // verify checks that ExecStart= and friends exist: point them at the DESTDIR wrappers.
  const unit = readFileSync(path.join(dir, 'etc/systemd/system/routed.service'), 'utf8').replaceAll('/usr/bin/routed', path.join(dir, 'usr/bin/routed'));
  const file = path.join(dir, 'routed.service');
  writeFileSync(file, unit);
  const v = await runCommand('systemd-analyze', ['verify', file], { allowFail: true, timeoutMs: 60_000 });
  t.is(v.code, 0, v.stderr);
  t.is(v.stderr, '');
  // And the check can fail: a misspelt key is reported.
  writeFileSync(file, unit.replace('ProtectHome=yes', 'ProtectHome=yes\nProtectHomes=yes'));
  const bad = await runCommand('systemd-analyze', ['verify', file], { allowFail: true, timeoutMs: 60_000 });
  t.regex(bad.stderr, /Unknown key 'ProtectHomes'/);
});
