/**
 * The real kubectl against the simulator, through a kubeconfig the simulator wrote and a
 * private discovery cache: what a developer types must work unchanged, and the counts
 * must be the scenario's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import type { KubeObject, StoredEvent } from '../../src/simulator/types.js';
import { waitFor } from '../helpers/wait.js';
import { Kubectl, requireKubectl, rows } from './kubectl-runner.js';
import { type AnyJson, keyOf, metric, scrape } from './sim-kit.js';

const VIEWER = 'kubectl-viewer-token';
let sim: Simulator;
let kubectl: Kubectl;

beforeAll(async () => {
  await requireKubectl();
  sim = await startSimulator({
    churnPerSecond: 0,
    jobStepMs: 3_600_000,
    scenario: { seed: 2, nodes: 4, pods: 50, jobs: 4, namespaces: 3 },
    tokens: {
      [VIEWER]: {
        user: 'viewer',
        rules: [{ verbs: ['get', 'list', 'watch'], resources: ['pods'], namespaces: ['default'] }],
      },
    },
  });
  kubectl = new Kubectl(sim.kubeconfig());
});

afterAll(async () => {
  kubectl?.cleanup();
  await sim?.close();
});

const storeObjects = (resource: 'pods' | 'nodes' | 'jobs', filter: (o: KubeObject) => boolean = () => true) =>
  [...sim.store.scan(resource)].filter(filter);
/** NAMESPACE and NAME cells of `get -A` rows, as store keys. */
const keysOf = (table: string[][]) => table.map(([ns, name]) => `${ns}/${name}`);

describe('kubectl get', () => {
  it('get nodes: every node with the familiar columns', async () => {
    const [header, ...nodes] = rows(await kubectl.ok(['get', 'nodes']));
    expect(header).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    expect(nodes.map((r) => r[0])).toEqual(storeObjects('nodes').map((n) => n.metadata.name));
    expect(nodes).toHaveLength(sim.summary.counts.nodes);
    expect(nodes.every((r) => /^Ready|^NotReady/.test(r[1]) && r[4].startsWith('v1.'))).toBe(true);
  });

  it('get pods -A: every pod, with the NAMESPACE column filled', async () => {
    const [header, ...pods] = rows(await kubectl.ok(['get', 'pods', '-A']));
    expect(header).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(pods).toHaveLength(sim.summary.counts.pods);
    expect(pods.every((r) => r[0] && sim.summary.namespaces.includes(r[0]))).toBe(true);
    expect(keysOf(pods)).toEqual(storeObjects('pods').map(keyOf));
    // The STATUS column is the server's: it matches each pod's phase for the plain cases.
    const byKey = new Map(storeObjects('pods').map((p) => [keyOf(p), p]));
    for (const [ns, name, , status] of pods) {
      const phase = byKey.get(`${ns}/${name}`)?.status?.phase;
      if (status === 'Running' || status === 'Pending') expect(phase).toBe(status);
    }
  });

  it('get pods -A --chunk-size: kubectl follows continue tokens across Table pages', async () => {
    const lists = async () =>
      metric(await scrape(sim), 'apiserver_request_total', { verb: 'LIST', resource: 'pods', code: '200' });
    const before = await lists();
    const pods = rows(await kubectl.ok(['get', 'pods', '-A', '--no-headers', '--chunk-size', '7']));
    expect(keysOf(pods)).toEqual(storeObjects('pods').map(keyOf));
    expect((await lists()) - before).toBe(Math.ceil(sim.store.count('pods') / 7));
  });

  it('get pods -A -l: equality and set-based label selectors', async () => {
    const sample = storeObjects('pods').find((p) => p.metadata.labels?.['app.kubernetes.io/name'])!;
    const app = sample.metadata.labels!['app.kubernetes.io/name'];
    const byApp = rows(
      await kubectl.ok(['get', 'pods', '-A', '--no-headers', '-l', `app.kubernetes.io/name=${app}`]),
    );
    expect(keysOf(byApp)).toEqual(
      storeObjects('pods', (p) => p.metadata.labels?.['app.kubernetes.io/name'] === app).map(keyOf),
    );
    expect(byApp.length).toBeGreaterThan(0);
    const jobPods = rows(await kubectl.ok(['get', 'pods', '-A', '--no-headers', '-l', 'job-name,!nope']));
    expect(keysOf(jobPods)).toEqual(
      storeObjects('pods', (p) => p.metadata.labels?.['job-name'] !== undefined).map(keyOf),
    );
    expect(jobPods.length).toBeGreaterThan(0);
  });

  it('get pods -A --field-selector spec.nodeName=...', async () => {
    const node = storeObjects('nodes')[1].metadata.name;
    const onNode = rows(
      await kubectl.ok(['get', 'pods', '-A', '--no-headers', '--field-selector', `spec.nodeName=${node}`]),
    );
    expect(keysOf(onNode)).toEqual(storeObjects('pods', (p) => p.spec?.nodeName === node).map(keyOf));
    expect(onNode.length).toBeGreaterThan(0);
    const wide = rows(
      await kubectl.ok(['get', 'pods', '-A', '-o', 'wide', '--field-selector', `spec.nodeName=${node}`]),
    );
    const nodeColumn = wide[0].indexOf('NODE');
    expect(nodeColumn).toBeGreaterThan(0);
    expect(wide.slice(1).every((r) => r[nodeColumn] === node)).toBe(true);
  });

  it('get jobs -A: every job with its completions', async () => {
    const [header, ...jobs] = rows(await kubectl.ok(['get', 'jobs', '-A']));
    expect(header).toEqual(['NAMESPACE', 'NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(jobs).toHaveLength(sim.summary.counts.jobs);
    expect(keysOf(jobs)).toEqual(storeObjects('jobs').map(keyOf));
    expect(jobs.every((r) => /^\d+\/\d+$/.test(r[3]))).toBe(true);
  });

  it('get po: the short name, in the context namespace (default)', async () => {
    const [header, ...pods] = rows(await kubectl.ok(['get', 'po']));
    expect(header[0]).toBe('NAME');
    expect(pods.map((r) => r[0])).toEqual(
      storeObjects('pods', (p) => p.metadata.namespace === 'default').map((p) => p.metadata.name),
    );
    expect(pods.length).toBeGreaterThan(0);
  });

  it('get po in the namespace of the kubeconfig context, and as a namespaced viewer', async () => {
    const namespace = sim.summary.namespaces[2];
    const scoped = new Kubectl(sim.kubeconfig({ namespace, context: 'scoped' }));
    const viewer = new Kubectl(sim.kubeconfig({ token: VIEWER, context: 'viewer' }));
    try {
      const pods = rows(await scoped.ok(['get', 'po', '--no-headers']));
      expect(pods.map((r) => r[0])).toEqual(
        storeObjects('pods', (p) => p.metadata.namespace === namespace).map((p) => p.metadata.name),
      );
      const own = rows(await viewer.ok(['get', 'pods', '--no-headers']));
      expect(own).toHaveLength(storeObjects('pods', (p) => p.metadata.namespace === 'default').length);
      const all = await viewer.run(['get', 'pods', '-A']);
      expect(all.code).toBe(1);
      expect(all.stderr).toContain(
        'pods is forbidden: User "viewer" cannot list resource "pods" in API group "" at the cluster scope',
      );
    } finally {
      scoped.cleanup();
      viewer.cleanup();
    }
  });

  it('get all -A -o name: the "all" category from discovery', async () => {
    const names = (await kubectl.ok(['get', 'all', '-A', '-o', 'name'])).trim().split('\n');
    expect(names.filter((n) => n.startsWith('pod/'))).toHaveLength(sim.store.count('pods'));
    expect(names.filter((n) => n.startsWith('job.batch/'))).toHaveLength(sim.store.count('jobs'));
  });

  it('get pods -o json: the objects themselves, resourceVersions included', async () => {
    const namespace = sim.summary.namespaces[2];
    const list = JSON.parse(await kubectl.ok(['get', 'pods', '-n', namespace, '-o', 'json'])) as AnyJson;
    expect(list.kind).toBe('List');
    const expected = storeObjects('pods', (p) => p.metadata.namespace === namespace);
    expect(list.items.map(keyOf)).toEqual(expected.map(keyOf));
    expect(list.items.map((p: AnyJson) => p.metadata.resourceVersion)).toEqual(
      expected.map((p) => p.metadata.resourceVersion),
    );
    expect(list.items[0].spec.containers.length).toBeGreaterThan(0);
    const one = JSON.parse(
      await kubectl.ok(['get', 'pod', expected[0].metadata.name, '-n', namespace, '-o', 'json']),
    ) as AnyJson;
    expect(one.metadata.uid).toBe(expected[0].metadata.uid);
  });
});

describe('kubectl describe and delete', () => {
  it('describe pod: the pod and its events', async () => {
    const events = ([...sim.store.scan('events')] as AnyJson[]).filter(
      (e) => e.involvedObject?.kind === 'Pod',
    );
    expect(events.length).toBeGreaterThan(0);
    const target = events[0].involvedObject as { name: string; namespace: string };
    const pod = sim.store.get('pods', target.namespace, target.name)!;
    const out = await kubectl.ok(['describe', 'pod', target.name, '-n', target.namespace]);
    expect(out).toMatch(new RegExp(`^Name:\\s+${target.name}$`, 'm'));
    expect(out).toMatch(new RegExp(`^Namespace:\\s+${target.namespace}$`, 'm'));
    if (pod.spec?.nodeName) expect(out).toMatch(new RegExp(`^Node:\\s+${pod.spec.nodeName}`, 'm'));
    expect(out).toMatch(new RegExp(`^Status:\\s+${pod.status.phase}$`, 'm'));
    const eventsSection = out.slice(out.lastIndexOf('Events:'));
    const reasons = events
      .filter((e) => e.involvedObject.name === target.name && e.involvedObject.namespace === target.namespace)
      .map((e) => String(e.reason));
    for (const reason of reasons) expect(eventsSection).toContain(reason);
  });

  it('delete pod completes, and the pod is gone', async () => {
    const [pod] = storeObjects('pods', (p) => p.metadata.namespace === 'default');
    const name = pod.metadata.name;
    // kubectl waits until the kubelet has stopped a running pod: a grace period of 1 s bounds that
    // (kubectl-writes.test.ts follows the default one on a fake clock).
    const out = await kubectl.ok(['delete', 'pod', name, '-n', 'default', '--grace-period=1']);
    expect(out.trim()).toBe(`pod "${name}" deleted`);
    expect(sim.store.get('pods', 'default', name)).toBeUndefined();
    const again = await kubectl.run(['get', 'pod', name, '-n', 'default']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`pods "${name}" not found`);
  });
});

describe('kubectl get pods -w', () => {
  let live: Simulator;
  let liveKubectl: Kubectl;

  beforeAll(async () => {
    live = await startSimulator({
      churnPerSecond: 40,
      jobStepMs: 200,
      scenario: { seed: 4, nodes: 3, pods: 40, jobs: 2, namespaces: 2 },
    });
    liveKubectl = new Kubectl(live.kubeconfig());
  });

  afterAll(async () => {
    liveKubectl?.cleanup();
    await live?.close();
  });

  it('shows churn events as they happen, until killed', async () => {
    const changed = new Map<string, Set<string>>();
    const off = live.store.subscribe('pods', (e: StoredEvent) => {
      const key = keyOf(e.object);
      if (!changed.has(key)) changed.set(key, new Set());
      changed.get(key)!.add(e.type);
    });
    const child = liveKubectl.spawn(['get', 'pods', '-A', '-w', '--output-watch-events']);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<string>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? `exit ${code}`)),
    );
    try {
      // kubectl writes a watch line in more than one write (the EVENT cell first), so the
      // tail of stdout can be half a line ("MODIFIED" alone): read whole lines only.
      const lines = () => stdout.slice(0, stdout.lastIndexOf('\n') + 1);
      const watchLines = () =>
        rows(lines()).filter(([type]) => type === 'MODIFIED' || type === 'DELETED' || type === 'ADDED');
      const changes = () => watchLines().filter(([type]) => type !== 'ADDED');
      await waitFor(() => changes().length >= 5, {
        message: 'kubectl to print 5 MODIFIED/DELETED lines',
        timeoutMs: 20_000,
        intervalMs: 50,
        observe: () =>
          `${changes().length} of them; stdout so far: ${stdout.length} bytes, stderr: ${stderr}`,
      });
      const [header] = rows(lines());
      expect(header).toEqual(['EVENT', 'NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      // Every change kubectl printed is one the simulator made to that pod.
      for (const [type, ns, name] of changes()) {
        expect(changed.get(`${ns}/${name}`), `${type} ${ns}/${name}`).toContain(type);
      }
      // A watch without timeoutSeconds runs until it is stopped.
      expect(child.exitCode).toBeNull();
    } finally {
      off();
      child.kill('SIGTERM');
    }
    // /usr/bin/kubectl may be a dispatcher that forwards the signal and exits 1: any end will do,
    // what matters is that the watch was running until killed.
    expect(await exited).toMatch(/^(SIGTERM|exit \d+)$/);
  });
});
