/**
 * Q1 B/A in one run (issue #16, "Throughput"): the ceiling (A, bench/ceiling-server.ts,
 * `{ hello }`) and kubegate (B, src/main.ts with its caches) each in its own process, both
 * up at once over one simulator (churn 20/s, as the bench), measured by autocannon in
 * alternation (A, B, B, A, ...) so that a busy, shared machine charges both alike; the
 * figure is the median of the per-pair ratios, by rate (req/s) and by CPU per request
 * (each process's CPU time over its requests: the neighbours of a shared machine move the
 * rates, much less the CPU a request costs).
 *
 *   [MEMORY_FIRST=1|usr1|eval|gc] npx tsx bench/q1-ratio.ts [S|L|T] [pairs] [seconds] [Q2,Q3,Q4,Q5]
 *
 * The last argument loads B with those operations first (10 connections, `seconds` each), as
 * the full bench does before its pairs: B has then served every operation, not Q1 alone.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { killChildrenOnExit, startNodeChild, stopAll } from './lib/children.js';
import { SIZES } from './lib/config.js';
import { startGateway } from './lib/gateway.js';
import { measureGraphql } from './lib/load.js';
import { processCpuMs } from './lib/machine.js';
import { loadOperations, loadSchema, variablesFor } from './lib/operations.js';
import { median, round } from './lib/stats.js';
import { pickVariables, startUpstream } from './lib/upstream.js';

const [sizeName = 'S', pairsArg = '5', secondsArg = '3', warmArg = ''] = process.argv.slice(2);
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
  const operations = loadOperations(root, loadSchema(root));
  const q1 = operations.find((o) => o.id === 'Q1')!;
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
  /**
   * CPU seconds a process has used (/proc/PID/stat utime + stime): what a request costs the
   * server whatever the neighbours take, where req/s on a shared machine measures them.
   * B's includes its informers' work on watch events during the run (churn 20/s).
   */
  const cpuSeconds = (pid: number) => (processCpuMs(pid) ?? 0) / 1000;
  const measured = async (pid: number, run: () => ReturnType<typeof a>) => {
    const before = cpuSeconds(pid);
    const cell = await run();
    if (!cell.ok) throw new Error(cell.error);
    const seconds = cpuSeconds(pid) - before;
    return { cell, cpuUs: (seconds * 1e6) / Math.max(1, cell.requests), seconds };
  };
  // MEMORY_FIRST=1 does first what the full bench does before B's cells and pairs: its memory
  // figure (Child.memoryAfterGc: the inspector switched on by SIGUSR1, two
  // HeapProfiler.collectGarbage). Parts of it alone: `usr1` (the inspector on, no session),
  // `eval` (a session and one Runtime.evaluate), `gc` (a session and one collectGarbage).
  // Why: bench/results/fake-promise-after-gc.md.
  const first = process.env.MEMORY_FIRST;
  if (first === '1') {
    const memory = await gw.child.memoryAfterGc();
    log(`B memory after GC (as the full bench asks it): heap ${round(memory.heapUsed / 2 ** 20, 0)} MiB`);
  } else if (first === 'usr1' || first === 'eval' || first === 'gc') {
    gw.child.proc.kill('SIGUSR1');
    const [, url] = await gw.child.waitFor(/Debugger listening on (ws:\/\/\S+)/, 10_000);
    if (first !== 'usr1') {
      const ws = new WebSocket(url);
      await new Promise<void>((resolve) => {
        ws.onopen = () => resolve();
      });
      const method = first === 'gc' ? 'HeapProfiler.collectGarbage' : 'Runtime.evaluate';
      await new Promise<void>((resolve) => {
        ws.onmessage = () => resolve();
        ws.send(JSON.stringify({ id: 1, method, params: first === 'eval' ? { expression: '1 + 1' } : {} }));
      });
      ws.close();
    }
    log(`B: inspector on (SIGUSR1)${first === 'usr1' ? '' : `, one session: ${first}`}`);
  } else if (first !== undefined && first !== 'none') {
    throw new Error(`MEMORY_FIRST: expected 1, usr1, eval, gc or none, received "${first}"`);
  }
  const warm = warmArg.split(',').filter(Boolean);
  if (warm.length > 0) {
    const variables = await pickVariables(upstream);
    for (const op of operations.filter((o) => warm.includes(o.id))) {
      const cell = await measureGraphql(
        {
          url: gw.url,
          query: op.query,
          operationName: op.operationName,
          variables: variablesFor(op.id, gw.cluster, variables),
        },
        settings,
      );
      log(`B warmed with ${op.id}: ${cell.rps} req/s${cell.error ? `; ${cell.error}` : ''}`);
    }
  }
  // B's CPU while idle: its informers' work on the churn's watch events, which every
  // request figure of B carries too. Reported beside the ratios, and a ratio without it.
  const idleStart = cpuSeconds(gw.child.proc.pid!);
  const idleFrom = performance.now();
  await new Promise((r) => setTimeout(r, 3_000));
  const idleCpuShare = (cpuSeconds(gw.child.proc.pid!) - idleStart) / ((performance.now() - idleFrom) / 1000);
  log(`B idle (watch events, churn 20/s): ${round(idleCpuShare * 100, 1)} % of a core`);
  const rateRatios: number[] = [];
  const cpuRatios: number[] = [];
  const requestCpuRatios: number[] = [];
  for (let i = 0; i < Number(pairsArg); i++) {
    const runA = () => measured(ceiling.proc.pid!, a);
    const runB = async () => {
      const from = performance.now();
      const m = await measured(gw.child.proc.pid!, b);
      // Less what the watch events took meanwhile (at the idle rate).
      const background = (idleCpuShare * (performance.now() - from)) / 1000;
      return { ...m, requestCpuUs: ((m.seconds - background) * 1e6) / Math.max(1, m.cell.requests) };
    };
    const [ra, rb] = i % 2 === 0 ? [await runA(), await runB()] : [undefined, await runB()];
    const rA = ra ?? (await runA());
    rateRatios.push(rb.cell.rps / rA.cell.rps);
    cpuRatios.push(rA.cpuUs / rb.cpuUs);
    requestCpuRatios.push(rA.cpuUs / rb.requestCpuUs);
    log(
      `pair ${i}: A ${rA.cell.rps} req/s (p50 ${rA.cell.p50Ms} ms, ${round(rA.cpuUs, 0)} µs CPU/request), ` +
        `B Q1 ${rb.cell.rps} req/s (p50 ${rb.cell.p50Ms} ms, ${round(rb.cpuUs, 0)} µs CPU/request): ` +
        `B/A ${round(rb.cell.rps / rA.cell.rps, 2)} by rate, ${round(rA.cpuUs / rb.cpuUs, 2)} by CPU`,
    );
  }
  log(
    `q1-ratio B/A median ${round(median(rateRatios), 2)} by rate, ${round(median(cpuRatios), 2)} by CPU per request, ${round(median(requestCpuRatios), 2)} by CPU per request less the idle watch work, over ${rateRatios.length} pairs`,
  );
} finally {
  await stopAll();
}
