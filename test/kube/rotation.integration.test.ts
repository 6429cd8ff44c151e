/**
 * Credentials rotated on disk: a kubeconfig file with two contexts (each on its own
 * simulator), a registry watching it. The rotated cluster is rebuilt with the new token
 * while reads keep working; the other one keeps its very Cluster object; removing and
 * adding contexts removes and adds clusters. Evidence comes from the simulators: once the
 * old token is revoked (and answers 401), requests still succeed there.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Cluster } from '../../src/kube/cluster.js';
import { EventHub } from '../../src/kube/event-hub.js';
import { CACHE_KINDS } from '../../src/kube/kinds.js';
import { ClusterReader } from '../../src/kube/reader.js';
import { ClusterRegistry } from '../../src/kube/registry.js';
import { ADMIN_RULES } from '../../src/simulator/auth.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { simFetch } from '../helpers/harness.js';
import { gatewayLog, recordSecret } from '../helpers/test-log.js';
import { waitFor } from '../helpers/wait.js';
import { requests, simMetrics, stopBackgroundActivity } from './sim-helpers.js';

interface Entry {
  context: string;
  sim: Simulator;
  token: string;
}

function kubeconfigText(entries: Entry[]): string {
  for (const e of entries) recordSecret(e.token, `kubeconfig token of ${e.context}`);
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: entries.map((e) => ({
      name: `${e.context}-cluster`,
      cluster: {
        server: e.sim.url,
        'certificate-authority-data': Buffer.from(e.sim.caPem).toString('base64'),
      },
    })),
    users: entries.map((e) => ({ name: `${e.context}-user`, user: { token: e.token } })),
    contexts: entries.map((e) => ({
      name: e.context,
      context: { cluster: `${e.context}-cluster`, user: `${e.context}-user` },
    })),
    'current-context': entries[0].context,
  });
}

const grant = (user: string) => ({ user, rules: ADMIN_RULES });

describe.each([
  { cache: false, mode: 'cache off (every read goes to the API server)' },
  { cache: true, mode: 'cache on' },
])('credential rotation, $mode', ({ cache }) => {
  let simA: Simulator;
  let simB: Simulator;
  let dir: string;
  let file: string;
  let registry: ClusterRegistry;
  const reloads: { added: string[]; removed: string[]; replaced: string[]; error?: string }[] = [];

  /** The reloads since `mark` that changed something (a rename can be reported more than once). */
  const changesSince = (mark: number) =>
    reloads.slice(mark).filter((r) => r.error || r.added.length || r.removed.length || r.replaced.length);

  /** Rewrites the kubeconfig the way rotators and editors do: a new file renamed over the old. */
  const writeKubeconfig = (entries: Entry[]) => {
    const tmp = join(dir, `.kubeconfig.${Date.now()}.tmp`);
    writeFileSync(tmp, kubeconfigText(entries), { mode: 0o600 });
    renameSync(tmp, file);
  };

  beforeAll(async () => {
    [simA, simB] = await Promise.all([
      startSimulator({
        churnPerSecond: 0,
        scenario: { nodes: 4, pods: 80, jobs: 4, namespaces: 2, seed: 21 },
        tokens: { 'alpha-old': grant('alpha') },
      }),
      startSimulator({
        churnPerSecond: 0,
        scenario: { nodes: 3, pods: 40, jobs: 2, namespaces: 2, seed: 22 },
        tokens: { 'beta-token': grant('beta') },
      }),
    ]);
    stopBackgroundActivity(simA);
    stopBackgroundActivity(simB);
    dir = mkdtempSync(join(tmpdir(), 'kubegate-rotation-'));
    file = join(dir, 'config');
  });

  afterEach(async () => {
    await registry?.stop();
  });

  afterAll(async () => {
    await Promise.all([simA?.close(), simB?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (entries: Entry[]) => {
    writeKubeconfig(entries);
    const log = gatewayLog();
    registry = new ClusterRegistry({
      hub: new EventHub({ onListenerError: log.onListenerError }),
      sources: [{ type: 'kubeconfig', path: file }],
      defaults: { cache },
      reloadDebounceMs: 50,
      reflector: { backoff: { initialMs: 50, maxMs: 500 } },
      onError: log.onClusterError,
      onReload: (change) => {
        log.onReload(change);
        reloads.push(change);
      },
    });
    registry.start();
    if (cache) expect(await registry.waitForSync(15_000)).toBe(true);
  };

  it('swaps only the rotated cluster, and no read fails while it does', async () => {
    const alpha: Entry = { context: 'alpha', sim: simA, token: 'alpha-old' };
    const beta: Entry = { context: 'beta', sim: simB, token: 'beta-token' };
    await start([alpha, beta]);
    const alphaBefore = registry.get('alpha')!;
    const betaBefore = registry.get('beta')!;
    const betaInformers = betaBefore.informers;
    const nodeA = [...simA.store.scan('nodes')][0].metadata.name;
    const podsOnNodeA = [...simA.store.scan('pods')].filter((p) => p.spec?.nodeName === nodeA).length;

    // A loop of reads through whatever cluster the registry holds at each moment.
    let running = true;
    const done = { alpha: 0, beta: 0 };
    const failures: string[] = [];
    const readLoop = async (name: 'alpha' | 'beta') => {
      while (running) {
        try {
          const reader = new ClusterReader(registry.get(name)!);
          if (name === 'alpha') {
            const { items } = await reader.list('Pod', { nodeName: nodeA });
            expect(items.length).toBe(podsOnNodeA);
          } else {
            expect((await reader.list('Node')).items.length).toBe(simB.store.count('nodes'));
          }
          done[name] += 1;
        } catch (err) {
          failures.push(`${name}: ${(err as Error).message}`);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const loops = [...Array.from({ length: 4 }, () => readLoop('alpha')), readLoop('beta')];
    try {
      await waitFor(() => done.alpha > 20 && done.beta > 5, 'reads flowing before the rotation');

      // Rotate alpha: the new token first, then the file, then the old token goes.
      const m0 = await simMetrics(simA);
      simA.addUser({ token: 'alpha-new', user: 'alpha' });
      const reloadMark = reloads.length;
      writeKubeconfig([{ ...alpha, token: 'alpha-new' }, beta]);
      await waitFor(
        () => reloads.slice(reloadMark).some((r) => r.replaced.includes('alpha')),
        'the registry swapped alpha',
      );
      const alphaAfter = registry.get('alpha')!;
      expect(alphaAfter).not.toBe(alphaBefore);
      expect(changesSince(reloadMark)).toEqual([{ added: [], removed: [], replaced: ['alpha'] }]);
      simA.removeUser('alpha-old');
      expect(
        (await simFetch(simA, '/api/v1/nodes', { headers: { authorization: 'Bearer alpha-old' } })).status,
      ).toBe(401);

      // Reads go on after the revocation: on the API server when uncached; and the new
      // cluster's informers survive a dropped watch, which they can only resume with the new token.
      const readsAtRevoke = done.alpha;
      if (cache) {
        // Readiness does not wait for every kind (events): let all of them watch before the drop.
        await waitFor(
          () => alphaAfter.status().kinds.every((k) => k.connected),
          'every informer of the new cluster watching',
        );
        const restarts = alphaAfter.status().kinds.map((k) => k.watchRestarts);
        simA.dropWatches('reset');
        await waitFor(
          () =>
            alphaAfter.status().kinds.every((k, i) => k.watchRestarts > restarts[i] && k.connected) &&
            simA.openWatchCount() === CACHE_KINDS.length,
          'the new cluster resumed its watches',
        );
      }
      await waitFor(() => done.alpha > readsAtRevoke + 20, 'reads after the revocation');
      const m1 = await simMetrics(simA);
      if (cache) {
        // The new cluster listed every kind once with the new token, then watched again.
        expect(
          requests(m1, { verb: 'LIST', code: '200' }) - requests(m0, { verb: 'LIST', code: '200' }),
        ).toBe(CACHE_KINDS.length);
        expect(
          requests(m1, { verb: 'WATCH', code: '200' }) - requests(m0, { verb: 'WATCH', code: '200' }),
        ).toBeGreaterThanOrEqual(2 * CACHE_KINDS.length);
        expect(alphaAfter.status().kinds.every((k) => k.relists === 0)).toBe(true);
      } else {
        // Over 20 reads since, by four loops: identical LISTs in flight together are one
        // (shared-reads.ts), so at least a quarter as many LISTs, each answered 200.
        expect(
          requests(m1, { verb: 'LIST', resource: 'pods', code: '200' }) -
            requests(m0, { verb: 'LIST', resource: 'pods', code: '200' }),
        ).toBeGreaterThanOrEqual(5);
      }
      // Only the new cluster talks to simA now: the old one's watches are gone.
      expect(simA.openWatchCount()).toBe(cache ? CACHE_KINDS.length : 0);
    } finally {
      running = false;
      await Promise.all(loops);
    }
    expect(failures).toEqual([]);

    // beta was not touched: same Cluster, same informers, never relisted.
    expect(registry.get('beta')).toBe(betaBefore);
    expect(betaBefore.informers).toBe(betaInformers);
    if (cache) expect(betaBefore.status().kinds.every((k) => k.relists === 0 && k.connected)).toBe(true);
    expect(simB.openWatchCount()).toBe(cache ? CACHE_KINDS.length : 0);
  });

  it('removes a cluster whose context is removed, and adds one for a new context', async () => {
    const alpha: Entry = { context: 'alpha', sim: simA, token: 'alpha-new' };
    const beta: Entry = { context: 'beta', sim: simB, token: 'beta-token' };
    simA.addUser({ token: 'alpha-new', user: 'alpha' });
    await start([alpha, beta]);
    const alphaBefore = registry.get('alpha')!;
    expect(registry.names().sort()).toEqual(['alpha', 'beta']);

    let mark = reloads.length;
    writeKubeconfig([alpha]);
    await waitFor(() => registry.get('beta') === undefined, 'beta removed');
    await waitFor(() => reloads.length > mark, 'the reload reported');
    expect(changesSince(mark)).toEqual([{ added: [], removed: ['beta'], replaced: [] }]);
    await waitFor(() => simB.openWatchCount() === 0, "beta's watches closed");

    mark = reloads.length;
    writeKubeconfig([alpha, { context: 'gamma', sim: simB, token: 'beta-token' }]);
    await waitFor(() => registry.get('gamma') !== undefined, 'gamma added');
    await waitFor(() => reloads.length > mark, 'the reload reported');
    expect(changesSince(mark)).toEqual([{ added: ['gamma'], removed: [], replaced: [] }]);
    const gamma: Cluster = registry.get('gamma')!;
    if (cache) expect(await gamma.waitForSync(15_000)).toBe(true);
    const nodes = await new ClusterReader(gamma).list('Node');
    expect(nodes.items.length).toBe(simB.store.count('nodes'));
    expect(nodes.source).toBe(cache ? 'cache' : 'api');
    expect(registry.get('alpha')).toBe(alphaBefore);
  });
});
