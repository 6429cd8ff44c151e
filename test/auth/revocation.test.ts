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
import { bindClusterRole, gatewayQuery, simApi, userSubject } from './kit.js';

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
});
