// The fuzz runner: node dist/tools/fuzz/fuzz.js [--target codec|mrt|session]... [--runs N]
// [--seed S] [--minutes M] [--out DIR]. Runs each target in a child process so that a hang (no
// progress for --hang-seconds) is caught and killed; prints runs, throughput, corpus and block
// counts per target, and writes each finding's input to --out (hex) for minimising. Exit 1 on
// any finding or hang.

import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fuzz, type Stats } from './engine.js';
import { TARGETS } from './targets.js';
import { SEEDS } from './seeds.js';

interface ChildReport {
  type: 'progress' | 'done';
  stats: Omit<Stats, 'findings'> & { findings: { kind: string; message: string; hex: string }[] };
}

function serial(s: Stats): ChildReport['stats'] {
  return { ...s, findings: s.findings.map((f) => ({ kind: f.kind, message: f.message, hex: Buffer.from(f.input).toString('hex') })) };
}

/** In the child: fuzz one target, report progress to the parent. */
async function child(name: string, runs: number, seed: number, minutes: number): Promise<void> {
  const target = TARGETS[name];
  const seeds = SEEDS[name];
  if (!target || !seeds) throw new Error(`unknown target ${name}`);
  const s = await fuzz(target, {
    runs,
    seed,
    seeds: seeds(),
    timeLimitMs: minutes * 60_000,
    onProgress: (p) => process.send?.({ type: 'progress', stats: serial(p) }),
  });
  process.send?.({ type: 'done', stats: serial(s) });
}

function line(s: ChildReport['stats']): string {
  const rate = s.runs / (s.ms / 1000);
  return `${s.target.padEnd(8)} ${String(s.runs).padStart(10)} runs  ${Math.round(rate).toString().padStart(7)}/s  corpus ${s.corpus}  blocks ${s.blocks}  peak heap ${s.peakHeapMiB.toFixed(0)} MiB  findings ${s.findings.length}  ${(s.ms / 1000).toFixed(0)} s`;
}

/** In the parent: one child per target, in turn, with a progress watchdog. */
function runTarget(name: string, runs: number, seed: number, minutes: number, hangSeconds: number): Promise<ChildReport['stats'] | string> {
  return new Promise((resolve) => {
    const self = fileURLToPath(import.meta.url);
    const c = fork(self, ['--child', name, '--runs', String(runs), '--seed', String(seed), '--minutes', String(minutes)], { stdio: 'inherit' });
    let last: ChildReport['stats'] | undefined;
    let alive = Date.now();
    const dog = setInterval(() => {
      if (Date.now() - alive > hangSeconds * 1000) {
        c.kill('SIGKILL');
        resolve(`hang: no progress for ${hangSeconds} s after ${last?.runs ?? 0} runs (seed ${seed}; replay with the same seed and runs)`);
      }
    }, 1000);
    c.on('message', (m: ChildReport) => {
      alive = Date.now();
      last = m.stats;
      if (m.type === 'progress') console.log(`  ${line(m.stats)}`);
      else resolve(m.stats);
    });
    c.on('exit', (code) => {
      clearInterval(dog);
      resolve(last && code === 0 ? last : `child exited ${code} after ${last?.runs ?? 0} runs`);
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', multiple: true },
      runs: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '1' },
      minutes: { type: 'string', default: '600' },
      'hang-seconds': { type: 'string', default: '60' },
      out: { type: 'string', default: 'fuzz-findings' },
      child: { type: 'string' },
    },
  });
  const runs = Number(values.runs);
  const seed = Number(values.seed);
  const minutes = Number(values.minutes);
  if (values.child) return child(values.child, runs, seed, minutes);
  let failed = false;
  for (const name of values.target ?? Object.keys(TARGETS)) {
    const r = await runTarget(name, runs, seed, minutes, Number(values['hang-seconds']));
    if (typeof r === 'string') {
      console.log(`${name.padEnd(8)} ${r}`);
      failed = true;
      continue;
    }
    console.log(line(r));
    for (const [i, f] of r.findings.entries()) {
      failed = true;
      mkdirSync(values.out, { recursive: true });
      const file = path.join(values.out, `${name}-${seed}-${i}.hex`);
      writeFileSync(file, `${f.hex}\n`);
      console.log(`  ${f.kind}: ${f.message.split('\n')[0]} -> ${file}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
