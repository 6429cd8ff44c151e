/**
 * Watch events relayed to real clients (graphql-sse and graphql-ws) over the gateway:
 * creates, updates and deletes made through the simulator's HTTPS API, its store and
 * the real kubectl arrive over both transports; every filter is applied to every event
 * (an object entering or leaving the filter is ADDED or DELETED, as in a filtered
 * Kubernetes watch); and a MODIFIED is sent only when something the subscriber selected
 * changed, unless it asked for all changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, simFetch, startHarness } from '../helpers/harness.js';
import { Kubectl, requireKubectl } from '../simulator/kubectl-runner.js';
import {
  barePod,
  cached,
  ensureNamespace,
  type Json,
  keyOf,
  listeners,
  nodeNames,
  type Subscription,
  serverSubscriptions,
  stopBackgroundActivity,
  subscribe,
  TRANSPORTS,
  type Transport,
} from './clients.js';

const SCENARIO = { nodes: 3, pods: 12, jobs: 1, namespaces: 2, seed: 11 };

let h: Harness;
const open: Subscription[] = [];

beforeAll(async () => {
  // Pods stay as the tests write them: no scheduler or kubelet adds events of its own.
  h = await startHarness({
    simulator: { scenario: SCENARIO, podLifecycle: false },
    extraSimulators: [{ scenario: SCENARIO, podLifecycle: false }],
  });
  for (const sim of h.sims) stopBackgroundActivity(sim);
});

afterAll(async () => {
  for (const s of open) s.dispose();
  await h?.close();
}, 30_000);

/** Subscribes and waits until the gateway's hub holds the new listeners. */
async function start(
  specs: { transport: Transport; query: string; variables?: Record<string, unknown> }[],
): Promise<Subscription[]> {
  const before = serverSubscriptions(h);
  const subs = specs.map((s) => subscribe(s.transport, h.url, s.query, { variables: s.variables }));
  open.push(...subs);
  await listeners(h, before + subs.length);
  return subs;
}

async function stop(subs: Subscription[]): Promise<void> {
  const before = serverSubscriptions(h);
  for (const s of subs) s.dispose();
  await listeners(h, before - subs.length);
}

/** `TYPE cluster/namespace/name` of each event: what a test compares. */
const summary = (s: Subscription) =>
  s.events.map((e: Json) => `${e.type} ${e.cluster}/${e.object.namespace}/${e.object.name}`);

/** Per object, resourceVersions strictly increase. */
function expectRVOrder(s: Subscription) {
  const last = new Map<string, number>();
  for (const e of s.events) {
    const key = `${e.cluster}/${e.object.namespace}/${e.object.name}`;
    const rv = Number(e.resourceVersion);
    expect(rv, `${key}: ${e.type} at ${rv} after ${last.get(key)}`).toBeGreaterThan(last.get(key) ?? 0);
    last.set(key, rv);
  }
}

const POD_EVENTS = `subscription ($ns: String, $sel: String, $node: String, $job: String, $cluster: String) {
  podEvents(namespace: $ns, labelSelector: $sel, nodeName: $node, jobName: $job, cluster: $cluster) {
    type cluster resourceVersion object { name namespace labels { key value } node { name } } } }`;

describe.each(TRANSPORTS)('over %s', (transport) => {
  it('relays creates, updates and deletes made through the simulator’s HTTPS API', async () => {
    const ns = `api-${transport}`;
    ensureNamespace(h, ns);
    const node = nodeNames(h)[0];
    const [sub] = await start([
      {
        transport,
        query: `subscription ($ns: String) { podEvents(namespace: $ns) {
          type cluster resourceVersion object { name namespace phase labels { key value } node { name } } } }`,
        variables: { ns },
      },
    ]);
    const base = `/api/v1/namespaces/${ns}/pods`;
    const send = async (method: string, path: string, body?: unknown) => {
      const res = await simFetch(h.sim, path, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: {
          'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
        },
      });
      const json = (await res.json()) as Json;
      expect(res.status, JSON.stringify(json)).toBeLessThan(300);
      return json;
    };
    const created = await send('POST', base, barePod(ns, 'web-1', { nodeName: node }));
    const phased = await send('PATCH', `${base}/web-1`, { status: { phase: 'Succeeded' } });
    const labelled = await send('PATCH', `${base}/web-1`, { metadata: { labels: { tier: 'hot' } } });
    const deleted = await send('DELETE', `${base}/web-1`);
    await sub.count(4);

    // The API server drops the status a create sends: the pod starts Pending.
    expect(sub.events.map((e: Json) => [e.type, e.object.phase])).toEqual([
      ['ADDED', 'PENDING'],
      ['MODIFIED', 'SUCCEEDED'],
      ['MODIFIED', 'SUCCEEDED'],
      ['DELETED', 'SUCCEEDED'],
    ]);
    for (const e of sub.events)
      expect(e).toMatchObject({ cluster: 'sim', object: { name: 'web-1', namespace: ns } });
    // Relations resolve through the loaders, as in a query.
    expect(sub.events[0].object.node).toEqual({ name: node });
    expect(sub.events[2].object.labels).toContainEqual({ key: 'tier', value: 'hot' });
    expect(sub.events.slice(0, 3).map((e: Json) => e.resourceVersion)).toEqual(
      [created, phased, labelled].map((o) => o.metadata.resourceVersion),
    );
    expect(Number(sub.events[3].resourceVersion)).toBeGreaterThanOrEqual(
      Number(deleted.metadata?.resourceVersion ?? labelled.metadata.resourceVersion),
    );
    await stop([sub]);
  });
});

it('delivers answers of every WebSocket frame length whole (7-bit, 16-bit and 64-bit lengths), multi-byte text included, as SSE does', async () => {
  // The gateway frames graphql-ws messages itself (server/ws-delivery.ts): a frame's length
  // is counted in bytes, in one of three encodings by size.
  const ns = 'frames';
  ensureNamespace(h, ns);
  const small = `subscription ($ns: String) { podEvents(namespace: $ns) { type } }`;
  const wide = `subscription ($ns: String) { podEvents(namespace: $ns) {
    type object { name annotations { key value } } } }`;
  const variables = { ns };
  const subs = await start([
    { transport: 'ws', query: small, variables },
    { transport: 'ws', query: wide, variables },
    { transport: 'sse', query: small, variables },
    { transport: 'sse', query: wide, variables },
  ]);
  const [wsSmall, wsWide, sseSmall, sseWide] = subs;
  // Payload lengths: ~100 B, ~2.5 KB, ~63 KB (under 65,536 B), ~70 KB and ~250 KB; 'é' is
  // two bytes in UTF-8, '€' three and the emoji four.
  const notes = [10, 500, 12_600, 14_000, 50_000].map(
    (n, i) => `${i}:${'é€🙂'.repeat(n / 10)}${'x'.repeat(n % 10)}`,
  );
  notes.forEach((note, i) => {
    h.sim.store.create('pods', {
      ...barePod(ns, `frame-${i}`),
      metadata: { name: `frame-${i}`, namespace: ns, annotations: { note } },
    });
  });
  for (const sub of subs) await sub.count(notes.length);
  expect(wsSmall.events).toEqual(notes.map(() => ({ type: 'ADDED' })));
  expect(
    wsWide.events.map((e: Json) => e.object.annotations.find((a: Json) => a.key === 'note')?.value),
  ).toEqual(notes);
  expect(wsWide.events).toEqual(sseWide.events);
  expect(wsSmall.events).toEqual(sseSmall.events);
  await stop(subs);
});

it('applies namespace, labelSelector, nodeName, jobName and cluster filters to every event, over both transports', async () => {
  const [nsA, nsB] = ['filters-a', 'filters-b'];
  for (const sim of h.sims) for (const ns of [nsA, nsB]) ensureNamespace(h, ns, sim);
  const [node0, node1] = nodeNames(h);
  const filters = {
    namespace: { ns: nsA },
    label: { sel: 'tier=hot' },
    node: { node: node0 },
    job: { ns: nsA, job: 'batch-x' },
    cluster: { cluster: 'sim-1' },
  };
  const subs = await start(
    TRANSPORTS.flatMap((transport) =>
      Object.values(filters).map((variables) => ({ transport, query: POD_EVENTS, variables })),
    ),
  );
  const [sim, sim1] = h.sims;

  sim.store.create('pods', barePod(nsA, 'p1', { nodeName: node0, labels: { tier: 'cold' } }));
  sim.store.create('pods', barePod(nsB, 'p2', { nodeName: node1, labels: { tier: 'hot' } }));
  sim.store.create('pods', barePod(nsA, 'p3', { nodeName: node1, jobName: 'batch-x' }));
  sim.store.create('pods', barePod(nsB, 'p4', { nodeName: node0, jobName: 'batch-x' })); // same job name, other namespace
  // p1 enters the label filter, p2 leaves it.
  sim.store.mutate('pods', nsA, 'p1', (d) => ({
    ...d,
    metadata: { ...d.metadata, labels: { tier: 'hot' } },
  }));
  sim.store.mutate('pods', nsB, 'p2', (d) => ({
    ...d,
    metadata: { ...d.metadata, labels: { tier: 'cold' } },
  }));
  sim1.store.create('pods', barePod(nsB, 'q1', { nodeName: node1 }));
  sim1.store.create('pods', barePod(nsA, 'q2', { nodeName: node1, labels: { tier: 'hot' } }));
  sim.store.delete('pods', nsA, 'p1');
  sim.store.delete('pods', nsA, 'p3');
  sim.store.delete('pods', nsB, 'p4');
  // Markers, one per cluster, matching every filter: whatever was sent before them has arrived.
  const marker = (nsName: string) =>
    barePod(nsName, 'marker', { nodeName: node0, jobName: 'batch-x', labels: { tier: 'hot' } });
  sim.store.create('pods', marker(nsA));
  sim1.store.create('pods', marker(nsA));

  const expected: Record<keyof typeof filters, string[]> = {
    namespace: [
      `ADDED sim/${nsA}/p1`,
      `ADDED sim/${nsA}/p3`,
      `MODIFIED sim/${nsA}/p1`,
      `DELETED sim/${nsA}/p1`,
      `DELETED sim/${nsA}/p3`,
      `ADDED sim/${nsA}/marker`,
      `ADDED sim-1/${nsA}/q2`,
      `ADDED sim-1/${nsA}/marker`,
    ],
    label: [
      `ADDED sim/${nsB}/p2`,
      `ADDED sim/${nsA}/p1`,
      `DELETED sim/${nsB}/p2`,
      `DELETED sim/${nsA}/p1`,
      `ADDED sim/${nsA}/marker`,
      `ADDED sim-1/${nsA}/q2`,
      `ADDED sim-1/${nsA}/marker`,
    ],
    node: [
      `ADDED sim/${nsA}/p1`,
      `ADDED sim/${nsB}/p4`,
      `MODIFIED sim/${nsA}/p1`,
      `DELETED sim/${nsA}/p1`,
      `DELETED sim/${nsB}/p4`,
      `ADDED sim/${nsA}/marker`,
      `ADDED sim-1/${nsA}/marker`,
    ],
    job: [
      `ADDED sim/${nsA}/p3`,
      `DELETED sim/${nsA}/p3`,
      `ADDED sim/${nsA}/marker`,
      `ADDED sim-1/${nsA}/marker`,
    ],
    cluster: [`ADDED sim-1/${nsB}/q1`, `ADDED sim-1/${nsA}/q2`, `ADDED sim-1/${nsA}/marker`],
  };
  const names = Object.keys(filters) as (keyof typeof filters)[];
  for (const [i, sub] of subs.entries()) {
    const name = names[i % names.length];
    const want = expected[name];
    const markers = want.filter((l) => l.endsWith('/marker')).length;
    await sub.until(
      `the markers (${name})`,
      (s) => summary(s).filter((l) => l.endsWith('/marker')).length === markers,
    );
    // Clusters are independent streams: compare each cluster's sequence.
    for (const cluster of ['sim/', 'sim-1/']) {
      expect(
        summary(sub).filter((l) => l.split(' ')[1].startsWith(cluster)),
        `${name} over ${i < names.length ? 'sse' : 'ws'} in ${cluster}`,
      ).toEqual(want.filter((l) => l.split(' ')[1].startsWith(cluster)));
    }
    expectRVOrder(sub);
  }
  // DELETED carries the last state: p2 left the label filter with its new labels.
  const left = subs[1].events.find((e: Json) => e.type === 'DELETED' && e.object.name === 'p2');
  expect(left.object.labels).toContainEqual({ key: 'tier', value: 'cold' });
  await stop(subs);
  for (const sim of h.sims) for (const ns of [nsA]) sim.store.delete('pods', ns, 'marker');
});

it("a change judged by what it moves: into a filter by a kind filter or a selector's label even with nothing selected changed; a change to neither sends nothing", async () => {
  // Each subscriber selects only the name, which never changes: whether a MODIFIED is sent
  // is decided by the filter alone. A change that moves no input of a filter skips the filter
  // (streams.ts classify); one that moves one must still be judged on both versions.
  const ns = 'moves';
  ensureNamespace(h, ns);
  const [node0] = nodeNames(h);
  const NAME_ONLY = `subscription ($ns: String, $sel: String, $node: String) {
    podEvents(namespace: $ns, labelSelector: $sel, nodeName: $node) { type resourceVersion object { name } } }`;
  const specs = {
    node: { ns, node: node0 },
    label: { ns, sel: 'tier=hot' },
    namespace: { ns },
  };
  const subs = await start(
    TRANSPORTS.flatMap((transport) =>
      Object.values(specs).map((variables) => ({ transport, query: NAME_ONLY, variables })),
    ),
  );
  const mutate = (change: (d: Json) => Json) => h.sim.store.mutate('pods', ns, 'u1', change as never);
  h.sim.store.create('pods', barePod(ns, 'u1', { labels: { tier: 'cold', other: 'x' } }));
  // Bound to node0: enters the node filter (a kind filter's input), nothing else.
  mutate((d) => ({ ...d, spec: { ...d.spec, nodeName: node0 } }));
  // A label no selector names: nobody's business.
  mutate((d) => ({ ...d, metadata: { ...d.metadata, labels: { ...d.metadata.labels, other: 'y' } } }));
  // The label the selector names: enters the label filter.
  mutate((d) => ({ ...d, metadata: { ...d.metadata, labels: { ...d.metadata.labels, tier: 'hot' } } }));
  // The phase: selected by nobody, filtered by nobody.
  mutate((d) => ({ ...d, status: { ...d.status, phase: 'Running' } }));
  // Leaves the label filter again.
  mutate((d) => ({ ...d, metadata: { ...d.metadata, labels: { ...d.metadata.labels, tier: 'warm' } } }));
  h.sim.store.delete('pods', ns, 'u1');
  h.sim.store.create('pods', barePod(ns, 'marker', { nodeName: node0, labels: { tier: 'hot' } }));

  const expected: Record<keyof typeof specs, string[]> = {
    node: ['ADDED u1', 'DELETED u1', 'ADDED marker'],
    label: ['ADDED u1', 'DELETED u1', 'ADDED marker'],
    namespace: ['ADDED u1', 'DELETED u1', 'ADDED marker'],
  };
  const names = Object.keys(specs) as (keyof typeof specs)[];
  for (const [i, sub] of subs.entries()) {
    const name = names[i % names.length];
    await sub.eventFor('marker', 'ADDED');
    expect(
      sub.events.map((e: Json) => `${e.type} ${e.object.name}`),
      `${name} over ${i < names.length ? 'sse' : 'ws'}`,
    ).toEqual(expected[name]);
  }
  // The node filter saw u1 enter on the bind, the label filter on `tier=hot`: different
  // resourceVersions, each the change that moved it in.
  const rv = (sub: Subscription, type: string) =>
    Number(sub.events.find((e: Json) => e.type === type && e.object.name === 'u1')?.resourceVersion);
  for (const [i, sub] of subs.entries())
    if (i % names.length === 0) expect(rv(sub, 'ADDED')).toBeLessThan(rv(subs[i + 1], 'ADDED'));
  // And the label filter's DELETED is the change to `tier=warm`, before the deletion.
  for (const [i, sub] of subs.entries())
    if (i % names.length === 1) expect(rv(sub, 'DELETED')).toBeLessThan(rv(subs[i - 1], 'DELETED'));
  await stop(subs);
  h.sim.store.delete('pods', ns, 'marker');
});

it('relays what the real kubectl does (run, label, annotate, delete), filtered by label and selection', async () => {
  await requireKubectl();
  const ns = 'kubectl-subs';
  ensureNamespace(h, ns);
  const kubectl = new Kubectl(h.sim.kubeconfig());
  try {
    const byNamespace = `subscription ($ns: String) { podEvents(namespace: $ns) {
      type resourceVersion object { name labels { key value } } } }`;
    const byLabel = `subscription { podEvents(labelSelector: "tier=hot,app=kubectl-test") {
      type resourceVersion object { name namespace labels { key value } } } }`;
    const subs = await start(
      TRANSPORTS.flatMap((transport) => [
        { transport, query: byNamespace, variables: { ns } },
        { transport, query: byLabel },
      ]),
    );
    await kubectl.ok(['run', 'kp', '--image=busybox:1.36', '-n', ns, '--labels=app=kubectl-test,tier=cold']);
    await kubectl.ok(['label', 'pod', 'kp', '-n', ns, 'tier=hot', '--overwrite']);
    // Annotations are not selected by anyone here: no MODIFIED for this.
    await kubectl.ok(['annotate', 'pod', 'kp', '-n', ns, 'kubegate.test/note=hello']);
    await kubectl.ok(['label', 'pod', 'kp', '-n', ns, 'tier-']);
    await kubectl.ok(['delete', 'pod', 'kp', '-n', ns, '--wait=false']);
    await kubectl.ok([
      'run',
      'marker',
      '--image=busybox:1.36',
      '-n',
      ns,
      '--labels=app=kubectl-test,tier=hot',
    ]);

    for (const [i, sub] of subs.entries()) {
      await sub.eventFor('marker', 'ADDED');
      const types = sub.events.map((e: Json) => `${e.type} ${e.object.name}`);
      if (i % 2 === 0) {
        expect(types).toEqual(['ADDED kp', 'MODIFIED kp', 'MODIFIED kp', 'DELETED kp', 'ADDED marker']);
        expect(sub.events[1].object.labels).toContainEqual({ key: 'tier', value: 'hot' });
        expect(sub.events[2].object.labels.find((l: Json) => l.key === 'tier')).toBeUndefined();
      } else {
        // Enters the filter on `label tier=hot`, leaves it on `label tier-`; the delete is not its business.
        expect(types).toEqual(['ADDED kp', 'DELETED kp', 'ADDED marker']);
        expect(sub.events[0].object).toMatchObject({ namespace: ns });
      }
      expectRVOrder(sub);
    }
    await stop(subs);
  } finally {
    kubectl.cleanup();
  }
});

describe('selection-based change filtering', () => {
  const SELECTIONS = {
    phase: `subscription ($ns: String) { podEvents(namespace: $ns) { type object { name phase } } }`,
    allChanges: `subscription ($ns: String) { podEvents(namespace: $ns, allChanges: true) { type object { name phase } } }`,
    annotations: `subscription ($ns: String) { podEvents(namespace: $ns) { type object { name annotations { key value } } } }`,
    resourceVersion: `subscription ($ns: String) { podEvents(namespace: $ns) { type object { name resourceVersion } } }`,
    fragment: `subscription ($ns: String) { podEvents(namespace: $ns) { type object { ...P } } }
      fragment P on Pod { name ... on Pod { phase } }`,
  };

  it('sends a MODIFIED only when a selected field changed; allChanges sends every one', async () => {
    const ns = 'selection';
    ensureNamespace(h, ns);
    const names = Object.keys(SELECTIONS) as (keyof typeof SELECTIONS)[];
    const subs = await start(
      TRANSPORTS.flatMap((transport) =>
        names.map((name) => ({ transport, query: SELECTIONS[name], variables: { ns } })),
      ),
    );
    const [node] = nodeNames(h);
    h.sim.store.create('pods', barePod(ns, 'q', { nodeName: node }));
    // 1. annotation only
    h.sim.store.mutate('pods', ns, 'q', (d) => ({
      ...d,
      metadata: { ...d.metadata, annotations: { 'kubegate.test/note': 'one' } },
    }));
    // 2. a heartbeat the gateway trims away (managedFields): only the resourceVersion moves
    const beat = h.sim.store.mutate('pods', ns, 'q', (d) => ({
      ...d,
      metadata: {
        ...d.metadata,
        managedFields: [{ manager: 'kubelet', operation: 'Update', time: new Date().toISOString() }],
      },
    }))!;
    await cached(h, 'Pod', keyOf(beat), beat.metadata.resourceVersion!);
    // 3. the phase
    h.sim.store.mutate('pods', ns, 'q', (d) => ({ ...d, status: { ...d.status, phase: 'Succeeded' } }));
    h.sim.store.delete('pods', ns, 'q');

    const expected: Record<keyof typeof SELECTIONS, string[]> = {
      phase: ['ADDED', 'MODIFIED', 'DELETED'],
      allChanges: ['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED'],
      annotations: ['ADDED', 'MODIFIED', 'DELETED'],
      // Who selects the resourceVersion asked for every change, heartbeats included.
      resourceVersion: ['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED'],
      fragment: ['ADDED', 'MODIFIED', 'DELETED'],
    };
    for (const [i, sub] of subs.entries()) {
      const name = names[i % names.length];
      await sub.eventFor('q', 'DELETED');
      expect(
        sub.events.map((e: Json) => e.type),
        `${name} over ${TRANSPORTS[Math.floor(i / names.length)]}`,
      ).toEqual(expected[name]);
    }
    expect(subs[0].events[1].object.phase).toBe('SUCCEEDED');
    expect(subs[2].events[1].object.annotations).toEqual([{ key: 'kubegate.test/note', value: 'one' }]);
    await stop(subs);
  });

  it('a node heartbeat reaches only who selected what it moves', async () => {
    const node = nodeNames(h)[1];
    const subs = await start(
      TRANSPORTS.flatMap((transport) => [
        { transport, query: `subscription { nodeEvents { type object { name ready unschedulable } } }` },
        {
          transport,
          query: `subscription { nodeEvents { type object { name conditions { type lastHeartbeatTime } } } }`,
        },
      ]),
    );
    const beatAt = (offset: number) => new Date(Date.now() + offset).toISOString().replace(/\.\d+Z$/, 'Z');
    const withHeartbeat = (d: Json, time: string) => ({
      ...d.status,
      conditions: ((d.status?.conditions ?? []) as Json[]).map((c) => ({ ...c, lastHeartbeatTime: time })),
    });
    // 1. a heartbeat: only the conditions' heartbeat times move
    const first = beatAt(60_000);
    const beat = h.sim.store.mutate('nodes', undefined, node, (d) => ({
      ...d,
      status: withHeartbeat(d, first),
    }))!;
    await cached(h, 'Node', node, beat.metadata.resourceVersion!);
    // 2. cordoned: no condition moves
    h.sim.store.mutate('nodes', undefined, node, (d) => ({ ...d, spec: { ...d.spec, unschedulable: true } }));
    // 3. uncordoned with a heartbeat: both kinds of subscriber see this one, so it is the last they get
    const last = beatAt(120_000);
    h.sim.store.mutate('nodes', undefined, node, (d) => ({
      ...d,
      spec: { ...d.spec, unschedulable: false },
      status: withHeartbeat(d, last),
    }));
    for (const [i, sub] of subs.entries()) {
      await sub.count(2);
      const types = sub.events.map((e: Json) => `${e.type} ${e.object.name}`);
      expect(types, `subscription ${i}`).toEqual([`MODIFIED ${node}`, `MODIFIED ${node}`]);
      if (i % 2 === 0) {
        // ready/unschedulable: the heartbeat changes neither, the cordon and uncordon do.
        expect(sub.events.map((e: Json) => e.object.unschedulable)).toEqual([true, false]);
        expect(sub.events[0].object.ready).toBe(true);
      } else {
        // The conditions' heartbeat times: the heartbeats, not the cordon.
        const times = sub.events.map(
          (e: Json) => e.object.conditions.find((c: Json) => c.type === 'Ready').lastHeartbeatTime,
        );
        expect(times.map((t: string) => new Date(t).getTime())).toEqual(
          [first, last].map((t) => new Date(t).getTime()),
        );
      }
    }
    await stop(subs);
  });
});
