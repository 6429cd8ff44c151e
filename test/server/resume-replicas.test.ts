/**
 * Two replicas behind one Service (issue #15): two real kubegate processes serve one
 * simulator. A graphql-sse client subscribed to the first notes the resourceVersion of each
 * event; the first is stopped with SIGTERM (the client sees SHUTTING_DOWN, then complete);
 * the client resumes on the second with `sinceResourceVersion` — while the churn and
 * `kubectl delete pod` go on throughout. The union of what it received equals exactly what
 * an independent watch on the simulator from the same resourceVersion says happened: no
 * gap, no duplicate.
 */

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { printed, startCli } from '../helpers/cli-process.js';
import { scanText } from '../helpers/log-scan.js';
import { recordedSecrets, recordSecret } from '../helpers/test-log.js';
import { waitFor } from '../helpers/wait.js';
import { Kubectl, requireKubectl } from '../simulator/kubectl-runner.js';
import { WatchStream } from '../simulator/sim-kit.js';
import { barePod, type Json, subscribe } from '../subscriptions/clients.js';

const running: ChildProcess[] = [];
/** Each replica's whole output, scanned at the end. */
const outputs: (() => string)[] = [];
let sim: Simulator;
let kubectl: Kubectl;
let dir: string;

beforeAll(async () => {
  await requireKubectl();
  sim = await startSimulator({
    churnPerSecond: 20,
    scenario: { nodes: 3, pods: 40, jobs: 2, namespaces: 2, seed: 23 },
  });
  recordSecret(sim.adminToken, 'the simulator admin token (in the replicas’ kubeconfig)');
  dir = mkdtempSync(join(tmpdir(), 'kubegate-replicas-'));
  kubectl = new Kubectl(sim.kubeconfig({ context: 'sim' }));
}, 60_000);

afterAll(async () => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
  for (const output of outputs.splice(0)) {
    expect(scanText(output(), recordedSecrets()), 'credentials in the CLI output').toEqual([]);
  }
  kubectl?.cleanup();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function replica(): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const file = join(dir, 'kubeconfig');
  writeFileSync(file, sim.kubeconfig({ context: 'sim' }), { mode: 0o600 });
  const { child, output, exited } = startCli([
    '--kubeconfig',
    file,
    '--port',
    '0',
    '--shutdown-delay-ms',
    '0',
  ]);
  running.push(child);
  outputs.push(output);
  const [, url] = await printed(output, /kubegate listening on (http:\/\/\S+\/graphql)/);
  await printed(output, /ready: caches synced/);
  return {
    url,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `kubectl delete pod` of running pods, one after another, until stopped; what it deleted. */
function kubectlDeletes() {
  const deleted: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const pod = [...sim.store.scan('pods')].find(
        (p) =>
          !p.metadata.deletionTimestamp && !deleted.includes(`${p.metadata.namespace}/${p.metadata.name}`),
      );
      if (!pod) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const { namespace, name } = pod.metadata;
      const result = await kubectl.run(['delete', 'pod', name, '-n', namespace!, '--wait=false']);
      if (result.code === 0) deleted.push(`${namespace}/${name}`);
    }
  })();
  return {
    deleted,
    async stop() {
      running = false;
      await loop;
    },
  };
}

const line = (e: Json) => `${e.type} ${e.object.namespace}/${e.object.name}@${e.resourceVersion}`;
const QUERY = (args: string) =>
  `subscription { podEvents(cluster: "sim", allChanges: true${args}) { type resourceVersion object { namespace name } } }`;

it('a subscriber resumes on the second replica after the first got SIGTERM, missing nothing and receiving nothing twice', async () => {
  const first = await replica();
  const second = await replica();
  const deletes = kubectlDeletes();
  try {
    const before = subscribe('sse', first.url, QUERY(''));
    await before.count(1);
    const from = before.events[0].resourceVersion; // where the independent watch starts
    await waitFor(
      () => deletes.deleted.length >= 2 && before.events.length >= 30,
      'churn and deletes seen live',
    );

    expect(await first.stop()).toBe(0);
    await before.end();
    expect(before.completed).toBe(true);
    expect(before.errors.map((e: Json) => e.extensions.code)).toEqual(['SHUTTING_DOWN']);
    const last = before.events.at(-1).resourceVersion;

    // Meanwhile the cluster goes on changing; the client reconnects to the other replica.
    const deletedBefore = deletes.deleted.length;
    await waitFor(() => deletes.deleted.length >= deletedBefore + 2, 'deletes while disconnected');
    const after = subscribe('sse', second.url, QUERY(`, sinceResourceVersion: "${last}"`));
    await after.count(1);
    await waitFor(() => deletes.deleted.length >= deletedBefore + 4, 'deletes after resuming');
    await deletes.stop();
    sim.pauseActivity();
    const marker = 'replicas-marker';
    sim.store.create('pods', barePod(sim.store.scan('pods').next().value!.metadata.namespace!, marker));
    await after.eventFor(marker, 'ADDED', 30_000);

    const received = [...before.events.slice(1), ...after.events].map(line);
    const end = received.findIndex((l) => l.startsWith(`ADDED `) && l.includes(`/${marker}@`));
    const got = received.slice(0, end + 1);
    const watch = await WatchStream.open(sim, `/api/v1/pods?watch=true&resourceVersion=${from}`);
    const said = (
      await watch.until((e) => e.type === 'ADDED' && e.object.metadata.name === marker, 15_000)
    ).map(
      (e) =>
        `${e.type} ${e.object.metadata.namespace}/${e.object.metadata.name}@${e.object.metadata.resourceVersion}`,
    );
    watch.close();
    expect(new Set(got).size).toBe(got.length);
    expect(got).toEqual(said);
    // The kubectl deletions made while no replica served the client reached it after resuming.
    const resumed = after.events.map(line);
    for (const key of deletes.deleted.slice(deletedBefore, deletedBefore + 2))
      expect(resumed.some((l: string) => l.includes(` ${key}@`))).toBe(true);
    after.dispose();
  } finally {
    await deletes.stop();
    await second.stop();
  }
}, 120_000);
