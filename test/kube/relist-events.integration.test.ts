/**
 * What a relist owes the event hub: the watch goes down, objects are added, changed and
 * deleted meanwhile, the history is compacted, and the resumed watch meets 410 Expired.
 * The informer relists and publishes the synthetic ADDED / MODIFIED / DELETED that bring
 * every consumer to the new state, and nothing for the objects that did not change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/kube/cluster.js';
import { EventHub, type HubEvent } from '../../src/kube/event-hub.js';
import { CACHE_KINDS, objectKey } from '../../src/kube/kinds.js';
import { loadSource } from '../../src/kube/sources.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { waitFor } from '../helpers/wait.js';
import { barePod, converged, requests, simMetrics, stopBackgroundActivity } from './sim-helpers.js';

describe('synthetic events of a relist', () => {
  let sim: Simulator;
  let cluster: Cluster;
  const events: HubEvent[] = [];

  beforeAll(async () => {
    sim = await startSimulator({
      churnPerSecond: 0,
      bookmarkIntervalMs: 60_000,
      scenario: { nodes: 4, pods: 60, jobs: 4, namespaces: 2, seed: 5 },
    });
    stopBackgroundActivity(sim);
    const hub = new EventHub();
    hub.subscribe({}, (event) => {
      events.push(event);
    });
    const spec = loadSource(
      { type: 'kubeconfig-text', text: sim.kubeconfig({ context: 'relist' }) },
      { cache: true },
    )[0];
    cluster = new Cluster(spec, { hub, reflector: { backoff: { initialMs: 50, maxMs: 1000 } } });
    cluster.start();
    expect(await cluster.waitForSync(15_000)).toBe(true);
    await waitFor(() => sim.openWatchCount() === CACHE_KINDS.length, 'a watch per mirrored kind open');
  });

  afterAll(async () => {
    await cluster?.stop();
    await sim?.close();
  });

  it('publishes ADDED, MODIFIED and DELETED for what changed while the watch was down', async () => {
    const pods = [...sim.store.scan('pods')].filter(
      (p) => !p.metadata.ownerReferences?.some((o) => o.kind === 'Job'),
    );
    const [changed, removed] = [pods[3], pods[7]];
    const namespace = changed.metadata.namespace!;
    const nodeName = [...sim.store.scan('nodes')][1].metadata.name;

    // The watch goes down and cannot come back: every WATCH answers 503.
    sim.injectFaults({ errorRate: 1, errorCode: 503, verbs: ['WATCH'] });
    sim.dropWatches('reset');
    await waitFor(
      () => sim.openWatchCount() === 0 && cluster.status().kinds.every((k) => !k.connected),
      'every watch down',
    );
    const mark = events.length;
    const before = { changed: changed.metadata.resourceVersion, removed: removed.metadata.resourceVersion };

    // Meanwhile: one pod added, one changed, one deleted, one node relabelled.
    const created = sim.store.create('pods', barePod(namespace, 'made-while-down', nodeName));
    const modified = sim.store.mutate('pods', namespace, changed.metadata.name, (draft) => {
      draft.metadata.labels = { ...draft.metadata.labels, touched: 'while-down' };
      return draft;
    })!;
    sim.store.delete('pods', removed.metadata.namespace, removed.metadata.name);
    const node = sim.store.mutate('nodes', undefined, nodeName, (draft) => {
      draft.metadata.labels = { ...draft.metadata.labels, 'kubegate.test/relist': 'yes' };
      return draft;
    })!;
    // History is compacted: resuming from the old resourceVersion now means 410 Expired.
    sim.store.create('events', { apiVersion: 'v1', kind: 'Event', metadata: { name: 'rv-bump', namespace } });
    sim.injectFaults({ compact: true });
    expect(events.length).toBe(mark);
    // The informers did try to resume, and were refused.
    await waitFor(
      async () => requests(await simMetrics(sim), { verb: 'WATCH', code: '503' }) >= 4,
      'the informers tried to watch again and met 503s',
    );

    sim.injectFaults({ reset: true });
    await waitFor(
      () => cluster.status().kinds.every((k) => k.relists === 1 && k.connected),
      'every informer relisted and watching again',
    );
    expect(converged(sim, cluster.informers!)).toBe(true);

    const listRV = String(sim.store.resourceVersion);
    const seen = events.slice(mark).map((e) => ({
      kind: e.kind,
      type: e.type,
      key: objectKey(e.object),
      rv: e.object.metadata?.resourceVersion,
      previousRV: e.previous?.metadata?.resourceVersion,
      resourceVersion: e.resourceVersion,
    }));
    const key = (o: { metadata: { namespace?: string; name: string } }) => objectKey(o);
    // Exactly the changes, nothing for the objects that stayed the same; all from one list.
    expect(seen.sort((a, b) => `${a.kind}${a.key}`.localeCompare(`${b.kind}${b.key}`))).toEqual(
      [
        // The event created to move the resourceVersion on is a change too: Events are mirrored.
        {
          kind: 'Event',
          type: 'ADDED',
          key: `${namespace}/rv-bump`,
          rv: listRV,
          previousRV: undefined,
          resourceVersion: listRV,
        },
        {
          kind: 'Node',
          type: 'MODIFIED',
          key: nodeName,
          rv: node.metadata.resourceVersion,
          previousRV: expect.any(String),
          resourceVersion: listRV,
        },
        {
          kind: 'Pod',
          type: 'ADDED',
          key: key(created),
          rv: created.metadata.resourceVersion,
          previousRV: undefined,
          resourceVersion: listRV,
        },
        {
          kind: 'Pod',
          type: 'MODIFIED',
          key: key(modified),
          rv: modified.metadata.resourceVersion,
          previousRV: before.changed,
          resourceVersion: listRV,
        },
        {
          kind: 'Pod',
          type: 'DELETED',
          key: key(removed),
          rv: before.removed,
          previousRV: undefined,
          resourceVersion: listRV,
        },
      ].sort((a, b) => `${a.kind}${a.key}`.localeCompare(`${b.kind}${b.key}`)),
    );
    // The aggregates followed the relist too: the new pod counts on its node.
    const onNode = cluster
      .informers!.Pod!.store.list()
      .filter(
        (p) =>
          p.spec?.nodeName === nodeName && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
      );
    expect(cluster.aggregates.node(nodeName).podCount).toBe(onNode.length);
  });
});
