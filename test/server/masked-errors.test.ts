/**
 * Unexpected errors are masked for the client and logged: a bug of ours (here a TypeError
 * in the list loader's batch, induced by an object the simulator serves malformed) reaches
 * the client as INTERNAL_SERVER_ERROR with a generic message and the request's id, never as
 * "cluster is unreachable"; the log gets the original error with its stack and the same id.
 * Errors that did come from the API server keep their codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../helpers/harness.js';

const logged: { err: unknown; requestId: string }[] = [];
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    cache: false,
    simulator: { scenario: { nodes: 2, pods: 6, jobs: 1, namespaces: 1, seed: 3 } },
    logError: (err, { requestId }) => logged.push({ err, requestId }),
  });
  // A pod with a null condition: the transform reads `c.type` of it and throws a TypeError.
  h.sim.store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'broken' } });
  h.sim.store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'malformed', namespace: 'broken' },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
    status: { phase: 'Running', conditions: [null] },
  } as never);
});
afterAll(() => h?.close());

describe('masked errors', () => {
  it('masks a TypeError in a batch function, with the request id, and logs it with its stack', async () => {
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'test-req-42' },
      body: JSON.stringify({
        query: '{ cluster(name: "sim") { name pods(namespace: "broken") { totalCount } } }',
      }),
    });
    expect(res.headers.get('x-request-id')).toBe('test-req-42');
    const body = (await res.json()) as {
      data: { cluster: { name: string; pods: unknown } };
      errors: { message: string; path: string[]; extensions: Record<string, unknown> }[];
    };
    // The rest of the answer survives; the field that failed is null with an error at its path.
    expect(body.data.cluster).toEqual({ name: 'sim', pods: null });
    expect(body.errors).toHaveLength(1);
    const [error] = body.errors;
    expect(error.path).toEqual(['cluster', 'pods']);
    expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'test-req-42' });
    expect(error.message).toBe('Unexpected error. It was logged as request test-req-42.');
    expect(error.message).not.toMatch(/TypeError|null|unreachable|type/);

    const entry = logged.find((l) => l.requestId === 'test-req-42');
    expect(entry).toBeDefined();
    expect(entry!.err).toBeInstanceOf(TypeError);
    expect((entry!.err as Error).stack).toMatch(/TypeError/);
  });

  it('gives each request an id of its own when the caller sends none', async () => {
    const before = logged.length;
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: '{ cluster(name: "sim") { pods(namespace: "broken") { totalCount } } }',
      }),
    });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await res.json()) as { errors: { extensions: { requestId: string } }[] };
    expect(body.errors[0].extensions.requestId).toBe(id);
    expect(logged.slice(before).map((l) => l.requestId)).toEqual([id]);
  });

  it('keeps the code of an error that did come from the API server', async () => {
    h.sim.injectFaults({ errorRate: 1, errorCode: 503, verbs: ['LIST'], resources: ['pods'] });
    try {
      const body = await h.query<{ cluster: { pods: unknown } }>(
        '{ cluster(name: "sim") { pods(namespace: "default") { totalCount } } }',
      );
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
      expect(body.errors?.[0]?.message).toMatch(/cluster "sim" failed listing pods with HTTP 503/);
    } finally {
      h.sim.injectFaults({ reset: true });
    }
  });
});
