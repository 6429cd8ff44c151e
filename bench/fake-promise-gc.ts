/**
 * The smallest case of bench/results/fake-promise-after-gc.md: @whatwg-node/promise-helpers'
 * `handleMaybePromise` (yoga and envelop call it several times per request) timed in a loop
 * before and after one `HeapProfiler.collectGarbage` over an in-process inspector session
 * (V8's low-memory notification, what the bench's memory figure sends to a gateway).
 *
 *   npx tsx bench/fake-promise-gc.ts [gc|none]
 */
import { Session } from 'node:inspector/promises';
import { handleMaybePromise } from '@whatwg-node/promise-helpers';

let sink = 0;
function nsPerCall(n: number): number {
  const started = performance.now();
  for (let i = 0; i < n; i++)
    sink += handleMaybePromise(
      () => i,
      (v) => v + 1,
    ) as number;
  return ((performance.now() - started) / n) * 1e6;
}
const round = (ns: number) => ns.toFixed(1);
const before = Array.from({ length: 5 }, () => nsPerCall(200_000));
if (process.argv[2] !== 'none') {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.collectGarbage');
  session.disconnect();
}
const after = Array.from({ length: 10 }, () => nsPerCall(200_000));
process.stdout.write(
  `handleMaybePromise ns/call, ${process.argv[2] === 'none' ? 'no GC between' : 'collectGarbage between'}: ` +
    `before ${before.slice(1).map(round).join(' ')}; after ${after.map(round).join(' ')} (${sink > 0 ? 'ok' : ''})\n`,
);
