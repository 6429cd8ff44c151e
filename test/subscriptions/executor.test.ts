/**
 * A subscription's events are executed by an executor compiled once per operation
 * (server/event-executor.ts) rather than by graphql-js's `execute` per event. Whatever
 * the document uses (fragments, inline fragments on an interface, aliases, arguments,
 * @include/@skip by variable, __typename, global IDs, relations read through the event's
 * DataLoaders), an event must carry what a query of the same selection answers for the
 * same object; and a relation must be answered with the data of the event's moment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayStats } from '../../src/loaders/streams.js';
import { type Harness, simFetch, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import {
  barePod,
  cached,
  ensureNamespace,
  type Json,
  nodeNames,
  type Subscription,
  stopBackgroundActivity,
  subscribe,
  subscribeOn,
  TRANSPORTS,
  wsConnection,
} from './clients.js';

let h: Harness;
const open: Subscription[] = [];

beforeAll(async () => {
  h = await startHarness({ simulator: { scenario: { nodes: 2, pods: 4, seed: 5 }, podLifecycle: false } });
  stopBackgroundActivity(h.sim);
});

afterAll(async () => {
  for (const s of open) s.dispose();
  await h?.close();
}, 30_000);

/** Everything the executor must get right, in one selection; `tier` is asked by argument. */
const FRAGMENTS = `
fragment PodFields on Pod {
  __typename
  id
  name
  podName: name
  namespace
  phase
  tier: label(key: "tier")
  labels @skip(if: $bare) { key value }
  node @include(if: $withNode) { __typename name labels { key value } }
  ...Meta
}
fragment Meta on KubeObject {
  cluster
  resourceVersion
  ... on Pod { nodeName }
}`;

const SUBSCRIPTION = `subscription Executor($ns: String, $bare: Boolean!, $withNode: Boolean!) {
  podEvents(namespace: $ns, initial: true, allChanges: true) {
    __typename
    kind: type
    object { ...PodFields }
  }
}
${FRAGMENTS}`;

const QUERY = `query Same($cluster: String!, $ns: String!, $name: String!, $bare: Boolean!, $withNode: Boolean!) {
  cluster(name: $cluster) { pod(name: $name, namespace: $ns) { ...PodFields } }
}
${FRAGMENTS}`;

async function send(method: string, path: string, body?: unknown): Promise<Json> {
  const res = await simFetch(h.sim, path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' },
  });
  const json = (await res.json()) as Json;
  expect(res.status, JSON.stringify(json)).toBeLessThan(300);
  return json;
}

describe.each(TRANSPORTS)('over %s', (transport) => {
  it('an event carries what a query of the same selection answers, snapshot and live alike', async () => {
    const ns = `exec-${transport}`;
    ensureNamespace(h, ns);
    const [node] = nodeNames(h);
    const base = `/api/v1/namespaces/${ns}/pods`;
    await send('POST', base, barePod(ns, 'first', { nodeName: node, labels: { tier: 'web' } }));
    const cluster = h.registry.list()[0].name;
    const names = ['first'];

    for (const flags of [
      { bare: false, withNode: true },
      { bare: true, withNode: false },
    ]) {
      const sub = subscribe(transport, h.url, SUBSCRIPTION, { variables: { ns, ...flags } });
      open.push(sub);
      // The snapshot is taken in the same step as joining the relay: live events follow it.
      await sub.eventFor('first');
      const name = `live-${flags.bare ? 'bare' : 'full'}`;
      await send('POST', base, barePod(ns, name, { nodeName: node }));
      await sub.eventFor(name);
      names.push(name);

      expect(sub.errors).toEqual([]);
      for (const event of sub.events) {
        expect(event.__typename).toBe('PodEvent');
        expect(event.kind).toBe('ADDED');
        const same = await h.query<Json>(QUERY, { cluster, ns, name: event.object.podName, ...flags });
        expect(same.errors).toBeUndefined();
        expect(event.object).toEqual(same.data.cluster.pod);
      }
      expect(sub.events.map((e: Json) => e.object.podName).sort()).toEqual([...names].sort());
      expect(sub.events[0].object.node === undefined).toBe(!flags.withNode);
      expect(sub.events[0].object.labels === undefined).toBe(flags.bare);
      sub.dispose();
    }
  });

  it('a relation is read afresh for every event (the event’s own DataLoaders)', async () => {
    const ns = `fresh-${transport}`;
    ensureNamespace(h, ns);
    const [node] = nodeNames(h);
    const base = `/api/v1/namespaces/${ns}/pods`;
    await send('POST', base, barePod(ns, 'primer', { nodeName: node }));
    const sub = subscribe(
      transport,
      h.url,
      `subscription ($ns: String) { podEvents(namespace: $ns, initial: true) { object { name node { labels { key value } } } } }`,
      { variables: { ns } },
    );
    open.push(sub);
    await sub.eventFor('primer');
    const mark = async (value: string, pod: string) => {
      const patched = await send('PATCH', `/api/v1/nodes/${node}`, {
        metadata: { labels: { 'exec-test': value } },
      });
      // Nodes and pods are separate watches: the node's change is in the cache first.
      await cached(h, 'Node', node, patched.metadata.resourceVersion);
      await send('POST', base, barePod(ns, pod, { nodeName: node }));
      const event = await sub.eventFor(pod);
      return event.object.node.labels.find((l: Json) => l.key === 'exec-test')?.value;
    };
    expect(await mark('one', 'a')).toBe('one');
    expect(await mark('two', 'b')).toBe('two');
    sub.dispose();
  });
});

/** PodFields without its relations and global ID (promised fields, which graphql-js executes). */
const PLAIN_FRAGMENTS = `
fragment PlainFields on Pod {
  __typename
  name
  podName: name
  namespace
  phase
  tier: label(key: "tier")
  labels @skip(if: $bare) { key value }
  ...Meta
}
fragment Meta on KubeObject {
  cluster
  resourceVersion
  ... on Pod { nodeName }
}`;

it('1,000 distinct operations each receive what a query of their selection answers', async () => {
  const ns = 'exec-distinct';
  ensureNamespace(h, ns);
  const [node] = nodeNames(h);
  const cluster = h.registry.list()[0].name;
  // Five connections of 200 (the per-connection limit); every operation has its own
  // variables (a label selector no pod carries), so none shares a relay or a result.
  // The earlier tests' subscriptions have left, so the relays count only these.
  await waitFor(() => relayStats(h.hub).subscribers === 0, { message: 'no subscriber left' });
  const clients = Array.from({ length: 5 }, () => wsConnection(h.url));
  const subs: Subscription[] = [];
  const flagsOf = (i: number) => ({ bare: i % 2 === 0 });
  for (let i = 0; i < 1_000; i++) {
    const sub = subscribeOn(
      clients[Math.floor(i / 200)],
      `subscription Distinct($ns: String, $sel: String, $bare: Boolean!) {
        podEvents(namespace: $ns, labelSelector: $sel, allChanges: true) { __typename kind: type object { ...PlainFields } }
      }
      ${PLAIN_FRAGMENTS}`,
      { ns, sel: `!distinct-${i}`, ...flagsOf(i) },
    );
    subs.push(sub);
    open.push(sub);
  }
  try {
    await waitFor(() => relayStats(h.hub).subscribers === 1_000, {
      message: '1,000 subscribers',
      timeoutMs: 30_000,
    });
    await send(
      'POST',
      `/api/v1/namespaces/${ns}/pods`,
      barePod(ns, 'everyone', { nodeName: node, labels: { tier: 'db' } }),
    );
    const answers = new Map<string, Json>();
    for (const [i, sub] of subs.entries()) {
      const event = await sub
        .until('the event', (s) => s.events.length > 0, 30_000)
        .then(() => sub.events[0]);
      expect(sub.errors).toEqual([]);
      const flags = flagsOf(i);
      const key = JSON.stringify(flags);
      if (!answers.has(key)) {
        const same = await h.query<Json>(
          `query Same($cluster: String!, $ns: String!, $name: String!, $bare: Boolean!) {
            cluster(name: $cluster) { pod(name: $name, namespace: $ns) { ...PlainFields } }
          }
          ${PLAIN_FRAGMENTS}`,
          { cluster, ns, name: 'everyone', ...flags },
        );
        expect(same.errors).toBeUndefined();
        answers.set(key, same.data.cluster.pod);
      }
      expect(event.__typename).toBe('PodEvent');
      expect(event.kind).toBe('ADDED');
      expect(event.object).toEqual(answers.get(key));
    }
    expect(answers.size).toBe(2);
  } finally {
    for (const sub of subs) sub.dispose();
    for (const client of clients) void client.dispose();
  }
}, 120_000);
