/**
 * The simulator's REST rules, over real HTTPS: pagination, watch resourceVersion
 * semantics, bookmarks, filtered watches, Table output, Status errors, auth, metrics,
 * faults and discovery. The cluster is still (no churn, the job controller parked), so
 * every change a test sees is one it made.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLICE_CHARS, textSlices } from '../../src/simulator/http.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { waitFor } from '../helpers/wait.js';
import {
  type AnyJson,
  freshGet,
  getJson,
  keyOf,
  metric,
  scrape,
  simFetch,
  TABLE_ACCEPT,
  WatchStream,
} from './sim-kit.js';

const VIEWER = 'viewer-token';
const KUBECTL_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

let sim: Simulator;
const watches: WatchStream[] = [];

beforeAll(async () => {
  sim = await startSimulator({
    // Pods stay as created: the tests compare them with what they wrote and read back.
    podLifecycle: false,
    // No lease renewals either: the tests compare resourceVersions with the store's.
    nodeLeaseRenewMs: 0,
    churnPerSecond: 0,
    // Park the job controller: the scenario's running jobs would otherwise make changes.
    jobStepMs: 3_600_000,
    bookmarkIntervalMs: 100,
    scenario: { seed: 3, nodes: 4, pods: 60, jobs: 3, namespaces: 3 },
    tokens: {
      [VIEWER]: {
        user: 'viewer',
        rules: [{ verbs: ['get', 'list', 'watch'], resources: ['pods'], namespaces: ['default'] }],
      },
    },
  });
});

afterAll(async () => {
  for (const w of watches) w.close();
  await sim?.close();
});

async function watch(path: string, headers: Record<string, string> = {}, token?: string | null) {
  const stream = await WatchStream.open(sim, path, headers, token);
  watches.push(stream);
  return stream;
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;

function podManifest(
  name: string,
  extra: Partial<KubeObject['metadata']> = {},
  phase = 'Pending',
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...extra },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
    status: { phase },
  };
}

function post(path: string, body: unknown, token?: string) {
  return simFetch(sim, path, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    token,
  });
}

function patch(path: string, body: unknown, contentType = 'application/merge-patch+json') {
  return simFetch(sim, path, {
    method: 'PATCH',
    body: JSON.stringify(body),
    headers: { 'content-type': contentType },
  });
}

const storeKeys = (resource: 'pods' | 'nodes' | 'jobs', namespace?: string) =>
  [...sim.store.scan(resource, { namespace })].map(keyOf);

/** Follows `continue` until the end; returns every page. */
async function pages(path: string, limit: number, headers: Record<string, string> = {}) {
  const out: AnyJson[] = [];
  let token: string | undefined;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const cont = token ? `&continue=${encodeURIComponent(token)}` : '';
    const page = await getJson<AnyJson>(sim, `${path}${sep}limit=${limit}${cont}`, { headers });
    out.push(page);
    token = page.metadata.continue;
    if (out.length > 1000) throw new Error('pagination does not end');
  } while (token);
  return out;
}

describe('list pagination', () => {
  it('gives every object exactly once with limit/continue, in pages no larger than the limit', async () => {
    const all = await pages('/api/v1/pods', 7);
    const items = all.flatMap((p) => p.items);
    expect(items.map(keyOf)).toEqual(storeKeys('pods'));
    expect(items.length).toBe(sim.store.count('pods'));
    for (const page of all) expect(page.items.length).toBeLessThanOrEqual(7);
    expect(all.length).toBe(Math.ceil(items.length / 7));
    expect(all[all.length - 1].metadata.continue).toBeUndefined();
    // Every page reports the first page's resourceVersion, as a snapshot would.
    expect(new Set(all.map((p) => p.metadata.resourceVersion)).size).toBe(1);
    expect(all[0]).toMatchObject({ kind: 'PodList', apiVersion: 'v1' });
  });

  it('pages a namespace, a selector and a cluster-scoped resource the same way', async () => {
    const ns = sim.summary.namespaces[2];
    expect((await pages(`/api/v1/namespaces/${ns}/pods`, 4)).flatMap((p) => p.items).map(keyOf)).toEqual(
      storeKeys('pods', ns),
    );
    const running = (await pages('/api/v1/pods?fieldSelector=status.phase%3DRunning', 5)).flatMap(
      (p) => p.items,
    );
    expect(running.map(keyOf)).toEqual(
      [...sim.store.scan('pods')].filter((p) => p.status?.phase === 'Running').map(keyOf),
    );
    expect(running.length).toBeGreaterThan(0);
    const nodes = (await pages('/api/v1/nodes', 1)).flatMap((p) => p.items);
    expect(nodes.map(keyOf)).toEqual(storeKeys('nodes'));
    const jobs = (await pages('/apis/batch/v1/jobs', 2)).flatMap((p) => p.items);
    expect(jobs.map(keyOf)).toEqual(storeKeys('jobs'));
  });

  it('pages Tables too, each page with its continue token', async () => {
    const all = await pages('/api/v1/pods', 25, { accept: TABLE_ACCEPT });
    expect(all.every((p) => p.kind === 'Table')).toBe(true);
    expect(all.flatMap((p) => p.rows.map((r: AnyJson) => keyOf(r.object)))).toEqual(storeKeys('pods'));
  });

  it('sends answers and watch lines longer than a write slice whole, multi-byte text and all', async () => {
    // Each pod's JSON is well over the 64 Ki characters http.ts writes at a time, and its
    // annotation has two-, three- and four-byte characters and a lone surrogate.
    const unit = 'kubegate é € 漢字 😀 \ud800 ';
    const wide = unit.repeat(Math.ceil(100_000 / unit.length)).slice(0, 100_000);
    const label = unique('wide');
    const selector = `labelSelector=${encodeURIComponent(`wide=${label}`)}`;
    const w = await watch(
      `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${sim.store.resourceVersion}&${selector}`,
    );
    const names = [unique('wide'), unique('wide')];
    for (const name of names) {
      const res = await post(
        '/api/v1/namespaces/default/pods',
        podManifest(name, { labels: { wide: label }, annotations: { 'kubegate.test/wide': wide } }),
      );
      const text = await res.text();
      expect(res.status).toBe(201);
      expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
      expect(JSON.parse(text).metadata.annotations['kubegate.test/wide']).toBe(wide);
    }
    const annotationsOf = (items: AnyJson[]) =>
      items.map((p) => [p.metadata.name, p.metadata.annotations['kubegate.test/wide'] === wide]);
    const expected = names.map((name) => [name, true]);
    // Paged (one JSON answer per page), unpaged (streamed in batches) and watched.
    const paged = await pages(`/api/v1/namespaces/default/pods?${selector}`, 1);
    expect(annotationsOf(paged.flatMap((p) => p.items))).toEqual(expected);
    const unpaged = await getJson<AnyJson>(sim, `/api/v1/namespaces/default/pods?${selector}`);
    expect(annotationsOf(unpaged.items)).toEqual(expected);
    expect(annotationsOf((await w.take(2)).map((e) => e.object))).toEqual(expected);
    w.close();
    for (const name of names) sim.store.delete('pods', 'default', name);
  });

  it('cuts long text into slices that keep every surrogate pair whole', () => {
    expect(textSlices('short')).toEqual(['short']);
    const exact = 'x'.repeat(SLICE_CHARS);
    expect(textSlices(exact)).toEqual([exact]);
    // A pair at the cut moves it back by one; a pair just after it is left alone.
    const straddling = `${'a'.repeat(SLICE_CHARS - 1)}😀${'b'.repeat(SLICE_CHARS)}`;
    expect(textSlices(straddling).map((s) => s.length)).toEqual([SLICE_CHARS - 1, SLICE_CHARS, 2]);
    const after = `${'a'.repeat(SLICE_CHARS)}😀`;
    expect(textSlices(after)).toEqual(['a'.repeat(SLICE_CHARS), '😀']);
    for (const text of [straddling, after, '😀'.repeat(SLICE_CHARS + 3)]) {
      const slices = textSlices(text);
      expect(slices.join('')).toBe(text);
      expect(slices.every((s) => s.length <= SLICE_CHARS && Buffer.from(s).toString() === s)).toBe(true);
    }
  });

  it('never pages a list that did not ask for a limit', async () => {
    const list = await getJson<AnyJson>(sim, '/api/v1/pods');
    expect(list.metadata.continue).toBeUndefined();
    expect(list.items.map(keyOf)).toEqual(storeKeys('pods'));
    expect(list.metadata.resourceVersion).toBe(String(sim.store.resourceVersion));
  });

  it('sees every object that exists throughout exactly once while the store changes between pages', async () => {
    const before = storeKeys('pods');
    const first = await getJson<AnyJson>(sim, '/api/v1/pods?limit=10');
    const cursor = keyOf(first.items[first.items.length - 1]);
    // Delete an object ahead of the cursor, add one behind it and one ahead of it.
    const ahead = before[before.length - 1];
    const [aheadNs, aheadName] = ahead.split('/');
    sim.store.delete('pods', aheadNs, aheadName);
    sim.store.create('pods', {
      ...podManifest(unique('aaa-behind')),
      metadata: { name: unique('aaa'), namespace: 'default' },
    });
    sim.store.create('pods', {
      ...podManifest('zzz'),
      metadata: { name: unique('zzz'), namespace: 'kube-system' },
    });
    const rest: AnyJson[] = [];
    let token: string | undefined = first.metadata.continue;
    while (token) {
      const page = await getJson<AnyJson>(sim, `/api/v1/pods?limit=10&continue=${encodeURIComponent(token)}`);
      rest.push(...page.items);
      token = page.metadata.continue;
    }
    const seen = [...first.items, ...rest].map(keyOf);
    expect(new Set(seen).size).toBe(seen.length);
    const survivors = before.filter((k) => k !== ahead);
    expect(seen.filter((k) => survivors.includes(k))).toEqual(survivors);
    expect(cursor < ahead).toBe(true);
  });

  it('answers an expired continue token with 410 Expired, and a forged one with 400', async () => {
    const first = await getJson<AnyJson>(sim, '/api/v1/pods?limit=5');
    expect(first.metadata.continue).toBeTruthy();
    sim.store.create('pods', {
      ...podManifest('x'),
      metadata: { name: unique('expire'), namespace: 'default' },
    });
    sim.compact();
    const res = await simFetch(
      sim,
      `/api/v1/pods?limit=5&continue=${encodeURIComponent(first.metadata.continue)}`,
    );
    expect(res.status).toBe(410);
    expect(await res.json()).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Expired',
      code: 410,
    });
    // A fresh list works again.
    expect((await simFetch(sim, '/api/v1/pods?limit=5')).status).toBe(200);

    const forged = await simFetch(sim, '/api/v1/pods?limit=5&continue=not-a-token');
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({
      reason: 'BadRequest',
      message: expect.stringMatching(/continue/),
    });
    const badLimit = await simFetch(sim, '/api/v1/pods?limit=many');
    expect(badLimit.status).toBe(400);
  });
});

describe('watch resourceVersion rules', () => {
  it('replays exactly the changes newer than the resourceVersion, in order, then goes on live', async () => {
    const list = await getJson<AnyJson>(sim, '/api/v1/namespaces/default/pods');
    const rv = Number(list.metadata.resourceVersion);
    const name = unique('replay');
    sim.store.create('pods', { ...podManifest(name), metadata: { name, namespace: 'default' } });
    sim.store.create('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: unique('node') } });
    sim.store.patch('pods', 'default', name, { metadata: { labels: { step: 'two' } } });
    sim.store.create('pods', {
      ...podManifest('other'),
      metadata: { name: unique('elsewhere'), namespace: 'kube-system' },
    });
    sim.store.delete('pods', 'default', name);

    const w = await watch(`/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`);
    expect(w.status).toBe(200);
    expect(w.headers['content-type']).toBe('application/json');
    const replayed = await w.take(3);
    expect(replayed.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', name],
      ['MODIFIED', name],
      ['DELETED', name],
    ]);
    expect(replayed[1].object.metadata.labels).toEqual({ step: 'two' });
    const rvs = replayed.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs[0]).toBeGreaterThan(rv);
    expect(rvs[1]).toBeGreaterThan(rvs[0]);
    expect(rvs[2]).toBeGreaterThan(rvs[1]);
    // Nothing else was queued: the next event is the next live change.
    const live = unique('live');
    sim.store.create('pods', { ...podManifest(live), metadata: { name: live, namespace: 'default' } });
    expect(await w.next()).toMatchObject({ type: 'ADDED', object: { metadata: { name: live } } });
    w.close();
  });

  it.each(['', '0'])(
    'with resourceVersion=%j sends the current state as ADDED first, then changes',
    async (rv) => {
      const ns = sim.summary.namespaces[3];
      const expected = storeKeys('pods', ns);
      const w = await watch(`/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=${rv}`);
      const initial = await w.take(expected.length);
      expect(initial.every((e) => e.type === 'ADDED')).toBe(true);
      expect(initial.map((e) => keyOf(e.object))).toEqual(expected);
      const [first] = expected;
      sim.store.patch('pods', ns, first.split('/')[1], {
        metadata: { annotations: { touched: rv || 'empty' } },
      });
      expect(await w.next()).toMatchObject({
        type: 'MODIFIED',
        object: { metadata: { name: first.split('/')[1] } },
      });
      w.close();
    },
  );

  it('ends a watch from a resourceVersion older than the history with an ERROR 410 Expired event', async () => {
    const old = sim.store.resourceVersion;
    sim.store.create('pods', {
      ...podManifest('x'),
      metadata: { name: unique('gone'), namespace: 'default' },
    });
    sim.compact();
    const w = await watch(`/api/v1/pods?watch=true&resourceVersion=${old}`);
    expect(w.status).toBe(200);
    expect(await w.end()).toBe('end');
    expect(w.events).toHaveLength(1);
    expect(w.events[0]).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 },
    });
  });

  it('never expires the resourceVersion a list just returned, even right after a compaction', async () => {
    sim.store.create('pods', {
      ...podManifest('x'),
      metadata: { name: unique('pre'), namespace: 'default' },
    });
    const list = await getJson<AnyJson>(sim, '/api/v1/pods');
    sim.compact();
    const w = await watch(`/api/v1/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
    const name = unique('after-compact');
    sim.store.create('pods', { ...podManifest(name), metadata: { name, namespace: 'default' } });
    expect(await w.next()).toMatchObject({ type: 'ADDED', object: { metadata: { name } } });
    w.close();
  });

  it('rejects a resourceVersion that is not one with 400', async () => {
    const res = await simFetch(sim, '/api/v1/pods?watch=true&resourceVersion=yesterday');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });
});

describe('watch bookmarks and timeouts', () => {
  it('sends BOOKMARK events (kind, apiVersion and resourceVersion only) only when allowed', async () => {
    const rv = sim.store.resourceVersion;
    const quiet = await watch(`/apis/batch/v1/jobs?watch=true&resourceVersion=${rv}`);
    const marked = await watch(
      `/apis/batch/v1/jobs?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`,
    );
    const [first, second] = await marked.take(2);
    for (const bookmark of [first, second]) {
      expect(bookmark).toEqual({
        type: 'BOOKMARK',
        object: {
          kind: 'Job',
          apiVersion: 'batch/v1',
          metadata: { resourceVersion: String(sim.store.resourceVersion) },
        },
      });
    }
    expect(quiet.events).toEqual([]);
    quiet.close();
    marked.close();
  });

  it('ends the stream cleanly after timeoutSeconds and stops counting it as open', async () => {
    const before = sim.openWatchCount();
    const w = await watch(
      `/api/v1/nodes?watch=true&resourceVersion=${sim.store.resourceVersion}&timeoutSeconds=1`,
    );
    expect(await w.end()).toBe('end');
    await waitFor(() => sim.openWatchCount() <= before, 'the watch to be closed on the server');
  });
});

describe('filtered watches', () => {
  it('turns MODIFIED into ADDED or DELETED as an object enters or leaves a label selector', async () => {
    const w = await watch(
      `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${sim.store.resourceVersion}&labelSelector=${encodeURIComponent('kg-test in (yes)')}`,
    );
    const name = unique('filtered');
    const ns = 'default';
    sim.store.create('pods', { ...podManifest(name), metadata: { name, namespace: ns } }); // outside
    sim.store.patch('pods', ns, name, { metadata: { labels: { 'kg-test': 'yes' } } }); // enters
    sim.store.patch('pods', ns, name, { metadata: { annotations: { a: '1' } } }); // stays
    sim.store.patch('pods', ns, name, { metadata: { labels: { 'kg-test': 'no' } } }); // leaves
    sim.store.delete('pods', ns, name); // outside
    const sentinel = unique('sentinel');
    sim.store.create('pods', {
      ...podManifest(sentinel),
      metadata: { name: sentinel, namespace: ns, labels: { 'kg-test': 'yes' } },
    });
    const events = await w.take(4);
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', name],
      ['MODIFIED', name],
      ['DELETED', name],
      ['ADDED', sentinel],
    ]);
    // The DELETED one carries the state that no longer matches.
    expect(events[2].object.metadata.labels).toEqual({ 'kg-test': 'no' });
    w.close();
  });

  it('does the same for field selectors (status.phase)', async () => {
    const w = await watch(
      `/api/v1/pods?watch=true&resourceVersion=${sim.store.resourceVersion}&fieldSelector=${encodeURIComponent('status.phase=Running,metadata.namespace=default')}`,
    );
    const name = unique('phased');
    sim.store.create('pods', { ...podManifest(name), metadata: { name, namespace: 'default' } });
    sim.store.patch('pods', 'default', name, { status: { phase: 'Running' } });
    sim.store.patch('pods', 'default', name, { status: { phase: 'Succeeded' } });
    const events = await w.take(2);
    expect(events.map((e) => [e.type, e.object.metadata.name, e.object.status.phase])).toEqual([
      ['ADDED', name, 'Running'],
      ['DELETED', name, 'Succeeded'],
    ]);
    w.close();
  });
});

describe('Table output', () => {
  it('lists pods as a meta.k8s.io/v1 Table with kubectl columns and PartialObjectMetadata rows', async () => {
    const table = await getJson<AnyJson>(sim, '/api/v1/pods', { headers: { accept: KUBECTL_ACCEPT } });
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(table.metadata.resourceVersion).toBe(String(sim.store.resourceVersion));
    expect(table.columnDefinitions.map((c: AnyJson) => c.name)).toEqual([
      'Name',
      'Ready',
      'Status',
      'Restarts',
      'Age',
      'IP',
      'Node',
      'Nominated Node',
      'Readiness Gates',
    ]);
    expect(
      table.columnDefinitions.filter((c: AnyJson) => c.priority === 1).map((c: AnyJson) => c.name),
    ).toEqual(['IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    expect(table.rows.length).toBe(sim.store.count('pods'));
    for (const row of table.rows) {
      expect(row.object.kind).toBe('PartialObjectMetadata');
      expect(row.object.metadata.namespace).toBeTruthy();
      expect(row.object.metadata.managedFields).toBeUndefined();
      expect(row.cells[0]).toBe(row.object.metadata.name);
      expect(row.cells).toHaveLength(9);
    }
  });

  it('honours includeObject and serves nodes, jobs, namespaces and a single object as Tables', async () => {
    const none = await getJson<AnyJson>(sim, '/api/v1/nodes?includeObject=None', {
      headers: { accept: TABLE_ACCEPT },
    });
    expect(none.rows.every((r: AnyJson) => r.object === undefined)).toBe(true);
    expect(none.columnDefinitions.map((c: AnyJson) => c.name).slice(0, 5)).toEqual([
      'Name',
      'Status',
      'Roles',
      'Age',
      'Version',
    ]);
    const full = await getJson<AnyJson>(sim, '/apis/batch/v1/jobs?includeObject=Object', {
      headers: { accept: TABLE_ACCEPT },
    });
    expect(full.rows.map((r: AnyJson) => r.object.kind)).toEqual(storeKeys('jobs').map(() => 'Job'));
    expect(full.columnDefinitions.map((c: AnyJson) => c.name)).toContain('Completions');
    const namespaces = await getJson<AnyJson>(sim, '/api/v1/namespaces', {
      headers: { accept: TABLE_ACCEPT },
    });
    expect(namespaces.rows.map((r: AnyJson) => r.cells[0])).toEqual(sim.summary.namespaces.slice().sort());
    const [node] = storeKeys('nodes');
    const one = await getJson<AnyJson>(sim, `/api/v1/nodes/${node}`, { headers: { accept: TABLE_ACCEPT } });
    expect(one.kind).toBe('Table');
    expect(one.rows.map((r: AnyJson) => r.cells[0])).toEqual([node]);
  });

  it('answers plain JSON when no Table is asked for', async () => {
    const list = await getJson<AnyJson>(sim, '/api/v1/nodes', { headers: { accept: 'application/json' } });
    expect(list.kind).toBe('NodeList');
    expect(list.items[0].kind).toBe('Node');
  });

  it('sends a one-row Table as each event of a watch that asked for Tables', async () => {
    const ns = sim.summary.namespaces[2];
    const expected = storeKeys('pods', ns);
    const w = await watch(`/api/v1/namespaces/${ns}/pods?watch=true`, { accept: KUBECTL_ACCEPT });
    const initial = await w.take(expected.length);
    for (const e of initial) {
      expect(e.type).toBe('ADDED');
      expect(e.object).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
      expect(e.object.rows).toHaveLength(1);
    }
    expect(initial.map((e) => keyOf(e.object.rows[0].object))).toEqual(expected);
    const name = expected[0].split('/')[1];
    sim.store.patch('pods', ns, name, { metadata: { labels: { touched: 'table' } } });
    const modified = await w.next();
    expect(modified.type).toBe('MODIFIED');
    expect(modified.object.rows[0].cells[0]).toBe(name);
    expect(modified.object.rows[0].object.metadata.labels.touched).toBe('table');
    expect(modified.object.metadata.resourceVersion).toBe(String(sim.store.resourceVersion));
    w.close();
  });
});

describe('writes and Status errors', () => {
  it('creates, reads, merge-patches, updates and deletes a pod', async () => {
    const name = unique('crud');
    const path = `/api/v1/namespaces/default/pods/${name}`;
    const created = await post(
      '/api/v1/namespaces/default/pods',
      podManifest(name, { labels: { app: 'crud' } }),
    );
    expect(created.status).toBe(201);
    const body = (await created.json()) as AnyJson;
    expect(body.metadata).toMatchObject({
      name,
      namespace: 'default',
      resourceVersion: String(sim.store.resourceVersion),
    });
    expect(await getJson<AnyJson>(sim, path)).toEqual(body);

    const patched = await patch(path, { metadata: { labels: { tier: 'web' } } });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as AnyJson).metadata.labels).toEqual({ app: 'crud', tier: 'web' });
    // Strategic merge patch is accepted as a merge patch (what kubectl label sends).
    const strategic = await patch(
      path,
      { metadata: { labels: { app: null } } },
      'application/strategic-merge-patch+json',
    );
    expect(((await strategic.json()) as AnyJson).metadata.labels).toEqual({ tier: 'web' });

    const current = sim.store.get('pods', 'default', name)!;
    const updated = await simFetch(sim, path, {
      method: 'PUT',
      body: JSON.stringify({ ...current, status: { phase: 'Running' } }),
      headers: { 'content-type': 'application/json' },
    });
    expect(updated.status).toBe(200);
    expect(sim.store.get('pods', 'default', name)?.status.phase).toBe('Running');

    const deleted = await simFetch(sim, path, {
      method: 'DELETE',
      body: JSON.stringify({ propagationPolicy: 'Background' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(deleted.status).toBe(200);
    expect(((await deleted.json()) as AnyJson).metadata.name).toBe(name);
    expect(sim.store.get('pods', 'default', name)).toBeUndefined();
  });

  it('answers 404 NotFound with the standard Status, also for unknown resources', async () => {
    const res = await simFetch(sim, '/api/v1/namespaces/default/pods/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'pods' },
      code: 404,
    });
    const job = await simFetch(sim, '/apis/batch/v1/namespaces/default/jobs/nope');
    expect(await job.json()).toMatchObject({ code: 404, message: 'jobs.batch "nope" not found' });
    for (const path of ['/api/v1/widgets', '/apis/apps/v1/deployments', '/api/v1/namespaces/default/nodes']) {
      const unknown = await simFetch(sim, path);
      expect(unknown.status, path).toBe(404);
      expect(await unknown.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    }
    // A namespace that does not exist cannot receive pods.
    const orphan = await post('/api/v1/namespaces/nowhere/pods', podManifest(unique('orphan')));
    expect(orphan.status).toBe(404);
  });

  it('answers 409 AlreadyExists and 409 Conflict', async () => {
    const name = unique('dup');
    expect((await post('/api/v1/namespaces/default/pods', podManifest(name))).status).toBe(201);
    const again = await post('/api/v1/namespaces/default/pods', podManifest(name));
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({
      reason: 'AlreadyExists',
      code: 409,
      details: { name, kind: 'pods' },
    });

    const stale = sim.store.get('pods', 'default', name)!;
    sim.store.patch('pods', 'default', name, { metadata: { labels: { moved: 'on' } } });
    const conflict = await simFetch(sim, `/api/v1/namespaces/default/pods/${name}`, {
      method: 'PUT',
      body: JSON.stringify(stale),
      headers: { 'content-type': 'application/json' },
    });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ reason: 'Conflict', code: 409 });
  });

  it('answers 400 BadRequest for bad selectors, bad JSON and mismatched names or namespaces', async () => {
    const cases: [string, RegExp][] = [
      [`/api/v1/pods?labelSelector=${encodeURIComponent('app in (web')}`, /app in \(web/],
      [`/api/v1/pods?labelSelector=${encodeURIComponent('a=b=c')}`, /a=b=c/],
      [`/api/v1/pods?fieldSelector=${encodeURIComponent('spec.bogus=x')}`, /spec\.bogus/],
      [`/api/v1/nodes?fieldSelector=${encodeURIComponent('status.phase=Running')}`, /status\.phase/],
      [`/api/v1/pods?watch=true&labelSelector=${encodeURIComponent('!')}`, /./],
    ];
    for (const [path, message] of cases) {
      const res = await simFetch(sim, path);
      expect(res.status, path).toBe(400);
      expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400, message });
    }
    const badJson = await simFetch(sim, '/api/v1/namespaces/default/pods', {
      method: 'POST',
      body: '{"metadata":',
      headers: { 'content-type': 'application/json' },
    });
    expect(badJson.status).toBe(400);
    const otherNs = await post(
      '/api/v1/namespaces/default/pods',
      podManifest(unique('x'), { namespace: 'kube-system' }),
    );
    expect(otherNs.status).toBe(400);
    const wrongKind = await post('/api/v1/namespaces/default/pods', {
      ...podManifest(unique('x')),
      kind: 'Node',
    });
    expect(wrongKind.status).toBe(400);
    const name = unique('rename');
    await post('/api/v1/namespaces/default/pods', podManifest(name));
    const renamed = await simFetch(sim, `/api/v1/namespaces/default/pods/${name}`, {
      method: 'PUT',
      body: JSON.stringify(podManifest('something-else')),
      headers: { 'content-type': 'application/json' },
    });
    expect(renamed.status).toBe(400);
  });

  it('answers 422 Invalid with causes for a pod without a name', async () => {
    const res = await post('/api/v1/namespaces/default/pods', { ...podManifest(''), metadata: {} });
    expect(res.status).toBe(422);
    const status = (await res.json()) as AnyJson;
    expect(status).toMatchObject({ reason: 'Invalid', code: 422 });
    expect(status.details.causes[0]).toMatchObject({ field: 'metadata.name', reason: 'FieldValueRequired' });
  });

  it('applies a JSON patch and answers 405 for a method the path does not take', async () => {
    const [key] = storeKeys('pods', 'default');
    // RFC 6902: `add` of a member sets it; `add` under a missing parent is kube-apiserver's 422.
    const podPath = `/api/v1/namespaces/default/pods/${key.split('/')[1]}`;
    const added = await patch(
      podPath,
      [{ op: 'add', path: '/metadata/labels', value: { x: 'y' } }],
      'application/json-patch+json',
    );
    expect(added.status).toBe(200);
    expect(await added.json()).toMatchObject({ metadata: { labels: { x: 'y' } } });
    const orphan = await patch(
      podPath,
      [{ op: 'add', path: '/metadata/no-such-map/x', value: 'y' }],
      'application/json-patch+json',
    );
    expect(orphan.status).toBe(422);
    expect(await orphan.json()).toMatchObject({ reason: 'Invalid', code: 422 });
    for (const [method, path] of [
      ['POST', `/api/v1/namespaces/default/pods/${key.split('/')[1]}`],
      ['PUT', '/api/v1/namespaces/default/pods'],
      ['DELETE', '/api/v1/pods'],
    ]) {
      const res = await simFetch(sim, path, { method, body: method === 'DELETE' ? undefined : '{}' });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
    }
  });

  it('answers 413 for a body larger than a real API server takes', async () => {
    const huge = podManifest(unique('huge'), { annotations: { blob: 'x'.repeat(3 * 1024 * 1024 + 10) } });
    const res = await post('/api/v1/namespaces/default/pods', huge);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
  });

  it('deletes what a namespace holds with the namespace', async () => {
    const ns = unique('doomed');
    expect((await post('/api/v1/namespaces', { metadata: { name: ns } })).status).toBe(201);
    expect((await post(`/api/v1/namespaces/${ns}/pods`, podManifest('inside'))).status).toBe(201);
    expect((await simFetch(sim, `/api/v1/namespaces/${ns}`, { method: 'DELETE' })).status).toBe(200);
    expect(sim.store.get('pods', ns, 'inside')).toBeUndefined();
    expect((await simFetch(sim, `/api/v1/namespaces/${ns}/pods/inside`)).status).toBe(404);
  });
});

describe('authentication and authorization', () => {
  it('answers 401 Unauthorized to a wrong token, on resources, discovery and /healthz', async () => {
    for (const path of [
      '/api/v1/pods',
      '/api/v1/namespaces/default/pods',
      '/api',
      '/apis/batch/v1',
      '/healthz',
    ]) {
      const res = await simFetch(sim, path, { token: 'wrong-token' });
      expect(res.status, path).toBe(401);
      expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    }
  });

  it('treats a request without a bearer token as system:anonymous, which RBAC allows /healthz and /version only', async () => {
    // kube-apiserver's default (--anonymous-auth=true): no token, or another scheme, is
    // anonymous, and the default bindings give system:unauthenticated system:public-info-viewer.
    const forbidden: [string, string][] = [
      [
        '/api/v1/pods',
        'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" at the cluster scope',
      ],
      [
        '/api/v1/namespaces/default/pods',
        'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"',
      ],
      ['/api', 'forbidden: User "system:anonymous" cannot get path "/api"'],
      ['/apis/batch/v1', 'forbidden: User "system:anonymous" cannot get path "/apis/batch/v1"'],
    ];
    for (const headers of [{}, { authorization: 'Basic YTpi' }] as Record<string, string>[]) {
      for (const [path, message] of forbidden) {
        const res = await simFetch(sim, path, { token: null, headers });
        expect(res.status, path).toBe(403);
        expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403, message });
      }
      for (const path of ['/healthz', '/version']) {
        expect((await simFetch(sim, path, { token: null, headers })).status, path).toBe(200);
      }
    }
  });

  it('lets a namespaced viewer read pods in its namespace and nothing else', async () => {
    const list = await simFetch(sim, '/api/v1/namespaces/default/pods', { token: VIEWER });
    expect(list.status).toBe(200);
    expect(((await list.json()) as AnyJson).items.map(keyOf)).toEqual(storeKeys('pods', 'default'));
    const [key] = storeKeys('pods', 'default');
    expect(
      (await simFetch(sim, `/api/v1/namespaces/default/pods/${key.split('/')[1]}`, { token: VIEWER })).status,
    ).toBe(200);
    const w = await watch(
      `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${sim.store.resourceVersion}`,
      {},
      VIEWER,
    );
    expect(w.status).toBe(200);
    w.close();

    const forbidden: [string, string, RegExp][] = [
      ['GET', '/api/v1/pods', /cannot list resource "pods" in API group "" at the cluster scope/],
      [
        'GET',
        '/api/v1/namespaces/kube-system/pods',
        /cannot list resource "pods" in API group "" in the namespace "kube-system"/,
      ],
      ['GET', '/api/v1/nodes', /cannot list resource "nodes"/],
      [
        'GET',
        '/apis/batch/v1/namespaces/default/jobs',
        /jobs\.batch is forbidden: User "viewer" cannot list/,
      ],
      ['GET', '/api/v1/namespaces/default/events', /cannot list resource "events"/],
      ['DELETE', `/api/v1/namespaces/default/pods/${key.split('/')[1]}`, /cannot delete resource "pods"/],
      ['POST', '/api/v1/namespaces/default/pods', /cannot create resource "pods"/],
    ];
    for (const [method, path, message] of forbidden) {
      const res = await simFetch(sim, path, {
        method,
        token: VIEWER,
        body: method === 'POST' ? JSON.stringify(podManifest('viewer-made')) : undefined,
      });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403, message });
    }
    expect(sim.store.get('pods', 'default', key.split('/')[1])).toBeDefined();
    expect(sim.store.get('pods', 'default', 'viewer-made')).toBeUndefined();
  });
});

describe('discovery, version and health', () => {
  it('serves /api, /apis, /api/v1 and /apis/batch/v1 with shortNames and categories', async () => {
    expect(await getJson(sim, '/api')).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = await getJson<AnyJson>(sim, '/apis');
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups).toContainEqual(
      expect.objectContaining({
        name: 'batch',
        versions: [{ groupVersion: 'batch/v1', version: 'v1' }],
        preferredVersion: { groupVersion: 'batch/v1', version: 'v1' },
      }),
    );
    const core = await getJson<AnyJson>(sim, '/api/v1');
    expect(core).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
    const byName = new Map<string, AnyJson>(core.resources.map((r: AnyJson) => [r.name, r]));
    expect(byName.get('pods')).toMatchObject({
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      shortNames: ['po'],
      categories: ['all'],
    });
    expect(byName.get('pods').verbs).toEqual(
      expect.arrayContaining(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
    );
    expect(byName.get('nodes')).toMatchObject({ namespaced: false, kind: 'Node', shortNames: ['no'] });
    expect(byName.get('namespaces')).toMatchObject({ namespaced: false, shortNames: ['ns'] });
    expect(byName.get('events')).toMatchObject({ namespaced: true, shortNames: ['ev'] });
    expect(byName.has('jobs')).toBe(false);
    const batch = await getJson<AnyJson>(sim, '/apis/batch/v1');
    expect(batch).toMatchObject({ kind: 'APIResourceList', groupVersion: 'batch/v1' });
    expect(batch.resources.find((r: AnyJson) => r.name === 'jobs')).toMatchObject({
      namespaced: true,
      kind: 'Job',
      categories: ['all'],
    });
  });

  it('reports a version whose minor is one kubectl 1.27 to 1.33 accepts, without a token', async () => {
    const res = await simFetch(sim, '/version?timeout=5s', { token: null });
    expect(res.status).toBe(200);
    const version = (await res.json()) as AnyJson;
    expect(version.major).toBe('1');
    const minor = Number(version.minor);
    expect(minor).toBeGreaterThanOrEqual(27);
    expect(minor).toBeLessThanOrEqual(33);
    expect(version.gitVersion.startsWith(`v1.${minor}.`)).toBe(true);
  });

  it.each(['/healthz', '/readyz', '/livez'])('answers %s with ok, without a token', async (path) => {
    const res = await simFetch(sim, path, { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('ok');
  });
});

describe('metrics', () => {
  it('counts apiserver_request_total by verb, resource and code, per request', async () => {
    const before = await scrape(sim);
    await simFetch(sim, '/api/v1/namespaces/default/pods').then((r) => r.text());
    await simFetch(sim, '/api/v1/namespaces/default/pods?limit=2').then((r) => r.text());
    await simFetch(sim, '/api/v1/namespaces/default/pods/nope').then((r) => r.text());
    await simFetch(sim, '/api/v1/nodes', { token: VIEWER }).then((r) => r.text());
    const name = unique('counted');
    await post('/api/v1/namespaces/default/pods', podManifest(name)).then((r) => r.text());
    await patch(`/api/v1/namespaces/default/pods/${name}`, { metadata: { labels: { a: 'b' } } }).then((r) =>
      r.text(),
    );
    await simFetch(sim, `/api/v1/namespaces/default/pods/${name}`, { method: 'DELETE' }).then((r) =>
      r.text(),
    );
    const after = await scrape(sim);
    const delta = (verb: string, resource: string, code: string) =>
      metric(after, 'apiserver_request_total', { verb, resource, code }) -
      metric(before, 'apiserver_request_total', { verb, resource, code });
    expect(delta('LIST', 'pods', '200')).toBe(2);
    expect(delta('GET', 'pods', '404')).toBe(1);
    expect(delta('LIST', 'nodes', '403')).toBe(1);
    expect(delta('CREATE', 'pods', '201')).toBe(1);
    expect(delta('PATCH', 'pods', '200')).toBe(1);
    expect(delta('DELETE', 'pods', '200')).toBe(1);
    expect(delta('GET', 'pods', '200')).toBe(0);
  });

  it('counts open watches in apiserver_longrunning_requests and WATCH requests', async () => {
    const gauge = async () =>
      metric(await scrape(sim), 'apiserver_longrunning_requests', { verb: 'WATCH', resource: 'events' });
    const before = await scrape(sim);
    const open = metric(before, 'apiserver_longrunning_requests', { verb: 'WATCH', resource: 'events' });
    const a = await watch(`/api/v1/events?watch=true&resourceVersion=${sim.store.resourceVersion}`);
    const b = await watch(
      `/api/v1/namespaces/default/events?watch=true&resourceVersion=${sim.store.resourceVersion}`,
    );
    await waitFor(async () => (await gauge()) === open + 2, 'two open event watches');
    const after = await scrape(sim);
    expect(
      metric(after, 'apiserver_request_total', { verb: 'WATCH', resource: 'events', code: '200' }) -
        metric(before, 'apiserver_request_total', { verb: 'WATCH', resource: 'events', code: '200' }),
    ).toBe(2);
    a.close();
    await waitFor(async () => (await gauge()) === open + 1, 'one open event watch');
    b.close();
    await waitFor(async () => (await gauge()) === open, 'no open event watch');
  });

  it('counts every accepted TCP connection in simulator_connections_accepted_total', async () => {
    const read = async () =>
      metric(
        parsePrometheus((await freshGet(sim, '/metrics', null)).body),
        'simulator_connections_accepted_total',
      );
    const before = await read();
    for (let i = 0; i < 3; i++) expect((await freshGet(sim, '/healthz')).status).toBe(200);
    const after = await read();
    // Three probes plus the connection of the second scrape itself.
    expect(after - before).toBe(4);
  });

  it('reports the objects stored per resource', async () => {
    const metrics = await scrape(sim);
    expect(metric(metrics, 'simulator_objects', { resource: 'pods' })).toBe(sim.store.count('pods'));
    expect(metric(metrics, 'simulator_objects', { resource: 'nodes' })).toBe(sim.store.count('nodes'));
  });
});

function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

describe('fault injection', () => {
  const faults = (body: unknown, token?: string) =>
    simFetch(sim, '/simulator/faults', {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
      token,
    });

  it('takes settings from the admin token only', async () => {
    expect((await faults({ latencyMs: 0 }, VIEWER)).status).toBe(403);
    expect((await faults({ latencyMs: 0 }, 'wrong')).status).toBe(401);
    const ok = await faults({ latencyMs: 5, retryAfterSeconds: 2 });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ latencyMs: 5, retryAfterSeconds: 2, errorRate: 0 });
    expect(await getJson(sim, '/simulator/faults')).toMatchObject({ latencyMs: 5 });
    expect(await (await faults({ reset: true })).json()).toMatchObject({
      latencyMs: 0,
      retryAfterSeconds: 1,
    });
    expect(sim.faults.latencyMs).toBe(0);
  });

  it('rejects unknown keys and wrong types with 400 and a message that names them', async () => {
    const cases: [unknown, RegExp][] = [
      [{ bogus: 1 }, /unknown key "bogus": expected latencyMs, errorRate/],
      [{ errorRate: 'often' }, /errorRate: expected a number from 0 to 1, received "often"/],
      [{ errorRate: 2 }, /errorRate: expected a number from 0 to 1, received 2/],
      [{ errorCode: 404 }, /errorCode: expected 500, 503 or 429, received 404/],
      [{ verbs: ['FETCH'] }, /verbs: expected a list of LIST, GET/],
      [{ dropWatches: 'sometimes' }, /dropWatches: expected true, "reset" or "end"/],
      [[1, 2], /expected a JSON object/],
      ['{"latencyMs":', /invalid fault request/],
    ];
    for (const [body, message] of cases) {
      const res = await faults(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toMatchObject({ kind: 'Status', code: 400, message });
    }
    expect(sim.faults.errorRate).toBe(0);
  });

  it('answers with 429 and Retry-After at errorRate 1, only for the verbs and resources chosen', async () => {
    const before = await scrape(sim);
    await faults({
      errorRate: 1,
      errorCode: 429,
      retryAfterSeconds: 7,
      verbs: ['LIST'],
      resources: ['pods'],
    });
    try {
      const res = await simFetch(sim, '/api/v1/namespaces/default/pods');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
      expect((await simFetch(sim, '/api/v1/nodes')).status).toBe(200);
      const [key] = storeKeys('pods', 'default');
      expect((await simFetch(sim, `/api/v1/namespaces/default/pods/${key.split('/')[1]}`)).status).toBe(200);
      expect((await simFetch(sim, '/healthz')).status).toBe(200);
    } finally {
      await faults({ reset: true });
    }
    expect((await simFetch(sim, '/api/v1/namespaces/default/pods')).status).toBe(200);
    const after = await scrape(sim);
    expect(
      metric(after, 'apiserver_request_total', { verb: 'LIST', resource: 'pods', code: '429' }) -
        metric(before, 'apiserver_request_total', { verb: 'LIST', resource: 'pods', code: '429' }),
    ).toBe(1);
    expect(
      metric(after, 'simulator_faults_injected_total', { code: '429' }) -
        metric(before, 'simulator_faults_injected_total', { code: '429' }),
    ).toBe(1);
  });

  it('answers with 500 InternalError at errorRate 1 with the default code', async () => {
    await faults({ errorRate: 1, resources: ['jobs'] });
    try {
      const res = await simFetch(sim, '/apis/batch/v1/jobs');
      expect(res.status).toBe(500);
      expect(res.headers.get('retry-after')).toBeNull();
      expect(await res.json()).toMatchObject({ reason: 'InternalError', code: 500 });
    } finally {
      await faults({ reset: true });
    }
  });

  it('fails token reviews too (a review is an API request), and only them when resources say tokenreviews', async () => {
    const review = () =>
      post('/apis/authentication.k8s.io/v1/tokenreviews', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token: VIEWER },
      });
    const before = await scrape(sim);
    await faults({ errorRate: 1, errorCode: 503, resources: ['tokenreviews'] });
    try {
      const res = await review();
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
      expect((await simFetch(sim, '/api/v1/nodes')).status).toBe(200);
    } finally {
      await faults({ reset: true });
    }
    const ok = await review();
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ status: { authenticated: true, user: { username: 'viewer' } } });
    const after = await scrape(sim);
    const reviews = (code: string) =>
      metric(after, 'apiserver_request_total', { verb: 'CREATE', resource: 'tokenreviews', code }) -
      metric(before, 'apiserver_request_total', { verb: 'CREATE', resource: 'tokenreviews', code });
    expect([reviews('503'), reviews('201')]).toEqual([1, 1]);
  });

  it('delays only the chosen requests by latencyMs', async () => {
    await faults({ latencyMs: 400, resources: ['nodes'] });
    try {
      const order: string[] = [];
      const slow = simFetch(sim, '/api/v1/nodes').then(async (r) => {
        await r.text();
        order.push('nodes');
      });
      const fast = simFetch(sim, '/api/v1/namespaces/default/events?limit=1').then(async (r) => {
        await r.text();
        order.push('events');
      });
      await Promise.all([slow, fast]);
      expect(order).toEqual(['events', 'nodes']);
    } finally {
      await faults({ reset: true });
    }
  });

  it('drops open watches: by resetting their connections, or by ending them cleanly', async () => {
    const rv = sim.store.resourceVersion;
    const reset = await watch(`/api/v1/pods?watch=true&resourceVersion=${rv}`);
    await waitFor(() => sim.openWatchCount() >= 1, 'the watch to be open');
    expect((await faults({ dropWatches: true })).status).toBe(200);
    expect(await reset.end()).toBe('reset');

    const ended = await watch(`/api/v1/pods?watch=true&resourceVersion=${rv}`);
    await waitFor(() => sim.openWatchCount() >= 1, 'the watch to be open');
    expect((await faults({ dropWatches: 'end' })).status).toBe(200);
    expect(await ended.end()).toBe('end');
    await waitFor(() => sim.openWatchCount() === 0, 'no open watch');
    // The programmatic API does the same and says how many it dropped.
    const third = await watch(`/api/v1/nodes?watch=true&resourceVersion=${rv}`);
    await waitFor(() => sim.openWatchCount() === 1, 'the watch to be open');
    expect(sim.dropWatches()).toBe(1);
    expect(await third.end()).toBe('reset');
  });

  it('compacts the history through the control endpoint', async () => {
    const old = sim.store.resourceVersion;
    sim.store.create('pods', {
      ...podManifest('x'),
      metadata: { name: unique('compact'), namespace: 'default' },
    });
    expect((await faults({ compact: true })).status).toBe(200);
    const w = await watch(`/api/v1/pods?watch=true&resourceVersion=${old}`);
    await w.end();
    expect(w.events.map((e) => [e.type, e.object.code])).toEqual([['ERROR', 410]]);
  });
});

describe('refused connections', () => {
  let down: Simulator;
  beforeAll(async () => {
    down = await startSimulator({
      churnPerSecond: 0,
      jobStepMs: 3_600_000,
      scenario: { nodes: 1, pods: 2, jobs: 0, namespaces: 1 },
    });
  });
  afterAll(() => down?.close());

  it('makes connections fail for refuseConnectionsSeconds, then recovers on the same address', async () => {
    const url = down.url;
    const res = await simFetch(down, '/simulator/faults', {
      method: 'POST',
      body: JSON.stringify({ refuseConnectionsSeconds: 1 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    const failure = await waitFor(
      () =>
        freshGet(down, '/healthz').then(
          () => undefined,
          (err: NodeJS.ErrnoException) => err.code ?? err.message,
        ),
      'a refused connection',
    );
    expect(failure).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up/);
    expect(down.down).toBe(true);
    const back = await waitFor(
      () =>
        freshGet(down, '/healthz').then(
          (r) => r.status,
          () => undefined,
        ),
      'the simulator to accept connections again',
    );
    expect(back).toBe(200);
    expect(down.down).toBe(false);
    expect(down.url).toBe(url);
    expect((await simFetch(down, '/api/v1/nodes')).status).toBe(200);
  });
});
