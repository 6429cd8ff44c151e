/**
 * `npm run bench:usage [-- S,L [seconds]]`: what live usage costs a nodes page. Q2
 * (bench/operations/q2-nodes-load.graphql) and Q2 with usage and utilization
 * (q2u-nodes-usage.graphql) against the same gateway and simulator (the metrics API as
 * metrics-server serves it, 15 s resolution), measured alternately (Q2, Q2U, Q2, Q2U: the
 * better of each pair's rounds is kept, so a burst of load from elsewhere on the machine
 * does not decide the ratio), 10 connections; and
 * what the metrics API saw during the usage cells: LISTs of node and pod metrics against
 * the windows that passed (at most one of each per window, however many requests). Then
 * the memory of an hour of history for 1,000 nodes (scripts/measure-usage-history.ts).
 * Prints a table and writes `<out>/usage.json` (bench/results by default); RESULTS.md is
 * the full bench's.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePrometheusText } from '../src/simulator/metrics.js';
import { killChildrenOnExit, stopAll } from './lib/children.js';
import { SIZES } from './lib/config.js';
import { startGateway } from './lib/gateway.js';
import { type CellResult, measureGraphql } from './lib/load.js';
import { machineInfo, processCpuMs } from './lib/machine.js';
import { round } from './lib/stats.js';
import { startUpstream, type Upstream } from './lib/upstream.js';

const args = process.argv.slice(2);
const sizes = (args[0] ?? 'S').split(',').map((s) => SIZES[s.toUpperCase()]);
const seconds = Number(args[1] ?? 10);
const out = process.env.KUBEGATE_BENCH_OUT ?? 'bench/results';
if (sizes.some((s) => !s) || !(seconds > 0)) {
  process.stderr.write('usage: npm run bench:usage -- [S,L] [seconds per cell]\n');
  process.exit(2);
}
const WINDOW_S = 15;
const root = process.cwd();
const log = (line: string) => process.stdout.write(`[bench:usage] ${line}\n`);

async function metricsLists(upstream: Upstream): Promise<{ nodes: number; pods: number }> {
  const { body } = await upstream.request('/metrics');
  const metrics = parsePrometheusText(String(body));
  const count = (resource: string) => {
    let n = 0;
    for (const [key, value] of metrics)
      if (
        key.startsWith('apiserver_request_total{') &&
        key.includes('verb="LIST"') &&
        key.includes(`resource="${resource}"`)
      )
        n += value;
    return n;
  };
  return { nodes: count('nodes.metrics.k8s.io'), pods: count('pods.metrics.k8s.io') };
}

/** The first page's end cursor (Q2's second page, for sizes over 500 nodes). */
async function secondPage(url: string, cluster: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query:
        'query($c: String!) { cluster(name: $c) { nodes(first: 500) { pageInfo { hasNextPage endCursor } } } }',
      variables: { c: cluster },
    }),
  });
  const info = (
    (await res.json()) as {
      data: { cluster: { nodes: { pageInfo: { hasNextPage: boolean; endCursor: string } } } };
    }
  ).data.cluster.nodes.pageInfo;
  return info.hasNextPage ? { after: info.endCursor, twoPages: true } : {};
}

type Cell = CellResult & { cpuUsPerRequest: number | null };
interface Row {
  size: string;
  q2: Cell;
  q2u: Cell;
  lists: { nodes: number; pods: number; seconds: number; windows: number; requests: number };
}

killChildrenOnExit();
const work = mkdtempSync(join(tmpdir(), 'kubegate-usage-bench-'));
const rows: Row[] = [];
try {
  for (const size of sizes) {
    const upstream = await startUpstream(size, {
      cwd: root,
      logDir: work,
      workDir: work,
      churn: 20,
      seed: 1,
    });
    const gw = await startGateway({
      name: `gateway-${size.name}`,
      kubeconfig: upstream.kubeconfigPath,
      cache: true,
      cwd: root,
      logDir: work,
      syncTimeoutMs: 900_000,
    });
    log(`${size.name}: ${size.nodes} nodes, ${size.pods} pods; gateway synced in ${gw.sync?.firstSyncMs} ms`);
    const variables = { cluster: gw.cluster, ...(await secondPage(gw.url, gw.cluster)) };
    const target = (file: string) => ({
      url: gw.url,
      query: readFileSync(join(root, 'bench/operations', file), 'utf8'),
      variables,
    });
    const settings = {
      connections: 10,
      durationSeconds: seconds,
      warmupSeconds: 2,
      runs: 3,
      slowThresholdMs: 5_000,
      slowBudgetMs: 30_000,
      requestTimeoutMs: 60_000,
    };
    // The first ask of usage waits for the cluster's first metrics LIST (at L the simulator
    // sums 100,000 pods' usage for it): made once before measuring, as a running gateway has.
    const prime = target('q2u-nodes-usage.graphql');
    await fetch(prime.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: prime.query, variables }),
    }).then((r) => r.text());
    const lists = { nodes: 0, pods: 0, seconds: 0, windows: 0, requests: 0 };
    const better = (a: Cell | undefined, b: Cell) => (a && a.p50Ms <= b.p50Ms ? a : b);
    // The gateway's CPU per request beside the latency: the load generator and the simulator
    // share the machine's two cores, and a bigger answer costs the load generator too.
    const measured = async (file: string): Promise<Cell> => {
      const cpu0 = processCpuMs(gw.child.pid);
      const cell = await measureGraphql(target(file), settings);
      const cpu1 = processCpuMs(gw.child.pid);
      const cpuUs = cpu0 === null || cpu1 === null ? null : round(((cpu1 - cpu0) * 1000) / cell.requests, 0);
      return { ...cell, cpuUsPerRequest: cpuUs };
    };
    let q2: Cell | undefined;
    let q2u: Cell | undefined;
    for (let pass = 0; pass < 2; pass++) {
      q2 = better(q2, await measured('q2-nodes-load.graphql'));
      const before = await metricsLists(upstream);
      const started = performance.now();
      const cell = await measured('q2u-nodes-usage.graphql');
      const elapsed = (performance.now() - started) / 1000;
      const after = await metricsLists(upstream);
      q2u = better(q2u, cell);
      lists.nodes += after.nodes - before.nodes;
      lists.pods += after.pods - before.pods;
      lists.seconds = round(lists.seconds + elapsed, 1);
      // A cell that lasted t seconds overlaps at most ceil(t / window) + 1 windows.
      lists.windows += Math.ceil(elapsed / WINDOW_S) + 1;
      lists.requests += cell.requests;
    }
    if (!q2 || !q2u) throw new Error('no cell measured');
    rows.push({ size: size.name, q2, q2u, lists });
    log(
      `${size.name}: Q2 ${q2.rps} req/s p50 ${q2.p50Ms} ms p99 ${q2.p99Ms} ms, gateway CPU ${q2.cpuUsPerRequest} µs/request; with usage ${q2u.rps} req/s p50 ${q2u.p50Ms} ms p99 ${q2u.p99Ms} ms, ${q2u.cpuUsPerRequest} µs/request` +
        `${q2.error || q2u.error ? `; ${q2.error ?? ''} ${q2u.error ?? ''}` : ''}`,
    );
    log(
      `${size.name}: during the usage cells (${lists.seconds} s, ≤ ${lists.windows} windows, ${lists.requests} requests): ${lists.nodes} node-metrics LISTs, ${lists.pods} pod-metrics LISTs`,
    );
    await stopAll();
  }
  const history = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'scripts/measure-usage-history.ts', '1000'],
    { cwd: root, encoding: 'utf8' },
  ).trim();
  log(`history: ${history}`);
  const machine = machineInfo();
  const md = [
    `Usage on a nodes page: ${seconds} s × 3 runs per cell after a 2 s warm-up, 10 connections, ${machine.cores} cores (${machine.cpuModel}).`,
    '',
    '| size | Q2 req/s | p50 ms | p99 ms | gateway CPU µs/req | Q2 with usage req/s | p50 ms | p99 ms | gateway CPU µs/req | p50 ratio | CPU ratio | node-metrics LISTs | pod-metrics LISTs | windows | requests |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.size} | ${r.q2.rps} | ${r.q2.p50Ms} | ${r.q2.p99Ms} | ${r.q2.cpuUsPerRequest ?? '–'} | ${r.q2u.rps} | ${r.q2u.p50Ms} | ${r.q2u.p99Ms} | ${r.q2u.cpuUsPerRequest ?? '–'} | ${round(r.q2u.p50Ms / r.q2.p50Ms, 2)} | ${r.q2.cpuUsPerRequest && r.q2u.cpuUsPerRequest ? round(r.q2u.cpuUsPerRequest / r.q2.cpuUsPerRequest, 2) : '–'} | ${r.lists.nodes} | ${r.lists.pods} | ≤ ${r.lists.windows} | ${r.lists.requests} |`,
    ),
    '',
    `History: ${history}`,
    '',
  ].join('\n');
  process.stdout.write(`\n${md}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'usage.json'),
    `${JSON.stringify({ at: new Date().toISOString(), machine, seconds, rows, history }, null, 2)}\n`,
  );
} finally {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
}
