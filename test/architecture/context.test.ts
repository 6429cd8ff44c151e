/**
 * The request context is sealed: what a resolver can reach from `ctx` is read-only —
 * loaders, the principal, the clock, the cluster catalog (names and status snapshots) and
 * the subscriptions it may start — plus `write`, whose methods go to the API server as the
 * caller and answer plain objects. No Cluster, API client, writer, registry, hub, informer,
 * reader or writable store is reachable from it: proved by type (what every property and
 * method returns, four levels deep) and at run time (walking the live object graph of a
 * context, and of what its writes answer).
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { ClusterClient } from '../../src/kube/client.js';
import { Cluster } from '../../src/kube/cluster.js';
import { EventHub } from '../../src/kube/event-hub.js';
import { Indexer, type WritableStore } from '../../src/kube/indexer.js';
import { Informer } from '../../src/kube/informer.js';
import { ClusterLogs } from '../../src/kube/logs.js';
import type { PooledKubeConfig } from '../../src/kube/pooled-config.js';
import { ClusterReader } from '../../src/kube/reader.js';
import { ClusterRegistry } from '../../src/kube/registry.js';
import { ClusterUsage } from '../../src/kube/usage.js';
import { ClusterWriter } from '../../src/kube/writer.js';
import { createContext, type GatewayContext } from '../../src/loaders/index.js';
import { kubeUser, OPEN_ACCESS, type StaticPrincipal } from '../../src/loaders/principal.js';
import { type Harness, startHarness } from '../helpers/harness.js';

/** What must not be reachable from a context. */
type Forbidden =
  | Cluster
  | ClusterClient
  | ClusterRegistry
  | ClusterReader
  | EventHub
  | Informer<'Pod'>
  | PooledKubeConfig
  | ClusterWriter
  | ClusterLogs
  | ClusterUsage
  | WritableStore<never>;

/**
 * The forbidden types reachable from T through properties and what methods return (their
 * promises awaited), `D` levels deep: never when there are none.
 */
type Reach<T, D extends unknown[] = []> = D['length'] extends 4
  ? never
  : T extends Forbidden
    ? T
    : T extends (...args: never[]) => infer R
      ? Reach<Awaited<R>, [...D, 1]>
      : T extends readonly (infer E)[]
        ? Reach<E, [...D, 1]>
        : T extends ReadonlyMap<unknown, infer V> | ReadonlySet<infer V>
          ? Reach<V, [...D, 1]>
          : T extends object
            ? { [K in keyof T]-?: Reach<T[K], [...D, 1]> }[keyof T]
            : never;

describe('the request context', () => {
  it('has exactly the read-only parts, by type', () => {
    expectTypeOf<keyof GatewayContext>().toEqualTypeOf<
      'clock' | 'loaders' | 'principal' | 'clusters' | 'subscribe' | 'write' | 'logs' | 'renewLoaders'
    >();
    // Logs: lines, flags and queues of lines — never the cluster's log streamer or its client.
    expectTypeOf<Reach<GatewayContext['logs']>>().toEqualTypeOf<never>();
    // Writes: methods whose answers are objects, versions and flags — never a client or writer.
    expectTypeOf<Reach<GatewayContext['write']>>().toEqualTypeOf<never>();
    expectTypeOf<Reach<GatewayContext['clusters']>>().toEqualTypeOf<never>();
    expectTypeOf<Reach<GatewayContext['subscribe']>>().toEqualTypeOf<never>();
    expectTypeOf<Reach<GatewayContext['principal']>>().toEqualTypeOf<never>();
    expectTypeOf<Reach<GatewayContext['clock']>>().toEqualTypeOf<never>();
    expectTypeOf<Reach<GatewayContext['renewLoaders']>>().toEqualTypeOf<never>();
    // The loaders' answers: objects, numbers, statuses — never a store or a client.
    type Loaders = Omit<GatewayContext['loaders'], 'usage'>;
    type Answers = { [K in keyof Loaders]: Awaited<ReturnType<Loaders[K]['load']>> };
    expectTypeOf<Reach<Answers>>().toEqualTypeOf<never>();
    // Usage: answers are numbers, records and samples — never the cluster's usage cache.
    expectTypeOf<Reach<GatewayContext['loaders']['usage']>>().toEqualTypeOf<never>();
    // The check itself bites: a context that handed out a Cluster would not pass.
    expectTypeOf<
      Reach<{ clusters: { get(name: string): Cluster | undefined } }>
    >().not.toEqualTypeOf<never>();
    expectTypeOf<Reach<{ store(): Promise<WritableStore<never>> }>>().not.toEqualTypeOf<never>();
    expectTypeOf<Reach<{ deletePod(): Promise<{ via: ClusterWriter }> }>>().not.toEqualTypeOf<never>();
  });

  describe('at run time', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({
        simulator: { scenario: { nodes: 2, pods: 10, jobs: 1, namespaces: 1, seed: 5 } },
      });
    });
    afterAll(() => h?.close());

    it('reaches no Cluster, client, registry, hub, informer, reader or store, and cannot be changed', async () => {
      const ctx = createContext({ directory: h.registry, principal: OPEN_ACCESS });
      // Use it first, so that lazily built parts (loaders, readers) exist when it is walked.
      await ctx.loaders.summary.load('sim');
      await ctx.loaders.list.load({ cluster: 'sim', kind: 'Pod' });
      const found: string[] = [];
      walk(ctx, 'ctx', 6, new Set(), found);
      expect(found).toEqual([]);
      expect(Object.isFrozen(ctx)).toBe(true);
      expect(Object.isFrozen(ctx.loaders)).toBe(true);
      expect(() => {
        (ctx as { loaders: unknown }).loaders = {};
      }).toThrow(TypeError);
      // @ts-expect-error the directory (and through it every Cluster) is not part of the context
      expect(ctx.directory).toBeUndefined();
      // A status is a snapshot: changing it changes nothing the next reader sees.
      const status = ctx.clusters.status('sim')!;
      status.kinds.length = 0;
      expect(ctx.clusters.status('sim')!.kinds.length).toBeGreaterThan(0);
    });

    it('its writes reach no client or writer either, and answer plain frozen objects', async () => {
      // A static principal that writes as the simulator's own admin (system:masters).
      const principal: StaticPrincipal = Object.freeze({
        name: 'probe',
        clusters: '*',
        namespaces: '*',
        writeAs: kubeUser({ username: 'admin', groups: ['system:masters'] }),
      });
      const ctx = createContext({ directory: h.registry, principal });
      const pod = [...h.sim.store.scan('pods')][0];
      const target = { cluster: 'sim', namespace: pod.metadata.namespace, name: pod.metadata.name };
      // Every kind of write the interface makes: a dry run, a patch waited for, a drain's list.
      const results = [
        await ctx.write.deletePod(target, { dryRun: true }),
        await ctx.write.setLabels('Pod', target, { set: { probed: 'yes' }, remove: [] }, {}),
        await ctx.write.drainNode({ cluster: 'sim', name: pod.spec?.nodeName as string }, { dryRun: true }),
      ];
      expect(results[1].visible).toBe(true);
      const found: string[] = [];
      walk(ctx, 'ctx', 6, new Set(), found);
      walk(results, 'results', 8, new Set(), found);
      expect(found).toEqual([]);
      expect(Object.isFrozen(ctx.write)).toBe(true);
      for (const r of results) expect(Object.isFrozen(r)).toBe(true);
    });

    it('the walk finds a Cluster where there is one (the check bites)', () => {
      const found: string[] = [];
      walk({ leak: { cluster: h.registry.get('sim') } }, 'probe', 6, new Set(), found);
      expect(found).toContain('probe.leak.cluster: Cluster');
    });
  });
});

const FORBIDDEN_CLASSES: [string, abstract new (...args: never[]) => unknown][] = [
  ['Cluster', Cluster],
  ['ClusterRegistry', ClusterRegistry],
  ['ClusterReader', ClusterReader],
  ['EventHub', EventHub],
  ['Informer', Informer],
  ['Indexer', Indexer],
  ['ClusterWriter', ClusterWriter],
  ['ClusterLogs', ClusterLogs],
  ['ClusterUsage', ClusterUsage],
];

/** Walks own properties and getters of objects (not into functions' closures: types cover those). */
function walk(value: unknown, path: string, depth: number, seen: Set<unknown>, found: string[]): void {
  if (value === null || typeof value !== 'object' || seen.has(value) || depth < 0) return;
  seen.add(value);
  for (const [name, cls] of FORBIDDEN_CLASSES) if (value instanceof cls) found.push(`${path}: ${name}`);
  if (
    (value as { constructor?: { name?: string } }).constructor?.name?.match(
      /^(ClusterClient|ClusterWriter|PooledKubeConfig|CoreV1Api|BatchV1Api|Agent)$/,
    )
  ) {
    found.push(`${path}: ${(value as { constructor: { name: string } }).constructor.name}`);
  }
  if (value instanceof Map || value instanceof Set) {
    let i = 0;
    for (const entry of value.values()) walk(entry, `${path}[${i++}]`, depth - 1, seen, found);
    return;
  }
  // Own properties, and the getters of its classes (the context's loaders are class instances
  // whose members are prototype getters over private fields).
  const keys = new Set(Reflect.ownKeys(value));
  for (
    let proto = Object.getPrototypeOf(value);
    proto && proto !== Object.prototype && proto !== Function.prototype;
    proto = Object.getPrototypeOf(proto)
  )
    for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))) if (d.get) keys.add(key);
  for (const key of keys) {
    let child: unknown;
    try {
      child = (value as Record<PropertyKey, unknown>)[key];
    } catch {
      continue;
    }
    walk(child, `${path}.${String(key)}`, depth - 1, seen, found);
  }
}
