/**
 * Q1 B/A in one run (issue #16, "Throughput"): the ceiling (A, bench/ceiling-server.ts,
 * `{ hello }`) and kubegate (B, src/main.ts with its caches) each in its own process, both
 * up at once over one simulator (churn 20/s, as the bench), measured by autocannon in
 * alternation (A, B, B, A, ...) so that a busy, shared machine charges both alike; the
 * figure is the median of the per-pair ratios.
 *
 *   npx tsx bench/q1-ratio.ts [S|L|T] [pairs] [seconds]
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { killChildrenOnExit, startNodeChild, stopAll } from './lib/children.js';
import { SIZES } from './lib/config.js';
import { startGateway } from './lib/gateway.js';
import { measureGraphql } from './lib/load.js';
import { loadOperations, loadSchema } from './lib/operations.js';
import { median, round } from './lib/stats.js';
import { startUpstream } from './lib/upstream.js';

const [sizeName = 'S', pairsArg = '5', secondsArg = '3'] = process.argv.slice(2);
const size = SIZES[sizeName.toUpperCase()];
if (!size) throw new Error(`expected a size (${Object.keys(SIZES).join(', ')})`);
const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'kubegate-q1-'));
const opts = { cwd: root, logDir: work };
const log = (line: string) => process.stdout.write(`${line}\n`);
killChildrenOnExit();
try {
  const upstream = await startUpstream(size, { ...opts, workDir: work, churn: 20, seed: 1 });
  const ceiling = startNodeChild('ceiling', 'bench/ceiling-server.ts', [], opts);
  const [, aUrl] = await ceiling.waitFor(/ceiling listening on (\S+)/, 60_000);
  const gw = await startGateway({
    name: 'gateway-B',
    kubeconfig: upstream.kubeconfigPath,
    cache: true,
    ...opts,
    syncTimeoutMs: 900_000,
  });
  const q1 = loadOperations(root, loadSchema(root)).find((o) => o.id === 'Q1')!;
  const settings = {
    connections: 10,
    durationSeconds: Number(secondsArg),
    warmupSeconds: 1,
    runs: 1,
    slowThresholdMs: 1_000,
    slowBudgetMs: 3_000,
    requestTimeoutMs: 60_000,
  };
  const a = () => measureGraphql({ url: aUrl, query: '{ hello }' }, settings);
  const b = () =>
    measureGraphql(
      {
        url: gw.url,
        query: q1.query,
        operationName: q1.operationName,
        variables: { cluster: gw.cluster },
      },
      settings,
    );
  const ratios: number[] = [];
  for (let i = 0; i < Number(pairsArg); i++) {
    const [ra, rb] = i % 2 === 0 ? [await a(), await b()] : [undefined, await b()];
    const aCell = ra ?? (await a());
    if (!aCell.ok || !rb.ok) throw new Error(aCell.error ?? rb.error);
    ratios.push(rb.rps / aCell.rps);
    log(
      `pair ${i}: A ${aCell.rps} req/s (p50 ${aCell.p50Ms} ms), B Q1 ${rb.rps} req/s (p50 ${rb.p50Ms} ms): B/A ${round(rb.rps / aCell.rps, 2)}`,
    );
  }
  log(`q1-ratio B/A median ${round(median(ratios), 2)} over ${ratios.length} pairs`);
} finally {
  await stopAll();
}
