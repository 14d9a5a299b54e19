// The short, seed-stable fuzz pass of CI: 20k coverage-guided inputs per target with a fixed seed
// (tools/fuzz; the long benchmark runs are `node dist/tools/fuzz/fuzz.js --runs 10000000`).
// Serial: the targets share the process's one coverage session.
import test from 'ava';
import { fuzz, type Target } from '../tools/fuzz/engine.js';
import { TARGETS } from '../tools/fuzz/targets.js';
import { SEEDS } from '../tools/fuzz/seeds.js';

const RUNS = 20_000;
const SEED = 0x5eed;

for (const name of ['codec', 'mrt', 'session']) {
  test.serial(`fuzz ${name}: ${RUNS} inputs, seed ${SEED}, no finding`, async (t) => {
    const seeds = SEEDS[name]!();
    const s = await fuzz(TARGETS[name]!, { runs: RUNS, seed: SEED, seeds });
    t.log(`${s.runs} runs in ${(s.ms / 1000).toFixed(1)} s, corpus ${s.corpus} (seeds ${s.seedCorpus}), blocks ${s.blocks}, peak heap ${s.peakHeapMiB.toFixed(0)} MiB`);
    const first = s.findings[0];
    t.is(first, undefined, first && `${first.kind}: ${first.message}\ninput: ${Buffer.from(first.input).toString('hex')}`);
    t.is(s.runs, RUNS);
    // Coverage guidance works: mutants reached blocks the seeds did not, and joined the corpus.
    t.true(s.corpus > s.seedCorpus, `corpus ${s.corpus}, from the seeds ${s.seedCorpus}`);
    // RFC 4271 §4.1 bounds one message; nothing a target holds grows with the input count.
    t.true(s.peakHeapMiB < 256, `peak heap ${s.peakHeapMiB} MiB`);
  });
}

/** Four nested byte checks: blind chance is 2^-32 per input, coverage makes it one byte at a time. */
const planted: Target = {
  name: 'planted',
  maxLen: 64,
  run(d) {
    if (d[3] === 0x42) {
      if (d[7] === 0x47) {
        if (d[11] === 0x50) {
          if (d[13] === 0x21) return 'planted bug reached';
        }
      }
    }
    return undefined;
  },
};

test.serial('the engine is coverage-guided: it reaches a bug behind four nested byte checks', async (t) => {
  const s = await fuzz(planted, { runs: 2_000_000, seed: SEED, seeds: [new Uint8Array(16)], coverUrl: 'fuzz-smoke.test.js' });
  t.log(`found after ${s.runs} runs, corpus ${s.corpus}`);
  t.is(s.findings[0]?.message, 'planted bug reached');
});
