/**
 * Graceful shutdown with mutations in flight (issue #15: "zero failed in-flight requests in a
 * test that sends queries and mutations while SIGTERM arrives"). The CLI's SIGTERM handler
 * calls `gateway.shutdown` with its settings (main.test.ts signals the real process); here the
 * same call is made on a harness gateway whose API server holds every node PATCH for longer
 * than the drain delay, so the mutations sent before the shutdown and during its delay are
 * still waiting upstream when the listener stops accepting. Each must answer as it would have
 * without the shutdown: the write made, seen by the gateway's informer (visible), no error.
 *
 * "Sent" means the gateway has read the request: one sent but still unread in the socket when
 * the listener closes its idle connections is reset (Node's http server cannot tell it from
 * an idle keep-alive). The test once sent the first requests with a single setImmediate's
 * head start and a 600 ms delay; on a loaded CI machine a stalled event loop ran the delay's
 * timer before reading them (timers come before I/O in a loop turn), and they were reset
 * (ECONNRESET). It now waits until the gateway counts them open, and gives the delay room.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
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

    // Node PATCHes (the cordons) wait 4 s upstream: longer than the 2 s delay below.
    kit.h.sim.injectFaults({ latencyMs: 4_000, verbs: ['PATCH'], resources: ['nodes'] });
    const gateway = kit.h.gateway;
    const before = [kit.gql(cordon(a)), kit.gql(cordon(b))];
    const queryBefore = kit.gql(QUERY); // answered from memory at once
    let queried = false;
    queryBefore.then(
      () => (queried = true),
      () => (queried = true),
    );
    // The gateway has the writes in hand (held upstream, so still open) before it is told to stop.
    await waitFor(() => queried && gateway.openRequests >= 2, 'the gateway reads the first two cordons');
    const shutdown = gateway.shutdown({ delayMs: 2_000, timeoutMs: 10_000 });
    expect(gateway.shuttingDown).toBe(true);
    const cordonDuring = kit.gql(cordon(c));
    // ... and the one sent during the delay, while the delay lasts.
    await waitFor(() => gateway.openRequests >= 3, 'the gateway reads the third cordon');
    const queryDuring = kit.gql(QUERY);
    await shutdown;

    const answers: Json[] = await Promise.all([...before, queryBefore, cordonDuring, queryDuring]);
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
