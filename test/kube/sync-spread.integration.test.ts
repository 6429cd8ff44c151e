/**
 * The spread first sync (issue #16, cluster.ts start, sync-gate.ts): a cluster lists its
 * kinds one at a time, and only a few clusters list at once. Each simulator counts the LIST
 * requests it answers at once (simulator_list_requests_in_flight_max); every LIST is made
 * slow (100 ms of injected latency) so that lists started together would overlap and be
 * seen: before the spread, one cluster's 5+ informers listed together (max 5+ here).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONCURRENT_SYNCS } from '../../src/kube/sync-gate.js';
import { parsePrometheusText } from '../../src/simulator/metrics.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { type Harness, simFetch, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

const CLUSTERS = DEFAULT_CONCURRENT_SYNCS + 2;

describe('the first sync, spread', () => {
  const sims: Simulator[] = [];
  let harness: Harness | undefined;
  afterAll(async () => {
    await harness?.close();
    await Promise.all(sims.map((s) => s.close()));
  });

  it('never asks one API server for two initial LISTs at once, nor more than the bound of clusters at once, and becomes ready', async () => {
    for (let i = 0; i < CLUSTERS; i++) {
      const sim = await startSimulator({
        churnPerSecond: 0,
        scenario: { nodes: 3, pods: 40, jobs: 4, namespaces: 2, seed: i + 1 },
      });
      sim.injectFaults({ latencyMs: 100, verbs: ['LIST'] });
      sims.push(sim);
    }
    // Clusters listing at the same moment, sampled from the simulators' own counters.
    let mostClustersListing = 0;
    const sampler = setInterval(() => {
      const listing = sims.filter((s) => s.metrics.listsNow > 0).length;
      mostClustersListing = Math.max(mostClustersListing, listing);
    }, 5);
    try {
      harness = await startHarness({ existingSimulators: sims, waitForSync: false });
      const readyz = `${new URL(harness.url).origin}/readyz`;
      // Queued clusters say syncing (not stale) while they wait their turn.
      const early = await (await fetch(readyz)).text();
      expect(early).not.toMatch(/stale/);
      await waitFor(
        async () => {
          const res = await fetch(readyz);
          const text = await res.text();
          return res.status === 200 &&
            text.split('\n').filter((l) => l.endsWith(': synced')).length === CLUSTERS
            ? text
            : undefined;
        },
        { message: 'every cluster synced in /readyz', timeoutMs: 30_000 },
      );
      const registry = harness.registry;
      expect(await registry.waitForSync(1_000)).toBe(true);
      // Every kind, Events included, listed.
      await Promise.all(registry.list().map((c) => c.waitForSync(10_000, c.mirrored)));
    } finally {
      clearInterval(sampler);
    }
    for (const sim of sims) {
      expect(sim.metrics.listsMostAtOnce).toBe(1);
      // And as its /metrics says it.
      const metrics = parsePrometheusText(await (await simFetch(sim, '/metrics')).text());
      expect(metrics.get('simulator_list_requests_in_flight_max')).toBe(1);
    }
    expect(mostClustersListing).toBeGreaterThan(0);
    expect(mostClustersListing).toBeLessThanOrEqual(DEFAULT_CONCURRENT_SYNCS);

    // Answers come from the cache once synced.
    const answer = await harness!.query<{ clusters: { name: string }[] }>('{ clusters { name } }');
    expect(answer.data?.clusters).toHaveLength(CLUSTERS);
  });
});
