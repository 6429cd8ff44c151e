/**
 * The cluster summary's node, job and pod numbers come from aggregates its informers keep up
 * to date from every change (kube/aggregates.ts): once cached, a summary walks no object,
 * and no answer may lag the change that moved its numbers.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KindName } from '../../src/kube/kinds.js';
import { ClusterReader } from '../../src/kube/reader.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

let h: Harness;
const Q = `{ cluster(name: "sim") { summary { nodes readyNodes jobs jobsByState { suspended } pods } } }`;

type Summary = {
  nodes: number;
  readyNodes: number;
  jobs: number;
  jobsByState: { suspended: number };
  pods: number;
};

async function summary(): Promise<Summary> {
  const r = await h.query<{ cluster: { summary: Summary } }>(Q);
  expect(r.errors).toBeUndefined();
  return r.data!.cluster.summary;
}

/** The first summary that passes `check`: the gateway's caches catch up asynchronously. */
async function until(what: string, check: (s: Summary) => boolean): Promise<Summary> {
  let last: Summary | undefined;
  return waitFor(
    async () => {
      last = await summary();
      return check(last) && last;
    },
    { message: `the summary to reflect ${what}`, timeoutMs: 5000, intervalMs: 50, observe: () => last },
  );
}

beforeAll(async () => {
  h = await startHarness({
    simulator: { scenario: { nodes: 4, pods: 20, jobs: 3, namespaces: 2, seed: 3 } },
  });
  h.sim.pauseActivity();
});

afterAll(async () => {
  await h?.close();
});

/**
 * How many times Nodes and Jobs were listed (walked) while `run` ran: what a computation
 * from the objects does and the aggregates do not. Equal answers cannot tell them apart.
 */
async function objectWalks<T>(run: () => Promise<T>): Promise<{ result: T; walks: number }> {
  // The summary reads lists synchronously when it can (listNow), else through list.
  const list = vi.spyOn(ClusterReader.prototype, 'list');
  const listNow = vi.spyOn(ClusterReader.prototype, 'listNow');
  try {
    const result = await run();
    const walks = [...list.mock.calls, ...listNow.mock.calls].filter(([kind]) =>
      (['Node', 'Job'] as KindName[]).includes(kind),
    ).length;
    return { result, walks };
  } finally {
    list.mockRestore();
    listNow.mockRestore();
  }
}

describe('cluster summary from the aggregates', () => {
  it('walks no node or job, and follows node, job and pod changes', async () => {
    // A page of nodes and jobs walks them: the spy sees that, so the zeros below mean the
    // summary read none, not that the spy is blind.
    const { walks: listed } = await objectWalks(() =>
      h.query(`{ cluster(name: "sim") { nodes(first: 2) { totalCount } jobs(first: 2) { totalCount } } }`),
    );
    expect(listed).toBeGreaterThan(0);
    const { result: before, walks: first } = await objectWalks(summary);
    expect(first).toBe(0);
    expect(before.nodes).toBe(4);
    expect(before.jobs).toBe(3);
    const { result: again, walks: second } = await objectWalks(summary);
    expect(second).toBe(0);
    expect(again).toEqual(before);

    const node = [...h.sim.store.scan('nodes')].find((n) =>
      n.status.conditions.some(
        (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
      ),
    )!;
    h.sim.store.mutate('nodes', undefined, node.metadata.name, (d) => {
      d.status.conditions = d.status.conditions.map((c: { type: string }) =>
        c.type === 'Ready' ? { ...c, status: 'False' } : c,
      );
      return d;
    });
    await until('a node going NotReady', (s) => s.readyNodes === before.readyNodes - 1);

    const job = [...h.sim.store.scan('jobs')].find((j) => !j.spec.suspend)!;
    h.sim.store.mutate('jobs', job.metadata.namespace, job.metadata.name, (d) => {
      d.spec = { ...d.spec, suspend: true };
      d.status = { ...d.status, conditions: [], completionTime: undefined, active: 0 };
      return d;
    });
    await until('a suspended job', (s) => s.jobsByState.suspended === before.jobsByState.suspended + 1);

    const pod = [...h.sim.store.scan('pods')][0];
    h.sim.store.delete('pods', pod.metadata.namespace, pod.metadata.name);
    const after = await until('a deleted pod', (s) => s.pods === before.pods - 1);
    expect(after.nodes).toBe(before.nodes);

    h.sim.store.delete('nodes', undefined, node.metadata.name);
    const gone = await until('a deleted node', (s) => s.nodes === before.nodes - 1);
    // The deleted node was the NotReady one: the Ready count stays.
    expect(gone.readyNodes).toBe(before.readyNodes - 1);
  });
});
