/**
 * The gateway's own /metrics over HTTP: the cache gauges match the informers, requests
 * are counted, the per-request metrics turned off are absent, and the subscription
 * gauges show identical subscriptions sharing one relay.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { parsePrometheusText } from '../../src/simulator/metrics.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import {
  listeners,
  serverSubscriptions,
  stopBackgroundActivity,
  subscribe,
} from '../subscriptions/clients.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    simulator: { scenario: { nodes: 3, pods: 20, jobs: 2, namespaces: 2, seed: 5 } },
  });
  stopBackgroundActivity(h.sim);
});

afterAll(() => h?.close(), 30_000);

async function gatewayMetrics(): Promise<{ text: string; values: Map<string, number> }> {
  const res = await fetch(h.url.replace(/\/graphql$/, '/metrics'));
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, values: parsePrometheusText(text) };
}

const requests = (values: Map<string, number>) =>
  [...values].filter(([k]) => k.startsWith('graphql_envelop_request{')).reduce((n, [, v]) => n + v, 0);

it('reports the caches as the informers hold them, and counts requests', async () => {
  const before = requests((await gatewayMetrics()).values);
  expect((await h.query('{ clusters { name } }')).errors).toBeUndefined();
  const { text, values } = await gatewayMetrics();
  const pods = h.registry.get('sim')!.informers!.Pod!.store.size;
  expect(pods).toBeGreaterThan(0);
  expect(values.get('kubegate_cache_objects{cluster="sim",kind="Pod"}')).toBe(pods);
  expect(values.get('kubegate_cache_synced{cluster="sim",kind="Pod"}')).toBe(1);
  expect(requests(values)).toBe(before + 1);
  // Off on purpose (a document walk or a quantile sketch per request, read by no one).
  expect(text).not.toMatch(/graphql_envelop_deprecated_field|graphql_envelop_request_time_summary/);
});

it('shows identical subscriptions sharing one relay', async () => {
  const before = serverSubscriptions(h);
  const base = (await gatewayMetrics()).values;
  const query = 'subscription { podEvents(labelSelector: "app=metrics-test") { type object { name } } }';
  const subs = [subscribe('ws', h.url, query), subscribe('sse', h.url, query), subscribe('ws', h.url, query)];
  try {
    await listeners(h, before + 3);
    const { values } = await gatewayMetrics();
    expect(values.get('kubegate_subscribers')).toBe((base.get('kubegate_subscribers') ?? 0) + 3);
    expect(values.get('kubegate_subscription_relays')).toBe(
      (base.get('kubegate_subscription_relays') ?? 0) + 1,
    );
  } finally {
    for (const s of subs) s.dispose();
  }
  await listeners(h, before);
  const { values } = await gatewayMetrics();
  expect(values.get('kubegate_subscribers')).toBe(base.get('kubegate_subscribers') ?? 0);
  expect(values.get('kubegate_subscription_relays')).toBe(base.get('kubegate_subscription_relays') ?? 0);
});

/** POSTs one operation; returns the HTTP status. */
async function post(query: string, operationName?: string): Promise<number> {
  const res = await fetch(h.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, operationName }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** The change of each listed series between two scrapes (0 for one absent from both). */
function deltas(before: Map<string, number>, after: Map<string, number>, series: string[]) {
  return Object.fromEntries(series.map((s) => [s, (after.get(s) ?? 0) - (before.get(s) ?? 0)]));
}

it('times and counts each operation, and counts its errors by the phase they came from', async () => {
  const op = (name: string, type: string) => `operationName="${name}",operationType="${type}"`;
  const series = [
    `graphql_envelop_request{${op('Named', 'query')}}`,
    `graphql_envelop_request_duration_count{${op('Named', 'query')}}`,
    `graphql_envelop_phase_execute_count{${op('Named', 'query')}}`,
    `graphql_yoga_http_duration_count{${op('Named', 'query')},method="POST",statusCode="200"}`,
    `graphql_envelop_error_result{${op('Anonymous', 'unknown')},phase="parse"}`,
    `graphql_envelop_error_result{${op('Bad', 'query')},phase="validate"}`,
    `graphql_yoga_http_duration_count{${op('Bad', 'query')},method="POST",statusCode="400"}`,
    `graphql_envelop_request{${op('Bad', 'query')}}`,
    `graphql_envelop_error_result{${op('Failing', 'query')},phase="execute"}`,
    `graphql_envelop_request{${op('Failing', 'query')}}`,
    `graphql_envelop_request{${op('Live', 'subscription')}}`,
    `graphql_envelop_phase_subscribe_count{${op('Live', 'subscription')}}`,
    `graphql_envelop_request_duration_count{${op('Live', 'subscription')}}`,
  ];
  const before = (await gatewayMetrics()).values;
  expect(await post('query Named { clusters { name } }', 'Named')).toBe(200);
  expect(await post('query Named { clusters { name } }')).toBe(200);
  expect(await post('{ clusters { name ')).toBe(400);
  expect(await post('query Bad { noSuchField }')).toBe(400);
  // A field error (an argument the resolver refuses) in an answer that is otherwise given.
  const failing = await h.query('query Failing { cluster(name: "sim") { pods(first: -1) { totalCount } } }');
  expect(failing.errors?.length).toBe(1);
  const live = subscribe('sse', h.url, 'subscription Live { podEvents(labelSelector: "app=none") { type } }');
  await listeners(h, serverSubscriptions(h) + 1);
  live.dispose();
  await vi.waitFor(
    async () => {
      const { values } = await gatewayMetrics();
      expect(values.get(`graphql_envelop_phase_subscribe_count{${op('Live', 'subscription')}}`)).toBe(
        (before.get(`graphql_envelop_phase_subscribe_count{${op('Live', 'subscription')}}`) ?? 0) + 1,
      );
    },
    { timeout: 10_000, interval: 50 },
  );
  const { values: after, text } = await gatewayMetrics();
  expect(deltas(before, after, series)).toEqual(
    Object.fromEntries(
      series.map((s) => [s, s.includes('"Bad",operationType="query"}') ? 0 : s.includes('Named') ? 2 : 1]),
    ),
  );
  // Durations are in seconds, in the default buckets: a sub-second request counts in `le="1"`.
  expect(
    after.get(`graphql_envelop_phase_execute_bucket{le="1",${op('Named', 'query')}}`),
  ).toBeGreaterThanOrEqual(2);
  expect(text).toMatch(/^# TYPE graphql_yoga_http_duration histogram$/m);
  expect(text).toMatch(/^# TYPE graphql_envelop_error_result counter$/m);
});
