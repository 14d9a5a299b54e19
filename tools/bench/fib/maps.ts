// FIB programming benchmark, XDP part: the full table into routed's LPM tries (unpinned maps of
// a freshly loaded xdp_fwd object) the way the FIB writes a table, as a median of runs, against
// references measured in the same run on the same maps:
//   - routed: both families at once with setManyAsync (encode, radix sort, batches of 64k on a
//     worker thread each; the two tries fill in parallel);
//   - sequential: setMany, IPv4 then IPv6 on this thread (the previous way);
//   - kernel floor: the same keys already encoded and sorted, one family after the other, so
//     only the kernel's insertion is timed.
// The tries are emptied (batched deletes) between runs.

import { performance } from 'node:perf_hooks';
import { RoutedXdp } from '../../../src/fib/bpf/routed.js';
import type { LpmMap } from '../../../src/fib/bpf/maps.js';
import { RoutedRouteSize } from '../../../src/fib/bpf/layout.generated.js';

type Entries = ReadonlyArray<readonly [string, number]>;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function seconds(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

async function secondsAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

function floorWrite(trie: LpmMap, pre: { keys: Buffer; values: Buffer }, n: number, chunk = 65536): void {
  for (let start = 0; start < n; start += chunk) {
    trie.map.updateBatch(pre.keys.subarray(start * trie.keySize), pre.values.subarray(start * RoutedRouteSize), Math.min(chunk, n - start));
  }
}

function empty(xdp: RoutedXdp, v4: Entries, v6: Entries): void {
  const n4 = xdp.v4.deleteMany(v4.map(([p]) => p));
  const n6 = xdp.v6.deleteMany(v6.map(([p]) => p));
  if (n4 !== v4.length || n6 !== v6.length) throw new Error(`maps held ${n4}/${v4.length} IPv4 and ${n6}/${v6.length} IPv6 entries`);
}

export async function benchMaps(v4: Entries, v6: Entries, runs: number): Promise<Record<string, number>> {
  const xdp = RoutedXdp.load({ maxEntries: { routes_v4: v4.length + 1024, routes_v6: v6.length + 1024 } });
  try {
    const pre4 = xdp.v4.packSorted(v4);
    const pre6 = xdp.v6.packSorted(v6);
    const t = { routed: [] as number[], sequential: [] as number[], floor: [] as number[] };
    for (let run = 0; run < runs; run++) {
      t.routed.push(await secondsAsync(() => Promise.all([xdp.v4.setManyAsync(v4), xdp.v6.setManyAsync(v6)])));
      empty(xdp, v4, v6);
      t.sequential.push(seconds(() => {
        xdp.v4.setMany(v4);
        xdp.v6.setMany(v6);
      }));
      empty(xdp, v4, v6);
      t.floor.push(seconds(() => {
        floorWrite(xdp.v4, pre4, v4.length);
        floorWrite(xdp.v6, pre6, v6.length);
      }));
      empty(xdp, v4, v6);
    }
    const m = { routed: median(t.routed), sequential: median(t.sequential), floor: median(t.floor) };
    const runsText = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(', ');
    console.log(`maps ${v4.length} IPv4 + ${v6.length} IPv6, median of ${runs}:`);
    console.log(`  routed (both families in parallel, worker threads): ${m.routed.toFixed(2)} s (runs ${runsText(t.routed)})`);
    console.log(`  sequential setMany, IPv4 then IPv6: ${m.sequential.toFixed(2)} s (runs ${runsText(t.sequential)}); routed = ${(m.routed / m.sequential).toFixed(2)}×`);
    console.log(`  kernel floor (pre-encoded, sorted, sequential): ${m.floor.toFixed(2)} s (runs ${runsText(t.floor)}); routed = ${(m.routed / m.floor).toFixed(2)}×`);
    return { maps_routed_s: m.routed, maps_sequential_s: m.sequential, maps_floor_s: m.floor, maps_vs_floor: m.routed / m.floor };
  } finally {
    xdp.close();
  }
}
