/**
 * The simulator's OpenAPI documents over HTTPS (kubectl's use of them is in
 * kubectl-matrix.test.ts): the committed definitions are what the generator makes now, every
 * reference resolves, the patch extensions are PATCH_META's, /openapi/v2 negotiates JSON,
 * protobuf or 406 as kube-apiserver does, /openapi/v3 is an index of hash-addressed documents
 * with kube-apiserver's caching headers, and fieldValidation (which the documents advertise)
 * refuses, warns about or ignores unknown fields.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, OUTPUT } from '../../scripts/generate-openapi.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { PATCH_META } from '../../src/simulator/strategic-patch.js';
import { type AnyJson, getJson, simFetch } from './sim-kit.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({
    churnPerSecond: 0,
    jobStepMs: 3_600_000,
    scenario: { seed: 3, nodes: 1, pods: 1, jobs: 0, namespaces: 1 },
  });
});

afterAll(async () => {
  await sim?.close();
});

const PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** Every `$ref` in a value, and the prefix they must start with. */
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref') out.push(v as string);
      else refs(v, out);
    }
  }
  return out;
}

describe('the generated definitions', () => {
  it('are what scripts/generate-openapi.ts generates from the installed client-node', async () => {
    expect(readFileSync(OUTPUT, 'utf8')).toBe(await generate());
  });
});

describe('/openapi/v2', () => {
  let doc: AnyJson;
  beforeAll(async () => {
    doc = await getJson(sim, '/openapi/v2', { headers: { accept: 'application/json' } });
  });

  it('defines every served kind with its GVK, required fields, descriptions and special types', () => {
    const pod = doc.definitions['io.k8s.api.core.v1.Pod'];
    expect(pod['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Pod', version: 'v1' }]);
    expect(doc.definitions['io.k8s.api.batch.v1.Job']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'batch', kind: 'Job', version: 'v1' },
    ]);
    const container = doc.definitions['io.k8s.api.core.v1.Container'];
    expect(container.required).toEqual(['name']);
    expect(container.properties.image.description).toMatch(/^Container image name\./);
    expect(container.properties.env).toMatchObject({
      type: 'array',
      items: { $ref: '#/definitions/io.k8s.api.core.v1.EnvVar' },
    });
    expect(doc.definitions['io.k8s.api.core.v1.HTTPGetAction'].properties.port).toEqual({
      $ref: '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString',
      description: expect.any(String),
    });
    expect(doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({
      type: 'string',
      format: 'int-or-string',
    });
    expect(
      doc.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.creationTimestamp.$ref,
    ).toBe('#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time');
    expect(doc.definitions['io.k8s.api.core.v1.ResourceRequirements'].properties.limits).toMatchObject({
      type: 'object',
      additionalProperties: { type: 'string' },
    });
  });

  it('resolves every reference', () => {
    const missing = refs(doc).filter((r) => !doc.definitions[r.replace('#/definitions/', '')]);
    expect(missing).toEqual([]);
  });

  it("carries PATCH_META's patch strategies and merge keys, and nothing else's", () => {
    const containers = doc.definitions['io.k8s.api.core.v1.PodSpec'].properties.containers;
    expect(containers).toMatchObject({
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    });
    // Container's tags reach EphemeralContainer too (PATCH_META's PodSpec.ephemeralContainers).
    expect(doc.definitions['io.k8s.api.core.v1.EphemeralContainer'].properties.env).toMatchObject({
      'x-kubernetes-patch-merge-key': 'name',
    });
    expect(
      doc.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.finalizers,
    ).toMatchObject({
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-list-type': 'set',
    });
    // Every tagged field the table names is tagged in some definition, with the table's values.
    const tagged = new Set<string>();
    for (const definition of Object.values(doc.definitions) as AnyJson[]) {
      for (const [field, p] of Object.entries((definition.properties ?? {}) as Record<string, AnyJson>)) {
        if (p['x-kubernetes-patch-strategy'])
          tagged.add(
            `${field}=${p['x-kubernetes-patch-strategy']}/${p['x-kubernetes-patch-merge-key'] ?? ''}`,
          );
      }
    }
    const table = new Set(
      Object.values(PATCH_META).flatMap((fields) =>
        Object.entries(fields)
          .filter(([, f]) => f.strategy)
          .map(([field, f]) => `${field}=${f.strategy}/${f.key ?? ''}`),
      ),
    );
    expect([...tagged].sort()).toEqual([...table].sort());
  });

  it('lists the served operations, each PATCH with the fieldValidation parameter kubectl looks for', () => {
    const pod = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'];
    expect(pod.patch['x-kubernetes-group-version-kind']).toEqual({ group: '', kind: 'Pod', version: 'v1' });
    expect(pod.patch.parameters.map((p: AnyJson) => p.name)).toContain('fieldValidation');
    expect(pod.patch.consumes).not.toContain('application/apply-patch+yaml');
    expect(doc.paths['/apis/batch/v1/namespaces/{namespace}/jobs'].post.operationId).toBe(
      'createBatchV1NamespacedJob',
    );
    expect(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post).toBeDefined();
    expect(doc.paths['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'].post).toBeDefined();
  });

  it('answers protobuf to the protobuf Accept, 406 to one it cannot serve, 304 to a known ETag', async () => {
    const pb = await simFetch(sim, '/openapi/v2', { headers: { accept: PROTOBUF } });
    expect(pb.status).toBe(200);
    // Go's mime parser refuses the '@' spelling in a Content-Type: the legacy one is answered.
    expect(pb.headers.get('content-type')).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    const bytes = Buffer.from(await pb.arrayBuffer());
    expect([...bytes.subarray(0, 5)]).toEqual([0x0a, 0x03, ...Buffer.from('2.0')]); // Document.swagger = "2.0"

    const refused = await simFetch(sim, '/openapi/v2', { headers: { accept: 'text/html' } });
    expect(refused.status).toBe(406);
    expect(await refused.json()).toMatchObject({
      kind: 'Status',
      reason: 'NotAcceptable',
      code: 406,
      message: expect.stringContaining('application/json'),
    });

    const first = await simFetch(sim, '/openapi/v2', { headers: { accept: 'application/json' } });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9A-F]{128}"$/);
    await first.arrayBuffer();
    const again = await simFetch(sim, '/openapi/v2', {
      headers: { accept: 'application/json', 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
  });
});

describe('/openapi/v3', () => {
  it('indexes one document per served group-version, addressed by its hash', async () => {
    const index: AnyJson = await getJson(sim, '/openapi/v3');
    expect(Object.keys(index.paths).sort()).toEqual([
      'api/v1',
      'apis/apps/v1',
      'apis/authentication.k8s.io/v1',
      'apis/authorization.k8s.io/v1',
      'apis/batch/v1',
      'apis/coordination.k8s.io/v1',
      'apis/rbac.authorization.k8s.io/v1',
    ]);
    const url: string = index.paths['apis/batch/v1'].serverRelativeURL;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/batch\/v1\?hash=[0-9A-F]{128}$/);

    const res = await simFetch(sim, url);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, immutable');
    expect(res.headers.get('expires')).toBeTruthy();
    const doc = (await res.json()) as AnyJson;
    expect(doc.openapi).toBe('3.0.0');
    const patch = doc.paths['/apis/batch/v1/namespaces/{namespace}/jobs/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'batch', kind: 'Job', version: 'v1' });
    expect(patch.parameters.find((p: AnyJson) => p.name === 'fieldValidation')).toMatchObject({
      in: 'query',
    });
    expect(Object.keys(patch.requestBody.content)).toContain('application/strategic-merge-patch+json');
    // The pod template a Job holds, with what it references, and refs in v3's spelling.
    expect(doc.components.schemas['io.k8s.api.core.v1.PodTemplateSpec']).toBeDefined();
    const missing = refs(doc).filter(
      (r) => !r.startsWith('#/components/schemas/') || !doc.components.schemas[r.split('/').pop()!],
    );
    expect(missing).toEqual([]);
    // A field's description beside a $ref: wrapped in allOf, as kube-apiserver writes v3.
    expect(doc.components.schemas['io.k8s.api.core.v1.HTTPGetAction'].properties.port).toMatchObject({
      allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' }],
    });
  });

  it('redirects an old hash to the current one, and knows no other group-version', async () => {
    const old = await simFetch(sim, '/openapi/v3/api/v1?hash=0123', { redirect: 'manual' });
    expect(old.status).toBe(301);
    expect(old.headers.get('location')).toMatch(/^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
    const unknown = await simFetch(sim, '/openapi/v3/apis/policy/v1');
    expect(unknown.status).toBe(404);
    await unknown.arrayBuffer();
  });
});

describe('fieldValidation', () => {
  const pod = (name: string) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'c', image: 'busybox', imagee: 'typo' }], bogus: 1 },
    });
  const create = (name: string, validation?: string) =>
    simFetch(sim, `/api/v1/namespaces/default/pods${validation ? `?fieldValidation=${validation}` : ''}`, {
      method: 'POST',
      body: pod(name),
      headers: { 'content-type': 'application/json' },
    });

  it('Strict refuses unknown fields with the strict decoding error, naming each in document order', async () => {
    const res = await create('strict', 'Strict');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      reason: 'BadRequest',
      message:
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee", unknown field "spec.bogus"',
    });
    expect(sim.store.get('pods', 'default', 'strict')).toBeUndefined();
  });

  it('Warn (and no parameter) creates with one Warning per unknown field; Ignore says nothing', async () => {
    for (const [name, validation] of [
      ['warned', 'Warn'],
      ['defaulted', undefined],
    ] as const) {
      const res = await create(name, validation);
      expect(res.status).toBe(201);
      expect(res.headers.get('warning')).toBe(
        '299 - "unknown field \\"spec.containers[0].imagee\\"", 299 - "unknown field \\"spec.bogus\\""',
      );
      await res.arrayBuffer();
    }
    const ignored = await create('ignored', 'Ignore');
    expect(ignored.status).toBe(201);
    expect(ignored.headers.get('warning')).toBeNull();
    await ignored.arrayBuffer();
  });

  it('checks a merge patch, but not its directives', async () => {
    const res = await simFetch(sim, '/api/v1/namespaces/default/pods/ignored?fieldValidation=Strict', {
      method: 'PATCH',
      body: JSON.stringify({ metadata: { labels: { a: 'b' } }, spec: { $setElementOrder: [], nope: true } }),
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as AnyJson).message).toBe('strict decoding error: unknown field "spec.nope"');
  });

  it('refuses a value it does not know', async () => {
    const res = await create('odd', 'Loud');
    expect(res.status).toBe(400);
    expect(((await res.json()) as AnyJson).message).toBe(
      'fieldValidation parameter unsupported: Loud; expected one of Ignore, Warn, Strict',
    );
  });
});
