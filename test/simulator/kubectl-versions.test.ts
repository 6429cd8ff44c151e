import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/server.js';
import { eachKubectl, Kubectl, startKubectlSimulator } from './kubectl-runner.js';
import { type AnyJson, metric, scrape } from './sim-kit.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startKubectlSimulator({ seed: 4, nodes: 3, pods: 30, jobs: 2, namespaces: 2 });
});

afterAll(async () => {
  await sim?.close();
});

function pod(name: string, namespace = 'default', owner?: { name: string; uid: string }) {
  return sim.store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { app: name },
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'batch/v1',
                kind: 'Job',
                name: owner.name,
                uid: owner.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
}

for (const { label, binary, suite, skipped } of eachKubectl()) {
  suite(`kubectl ${label}${skipped}`, () => {
    let kubectl: Kubectl;
    const tag = `k${label.replace('.', '')}`.toLowerCase();

    beforeAll(() => {
      kubectl = new Kubectl(sim.kubeconfig(), binary);
    });
    afterAll(() => kubectl?.cleanup());

    it('delete pod --dry-run=server leaves the pod', async () => {
      const before = pod(`${tag}-dry-delete`);
      const out = await kubectl.ok(['delete', 'pod', before.metadata.name, '--dry-run=server']);
      expect(out).toContain('(server dry run)');
      expect(sim.store.get('pods', 'default', before.metadata.name)).toEqual(before);
    });

    it('label pod --dry-run=server does not label it', async () => {
      const before = pod(`${tag}-dry-label`);
      const out = await kubectl.ok(['label', 'pod', before.metadata.name, 'a=b', '--dry-run=server']);
      expect(out).toContain('(server dry run)');
      expect(sim.store.get('pods', 'default', before.metadata.name)).toEqual(before);
    });

    it('delete job --cascade=orphan keeps its pods, without the ownerReference', async () => {
      const job = sim.store.create('jobs', {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: `${tag}-orphaner`, namespace: 'default' },
        spec: { suspend: true, template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      });
      const owner = { name: job.metadata.name, uid: job.metadata.uid! };
      const pods = [pod(`${tag}-orphan-0`, 'default', owner), pod(`${tag}-orphan-1`, 'default', owner)];
      await kubectl.ok(['delete', 'job', job.metadata.name, '--cascade=orphan']);
      expect(sim.store.get('jobs', 'default', job.metadata.name)).toBeUndefined();
      await new Promise((r) => setTimeout(r, 50)); // past the garbage collector's turn
      for (const p of pods) {
        const left = sim.store.get('pods', 'default', p.metadata.name);
        expect(left, p.metadata.name).toBeDefined();
        expect(left!.metadata.ownerReferences).toBeUndefined();
      }
    });

    it('get pods --chunk-size=5 -o json pages through every pod', async () => {
      const namespace = sim.summary.namespaces.find((ns) => ns !== 'default') ?? 'default';
      const expected = [...sim.store.scan('pods', { namespace })].map((p) => p.metadata.name);
      const lists = async () =>
        metric(await scrape(sim), 'apiserver_request_total', { verb: 'LIST', resource: 'pods', code: '200' });
      const before = await lists();
      const out: AnyJson = JSON.parse(
        await kubectl.ok(['get', 'pods', '-n', namespace, '--chunk-size=5', '-o', 'json']),
      );
      expect(out.items.map((p: AnyJson) => p.metadata.name)).toEqual(expected);
      expect((await lists()) - before).toBe(Math.max(1, Math.ceil(expected.length / 5)));
    });
  });
}
