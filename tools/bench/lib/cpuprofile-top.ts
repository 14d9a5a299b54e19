// Summarise a V8 .cpuprofile (from `node --cpu-prof`): self and inclusive time per function,
// optionally only for samples under a given function (e.g. the bench's decodePass).
//
//   node dist/tools/bench/lib/cpuprofile-top.js FILE.cpuprofile [--under decodePass] [--top 25]

import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function frameKey(f: CallFrame): string {
  const file = f.url ? path.basename(f.url.replace(/^file:\/\//, '')) : '';
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args[0];
  if (file === undefined) throw new Error('usage: cpuprofile-top FILE [--under NAME] [--top N]');
  let under: string | undefined;
  let top = 25;
  for (let i = 1; i < args.length; i++) {
    if (args[i] === '--under') under = args[++i];
    else if (args[i] === '--top') top = Number(args[++i]);
  }
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of prof.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  let all = 0;
  let gcTime = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] ?? 0;
    const id = prof.samples[i]!;
    all += dt;
    if (byId.get(id)?.callFrame.functionName === '(garbage collector)') gcTime += dt;
    const chain: string[] = [];
    let inside = under === undefined;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      chain.push(frameKey(n.callFrame));
      if (n.callFrame.functionName === under) inside = true;
    }
    if (!inside) continue;
    total += dt;
    const leaf = chain[0]!;
    self.set(leaf, (self.get(leaf) ?? 0) + dt);
    for (const k of new Set(chain)) incl.set(k, (incl.get(k) ?? 0) + dt);
  }
  const show = (title: string, m: Map<string, number>): void => {
    console.log(`${title} (of ${(total / 1000).toFixed(0)} ms${under ? ` under ${under}` : ''})`);
    for (const [k, v] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}`);
    }
  };
  console.log(`whole profile ${(all / 1000).toFixed(0)} ms, of which (garbage collector) ${(gcTime / 1000).toFixed(0)} ms (GC is not attributed to callers, so --under leaves it out)`);
  show('self time', self);
  show('inclusive time', incl);
}

main();
