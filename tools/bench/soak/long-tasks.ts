// The longest busy stretches of a V8 .cpuprofile (node --cpu-prof) — where routed's event-loop
// lag comes from — with the functions that took the time in each:
//   node dist/tools/bench/soak/long-tasks.js FILE.cpuprofile [--min-ms 200] [--top 8]
// A stretch is a run of samples none of which is (idle) or (program): the loop never waited for
// I/O in it, though it may have turned between callbacks (several entry frames then share the
// stretch; one entry frame taking most of it is one long callback). The functions are counted by
// self time and by entry frame (the first JavaScript frame under the root).

import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const IDLE = new Set(['(idle)', '(program)']);

function name(n: ProfileNode): string {
  const f = n.callFrame;
  const file = f.url ? path.basename(f.url.replace(/^file:\/\//, '')) : '';
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
}

function top(m: Map<string, number>, k: number): string {
  return [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([f, us]) => `      ${(us / 1000).toFixed(0).padStart(6)} ms  ${f}`).join('\n');
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: long-tasks.js FILE.cpuprofile [--min-ms N] [--top K]');
  const arg = (flag: string, dflt: number): number => {
    const i = process.argv.indexOf(flag);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const minMs = arg('--min-ms', 200);
  const k = arg('--top', 8);
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const root = p.nodes[0]!.id;
  const entry = (id: number): string => {
    let at = id;
    while (parent.get(at) !== undefined && parent.get(at) !== root) at = parent.get(at)!;
    return name(byId.get(at)!);
  };
  interface Stretch { startUs: number; us: number; self: Map<string, number>; entries: Map<string, number> }
  const stretches: Stretch[] = [];
  let cur: Stretch | undefined;
  let t = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    const n = byId.get(id)!;
    if (IDLE.has(n.callFrame.functionName)) {
      if (cur && cur.us >= minMs * 1000) stretches.push(cur);
      cur = undefined;
      return;
    }
    cur ??= { startUs: t, us: 0, self: new Map(), entries: new Map() };
    cur.us += dt;
    cur.self.set(name(n), (cur.self.get(name(n)) ?? 0) + dt);
    const e = entry(id);
    cur.entries.set(e, (cur.entries.get(e) ?? 0) + dt);
  });
  if (cur && cur.us >= minMs * 1000) stretches.push(cur);
  stretches.sort((a, b) => b.us - a.us);
  console.log(`${stretches.length} busy stretches of ${minMs} ms or more (no idle sample)`);
  for (const s of stretches.slice(0, k)) {
    console.log(`\n  ${(s.us / 1000).toFixed(0)} ms at ${(s.startUs / 1e6).toFixed(1)} s\n    by entry frame:\n${top(s.entries, 5)}\n    by self time:\n${top(s.self, 8)}`);
  }
}

main();
