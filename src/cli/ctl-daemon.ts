// routectl commands answered by the running daemon over its control socket. Each sends one
// request and prints the streamed frames as they arrive: JSON lines with --json (passed through
// as the daemon wrote them, never parsed), text tables otherwise. Every command says which
// options it takes; anything else is a usage error before the daemon is asked. Exit codes:
// src/mgmt/protocol.ts EXIT (0 ok, 1 not found / differences, 2 usage, 3 unreachable, 4 refused).

import { requestRaw } from '../mgmt/client.js';
import { EXIT } from '../mgmt/protocol.js';
import type { MgmtRequest } from '../mgmt/protocol.js';
import { adjRibHeader, adjRibRow, fibDiffRow, fibHeader, fibRow, fibSummaryText, neighborDetail, neighborRow, neighborsHeader, ribHeader, ribRows, routeLines, statusLines, xdpLines } from '../mgmt/format.js';
import { configYaml } from '../mgmt/config-text.js';
import type { Config } from '../config/types.js';
import type { AdjRibView, FibDiffView, FibEntryView, FibSummaryView, NeighborView, RibEntryView, StatusView, XdpRouteView, XdpView } from '../mgmt/views.js';
import { BufferedWriter } from './mrt-dump.js';
import type { Command } from './routectl.js';

export const DEFAULT_SOCKET = '/run/routed/routed.sock';

/** An option takes a value (`--family ipv4`) or is a flag (`--json`). */
export type OptionKinds = Readonly<Record<string, 'value' | 'flag'>>;

/** Every daemon command takes these. */
const COMMON_OPTIONS: OptionKinds = { json: 'flag', socket: 'value' };

export function parseOptions(args: string[], kinds: OptionKinds = COMMON_OPTIONS): { positional: string[]; options: Record<string, string | boolean> } | string {
  const positional: string[] = [];
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    const kind = kinds[name];
    if (kind === undefined) return `unknown option ${a} (this command takes ${Object.keys(kinds).map((k) => `--${k}`).join(', ')})`;
    if (kind === 'value') {
      const v = args[++i];
      // `--family --json` is a missing value, not the family "--json".
      if (v === undefined || v.startsWith('--')) return `--${name} needs a value`;
      options[name] = v;
    } else {
      options[name] = true;
    }
  }
  return { positional, options };
}

type Printer = (frame: unknown, out: BufferedWriter, first: boolean, req: MgmtRequest) => void;

interface DaemonCommand {
  words: string[];
  usage: string;
  /** Options beyond --json and --socket. */
  options?: OptionKinds;
  print: Printer;
  header?: (req: MgmtRequest) => string | undefined;
}

async function run(c: DaemonCommand, args: string[]): Promise<number> {
  const parsed = parseOptions(args, { ...COMMON_OPTIONS, ...c.options });
  if (typeof parsed === 'string') {
    process.stderr.write(`routectl: ${parsed}\nusage: routectl ${c.usage}\n`);
    return EXIT.USAGE;
  }
  const socket = String(parsed.options.socket ?? process.env.ROUTED_SOCKET ?? DEFAULT_SOCKET);
  delete parsed.options.socket;
  const req: MgmtRequest = { command: c.words, args: parsed.positional, options: parsed.options };
  const out = new BufferedWriter(1);
  const json = req.options.json === true;
  const it = requestRaw(socket, req);
  let first = true;
  for (;;) {
    const r = await it.next();
    if (r.done) {
      out.flush();
      if (r.value.error) process.stderr.write(`routectl: ${r.value.error}\n`);
      return r.value.status;
    }
    if (first && !json && c.header) {
      const h = c.header(req);
      if (h) out.line(h);
    }
    for (const payload of r.value) {
      if (json) out.line(payload);
      else c.print(JSON.parse(payload), out, first, req);
      first = false;
    }
    // The reader went away (`| head`): stop reading, which closes the request.
    if (out.closed) {
      await it.return({ status: EXIT.OK });
      return EXIT.OK;
    }
  }
}

const printNeighbor: Printer = (frame, out, _first, req) => {
  const n = frame as NeighborView;
  if (req.args.length > 0) for (const l of neighborDetail(n)) out.line(l);
  else out.line(neighborRow(n));
};

const printMessage: Printer = (frame, out) => out.line(String((frame as { message?: string }).message ?? JSON.stringify(frame)));

/** show fib rows, then the summary frame. */
const printFib: Printer = (frame, out) => {
  const f = frame as FibEntryView | { summary: FibSummaryView };
  out.line('summary' in f ? fibSummaryText(f.summary) : fibRow(f));
};

/** check fib: one line per difference, then the repair message (--repair). */
const printDiff: Printer = (frame, out) => {
  const f = frame as FibDiffView | { message: string };
  out.line('message' in f ? f.message : fibDiffRow(f));
};

const lines = (f: (frame: never) => string[]): Printer => (frame, out) => f(frame as never).forEach((l) => out.line(l));

const FAMILY: OptionKinds = { family: 'value' };

/** show rib's filters: src/daemon/rib-stream.ts PATH_FILTERS on the daemon's side. */
const RIB_OPTIONS: OptionKinds = { family: 'value', community: 'value', 'large-community': 'value', 'as-path': 'value', neighbor: 'value' };

const commands: DaemonCommand[] = [
  {
    words: ['show', 'status'],
    usage: 'show status [--json]',
    print: lines((s: StatusView) => statusLines(s)),
  },
  {
    words: ['show', 'config'],
    usage: 'show config [--json]',
    print: lines((c: Config) => configYaml(c)),
  },
  {
    words: ['show', 'fib'],
    usage: 'show fib [PREFIX] [--kernel|--xdp] [--json]',
    options: { kernel: 'flag', xdp: 'flag' },
    print: printFib,
    header: fibHeader,
  },
  {
    words: ['show', 'route'],
    usage: 'show route ADDRESS [--json]',
    print: lines((r: XdpRouteView) => routeLines(r)),
  },
  {
    words: ['show', 'xdp'],
    usage: 'show xdp [--json]',
    print: lines((v: XdpView) => xdpLines(v)),
  },
  {
    words: ['check', 'fib'],
    usage: 'check fib [--repair] [--json]',
    options: { repair: 'flag' },
    print: printDiff,
  },
  {
    words: ['show', 'neighbors'],
    usage: 'show neighbors [NEIGHBOR] [--json]',
    print: printNeighbor,
    header: (req) => (req.args.length ? undefined : neighborsHeader()),
  },
  {
    words: ['show', 'rib', 'in'],
    usage: 'show rib in NEIGHBOR [--family ipv4|ipv6] [--json]',
    options: FAMILY,
    print: (f, out) => out.line(adjRibRow(f as AdjRibView)),
    header: adjRibHeader,
  },
  {
    words: ['show', 'rib', 'out'],
    usage: 'show rib out NEIGHBOR [--family ipv4|ipv6] [--json]',
    options: FAMILY,
    print: (f, out) => out.line(adjRibRow(f as AdjRibView)),
    header: adjRibHeader,
  },
  {
    words: ['show', 'rib'],
    usage: 'show rib [PREFIX [longer]|ADDRESS] [--family ipv4|ipv6] [--community C] [--large-community L] [--as-path REGEX] [--neighbor ADDRESS] [--json]',
    options: RIB_OPTIONS,
    print: lines((e: RibEntryView) => ribRows(e)),
    header: ribHeader,
  },
  {
    words: ['neighbor'],
    usage: 'neighbor NEIGHBOR reset|shutdown [--message TEXT]|enable|refresh in|out',
    options: { message: 'value' },
    print: printMessage,
  },
  {
    // One line per change applied; a rejected file: its errors (file:line:col) on stderr, exit 4.
    words: ['reload'],
    usage: 'reload [--json]',
    print: printMessage,
  },
];

export const daemonCommands: Command[] = commands.map((c) => ({ words: c.words, usage: c.usage, run: (args: string[]) => run(c, args) }));
