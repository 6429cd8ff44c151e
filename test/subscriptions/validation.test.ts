/**
 * Subscription arguments are validated like query filters, before any stream starts
 * (BAD_USER_INPUT, NOT_FOUND, FORBIDDEN as the one and only result, no hub listener
 * taken), and principals apply to every event: a principal limited to namespace A never
 * receives anything from namespace B, and a WebSocket without a valid token is refused.
 */
import { createClient as createWsClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { relayStats } from '../../src/loaders/streams.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import {
  barePod,
  ensureNamespace,
  type Json,
  listeners,
  nodeNames,
  type Subscription,
  serverSubscriptions,
  stopBackgroundActivity,
  subscribe,
  subscribeOn,
  TRANSPORTS,
  type Transport,
} from './clients.js';

const [NS_A, NS_B] = ['team-a', 'team-b'];
const TOKENS = {
  admin: 'admin-token',
  teamA: 'team-a-token',
  elsewhere: 'elsewhere-token',
};

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    simulator: { scenario: { nodes: 2, pods: 10, jobs: 1, namespaces: 2, seed: 6 } },
    tokens: [
      { token: TOKENS.admin, name: 'admin', clusters: '*', namespaces: '*' },
      { token: TOKENS.teamA, name: 'team-a', clusters: ['sim'], namespaces: [NS_A] },
      { token: TOKENS.elsewhere, name: 'elsewhere', clusters: ['another-cluster'], namespaces: '*' },
    ],
  });
  stopBackgroundActivity(h.sim);
  for (const ns of [NS_A, NS_B]) ensureNamespace(h, ns);
  const node = nodeNames(h)[0];
  // One pod in each namespace before anyone subscribes, for the snapshots.
  h.sim.store.create('pods', barePod(NS_A, 'a-0', { nodeName: node }));
  h.sim.store.create('pods', barePod(NS_B, 'b-0', { nodeName: node }));
});

afterAll(() => h?.close(), 30_000);

/** Subscribes and waits for the stream to end; it must end without having taken a hub listener. */
async function rejected(transport: Transport, query: string, token = TOKENS.admin): Promise<Subscription> {
  const before = serverSubscriptions(h);
  const sub = subscribe(transport, h.url, query, { token });
  try {
    await sub.end(10_000);
  } finally {
    sub.dispose();
  }
  expect(serverSubscriptions(h)).toBe(before);
  return sub;
}

describe.each(TRANSPORTS)('over %s', (transport) => {
  it.each([
    [
      'a bad label selector',
      'subscription { podEvents(labelSelector: "app in (web") { type } }',
      'BAD_USER_INPUT',
    ],
    [
      'a bad label selector on nodes',
      'subscription { nodeEvents(labelSelector: "=x") { type } }',
      'BAD_USER_INPUT',
    ],
    [
      'a namespace that cannot be one',
      'subscription { jobEvents(namespace: "Not_A_Namespace") { type } }',
      'BAD_USER_INPUT',
    ],
    [
      'a node name that cannot be one',
      'subscription { podEvents(nodeName: "bad name!") { type } }',
      'BAD_USER_INPUT',
    ],
    ['an unknown cluster', 'subscription { podEvents(cluster: "nope") { type } }', 'NOT_FOUND'],
    [
      'an unknown cluster for a summary',
      'subscription { clusterSummary(cluster: "nope") { pods } }',
      'NOT_FOUND',
    ],
  ])('%s is an error before the stream starts', async (_what, query, code) => {
    const sub = await rejected(transport, query);
    expect(sub.completed).toBe(true);
    expect(sub.results).toHaveLength(1);
    expect(sub.results[0].data ?? null).toBeNull();
    expect(sub.errors.map((e: Json) => e.extensions.code)).toEqual([code]);
    expect(sub.errors[0].message).toMatch(/expected/);
  });

  it('a principal without the cluster gets NOT_FOUND, as for a cluster that does not exist', async () => {
    const forbidden = await rejected(
      transport,
      'subscription { podEvents(cluster: "sim") { type } }',
      TOKENS.elsewhere,
    );
    expect(forbidden.errors.map((e: Json) => e.extensions.code)).toEqual(['NOT_FOUND']);
    const summary = await rejected(
      transport,
      'subscription { clusterSummary(cluster: "sim") { pods } }',
      TOKENS.elsewhere,
    );
    expect(summary.errors.map((e: Json) => e.extensions.code)).toEqual(['NOT_FOUND']);
    const missing = await rejected(
      transport,
      'subscription { clusterSummary(cluster: "no-such-cluster") { pods } }',
      TOKENS.elsewhere,
    );
    expect(missing.errors[0].message.replace('no-such-cluster', 'sim')).toBe(summary.errors[0].message);
  });

  it('a node summary of a node that does not exist says NOT_FOUND, not an internal error', async () => {
    const before = serverSubscriptions(h);
    const sub = subscribe(
      transport,
      h.url,
      'subscription { nodeSummary(cluster: "sim", name: "no-such-node") { name } }',
      {
        token: TOKENS.admin,
      },
    );
    try {
      await sub.until('an error', (s) => s.errors.length > 0);
      expect(sub.errors[0].extensions.code).toBe('NOT_FOUND');
      expect(sub.errors[0].message).toMatch(/no-such-node/);
    } finally {
      sub.dispose();
    }
    await listeners(h, before);
  });

  it('a principal limited to one namespace never receives an event from another', async () => {
    const before = serverSubscriptions(h);
    const queries = [
      'subscription { podEvents(initial: true, allChanges: true) { type object { namespace name } } }',
      `subscription { podEvents(namespace: "${NS_B}", initial: true, allChanges: true) { type object { namespace name } } }`,
      'subscription { podEvents(labelSelector: "app=subs-test", initial: true) { type object { namespace name } } }',
    ];
    const [all, other, labelled] = queries.map((q) =>
      subscribe(transport, h.url, q, { token: TOKENS.teamA }),
    );
    const admin = subscribe(
      transport,
      h.url,
      'subscription { podEvents(initial: true, allChanges: true, labelSelector: "app=subs-test") { type object { namespace name } } }',
      { token: TOKENS.admin },
    );
    try {
      // Asking for the other namespace by name is refused: the principal may not watch there.
      await other.end();
      expect(other.errors.map((e: Json) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      await listeners(h, before + 3);
      const node = nodeNames(h)[1];
      const name = `p-${transport}`;
      for (const ns of [NS_B, NS_A]) h.sim.store.create('pods', barePod(ns, name, { nodeName: node }));
      for (const ns of [NS_B, NS_A]) {
        h.sim.store.mutate('pods', ns, name, (d) => ({ ...d, status: { ...d.status, phase: 'Succeeded' } }));
      }
      for (const ns of [NS_B, NS_A]) h.sim.store.delete('pods', ns, name);
      const marker = `marker-${transport}`;
      h.sim.store.create('pods', barePod(NS_A, marker));

      for (const sub of [all, labelled, admin]) await sub.eventFor(marker, 'ADDED');
      const seen = (s: Subscription) =>
        s.events.map((e: Json) => `${e.type} ${e.object.namespace}/${e.object.name}`);
      expect(seen(all)).toEqual([
        `ADDED ${NS_A}/a-0`,
        `ADDED ${NS_A}/${name}`,
        `MODIFIED ${NS_A}/${name}`,
        `DELETED ${NS_A}/${name}`,
        `ADDED ${NS_A}/${marker}`,
      ]);
      // Selected only namespace and name: the phase change is not sent.
      expect(seen(labelled)).toEqual([
        `ADDED ${NS_A}/a-0`,
        `ADDED ${NS_A}/${name}`,
        `DELETED ${NS_A}/${name}`,
        `ADDED ${NS_A}/${marker}`,
      ]);
      expect(other.events).toEqual([]);
      for (const sub of [all, labelled]) expect(sub.errors).toEqual([]);
      // The admin, with the same filter, saw both namespaces: the difference is the principal.
      expect(seen(admin)).toEqual(
        expect.arrayContaining([`ADDED ${NS_B}/b-0`, `ADDED ${NS_B}/${name}`, `DELETED ${NS_B}/${name}`]),
      );
      h.sim.store.delete('pods', NS_A, marker);
    } finally {
      for (const s of [all, other, labelled, admin]) s.dispose();
    }
    await listeners(h, before);
  });

  it('identical operations share a relay and a result per principal, never across principals', async () => {
    const before = serverSubscriptions(h);
    const relaysBefore = relayStats(h.hub).relays;
    // The very same document and variables for both principals.
    const query =
      'subscription { podEvents(labelSelector: "app=shared-test") { type object { namespace name } } }';
    const teamA = [0, 1].map(() => subscribe(transport, h.url, query, { token: TOKENS.teamA }));
    const admin = subscribe(transport, h.url, query, { token: TOKENS.admin });
    const all = [...teamA, admin];
    try {
      await listeners(h, before + 3);
      // Two relays: team-a's two subscriptions share one, the admin has its own.
      expect(relayStats(h.hub).relays).toBe(relaysBefore + 2);
      const name = `shared-${transport}`;
      for (const ns of [NS_B, NS_A]) {
        h.sim.store.create('pods', barePod(ns, name, { labels: { app: 'shared-test' } }));
      }
      for (const sub of all) await sub.eventFor(name, 'ADDED');
      await admin.count(2);
      const seen = (s: Subscription) =>
        s.events.map((e: Json) => `${e.type} ${e.object.namespace}/${e.object.name}`);
      for (const sub of teamA) expect(seen(sub)).toEqual([`ADDED ${NS_A}/${name}`]);
      expect(seen(admin).sort()).toEqual([`ADDED ${NS_A}/${name}`, `ADDED ${NS_B}/${name}`]);
      for (const sub of all) expect(sub.errors).toEqual([]);
      for (const ns of [NS_B, NS_A]) h.sim.store.delete('pods', ns, name);
    } finally {
      for (const s of all) s.dispose();
    }
    await listeners(h, before);
    expect(relayStats(h.hub).relays).toBe(relaysBefore);
  });
});

describe('WebSocket authentication', () => {
  const wsUrl = () => h.url.replace(/^http/, 'ws');
  const QUERY = 'subscription { nodeEvents(initial: true) { type object { name } } }';

  it.each([
    ['no token', undefined],
    ['an unknown token', 'not-a-token'],
  ])(
    'refuses a connection with %s (close 4401 Unauthorized), before any subscription',
    async (_what, token) => {
      const before = serverSubscriptions(h);
      const client = createWsClient({
        url: wsUrl(),
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : undefined,
        retryAttempts: 0,
      });
      const sub = subscribeOn(client, QUERY);
      await sub.end();
      expect(sub.results).toEqual([]);
      expect((sub.failure as { code?: number }).code).toBe(4401);
      expect(serverSubscriptions(h)).toBe(before);
      await client.dispose();
    },
  );

  it('accepts the token in the upgrade request’s headers or in connectionParams', async () => {
    class WithHeaders extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: { authorization: `Bearer ${TOKENS.teamA}` } });
      }
    }
    const clients = [
      createWsClient({ url: wsUrl(), webSocketImpl: WithHeaders, retryAttempts: 0 }),
      createWsClient({
        url: wsUrl(),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${TOKENS.teamA}` },
        retryAttempts: 0,
      }),
    ];
    try {
      for (const client of clients) {
        const sub = subscribeOn(client, QUERY);
        await sub.count(2);
        expect(sub.events.map((e: Json) => e.type)).toEqual(['ADDED', 'ADDED']);
        sub.dispose();
      }
      // The principal is the token's: team-a's snapshot holds only its namespace.
      const pods = subscribeOn(
        clients[1],
        'subscription { podEvents(initial: true) { object { namespace } } }',
      );
      await waitFor(() => pods.events.length > 0, 'team-a’s snapshot');
      expect(new Set(pods.events.map((e: Json) => e.object.namespace))).toEqual(new Set([NS_A]));
      pods.dispose();
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  });

  it('SSE without a valid token is refused with 401', async () => {
    for (const token of [undefined, 'not-a-token']) {
      const sub = subscribe('sse', h.url, QUERY, { token });
      await sub.end();
      sub.dispose();
      expect(sub.results).toEqual([]);
      expect(String((sub.failure as Error).message)).toMatch(/401/);
    }
  });
});
