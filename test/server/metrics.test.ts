/**
 * The gateway's own /metrics over HTTP: the cache gauges match the informers, requests
 * are counted, the per-request metrics turned off are absent, and the subscription
 * gauges show identical subscriptions sharing one relay.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
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
