// routectl commands answered by the running daemon over its control socket. Each sends one
// request and prints the streamed frames as they arrive: JSON lines with --json, text tables
// otherwise. Exit codes: 0 ok, 1 not found / failed check, 2 usage, 3 daemon unavailable.

import { request } from '../mgmt/client.js';
import { EXIT } from '../mgmt/protocol.js';
import type { MgmtRequest } from '../mgmt/protocol.js';
import { adjRibHeader, adjRibRow, fibDiffRow, fibHeader, fibRow, fibSummaryText, neighborDetail, neighborRow, neighborsHeader, ribHeader, ribRows, routeLines, xdpLines } from '../mgmt/format.js';
import type { AdjRibView, FibDiffView, FibEntryView, FibSummaryView, NeighborView, RibEntryView, XdpRouteView, XdpView } from '../mgmt/views.js';
import { BufferedWriter } from './mrt-dump.js';
import type { Command } from './routectl.js';

export const DEFAULT_SOCKET = '/run/routed/routed.sock';

/** Options that take a value; every other --flag is boolean. */
const VALUE_OPTIONS = new Set(['family', 'message', 'socket']);

export function parseOptions(args: string[]): { positional: string[]; options: Record<string, string | boolean> } | string {
  const positional: string[] = [];
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    if (VALUE_OPTIONS.has(name)) {
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

async function run(command: string[], args: string[], print: Printer, header?: (req: MgmtRequest) => string | undefined): Promise<number> {
  const parsed = parseOptions(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`routectl: ${parsed}\n`);
    return EXIT.USAGE;
  }
  const socket = String(parsed.options.socket ?? process.env.ROUTED_SOCKET ?? DEFAULT_SOCKET);
  delete parsed.options.socket;
  const req: MgmtRequest = { command, args: parsed.positional, options: parsed.options };
  const out = new BufferedWriter(1);
  const json = req.options.json === true;
  const it = request(socket, req);
  let first = true;
  for (;;) {
    const r = await it.next();
    if (r.done) {
      out.flush();
      if (r.value.error) process.stderr.write(`routectl: ${r.value.error}\n`);
      return r.value.status;
    }
    if (first && !json && header) {
      const h = header(req);
      if (h) out.line(h);
    }
    if (json) out.line(JSON.stringify(r.value));
    else print(r.value, out, first, req);
    first = false;
    if (out.closed) return EXIT.OK;
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

export const daemonCommands: Command[] = [
  {
    words: ['show', 'fib'],
    usage: 'show fib [PREFIX] [--kernel|--xdp] [--json]',
    run: (args) => run(['show', 'fib'], args, printFib, fibHeader),
  },
  {
    words: ['show', 'route'],
    usage: 'show route ADDRESS [--json]',
    run: (args) => run(['show', 'route'], args, (f, out) => routeLines(f as XdpRouteView).forEach((l) => out.line(l))),
  },
  {
    words: ['show', 'xdp'],
    usage: 'show xdp [--json]',
    run: (args) => run(['show', 'xdp'], args, (f, out) => xdpLines(f as XdpView).forEach((l) => out.line(l))),
  },
  {
    words: ['check', 'fib'],
    usage: 'check fib [--repair] [--json]',
    run: (args) => run(['check', 'fib'], args, printDiff),
  },
  {
    words: ['show', 'neighbors'],
    usage: 'show neighbors [NEIGHBOR] [--json]',
    run: (args) => run(['show', 'neighbors'], args, printNeighbor, (req) => (req.args.length ? undefined : neighborsHeader())),
  },
  {
    words: ['show', 'rib', 'in'],
    usage: 'show rib in NEIGHBOR [--family ipv4|ipv6] [--json]',
    run: (args) => run(['show', 'rib', 'in'], args, (f, out) => out.line(adjRibRow(f as AdjRibView)), adjRibHeader),
  },
  {
    words: ['show', 'rib', 'out'],
    usage: 'show rib out NEIGHBOR [--family ipv4|ipv6] [--json]',
    run: (args) => run(['show', 'rib', 'out'], args, (f, out) => out.line(adjRibRow(f as AdjRibView)), adjRibHeader),
  },
  {
    words: ['show', 'rib'],
    usage: 'show rib [PREFIX] [--family ipv4|ipv6] [--json]',
    run: (args) => run(['show', 'rib'], args, (f, out) => ribRows(f as RibEntryView).forEach((l) => out.line(l)), ribHeader),
  },
  {
    words: ['neighbor'],
    usage: 'neighbor NEIGHBOR reset|shutdown [--message TEXT]|enable',
    run: (args) => run(['neighbor'], args, printMessage),
  },
];
