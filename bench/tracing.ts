/**
 * `npx tsx bench/tracing.ts [Q1,Q4] [seconds] [S|T]`: what OpenTelemetry traces cost. One
 * simulator (the bench's upstream) and the same gateway as system B (`src/main.ts`, with
 * its caches) started twice: tracing off (no OTEL_* variable), then on, exporting OTLP
 * (protobuf, the default) to a local sink that answers every export 200 and counts the
 * bytes. Each operation is loaded at 10 connections, three runs of `seconds` (default 10),
 * medians printed, off and on side by side.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killChildrenOnExit, stopAll } from './lib/children.js';
import { SIZES } from './lib/config.js';
import { startGateway } from './lib/gateway.js';
import { type CellResult, measureGraphql } from './lib/load.js';
import { loadOperations, loadSchema, type OperationId, variablesFor } from './lib/operations.js';
import { pickVariables, startUpstream } from './lib/upstream.js';

const args = process.argv.slice(2);
const ids = (args[0] ?? 'Q1,Q4').split(',') as OperationId[];
const seconds = Number(args[1] ?? 10);
const size = SIZES[(args[2] ?? 'S').toUpperCase()];
if (!size || !Number.isFinite(seconds) || seconds <= 0) {
  process.stderr.write('usage: npx tsx bench/tracing.ts [Q1,...] [seconds] [S|T]\n');
  process.exit(2);
}
killChildrenOnExit();
const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'kubegate-tracing-bench-'));
const log = (line: string) => process.stdout.write(`${line}\n`);

// The sink: an OTLP/HTTP endpoint that accepts everything.
let exports = 0;
let bytes = 0;
const sink = createServer((req, res) => {
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    exports++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

const results: Record<string, { off?: CellResult; on?: CellResult }> = {};
try {
  const upstream = await startUpstream(size, { cwd: root, logDir: work, workDir: work, churn: 20, seed: 1 });
  const variables = await pickVariables(upstream);
  const operations = loadOperations(root, loadSchema(root)).filter((o) => ids.includes(o.id));
  for (const mode of ['off', 'on'] as const) {
    if (mode === 'on') process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sinkUrl;
    else delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const gw = await startGateway({
      name: `gateway-tracing-${mode}`,
      kubeconfig: upstream.kubeconfigPath,
      cache: true,
      cwd: root,
      logDir: work,
      syncTimeoutMs: 300_000,
    });
    for (const op of operations) {
      const cell = await measureGraphql(
        {
          url: gw.url,
          query: op.query,
          operationName: op.operationName,
          variables: variablesFor(op.id, gw.cluster, variables),
        },
        {
          connections: 10,
          durationSeconds: seconds,
          warmupSeconds: 2,
          runs: 3,
          slowThresholdMs: 1_000,
          slowBudgetMs: 10_000,
          requestTimeoutMs: 60_000,
        },
      );
      results[op.id] = { ...results[op.id], [mode]: cell };
      log(
        `${op.id} tracing ${mode}: ${cell.rps} req/s, p50 ${cell.p50Ms} ms, p99 ${cell.p99Ms} ms${cell.error ? `; ${cell.error}` : ''}`,
      );
    }
    await gw.child.stop();
  }
  log(`\nsink: ${exports} exports, ${Math.round(bytes / 1024)} KiB`);
  log('| operation | req/s off | req/s on | change | p50 off → on (ms) | p99 off → on (ms) |');
  log('|---|---|---|---|---|---|');
  for (const [id, { off, on }] of Object.entries(results)) {
    if (!off || !on) continue;
    const change = ((on.rps - off.rps) / off.rps) * 100;
    log(
      `| ${id} | ${off.rps} | ${on.rps} | ${change.toFixed(1)}% | ${off.p50Ms} → ${on.p50Ms} | ${off.p99Ms} → ${on.p99Ms} |`,
    );
  }
  log(`logs in ${work}`);
} finally {
  await stopAll();
  sink.close();
}
