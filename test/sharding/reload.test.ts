/**
 * A sharded registry keeps to its shard across kubeconfig reloads: contexts added to the
 * file start only when its shard owns them; the others are recorded, with no Cluster.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EventHub } from '../../src/kube/event-hub.js';
import { ClusterRegistry } from '../../src/kube/registry.js';
import { ownerOf } from '../../src/kube/shard.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { recordSecret } from '../helpers/test-log.js';

let sim: Simulator;
let registry: ClusterRegistry | undefined;
beforeAll(async () => {
  sim = await startSimulator({ churnPerSecond: 0, scenario: { nodes: 1, pods: 2, jobs: 0, namespaces: 1 } });
  recordSecret(sim.adminToken, 'simulator admin token');
});
afterAll(async () => {
  await registry?.stop();
  await sim?.close();
});

/** One kubeconfig whose contexts are all this simulator, under the given names. */
function kubeconfig(names: string[]): string {
  const parts = names.map((name) => parse(sim.kubeconfig({ context: name })));
  return stringify({
    ...parts[0],
    clusters: parts.flatMap((p) => p.clusters),
    users: parts.flatMap((p) => p.users),
    contexts: parts.flatMap((p) => p.contexts),
  });
}

describe('a sharded registry across reloads', () => {
  it('starts only what its shard owns, before and after contexts are added', async () => {
    const before = ['fleet-a', 'fleet-d'];
    const after = ['fleet-a', 'fleet-b', 'fleet-c', 'fleet-d'];
    expect(after.map((n) => ownerOf(n, 2))).toEqual([0, 0, 0, 1]);
    const file = join(mkdtempSync(join(tmpdir(), 'kubegate-shard-reload-')), 'fleet.kubeconfig');
    writeFileSync(file, kubeconfig(before));
    const reloads: unknown[] = [];
    registry = new ClusterRegistry({
      hub: new EventHub(),
      sources: [{ type: 'kubeconfig', path: file }],
      defaults: { cache: true, identities: false },
      shard: { index: 0, count: 2 },
      onReload: (change) => reloads.push(change),
    });
    registry.start();
    expect(registry.names()).toEqual(['fleet-a']);
    expect([...registry.notOwnedClusters()]).toEqual([['fleet-d', '1/2']]);
    expect(registry.get('fleet-d')).toBeUndefined();

    writeFileSync(file, kubeconfig(after));
    await registry.reload();
    expect(registry.names()).toEqual(['fleet-a', 'fleet-b', 'fleet-c']);
    expect([...registry.notOwnedClusters()]).toEqual([['fleet-d', '1/2']]);
    expect(reloads).toContainEqual({ added: ['fleet-b', 'fleet-c'], removed: [], replaced: [] });
    expect(registry.ownerOf('fleet-d')).toBe('1/2');
    expect(registry.ownerOf('fleet-a')).toBeUndefined();
  });
});
