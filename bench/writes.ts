/**
 * Writes benchmark (issue 13): what read-your-writes costs. p50 and p99 of `deletePod` and
 * `createJob` through the gateway — which answers only once its cache shows the write —
 * against the same API call sent straight to the API server, in one run, and the ratio.
 * A third column, the gateway with `visibilityTimeoutMs: 0` (it answers without waiting),
 * separates the wait from the rest of the path (HTTP, GraphQL, impersonation).
 *
 *   npm run bench:writes -- [--iterations 200] [--pods 500] [--out DIR]
 *
 * The simulator and both gateways run as child processes (`src/simulator/cli.ts`,
 * `src/main.ts`), as a user starts them; the gateways are open on 127.0.0.1 and write as
 * `writes.openAs` (a user in system:masters, so RBAC never refuses), with limits out of the
 * way. Calls are sequential and the three paths alternate, so they share the machine's
 * state. Results: bench/results/writes.json and .md (or --out), and the table on stdout. The benchmark
 * asserts nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { killChildrenOnExit, stopAll } from './lib/children.js';
import { startGateway } from './lib/gateway.js';
import { machineInfo } from './lib/machine.js';
import { percentile, round } from './lib/stats.js';
import { startUpstream } from './lib/upstream.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');
const NS = 'bench-writes';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '200' },
    pods: { type: 'string', default: '500' },
    /** Where writes.json and writes.md go (default bench/results). */
    out: { type: 'string' },
  },
});
const out = values.out ? resolve(values.out) : RESULTS;
const iterations = Number(values.iterations);
const pods = Number(values.pods);

type Path = 'api' | 'gatewayNoWait' | 'gateway';
type Op = 'deletePod' | 'createJob';

async function main(): Promise<void> {
  killChildrenOnExit();
  const workDir = mkdtempSync(join(tmpdir(), 'kubegate-bench-writes-'));
  const logDir = join(workDir, 'logs');
  mkdirSync(logDir);
  const machine = machineInfo();
  process.stderr.write(`machine: ${machine.cpuModel}, ${machine.cores} cores; logs in ${logDir}\n`);
  try {
    const upstream = await startUpstream(
      { name: 'writes', nodes: 10, pods, jobs: 10, namespaces: 4 },
      { cwd: ROOT, logDir, workDir, churn: 0, seed: 7 },
    );
    const config = (visibilityTimeoutMs: number) => {
      const path = join(workDir, `kubegate-${visibilityTimeoutMs}.yaml`);
      writeFileSync(
        path,
        [
          'clusters:',
          `  - kubeconfig: ${upstream.kubeconfigPath}`,
          'writes:',
          '  qps: 10000',
          '  burst: 100000',
          '  perPrincipal: { perMinute: 1000000 }',
          `  visibilityTimeoutMs: ${visibilityTimeoutMs}`,
          '  openAs: { user: bench-writer, groups: ["system:masters"] }',
          '',
        ].join('\n'),
      );
      return path;
    };
    const gateways = {
      gateway: await startGateway({
        name: 'gateway-ryw',
        kubeconfig: upstream.kubeconfigPath,
        configFile: config(5000),
        cache: true,
        cwd: ROOT,
        logDir,
        syncTimeoutMs: 120_000,
      }),
      gatewayNoWait: await startGateway({
        name: 'gateway-nowait',
        kubeconfig: upstream.kubeconfigPath,
        configFile: config(0),
        cache: true,
        cwd: ROOT,
        logDir,
        syncTimeoutMs: 120_000,
      }),
    };
    const cluster = gateways.gateway.cluster;
    const created = await upstream.request('/api/v1/namespaces', {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    });
    if (created.status !== 201)
      throw new Error(`namespace: ${created.status} ${JSON.stringify(created.body)}`);

    const gql = async (path: 'gateway' | 'gatewayNoWait', query: string, variables: object) => {
      const res = await fetch(gateways[path].url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { errors?: unknown[]; data?: Record<string, { visible: boolean }> };
      if (body.errors) throw new Error(`${path}: ${JSON.stringify(body.errors)}`);
      return body.data!;
    };
    const podBody = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: NS },
      spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
    });

    const samples: Record<Op, Record<Path, number[]>> = {
      deletePod: { api: [], gatewayNoWait: [], gateway: [] },
      createJob: { api: [], gatewayNoWait: [], gateway: [] },
    };
    let notVisible = 0;
    let serial = 0;

    /** Times one write; the pod to delete is made (untimed) first and is in every cache by then. */
    async function once(op: Op, path: Path): Promise<void> {
      const name = `w-${path.toLowerCase()}-${++serial}`;
      if (op === 'deletePod') {
        const made = await upstream.request(`/api/v1/namespaces/${NS}/pods`, {
          method: 'POST',
          body: podBody(name),
        });
        if (made.status !== 201) throw new Error(`pod: ${made.status}`);
        // Both gateways hold it before the delete is timed (a read through each).
        for (const g of ['gateway', 'gatewayNoWait'] as const) {
          for (;;) {
            const res = await fetch(gateways[g].url, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                query: `{ cluster(name: "${cluster}") { pod(namespace: "${NS}", name: "${name}") { name } } }`,
              }),
            });
            const body = (await res.json()) as { data?: { cluster?: { pod?: unknown } } };
            if (body.data?.cluster?.pod) break;
          }
        }
      }
      const started = performance.now();
      if (path === 'api') {
        const r =
          op === 'deletePod'
            ? await upstream.request(`/api/v1/namespaces/${NS}/pods/${name}`, {
                method: 'DELETE',
                body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 },
              })
            : await upstream.request(`/apis/batch/v1/namespaces/${NS}/jobs`, {
                method: 'POST',
                body: {
                  apiVersion: 'batch/v1',
                  kind: 'Job',
                  metadata: { name, namespace: NS },
                  spec: {
                    template: {
                      spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] },
                    },
                  },
                },
              });
        if (r.status >= 300) throw new Error(`api ${op}: ${r.status} ${JSON.stringify(r.body)}`);
      } else {
        const data =
          op === 'deletePod'
            ? await gql(
                path,
                'mutation($c: String!, $ns: String!, $n: String!) { deletePod(cluster: $c, namespace: $ns, name: $n, gracePeriodSeconds: 0) { visible } }',
                { c: cluster, ns: NS, n: name },
              )
            : await gql(
                path,
                'mutation($c: String!, $ns: String!, $n: String!) { createJob(input: { cluster: $c, namespace: $ns, name: $n, image: "busybox:1.36" }) { visible } }',
                { c: cluster, ns: NS, n: name },
              );
        if (path === 'gateway' && !data[op].visible) notVisible++;
      }
      samples[op][path].push(performance.now() - started);
    }

    const warmup = Math.min(20, iterations);
    for (let i = 0; i < warmup + iterations; i++) {
      // The warm-up's samples are dropped once it is over.
      if (i === warmup)
        for (const op of Object.values(samples)) for (const list of Object.values(op)) list.length = 0;
      for (const op of ['deletePod', 'createJob'] as const) {
        for (const path of ['api', 'gatewayNoWait', 'gateway'] as const) await once(op, path);
      }
    }

    const rows = (['deletePod', 'createJob'] as const).map((op) => {
      const q = (p: Path, pct: number) => round(percentile(samples[op][p], pct), 2);
      return {
        op,
        n: samples[op].gateway.length,
        apiP50: q('api', 50),
        apiP99: q('api', 99),
        noWaitP50: q('gatewayNoWait', 50),
        noWaitP99: q('gatewayNoWait', 99),
        gatewayP50: q('gateway', 50),
        gatewayP99: q('gateway', 99),
        ratioP50: round(q('gateway', 50) / q('api', 50), 2),
        ratioP99: round(q('gateway', 99) / q('api', 99), 2),
      };
    });
    const md = [
      `Writes: ${iterations} sequential calls per operation and path (after ${warmup} warm-up), ${pods} pods, ${machine.cores} cores (${machine.cpuModel}). Milliseconds.`,
      '',
      '| operation | API alone p50 | p99 | gateway, no wait p50 | p99 | gateway, read-your-writes p50 | p99 | ratio p50 | ratio p99 |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.op} | ${r.apiP50} | ${r.apiP99} | ${r.noWaitP50} | ${r.noWaitP99} | ${r.gatewayP50} | ${r.gatewayP99} | ${r.ratioP50} | ${r.ratioP99} |`,
      ),
      '',
      `Mutations that answered visible: false: ${notVisible}.`,
      '',
    ].join('\n');
    process.stdout.write(`${md}\n`);
    mkdirSync(out, { recursive: true });
    writeFileSync(
      join(out, 'writes.json'),
      `${JSON.stringify({ at: new Date().toISOString(), machine, iterations, pods, notVisible, rows }, null, 2)}\n`,
    );
    writeFileSync(join(out, 'writes.md'), md);
  } finally {
    await stopAll();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
