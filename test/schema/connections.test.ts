/**
 * Connections over HTTP: every filter against the simulator's store, every order, paging
 * forwards and backwards, and the BAD_USER_INPUT errors (with where and what) for bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PodsPageDocument, type PodsPageQueryVariables } from '../../src/generated/graphql.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { codes, type Json, jobOwner, phaseOf, run, SCENARIO, simObjects } from './helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ simulator: { scenario: SCENARIO } });
});
afterAll(() => h?.close(), 60_000);

async function pods(vars: Omit<PodsPageQueryVariables, 'cluster'>) {
  const r = await run(h, PodsPageDocument, { cluster: 'sim', first: 500, ...vars });
  expect(r.errors).toBeUndefined();
  return r.data!.cluster!.pods!;
}

const keyOf = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;
const simKeys = (filter: (p: Json) => boolean) =>
  simObjects(h, 'pods')
    .filter(filter)
    .map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
    .sort();

describe('filters', () => {
  it('namespace, nodeName, phase, jobName, search each select what the cluster has', async () => {
    const sample = simObjects(h, 'pods').find((p) => jobOwner(p))!;
    const ns = sample.metadata.namespace!;
    const node = simObjects(h, 'pods').find((p) => p.spec?.nodeName)!.spec.nodeName;
    const cases: [Omit<PodsPageQueryVariables, 'cluster'>, (p: Json) => boolean][] = [
      [{ namespace: ns }, (p) => p.metadata.namespace === ns],
      [{ nodeName: node }, (p) => p.spec?.nodeName === node],
      [{ phase: 'RUNNING' }, (p) => phaseOf(p) === 'Running'],
      [{ phase: 'FAILED' }, (p) => phaseOf(p) === 'Failed'],
      [
        { namespace: ns, phase: 'SUCCEEDED' },
        (p) => p.metadata.namespace === ns && phaseOf(p) === 'Succeeded',
      ],
      [{ search: 'API' }, (p) => p.metadata.name.toLowerCase().includes('api')],
    ];
    for (const [vars, filter] of cases) {
      const page = await pods(vars);
      const expected = simKeys(filter);
      expect(expected.length, JSON.stringify(vars)).toBeGreaterThan(0);
      expect(page.edges.map((e) => keyOf(e.node)).sort(), JSON.stringify(vars)).toEqual(expected);
      expect(page.totalCount).toBe(expected.length);
    }
    const r = await h.query<Json>(
      `query($ns: String!, $job: String!) { cluster(name: "sim") { pods(namespace: $ns, jobName: $job) {
        totalCount edges { node { name job { name } } } } } }`,
      { ns, job: jobOwner(sample) },
    );
    const expected = simKeys((p) => p.metadata.namespace === ns && jobOwner(p) === jobOwner(sample));
    expect(r.data.cluster.pods.totalCount).toBe(expected.length);
    for (const e of r.data.cluster.pods.edges) expect(e.node.job.name).toBe(jobOwner(sample));
  });

  it('labelSelector takes Kubernetes syntax: equality, sets, existence', async () => {
    const labelled = simObjects(h, 'pods').filter((p) => p.metadata.labels?.['app.kubernetes.io/name']);
    const [a, b] = [...new Set(labelled.map((p) => p.metadata.labels!['app.kubernetes.io/name']))];
    const cases: [string, (p: Json) => boolean][] = [
      [`app.kubernetes.io/name=${a}`, (p) => p.metadata.labels?.['app.kubernetes.io/name'] === a],
      [
        `app.kubernetes.io/name in (${a},${b})`,
        (p) => [a, b].includes(p.metadata.labels?.['app.kubernetes.io/name']),
      ],
      ['!app.kubernetes.io/name', (p) => p.metadata.labels?.['app.kubernetes.io/name'] === undefined],
      [
        `tier,app.kubernetes.io/name!=${a}`,
        (p) => p.metadata.labels?.tier !== undefined && p.metadata.labels?.['app.kubernetes.io/name'] !== a,
      ],
    ];
    for (const [labelSelector, filter] of cases) {
      const page = await pods({ labelSelector });
      const expected = simKeys(filter);
      expect(expected.length, labelSelector).toBeGreaterThan(0);
      expect(page.edges.map((e) => keyOf(e.node)).sort(), labelSelector).toEqual(expected);
    }
  });

  it('filters jobs by state, nodes by label, namespaces by name', async () => {
    const r = await h.query<Json>(`{ cluster(name: "sim") {
      complete: jobs(state: COMPLETE) { totalCount edges { node { state } } }
      workers: nodes(labelSelector: "node-role.kubernetes.io/worker") { totalCount }
      dev: namespaces(search: "dev") { edges { node { name } } } } }`);
    expect(r.errors).toBeUndefined();
    const jobs = simObjects(h, 'jobs').filter((j) =>
      (j.status?.conditions ?? []).some((c: Json) => c.type === 'Complete' && c.status === 'True'),
    );
    expect(r.data.cluster.complete.totalCount).toBe(jobs.length);
    expect(r.data.cluster.complete.edges.every((e: Json) => e.node.state === 'COMPLETE')).toBe(true);
    expect(r.data.cluster.workers.totalCount).toBe(
      simObjects(h, 'nodes').filter((n) => 'node-role.kubernetes.io/worker' in (n.metadata.labels ?? {}))
        .length,
    );
    expect(r.data.cluster.dev.edges.map((e: Json) => e.node.name)).toEqual(
      simObjects(h, 'namespaces')
        .map((n) => n.metadata.name)
        .filter((n) => n.includes('dev'))
        .sort(),
    );
  });
});

describe('orderBy', () => {
  const PHASES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'UNKNOWN'];
  const value: Record<string, (p: Json) => string | number> = {
    NAME: (p) => p.name,
    NAMESPACE: (p) => p.namespace,
    CREATED_AT: (p) => Date.parse(p.createdAt),
    PHASE: (p) => PHASES.indexOf(p.phase),
    RESTARTS: (p) => p.restarts,
    NODE: (p) => p.nodeName ?? '',
  };

  for (const field of Object.keys(value) as (keyof typeof value)[]) {
    for (const direction of ['ASC', 'DESC'] as const) {
      it(`${field} ${direction}`, async () => {
        const page = await pods({ orderBy: { field: field as never, direction } });
        const values = page.edges.map((e) => value[field](e.node));
        const sorted = [...values].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
        expect(values).toEqual(direction === 'ASC' ? sorted : sorted.reverse());
        expect(page.totalCount).toBe(h.sim.store.count('pods'));
      });
    }
  }
});

describe('pagination', () => {
  it('pages forwards with first/after and backwards with last/before over the same order', async () => {
    const all = (await pods({ orderBy: { field: 'CREATED_AT', direction: 'DESC' } })).edges.map((e) =>
      keyOf(e.node),
    );
    const forwards: string[] = [];
    let after: string | null | undefined;
    for (let i = 0; ; i++) {
      const page = await pods({ first: 7, after, orderBy: { field: 'CREATED_AT', direction: 'DESC' } });
      forwards.push(...page.edges.map((e) => keyOf(e.node)));
      expect(page.pageInfo.hasPreviousPage).toBe(i > 0);
      expect(page.totalCount).toBe(all.length);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(forwards).toEqual(all);

    const backwards: string[] = [];
    let before: string | null | undefined;
    for (;;) {
      const page = await pods({
        first: null,
        last: 9,
        before,
        orderBy: { field: 'CREATED_AT', direction: 'DESC' },
      });
      backwards.unshift(...page.edges.map((e) => keyOf(e.node)));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(backwards).toEqual(all);
  });

  it('gives each edge a cursor that continues right after it', async () => {
    const page = await pods({ first: 10 });
    const next = await pods({ first: 3, after: page.edges[4].cursor });
    expect(next.edges.map((e) => e.node.uid)).toEqual(page.edges.slice(5, 8).map((e) => e.node.uid));
    const empty = await pods({ first: 0 });
    expect(empty.edges).toEqual([]);
    expect(empty.pageInfo.hasNextPage).toBe(true);
  });
});

describe('bad input is BAD_USER_INPUT and says what was expected', () => {
  async function expectBadInput(vars: Omit<PodsPageQueryVariables, 'cluster'>, message: RegExp) {
    const r = await run(h, PodsPageDocument, { cluster: 'sim', ...vars });
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0].message).toMatch(message);
    expect(r.errors![0].path).toEqual(['cluster', 'pods']);
    expect(r.data!.cluster).toMatchObject({ name: 'sim', pods: null });
    return r.errors![0];
  }

  it('a page larger than the maximum, negative, or both directions', async () => {
    await expectBadInput({ first: 501 }, /"first" to be an integer from 0 to 500, received 501/);
    await expectBadInput({ first: null, last: -1 }, /"last" .* received -1/);
    await expectBadInput({ first: 2, last: 2 }, /either "first" or "last", received both/);
  });

  it('a label selector that does not parse, with the position', async () => {
    const e = await expectBadInput(
      { labelSelector: 'app in (web' },
      /at position 11: expected "," or "\)", found end of input/,
    );
    expect(e.extensions).toMatchObject({ position: 11, expected: '"," or ")"', found: 'end of input' });
  });

  it('names that are not Kubernetes names', async () => {
    await expectBadInput(
      { namespace: 'Bad_NS' },
      /expected "namespace" to be a namespace name .* received "Bad_NS"/,
    );
    await expectBadInput({ nodeName: 'a,status.phase=Running' }, /expected "nodeName" to be an object name/);
  });

  it('cursors that are garbage or belong to another order', async () => {
    await expectBadInput({ after: 'not-a-cursor' }, /expected "after" to be a cursor/);
    const page = await pods({ first: 1, orderBy: { field: 'NAME', direction: 'ASC' } });
    await expectBadInput(
      { after: page.pageInfo.endCursor, orderBy: { field: 'CREATED_AT', direction: 'ASC' } },
      /made for orderBy \{field: NAME, direction: ASC\}, but this query orders by \{field: CREATED_AT/,
    );
  });

  it('global IDs that this gateway did not make', async () => {
    const r = await h.query(`{ node(id: "bm90LWEtcmVhbC1pZA") { id } }`);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.errors![0].message).toMatch(/expected a global ID returned by this gateway/);
  });
});
