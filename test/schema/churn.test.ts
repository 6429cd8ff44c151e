/**
 * Paging a list that changes between pages: pods are deleted (some already paged past, some
 * not yet reached) and created (before and after the cursor) through the simulator's store.
 * Keyset cursors must return every pod that existed throughout exactly once, and no pod twice.
 * Offsets would fail this: deleting a pod already seen shifts the rest one place back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/simulator/types.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { type Json, SCENARIO } from './helpers.js';

const PAGE = `query($after: String, $field: PodOrderField!, $direction: OrderDirection!) {
  cluster(name: "sim") { pods(first: 6, after: $after, orderBy: { field: $field, direction: $direction }) {
    pageInfo { hasNextPage endCursor } edges { node { uid name } } } } }`;

const harnesses: Harness[] = [];
afterAll(() => Promise.all(harnesses.map((h) => h.close())), 60_000);

function newPod(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { churn: 'yes' } },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
    status: { phase: 'Pending' },
  };
}

async function pageUnderChurn(h: Harness, cached: boolean, field: string, direction: string) {
  const store = h.sim.store;
  const initial = new Map([...store.scan('pods')].map((p) => [p.metadata.uid!, p]));
  const deleted = new Set<string>();
  const seen: string[] = [];
  const informer = h.registry.get('sim')?.informers?.Pod?.store;
  let after: string | null = null;
  for (let round = 0; round < 40; round++) {
    const r: { data?: Json; errors?: unknown } = await h.query<Json>(PAGE, { after, field, direction });
    expect(r.errors).toBeUndefined();
    const page: Json = r.data.cluster.pods;
    seen.push(...page.edges.map((e: Json) => e.node.uid));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;

    // One pod already paged past and one not yet reached go away; three come: first, last, middle.
    const alive = [...initial.values()].filter((p) => !deleted.has(p.metadata.uid!));
    const victims = [
      alive.find((p) => seen.includes(p.metadata.uid!)),
      alive.find((p) => !seen.includes(p.metadata.uid!)),
    ].filter((p): p is KubeObject => p !== undefined);
    for (const p of victims) {
      store.delete('pods', p.metadata.namespace, p.metadata.name);
      deleted.add(p.metadata.uid!);
    }
    const created = ['a', 'zz', alive[Math.floor(alive.length / 2)].metadata.name].map((prefix) =>
      store.create('pods', newPod(`${prefix}-churn-${round}`)),
    );
    if (cached) {
      // Wait until the gateway's cache has seen the changes, or the test would not test them.
      await waitFor(
        () =>
          victims.every((p) => !informer!.get(`${p.metadata.namespace}/${p.metadata.name}`)) &&
          created.every((p) => informer!.get(`default/${p.metadata.name}`)),
        { message: 'the pod cache to catch up', timeoutMs: 5000 },
      );
    }
  }
  const survivors = [...initial.keys()].filter((uid) => !deleted.has(uid));
  expect(deleted.size).toBeGreaterThan(4);
  expect(new Set(seen).size).toBe(seen.length); // no duplicates, churned pods included
  const missing = survivors.filter((uid) => !seen.includes(uid));
  expect(missing.map((uid) => initial.get(uid)!.metadata.name)).toEqual([]); // no gaps
}

describe('pagination under churn', () => {
  it('from the cache: no duplicates, no gaps (NAME ASC)', async () => {
    const h = await startHarness({ simulator: { scenario: SCENARIO } });
    harnesses.push(h);
    await pageUnderChurn(h, true, 'NAME', 'ASC');
  });

  it('from the cache: no duplicates, no gaps (CREATED_AT DESC, where new pods sort first)', async () => {
    const h = await startHarness({ simulator: { scenario: { ...SCENARIO, seed: 11 } } });
    harnesses.push(h);
    await pageUnderChurn(h, true, 'CREATED_AT', 'DESC');
  });

  it('without the cache: no duplicates, no gaps', async () => {
    const h = await startHarness({ simulator: { scenario: SCENARIO }, cache: false });
    harnesses.push(h);
    await pageUnderChurn(h, false, 'NAMESPACE', 'ASC');
  });
});
