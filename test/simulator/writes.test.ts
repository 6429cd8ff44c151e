/**
 * Writes as a real cluster answers them, over HTTPS, with every controller on a fake clock
 * (time moves only when a test says so): the Eviction API (policy/v1 and v1beta1, authorised
 * as `create` on pods/eviction), graceful deletion (deletionTimestamp, the kubelet's delay,
 * grace 0, a shortened period) and finalizers of any kind, cordon's taint, generateName, 409,
 * 422 with causes and the decoder's 400, protobuf bodies, jobs suspended, resumed, past their
 * deadline and deleted by their TTL, and the audit record of who wrote what.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerStopMs, terminationDelayMs } from '../../src/simulator/kubelet.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { RbacKit } from './rbac-kit.js';
import { type AnyJson, getJson, simFetch, WatchStream } from './sim-kit.js';

let sim: Simulator;
let kit: RbacKit;
const clock = new FakeClock();
const JOBS = '/apis/batch/v1/namespaces/default/jobs';
const PODS = '/api/v1/namespaces/default/pods';

beforeAll(async () => {
  sim = await startSimulator({
    clock,
    churnPerSecond: 0,
    jobStepMs: 1000,
    jobFailureRate: 0,
    scenario: { seed: 7, nodes: 3, pods: 20, jobs: 0, namespaces: 1 },
    users: [
      { token: 'alice', user: 'alice', groups: ['devs'] },
      { token: 'gateway', user: 'gateway' },
    ],
  });
  kit = new RbacKit(sim);
  // The gateway may impersonate anyone (and nothing else); alice may manage pods and jobs in default.
  await kit.clusterRole('impersonator', [
    { apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] },
  ]);
  await kit.clusterRoleBinding('gateway-impersonates', 'impersonator', [{ user: 'gateway' }]);
  await kit.role('default', 'pod-manager', [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'create', 'delete', 'patch'] },
  ]);
  await kit.roleBinding('default', 'alice-pods', 'role:pod-manager', [{ user: 'alice' }]);
});

afterAll(async () => {
  await sim?.close();
});

const node = () => [...sim.store.scan('nodes')][0].metadata.name;
const stored = (name: string, resource: 'pods' | 'jobs' = 'pods') => sim.store.get(resource, 'default', name);

/** A pod as a kubelet has it: scheduled and running. */
function runningPod(
  name: string,
  extra: Partial<KubeObject['metadata']> = {},
  spec: AnyJson = {},
): KubeObject {
  return sim.store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...extra },
    spec: {
      nodeName: node(),
      terminationGracePeriodSeconds: 30,
      containers: [{ name: 'app', image: 'app:1' }],
      ...spec,
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          started: true,
          state: { running: { startedAt: '2025-01-01T00:00:00Z' } },
        },
      ],
    },
  });
}

function request(
  method: string,
  path: string,
  body?: unknown,
  init: { token?: string; headers?: Record<string, string> } = {},
) {
  return kit.answer(method, path, { body, token: init.token, headers: init.headers });
}

function evict(
  name: string,
  extra: AnyJson = {},
  init: { token?: string; query?: string; apiVersion?: string } = {},
) {
  return request(
    'POST',
    `${PODS}/${name}/eviction${init.query ?? ''}`,
    {
      apiVersion: init.apiVersion ?? 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace: 'default' },
      ...extra,
    },
    { token: init.token },
  );
}

/** A watch of the named pods only: other tests' pods finish terminating as the clock moves too. */
function watchPods(...names: string[]): Promise<WatchStream> {
  const selector = names.length === 1 ? `&fieldSelector=metadata.name%3D${names[0]}` : '';
  return WatchStream.open(sim, `${PODS}?watch=true&resourceVersion=${sim.store.resourceVersion}${selector}`);
}

describe('the Eviction API', () => {
  it('is discovered as pods/eviction (policy/v1 Eviction, create)', async () => {
    const core = await getJson<AnyJson>(sim, '/api/v1');
    expect(core.resources.find((r: AnyJson) => r.name === 'pods/eviction')).toEqual({
      name: 'pods/eviction',
      singularName: '',
      namespaced: true,
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
      verbs: ['create'],
    });
  });

  it('evicts a running pod gracefully: 201 Success, DisruptionTarget, Terminating until its containers stop', async () => {
    const pod = runningPod('evictee');
    const stream = await watchPods('evictee');
    const { status, body } = await evict('evictee');
    expect(status).toBe(201);
    expect(body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const terminating = stored('evictee')!;
    expect(terminating.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(Date.parse(terminating.metadata.deletionTimestamp!)).toBeGreaterThan(Date.now() + 25_000);
    expect(terminating.status.conditions).toContainEqual(
      expect.objectContaining({
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'EvictionByEvictionAPI',
        message: 'Eviction API: evicting',
      }),
    );
    // The kubelet takes 0.5 to 3 s to stop this pod's containers (less than its 30 s grace).
    const delay = terminationDelayMs(terminating);
    expect(delay).toBe(containerStopMs(pod));
    clock.advance(delay - 1);
    expect(stored('evictee')).toBeDefined();
    clock.advance(1);
    expect(stored('evictee')).toBeUndefined();
    const events = await stream.until((e) => e.type === 'DELETED');
    stream.close();
    expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED']);
    // Condition, deletionTimestamp, then the kubelet's final status: stopped, not ready.
    expect(events[2].object.status.phase).toBe('Succeeded');
    expect(events[2].object.status.containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
  });

  it("honours deleteOptions' gracePeriodSeconds and dryRun, and accepts policy/v1beta1", async () => {
    runningPod('evict-now');
    expect((await evict('evict-now', { deleteOptions: { gracePeriodSeconds: 0 } })).status).toBe(201);
    expect(stored('evict-now')).toBeUndefined();

    const dry = runningPod('evict-dry');
    expect((await evict('evict-dry', { deleteOptions: { dryRun: ['All'] } })).status).toBe(201);
    expect((await evict('evict-dry', {}, { query: '?dryRun=All' })).status).toBe(201);
    expect(stored('evict-dry')).toEqual(dry);

    runningPod('evict-beta');
    const beta = await evict(
      'evict-beta',
      { deleteOptions: { gracePeriodSeconds: 1 } },
      { apiVersion: 'policy/v1beta1' },
    );
    expect(beta.status).toBe(201);
    expect(stored('evict-beta')!.metadata.deletionGracePeriodSeconds).toBe(1);
    clock.advance(1000);
    expect(stored('evict-beta')).toBeUndefined();
  });

  it('holds to deleteOptions.preconditions: the current resourceVersion evicts, a stale one is a 409', async () => {
    const pod = runningPod('evict-precondition');
    const stale = await evict('evict-precondition', {
      deleteOptions: { preconditions: { resourceVersion: '1' }, gracePeriodSeconds: 0 },
    });
    expect(stale.status).toBe(409);
    expect(stored('evict-precondition')).toEqual(pod);
    const current = await evict('evict-precondition', {
      deleteOptions: {
        preconditions: { uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion },
        gracePeriodSeconds: 0,
      },
    });
    expect(current.status).toBe(201);
    expect(stored('evict-precondition')).toBeUndefined();
  });

  it('answers 404 for a missing pod and 400 when the names differ', async () => {
    const missing = await evict('no-such-pod');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'pods "no-such-pod" not found' });
    runningPod('evict-mismatch');
    const mismatch = await request('POST', `${PODS}/evict-mismatch/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'someone-else' },
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.message).toBe('name in URL does not match name in Eviction object');
    expect(stored('evict-mismatch')!.metadata.deletionTimestamp).toBeUndefined();
  });

  it('is authorised as create on pods/eviction, not as delete on pods', async () => {
    runningPod('evict-rbac');
    const refused = await evict('evict-rbac', {}, { token: 'alice' });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      'pods "evict-rbac" is forbidden: User "alice" cannot create resource "pods/eviction" in API group "" in the namespace "default"',
    );
    expect(stored('evict-rbac')!.metadata.deletionTimestamp).toBeUndefined();
    await kit.role('default', 'evictor', [
      { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
    ]);
    await kit.roleBinding('default', 'alice-evicts', 'role:evictor', [{ user: 'alice' }]);
    expect((await evict('evict-rbac', {}, { token: 'alice' })).status).toBe(201);
    expect(stored('evict-rbac')!.metadata.deletionTimestamp).toBeDefined();
  });
});

describe('graceful deletion', () => {
  it('gives a running pod a deletionTimestamp (MODIFIED), and the kubelet deletes it after its containers stop', async () => {
    const pod = runningPod('graceful', {}, { terminationGracePeriodSeconds: 2 });
    const stream = await watchPods('graceful');
    const { status, body } = await request('DELETE', `${PODS}/graceful`);
    expect(status).toBe(200);
    expect(body.metadata.deletionGracePeriodSeconds).toBe(2);
    expect(body.metadata.deletionTimestamp).toBeDefined();
    expect((await stream.next()).type).toBe('MODIFIED');
    // Table printing says Terminating, as kubectl get pods shows it.
    const table = await getJson<AnyJson>(sim, `${PODS}/graceful`, {
      headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    expect(table.rows[0].cells[2]).toBe('Terminating');
    clock.advance(Math.min(containerStopMs(pod), 2000));
    expect(stored('graceful')).toBeUndefined();
    expect((await stream.until((e) => e.type === 'DELETED')).at(-1)!.object.metadata.name).toBe('graceful');
    stream.close();
  });

  it('deletes at once with gracePeriodSeconds=0, an unscheduled pod and a finished one (DELETED, no MODIFIED)', async () => {
    runningPod('forced');
    sim.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'unscheduled', namespace: 'default' },
      spec: { containers: [{ name: 'app', image: 'app:1' }] },
    });
    runningPod('finished');
    sim.store.patch('pods', 'default', 'finished', { status: { phase: 'Succeeded' } });
    const stream = await watchPods();
    expect((await request('DELETE', `${PODS}/forced?gracePeriodSeconds=0`)).status).toBe(200);
    expect((await request('DELETE', `${PODS}/unscheduled`)).status).toBe(200);
    expect((await request('DELETE', `${PODS}/finished`, { gracePeriodSeconds: 30 })).status).toBe(200);
    const events = await stream.take(3);
    stream.close();
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      'DELETED forced',
      'DELETED unscheduled',
      'DELETED finished',
    ]);
  });

  it('lets a second delete shorten the grace period, never lengthen it', async () => {
    runningPod('shortened');
    await request('DELETE', `${PODS}/shortened`, { gracePeriodSeconds: 60 });
    const first = stored('shortened')!;
    const longer = await request('DELETE', `${PODS}/shortened`, { gracePeriodSeconds: 120 });
    expect(longer.status).toBe(200);
    expect(stored('shortened')).toEqual(first);
    await request('DELETE', `${PODS}/shortened`, { gracePeriodSeconds: 10 });
    expect(stored('shortened')!.metadata.deletionGracePeriodSeconds).toBe(10);
    expect(Date.parse(stored('shortened')!.metadata.deletionTimestamp!)).toBeLessThan(
      Date.parse(first.metadata.deletionTimestamp!),
    );
    await request('DELETE', `${PODS}/shortened`, { gracePeriodSeconds: 0 });
    expect(stored('shortened')).toBeUndefined();
  });

  it('keeps an object with finalizers (any kind) until an update removes the last one', async () => {
    const job = await kit.create(JOBS, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'held', finalizers: ['example.com/hold', 'example.com/other'] },
      spec: {
        suspend: true,
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      },
    });
    const deleted = await request('DELETE', `${JOBS}/held`, { propagationPolicy: 'Background' });
    expect(deleted.status).toBe(200);
    expect(deleted.body.metadata).toMatchObject({ name: 'held', deletionGracePeriodSeconds: 0 });
    expect(stored('held', 'jobs')!.metadata.deletionTimestamp).toBeDefined();
    // No new finalizer may be added to an object being deleted.
    const added = await request(
      'PATCH',
      `${JOBS}/held`,
      { metadata: { finalizers: ['example.com/hold', 'example.com/other', 'example.com/late'] } },
      {
        headers: { 'content-type': 'application/merge-patch+json' },
      },
    );
    expect(added.status).toBe(422);
    expect(added.body.message).toBe(
      'Job "held" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/late"}',
    );
    const merge = { 'content-type': 'application/merge-patch+json' };
    await request(
      'PATCH',
      `${JOBS}/held`,
      { metadata: { finalizers: ['example.com/other'] } },
      { headers: merge },
    );
    expect(stored('held', 'jobs')).toBeDefined();
    const stream = await WatchStream.open(
      sim,
      `${JOBS}?watch=true&resourceVersion=${sim.store.resourceVersion}`,
    );
    const last = await request(
      'PATCH',
      `${JOBS}/held`,
      { metadata: { finalizers: null } },
      { headers: merge },
    );
    expect(last.status).toBe(200);
    expect(stored('held', 'jobs')).toBeUndefined();
    expect((await stream.next()).type).toBe('DELETED');
    stream.close();
    expect(job.metadata.uid).toBe(last.body.metadata.uid);
  });

  it('keeps a stopped pod with a finalizer (grace 0) until it is removed; the job-tracking one goes by itself', async () => {
    runningPod('finalized', { finalizers: ['example.com/hold'] }, { terminationGracePeriodSeconds: 1 });
    runningPod(
      'tracked',
      { finalizers: ['batch.kubernetes.io/job-tracking'] },
      { terminationGracePeriodSeconds: 1 },
    );
    await request('DELETE', `${PODS}/finalized`);
    await request('DELETE', `${PODS}/tracked`);
    clock.advance(1000);
    expect(stored('finalized')!.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(stored('finalized')!.status.phase).toBe('Succeeded');
    expect(stored('tracked')).toBeUndefined();
    await request(
      'PATCH',
      `${PODS}/finalized`,
      { metadata: { finalizers: null } },
      {
        headers: { 'content-type': 'application/merge-patch+json' },
      },
    );
    expect(stored('finalized')).toBeUndefined();
  });

  it('answers a deleted job with a Success Status naming it, as registries without ReturnDeletedObject do', async () => {
    const job = await kit.create(JOBS, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'status-answer' },
      spec: {
        suspend: true,
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      },
    });
    const { status, body } = await request('DELETE', `${JOBS}/status-answer`, {
      propagationPolicy: 'Background',
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'status-answer', group: 'batch', kind: 'jobs', uid: job.metadata.uid },
    });
  });

  it('fails a delete whose preconditions no longer hold with 409', async () => {
    const pod = runningPod('preconditioned');
    const { status, body } = await request('DELETE', `${PODS}/preconditioned`, {
      preconditions: { uid: 'not-its-uid' },
    });
    expect(status).toBe(409);
    expect(body.message).toBe(
      `Operation cannot be fulfilled on pods "preconditioned": Precondition failed: UID in precondition: not-its-uid, UID in object meta: ${pod.metadata.uid}`,
    );
    expect(stored('preconditioned')!.metadata.deletionTimestamp).toBeUndefined();
  });
});

describe('cordon', () => {
  it('taints a cordoned node node.kubernetes.io/unschedulable:NoSchedule and untaints it when uncordoned', async () => {
    const name = node();
    const patch = (unschedulable: boolean | null) =>
      request(
        'PATCH',
        `/api/v1/nodes/${name}`,
        { spec: { unschedulable } },
        {
          headers: { 'content-type': 'application/strategic-merge-patch+json' },
        },
      );
    const taints = () => (sim.store.get('nodes', undefined, name)!.spec.taints ?? []) as AnyJson[];
    const before = taints();
    expect((await patch(true)).status).toBe(200);
    expect(taints()).toEqual(before); // the controller acts after the write, as on a cluster
    clock.advance(0);
    expect(taints()).toEqual([
      ...before,
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: expect.any(String) },
    ]);
    expect((await patch(null)).status).toBe(200);
    clock.advance(0);
    expect(taints()).toEqual(before);
  });
});

describe('create', () => {
  it('generates names from generateName for every kind, and the audit records the generated name', async () => {
    const made = [
      await kit.create(PODS, {
        metadata: { generateName: 'gen-pod-' },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      }),
      await kit.create(JOBS, {
        metadata: { generateName: 'gen-job-' },
        spec: {
          suspend: true,
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        },
      }),
      await kit.create('/api/v1/namespaces', { metadata: { generateName: 'gen-ns-' } }),
      await kit.create('/apis/coordination.k8s.io/v1/namespaces/default/leases', {
        metadata: { generateName: 'gen-lease-' },
      }),
      await kit.create('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
        metadata: { generateName: 'gen-role-' },
        rules: [],
      }),
    ];
    for (const [i, prefix] of ['gen-pod-', 'gen-job-', 'gen-ns-', 'gen-lease-', 'gen-role-'].entries()) {
      expect(made[i].metadata.name).toMatch(new RegExp(`^${prefix}[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(made[i].metadata.generateName).toBe(prefix);
    }
    const record = sim.audit.filter((r) => r.resource === 'pods' && r.verb === 'create').at(-1)!;
    expect(record.name).toBe(made[0].metadata.name);
  });

  it('answers an existing name with 409 AlreadyExists', async () => {
    runningPod('taken');
    const { status, body } = await request('POST', PODS, {
      metadata: { name: 'taken' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    expect(status).toBe(409);
    expect(body).toMatchObject({
      reason: 'AlreadyExists',
      message: 'pods "taken" already exists',
      details: { name: 'taken', kind: 'pods' },
    });
  });

  it('answers an invalid pod with 422 Invalid, one cause per field, and stores nothing', async () => {
    const { status, body } = await request('POST', PODS, {
      metadata: { name: 'Bad_Name', labels: { tier: 'not ok' } },
      spec: {
        containers: [
          { name: 'app', resources: { requests: { cpu: '-1' } } },
          { name: 'app', image: 'b', resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } } },
        ],
      },
    });
    expect(status).toBe(422);
    expect(body.reason).toBe('Invalid');
    expect(body.details.name).toBe('Bad_Name');
    expect(body.details.kind).toBe('Pod');
    expect(body.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        message: expect.stringMatching(
          /^Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/,
        ),
        field: 'metadata.name',
      },
      {
        reason: 'FieldValueInvalid',
        message: expect.stringMatching(/^Invalid value: "not ok": a valid label must be/),
        field: 'metadata.labels',
      },
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "-1": must be greater than or equal to 0',
        field: 'spec.containers[0].resources.requests[cpu]',
      },
      { reason: 'FieldValueDuplicate', message: 'Duplicate value: "app"', field: 'spec.containers[1].name' },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi',
        field: 'spec.containers[1].resources.requests',
      },
    ]);
    expect(body.message).toMatch(/^Pod "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": /);
    expect(stored('Bad_Name')).toBeUndefined();

    const empty = await request('POST', PODS, { metadata: { name: 'empty' }, spec: {} });
    expect(empty.body.message).toBe('Pod "empty" is invalid: spec.containers: Required value');
  });

  it('answers an unparseable quantity with the decoder 400, and an invalid job with 422', async () => {
    const quantity = await request('POST', PODS, {
      metadata: { name: 'bad-quantity' },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: 'lots' } } }] },
    });
    expect(quantity.status).toBe(400);
    expect(quantity.body.message).toBe(
      `Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
    const job = await request('POST', JOBS, {
      metadata: { name: 'bad-job' },
      spec: { parallelism: -1, template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    expect(job.status).toBe(422);
    expect(job.body.message).toBe(
      'Job.batch "bad-job" is invalid: [spec.parallelism: Invalid value: -1: must be greater than or equal to 0, spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"]',
    );
    expect(job.body.details).toMatchObject({ name: 'bad-job', group: 'batch', kind: 'Job' });
    const ns = await request('POST', '/api/v1/namespaces', { metadata: { name: 'has.dots' } });
    expect(ns.status).toBe(422);
    expect(ns.body.details.causes[0].field).toBe('metadata.name');
  });
});

describe('jobs through the API', () => {
  const job = (spec: AnyJson, metadata: AnyJson = {}) =>
    kit.create(JOBS, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata,
      spec: {
        ...spec,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'work', image: 'busybox', command: ['true'] }],
          },
        },
      },
    });
  const podsOf = (uid: string) =>
    [...sim.store.scan('pods', { namespace: 'default' })].filter((p) =>
      p.metadata.ownerReferences?.some((o) => o.uid === uid),
    );
  const merge = { 'content-type': 'application/merge-patch+json' };

  it('runs a generateName job to completion (parallelism, completions) and its TTL deletes it with its pods', async () => {
    const created = await job(
      { parallelism: 2, completions: 3, backoffLimit: 1, ttlSecondsAfterFinished: 5 },
      { generateName: 'batch-' },
    );
    const name = created.metadata.name;
    let maxActive = 0;
    for (let i = 0; i < 30 && !stored(name, 'jobs')?.status?.completionTime; i++) {
      clock.advance(1000);
      maxActive = Math.max(maxActive, stored(name, 'jobs')?.status?.active ?? 0);
    }
    const done = stored(name, 'jobs')!;
    expect(done.status).toMatchObject({ succeeded: 3 });
    expect(done.status.conditions.map((c: AnyJson) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
    expect(maxActive).toBe(2);
    expect(podsOf(created.metadata.uid).map((p) => p.status.phase)).toEqual([
      'Succeeded',
      'Succeeded',
      'Succeeded',
    ]);
    clock.advance(4999);
    expect(stored(name, 'jobs')).toBeDefined();
    clock.advance(1);
    expect(stored(name, 'jobs')).toBeUndefined();
    expect(podsOf(created.metadata.uid)).toEqual([]);
  });

  it('suspends a job (active pods deleted, Suspended, active 0) and resumes it (pods again)', async () => {
    const created = await job({ parallelism: 2, completions: 4 }, { name: 'pausable' });
    clock.advance(0);
    expect(podsOf(created.metadata.uid)).toHaveLength(2);
    await request('PATCH', `${JOBS}/pausable`, { spec: { suspend: true } }, { headers: merge });
    clock.advance(0);
    const suspended = stored('pausable', 'jobs')!;
    expect(podsOf(created.metadata.uid)).toEqual([]);
    expect(suspended.status.active).toBe(0);
    expect(suspended.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Suspended', status: 'True', reason: 'JobSuspended' }),
    );
    await request('PATCH', `${JOBS}/pausable`, { spec: { suspend: false } }, { headers: merge });
    clock.advance(0);
    expect(podsOf(created.metadata.uid)).toHaveLength(2);
    expect(stored('pausable', 'jobs')!.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Suspended', status: 'False', reason: 'JobResumed' }),
    );
  });

  it('fails a job past its activeDeadlineSeconds (DeadlineExceeded) and terminates its pods', async () => {
    const created = await job(
      { parallelism: 1, completions: 50, activeDeadlineSeconds: 3 },
      { name: 'deadline' },
    );
    clock.advance(2999);
    expect(stored('deadline', 'jobs')!.status.conditions ?? []).toEqual([]);
    clock.advance(1);
    const failed = stored('deadline', 'jobs')!;
    expect(failed.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }),
    );
    expect(
      podsOf(created.metadata.uid).filter(
        (p) => p.status.phase === 'Running' || p.status.phase === 'Pending',
      ),
    ).toEqual([]);
  });
});

describe('the audit record', () => {
  it('says who wrote (impersonated or not), what, and how it was answered; GET /simulator/audit for system:masters', async () => {
    const mark = sim.audit.at(-1)?.seq ?? 0;
    const as = (user: string, groups: string[] = []) => ({
      'impersonate-user': user,
      ...(groups.length ? { 'impersonate-group': groups.join(',') } : {}),
    });
    const body = { metadata: { name: 'audited' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    const made = await kit.answer('POST', PODS, { token: 'gateway', body, headers: as('alice', ['devs']) });
    expect(made.status).toBe(201);
    const dry = await kit.answer('DELETE', `${PODS}/audited?dryRun=All`, {
      token: 'gateway',
      headers: as('alice'),
    });
    expect(dry.status).toBe(200);
    const refused = await kit.answer('POST', JOBS, { token: 'gateway', body: {}, headers: as('bob') });
    expect(refused.status).toBe(403);
    const direct = await kit.answer('DELETE', `${PODS}/audited`, { token: 'alice' });
    expect(direct.status).toBe(200);
    const records = sim.audit.filter((r) => r.seq > mark);
    expect(records.map(({ seq, time, userAgent, ...r }) => r)).toEqual([
      {
        user: 'alice',
        groups: ['devs', 'system:authenticated'],
        impersonatedBy: { user: 'gateway', groups: ['system:authenticated'] },
        verb: 'create',
        apiGroup: '',
        resource: 'pods',
        namespace: 'default',
        name: 'audited',
        code: 201,
        dryRun: false,
      },
      {
        user: 'alice',
        groups: ['system:authenticated'],
        impersonatedBy: { user: 'gateway', groups: ['system:authenticated'] },
        verb: 'delete',
        apiGroup: '',
        resource: 'pods',
        namespace: 'default',
        name: 'audited',
        code: 200,
        dryRun: true,
      },
      {
        user: 'bob',
        groups: ['system:authenticated'],
        impersonatedBy: { user: 'gateway', groups: ['system:authenticated'] },
        verb: 'create',
        apiGroup: 'batch',
        resource: 'jobs',
        namespace: 'default',
        code: 403,
        dryRun: false,
      },
      {
        user: 'alice',
        groups: ['devs', 'system:authenticated'],
        verb: 'delete',
        apiGroup: '',
        resource: 'pods',
        namespace: 'default',
        name: 'audited',
        code: 200,
        dryRun: false,
      },
    ]);
    expect(records.map((r) => r.seq)).toEqual([mark + 1, mark + 2, mark + 3, mark + 4]);

    const served = await getJson<AnyJson>(sim, `/simulator/audit?since=${mark}`);
    expect(served.items).toEqual(records);
    const forbidden = await simFetch(sim, '/simulator/audit', { token: 'alice' });
    expect(forbidden.status).toBe(403);
  });
});

/** Protobuf wire format, enough to write the messages kubectl and client-go send. */
const pb = {
  varint(n: number | bigint): number[] {
    let v = BigInt.asUintN(64, BigInt(n));
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v) byte |= 0x80;
      out.push(byte);
    } while (v);
    return out;
  },
  int: (no: number, n: number) => [...pb.varint((no << 3) | 0), ...pb.varint(n)],
  bytes: (no: number, bytes: number[]) => [...pb.varint((no << 3) | 2), ...pb.varint(bytes.length), ...bytes],
  str: (no: number, s: string) => pb.bytes(no, [...Buffer.from(s)]),
  map: (no: number, entries: Record<string, string>) =>
    Object.entries(entries).flatMap(([k, v]) => pb.bytes(no, [...pb.str(1, k), ...pb.str(2, v)])),
  /** The `k8s\0` envelope: runtime.Unknown { typeMeta { apiVersion, kind }, raw }. */
  envelope: (apiVersion: string, kind: string, raw: number[]) =>
    Buffer.from([
      0x6b,
      0x38,
      0x73,
      0x00,
      ...pb.bytes(1, [...pb.str(1, apiVersion), ...pb.str(2, kind)]),
      ...pb.bytes(2, raw),
    ]),
};

async function postProtobuf(path: string, body: Buffer): Promise<{ status: number; body: AnyJson }> {
  const res = await simFetch(sim, path, {
    method: 'POST',
    // simFetch types its body as text; undici sends a Buffer's bytes as they are.
    body: body as unknown as string,
    headers: { 'content-type': 'application/vnd.kubernetes.protobuf' },
  });
  return { status: res.status, body: await res.json() };
}

describe('protobuf request bodies', () => {
  it('creates a namespace and a job sent as protobuf, zero-valued pointers kept, other zero values dropped', async () => {
    const ns = await postProtobuf(
      '/api/v1/namespaces',
      pb.envelope('v1', 'Namespace', pb.bytes(1, [...pb.str(1, 'proto-ns'), ...pb.map(11, { team: 'a' })])),
    );
    expect(ns.status).toBe(201);
    expect(sim.store.get('namespaces', undefined, 'proto-ns')!.metadata.labels).toEqual({ team: 'a' });

    const container = [
      ...pb.str(1, 'work'),
      ...pb.str(2, 'busybox'),
      ...pb.str(3, 'echo'),
      ...pb.str(3, 'hi'),
      ...pb.str(5, ''), // workingDir: an empty string, as Go marshals it, means none
      ...pb.bytes(8, pb.bytes(2, [...pb.str(1, 'cpu'), ...pb.bytes(2, pb.str(1, '100m'))])),
      ...pb.bytes(6, [...pb.str(1, 'http'), ...pb.int(3, 8080), ...pb.str(4, 'TCP')]),
      ...pb.bytes(7, [...pb.str(1, 'MODE'), ...pb.str(2, 'fast')]),
      ...pb.bytes(11, [
        ...pb.bytes(
          1,
          pb.bytes(2, [...pb.str(1, '/ready'), ...pb.bytes(2, [...pb.int(1, 1), ...pb.str(3, 'http')])]),
        ),
        ...pb.int(4, 5),
      ]),
    ];
    const podSpec = [
      ...pb.bytes(1, [...pb.str(1, 'scratch'), ...pb.bytes(2, pb.bytes(2, []))]),
      ...pb.bytes(2, container),
      ...pb.str(3, 'Never'),
      ...pb.int(4, 5),
    ];
    const job = [
      ...pb.bytes(1, [...pb.str(2, 'proto-job-'), ...pb.str(3, 'default')]),
      ...pb.bytes(2, [
        ...pb.int(1, 0),
        ...pb.int(2, 2),
        ...pb.int(10, 1),
        ...pb.bytes(6, pb.bytes(2, podSpec)),
      ]),
    ];
    const created = await postProtobuf(JOBS, pb.envelope('batch/v1', 'Job', job));
    expect(created.status).toBe(201);
    const stored = sim.store.get('jobs', 'default', created.body.metadata.name)!;
    expect(stored.metadata.name).toMatch(/^proto-job-.{5}$/);
    expect(stored.spec).toMatchObject({ parallelism: 0, completions: 2, suspend: true, backoffLimit: 6 });
    expect(stored.spec.template.spec).toEqual({
      volumes: [{ name: 'scratch', emptyDir: {} }],
      containers: [
        {
          name: 'work',
          image: 'busybox',
          command: ['echo', 'hi'],
          resources: { requests: { cpu: '100m' } },
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          env: [{ name: 'MODE', value: 'fast' }],
          readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
        },
      ],
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 5,
    });
  });

  it('evicts with an Eviction sent as protobuf', async () => {
    runningPod('proto-evictee');
    const eviction = [
      ...pb.bytes(1, [...pb.str(1, 'proto-evictee'), ...pb.str(3, 'default')]),
      ...pb.bytes(2, pb.int(1, 0)),
    ];
    const res = await postProtobuf(
      `${PODS}/proto-evictee/eviction`,
      pb.envelope('policy/v1', 'Eviction', eviction),
    );
    expect(res.status).toBe(201);
    expect(stored('proto-evictee')).toBeUndefined();
  });

  it('refuses a field it does not read with 415, naming it, rather than dropping it', async () => {
    const pod = [
      ...pb.bytes(1, pb.str(1, 'proto-unread')),
      ...pb.bytes(2, [...pb.bytes(2, [...pb.str(1, 'c'), ...pb.str(2, 'busybox')]), ...pb.bytes(39, [])]),
    ];
    const res = await postProtobuf(PODS, pb.envelope('v1', 'Pod', pod));
    expect(res.status).toBe(415);
    expect(res.body.message).toBe(
      'the simulator does not read field 39 of PodSpec (spec) in a protobuf body; send it as application/json',
    );
    expect(stored('proto-unread')).toBeUndefined();
  });
});

describe('managedFields', () => {
  it('names the writer from fieldManager or its User-Agent, with the fields each write set or changed', async () => {
    const created = await kit.answer('POST', `${PODS}?fieldManager=dashboard`, {
      body: {
        metadata: { name: 'managed', labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx' }] },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.metadata.managedFields).toEqual([
      {
        manager: 'dashboard',
        operation: 'Update',
        apiVersion: 'v1',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:containers': { '.': {}, 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
          },
        },
      },
    ]);
    const patched = await kit.answer('PATCH', `${PODS}/managed`, {
      body: { metadata: { labels: { tier: 'front' } } },
      headers: { 'content-type': 'application/merge-patch+json', 'user-agent': 'kubegate/0.1.0 (linux)' },
    });
    expect(patched.body.metadata.managedFields.map((m: AnyJson) => m.manager)).toEqual([
      'dashboard',
      'kubegate',
    ]);
    expect(patched.body.metadata.managedFields[1].fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:tier': {} } },
    });
    // A write that changes nothing records nothing new.
    const again = await kit.answer('PATCH', `${PODS}/managed`, {
      body: { metadata: { labels: { tier: 'front' } } },
      headers: { 'content-type': 'application/merge-patch+json', 'user-agent': 'other/1' },
    });
    expect(again.body.metadata.managedFields).toEqual(patched.body.metadata.managedFields);
  });
});
