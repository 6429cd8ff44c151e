/**
 * Revocation (issue #11): deleting a RoleBinding removes the user's access to lists,
 * lookups and live subscriptions as soon as the gateway has seen the deletion — the test
 * waits for the informer to apply it, not for a clock — and a subscription that may no
 * longer watch anything it asked for ends with FORBIDDEN, over SSE and WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { type Json, serverSubscriptions, subscribe, TRANSPORTS } from '../subscriptions/clients.js';
import { bindClusterRole, gatewayQuery, RBAC_API, simApi, simCreate, userSubject } from './kit.js';

const BOB = 'revocation-bob-token-0123456';
const ADMIN = 'revocation-admin-token-01234';

let h: Harness;

/** A query through the gateway, its connections given `nodes` too. */
const gql = gatewayQuery(() => h);
let ns: string;

const BINDINGS = () => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`;

function bind(name: string): Promise<void> {
  return bindClusterRole(h, { name, namespace: ns, clusterRole: 'view', subjects: [userSubject('bob')] });
}

/** Whether the gateway's RoleBinding informer holds the binding now. */
function mirrored(name: string): boolean {
  const cluster = h.registry.get('sim');
  return cluster?.informers?.RoleBinding?.store.get(`${ns}/${name}`) !== undefined;
}

const podsQuery = `query($ns: String!) { cluster(name: "sim") { pods(namespace: $ns) { totalCount } } }`;

beforeAll(async () => {
  h = await startHarness({
    simulator: { scenario: { nodes: 2, pods: 20, jobs: 2, namespaces: 2, seed: 4 } },
    identities: true,
    tokens: [
      { name: 'admin', token: ADMIN, clusters: '*', namespaces: '*' },
      { name: 'bob', token: BOB, user: 'bob' },
    ],
  });
  h.sim.pauseActivity();
  const r = await gql(
    '{ cluster(name: "sim") { pods(first: 1) { edges { node { namespace } } } } }',
    {},
    {
      authorization: `Bearer ${ADMIN}`,
    },
  );
  ns = r.data.cluster.pods.nodes[0].namespace;
}, 60_000);

afterAll(() => h?.close(), 30_000);

describe('revoking a RoleBinding', () => {
  for (const transport of TRANSPORTS) {
    it(`stops lists, lookups and the live subscription (${transport}), which ends FORBIDDEN`, async () => {
      const name = `bob-view-${transport}`;
      await bind(name);
      await waitFor(() => mirrored(name), 'the gateway to mirror the binding');
      const before = await gql(podsQuery, { ns }, { authorization: `Bearer ${BOB}` });
      expect(before.data.cluster.pods.totalCount).toBeGreaterThan(0);

      const base = serverSubscriptions(h);
      const sub = subscribe(
        transport,
        h.url,
        `subscription { podEvents(namespace: "${ns}") { type object { name } } }`,
        {
          token: BOB,
        },
      );
      await waitFor(() => serverSubscriptions(h) > base, 'the subscription to start');
      try {
        await simApi(h, 'POST', `/api/v1/namespaces/${ns}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `before-${transport}`, namespace: ns },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        });
        await sub.eventFor(`before-${transport}`, 'ADDED');

        expect(await simApi(h, 'DELETE', `${BINDINGS()}/${name}`)).toBe(200);
        await waitFor(() => !mirrored(name), 'the gateway to see the deletion');
        await sub.end();
        expect(sub.errors.map((e: Json) => e.extensions?.code)).toEqual(['FORBIDDEN']);

        // A pod made after the deletion never reaches bob.
        await simApi(h, 'POST', `/api/v1/namespaces/${ns}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `after-${transport}`, namespace: ns },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        });
        expect(sub.events.map((e: Json) => e.object.name)).toEqual([`before-${transport}`]);
        const after = await gql(podsQuery, { ns }, { authorization: `Bearer ${BOB}` });
        expect(after.data).toEqual({ cluster: null }); // nothing left for bob here: the cluster is hidden
      } finally {
        sub.dispose();
      }
    });
  }

  it('ends live values (summary, node, status) with FORBIDDEN once no right is left', async () => {
    const name = 'bob-view-live';
    await bind(name);
    // And the nodes (view has none), cluster-wide, so the node's live value is his to see.
    await simCreate(h, `${RBAC_API}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'node-reader' },
      rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }],
    });
    await bindClusterRole(h, {
      name: 'bob-nodes',
      clusterRole: 'node-reader',
      subjects: [userSubject('bob')],
    });
    const cluster = h.registry.get('sim')!;
    await waitFor(
      () => mirrored(name) && cluster.informers?.ClusterRoleBinding?.store.get('bob-nodes') !== undefined,
      'the gateway to mirror both bindings',
    );
    const node = (
      await gql(
        '{ cluster(name: "sim") { nodes { edges { node { name } } } } }',
        {},
        { authorization: `Bearer ${ADMIN}` },
      )
    ).data.cluster.nodes.nodes[0].name;
    const subs = [
      subscribe('sse', h.url, 'subscription { clusterSummary(cluster: "sim") { pods } }', { token: BOB }),
      subscribe('ws', h.url, `subscription { nodeSummary(cluster: "sim", name: "${node}") { name } }`, {
        token: BOB,
      }),
      subscribe('sse', h.url, 'subscription { clusterStatus(cluster: "sim") { reason } }', { token: BOB }),
    ];
    try {
      // Each has answered once: they started under bob's rights.
      for (const sub of subs) await sub.until('a first result', (s) => s.results.length > 0);
      // One binding gone: he still reads the cluster (its nodes), and every value goes on.
      expect(await simApi(h, 'DELETE', `${BINDINGS()}/${name}`)).toBe(200);
      await waitFor(() => !mirrored(name), 'the gateway to see the first deletion');
      for (const sub of subs) expect(sub.ended).toBe(false);
      expect(await simApi(h, 'DELETE', `${RBAC_API}/clusterrolebindings/bob-nodes`)).toBe(200);
      for (const sub of subs) {
        await sub.end();
        expect(
          sub.errors.map((e: Json) => e.extensions?.code),
          `${sub.field}: ${JSON.stringify(sub.results)} ${String(sub.failure)}`,
        ).toEqual(['FORBIDDEN']);
      }
    } finally {
      for (const sub of subs) sub.dispose();
    }
  });
});
