// The Node/V8 flags the daemon runs with wherever it is started as a service: the installed
// wrapper (tools/install writes them into /usr/bin/routed), the demo and the benchmarks that run
// the daemon (convergence, soak, routectl). Tests start it without them (GC tuning only).
// V8 reads them when the process starts: they cannot be set from inside (v8.setFlagsFromString
// comes after the heap is configured), and NODE_OPTIONS refuses them.
//
// --initial-old-space-size=64: while a table loads, the old generation is small (the routes live
// in typed arrays; ~20 MiB of objects at 250k prefixes) and its allocation limit leaves less room
// than the young generation's 32 MiB, so V8 starts incremental marking at once after each full
// collection: three to four full collections during a 250k feed, ~9 % of the daemon's CPU in
// perf (concurrent marking, mark-compact, sweeping). A 64 MiB floor under the limit leaves that
// room: none or one during the feed. tools/bench/convergence, routed alone, six alternations at
// 250k IPv4: DUT CPU median 0.51 -> 0.445 s, T 0.535 -> 0.505 s, peak RSS +5 MiB; at 1M (three)
// CPU and peak RSS unchanged (the 25 % heap step of src/cli/routed.ts governs there).
export const ROUTED_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64'];
