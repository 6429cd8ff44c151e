/**
 * A client that goes away before its answer (a page closed, a navigation, a dropped
 * connection) stops its execution: no field starts after the disconnect, so the gateway
 * makes no upstream read for an answer nobody will read, and logs no error for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, requestCount, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

const lines: Record<string, unknown>[] = [];
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    cache: false,
    simulator: { scenario: { nodes: 2, pods: 6, jobs: 1, namespaces: 1, seed: 3 } },
    logDestination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  h.sim.pauseActivity();
});

afterAll(async () => {
  await h?.close();
});

/** Reads of nodes the simulator answered (the pods' `node` relation). */
const nodeReads = (m: Map<string, number>) =>
  requestCount(m, 'GET', 'nodes') + requestCount(m, 'LIST', 'nodes');

const QUERY = `{ cluster(name: "sim") { pods(first: 5) { edges { node { name node { name } } } } } }`;

const post = (signal?: AbortSignal) =>
  fetch(h.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query: QUERY }),
    signal,
  });

describe('a client that goes away', () => {
  it('reads nodes for the pods it lists while the client waits (the control)', async () => {
    const before = await h.upstream();
    const res = await post();
    const body = (await res.json()) as {
      data?: { cluster: { pods: { edges: { node: { node: unknown } }[] } } };
    };
    expect(body.data?.cluster.pods.edges.length).toBeGreaterThan(0);
    expect(body.data?.cluster.pods.edges.every((e) => e.node.node !== null)).toBe(true);
    expect(nodeReads(await h.upstream()) - nodeReads(before)).toBeGreaterThan(0);
  });

  it('stops its execution: no node is read once the client has gone', async () => {
    h.sim.injectFaults({ latencyMs: 1_000, verbs: ['LIST'], resources: ['pods'] });
    try {
      const before = await h.upstream();
      const errorsBefore = lines.filter((l) => l.level === 'error').length;
      const abort = new AbortController();
      const answer = post(abort.signal).catch((err: unknown) => err);
      // The execution is waiting on the pods' LIST when the client goes.
      await waitFor(() => h.sim.metrics.listsNow > 0, 'the pods LIST to be in flight');
      abort.abort();
      expect(await answer).toBeInstanceOf(Error);
      await waitFor(() => h.sim.metrics.listsNow === 0, {
        message: 'the pods LIST answered',
        timeoutMs: 5_000,
      });
      // The control's node reads came within milliseconds of its pods' LIST: wait far longer.
      await new Promise((r) => setTimeout(r, 500));
      const after = await h.upstream();
      expect(requestCount(after, 'LIST', 'pods') - requestCount(before, 'LIST', 'pods')).toBe(1);
      expect(nodeReads(after) - nodeReads(before)).toBe(0);
      expect(lines.filter((l) => l.level === 'error').slice(errorsBefore)).toEqual([]);
    } finally {
      h.sim.injectFaults({ reset: true });
    }
  });

  it('leaves the gateway answering the next client', async () => {
    const res = await post();
    expect(res.status).toBe(200);
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
  });
});
