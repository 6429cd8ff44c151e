/**
 * A GET whose connection closes as it arrives (the server closed a kept-alive connection
 * just as the request came in on it) is sent once more on another connection, as Go's HTTP
 * transport does under client-go: the watch goes on with no error, no backoff and nothing
 * missed. Twice in a row is a real failure: it is recorded, and the backoff brings the watch
 * back. Through the gateway's HTTP status and /metrics (the informer counters), against the
 * simulator's `resetNextRequests` fault.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parsePrometheusText } from '../../src/simulator/metrics.js';
import { type Harness, setSimFaults, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { simMetrics } from './sim-helpers.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ simulator: { scenario: { nodes: 2, pods: 6, jobs: 0, namespaces: 1, seed: 9 } } });
  h.sim.pauseActivity();
});

afterAll(async () => {
  await h?.close();
});

interface KindStatus {
  kind: string;
  connected: boolean;
  lastError: string | null;
  watchRestarts: number;
  failures: number;
  relists: number;
}

async function podStatus(): Promise<KindStatus> {
  const r = (await h.query(
    '{ cluster(name: "sim") { status { kinds { kind connected lastError watchRestarts failures relists } } } }',
  )) as { data: { cluster: { status: { kinds: KindStatus[] } } } };
  return r.data.cluster.status.kinds.find((k) => k.kind === 'Pod')!;
}

/** The pod informer's counters on the gateway's /metrics. */
async function podCounters(): Promise<{ failures?: number; relists?: number; watchRestarts?: number }> {
  const res = await fetch(h.url.replace(/\/graphql$/, '/metrics'));
  const values = parsePrometheusText(await res.text());
  const read = (name: string) => values.get(`${name}{cluster="sim",kind="Pod"}`);
  return {
    failures: read('kubegate_informer_failures_total'),
    relists: read('kubegate_informer_relists_total'),
    watchRestarts: read('kubegate_informer_watch_restarts_total'),
  };
}

/** /metrics says what the GraphQL status says: the same three counts for the pod informer. */
async function expectMetricsAsStatus(status: KindStatus): Promise<void> {
  expect(await podCounters()).toEqual({
    failures: status.failures,
    relists: status.relists,
    watchRestarts: status.watchRestarts,
  });
}

const resets = async () =>
  (await simMetrics(h.sim)).get('simulator_faults_injected_total{code="reset"}') ?? 0;

/** Creates a pod in the simulator and waits for the gateway's cache to answer it. */
async function seen(name: string): Promise<void> {
  const ns = 'default';
  h.sim.store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  await waitFor(async () => {
    const r = (await h.query(
      `{ cluster(name: "sim") { pod(namespace: "${ns}", name: "${name}") { name } } }`,
    )) as {
      data?: { cluster?: { pod?: { name: string } | null } };
    };
    return r.data?.cluster?.pod?.name === name;
  }, `the gateway to see ${name}`);
}

it('sends a watch again once when its connection closes on arrival: no error, no gap', async () => {
  await waitFor(async () => (await podStatus()).connected, 'the pod watch');
  const before = await podStatus();
  expect(before.lastError).toBeNull();
  const resetsBefore = await resets();
  // The pod watch ends cleanly; the reflector's next watch request meets a closed connection.
  await setSimFaults(h.sim, {
    verbs: ['WATCH'],
    resources: ['pods'],
    resetNextRequests: 1,
    dropWatches: 'end',
  });
  await waitFor(async () => (await resets()) === resetsBefore + 1, 'the reset to meet the next watch');
  await seen('after-one-reset');
  const after = await podStatus();
  expect(after.lastError).toBeNull();
  expect(after.connected).toBe(true);
  // Nothing failed: the watch the server ended was opened again, once.
  expect(after.failures).toBe(before.failures);
  expect(after.watchRestarts).toBe(before.watchRestarts + 1);
  await expectMetricsAsStatus(after);
  await setSimFaults(h.sim, { reset: true });
});

it('a second close in a row is a failure: recorded, counted, and the watch comes back through the backoff', async () => {
  const resetsBefore = await resets();
  const before = await podStatus();
  await setSimFaults(h.sim, {
    verbs: ['WATCH'],
    resources: ['pods'],
    resetNextRequests: 2,
    dropWatches: 'end',
  });
  await waitFor(async () => (await podStatus()).lastError !== null, 'the failure to be recorded');
  expect(await resets()).toBe(resetsBefore + 2);
  expect((await podStatus()).lastError).toMatch(/connection|socket|UND_ERR/i);
  await seen('after-two-resets');
  const after = await podStatus();
  expect(after.connected).toBe(true);
  // One failure (the second close), counted where an operator alerts on it, as the status says.
  expect(after.failures).toBe(before.failures + 1);
  await expectMetricsAsStatus(after);
  await setSimFaults(h.sim, { reset: true });
});
