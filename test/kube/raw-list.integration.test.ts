/**
 * An informer's first sync reads its pages as plain JSON (ClusterClient.listRaw) and trims
 * them without building client-node model objects, one page requested ahead of the one
 * being trimmed (issue #16). Checked against a running simulator: what the stores hold is
 * exactly the simulator's objects as the typed path would have trimmed them (model objects,
 * Dates), for every mirrored kind; and the page requests run one ahead, never more.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClusterClient, type RawListPage } from '../../src/kube/client.js';
import { EventHub } from '../../src/kube/event-hub.js';
import { Informer } from '../../src/kube/informer.js';
import { INFORMER_KINDS, type KindName, objectKey } from '../../src/kube/kinds.js';
import { transformObject } from '../../src/kube/transform.js';
import type { Simulator } from '../../src/simulator/server.js';
import type { ResourceName } from '../../src/simulator/types.js';
import { RESOURCE_OF, type StillCluster, stillCluster } from './sim-helpers.js';

/** What one first sync did: each listRaw call, and for each prepared item which page it came from and how many requests had gone out by then. */
interface SyncRecord {
  requests: number;
  pages: number;
  prepared: { page: number; requestsSoFar: number }[];
}

/** An informer whose prepareRaw records, for each item, its page and how many page requests had been made by then. */
class RecordingInformer<K extends KindName> extends Informer<K> {
  constructor(
    kind: K,
    client: ClusterClient,
    readonly record: SyncRecord,
    pageSize: number,
  ) {
    const pageOf = new WeakMap<object, number>();
    super({
      cluster: 'raw',
      kind,
      hub: new EventHub(),
      client: {
        list: (k, options) => client.list(k, options),
        watch: (k, options, onEvent) => client.watch(k, options, onEvent),
        listRaw: async (k, options): Promise<RawListPage> => {
          record.requests += 1;
          const page = await client.listRaw(k, options);
          const n = ++record.pages;
          for (const item of page.items) pageOf.set(item, n);
          return page;
        },
      },
      reflector: { pageSize },
    });
    this.pageOf = pageOf;
  }

  private readonly pageOf: WeakMap<object, number>;

  override prepareRaw(raw: Record<string, unknown>) {
    this.record.prepared.push({ page: this.pageOf.get(raw) ?? -1, requestsSoFar: this.record.requests });
    return super.prepareRaw(raw);
  }
}

describe('first sync from plain JSON pages', () => {
  let cluster: StillCluster;
  let sim: Simulator;
  let client: ClusterClient;

  beforeAll(async () => {
    // A still cluster: the stores are compared with what the simulator holds.
    cluster = await stillCluster({ nodes: 6, pods: 300, jobs: 12, namespaces: 4, seed: 7 }, 'raw', (s) => {
      // The scenario has cluster-wide RBAC only: a few namespaced Roles and bindings too.
      const namespace = [...s.store.scan('namespaces')][0].metadata.name;
      for (let i = 0; i < 6; i++) {
        s.store.create('roles' as ResourceName, {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: `reader-${i}`, namespace, labels: { team: `t${i % 2}` } },
          rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
        });
        s.store.create('rolebindings' as ResourceName, {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: `reader-${i}`, namespace },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `reader-${i}` },
          subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: `user-${i}` }],
        });
      }
    });
    ({ sim, client } = cluster);
  });

  afterAll(() => cluster?.close());

  async function firstSync<K extends KindName>(kind: K, pageSize: number) {
    const record: SyncRecord = { requests: 0, pages: 0, prepared: [] };
    const informer = new RecordingInformer(kind, client, record, pageSize);
    informer.start();
    try {
      await informer.waitForSync();
    } finally {
      await informer.stop();
    }
    return { informer, record };
  }

  it.each(INFORMER_KINDS)(
    'stores exactly the simulator %s objects, trimmed as model objects would be',
    async (kind) => {
      const simObjects = [...sim.store.scan(RESOURCE_OF[kind])];
      expect(simObjects.length).toBeGreaterThan(0);
      // Several pages for every kind: a page of a fifth of the objects, at least 1.
      const { informer, record } = await firstSync(kind, Math.max(1, Math.floor(simObjects.length / 5)));
      expect(record.pages).toBeGreaterThan(1);
      const stored = new Map(informer.store.list().map((o) => [objectKey(o), o] as const));
      expect([...stored.keys()].sort()).toEqual(simObjects.map((o) => objectKey(o)).sort());
      for (const obj of simObjects) {
        // What the typed path stores: the served JSON deserialised into client-node's model (Dates), then trimmed.
        const model = ClusterClient.deserialize(kind, JSON.parse(JSON.stringify(obj)));
        expect(stored.get(objectKey(obj))).toStrictEqual(transformObject(kind, model));
      }
    },
  );

  it.each(INFORMER_KINDS)(
    'watches %s as plain JSON too: each added, modified and deleted object is stored as the model path trims it',
    async (kind) => {
      const resource = RESOURCE_OF[kind];
      const asked: (boolean | undefined)[] = [];
      const informer = new Informer({
        cluster: 'raw',
        kind,
        hub: new EventHub(),
        client: {
          list: (k, options) => client.list(k, options),
          listRaw: (k, options) => client.listRaw(k, options),
          watch: (k, options, onEvent) => {
            asked.push(options.raw);
            return client.watch(k, options, onEvent);
          },
        },
      });
      informer.start();
      try {
        await informer.waitForSync();
        const [first, second] = [...sim.store.scan(resource)];
        const { namespace } = first.metadata;
        // Modified (a label, so nothing else changes), added (a copy), deleted.
        sim.store.mutate(resource, namespace, first.metadata.name, (o) => {
          o.metadata.labels = { ...o.metadata.labels, 'raw-watch': kind.toLowerCase() };
          return o;
        });
        const copy = structuredClone(first) as typeof first;
        copy.metadata = {
          name: `${first.metadata.name}-copy`,
          ...(namespace ? { namespace } : {}),
          labels: { 'raw-watch': 'copy' },
        };
        sim.store.create(resource, copy);
        sim.store.delete(resource, second.metadata.namespace, second.metadata.name);
        const simObjects = [...sim.store.scan(resource)];
        const key = (o: { metadata: { namespace?: string; name: string } }) => objectKey(o);
        await vi.waitFor(
          () => {
            const have = new Set(informer.store.list().map(objectKey));
            expect(have.has(`${namespace ? `${namespace}/` : ''}${copy.metadata.name}`)).toBe(true);
            expect(have.size).toBe(simObjects.length);
            expect(informer.store.get(key(first))?.metadata?.labels?.['raw-watch']).toBe(kind.toLowerCase());
          },
          { timeout: 10_000 },
        );
        expect(asked.length).toBeGreaterThan(0);
        expect(asked.every((raw) => raw === true)).toBe(true);
        const stored = new Map(informer.store.list().map((o) => [objectKey(o), o] as const));
        for (const obj of simObjects) {
          const model = ClusterClient.deserialize(kind, JSON.parse(JSON.stringify(obj)));
          expect(stored.get(objectKey(obj))).toStrictEqual(transformObject(kind, model));
        }
      } finally {
        await informer.stop();
      }
    },
  );

  it('requests the next page before trimming the current one, and never two ahead', async () => {
    const pods = sim.summary.counts.pods;
    const { record } = await firstSync('Pod', 40);
    const pages = Math.ceil(pods / 40);
    expect(pages).toBeGreaterThan(3);
    expect(record).toMatchObject({ requests: pages, pages });
    expect(record.prepared).toHaveLength(pods);
    // Page n's items are trimmed once page n+1 has been requested (the last page has no next).
    for (const { page, requestsSoFar } of record.prepared) {
      expect({ page, requestsSoFar }).toEqual({ page, requestsSoFar: Math.min(page + 1, pages) });
    }
  });
});
