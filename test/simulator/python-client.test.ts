/**
 * A client nobody here wrote: the official Kubernetes Python client (Debian's
 * python3-kubernetes, installed by .ci/run) lists, pages, watches with bookmarks, meets a
 * 410 and relists, dry-run deletes and deletes, through test/simulator/python_client.py.
 * It sends `watch=True&allowWatchBookmarks=True`: the simulator must read those as a
 * real server does, or the watch would be a list.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { type AnyJson, getJson, keyOf, metric, scrape, simFetch } from './sim-kit.js';

/** The system Python (Debian's python3-kubernetes installs there, not into a pyenv). */
const PYTHON = process.env.KUBEGATE_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, 'python_client.py');
const LOGS_SCRIPT = join(import.meta.dirname, 'python_logs.py');

let sim: Simulator;
let dir: string;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      PYTHON,
      args,
      { timeout: 60_000, env: { PATH: process.env.PATH, HOME: dir } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubegate-python-'));
  const probe = await run(['-c', 'import kubernetes']);
  if (probe.code !== 0) {
    throw new Error(
      `the Python Kubernetes client is missing (${PYTHON} -c "import kubernetes" failed: ${probe.stderr.trim()}); ` +
        "install Debian's python3-kubernetes (CI does, see .ci/run) or set KUBEGATE_PYTHON",
    );
  }
  sim = await startSimulator({
    // Pods stay as created: the tests compare them with what they wrote and read back.
    podLifecycle: false,
    churnPerSecond: 0,
    jobStepMs: 3_600_000,
    bookmarkIntervalMs: 300,
    scenario: { seed: 8, nodes: 3, pods: 23, jobs: 2, namespaces: 2 },
  });
});

afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the official Python client', () => {
  it('lists, pages, watches with bookmarks, relists after 410, dry-run deletes and deletes', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, sim.kubeconfig(), { mode: 0o600 });
    const count = async (verb: string) =>
      metric(await scrape(sim), 'apiserver_request_total', { verb, resource: 'pods', code: '200' });
    const listsBefore = await count('LIST');
    const pods = [...sim.store.scan('pods')].map(keyOf).sort();

    const result = await run([SCRIPT, kubeconfig, 'default']);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);

    expect(out.listed).toEqual(pods);
    expect(out.paged).toEqual(pods);
    expect(out.pages).toBe(Math.ceil(pods.length / 5));
    expect(out.remaining).toEqual(Array.from({ length: out.pages - 1 }, (_, i) => pods.length - 5 * (i + 1)));
    // watch=True was a watch: the pod created meanwhile came as ADDED, and bookmarks came.
    expect(out.watchTypes).toEqual(['ADDED', 'BOOKMARK']);
    expect(out.watchNames).toEqual(['from-python']);
    // After the compaction the old resourceVersion is 410 Gone (the client retries once, then raises).
    expect(out.gone).toBe(410);
    expect(out.relisted).toBe(true);
    expect(Number(out.relistRV)).toBeGreaterThan(Number(out.listRV));
    expect(out.afterDryRun).toBe('from-python');
    expect(out.afterDelete).toBe(404);
    expect(sim.store.get('pods', 'default', 'from-python')).toBeUndefined();

    // LISTs: the full list, the pages and the relist; the watches were watches, not lists.
    expect((await count('LIST')) - listsBefore).toBe(1 + out.pages + 1);
    expect(await count('WATCH')).toBeGreaterThanOrEqual(2);
  });

  it("reads a restarted container's previous and current logs, and the metrics API", async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, sim.kubeconfig(), { mode: 0o600 });
    const pod = [...sim.store.scan('pods')].find(
      (p) => p.status?.phase === 'Running' && p.status.containerStatuses[0].restartCount > 0,
    )!;
    const { namespace, name } = pod.metadata;
    const container = pod.spec.containers[0].name as string;
    const result = await run([LOGS_SCRIPT, kubeconfig, namespace!, name, container]);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);

    // The previous run has ended: its log is fixed, so the client must read exactly the API's bytes.
    const logPath = `/api/v1/namespaces/${namespace}/pods/${name}/log?container=${container}`;
    const previous = await (await simFetch(sim, `${logPath}&previous=true&tailLines=8`)).text();
    expect(previous.split('\n')).toHaveLength(9);
    expect(out.previous).toBe(previous);
    const current = out.current.split('\n').slice(0, -1);
    expect(current).toHaveLength(3);
    for (const line of current) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z /);
    expect(out.badContainer).toEqual({ status: 400, message: `container nope is not valid for pod ${name}` });

    const nodes = await getJson<AnyJson>(sim, '/apis/metrics.k8s.io/v1beta1/nodes');
    expect(out.nodeMetrics).toEqual({
      kind: 'NodeMetricsList',
      names: nodes.items.map((n: AnyJson) => n.metadata.name),
    });
    const pods = await getJson<AnyJson>(sim, `/apis/metrics.k8s.io/v1beta1/namespaces/${namespace}/pods`);
    expect(out.podMetrics).toEqual(pods.items.map((p: AnyJson) => p.metadata.name).sort());
  });
});
