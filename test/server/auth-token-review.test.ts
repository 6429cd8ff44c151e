/**
 * Kubernetes tokens (issue #11): a bearer token no other method knows is reviewed by the
 * configured cluster's TokenReview API (the simulator's, over HTTPS, through the
 * registry's pooled client as the CLI wires it). A user's token is that user; an unknown
 * one is 401 on every transport. Answers are cached by the token's digest (accepted 60 s,
 * refused 10 s, on the authenticator's clock, here a FakeClock), concurrent requests share
 * one review, and reviews are counted where they land: the simulator's
 * apiserver_request_total{verb="CREATE",resource="tokenreviews"}. A review that could not
 * be made is 503 UNAVAILABLE (1013 over WebSocket), never 401, is not cached, and the
 * methods before it keep working; one whose connection closes on arrival (a reused idle
 * connection) is sent once more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_TRANSPORTS, askEverywhere, askViewer, type Outcome } from '../helpers/auth-transports.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Harness, requestCount, simFetch, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

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

describe('when the cluster reviews tokens', () => {
  const clock = new FakeClock(Date.now());
  const ALICE = {
    token: 'alice-kubectl-token-5f0c2a91d7',
    user: 'alice',
    uid: 'u-alice',
    groups: ['dev', 'ops'],
  };
  let h: Harness;
  let n = 0;
  /** A token of its own per question, so no test sees another's cached answer. */
  const fresh = (what: string) => `${what}-token-${++n}-${Math.random().toString(36).slice(2)}`;
  /** TokenReviews the simulator has answered so far (every status code). */
  const reviews = async () => requestCount(await h.upstream(), 'CREATE', 'tokenreviews');
  const viewerOf = (outcome: Outcome) => (outcome.kind === 'answer' ? outcome.viewer : outcome);

  beforeAll(async () => {
    h = await startHarness({
      simulator: { scenario: { nodes: 1, pods: 2, jobs: 0, namespaces: 1 }, users: [ALICE] },
      cache: false,
      tokenReviewCluster: 'sim',
      auth: { clock },
    });
  }, 60_000);
  afterAll(() => h?.close());

  it("makes a user's token that user, with the review's groups, over every transport, in one review", async () => {
    const before = await reviews();
    const answers = await askEverywhere(h.url, `Bearer ${ALICE.token}`);
    for (const t of AUTH_TRANSPORTS) {
      expect(viewerOf(answers[t]), t).toEqual({
        name: 'alice',
        username: 'alice',
        groups: ['dev', 'ops', 'system:authenticated'],
        source: 'KUBERNETES',
      });
    }
    expect(await reviews()).toBe(before + 1);
  });

  it('answers an unknown token 401 UNAUTHENTICATED on every transport (4401 over WebSocket)', async () => {
    const before = await reviews();
    const answers = await askEverywhere(h.url, `Bearer ${fresh('unknown')}`);
    for (const t of AUTH_TRANSPORTS) {
      const outcome = answers[t];
      if (t === 'ws') {
        expect(outcome, t).toEqual({ kind: 'refused', status: 4401, body: 'Unauthorized' });
        continue;
      }
      expect(outcome.kind === 'refused' && outcome.status, t).toBe(401);
      if (outcome.kind !== 'refused') continue;
      expect(outcome.headers?.get('www-authenticate'), t).toBe('Bearer realm="kubegate"');
      expect((outcome.body as { errors: unknown[] }).errors, t).toEqual([
        { message: 'the bearer token was not accepted', extensions: { code: 'UNAUTHENTICATED' } },
      ]);
    }
    // Five transports, one review: the refusal is cached (or the review shared).
    expect(await reviews()).toBe(before + 1);
  });

  it("reuses an accepted token's identity for 60 s without asking again, then reviews it anew", async () => {
    const token = fresh('cached');
    h.sim.addUser({ token, user: 'carol', groups: ['qa'] });
    const carol = {
      name: 'carol',
      username: 'carol',
      groups: ['qa', 'system:authenticated'],
      source: 'KUBERNETES',
    };
    const before = await reviews();
    expect(viewerOf(await askViewer(h.url, 'post', `Bearer ${token}`))).toEqual(carol);
    expect(await reviews()).toBe(before + 1);
    expect(viewerOf(await askViewer(h.url, 'get', `Bearer ${token}`))).toEqual(carol);
    await clock.advanceAsync(59_000);
    expect(viewerOf(await askViewer(h.url, 'post', `Bearer ${token}`))).toEqual(carol);
    expect(await reviews()).toBe(before + 1);
    await clock.advanceAsync(2_000);
    expect(viewerOf(await askViewer(h.url, 'post', `Bearer ${token}`))).toEqual(carol);
    expect(await reviews()).toBe(before + 2);
  });

  it('refuses a refused token from the cache for 10 s, then reviews it again', async () => {
    const token = fresh('refused');
    const before = await reviews();
    expect(await askViewer(h.url, 'post', `Bearer ${token}`)).toMatchObject({ kind: 'refused', status: 401 });
    expect(await reviews()).toBe(before + 1);
    // The cluster learns the token now; the gateway keeps the refusal until it expires.
    h.sim.addUser({ token, user: 'late-dave' });
    expect(await askViewer(h.url, 'post', `Bearer ${token}`)).toMatchObject({ kind: 'refused', status: 401 });
    await clock.advanceAsync(9_000);
    expect(await askViewer(h.url, 'ws', `Bearer ${token}`)).toMatchObject({ kind: 'refused', status: 4401 });
    expect(await reviews()).toBe(before + 1);
    await clock.advanceAsync(2_000);
    expect(viewerOf(await askViewer(h.url, 'post', `Bearer ${token}`))).toMatchObject({
      username: 'late-dave',
      source: 'KUBERNETES',
    });
    expect(await reviews()).toBe(before + 2);
  });

  it('shares one review among concurrent requests with the same token', async () => {
    const token = fresh('concurrent');
    h.sim.addUser({ token, user: 'erin' });
    const before = await reviews();
    // The API server is slow to review: every request arrives while the first review is in flight.
    h.sim.injectFaults({ latencyMs: 1_000, resources: ['tokenreviews'] });
    try {
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => askViewer(h.url, i % 2 ? 'get' : 'post', `Bearer ${token}`)),
      );
      for (const a of answers) expect(viewerOf(a)).toMatchObject({ username: 'erin', source: 'KUBERNETES' });
    } finally {
      h.sim.injectFaults({ reset: true });
    }
    expect(await reviews()).toBe(before + 1);
  });

  it('does not serve a recovered cluster a cached failure: the same token is accepted once it is back', async () => {
    const token = fresh('recovered');
    h.sim.addUser({ token, user: 'frank' });
    const before = await reviews();
    h.sim.refuseConnections(1);
    expect(await askViewer(h.url, 'post', `Bearer ${token}`)).toMatchObject({ kind: 'refused', status: 503 });
    await waitFor(async () => (await simFetch(h.sim, '/healthz')).ok, 'the simulator to listen again');
    // The FakeClock has not moved: had the failure been cached, for however short, it would still be.
    expect(viewerOf(await askViewer(h.url, 'post', `Bearer ${token}`))).toMatchObject({
      username: 'frank',
      source: 'KUBERNETES',
    });
    expect(await reviews()).toBe(before + 1);
  });

  it('reviews once more when its connection closes on arrival; a second close in a row is 503, not cached', async () => {
    const resets = async () => (await h.upstream()).get('simulator_faults_injected_total{code="reset"}') ?? 0;
    // A pooled connection the API server closed as idle, reused before the close was read.
    const once = fresh('reset-once');
    h.sim.addUser({ token: once, user: 'gina' });
    const resetsBefore = await resets();
    h.sim.injectFaults({ resources: ['tokenreviews'], resetNextRequests: 1 });
    try {
      expect(viewerOf(await askViewer(h.url, 'post', `Bearer ${once}`))).toMatchObject({
        username: 'gina',
        source: 'KUBERNETES',
      });
      expect(await resets()).toBe(resetsBefore + 1);
      // Twice in a row is a real failure: UNAVAILABLE, and the next request reviews again.
      const twice = fresh('reset-twice');
      h.sim.addUser({ token: twice, user: 'hal' });
      h.sim.injectFaults({ resources: ['tokenreviews'], resetNextRequests: 2 });
      expect(await askViewer(h.url, 'post', `Bearer ${twice}`)).toMatchObject({
        kind: 'refused',
        status: 503,
      });
      expect(await resets()).toBe(resetsBefore + 3);
      expect(viewerOf(await askViewer(h.url, 'post', `Bearer ${twice}`))).toMatchObject({ username: 'hal' });
    } finally {
      h.sim.injectFaults({ reset: true });
    }
  });

  it('refuses a token over 16 KiB in connectionParams without a review, and reviews one of 16 KiB', async () => {
    const longest = `x${'a'.repeat(16 * 1024 - 1)}`;
    const before = await reviews();
    expect(await askViewer(h.url, 'ws', `Bearer ${longest}`)).toMatchObject({
      kind: 'refused',
      status: 4401,
    });
    expect(await reviews()).toBe(before + 1);
    expect(await askViewer(h.url, 'ws', `Bearer y${longest}`)).toMatchObject({
      kind: 'refused',
      status: 4401,
    });
    expect(await reviews()).toBe(before + 1);
  });

  it('keeps a removed user signed in only until the 60 s cache passes, then 401 (the revocation delay)', async () => {
    const token = fresh('revoked');
    h.sim.addUser({ token, user: 'grace' });
    const before = await reviews();
    expect(viewerOf(await askViewer(h.url, 'post', `Bearer ${token}`))).toMatchObject({ username: 'grace' });
    expect(h.sim.removeUser(token)).toBe(true);
    expect(viewerOf(await askViewer(h.url, 'ws', `Bearer ${token}`))).toMatchObject({ username: 'grace' });
    await clock.advanceAsync(59_000);
    expect(viewerOf(await askViewer(h.url, 'post', `Bearer ${token}`))).toMatchObject({ username: 'grace' });
    expect(await reviews()).toBe(before + 1);
    await clock.advanceAsync(2_000);
    const answers = await askEverywhere(h.url, `Bearer ${token}`);
    for (const t of AUTH_TRANSPORTS) {
      expect(answers[t], t).toMatchObject({ kind: 'refused', status: t === 'ws' ? 4401 : 401 });
    }
    expect(await reviews()).toBe(before + 2);
  });
});
