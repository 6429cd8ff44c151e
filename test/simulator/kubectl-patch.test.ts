/**
 * Patches through every kubectl on this machine (the one on PATH and
 * /usr/lib/google-cloud-sdk/bin's kubectl.1.27 ... kubectl.1.33), compared with what a
 * real cluster does: a strategic patch merges containers and env by name (only the named
 * container changes), a JSON merge patch replaces the list, `label` and `annotate` (which
 * send strategic or merge patches) add and remove keys, and server-side apply is refused
 * with kube-apiserver's 415 for a patch type it does not serve. A version binary that is
 * absent is skipped, and the skip says so.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/server.js';
import { eachKubectl, Kubectl, startKubectlSimulator } from './kubectl-runner.js';
import { type AnyJson, simFetch } from './sim-kit.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startKubectlSimulator({ seed: 5, nodes: 2, pods: 4, jobs: 0, namespaces: 1 });
});

afterAll(async () => {
  await sim?.close();
});

function pod(name: string) {
  return sim.store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'app:1',
          env: [
            { name: 'MODE', value: 'a' },
            { name: 'KEEP', value: 'k' },
          ],
        },
        { name: 'sidecar', image: 'sidecar:1' },
      ],
      tolerations: [{ key: 'old', operator: 'Exists' }],
    },
  });
}

const stored = (name: string) => sim.store.get('pods', 'default', name) as AnyJson;

describe('PATCH content types over HTTP', () => {
  it('answers server-side apply with the 415 Status kube-apiserver gives for a patch type it does not serve', async () => {
    const p = pod('ssa-http');
    const res = await simFetch(sim, `/api/v1/namespaces/default/pods/${p.metadata.name}?fieldManager=t`, {
      method: 'PATCH',
      body: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: ssa-http\n',
      headers: { 'content-type': 'application/apply-patch+yaml' },
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json',
      reason: 'UnsupportedMediaType',
      code: 415,
    });
    expect(stored(p.metadata.name)).toEqual(p);
  });

  it('answers a malformed directive with 400 and leaves the object as it was', async () => {
    const p = pod('bad-directive');
    const res = await simFetch(sim, `/api/v1/namespaces/default/pods/${p.metadata.name}`, {
      method: 'PATCH',
      body: JSON.stringify({ metadata: { '$deleteFromPrimitiveList/finalizers': 'x' } }),
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      reason: 'BadRequest',
      message: 'invalid patch format of primitive list',
    });
    expect(stored(p.metadata.name)).toEqual(p);
  });
});

for (const { label, binary, suite, skipped } of eachKubectl()) {
  suite(`kubectl ${label}${skipped}`, () => {
    let kubectl: Kubectl;
    const tag = `k${label.replace('.', '')}`.toLowerCase();

    beforeAll(() => {
      kubectl = new Kubectl(sim.kubeconfig(), binary);
    });
    afterAll(() => kubectl?.cleanup());

    it('patch --type strategic changes only the named container and merges env by name', async () => {
      const name = pod(`${tag}-smp`).metadata.name;
      await kubectl.ok([
        'patch',
        'pod',
        name,
        '--type',
        'strategic',
        '-p',
        '{"spec":{"containers":[{"name":"app","image":"app:2","env":[{"name":"MODE","value":"b"}]}]}}',
      ]);
      expect(stored(name).spec.containers).toEqual([
        {
          name: 'app',
          image: 'app:2',
          env: [
            { name: 'MODE', value: 'b' },
            { name: 'KEEP', value: 'k' },
          ],
        },
        { name: 'sidecar', image: 'sidecar:1' },
      ]);
      // kubectl's default patch type is strategic; tolerations have no merge key: replaced.
      await kubectl.ok([
        'patch',
        'pod',
        name,
        '-p',
        '{"spec":{"tolerations":[{"key":"new","operator":"Exists"}]}}',
      ]);
      expect(stored(name).spec.tolerations).toEqual([{ key: 'new', operator: 'Exists' }]);
      expect(stored(name).spec.containers).toHaveLength(2);
    });

    it('patch --type strategic with $patch: delete removes one container', async () => {
      const name = pod(`${tag}-smp-del`).metadata.name;
      await kubectl.ok([
        'patch',
        'pod',
        name,
        '--type=strategic',
        '-p',
        '{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}',
      ]);
      expect(stored(name).spec.containers.map((c: AnyJson) => c.name)).toEqual(['app']);
    });

    it('patch --type merge replaces the list, as JSON merge patch does', async () => {
      const name = pod(`${tag}-merge`).metadata.name;
      await kubectl.ok([
        'patch',
        'pod',
        name,
        '--type',
        'merge',
        '-p',
        '{"spec":{"containers":[{"name":"app","image":"app:3"}]}}',
      ]);
      expect(stored(name).spec.containers).toEqual([{ name: 'app', image: 'app:3' }]);
    });

    it('label and annotate add and remove keys and leave the spec alone', async () => {
      const before = pod(`${tag}-meta`);
      const name = before.metadata.name;
      await kubectl.ok(['label', 'pod', name, 'tier=web']);
      await kubectl.ok(['annotate', 'pod', name, 'note=hello']);
      expect(stored(name).metadata.labels).toEqual({ app: name, tier: 'web' });
      expect(stored(name).metadata.annotations).toEqual({ note: 'hello' });
      await kubectl.ok(['label', 'pod', name, 'app-', 'tier=db', '--overwrite']);
      await kubectl.ok(['annotate', 'pod', name, 'note-']);
      expect(stored(name).metadata.labels).toEqual({ tier: 'db' });
      expect(stored(name).metadata.annotations ?? {}).toEqual({});
      expect(stored(name).spec).toEqual(before.spec);
    });

    it('apply --server-side is refused with the 415 a server that does not serve apply gives', async () => {
      const before = pod(`${tag}-ssa`);
      const file = join(kubectl.dir, 'ssa.yaml');
      writeFileSync(
        file,
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${before.metadata.name}\n  namespace: default\nspec:\n  containers:\n  - name: app\n    image: app:9\n`,
      );
      const result = await kubectl.run(['apply', '--server-side', '--validate=false', '-f', file]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('the body of the request was in an unknown format');
      expect(stored(before.metadata.name)).toEqual(before);
    });
  });
}
