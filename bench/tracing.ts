/**
 * `npx tsx bench/tracing.ts [Q1,Q4] [seconds] [S|T]`: what OpenTelemetry traces cost. One
 * simulator (the bench's upstream) and the same gateway as system B (`src/main.ts`, with
 * its caches) started twice: tracing off (no OTEL_* variable), then on, exporting OTLP
 * (protobuf, the default) to a local sink that answers every export 200 and counts the
 * bytes. Both run at once; each operation is loaded at 10 connections for `seconds`
 * (default 10) on one then the other, five rounds in alternating order, and the medians
 * are printed side by side.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killChildrenOnExit, stopAll } from './lib/children.js';
import { SIZES } from './lib/config.js';
import { type RunningGateway, startGateway } from './lib/gateway.js';
import { type CellResult, measureGraphql } from './lib/load.js';
import { processCpuMs } from './lib/machine.js';
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

const rounds = 5;
type Cell = CellResult & { cpuUsPerRequest: number };
const cells: Record<string, { off: Cell[]; on: Cell[] }> = {};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const upstream = await startUpstream(size, { cwd: root, logDir: work, workDir: work, churn: 20, seed: 1 });
  const variables = await pickVariables(upstream);
  const operations = loadOperations(root, loadSchema(root)).filter((o) => ids.includes(o.id));
  // Both gateways run at once and are measured in turns, so a machine whose load changes
  // (other work on it) weighs on both alike.
  const gateways = {
    off: undefined as RunningGateway | undefined,
    on: undefined as RunningGateway | undefined,
  };
  for (const mode of ['off', 'on'] as const) {
    if (mode === 'on') process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sinkUrl;
    else delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    gateways[mode] = await startGateway({
      name: `gateway-tracing-${mode}`,
      kubeconfig: upstream.kubeconfigPath,
      cache: true,
      cwd: root,
      logDir: work,
      syncTimeoutMs: 300_000,
    });
  }
  for (let round = 1; round <= rounds; round++) {
    for (const op of operations) {
      for (const mode of round % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        const gw = gateways[mode] as RunningGateway;
        const cpuBefore = processCpuMs(gw.child.pid) ?? 0;
        const measured = await measureGraphql(
          {
            url: gw.url,
            query: op.query,
            operationName: op.operationName,
            variables: variablesFor(op.id, gw.cluster, variables),
          },
          {
            connections: 10,
            durationSeconds: seconds,
            warmupSeconds: 1,
            runs: 1,
            slowThresholdMs: 1_000,
            slowBudgetMs: 10_000,
            requestTimeoutMs: 60_000,
          },
        );
        // Requests of the measured run and its warm-up: CPU time is counted over both.
        const requests = measured.requests + Math.round(measured.rps);
        const cell = {
          ...measured,
          cpuUsPerRequest: Math.round(
            (((processCpuMs(gw.child.pid) ?? 0) - cpuBefore) * 1000) / Math.max(1, requests),
          ),
        };
        cells[op.id] ??= { off: [], on: [] };
        cells[op.id][mode].push(cell);
        log(
          `round ${round} ${op.id} tracing ${mode}: ${cell.rps} req/s, p50 ${cell.p50Ms} ms, p99 ${cell.p99Ms} ms, ${cell.cpuUsPerRequest} µs CPU/request${cell.error ? `; ${cell.error}` : ''}`,
        );
      }
    }
  }
  log(`\nsink: ${exports} exports, ${Math.round(bytes / 1024)} KiB`);
  log(`medians of ${rounds} alternating runs of ${seconds} s at 10 connections:`);
  log(
    '| operation | req/s off | req/s on | change | CPU µs/request off → on | p50 off → on (ms) | p99 off → on (ms) |',
  );
  log('|---|---|---|---|---|---|---|');
  for (const [id, { off, on }] of Object.entries(cells)) {
    const [rOff, rOn] = [median(off.map((c) => c.rps)), median(on.map((c) => c.rps))];
    log(
      `| ${id} | ${rOff} | ${rOn} | ${(((rOn - rOff) / rOff) * 100).toFixed(1)}% | ${median(off.map((c) => c.cpuUsPerRequest))} → ${median(on.map((c) => c.cpuUsPerRequest))} | ${median(off.map((c) => c.p50Ms))} → ${median(on.map((c) => c.p50Ms))} | ${median(off.map((c) => c.p99Ms))} → ${median(on.map((c) => c.p99Ms))} |`,
    );
  }
  log(`logs in ${work}`);
} finally {
  await stopAll();
  sink.close();
}
