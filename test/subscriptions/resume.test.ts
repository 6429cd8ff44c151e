/**
 * Resumable subscriptions (issue #15): `sinceResourceVersion` replays what a subscriber
 * missed from the informer's retention log, then goes live — over real SSE and WebSocket
 * clients. What it must have received is told by an independent source: a watch on the
 * simulator from the same resourceVersion, with the same namespace and label selector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Churn } from '../../src/simulator/churn.js';
import { bindClusterRole, userSubject } from '../auth/kit.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { WatchStream } from '../simulator/sim-kit.js';
import {
  barePod,
  ensureNamespace,
  type Json,
  type Subscription,
  serverSubscriptions,
  subscribe,
  TRANSPORTS,
} from './clients.js';

const ADMIN = 'resume-admin-token-0123456789';
const BOB = 'resume-bob-token-01234567890';
const RETENTION_MS = 300_000;

let h: Harness;
const clock = new FakeClock(1_000_000);
const NS = 'resume-a';
const OTHER = 'resume-b';

beforeAll(async () => {
  h = await startHarness({
    simulator: {
      scenario: { nodes: 3, pods: 60, jobs: 2, namespaces: 2, seed: 15 },
      bookmarkIntervalMs: 60_000,
    },
    identities: true,
    tokens: [
      { name: 'admin', token: ADMIN, clusters: '*', namespaces: '*' },
      { name: 'bob', token: BOB, user: 'bob' },
    ],
    eventLog: { clock, retentionMs: RETENTION_MS },
  });
  h.sim.pauseActivity();
  ensureNamespace(h, NS);
  ensureNamespace(h, OTHER);
  // bob may view NS, and nothing else.
  await bindClusterRole(h, {
    name: 'bob-view',
    namespace: NS,
    clusterRole: 'view',
    subjects: [userSubject('bob')],
  });
  await waitFor(
    () => h.registry.get('sim')?.informers?.RoleBinding?.store.get(`${NS}/bob-view`),
    'the gateway to mirror bob-view',
  );
}, 60_000);

afterAll(() => h?.close(), 30_000);

const SEL = 'type resourceVersion object { namespace name }';
const line = (e: Json) => `${e.type} ${e.object.namespace}/${e.object.name}@${e.resourceVersion}`;

let serial = 0;
const fresh = (prefix: string) => `${prefix}-${++serial}`;

/** The pods' resourceVersion now, as the simulator's last write set it. */
const latestRV = () => String(h.sim.store.resourceVersion);

function sub(transport: 'sse' | 'ws', args: string, options: { token?: string; selection?: string } = {}) {
  liveBefore = serverSubscriptions(h);
  return subscribe(
    transport,
    h.url,
    `subscription { podEvents(cluster: "sim", ${args}) { ${options.selection ?? SEL} } }`,
    { token: options.token ?? ADMIN },
  );
}

const podInformerRV = () => h.registry.get('sim')?.informers?.Pod?.status().resourceVersion;

let liveBefore = 0;
/** Subscribes and waits until the gateway relays to it (the count taken before subscribing). */
async function live(s: Subscription): Promise<Subscription> {
  await waitFor(() => serverSubscriptions(h) > liveBefore || s.ended, 'the subscription to be live');
  return s;
}

/** The events up to and including the marker's ADDED, as lines. */
async function untilMarker(s: Subscription, marker: string): Promise<string[]> {
  await s.eventFor(marker, 'ADDED');
  const events = s.events;
  const end = events.findIndex((e: Json) => e.object.name === marker && e.type === 'ADDED');
  return events.slice(0, end + 1).map(line);
}

/** What a watch on the simulator from `from` says, up to and including the marker's ADDED. */
async function simulatorSays(
  query: { from: string; namespace?: string; labelSelector?: string },
  marker: string,
) {
  const params = new URLSearchParams({ watch: 'true', resourceVersion: query.from });
  if (query.labelSelector) params.set('labelSelector', query.labelSelector);
  const path = query.namespace ? `/api/v1/namespaces/${query.namespace}/pods` : '/api/v1/pods';
  const watch = await WatchStream.open(h.sim, `${path}?${params}`);
  try {
    const events = await watch.until((e) => e.type === 'ADDED' && e.object.metadata.name === marker, 15_000);
    return events
      .filter((e) => e.type !== 'BOOKMARK')
      .map(
        (e) =>
          `${e.type} ${e.object.metadata.namespace}/${e.object.metadata.name}@${e.object.metadata.resourceVersion}`,
      );
  } finally {
    watch.close();
  }
}

const label = (ns: string, name: string, labels: Record<string, string>) =>
  h.sim.store.mutate('pods', ns, name, (d) => ({
    ...d,
    metadata: { ...d.metadata, labels: { ...d.metadata.labels, ...labels } },
  }));
const annotate = (ns: string, name: string, value: string) =>
  h.sim.store.mutate('pods', ns, name, (d) => ({
    ...d,
    metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, note: value } },
  }));

/** A few changes of every kind in two namespaces: created, relabelled, annotated, deleted. */
function changes(tag: string): void {
  for (const ns of [NS, OTHER]) {
    const a = `${tag}-a`;
    const b = `${tag}-b`;
    h.sim.store.create('pods', barePod(ns, a, { labels: { tier: 'web' } }));
    h.sim.store.create('pods', barePod(ns, b, { labels: { tier: 'db' } }));
    annotate(ns, a, tag);
    label(ns, b, { tier: 'web' }); // enters tier=web
    label(ns, a, { tier: 'db' }); // leaves tier=web
    h.sim.store.delete('pods', ns, b);
  }
}

describe('sinceResourceVersion', () => {
  for (const transport of TRANSPORTS) {
    it(`replays exactly the events after the resourceVersion, then goes live (${transport})`, async () => {
      const tag = fresh(`exact-${transport}`);
      const first = await live(sub(transport, `namespace: "${NS}", allChanges: true`));
      changes(`${tag}-1`);
      await first.count(6);
      // The client notes the resourceVersion of an event it received, and goes away later.
      const since = first.events[2].resourceVersion;
      changes(`${tag}-2`);
      await first.eventFor(`${tag}-2-b`, 'DELETED');
      first.dispose();
      changes(`${tag}-3`); // missed while disconnected

      const resumed = sub(
        transport,
        `namespace: "${NS}", allChanges: true, sinceResourceVersion: "${since}"`,
      );
      await resumed.eventFor(`${tag}-3-b`, 'DELETED'); // replayed
      const marker = `${tag}-marker`;
      h.sim.store.create('pods', barePod(NS, marker)); // live
      const got = await untilMarker(resumed, marker);
      resumed.dispose();
      expect(got).toEqual(await simulatorSays({ from: since, namespace: NS }, marker));
      expect(got.length).toBeGreaterThan(10);
      expect(resumed.errors).toEqual([]);
    });
  }

  it('applies the filters, the caller’s rights now and the selection to replayed events', async () => {
    const tag = fresh('filters');
    const since = latestRV();
    changes(tag);
    const marker = `${tag}-marker`;
    // bob may view NS only: a subscription over every namespace resumes with NS's events.
    const bob = sub(
      'sse',
      'labelSelector: "tier=web", allChanges: true, sinceResourceVersion: $since'.replace(
        '$since',
        `"${since}"`,
      ),
      {
        token: BOB,
      },
    );
    await bob.eventFor(`${tag}-b`, 'DELETED');
    h.sim.store.create('pods', barePod(NS, marker, { labels: { tier: 'web' } }));
    const got = await untilMarker(bob, marker);
    bob.dispose();
    const expected = await simulatorSays({ from: since, namespace: NS, labelSelector: 'tier=web' }, marker);
    expect(got).toEqual(expected);
    // Entering and leaving the selector reads as ADDED and DELETED, as a filtered watch says.
    expect(got.map((l) => l.split('@')[0])).toEqual([
      `ADDED ${NS}/${tag}-a`,
      `MODIFIED ${NS}/${tag}-a`,
      `ADDED ${NS}/${tag}-b`,
      `DELETED ${NS}/${tag}-a`,
      `DELETED ${NS}/${tag}-b`,
      `ADDED ${NS}/${marker}`,
    ]);

    // Selection: without allChanges, a replayed MODIFIED is sent only when a selected field changed.
    const selective = sub('ws', `namespace: "${NS}", sinceResourceVersion: "${since}"`, {
      selection: 'type resourceVersion object { namespace name labels { key value } }',
    });
    await selective.eventFor(marker, 'ADDED');
    const lines = selective.events.map((e: Json) => line(e).split('@')[0]);
    selective.dispose();
    expect(lines).toEqual([
      `ADDED ${NS}/${tag}-a`,
      `ADDED ${NS}/${tag}-b`,
      // the annotation of -a is not there: labels are what it selected
      `MODIFIED ${NS}/${tag}-b`,
      `MODIFIED ${NS}/${tag}-a`,
      `DELETED ${NS}/${tag}-b`,
      `ADDED ${NS}/${marker}`,
    ]);
  });

  it('resumes jobEvents, nodeEvents and events as well', async () => {
    const tag = fresh('kinds');
    const since = latestRV();
    const [node] = [...h.sim.store.scan('nodes')].map((n) => n.metadata.name);
    const relabel = (resource: 'jobs' | 'nodes', ns: string | undefined, name: string, step: string) =>
      h.sim.store.mutate(resource, ns, name, (d) => ({
        ...d,
        metadata: { ...d.metadata, labels: { ...d.metadata.labels, step } },
      }));
    h.sim.store.create('jobs', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: `${tag}-job`, namespace: NS },
      spec: { suspend: true, completions: 1, parallelism: 1, template: { spec: { containers: [] } } },
      status: {},
    });
    relabel('jobs', NS, `${tag}-job`, '1');
    relabel('nodes', undefined, node, `${tag}-1`);
    const event = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: NS },
      involvedObject: { kind: 'Pod', name: 'x', namespace: NS },
      reason: 'Resumed',
      type: 'Normal',
      count: 1,
    });
    h.sim.store.create('events', event(`${tag}-event-1`));
    h.sim.store.delete('events', NS, `${tag}-event-1`);
    const cases = [
      {
        field: 'jobEvents',
        args: `namespace: "${NS}"`,
        path: `/apis/batch/v1/namespaces/${NS}/jobs`,
        last: () => h.sim.store.delete('jobs', NS, `${tag}-job`),
      },
      {
        field: 'nodeEvents',
        args: '',
        path: '/api/v1/nodes',
        last: () => relabel('nodes', undefined, node, `${tag}-2`),
      },
      {
        field: 'events',
        args: `namespace: "${NS}"`,
        path: `/api/v1/namespaces/${NS}/events`,
        last: () => h.sim.store.create('events', event(`${tag}-event-2`)),
      },
    ];
    for (const c of cases) {
      const s = subscribe(
        'sse',
        h.url,
        `subscription { ${c.field}(cluster: "sim", allChanges: true, ${c.args} sinceResourceVersion: "${since}") { type resourceVersion object { name } } }`,
        { token: ADMIN },
      );
      const lastRV = c.last()!.metadata.resourceVersion;
      await s.until(`the ${c.field} event at ${lastRV}`, (x) =>
        x.events.some((e: Json) => e.resourceVersion === lastRV),
      );
      s.dispose();
      const watch = await WatchStream.open(h.sim, `${c.path}?watch=true&resourceVersion=${since}`);
      const said = await watch.until((e) => e.object.metadata?.resourceVersion === lastRV, 15_000);
      watch.close();
      const got = s.events.map((e: Json) => `${e.type} ${e.object.name}@${e.resourceVersion}`);
      expect(got, c.field).toEqual(
        said
          .filter((e) => e.type !== 'BOOKMARK')
          .map((e) => `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`),
      );
      expect(got.length, c.field).toBeGreaterThanOrEqual(2);
    }
  });

  for (const transport of TRANSPORTS) {
    it(`leaves no gap and no duplicate at the seam between replay and live, under churn (${transport})`, async () => {
      const churn = new Churn(h.sim.store, { ratePerSecond: 0, seed: 31 });
      let running = true;
      const driver = (async () => {
        while (running) {
          churn.tick(5);
          await sleep(2);
        }
      })();
      const since = latestRV();
      const resumes: Subscription[] = [];
      try {
        await waitFor(() => Number(latestRV()) > Number(since) + 200, 'churn before resuming');
        // Several resumes from the same point, each joining while events keep coming.
        for (let i = 0; i < 3; i++) {
          resumes.push(sub(transport, `allChanges: true, sinceResourceVersion: "${since}"`));
          const target = Number(latestRV()) + 100;
          await waitFor(() => Number(latestRV()) > target, 'churn while resuming');
        }
      } finally {
        running = false;
        await driver;
        churn.stop();
      }
      const marker = fresh('seam-marker');
      h.sim.store.create('pods', barePod(NS, marker));
      const expected = await simulatorSays({ from: since }, marker);
      for (const r of resumes) {
        const got = await untilMarker(r, marker);
        r.dispose();
        expect(new Set(got).size).toBe(got.length);
        expect(got).toEqual(expected);
      }
    });
  }

  it('resumes on a replica whose cache is behind the resourceVersion the client brings', async () => {
    // This replica's watches are down while the client, elsewhere, saw changes up to `since`.
    const cluster = h.registry.get('sim')!;
    h.sim.injectFaults({ errorRate: 1, errorCode: 503, verbs: ['WATCH'] });
    h.sim.dropWatches('reset');
    const tag = fresh('behind');
    try {
      await waitFor(() => cluster.status().kinds.every((k) => !k.connected), 'every informer disconnected');
      changes(`${tag}-seen`);
      const since = latestRV();
      changes(`${tag}-missed`);
      expect(Number(podInformerRV())).toBeLessThan(Number(since));
      const resumed = await live(
        sub('sse', `namespace: "${NS}", allChanges: true, sinceResourceVersion: "${since}"`),
      );
      h.sim.injectFaults({ reset: true });
      const marker = `${tag}-marker`;
      h.sim.store.create('pods', barePod(NS, marker));
      const got = await untilMarker(resumed, marker);
      resumed.dispose();
      // What the cache receives up to `since` the client had: only what came after.
      expect(got).toEqual(await simulatorSays({ from: since, namespace: NS }, marker));
      expect(got.some((l) => l.includes(`${tag}-seen`))).toBe(false);
      expect(got.filter((l) => l.includes(`${tag}-missed`))).toHaveLength(6);
    } finally {
      h.sim.injectFaults({ reset: true });
    }
  });

  it('answers RESUME_EXPIRED, then completes, once the events are past the retention', async () => {
    const tag = fresh('retention');
    const since = latestRV();
    changes(tag);
    const last = latestRV();
    // Logged when the gateway's informer receives them: wait for that before time moves on.
    await waitFor(() => podInformerRV() === last, 'the gateway to receive the changes');
    clock.advance(RETENTION_MS + 1);
    for (const transport of TRANSPORTS) {
      const old = sub(transport, `sinceResourceVersion: "${since}"`);
      await old.end();
      expect(old.events).toEqual([]);
      expect(old.errors).toHaveLength(1);
      expect(old.errors[0].extensions).toMatchObject({
        code: 'RESUME_EXPIRED',
        cluster: 'sim',
        oldestResourceVersion: last,
      });
      expect(old.errors[0].message).toContain(`resume from is ${last}`);
      expect(old.errors[0].message).toContain('refetch with initial: true');
      expect(old.completed).toBe(true);
    }
    // Nothing happened since the last event: resuming from it is still exact.
    const current = await live(sub('sse', `namespace: "${NS}", sinceResourceVersion: "${last}"`));
    const marker = `${tag}-marker`;
    h.sim.store.create('pods', barePod(NS, marker));
    expect(await untilMarker(current, marker)).toEqual([`ADDED ${NS}/${marker}@${latestRV()}`]);
    current.dispose();
  });

  it('answers RESUME_EXPIRED for a resourceVersion from before a relist (410 Gone)', async () => {
    const cluster = h.registry.get('sim')!;
    const relists = () => cluster.status().kinds.find((k) => k.kind === 'Pod')!.relists;
    const before = relists();
    const since = latestRV();
    h.sim.store.create('pods', barePod(NS, fresh('before-relist')));
    h.sim.injectFaults({ compact: true, dropWatches: 'reset' });
    await waitFor(() => relists() > before, 'the pod informer to relist');
    const old = sub('ws', `sinceResourceVersion: "${since}"`);
    await old.end();
    expect(old.errors.map((e: Json) => e.extensions.code)).toEqual(['RESUME_EXPIRED']);
    const listed = cluster.informers!.Pod!.status().resourceVersion;
    expect(old.errors[0].extensions.oldestResourceVersion).toBe(listed);
  });

  it('refuses what cannot be resumed, with a code that says what to do', async () => {
    const first = async (args: string) => {
      const s = sub('sse', args);
      await s.end();
      return s.errors.map((e: Json) => `${e.extensions.code}: ${e.message}`);
    };
    expect(await first('initial: true, sinceResourceVersion: "1"')).toEqual([
      'BAD_USER_INPUT: expected either initial: true (a snapshot, then live) or sinceResourceVersion (a resume), received both',
    ]);
    const noCluster = subscribe(
      'ws',
      h.url,
      `subscription { podEvents(sinceResourceVersion: "1") { ${SEL} } }`,
      {
        token: ADMIN,
      },
    );
    await noCluster.end();
    expect(noCluster.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(noCluster.errors[0].message).toContain('sinceResourceVersion needs `cluster`');
    const [notAnRV] = await first('sinceResourceVersion: "abc"');
    expect(notAnRV).toMatch(/^RESUME_EXPIRED: sinceResourceVersion "abc" is not a resourceVersion/);
    const [future] = await first(`sinceResourceVersion: "${Number(latestRV()) + 1_000_000}"`);
    expect(future).toMatch(/^RESUME_EXPIRED: .* is ahead of cluster "sim"/);
  });
});
