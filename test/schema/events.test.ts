/**
 * Events, the fifth kind, over HTTP: Cluster.events' filters against the simulator's store,
 * newest first by default, Pod.events exactly the events about that pod (and the same as
 * the real kubectl's `get events --field-selector involvedObject.name=POD`), bad input as
 * BAD_USER_INPUT saying what was expected and what came, a principal limited to one
 * namespace seeing no other namespace's events (lists, counts, subscription), and the
 * `events` subscription with `initial: true` and filters over both transports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { Kubectl, requireKubectl } from '../simulator/kubectl-runner.js';
import {
  listeners,
  type Subscription,
  serverSubscriptions,
  subscribe,
  TRANSPORTS,
} from '../subscriptions/clients.js';
import { codes, type Json } from './helpers.js';

const SCENARIO = { nodes: 3, pods: 80, jobs: 2, namespaces: 2, seed: 11 };
const ADMIN = { authorization: 'Bearer admin-token' };
const TEAM_TOKEN = 'team-token';
const TEAM = { authorization: `Bearer ${TEAM_TOKEN}` };

let sim: Simulator;
let h: Harness;
let kubectl: Kubectl;
/** The namespace the limited principal may see, and another one with events. */
let mine = '';
let other = '';
/** A pod that has events, and the confusers planted around it. */
let target: KubeObject;
const open: Subscription[] = [];

const s = (v: string) => JSON.stringify(v);

function event(name: string, namespace: string, involved: Json, extra: Json = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace },
    involvedObject: involved,
    reason: 'Testing',
    message: `event ${name}`,
    source: { component: 'events-test' },
    firstTimestamp: '2025-03-01T00:00:00Z',
    lastTimestamp: '2025-03-01T00:00:00Z',
    count: 1,
    type: 'Normal',
    ...extra,
  };
}

const storeEvents = (): Json[] => [...sim.store.scan('events')];
const namesOf = (events: Json[]) => events.map((e) => e.metadata.name).sort();
const edgeNames = (conn: Json): string[] => conn.edges.map((e: Json) => e.node.name);

/** When an event last happened, as kubectl's LAST SEEN (and the gateway's lastSeen) reads it. */
function lastSeenMs(e: Json): number {
  const t = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp;
  return Date.parse(t ?? e.metadata.creationTimestamp);
}

async function q(query: string, headers: Record<string, string> = ADMIN): Promise<Json> {
  const r = await h.query<Json>(query, undefined, headers);
  expect(r.errors, query).toBeUndefined();
  return r.data;
}

beforeAll(async () => {
  await requireKubectl();
  sim = await startSimulator({ churnPerSecond: 0, scenario: SCENARIO });
  sim.pauseActivity();
  // Team namespaces only: node events live in "default", which the limited principal must not see.
  const withEvents = [...new Set([...sim.store.scan('events')].map((e) => e.metadata.namespace!))]
    .filter((ns) => ns !== 'default' && ns !== 'kube-system')
    .sort();
  [mine, other] = withEvents;
  if (!other) throw new Error('the scenario has events in fewer than two namespaces: pick another seed');
  const pods = [...sim.store.scan('pods')];
  target = pods.find(
    (p) =>
      p.metadata.namespace === mine &&
      [...sim.store.scan('events')].some((e) => (e as Json).involvedObject.name === p.metadata.name),
  )!;
  const node = [...sim.store.scan('nodes')][0].metadata.name;
  const pod = { kind: 'Pod', name: target.metadata.name, namespace: mine, apiVersion: 'v1' };
  // Confusers: the same name in another namespace, and another kind of the same name.
  sim.store.create('events', event('same-name-elsewhere', other, { ...pod, namespace: other }));
  sim.store.create(
    'events',
    event('same-name-other-kind', mine, { ...pod, kind: 'Job', apiVersion: 'batch/v1' }),
  );
  // About the pod, a Warning, the newest event of the cluster, with a series.
  sim.store.create(
    'events',
    event('target-backoff', mine, pod, {
      reason: 'BackOff',
      type: 'Warning',
      count: 4,
      series: { count: 9, lastObservedTime: '2031-01-01T00:00:00.000000Z' },
    }),
  );
  sim.store.create(
    'events',
    event(
      'node-not-ready',
      'default',
      { kind: 'Node', name: node, apiVersion: 'v1' },
      {
        reason: 'NodeNotReady',
        type: 'Warning',
      },
    ),
  );
  h = await startHarness({
    existingSimulator: sim,
    tokens: [
      { token: 'admin-token', name: 'admin', clusters: '*', namespaces: '*' },
      { token: TEAM_TOKEN, name: 'team', clusters: ['sim'], namespaces: [mine] },
    ],
  });
  kubectl = new Kubectl(sim.kubeconfig());
}, 60_000);

afterAll(async () => {
  for (const sub of open) sub.dispose();
  kubectl?.cleanup();
  await h?.close();
  await sim?.close();
}, 60_000);

const EVENTS = (args: string) =>
  `{ cluster(name: "sim") { events(${args}) { totalCount edges { node {
    name namespace type reason count lastSeen involvedObject { kind name namespace } } } } } }`;

describe('Cluster.events', () => {
  it('each filter selects what the simulator holds', async () => {
    const all = storeEvents();
    const pod = target.metadata.name;
    const cases: [string, (e: Json) => boolean][] = [
      ['', () => true],
      ['type: WARNING', (e) => e.type === 'Warning'],
      ['type: NORMAL', (e) => e.type === 'Normal'],
      ...[...new Set(all.map((e) => e.reason as string))].map((reason): [string, (e: Json) => boolean] => [
        `reason: ${s(reason)}`,
        (e) => e.reason === reason,
      ]),
      ['involvedKind: "Pod"', (e) => e.involvedObject.kind === 'Pod'],
      ['involvedKind: "Node"', (e) => e.involvedObject.kind === 'Node'],
      ['involvedKind: "Job"', (e) => e.involvedObject.kind === 'Job'],
      [`involvedName: ${s(pod)}`, (e) => e.involvedObject.name === pod],
      [
        `involvedKind: "Pod", involvedName: ${s(pod)}`,
        (e) => e.involvedObject.kind === 'Pod' && e.involvedObject.name === pod,
      ],
      [`namespace: ${s(mine)}`, (e) => e.metadata.namespace === mine],
      [`namespace: ${s(other)}`, (e) => e.metadata.namespace === other],
      [
        `namespace: ${s(mine)}, type: WARNING, involvedName: ${s(pod)}`,
        (e) => e.metadata.namespace === mine && e.type === 'Warning' && e.involvedObject.name === pod,
      ],
      [`namespace: ${s(mine)}, reason: "Nothing"`, () => false],
    ];
    for (const [args, filter] of cases) {
      const expected = namesOf(all.filter(filter));
      const conn = (await q(EVENTS(['first: 500', args].filter(Boolean).join(', ')))).cluster.events;
      expect(edgeNames(conn).sort(), args).toEqual(expected);
      expect(conn.totalCount, args).toBe(expected.length);
      if (args && !args.includes('Nothing'))
        expect(expected.length, `${args} selects some`).toBeGreaterThan(0);
      for (const e of conn.edges) {
        if (args.includes('WARNING')) expect(e.node.type).toBe('Warning');
        if (args.includes('NORMAL')) expect(e.node.type).toBe('Normal');
      }
    }
    expect(all.length, 'enough events for the filters to mean something').toBeGreaterThan(100);
  });

  it('lists newest first (lastSeen descending) by default', async () => {
    const all = storeEvents();
    const conn = (await q(EVENTS('first: 500'))).cluster.events;
    expect(conn.totalCount).toBe(all.length);
    const seen = conn.edges.map((e: Json) => Date.parse(e.node.lastSeen));
    for (let i = 1; i < seen.length; i++) expect(seen[i], `edge ${i}`).toBeLessThanOrEqual(seen[i - 1]);
    // The series' lastObservedTime is what counts: the planted one is the newest of all.
    const newest = [...all].sort((a, b) => lastSeenMs(b) - lastSeenMs(a))[0];
    expect(newest.metadata.name).toBe('target-backoff');
    expect(conn.edges[0].node).toMatchObject({ name: 'target-backoff', count: 9, type: 'Warning' });
    expect(conn.edges[0].node.lastSeen).toMatch(/^2031-01-01T00:00:00/);
    // Each event's lastSeen is the store's own (series, last, event time, first, creation).
    const byName = new Map(all.map((e) => [`${e.metadata.namespace}/${e.metadata.name}`, lastSeenMs(e)]));
    for (const { node } of conn.edges) {
      expect(Date.parse(node.lastSeen), node.name).toBe(byName.get(`${node.namespace}/${node.name}`));
    }
  });

  it('bad input is BAD_USER_INPUT saying what was expected and what came', async () => {
    const cases: [string, RegExp][] = [
      [
        'reason: "no spaces allowed"',
        /expected "reason" to be an event reason.*received "no spaces allowed"/,
      ],
      ['involvedKind: "9Pods"', /expected "involvedKind" to be a kind name.*received "9Pods"/],
      [
        'namespace: "Not_A_Namespace"',
        /expected "namespace" to be a namespace name.*received "Not_A_Namespace"/,
      ],
      ['involvedName: "UPPER CASE"', /expected "involvedName" to be an object name.*received "UPPER CASE"/],
    ];
    for (const [args, message] of cases) {
      const r = await h.query<Json>(EVENTS(args), undefined, ADMIN);
      expect(codes(r), args).toEqual(['BAD_USER_INPUT']);
      expect(r.errors![0].message, args).toMatch(message);
      expect(r.errors![0].path, args).toEqual(['cluster', 'events']);
      expect(r.data?.cluster?.events ?? null, args).toBeNull();
    }
    // The same checks guard the per-object connections' reason.
    const r = await h.query<Json>(
      `{ cluster(name: "sim") { pod(namespace: ${s(mine)}, name: ${s(target.metadata.name)}) { events(reason: "a b") { totalCount } } } }`,
      undefined,
      ADMIN,
    );
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0].message).toMatch(/expected "reason".*received "a b"/);
  });
});

describe('Pod.events', () => {
  /** Pods that have events: the target (with its confusers) and a few more, over both namespaces. */
  function podsWithEvents(): KubeObject[] {
    const about = new Set(
      storeEvents()
        .filter((e) => e.involvedObject.kind === 'Pod')
        .map((e) => `${e.metadata.namespace}/${e.involvedObject.name}`),
    );
    const pods = [...sim.store.scan('pods')].filter((p) =>
      about.has(`${p.metadata.namespace}/${p.metadata.name}`),
    );
    const pick = [target, ...pods.filter((p) => p.metadata.namespace === other).slice(0, 3)];
    pick.push(...pods.filter((p) => p.metadata.namespace === mine && p !== target).slice(0, 2));
    return pick;
  }

  const POD_EVENTS = (p: KubeObject) =>
    `{ cluster(name: "sim") { pod(namespace: ${s(p.metadata.namespace!)}, name: ${s(p.metadata.name)}) {
      events(first: 500) { totalCount edges { node { name involvedObject { kind name namespace } } } } } } }`;

  it('are exactly the events whose involvedObject is that pod', async () => {
    const pods = podsWithEvents();
    expect(pods.length).toBeGreaterThanOrEqual(5);
    for (const p of pods) {
      const ns = p.metadata.namespace!;
      const expected = namesOf(
        storeEvents().filter(
          (e) =>
            e.metadata.namespace === ns &&
            e.involvedObject.kind === 'Pod' &&
            e.involvedObject.name === p.metadata.name,
        ),
      );
      const conn = (await q(POD_EVENTS(p))).cluster.pod.events;
      expect(edgeNames(conn).sort(), `${ns}/${p.metadata.name}`).toEqual(expected);
      expect(conn.totalCount).toBe(expected.length);
      expect(expected.length).toBeGreaterThan(0);
    }
    const names = edgeNames((await q(POD_EVENTS(target))).cluster.pod.events);
    expect(names).toContain('target-backoff');
    expect(names).not.toContain('same-name-elsewhere');
    expect(names).not.toContain('same-name-other-kind');
  });

  it('agree with `kubectl get events -n NS --field-selector involvedObject.name=POD`', async () => {
    for (const p of podsWithEvents()) {
      const ns = p.metadata.namespace!;
      const name = p.metadata.name;
      const conn = (await q(POD_EVENTS(p))).cluster.pod.events;
      const selector =
        p === target
          ? // kubectl selects by name alone: the Job of the same name is told apart by kind
            `involvedObject.name=${name},involvedObject.kind=Pod`
          : `involvedObject.name=${name}`;
      const out = JSON.parse(
        await kubectl.ok(['get', 'events', '-n', ns, '--field-selector', selector, '-o', 'json']),
      );
      const fromKubectl = out.items.map((e: Json) => e.metadata.name).sort();
      expect(edgeNames(conn).sort(), `${ns}/${name}`).toEqual(fromKubectl);
      expect(conn.totalCount, `${ns}/${name}`).toBe(out.items.length);
    }
    // Without the kind, kubectl also lists the Job's event of the same name (and only that one more).
    const plain = JSON.parse(
      await kubectl.ok([
        'get',
        'events',
        '-n',
        mine,
        '--field-selector',
        `involvedObject.name=${target.metadata.name}`,
        '-o',
        'json',
      ]),
    );
    const conn = (await q(POD_EVENTS(target))).cluster.pod.events;
    expect(plain.items.length).toBe(conn.totalCount + 1);
    expect(plain.items.map((e: Json) => e.metadata.name)).toContain('same-name-other-kind');
  });
});

describe('a principal limited to one namespace', () => {
  it('sees no event of another namespace in Cluster.events or its totalCount', async () => {
    const ofMine = storeEvents().filter((e) => e.metadata.namespace === mine);
    const data = await q(
      `{ cluster(name: "sim") {
        all: events(first: 500) { totalCount edges { node { namespace name } } }
        warnings: events(type: WARNING) { totalCount edges { node { namespace name } } }
        byName: events(involvedName: ${s(target.metadata.name)}) { totalCount edges { node { namespace name } } }
        nodes: events(involvedKind: "Node") { totalCount }
      } }`,
      TEAM,
    );
    const { all, warnings, byName, nodes } = data.cluster;
    expect(all.totalCount).toBe(ofMine.length);
    expect(edgeNames(all).sort()).toEqual(namesOf(ofMine));
    for (const conn of [all, warnings, byName]) {
      for (const e of conn.edges) expect(e.node.namespace).toBe(mine);
    }
    expect(edgeNames(byName)).not.toContain('same-name-elsewhere');
    expect(nodes.totalCount).toBe(0); // node events live in "default"
    // Asking for the other namespace gives nothing of it.
    const r = await h.query<Json>(EVENTS(`namespace: ${s(other)}`), undefined, TEAM);
    const leaked = r.data?.cluster?.events?.edges ?? [];
    expect(leaked).toEqual([]);
    expect(r.data?.cluster?.events?.totalCount ?? 0).toBe(0);
  });

  it('gets no event of another namespace from the events subscription', async () => {
    const before = serverSubscriptions(h);
    const sub = subscribe(
      'sse',
      h.url,
      'subscription { events(initial: true) { type object { name namespace } } }',
      {
        token: TEAM_TOKEN,
      },
    );
    open.push(sub);
    await listeners(h, before + 1);
    const expected = namesOf(storeEvents().filter((e) => e.metadata.namespace === mine));
    await sub.count(expected.length);
    sim.store.create('events', event('team-other-ns', other, { kind: 'Pod', name: 'x', namespace: other }));
    sim.store.create('events', event('team-own-ns', mine, { kind: 'Pod', name: 'x', namespace: mine }));
    await sub.eventFor('team-own-ns', 'ADDED');
    const names = sub.events.map((e: Json) => e.object.name);
    expect(names).not.toContain('team-other-ns');
    for (const e of sub.events) expect(e.object.namespace).toBe(mine);
    expect(names.slice(0, expected.length).sort()).toEqual(expected);
    expect(sub.errors).toEqual([]);
    sub.dispose();
    await listeners(h, before);
  });
});

describe.each(TRANSPORTS)('the events subscription over %s', (transport) => {
  it('with initial and filters: the matching existing events, then a new matching one, not a non-matching one', async () => {
    const reason = 'Started';
    const matching = (e: Json) =>
      e.metadata.namespace === other &&
      e.involvedObject.kind === 'Pod' &&
      e.reason === reason &&
      e.type === 'Normal';
    const expected = namesOf(storeEvents().filter(matching));
    expect(expected.length).toBeGreaterThan(1);
    const before = serverSubscriptions(h);
    const sub = subscribe(
      transport,
      h.url,
      `subscription($ns: String, $reason: String) {
        events(initial: true, namespace: $ns, reason: $reason, type: NORMAL, involvedKind: "Pod") {
          type cluster object { name namespace reason type involvedObject { kind name } } } }`,
      { token: 'admin-token', variables: { ns: other, reason } },
    );
    open.push(sub);
    await listeners(h, before + 1);
    await sub.count(expected.length);
    expect(sub.events.every((e: Json) => e.type === 'ADDED' && e.cluster === 'sim')).toBe(true);
    expect(sub.events.map((e: Json) => e.object.name).sort()).toEqual(expected);

    const pod = { kind: 'Pod', name: `sub-${transport}`, namespace: other, apiVersion: 'v1' };
    // Each misses one filter; created first, so they would arrive before the matching one.
    sim.store.create('events', event(`${transport}-wrong-reason`, other, pod, { reason: 'Pulled' }));
    sim.store.create('events', event(`${transport}-wrong-type`, other, pod, { reason, type: 'Warning' }));
    sim.store.create('events', event(`${transport}-wrong-ns`, mine, { ...pod, namespace: mine }, { reason }));
    sim.store.create('events', event(`${transport}-wrong-kind`, other, { ...pod, kind: 'Job' }, { reason }));
    sim.store.create('events', event(`${transport}-match`, other, pod, { reason }));
    const added = await sub.eventFor(`${transport}-match`, 'ADDED');
    expect(added.object).toMatchObject({
      namespace: other,
      reason,
      type: 'Normal',
      involvedObject: { kind: 'Pod', name: pod.name },
    });
    expect(sub.events).toHaveLength(expected.length + 1);
    expect(sub.errors).toEqual([]);
    sub.dispose();
    await listeners(h, before);
  });
});
