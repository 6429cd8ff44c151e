/**
 * Read-your-writes: a mutation answers once the gateway's cache shows its write, so the
 * query a page sends right after it (a new HTTP request, no sleep) sees the change —
 * always. 200 iterations of mutate-then-query over every kind of write (a label, a
 * creation, a deletion, a cordon), never stale; and while the informer's watch is down
 * (so the cache cannot have the write when the API server answers) the mutation waits for
 * it, and reports `visible: false` only when the bound runs out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simFetch } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { type Json, startWriteKit, type WriteKit } from './kit.js';

const NS = 'writes-ryw';
let k: WriteKit;
let podId: string;
let node: string;

beforeAll(async () => {
  k = await startWriteKit({
    // Limits out of the way: this measures freshness, not throttling.
    writes: { qps: 100_000, burst: 100_000, perPrincipal: { perMinute: 1_000_000 } },
  });
  await k.namespace(NS);
  await k.pod(NS, 'subject', { labels: { n: '0' } });
  for (let i = 0; i < 50; i++) await k.pod(NS, `victim-${i}`);
  node = [...k.h.sim.store.scan('nodes')][0].metadata.name;
  podId = await waitFor(
    async () =>
      (await k.gql(`{ cluster(name: "sim") { pod(namespace: "${NS}", name: "subject") { id } } }`)).data
        .cluster.pod?.id,
    'the pod in the cache',
  );
  await waitFor(
    async () =>
      (await k.gql(`{ cluster(name: "sim") { pods(namespace: "${NS}") { totalCount } } }`)).data.cluster.pods
        .totalCount === 51,
    'the victims in the cache',
  );
}, 60_000);

afterAll(() => k?.close(), 30_000);

async function faults(body: object): Promise<void> {
  const res = await simFetch(k.h.sim, '/simulator/faults', {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  expect(res.status).toBe(200);
  await res.text();
}

/** One mutation, checked, then the query that must see it. Returns what was stale, if anything. */
async function step(i: number): Promise<string | undefined> {
  const ok = (r: Json, field: string) => {
    if (r.errors) throw new Error(`iteration ${i} ${field}: ${JSON.stringify(r.errors)}`);
    if (r.data[field].visible !== true) return `iteration ${i}: ${field} answered visible: false`;
    return undefined;
  };
  switch (i % 5) {
    case 0: {
      const v = String(i);
      const m = await k.gql(
        'mutation($id: ID!, $v: String!) { setLabels(id: $id, set: [{ key: "n", value: $v }]) { visible } }',
        { id: podId, v },
      );
      const bad = ok(m, 'setLabels');
      if (bad) return bad;
      const q = await k.gql(
        `query($id: ID!, $sel: String!) { node(id: $id) { ... on Pod { label(key: "n") } }
          cluster(name: "sim") { pods(namespace: "${NS}", labelSelector: $sel) { totalCount } } }`,
        { id: podId, sel: `n=${v}` },
      );
      if (q.data.node.label !== v) return `iteration ${i}: label n is ${q.data.node.label}, wrote ${v}`;
      if (q.data.cluster.pods.totalCount !== 1)
        return `iteration ${i}: the selector n=${v} matched ${q.data.cluster.pods.totalCount}`;
      return undefined;
    }
    case 1: {
      const m = await k.gql(
        `mutation { createJob(input: { cluster: "sim", namespace: "${NS}", name: "ryw-${i}", image: "busybox" }) { visible } }`,
      );
      const bad = ok(m, 'createJob');
      if (bad) return bad;
      const q = await k.gql(
        `{ cluster(name: "sim") { job(namespace: "${NS}", name: "ryw-${i}") { name } } }`,
      );
      return q.data.cluster.job?.name === `ryw-${i}` ? undefined : `iteration ${i}: job ryw-${i} not found`;
    }
    case 2: {
      const m = await k.gql(
        `mutation { deleteJob(cluster: "sim", namespace: "${NS}", name: "ryw-${i - 1}") { visible } }`,
      );
      const bad = ok(m, 'deleteJob');
      if (bad) return bad;
      const q = await k.gql(
        `{ cluster(name: "sim") { job(namespace: "${NS}", name: "ryw-${i - 1}") { name } } }`,
      );
      return q.data.cluster.job === null ? undefined : `iteration ${i}: job ryw-${i - 1} still there`;
    }
    case 3: {
      const cordon = i % 2 === 1;
      const m = await k.gql(
        `mutation { ${cordon ? 'cordonNode' : 'uncordonNode'}(cluster: "sim", name: "${node}") { visible } }`,
      );
      const bad = ok(m, cordon ? 'cordonNode' : 'uncordonNode');
      if (bad) return bad;
      const q = await k.gql(`{ cluster(name: "sim") { node(name: "${node}") { unschedulable } } }`);
      return q.data.cluster.node.unschedulable === cordon
        ? undefined
        : `iteration ${i}: unschedulable is not ${cordon}`;
    }
    default: {
      const victim = `victim-${(i - 4) / 5}`;
      const m = await k.gql(
        `mutation { deletePod(cluster: "sim", namespace: "${NS}", name: "${victim}", gracePeriodSeconds: 0) { visible } }`,
      );
      const bad = ok(m, 'deletePod');
      if (bad) return bad;
      const q = await k.gql(`{ cluster(name: "sim") { pod(namespace: "${NS}", name: "${victim}") { name }
        pods(namespace: "${NS}") { totalCount } } }`);
      // The subject and the victims not deleted yet: this one is the ((i - 4) / 5 + 1)th gone.
      const left = 1 + 50 - ((i - 4) / 5 + 1);
      return q.data.cluster.pod === null && q.data.cluster.pods.totalCount === left
        ? undefined
        : `iteration ${i}: pod ${victim} still there (${q.data.cluster.pods.totalCount} pods, expected ${left})`;
    }
  }
}

describe('read-your-writes', () => {
  it('200 iterations of mutate-then-query, no sleep: never stale', async () => {
    const stale: string[] = [];
    try {
      // Every tenth iteration the informers' watches end and take 100 ms to come back, so
      // some writes land while the cache cannot have them yet (on a quiet localhost the
      // informer would otherwise always beat the next query, and the loop prove little).
      await faults({ latencyMs: 100, verbs: ['WATCH'] });
      for (let i = 0; i < 200; i++) {
        if (i % 10 === 0) await faults({ dropWatches: 'end' });
        const problem = await step(i);
        if (problem) stale.push(problem);
      }
    } finally {
      await faults({ reset: true });
    }
    expect(stale).toEqual([]);
    expect(k.records.filter((r) => r.code === 'OK' && r.visible === true).length).toBeGreaterThanOrEqual(200);
  }, 120_000);

  it('waits out an informer whose watch is down, so the answer is never ahead of the cache', async () => {
    try {
      // Every new watch of jobs waits 400 ms at the server; the open ones end now. So when the
      // API server answers the create, the gateway's job informer cannot have it yet.
      await faults({ latencyMs: 400, verbs: ['WATCH'], resources: ['jobs'], dropWatches: 'end' });
      const m = await k.gql(
        `mutation { createJob(input: { cluster: "sim", namespace: "${NS}", name: "late", image: "busybox" }) { job { name } visible } }`,
      );
      expect(m.data.createJob).toEqual({ job: { name: 'late' }, visible: true });
      const q = await k.gql(`{ cluster(name: "sim") { job(namespace: "${NS}", name: "late") { name } } }`);
      expect(q.data.cluster.job).toEqual({ name: 'late' });
    } finally {
      await faults({ reset: true });
    }
  });
});

describe('without the cache', () => {
  it('a mutation is visible at once: the next query reads the API server, which has it', async () => {
    const direct = await startWriteKit({ cache: false });
    try {
      await direct.namespace(NS);
      await direct.pod(NS, 'direct', { labels: { n: '0' } });
      const { data } = await direct.gql(
        `{ cluster(name: "sim") { pod(namespace: "${NS}", name: "direct") { id } } }`,
      );
      for (let i = 1; i <= 5; i++) {
        const m = await direct.gql(
          'mutation($id: ID!, $v: String!) { setLabels(id: $id, set: [{ key: "n", value: $v }]) { visible } }',
          { id: data.cluster.pod.id, v: String(i) },
        );
        expect(m.data.setLabels.visible).toBe(true);
        const q = await direct.gql('query($id: ID!) { node(id: $id) { ... on Pod { label(key: "n") } } }', {
          id: data.cluster.pod.id,
        });
        expect(q.data.node.label).toBe(String(i));
      }
    } finally {
      await direct.close();
    }
  });
});
