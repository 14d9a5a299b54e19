// The live-frames generator's configuration and the sink's counter (bpf/xdp_gen.c).

import { libbpf } from '../../../src/fib/bpf/libbpf.js';
import type { BpfObject } from '../../../src/fib/bpf/object.js';

/** Write struct gen_cfg: the frame template (≤ 64 bytes) and the destination range (host order). */
export function setupGenerator(gen: BpfObject, frame: Buffer, dstBase: number, dstCount: number): void {
  if (frame.length > 64) throw new RangeError('generator frames are at most 64 bytes');
  const cfg = Buffer.alloc(72);
  frame.copy(cfg, 0);
  cfg.writeUInt32LE(dstBase >>> 0, 64);
  cfg.writeUInt32LE(dstCount, 68);
  gen.map('gen_cfg').update(Buffer.alloc(4), cfg);
}

/** Frames the sink has dropped so far, over all CPUs. */
export function sinkCount(gen: BpfObject): bigint {
  return genStat(gen, 1);
}

/** Frames the generator has built so far, over all CPUs. */
export function generatedCount(gen: BpfObject): bigint {
  return genStat(gen, 0);
}

function genStat(gen: BpfObject, index: number): bigint {
  const cpus = libbpf().numPossibleCpus();
  const key = Buffer.alloc(4);
  key.writeUInt32LE(index);
  const value = Buffer.alloc(8 * cpus);
  gen.map('gen_stats').lookup(key, value);
  let n = 0n;
  for (let i = 0; i < cpus; i++) n += value.readBigUInt64LE(i * 8);
  return n;
}
