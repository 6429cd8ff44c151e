/**
 * The loaders' contract, through createContext against a real simulator: results in key
 * order, null (not an error) for a missing object, an Error for the one key that failed
 * while the rest of its batch succeeds, and the principal applied to every key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { createContext } from '../../src/loaders/index.js';
import { OPEN_ACCESS } from '../../src/loaders/principal.js';
import { type Harness, startHarness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    simulator: { scenario: { nodes: 3, pods: 20, jobs: 2, namespaces: 2, seed: 4 } },
  });
});
afterAll(() => h?.close(), 60_000);

const codeOf = (e: unknown) => (e instanceof GatewayError ? e.code : e);

describe('batch functions', () => {
  it('answer in key order, with null for what does not exist', async () => {
    const { loaders } = createContext({ directory: h.registry, principal: OPEN_ACCESS });
    const [a, b] = [...h.sim.store.scan('pods')];
    const results = await loaders.object.loadMany([
      { cluster: 'sim', kind: 'Pod', namespace: b.metadata.namespace, name: b.metadata.name },
      { cluster: 'sim', kind: 'Pod', namespace: 'default', name: 'does-not-exist' },
      { cluster: 'sim', kind: 'Pod', namespace: a.metadata.namespace, name: a.metadata.name },
    ]);
    expect(results.map((r) => (r && !(r instanceof Error) ? r.metadata?.uid : r))).toEqual([
      b.metadata.uid,
      null,
      a.metadata.uid,
    ]);
  });

  it('fail only the key that is bad, and say why', async () => {
    const { loaders } = createContext({ directory: h.registry, principal: OPEN_ACCESS });
    const results = await loaders.list.loadMany([
      { cluster: 'sim', kind: 'Pod', labelSelector: 'tier=backend' },
      { cluster: 'sim', kind: 'Pod', labelSelector: 'tier in (' },
      { cluster: 'no-such-cluster', kind: 'Pod' },
      { cluster: 'sim', kind: 'Node' },
    ]);
    expect(Array.isArray(results[0])).toBe(true);
    expect(codeOf(results[1])).toBe('BAD_USER_INPUT');
    expect((results[1] as Error).message).toMatch(/at position 9/);
    expect(codeOf(results[2])).toBe('NOT_FOUND');
    expect((results[2] as Error).message).toMatch(
      /expected one of the clusters \["sim"\], received "no-such-cluster"/,
    );
    expect(results[3]).toHaveLength(3);
  });

  it('apply the principal: a hidden cluster is NOT_FOUND (as a missing one), a hidden namespace is empty', async () => {
    const pod = [...h.sim.store.scan('pods')].find((p) => p.metadata.namespace !== 'default')!;
    const { loaders } = createContext({
      directory: h.registry,
      principal: { name: 'team', clusters: ['other'], namespaces: ['default'] },
    });
    expect(codeOf((await loaders.list.loadMany([{ cluster: 'sim', kind: 'Pod' }]))[0])).toBe('NOT_FOUND');
    const visible = createContext({
      directory: h.registry,
      principal: { name: 'team', clusters: ['sim'], namespaces: ['default'] },
    }).loaders;
    const pods = await visible.list.load({ cluster: 'sim', kind: 'Pod' });
    expect(pods.length).toBeGreaterThan(0);
    expect(pods.every((p) => p.metadata?.namespace === 'default')).toBe(true);
    expect(
      await visible.object.load({
        cluster: 'sim',
        kind: 'Pod',
        namespace: pod.metadata.namespace,
        name: pod.metadata.name,
      }),
    ).toBeNull();
    expect(
      await visible.list.load({ cluster: 'sim', kind: 'Pod', namespace: pod.metadata.namespace }),
    ).toEqual([]);
  });
});
