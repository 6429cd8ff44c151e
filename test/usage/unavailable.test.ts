/**
 * A cluster without a metrics API (no metrics-server: the group answers 404): every usage
 * field is null with exactly ONE UNAVAILABLE error for that cluster, naming it and saying
 * the metrics API is absent, and the rest of the answer — including another cluster's
 * usage — is intact. The absence is remembered for the window: a page asked many times
 * costs one 404 per window, not one per request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withNodes } from '../auth/kit.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import type { Json } from '../subscriptions/clients.js';
import { metricsLists } from './kit.js';

let h: Harness;
const clock = new FakeClock(Date.parse('2026-11-30T12:00:07Z'));

beforeAll(async () => {
  h = await startHarness({
    clock,
    simulator: { scenario: { nodes: 3, pods: 30, jobs: 1, namespaces: 2, seed: 3 }, metrics: false },
    // sim-1 serves the metrics API: its usage must come through untouched.
    extraSimulators: [{ scenario: { nodes: 2, pods: 10, jobs: 0, namespaces: 1, seed: 4 } }],
  });
}, 60_000);

afterAll(() => h?.close(), 30_000);

const PAGE = (cluster: string) => `${cluster.replace('-', '_')}: cluster(name: "${cluster}") {
  name
  nodes { edges { node { name ready usage { cpuMillis } utilization { cpu } usageHistory { timestamp } } } }
  pods(first: 500) { totalCount edges { node { name phase usage { cpuMillis } utilization { cpuOfLimit } containers { name usage { cpuMillis } } } } }
  summary { nodes pods usage { cpuMillis } utilization { cpu } podsNearMemoryLimit podsOverCpuRequest }
  usageHistory { timestamp }
}`;

describe('a cluster without a metrics API', () => {
  it('answers null usage with one UNAVAILABLE error for that cluster, and the rest intact', async () => {
    const res = withNodes(await h.query<Json>(`{ ${PAGE('sim')} ${PAGE('sim-1')} }`));
    const sim = res.data.sim;
    expect(sim.nodes.nodes).toHaveLength(3);
    expect(sim.pods.totalCount).toBe(30);
    for (const n of sim.nodes.nodes) {
      expect(n.name).toBeTruthy();
      expect([n.usage, n.utilization, n.usageHistory]).toEqual([null, null, null]);
    }
    for (const p of sim.pods.nodes) {
      expect([p.usage, p.utilization]).toEqual([null, null]);
      for (const c of p.containers) expect(c.usage).toBeNull();
    }
    expect(sim.summary).toMatchObject({
      nodes: 3,
      pods: 30,
      usage: null,
      utilization: null,
      podsNearMemoryLimit: null,
    });
    expect(sim.usageHistory).toBeNull();

    const errors = res.errors ?? [];
    expect(errors).toHaveLength(1);
    expect(errors[0].extensions).toMatchObject({ code: 'UNAVAILABLE', cluster: 'sim' });
    expect(errors[0].message).toContain('cluster "sim"');
    expect(errors[0].message).toContain('metrics API (metrics.k8s.io) is absent');

    // The other cluster's usage is all there.
    const other = res.data.sim_1;
    for (const n of other.nodes.nodes) expect(n.usage.cpuMillis).toBeGreaterThan(0);
    expect(other.summary.usage.cpuMillis).toBeGreaterThan(0);
    expect(other.pods.nodes.some((p: Json) => p.usage)).toBe(true);
  });

  it('refuses to order or filter by usage it does not have, with UNAVAILABLE on that field, and orders where it has it', async () => {
    const ORDERED = (cluster: string) => `${cluster.replace('-', '_')}: cluster(name: "${cluster}") {
      name
      byCpu: nodes(orderBy: { field: CPU_USAGE, direction: DESC }) { edges { node { name usage { cpuMillis } } } }
      podsByMemory: pods(first: 500, orderBy: { field: MEMORY_USAGE, direction: DESC }) { edges { node { name } } }
      near: pods(memoryNearLimit: true) { totalCount }
      plain: nodes { totalCount }
    }`;
    const res = withNodes(await h.query<Json>(`{ ${ORDERED('sim')} ${ORDERED('sim-1')} }`));
    const sim = res.data.sim;
    expect([sim.name, sim.byCpu, sim.podsByMemory, sim.near, sim.plain]).toEqual([
      'sim',
      null,
      null,
      null,
      { totalCount: 3 },
    ]);
    const errors = res.errors ?? [];
    const at = (field: string) => errors.find((e: Json) => e.path?.join('.') === `sim.${field}`);
    for (const [field, purpose] of [
      ['byCpu', 'ordering nodes by CPU_USAGE'],
      ['podsByMemory', 'ordering pods by MEMORY_USAGE'],
      ['near', 'filtering pods by memoryNearLimit'],
    ]) {
      const e = at(field);
      expect(e?.extensions).toMatchObject({ code: 'UNAVAILABLE', cluster: 'sim' });
      expect(e?.message).toContain(`${purpose} needs usage`);
      expect(e?.message).toContain('metrics API (metrics.k8s.io) is absent');
    }
    // Only those three fields failed (usage inside the failed lists is not asked), and none of the other cluster's.
    expect(errors).toHaveLength(3);
    const cpu = res.data.sim_1.byCpu.nodes.map((n: Json) => n.usage.cpuMillis);
    expect(cpu.length).toBe(2);
    expect(cpu).toEqual([...cpu].sort((a: number, b: number) => b - a));
    expect(res.data.sim_1.podsByMemory.nodes.length).toBe(10);
  });

  it('a failing metrics API keeps the last good answer and is asked once per window, not per request', async () => {
    const other = h.sims[1];
    const usage = async () => {
      const res = withNodes(await h.query<Json>(`{ ${PAGE('sim-1')} }`));
      return { errors: res.errors ?? [], cpuMillis: res.data.sim_1.summary.usage?.cpuMillis };
    };
    const good = await usage();
    expect(good.errors).toEqual([]);
    other.injectFaults({
      errorRate: 1,
      errorCode: 503,
      resources: ['nodes.metrics.k8s.io', 'pods.metrics.k8s.io'],
    });
    try {
      const before = await metricsLists({ ...h, sim: other });
      await clock.advanceAsync(15_000);
      for (let i = 0; i < 20; i++) expect(await usage()).toEqual(good);
      const after = await metricsLists({ ...h, sim: other });
      expect(after).toEqual({ nodes: before.nodes + 1, pods: before.pods + 1 });
      await clock.advanceAsync(15_000);
      for (let i = 0; i < 20; i++) expect(await usage()).toEqual(good);
      expect(await metricsLists({ ...h, sim: other })).toEqual({
        nodes: before.nodes + 2,
        pods: before.pods + 2,
      });
    } finally {
      other.injectFaults({ reset: true });
    }
  });
});
