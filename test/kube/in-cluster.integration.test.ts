/**
 * The in-cluster source, as kubegate runs inside a pod: KUBERNETES_SERVICE_HOST/PORT
 * and a projected service account (token, ca.crt, namespace), here written under a
 * temporary root and pointing at the simulator.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventHub } from '../../src/kube/event-hub.js';
import { ClusterRegistry } from '../../src/kube/registry.js';
import { loadSource, SourceError } from '../../src/kube/sources.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { gatewayLog, recordSecret } from '../helpers/test-log.js';

let sim: Simulator;
let root: string;
const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };

beforeAll(async () => {
  sim = await startSimulator({ churnPerSecond: 0, scenario: { nodes: 2, pods: 12, jobs: 1, namespaces: 1 } });
  root = mkdtempSync(join(tmpdir(), 'kubegate-sa-'));
  const dir = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'token'), sim.adminToken);
  recordSecret(sim.adminToken, 'service account token');
  writeFileSync(join(dir, 'ca.crt'), sim.caPem);
  writeFileSync(join(dir, 'namespace'), 'default');
  const url = new URL(sim.url);
  process.env.KUBERNETES_SERVICE_HOST = url.hostname;
  process.env.KUBERNETES_SERVICE_PORT = url.port;
});

afterAll(async () => {
  if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
  else process.env.KUBERNETES_SERVICE_HOST = saved.host;
  if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
  else process.env.KUBERNETES_SERVICE_PORT = saved.port;
  await sim?.close();
});

describe('in-cluster source', () => {
  it('syncs the cluster through the service account token and CA', async () => {
    const registry = new ClusterRegistry({
      hub: new EventHub(),
      sources: [{ type: 'in-cluster', root, name: 'home' }],
      defaults: { cache: true },
      onError: gatewayLog().onClusterError,
    });
    registry.start();
    try {
      expect(await registry.waitForSync(15_000)).toBe(true);
      const cluster = registry.get('home')!;
      expect(cluster.informers!.Pod!.store.size).toBe(sim.store.count('pods'));
      expect(cluster.informers!.Node!.store.size).toBe(sim.store.count('nodes'));
    } finally {
      await registry.stop();
    }
  });

  it('says what is missing outside a pod', () => {
    expect(() => loadSource({ type: 'in-cluster', root: join(root, 'nowhere') }, { cache: true })).toThrow(
      SourceError,
    );
    expect(() => loadSource({ type: 'in-cluster', root: join(root, 'nowhere') }, { cache: true })).toThrow(
      /expected KUBERNETES_SERVICE_HOST and a service account token at .*nowhere/,
    );
  });
});
