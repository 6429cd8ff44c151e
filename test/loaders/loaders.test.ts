/**
 * The loaders' contract, through createContext against a real simulator: results in key
 * order, null (not an error) for a missing object, an Error for the one key that failed
 * while the rest of its batch succeeds, and the principal applied to every key.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { createContext, previousAnswer } from '../../src/loaders/index.js';
import { listCacheKey } from '../../src/loaders/keys.js';
import { internedMemoKeys, MAX_INTERNED_KEYS, memoKeyOf } from '../../src/loaders/lists.js';
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

  it('link a memoised list to the one it replaced, and only that one (pagination re-sorts from it)', async () => {
    // No job controller or scheduler between the answers: the store changes only as the test does.
    h.sim.pauseActivity();
    onTestFinished(() => h.sim.resumeActivity());
    const list = () =>
      createContext({ directory: h.registry, principal: OPEN_ACCESS }).loaders.list.load({
        cluster: 'sim',
        kind: 'Pod',
      });
    // Every distinct answer, in order (the simulator may change a pod again after adding it).
    const answers = [await list()];
    const add = async (name: string) => {
      h.sim.store.create('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default' },
        spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
      });
      for (let i = 0; i < 200; i++) {
        const items = await list();
        if (items !== answers.at(-1)) answers.push(items);
        if (items.some((p) => p.metadata?.name === name)) return items;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`the gateway never saw pod ${name}`);
    };
    expect(await list()).toBe(answers[0]); // unchanged store: the same frozen answer
    const second = await add('lineage-a');
    expect(answers).toHaveLength(2);
    expect(Object.isFrozen(second)).toBe(true);
    expect(previousAnswer(second)).toBe(answers.at(-2));
    const before = answers.at(-1);
    const third = await add('lineage-b');
    expect(previousAnswer(third)).toBe(answers.at(-2));
    // Each link is cut as the next is made: an answer keeps at most one older one alive.
    expect(previousAnswer(before!)).toBeUndefined();
    expect(previousAnswer(answers[0])).toBeUndefined();
  });
});

describe('the memo key', () => {
  const built = (access: string, key: Parameters<typeof listCacheKey>[0]) =>
    `${access}\u0000${listCacheKey(key)}`;

  it('is the key built afresh, interned once per (access, key), whatever the fields’ order', () => {
    const access = `static:${JSON.stringify(['memo-key-test'])}`;
    const key = { cluster: 'sim', kind: 'Pod' as const, namespace: 'team-a', jobName: 'backup-1' };
    const reordered = { jobName: 'backup-1', kind: 'Pod' as const, cluster: 'sim', namespace: 'team-a' };
    const first = memoKeyOf(access, key);
    expect(first).toBe(built(access, key));
    const interned = internedMemoKeys();
    expect(memoKeyOf(access, { ...key })).toBe(first);
    expect(internedMemoKeys()).toBe(interned); // found, not built again
    expect(memoKeyOf(access, reordered)).toBe(first); // another path to the same text
    // What may tell two answers apart does: the access, each value, a field left out.
    const others = [
      memoKeyOf('none', key),
      memoKeyOf(access, { ...key, namespace: 'team-b' }),
      memoKeyOf(access, { ...key, jobName: undefined }),
      memoKeyOf(access, { ...key, labelSelector: 'app=x' }),
      memoKeyOf(access, { ...key, kind: 'Job' }),
    ];
    expect(new Set([first, ...others]).size).toBe(6);
    expect(others).toEqual([
      built('none', key),
      built(access, { ...key, namespace: 'team-b' }),
      built(access, { ...key, jobName: undefined }),
      built(access, { ...key, labelSelector: 'app=x' }),
      built(access, { ...key, kind: 'Job' }),
    ]);
  });

  it('holds at most MAX_INTERNED_KEYS keys (a client chooses selectors), and stays right past it', () => {
    const key = (n: number) => ({ cluster: 'sim', kind: 'Pod' as const, labelSelector: `app=bound-${n}` });
    let max = 0;
    for (let n = 0; n < MAX_INTERNED_KEYS + 10; n++) {
      expect(memoKeyOf('none', key(n))).toBe(built('none', key(n)));
      max = Math.max(max, internedMemoKeys());
    }
    expect(max).toBe(MAX_INTERNED_KEYS);
    expect(internedMemoKeys()).toBeLessThan(MAX_INTERNED_KEYS / 2); // started again
    expect(memoKeyOf('none', key(3))).toBe(built('none', key(3)));
  });
});
