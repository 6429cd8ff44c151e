/**
 * An unexpected error in a subscription's event is masked for the client and logged, over
 * both transports, as a query's is (test/server/masked-errors.test.ts). Since the gateway
 * moved yoga's masking onto the result stream (result-stream.ts `useStreamHooks`) instead of
 * envelop's iterator around it, this is the check that nothing goes out unmasked: a pod the
 * simulator serves with a timestamp that is not one makes the DateTime scalar throw a
 * TypeError for that field; two identical subscribers (who share one result object) each
 * get the masked error, and the rest of the event intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../helpers/harness.js';
import { subscribe, TRANSPORTS } from './clients.js';

const logged: { err: unknown; requestId: string }[] = [];
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    simulator: { scenario: { nodes: 1, pods: 3, jobs: 0, namespaces: 1, seed: 3 } },
    logError: (err, { requestId }) => logged.push({ err, requestId }),
  });
});
afterAll(() => h?.close());

describe.each(TRANSPORTS)('an unexpected error in a subscription event (%s)', (transport) => {
  it('is masked for every identical subscriber, with a request id it was logged under; the rest of the event stays', async () => {
    const query =
      'subscription Odd { podEvents(cluster: "sim", namespace: "default") { type object { name deletedAt } } }';
    const subs = [subscribe(transport, h.url, query), subscribe(transport, h.url, query)];
    try {
      // Both are subscribed once a pod created now reaches them (a probe every 200 ms until then).
      for (let i = 0; !subs.every((sub) => sub.events.length > 0); i++) {
        if (i > 100) throw new Error('the subscribers got no event in 20 s');
        h.sim.store.create('pods', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `probe-${transport}-${i}`, namespace: 'default' },
          spec: { containers: [{ name: 'app', image: 'app:1' }] },
        } as never);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }

      const name = `odd-${transport}`;
      h.sim.store.create('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', deletionTimestamp: 'not a time' },
        spec: { containers: [{ name: 'app', image: 'app:1' }] },
      } as never);
      for (const sub of subs) {
        await sub.until(`the event for ${name}`, (s) =>
          s.results.some((r) => r.data?.podEvents?.object?.name === name),
        );
        const result = sub.results.find((r) => r.data?.podEvents?.object?.name === name);
        expect(result.data.podEvents).toEqual({ type: 'ADDED', object: { name, deletedAt: null } });
        expect(result.errors).toHaveLength(1);
        const [error] = result.errors;
        expect(error.path).toEqual(['podEvents', 'object', 'deletedAt']);
        expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) });
        expect(error.message).toBe(
          `Unexpected error. It was logged as request ${error.extensions.requestId}.`,
        );
        expect(JSON.stringify(result)).not.toMatch(/DateTime|not a time|TypeError/);
        // The original error, with its stack, is in the log under the id the client got.
        const entry = logged.find((l) => l.requestId === error.extensions.requestId);
        expect(entry?.err).toBeInstanceOf(TypeError);
        expect(String((entry?.err as Error | undefined)?.message)).toMatch(/DateTime cannot represent/);
      }
      // The stream goes on: a later, well-formed pod still arrives.
      const after = `after-${transport}`;
      h.sim.store.create('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: after, namespace: 'default' },
        spec: { containers: [{ name: 'app', image: 'app:1' }] },
      } as never);
      for (const sub of subs) {
        const event = await sub.eventFor(after, 'ADDED');
        expect(event).toEqual({ type: 'ADDED', object: { name: after, deletedAt: null } });
        expect(sub.ended).toBe(false);
      }
    } finally {
      for (const sub of subs) sub.dispose();
    }
  });
});
