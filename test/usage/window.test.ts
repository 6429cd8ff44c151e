/**
 * The usage cache's window is the cluster's (`clusters[].metrics.windowSeconds`, its
 * metrics-server's resolution): with 30 s, half a window later the page still shows the
 * same sample and the metrics API is not asked again; a whole window later, once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SimulatorOptions } from '../../src/simulator/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import type { Json } from '../subscriptions/clients.js';
import { metricsLists } from './kit.js';

let h: Harness;
const clock = new FakeClock(Date.parse('2026-11-30T12:00:07Z'));

beforeAll(async () => {
  h = await startHarness({
    simulator: {
      scenario: { nodes: 2, pods: 10, jobs: 1, namespaces: 1, seed: 30 },
      clock: clock as unknown as SimulatorOptions['clock'],
      nodeLeaseRenewMs: 0,
      metricsResolutionSeconds: 30,
    },
    clock,
    metrics: { windowSeconds: 30 },
  });
  h.sim.pauseActivity();
}, 60_000);

afterAll(() => h?.close(), 30_000);

const timestamp = async () => {
  const res = await h.query<Json>('{ cluster(name: "sim") { summary { usage { timestamp window } } } }');
  return res.data!.cluster.summary.usage;
};

it('is the configured window: one node-metrics LIST per 30 s, none in between', async () => {
  const first = await timestamp();
  expect(first.window).toBe(30);
  const before = await metricsLists(h);
  await clock.advanceAsync(15_000);
  expect(await timestamp()).toEqual(first);
  expect(await metricsLists(h)).toEqual(before);
  await clock.advanceAsync(15_000);
  await waitFor(
    async () => Date.parse((await timestamp()).timestamp) - Date.parse(first.timestamp) === 30_000,
    'the next 30 s sample',
  );
  expect((await metricsLists(h)).nodes).toBe(before.nodes + 1);
});
