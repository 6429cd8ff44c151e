/**
 * A masked error fails its operation's span: an in-process gateway (the harness, --no-cache)
 * with the SDK started by the CLI's own function (src/tracing.ts) exporting to a local
 * OTLP/HTTP receiver. The bug is induced as in masked-errors.test.ts: a pod the simulator
 * serves malformed makes the transform throw a TypeError in the list loader's batch.
 * Spans are awaited by shutting the SDK down (it flushes), never by sleeping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from '../../src/tracing.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { descends, spansOf, startReceiver } from '../helpers/otlp-receiver.js';

let h: Harness;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let tracing: Tracing | undefined;

beforeAll(async () => {
  receiver = await startReceiver();
  tracing = await startTracing({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  });
  h = await startHarness({
    cache: false,
    simulator: { scenario: { nodes: 2, pods: 6, jobs: 1, namespaces: 1, seed: 3 } },
    logError: () => {},
  });
  h.sim.store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'broken' } });
  h.sim.store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'malformed', namespace: 'broken' },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
    status: { phase: 'Running', conditions: [null] },
  } as never);
});
afterAll(async () => {
  await h?.close();
  await tracing?.shutdown();
  await new Promise((resolve) => receiver?.server.close(resolve));
});

describe('traces of masked errors', () => {
  it('marks the operation ERROR with INTERNAL_SERVER_ERROR and the request id the error was logged under', async () => {
    expect(tracing).toBeDefined();
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-req-7' },
      body: JSON.stringify({
        query: 'query Broken { cluster(name: "sim") { pods(namespace: "broken") { totalCount } } }',
      }),
    });
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['INTERNAL_SERVER_ERROR']);

    await tracing?.shutdown();
    const spans = spansOf(receiver.received);
    const operation = spans.find((s) => s.name === 'query Broken');
    expect(operation?.status.code).toBe(2); // ERROR
    expect(operation?.attributes).toMatchObject({
      'graphql.error.codes': ['INTERNAL_SERVER_ERROR'],
      'kubegate.request_id': 'trace-req-7',
    });
    expect(operation?.events).toEqual([
      {
        name: 'graphql.error',
        attributes: { 'graphql.error.code': 'INTERNAL_SERVER_ERROR', 'graphql.error.path': 'cluster.pods' },
      },
    ]);
    // The batch that threw is below it, its LIST answered 200 (the bug is ours, not the server's).
    const batch = spans.find((s) => s.name === 'dataloader.batch list');
    expect(batch && operation && descends(spans, batch, operation)).toBe(true);
    expect(batch?.attributes['kubegate.batch.errors']).toBe(1);
    const list = spans.find((s) => s.name === 'GET /api/v1/namespaces/{namespace}/pods');
    expect(list?.attributes['http.response.status_code']).toBe(200);
  });
});
