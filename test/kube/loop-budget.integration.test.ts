/**
 * A watch's backlog is applied within the loop budget (src/kube/loop-budget.ts): once a
 * turn's slice is spent, the stream waits for a later turn of the event loop, so requests
 * gathered meanwhile are answered between its events. Checked on a real backlog: a watch
 * resumed from before 200 pods were created, which the simulator replays at once, with a
 * counter of event-loop turns (a setImmediate that schedules itself) read at each event.
 */
import { setImmediate } from 'node:timers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoopBudget } from '../../src/kube/loop-budget.js';
import { type StillCluster, stillCluster } from './sim-helpers.js';

describe('watch backlogs applied a slice per event-loop turn', () => {
  let cluster: StillCluster;
  let from = '';
  const created: string[] = [];

  beforeAll(async () => {
    cluster = await stillCluster({ nodes: 2, pods: 4, jobs: 1, namespaces: 1, seed: 9 }, 'budget');
    from = (await cluster.client.listRaw('Pod', {})).resourceVersion;
    const namespace = [...cluster.sim.store.scan('namespaces')][0].metadata.name;
    for (let i = 0; i < 200; i++) {
      const name = `backlog-${String(i).padStart(3, '0')}`;
      created.push(name);
      cluster.sim.store.create('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace, labels: { app: 'backlog' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      });
    }
  });

  afterAll(() => cluster?.close());

  /** The replayed events' names, and the event-loop turn each was applied in. */
  async function replay(budget: LoopBudget): Promise<{ names: string[]; turns: number[] }> {
    let turn = 0;
    let counting = true;
    const tick = () => {
      turn += 1;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const names: string[] = [];
    const turns: number[] = [];
    let resolveAll!: () => void;
    const all = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    const handle = await cluster.client.watch(
      'Pod',
      { resourceVersion: from, timeoutSeconds: 30, allowWatchBookmarks: false, raw: true, budget },
      (type, object) => {
        if (type !== 'ADDED') return;
        names.push((object as { metadata: { name: string } }).metadata.name);
        turns.push(turn);
        if (names.length === created.length) resolveAll();
      },
    );
    await all;
    counting = false;
    handle.stop();
    await handle.done;
    return { names, turns };
  }

  it('applies each event in a turn of its own when no slice is left, in order, none lost', async () => {
    const { names, turns } = await replay(new LoopBudget({ sliceMs: 0 }));
    expect(names).toEqual(created);
    for (let i = 1; i < turns.length; i++) expect(turns[i]).toBeGreaterThan(turns[i - 1]);
  });

  it('without a budget applies many events of one chunk in the same turn (what the budget prevents)', async () => {
    const { names, turns } = await replay(new LoopBudget({ sliceMs: Number.POSITIVE_INFINITY }));
    expect(names).toEqual(created);
    expect(new Set(turns).size).toBeLessThan(turns.length);
  });
});
