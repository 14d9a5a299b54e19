#!/usr/bin/env node
// routectl: the operator's command-line tool. Subcommands are dispatched through a small table
// keyed by their words ("mrt dump"); each handler gets the remaining arguments and returns the
// exit status.

import { mrtDumpCommand } from './mrt-dump.js';
import { DEFAULT_SOCKET, daemonCommands } from './ctl-daemon.js';
import { EXIT, EXIT_HELP } from '../mgmt/protocol.js';

export interface Command {
  /** The words that select the command, e.g. ['mrt', 'dump']. */
  words: string[];
  usage: string;
  run(args: string[]): Promise<number> | number;
}

const commands: Command[] = [mrtDumpCommand, ...daemonCommands];

function usage(): string {
  return [
    'usage: routectl <command> [args]',
    '',
    'commands:',
    ...commands.map((c) => `  routectl ${c.usage}`),
    '',
    'options of every command that asks routed:',
    `  --socket PATH   the control socket (default $ROUTED_SOCKET, else ${DEFAULT_SOCKET})`,
    '  --json          one JSON object per line instead of text',
    '',
    'exit codes:',
    ...EXIT_HELP.map(([code, text]) => `  ${code}  ${text}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '-h' || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(usage() + '\n');
    return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
  }
  const cmd = commands.find((c) => c.words.every((w, i) => argv[i] === w));
  if (!cmd) {
    process.stderr.write(`routectl: unknown command: ${argv.join(' ')}\n${usage()}\n`);
    return EXIT.USAGE;
  }
  return cmd.run(argv.slice(cmd.words.length));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`routectl: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
