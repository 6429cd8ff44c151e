/**
 * The cluster summary's node and job part is memoised until a Node or Job informer
 * changes: a cached answer must never outlive the change that invalidates it.
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
 * How many times the summary walked the cached Nodes and Jobs while `run` ran: what a
 * recomputation does and a memo hit does not. Equal answers cannot tell them apart.
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

describe('cluster summary memoisation', () => {
  it('follows node, job and pod changes after being cached', async () => {
    // The first answer walks every node and job (and memoises it); the spy sees that walk,
    // so a zero below means the memo answered, not that the spy is blind.
    const { result: before, walks: cold } = await objectWalks(summary);
    expect(cold).toBeGreaterThan(0);
    const { result: again, walks: warm } = await objectWalks(summary);
    expect(warm).toBe(0); // served from the memo: no node or job was read
    expect(again).toEqual(before); // and the same answer

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
  });
});
