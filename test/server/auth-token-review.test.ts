/**
 * Kubernetes tokens (issue #11): a bearer token no other method knows is reviewed by the
 * configured cluster's TokenReview API (the simulator's, over HTTPS, through the
 * registry's pooled client as the CLI wires it). A review that could not be made is 503
 * UNAVAILABLE (1013 over WebSocket), never 401, and the methods before it keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_TRANSPORTS, askEverywhere, askViewer } from '../helpers/auth-transports.js';
import { type Harness, startHarness } from '../helpers/harness.js';

const STATIC = 'static-token-0123456789abcdef';

describe('when the cluster cannot review', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      simulator: { scenario: { nodes: 1, pods: 2, jobs: 0, namespaces: 1 } },
      cache: false,
      tokens: [{ name: 'ops', token: STATIC }],
      tokenReviewCluster: 'sim',
    });
    // The API server goes away (its listener closes) for longer than this file runs.
    h.sim.refuseConnections(600);
  }, 60_000);
  afterAll(() => h?.close());

  it('is 503 UNAVAILABLE with Retry-After over HTTP and SSE, 1013 over WebSocket, never 401', async () => {
    const answers = await askEverywhere(h.url, 'Bearer some-cluster-token-the-gateway-cannot-check');
    for (const t of AUTH_TRANSPORTS) {
      const outcome = answers[t];
      if (t === 'ws') {
        expect(outcome, t).toEqual({ kind: 'refused', status: 1013, body: 'Try Again Later' });
        continue;
      }
      expect(outcome.kind === 'refused' && outcome.status, t).toBe(503);
      if (outcome.kind !== 'refused') continue;
      expect(outcome.headers?.get('retry-after'), t).toBe('5');
      expect((outcome.body as { errors: unknown[] }).errors, t).toEqual([
        {
          message: 'the gateway cannot check credentials right now; retry later',
          extensions: { code: 'UNAVAILABLE', retryAfterSeconds: 5 },
        },
      ]);
    }
  });

  it('still takes static tokens, which are tried first, and refuses a missing token with 401', async () => {
    expect(await askViewer(h.url, 'post', `Bearer ${STATIC}`)).toMatchObject({
      kind: 'answer',
      viewer: { name: 'ops', source: 'STATIC' },
    });
    expect(await askViewer(h.url, 'post')).toMatchObject({ kind: 'refused', status: 401 });
  });
});
