/**
 * What a dashboard page costs the API server, counted by the simulator's /metrics:
 * nothing once the caches have synced, and without the cache a small fixed number that
 * does not grow with the page size (50 nodes with their pods: ONE pod LIST, not 50).
 * The loaders' batches are recorded through createContext's onBatch hook.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { graphql, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClusterOverviewDocument,
  JobsPageDocument,
  NodesPageDocument,
  PodByIdDocument,
  PodDetailDocument,
  PodsPageDocument,
} from '../../src/generated/graphql.js';
import { createContext } from '../../src/loaders/index.js';
import { OPEN_ACCESS, type StaticPrincipal } from '../../src/loaders/principal.js';
import { EXAMPLE_QUERY } from '../../src/schema/example.js';
import { buildSchema } from '../../src/schema/index.js';
import { type Harness, requestCount, setSimFaults, startHarness } from '../helpers/harness.js';
import { type Json, jobOwner, run, simObjects } from './helpers.js';

/** 50 nodes, so "a page of 50 nodes with their pods" is a real page; few pods, so one LIST page. */
const WIDE = { nodes: 50, pods: 150, jobs: 6, namespaces: 3, seed: 21 };

type Op = [name: string, doc: TypedDocumentNode<Json, Json> | string, vars: Record<string, unknown>];

function dashboard(h: Harness): Op[] {
  const pod = simObjects(h, 'pods').find((p) => jobOwner(p) && p.spec?.nodeName)!;
  const labelled = simObjects(h, 'pods').find((p) => p.metadata.labels?.['app.kubernetes.io/name'])!;
  return [
    ['cluster overview', ClusterOverviewDocument, {}],
    ['nodes page (50)', NodesPageDocument, { cluster: 'sim', first: 50 }],
    ['jobs page', JobsPageDocument, { cluster: 'sim' }],
    [
      'pods page (namespace + labelSelector + phase)',
      PodsPageDocument,
      {
        cluster: 'sim',
        namespace: labelled.metadata.namespace,
        labelSelector: `app.kubernetes.io/name=${labelled.metadata.labels!['app.kubernetes.io/name']}`,
        phase: 'RUNNING',
      },
    ],
    [
      'pod detail',
      PodDetailDocument,
      { cluster: 'sim', namespace: pod.metadata.namespace, name: pod.metadata.name },
    ],
    ['GraphiQL example', EXAMPLE_QUERY, {}],
  ];
}

const setFaults = (h: Harness, body: object) => setSimFaults(h.sim, body);

interface Cost {
  LIST: number;
  GET: number;
  podLists: number;
}

async function cost(h: Harness, [name, doc, vars]: Op): Promise<Cost> {
  const before = await h.upstream();
  const r = await h.query(typeof doc === 'string' ? doc : print(doc), vars);
  expect(r.errors, name).toBeUndefined();
  const after = await h.upstream();
  const delta = (verb: string, resource?: string) =>
    requestCount(after, verb, resource) - requestCount(before, verb, resource);
  return { LIST: delta('LIST'), GET: delta('GET'), podLists: delta('LIST', 'pods') };
}

describe('with the cache synced', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ simulator: { scenario: WIDE } });
  });
  afterAll(() => h?.close(), 60_000);

  it('a dashboard costs 0 upstream requests', async () => {
    await h.query('{ clusters { version } }'); // the version is asked once per cluster, then remembered
    const costs: Record<string, Cost> = {};
    for (const op of dashboard(h)) costs[op[0]] = await cost(h, op);
    console.table(costs);
    for (const [name, c] of Object.entries(costs)) expect(c, name).toEqual({ LIST: 0, GET: 0, podLists: 0 });
  });

  /** Operations run in this process as `principal`, the loaders' batches recorded (createContext's onBatch). */
  function inProcess(principal: StaticPrincipal) {
    const batches: string[] = [];
    const contextValue = createContext({
      directory: h.registry,
      principal,
      onBatch: (loader) => batches.push(loader),
    });
    const query = async (doc: TypedDocumentNode<Json, Json>, variableValues: Record<string, unknown>) => {
      const r = await graphql({ schema: buildSchema(), source: print(doc), variableValues, contextValue });
      expect(r.errors).toBeUndefined();
      return r.data as Json;
    };
    return { batches, query };
  }

  it('answers a jobs page with its pods and a nodes page from memory without a single batch', async () => {
    // The list, nodeUsage and jobPods loaders answer synchronously when the kind is synced and
    // the rights are decided (issue #16): no DataLoader batch, so no promise per connection.
    const { batches, query } = inProcess(OPEN_ACCESS);
    const edges = (await query(JobsPageDocument, { cluster: 'sim', first: 6 })).cluster.jobs.edges;
    expect(edges).toHaveLength(WIDE.jobs);
    expect(edges.some((e: Json) => e.node.pods.totalCount > 0)).toBe(true);
    await query(NodesPageDocument, { cluster: 'sim', first: 50 });
    expect(batches).toEqual([]);
  });

  it('answers a caller granted some namespaces from memory without a batch too, and only those', async () => {
    // A principal limited to namespaces lists through the granted namespaces' index buckets
    // in one synchronous step (ClusterReader.listNowIn), as an open one lists the whole kind.
    const jobsInSim = simObjects(h, 'jobs');
    const namespaces = [...new Set(jobsInSim.map((j) => j.metadata.namespace as string))].sort().slice(0, 2);
    expect(namespaces).toHaveLength(2);
    const { batches, query } = inProcess({ name: 'two-namespaces', clusters: '*', namespaces });
    const edges = (await query(JobsPageDocument, { cluster: 'sim', first: 6 })).cluster.jobs.edges;
    const expected = jobsInSim.filter((j) => namespaces.includes(j.metadata.namespace as string));
    expect(edges.map((e: Json) => `${e.node.namespace}/${e.node.name}`).sort()).toEqual(
      expected.map((j) => `${j.metadata.namespace}/${j.metadata.name}`).sort(),
    );
    expect(edges.some((e: Json) => e.node.pods.totalCount > 0)).toBe(true);
    expect(batches).toEqual([]);
  });

  it('a Relay node(id:) refetch costs nothing either', async () => {
    const pod = simObjects(h, 'pods')[3];
    const r = await run(h, PodDetailDocument, {
      cluster: 'sim',
      namespace: pod.metadata.namespace!,
      name: pod.metadata.name,
    });
    expect(await cost(h, ['pod by id', PodByIdDocument, { id: r.data!.cluster!.pod!.id }])).toEqual({
      LIST: 0,
      GET: 0,
      podLists: 0,
    });
  });
});

describe('without the cache', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ simulator: { scenario: WIDE }, cache: false });
  });
  afterAll(() => h?.close(), 60_000);

  it('costs a small fixed number of requests per page, whatever the page size', async () => {
    await h.query('{ clusters { version } }');
    const costs: Record<string, Cost> = {};
    for (const op of dashboard(h)) costs[op[0]] = await cost(h, op);
    console.table(costs);
    expect(costs['cluster overview']).toEqual({ LIST: 3, GET: 0, podLists: 1 }); // nodes, pods, jobs
    expect(costs['nodes page (50)']).toEqual({ LIST: 2, GET: 0, podLists: 1 }); // nodes, then ONE pod LIST
    expect(costs['jobs page']).toEqual({ LIST: 2, GET: 0, podLists: 1 }); // jobs, then ONE pod LIST
    expect(costs['pods page (namespace + labelSelector + phase)']).toEqual({ LIST: 1, GET: 0, podLists: 1 });
    // A lone lookup is a GET; a lone relation a LIST with its selector pushed down.
    expect(costs['pod detail']).toEqual({ LIST: 2, GET: 3, podLists: 2 });
    expect(costs['GraphiQL example'].podLists).toBe(1);

    for (const first of [1, 5, 50]) {
      expect(
        await cost(h, ['nodes page', NodesPageDocument, { cluster: 'sim', first }]),
        `first: ${first}`,
      ).toEqual({
        LIST: 2,
        GET: 0,
        podLists: 1,
      });
    }
  });

  it('shares one LIST among identical reads in flight together, each answered in full', async () => {
    // The API server answers pod LISTs slowly, so the four pages arrive while the first one's
    // LIST runs: they join it (the cluster's SharedReads) instead of sending three more.
    await setFaults(h, { latencyMs: 600, verbs: ['LIST'], resources: ['pods'] });
    try {
      const op = dashboard(h)[0];
      const before = await h.upstream();
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => h.query(print(op[1] as TypedDocumentNode<Json, Json>), op[2])),
      );
      const after = await h.upstream();
      for (const r of answers) expect(r.errors).toBeUndefined();
      const pods = answers.map((r) => (r.data as Json).clusters[0].summary.pods);
      expect(pods[0]).toBeGreaterThan(0);
      expect(new Set(pods).size).toBe(1);
      expect(requestCount(after, 'LIST', 'pods') - requestCount(before, 'LIST', 'pods')).toBe(1);
      // Settled reads are not kept: the next page lists again.
      expect(await cost(h, op)).toEqual({ LIST: 3, GET: 0, podLists: 1 });
    } finally {
      await setFaults(h, { reset: true });
    }
  });

  it('records one batch per loader for a page of 50 nodes', async () => {
    const batches: [string, readonly unknown[]][] = [];
    const before = await h.upstream();
    const r = await graphql({
      schema: buildSchema(),
      source: print(NodesPageDocument),
      variableValues: { cluster: 'sim', first: 50 },
      contextValue: createContext({
        directory: h.registry,
        principal: OPEN_ACCESS,
        onBatch: (loader, keys) => batches.push([loader, keys]),
      }),
    });
    expect(r.errors).toBeUndefined();
    expect(requestCount(await h.upstream(), 'LIST', 'pods') - requestCount(before, 'LIST', 'pods')).toBe(1);
    const byLoader = (name: string) => batches.filter(([loader]) => loader === name).map(([, keys]) => keys);
    expect(byLoader('nodeUsage').map((keys) => keys.length)).toEqual([50]);
    const lists = byLoader('list') as { kind: string; nodeName?: string }[][];
    expect(lists.map((keys) => keys.length)).toEqual([1, 50]);
    expect(lists[0][0]).toMatchObject({ kind: 'Node' });
    expect(new Set(lists[1].map((k) => k.nodeName)).size).toBe(50);
    expect(lists[1].every((k) => k.kind === 'Pod')).toBe(true);
  });
});
