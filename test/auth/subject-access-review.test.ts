/**
 * `authorization: subjectAccessReview` (issue #11): where the gateway may not list a
 * cluster's RBAC (or webhooks decide), it asks the API server's SubjectAccessReview per
 * (user, verb, kind, namespace or the cluster scope) — never per object — and reuses each
 * answer for REVIEW_TTL_MS on its clock. A page costs a handful of reviews, a repeat costs
 * none, and a revoked binding ends a live subscription with FORBIDDEN once the answer is
 * asked again. Reads across every namespace need the verb cluster-wide, as `kubectl get -A`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVIEW_TTL_MS } from '../../src/loaders/access.js';
import { relayStats } from '../../src/loaders/streams.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Harness, requestCount, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { type Json, subscribe } from '../subscriptions/clients.js';
import { bindClusterRole, gatewayQuery, groupSubject, simApi, userSubject } from './kit.js';

const ADMIN = 'sar-admin-token-0123456789ab';
const ALICE = 'sar-alice-token-0123456789ab';
const CAROL = 'sar-carol-token-0123456789ab';

let h: Harness;
let clock: FakeClock;
let NS_A: string;
let NS_B: string;

const query = gatewayQuery(() => h);
const gql = (text: string, token: string, variables: Record<string, unknown> = {}) =>
  query(text, variables, { authorization: `Bearer ${token}` });

const reviews = async () => requestCount(await h.upstream(), 'CREATE', 'subjectaccessreviews');

beforeAll(async () => {
  clock = new FakeClock(Date.now());
  h = await startHarness({
    simulator: { scenario: { nodes: 2, pods: 30, jobs: 3, namespaces: 3, seed: 9 } },
    identities: true,
    authorization: 'subjectAccessReview',
    clock,
    tokens: [
      { name: 'admin', token: ADMIN, clusters: '*', namespaces: '*' },
      { name: 'alice', token: ALICE, user: 'alice' },
      { name: 'carol', token: CAROL, user: 'carol', groups: ['auditors'] },
    ],
  });
  h.sim.pauseActivity();
  const pods = (
    await gql('{ cluster(name: "sim") { pods(first: 500) { edges { node { namespace } } } } }', ADMIN)
  ).data.cluster.pods.nodes;
  [NS_A, NS_B] = [...new Set<string>(pods.map((p: Json) => p.namespace))].sort();
  await bindClusterRole(h, {
    name: 'alice-view',
    namespace: NS_A,
    clusterRole: 'view',
    subjects: [userSubject('alice')],
  });
  await bindClusterRole(h, {
    name: 'auditors-view',
    clusterRole: 'view',
    subjects: [groupSubject('auditors')],
  });
}, 60_000);

afterAll(() => h?.close(), 30_000);

const page = `query($a: String!, $b: String!) { cluster(name: "sim") {
  mine: pods(namespace: $a) { totalCount }
  theirs: pods(namespace: $b) { totalCount }
  all: pods { totalCount }
  jobs(namespace: $a) { totalCount }
  nodes { totalCount }
} }`;

describe('authorization: subjectAccessReview', () => {
  it('answers as the API server decides, per namespace, with a handful of reviews per page and none on a repeat', async () => {
    const admin = (await gql(page, ADMIN, { a: NS_A, b: NS_B })).data.cluster;
    const before = await reviews();
    const alice = (await gql(page, ALICE, { a: NS_A, b: NS_B })).data.cluster;
    const cost = (await reviews()) - before;
    expect(alice.mine.totalCount).toBe(admin.mine.totalCount);
    expect(admin.mine.totalCount).toBeGreaterThan(0);
    expect(alice.theirs.totalCount).toBe(0);
    expect(alice.all.totalCount).toBe(0); // across every namespace needs list cluster-wide
    expect(alice.jobs.totalCount).toBe(admin.jobs.totalCount);
    expect(alice.nodes.totalCount).toBe(0);
    // pods: cluster + 2 namespaces; jobs: cluster + 1; nodes: cluster — never one per object.
    expect(cost).toBeGreaterThan(0);
    expect(cost).toBeLessThanOrEqual(6);
    // Within the TTL the same page costs nothing more.
    await gql(page, ALICE, { a: NS_A, b: NS_B });
    expect((await reviews()) - before).toBe(cost);
    const carol = (await gql(page, CAROL, { a: NS_A, b: NS_B })).data.cluster;
    expect(carol.all.totalCount).toBe(admin.all.totalCount);
    expect(carol.nodes.totalCount).toBe(0); // view grants no nodes
  });

  it('lookups by name: her namespace only', async () => {
    const admin = (
      await gql('{ cluster(name: "sim") { pods(first: 500) { edges { node { namespace name } } } } }', ADMIN)
    ).data.cluster.pods.nodes;
    const a = admin.find((p: Json) => p.namespace === NS_A);
    const b = admin.find((p: Json) => p.namespace === NS_B);
    const q =
      'query($ns: String!, $n: String!) { cluster(name: "sim") { pod(namespace: $ns, name: $n) { name } } }';
    expect((await gql(q, ALICE, { ns: NS_A, n: a.name })).data.cluster.pod).toEqual({ name: a.name });
    expect((await gql(q, ALICE, { ns: NS_B, n: b.name })).data.cluster.pod).toBeNull();
  });

  it('a review whose connection closes on arrival is asked once more: the same answers, no error', async () => {
    const admin = (await gql(page, ADMIN, { a: NS_A, b: NS_B })).data.cluster;
    const resets = async () => (await h.upstream()).get('simulator_faults_injected_total{code="reset"}') ?? 0;
    // Her answers expire, so the page asks again; the first review meets a closed connection.
    await clock.advanceAsync(REVIEW_TTL_MS + 1);
    const before = { resets: await resets(), reviews: await reviews() };
    h.sim.injectFaults({ resources: ['subjectaccessreviews'], resetNextRequests: 1 });
    try {
      const res = await gql(page, ALICE, { a: NS_A, b: NS_B });
      expect(res.errors).toBeUndefined();
      expect(res.data.cluster.mine.totalCount).toBe(admin.mine.totalCount);
      // Sent again, the review still says no where she may not list.
      expect(res.data.cluster.theirs.totalCount).toBe(0);
      expect(res.data.cluster.all.totalCount).toBe(0);
      expect(await resets()).toBe(before.resets + 1);
      expect(await reviews()).toBeGreaterThan(before.reviews + 1);
    } finally {
      h.sim.injectFaults({ reset: true });
    }
  });

  it('a revoked binding ends her live subscription with FORBIDDEN when the answer is asked again', async () => {
    const base = relayStats(h.hub).subscribers;
    const sub = subscribe(
      'sse',
      h.url,
      `subscription { podEvents(namespace: "${NS_A}") { type object { name } } }`,
      {
        token: ALICE,
      },
    );
    try {
      await waitFor(() => relayStats(h.hub).subscribers === base + 1, 'her subscription to start');
      expect(sub.ended).toBe(false);
      const other = subscribe('sse', h.url, `subscription { podEvents(namespace: "${NS_B}") { type } }`, {
        token: ALICE,
      });
      await other.end();
      expect(other.errors.map((e: Json) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(
        await simApi(
          h,
          'DELETE',
          `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS_A}/rolebindings/alice-view`,
        ),
      ).toBe(200);
      // Nothing announces it: the next review, REVIEW_TTL_MS later, finds it.
      await waitFor(async () => {
        await clock.advanceAsync(REVIEW_TTL_MS);
        return sub.ended;
      }, 'the subscription to end');
      expect(sub.errors.map((e: Json) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      // And the page she read before is empty now: reads ask afresh, and no answer was memoised on old rights.
      const after = (await gql(page, ALICE, { a: NS_A, b: NS_B })).data.cluster;
      expect(after.mine.totalCount).toBe(0);
    } finally {
      sub.dispose();
    }
  });
});
