/**
 * Request options as kube-apiserver reads them, over real HTTPS: boolean and integer
 * query parameters, resourceVersionMatch (list and watch-list), dryRun=All on every
 * write, propagationPolicy on delete, and remainingItemCount on paged lists. The cluster
 * is still (no churn, the job controller parked), so every change seen is one made here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { waitFor } from '../helpers/wait.js';
import { type AnyJson, getJson, metric, scrape, simFetch, TABLE_ACCEPT, WatchStream } from './sim-kit.js';

let sim: Simulator;
const watches: WatchStream[] = [];

beforeAll(async () => {
  sim = await startSimulator({
    // Pods stay as created: the tests compare them with what they wrote and read back.
    podLifecycle: false,
    // No lease renewals either: the tests compare resourceVersions with the store's.
    nodeLeaseRenewMs: 0,
    churnPerSecond: 0,
    jobStepMs: 3_600_000,
    bookmarkIntervalMs: 200,
    scenario: { seed: 5, nodes: 3, pods: 40, jobs: 2, namespaces: 2 },
  });
});

afterAll(async () => {
  for (const w of watches) w.close();
  await sim?.close();
});

async function watch(path: string): Promise<WatchStream> {
  const stream = await WatchStream.open(sim, path);
  watches.push(stream);
  return stream;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A DELETE whose body is bytes (undici's fetch sends a Uint8Array as is). */
async function fetchBytes(path: string, bytes: number[]): Promise<number> {
  const res = await simFetch(sim, path, {
    method: 'DELETE',
    body: Buffer.from(bytes) as unknown as string,
    headers: { 'content-type': 'application/vnd.kubernetes.protobuf' },
  });
  await res.arrayBuffer();
  return res.status;
}

function podBody(name: string, labels: Record<string, string> = {}) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
}

async function createPod(name: string, labels: Record<string, string> = {}): Promise<KubeObject> {
  return getJson<KubeObject>(sim, '/api/v1/namespaces/default/pods', {
    method: 'POST',
    body: podBody(name, labels),
    headers: JSON_HEADERS,
    expect: 201,
  });
}

/** A suspended job (the controller leaves it alone) and `n` pods it owns, as the job controller makes them. */
function jobWithPods(name: string, n: number): { job: KubeObject; pods: string[] } {
  const job = sim.store.create('jobs', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: { suspend: true, template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  const pods: string[] = [];
  for (let i = 0; i < n; i++) {
    const pod = sim.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${name}-${i}`,
        namespace: 'default',
        labels: { 'job-name': name },
        finalizers: ['batch.kubernetes.io/job-tracking'],
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name,
            uid: job.metadata.uid!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    pods.push(pod.metadata.name);
  }
  return { job, pods };
}

describe('query parameters as the apiserver decodes them', () => {
  it('every watch value but false/0 (any case) is a watch, as Convert_Slice_string_To_bool reads it', async () => {
    for (const value of ['true', 'True', 'TRUE', '1', 'yes', '']) {
      const stream = await watch(`/api/v1/namespaces/default/pods?watch=${value}&timeoutSeconds=1`);
      expect(stream.headers['content-type'], value).toBe('application/json');
      const first = await stream.next();
      expect(first.type, `watch=${value}`).toBe('ADDED');
      stream.close();
    }
    for (const value of ['false', 'False', '0']) {
      const list = await getJson<AnyJson>(sim, `/api/v1/namespaces/default/pods?watch=${value}`);
      expect(list.kind, `watch=${value}`).toBe('PodList');
    }
  });

  it('allowWatchBookmarks=True sends bookmarks', async () => {
    const stream = await watch(
      `/api/v1/pods?watch=True&allowWatchBookmarks=True&resourceVersion=${sim.store.resourceVersion}`,
    );
    const bookmark = await stream.next(3000);
    expect(bookmark.type).toBe('BOOKMARK');
    expect(Number(bookmark.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(
      sim.store.resourceVersion,
    );
  });

  it('answers 400 with strconv.ParseInt text for integers that do not parse; limit <= 0 is no limit', async () => {
    for (const [query, text] of [
      ['limit=abc', 'strconv.ParseInt: parsing "abc": invalid syntax'],
      ['limit=1.5', 'strconv.ParseInt: parsing "1.5": invalid syntax'],
      ['limit=99999999999999999999', 'strconv.ParseInt: parsing "99999999999999999999": value out of range'],
      ['watch=true&timeoutSeconds=soon', 'strconv.ParseInt: parsing "soon": invalid syntax'],
    ]) {
      const body = await getJson<AnyJson>(sim, `/api/v1/pods?${query}`, { expect: 400 });
      expect(body, query).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest', message: text });
    }
    const all = await getJson<AnyJson>(sim, '/api/v1/pods');
    const unlimited = await getJson<AnyJson>(sim, '/api/v1/pods?limit=-1');
    expect(unlimited.items).toHaveLength(all.items.length);
    expect(unlimited.metadata.continue).toBeUndefined();
  });

  it('answers 422 Invalid ListOptions for the combinations the real server forbids', async () => {
    const cases: [string, string][] = [
      [
        'resourceVersionMatch=NotOlderThan',
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
      ],
      [
        'resourceVersion=5&resourceVersionMatch=Newest',
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""',
      ],
      [
        'resourceVersion=0&resourceVersionMatch=Exact',
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
      ],
      [
        'sendInitialEvents=true',
        'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list',
      ],
      [
        'watch=1&resourceVersionMatch=NotOlderThan',
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
      ],
      [
        'watch=1&sendInitialEvents=true',
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
      ],
      [
        'watch=1&sendInitialEvents=true&resourceVersionMatch=Exact',
        'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]',
      ],
    ];
    for (const [query, message] of cases) {
      const body = await getJson<AnyJson>(sim, `/api/v1/pods?${query}`, { expect: 422 });
      expect(body, query).toMatchObject({
        code: 422,
        reason: 'Invalid',
        message,
        details: { group: 'meta.k8s.io', kind: 'ListOptions' },
      });
      expect(body.details.causes[0].field).toBe(
        query === 'sendInitialEvents=true' ? 'sendInitialEvents' : 'resourceVersionMatch',
      );
    }
  });

  it('lists at an exact resourceVersion as the cluster was then, and NotOlderThan from now', async () => {
    const before = await getJson<AnyJson>(sim, '/api/v1/namespaces/default/pods');
    const rv = before.metadata.resourceVersion;
    const created = await createPod('exact-new');
    const victim = before.items.find((p: AnyJson) => p.metadata.name !== 'exact-new').metadata.name;
    // Without a grace period: a running pod deleted gracefully would stay (Terminating) for a while.
    await simFetch(sim, `/api/v1/namespaces/default/pods/${victim}?gracePeriodSeconds=0`, {
      method: 'DELETE',
    });
    await simFetch(sim, `/api/v1/namespaces/default/pods/${before.items[1].metadata.name}`, {
      method: 'PATCH',
      body: JSON.stringify({ metadata: { labels: { changed: 'yes' } } }),
      headers: { 'content-type': 'application/merge-patch+json' },
    });

    const exact = await getJson<AnyJson>(
      sim,
      `/api/v1/namespaces/default/pods?resourceVersion=${rv}&resourceVersionMatch=Exact`,
    );
    expect(exact.metadata.resourceVersion).toBe(rv);
    expect(exact.items).toEqual(before.items);

    const now = await getJson<AnyJson>(
      sim,
      `/api/v1/namespaces/default/pods?resourceVersion=${rv}&resourceVersionMatch=NotOlderThan`,
    );
    expect(Number(now.metadata.resourceVersion)).toBeGreaterThanOrEqual(
      Number(created.metadata.resourceVersion),
    );
    expect(now.items.map((p: AnyJson) => p.metadata.name)).toContain('exact-new');
    expect(now.items.map((p: AnyJson) => p.metadata.name)).not.toContain(victim);

    const future = await simFetch(
      sim,
      `/api/v1/pods?resourceVersion=${sim.store.resourceVersion + 100}&resourceVersionMatch=NotOlderThan`,
    );
    expect(future.status).toBe(504);
    expect(await future.json()).toMatchObject({ reason: 'Timeout', code: 504 });
  });

  it('watch-list: ADDED for the current state, a BOOKMARK marking their end, then live events', async () => {
    const expected = [...sim.store.scan('pods', { namespace: 'default' })].map((p) => p.metadata.name);
    const stream = await watch(
      '/api/v1/namespaces/default/pods?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=',
    );
    const initial = await stream.until((e) => e.type === 'BOOKMARK');
    const end = initial.pop()!;
    expect(initial.every((e) => e.type === 'ADDED')).toBe(true);
    expect(initial.map((e) => e.object.metadata.name)).toEqual(expected);
    expect(end.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    expect(end.object.metadata.resourceVersion).toBe(String(sim.store.resourceVersion));

    await createPod('watch-list-live');
    const live = await stream.until((e) => e.type !== 'BOOKMARK');
    expect(live.at(-1)).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'watch-list-live' } } });

    // sendInitialEvents=false: no initial state, only what changes from now.
    const quiet = await watch(
      '/api/v1/namespaces/default/pods?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan',
    );
    await createPod('watch-list-quiet');
    expect((await quiet.next()).object.metadata.name).toBe('watch-list-quiet');
  });

  it('a client retrying watch=True&allowWatchBookmarks=True gets watches, so its LISTs stay bounded', async () => {
    const count = async (verb: string) =>
      metric(await scrape(sim), 'apiserver_request_total', { verb, resource: 'pods', code: '200' });
    const lists = await count('LIST');
    const watchesBefore = await count('WATCH');
    // The retry loop of a client that reopens its watch as soon as the response ends, for
    // 1.5 s: a LIST answer would end at once and make it spin.
    const deadline = Date.now() + 1500;
    let requests = 0;
    while (Date.now() < deadline && requests < 500) {
      requests += 1;
      const stream = await WatchStream.open(
        sim,
        `/api/v1/pods?watch=True&allowWatchBookmarks=True&resourceVersion=${sim.store.resourceVersion}&timeoutSeconds=1`,
      );
      watches.push(stream);
      await Promise.race([stream.ended, new Promise((r) => setTimeout(r, deadline - Date.now()))]);
      stream.close();
    }
    expect(requests).toBeLessThanOrEqual(3);
    expect((await count('LIST')) - lists).toBe(0);
    expect((await count('WATCH')) - watchesBefore).toBe(requests);
  });
});

describe('dryRun=All', () => {
  it('create, update, patch and delete are validated and answered, but nothing is stored or watched', async () => {
    const existing = await createPod('dry-existing', { app: 'dry' });
    const rv = sim.store.resourceVersion;
    const stream = await watch(`/api/v1/namespaces/default/pods?watch=1&resourceVersion=${rv}`);

    const created = await getJson<AnyJson>(sim, '/api/v1/namespaces/default/pods?dryRun=All', {
      method: 'POST',
      body: podBody('dry-new'),
      headers: JSON_HEADERS,
      expect: 201,
    });
    expect(created.metadata.name).toBe('dry-new');
    expect(created.metadata.uid).toBeTruthy();
    expect(created.metadata.resourceVersion).toBeUndefined();
    expect(sim.store.get('pods', 'default', 'dry-new')).toBeUndefined();
    // Validation still runs: a duplicate is 409 even in a dry run.
    const duplicate = await simFetch(sim, '/api/v1/namespaces/default/pods?dryRun=All', {
      method: 'POST',
      body: podBody('dry-existing'),
      headers: JSON_HEADERS,
    });
    expect(duplicate.status).toBe(409);

    const patched = await getJson<AnyJson>(sim, '/api/v1/namespaces/default/pods/dry-existing?dryRun=All', {
      method: 'PATCH',
      body: JSON.stringify({ metadata: { labels: { a: 'b' } } }),
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(patched.metadata.labels).toEqual({ app: 'dry', a: 'b' });
    expect(patched.metadata.resourceVersion).toBe(existing.metadata.resourceVersion);

    const updated = await getJson<AnyJson>(sim, '/api/v1/namespaces/default/pods/dry-existing?dryRun=All', {
      method: 'PUT',
      body: JSON.stringify({ ...existing, metadata: { ...existing.metadata, labels: { app: 'other' } } }),
      headers: JSON_HEADERS,
    });
    expect(updated.metadata.labels).toEqual({ app: 'other' });

    const deleted = await getJson<AnyJson>(sim, '/api/v1/namespaces/default/pods/dry-existing', {
      method: 'DELETE',
      body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] }),
      headers: JSON_HEADERS,
    });
    expect(deleted.metadata.name).toBe('dry-existing');
    const viaQuery = await simFetch(sim, '/api/v1/namespaces/default/pods/dry-existing?dryRun=All', {
      method: 'DELETE',
    });
    expect(viaQuery.status).toBe(200);
    const missing = await simFetch(sim, '/api/v1/namespaces/default/pods/dry-nope?dryRun=All', {
      method: 'DELETE',
    });
    expect(missing.status).toBe(404);

    expect(sim.store.get('pods', 'default', 'dry-existing')).toEqual(existing);
    expect(sim.store.resourceVersion).toBe(rv);
    // The watch saw none of it: its first event is the real change made next.
    await createPod('dry-marker');
    expect((await stream.next()).object.metadata.name).toBe('dry-marker');
  });

  it('a dry-run namespace delete or job delete touches nothing else', async () => {
    const { pods } = jobWithPods('dry-job', 2);
    const res = await simFetch(sim, '/apis/batch/v1/namespaces/default/jobs/dry-job?dryRun=All', {
      method: 'DELETE',
      body: JSON.stringify({ propagationPolicy: 'Foreground' }),
      headers: JSON_HEADERS,
    });
    expect(res.status).toBe(200);
    expect(sim.store.get('jobs', 'default', 'dry-job')).toBeDefined();
    for (const pod of pods)
      expect(sim.store.get('pods', 'default', pod)?.metadata.ownerReferences).toHaveLength(1);
    const ns = await simFetch(sim, '/api/v1/namespaces/default?dryRun=All', { method: 'DELETE' });
    expect(ns.status).toBe(200);
    expect(sim.store.get('namespaces', undefined, 'default')).toBeDefined();
    expect(sim.store.get('pods', 'default', pods[0])).toBeDefined();
  });

  it('reads DeleteOptions sent as a Kubernetes protobuf body (a client configured for protobuf)', async () => {
    const { pods } = jobWithPods('proto-job', 1);
    const str = (field: number, text: string) => [(field << 3) | 2, text.length, ...Buffer.from(text)];
    const raw = [0x08, 0x00, ...str(4, 'Orphan'), ...str(5, 'All')]; // grace 0, Orphan, dryRun All
    const typeMeta = [...str(1, 'v1'), ...str(2, 'DeleteOptions')];
    const unknown = [0x0a, typeMeta.length, ...typeMeta, 0x12, raw.length, ...raw];
    const res = await fetchBytes('/apis/batch/v1/namespaces/default/jobs/proto-job', [
      0x6b,
      0x38,
      0x73,
      0x00,
      ...unknown,
    ]);
    expect(res).toBe(200);
    // dryRun=All was read: nothing changed.
    expect(sim.store.get('jobs', 'default', 'proto-job')).toBeDefined();
    expect(sim.store.get('pods', 'default', pods[0])?.metadata.ownerReferences).toHaveLength(1);
  });

  it('answers an unknown dryRun value with the 422 Invalid a real server gives', async () => {
    const create = await getJson<AnyJson>(sim, '/api/v1/namespaces/default/pods?dryRun=Yes', {
      method: 'POST',
      body: podBody('dry-bad'),
      headers: JSON_HEADERS,
      expect: 422,
    });
    expect(create).toMatchObject({
      reason: 'Invalid',
      message:
        'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"',
      details: { group: 'meta.k8s.io', kind: 'CreateOptions', causes: [{ field: 'dryRun' }] },
    });
    const del = await getJson<AnyJson>(sim, '/api/v1/namespaces/default/pods/x?dryRun=All&dryRun=server', {
      method: 'DELETE',
      expect: 422,
    });
    expect(del.message).toBe(
      'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"All", "server"}: supported values: "All"',
    );
    expect(sim.store.get('pods', 'default', 'dry-bad')).toBeUndefined();
  });
});

describe('propagationPolicy', () => {
  const deleteJob = (name: string, body?: object) =>
    simFetch(sim, `/apis/batch/v1/namespaces/default/jobs/${name}`, {
      method: 'DELETE',
      ...(body ? { body: JSON.stringify(body), headers: JSON_HEADERS } : {}),
    });

  it('Orphan keeps the pods and removes their ownerReference (and the job-tracking finalizer)', async () => {
    const { pods } = jobWithPods('orphaner', 3);
    expect((await deleteJob('orphaner', { propagationPolicy: 'Orphan' })).status).toBe(200);
    expect(sim.store.get('jobs', 'default', 'orphaner')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 50));
    for (const name of pods) {
      const pod = sim.store.get('pods', 'default', name);
      expect(pod, name).toBeDefined();
      expect(pod!.metadata.ownerReferences).toBeUndefined();
      expect(pod!.metadata.finalizers).toBeUndefined();
    }
  });

  it('Background deletes the job now and its pods right after; Foreground the pods first', async () => {
    const background = jobWithPods('bg', 2);
    expect((await deleteJob('bg', { propagationPolicy: 'Background' })).status).toBe(200);
    await waitFor(() => background.pods.every((p) => !sim.store.get('pods', 'default', p)), {
      message: 'the garbage collector to delete the pods of a job deleted in the background',
    });

    jobWithPods('fg', 2);
    const rv = sim.store.resourceVersion;
    expect((await deleteJob('fg', { propagationPolicy: 'Foreground' })).status).toBe(200);
    const order = [...sim.store.eventsSince('pods', rv), ...sim.store.eventsSince('jobs', rv)].sort(
      (a, b) => a.rv - b.rv,
    );
    expect(order.map((e) => `${e.type} ${e.object.kind} ${e.object.metadata.name}`)).toEqual([
      'DELETED Pod fg-0',
      'DELETED Pod fg-1',
      'DELETED Job fg',
    ]);
  });

  it('a batch/v1 job deleted without a policy orphans its pods and says so in a Warning, as a real server', async () => {
    const { pods } = jobWithPods('no-policy', 1);
    const res = await deleteJob('no-policy');
    expect(res.status).toBe(200);
    expect(res.headers.get('warning')).toContain('child pods are preserved by default when jobs are deleted');
    await new Promise((r) => setTimeout(r, 50));
    expect(sim.store.get('pods', 'default', pods[0])?.metadata.ownerReferences).toBeUndefined();

    // orphanDependents=false (deprecated) means Background.
    const legacy = jobWithPods('legacy', 1);
    expect((await deleteJob('legacy', { orphanDependents: false })).status).toBe(200);
    await waitFor(() => !sim.store.get('pods', 'default', legacy.pods[0]), {
      message: 'the legacy pod to go',
    });
  });

  it('answers 422 for an unknown policy or one given with orphanDependents', async () => {
    jobWithPods('bad-policy', 0);
    const unknown = await deleteJob('bad-policy', { propagationPolicy: 'Sideways' });
    expect(unknown.status).toBe(422);
    expect(((await unknown.json()) as AnyJson).message).toBe(
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"',
    );
    const both = await deleteJob('bad-policy', { propagationPolicy: 'Orphan', orphanDependents: true });
    expect(both.status).toBe(422);
    expect(((await both.json()) as AnyJson).message).toContain(
      'orphanDependents and deletionPropagation cannot be both set',
    );
    expect(sim.store.get('jobs', 'default', 'bad-policy')).toBeDefined();
  });
});

describe('remainingItemCount', () => {
  it('says how many items are left on every page but the last, without selectors only', async () => {
    const total = sim.store.count('pods');
    let seen = 0;
    let token = '';
    do {
      const page = await getJson<AnyJson>(
        sim,
        `/api/v1/pods?limit=7${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
      );
      seen += page.items.length;
      token = page.metadata.continue ?? '';
      if (token) expect(page.metadata.remainingItemCount).toBe(total - seen);
      else expect(page.metadata.remainingItemCount).toBeUndefined();
    } while (token);
    expect(seen).toBe(total);

    const inNs = await getJson<AnyJson>(sim, '/api/v1/namespaces/default/pods?limit=3');
    expect(inNs.metadata.remainingItemCount).toBe(
      [...sim.store.scan('pods', { namespace: 'default' })].length - 3,
    );
    const table = await getJson<AnyJson>(sim, '/api/v1/pods?limit=3', { headers: { accept: TABLE_ACCEPT } });
    expect(table.metadata.remainingItemCount).toBe(total - 3);
    const selected = await getJson<AnyJson>(sim, '/api/v1/pods?limit=1&labelSelector=!not-a-label');
    expect(selected.metadata.continue).toBeTruthy();
    expect(selected.metadata.remainingItemCount).toBeUndefined();
  });
});
