/**
 * ClusterClient reads response bodies chunk by chunk (bodyText in client.ts: Node 24 collects
 * the Buffers undici's `body.text()` piles up with full GCs). Checked against the simulator
 * over TLS: a page of several hundred KB whose text is mostly multi-byte characters, so the
 * transport's chunk boundaries fall inside characters, comes back exactly as the simulator
 * holds it, through the raw list path and the typed one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterClient } from '../../src/kube/client.js';
import type { Simulator } from '../../src/simulator/server.js';
import { type StillCluster, servedAsCut, stillCluster } from './sim-helpers.js';

describe('response bodies decoded as they come', () => {
  let cluster: StillCluster;
  let sim: Simulator;
  let client: ClusterClient;
  // 2-, 3- and 4-byte UTF-8 characters, repeated past many transport chunks (~600 KB).
  const note = 'ü日本語🚀—'.repeat(40_000);

  beforeAll(async () => {
    cluster = await stillCluster({ nodes: 2, pods: 6, jobs: 1, namespaces: 1, seed: 5 }, 'body', (s) => {
      const namespace = [...s.store.scan('namespaces')][0].metadata.name;
      s.store.create('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'multibyte', namespace, annotations: { note } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      });
    });
    ({ sim, client } = cluster);
  });

  afterAll(() => cluster?.close());

  it('keeps every character of a long multi-byte annotation, listed raw and typed', async () => {
    const raw = await client.listRaw('Pod', {});
    const rawPod = raw.items.find((p) => (p.metadata as { name?: string }).name === 'multibyte') as {
      metadata: { annotations: Record<string, string> };
    };
    expect(rawPod.metadata.annotations.note).toBe(note);
    const typed = await client.list('Pod', {});
    expect(typed.items.find((p) => p.metadata?.name === 'multibyte')?.metadata?.annotations?.note).toBe(note);
    // Everything else in the list is the simulator's, byte for byte, less the managedFields
    // and what else the pod trim drops, which the raw path cuts before parsing
    // (kube/managed-fields.ts).
    const simPods = [...sim.store.scan('pods')].map((pod) => servedAsCut('Pod', pod));
    expect(raw.items).toHaveLength(simPods.length);
    expect(JSON.stringify(raw.items)).toBe(JSON.stringify(simPods));
  });
});
