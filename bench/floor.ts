/**
 * B's service time on Q2 and Q3 next to their floor (issue #16), in ONE process so that a
 * shared, busy machine charges both alike: the gateway wired as the CLI wires it (registry,
 * open auth, metrics, the request log to a file) over HTTP on loopback, and the floor
 * (bench/lib/floor.ts) over the same registry's stores. Rounds alternate which goes first;
 * each figure is the median of every sample. One request at a time. Beside them, a bare Node
 * server in the same process sends the same answer's bytes over the same client (bare HTTP).
 *
 *   npx tsx bench/floor.ts [S|L|T] [rounds]        starts its own simulator (churn 20/s)
 *   npx tsx bench/floor.ts --kubeconfig PATH [rounds] [--only B|floor]
 *
 * The last stdout line is `floor-result {json}` (what size-run.ts reads). `--only B` times
 * only the gateway; `--prof DIR` writes a CPU profile of the timed rounds (no sync, no
 * warm-up) per operation to DIR, which `npx tsx bench/profile-top.ts FILE` summarises.
 * `--warmup-ms N` (default 5000; the full bench passes it) runs untimed pairs for that long
 * first: the timed rounds otherwise begin while the heap the sync just built is still being
 * collected (bench/results/floor-settle.md).
 */
// As src/main.ts: graphql-js picks its production instanceof checks when it loads, and the
// gateway being measured is the one the CLI runs.
process.env.NODE_ENV ??= 'production';
await import('./lib/floor-run.js');
