#!/usr/bin/env node
// routed: the daemon's entry point. This build carries the wire codec and the MRT tools; the
// speaker (sessions, RIB, policy, config) is wired in src/daemon by the next milestone, and until
// then this entry answers --version and --help and refuses to start rather than pretend to run.

import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const usage = `usage: routed --config FILE        run the daemon in the foreground
       routed --check --config FILE validate a configuration and exit
       routed --version`;

function main(argv: string[]): number {
  if (argv.includes('--version')) {
    process.stdout.write(`routed ${pkg.version}\n`);
    return 0;
  }
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage + '\n');
    return argv.length === 0 ? 2 : 0;
  }
  process.stderr.write('routed: this build has no BGP speaker yet (see README, Status); use routectl mrt dump\n');
  return 2;
}

process.exitCode = main(process.argv.slice(2));
