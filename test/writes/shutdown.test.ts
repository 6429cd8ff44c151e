/**
 * Graceful shutdown with mutations in flight (issue #15: "zero failed in-flight requests in a
 * test that sends queries and mutations while SIGTERM arrives"). The CLI's SIGTERM handler
 * calls `gateway.shutdown` with its settings (main.test.ts signals the real process); here the
 * same call is made on a harness gateway whose API server holds every node PATCH for longer
 * than the drain delay, so the mutations sent before the shutdown and during its delay are
 * still waiting upstream when the listener stops accepting. Each must answer as it would have
 * without the shutdown: the write made, seen by the gateway's informer (visible), no error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Json } from '../subscriptions/clients.js';
import { startWriteKit, type WriteKit } from './kit.js';

let kit: WriteKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

const cordon = (node: string) =>
  `mutation { cordonNode(cluster: "sim", name: "${node}") { node { name unschedulable } visible } }`;
const QUERY = '{ clusters { name nodes(first: 10) { totalCount } } }';

describe('graceful shutdown with writes in flight', () => {
  it('answers every mutation and query sent before the shutdown and during its delay', async () => {
    kit = await startWriteKit();
    const nodes = [...kit.h.sim.store.scan('nodes')].map((n) => n.metadata.name).sort();
    expect(nodes.length).toBeGreaterThanOrEqual(3);
    const [a, b, c] = nodes as [string, string, string];

    // Node PATCHes (the cordons) wait 1.5 s upstream: longer than the 600 ms delay below.
    kit.h.sim.injectFaults({ latencyMs: 1_500, verbs: ['PATCH'], resources: ['nodes'] });
    const before = [kit.gql(cordon(a)), kit.gql(cordon(b)), kit.gql(QUERY)];
    // The gateway has the writes in hand before it is told to stop.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const shutdown = kit.h.gateway.shutdown({ delayMs: 600, timeoutMs: 10_000 });
    const during = [kit.gql(cordon(c)), kit.gql(QUERY)];
    await shutdown;

    const answers: Json[] = await Promise.all([...before, ...during]);
    for (const answer of answers) expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    const cordoned = [answers[0], answers[1], answers[3]].map((r) => r.data.cordonNode);
    expect(cordoned).toEqual(
      [a, b, c].map((name) => ({ node: { name, unschedulable: true }, visible: true })),
    );
    for (const query of [answers[2], answers[4]]) {
      expect(query.data).toEqual({ clusters: [{ name: 'sim', nodes: { totalCount: nodes.length } }] });
    }
    // And the cluster holds them: the writes were made, not only answered.
    for (const name of [a, b, c]) {
      expect((await kit.get(`/api/v1/nodes/${name}`))?.spec?.unschedulable).toBe(true);
    }
  }, 60_000);
});
