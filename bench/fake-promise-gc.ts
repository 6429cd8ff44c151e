/**
 * The smallest cases of bench/results/fake-promise-after-gc.md: @whatwg-node/promise-helpers'
 * `handleMaybePromise` (yoga, envelop and whatwg-node call it several times per request)
 * timed in a loop, ns a call, after one of:
 *
 *   low-memory  warmed (optimized), then one `HeapProfiler.collectGarbage` over an in-process
 *               inspector session: V8's low-memory notification, which the bench's memory
 *               figure sends a gateway (bench/lib/children.ts, memoryAfterGc);
 *   few-then-gc called 10 times only (its feedback vector made, not yet optimized), then two
 *               ordinary full GCs (`gc()`, so run with --expose-gc);
 *   warm-then-gc  called 1,000 times, then the same two GCs;
 *   none        called 10 times, no GC;
 *   next-tick   not the helper: Node's `process.nextTick`, a chain of 200,000 ticks timed per
 *               tick, warmed, then the same `collectGarbage` as low-memory.
 *
 *   [HOLD=1] npx tsx --expose-gc bench/fake-promise-gc.ts [low-memory|few-then-gc|warm-then-gc|none|next-tick]
 *
 * HOLD=1 first loads src/server/held-shapes.ts, as the gateway does: it holds one object
 * of each shape the helpers and nextTick make, so that no GC frees their maps.
 */
import { Session } from 'node:inspector/promises';
import { handleMaybePromise } from '@whatwg-node/promise-helpers';

const hold = process.env.HOLD === '1';
if (hold) await import('../src/server/held-shapes.js');

let sink = 0;
const call = (i: number) =>
  handleMaybePromise(
    () => i,
    (v) => v + 1,
  ) as number;
function nsPerCall(n: number): number {
  const started = performance.now();
  for (let i = 0; i < n; i++) sink += call(i);
  return ((performance.now() - started) / n) * 1e6;
}
function nsPerTick(n: number): Promise<number> {
  return new Promise((done) => {
    const started = performance.now();
    let left = n;
    const step = (x: number) => {
      if (--left === 0) done(((performance.now() - started) / n) * 1e6);
      else process.nextTick(step, x + 1);
    };
    process.nextTick(step, 1);
  });
}
async function lowMemoryGc(): Promise<void> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.collectGarbage');
  session.disconnect();
}
const mode = process.argv[2] ?? 'low-memory';
const gc = (globalThis as { gc?: () => void }).gc;
if (mode === 'next-tick') {
  for (let r = 0; r < 5; r++) await nsPerTick(200_000);
  await lowMemoryGc();
  const after: string[] = [];
  for (let r = 0; r < 8; r++) after.push((await nsPerTick(200_000)).toFixed(0));
  process.stdout.write(
    `process.nextTick, ${mode}${hold ? ', shapes held' : ''}: ${after.join(' ')} ns a tick\n`,
  );
  process.exit(0);
}
if (mode === 'low-memory') {
  for (let r = 0; r < 5; r++) nsPerCall(200_000);
  await lowMemoryGc();
} else {
  for (let i = 0; i < (mode === 'warm-then-gc' ? 1_000 : 10); i++) sink += call(i);
  if (mode !== 'none') {
    if (!gc) throw new Error(`${mode}: run with --expose-gc (npx tsx --expose-gc ...)`);
    gc();
    gc();
  }
}
const after = Array.from({ length: 8 }, () => nsPerCall(200_000).toFixed(0));
process.stdout.write(
  `handleMaybePromise, ${mode}${hold ? ', shapes held' : ''}: ${after.join(' ')} ns a call${sink > 0 ? '' : '.'}\n`,
);
