/**
 * examples/clients/relay against a real gateway: the artifacts are what relay-compiler
 * writes from operations.ts (its --validate mode fails on stale ones); the @connection grows
 * by the pages its @refetchable query fetches through node(id:); one pod is refetched through
 * node(id:) after a change made on the cluster; subscriptions over graphql-ws and graphql-sse.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import podRefetchQuery from '../../examples/clients/relay/__generated__/operationsPodRefetchQuery.graphql.js';
import podsPaginationQuery from '../../examples/clients/relay/__generated__/operationsPodsPaginationQuery.graphql.js';
import { createRelayEnvironment } from '../../examples/clients/relay/environment.js';
import {
  loadFirstPage,
  loadNextPage,
  readPods,
  refetchPod,
  watchPods,
} from '../../examples/clients/relay/pods-page.js';
import { type Harness, simFetch } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { captureWarnings, podsByName, startClientHarness } from './kit.js';

const RELAY_DIR = new URL('../../examples/clients/relay/', import.meta.url);

let h: Harness;
beforeAll(async () => {
  h = await startClientHarness();
});
afterAll(() => h?.close(), 60_000);

const warnings = captureWarnings();

describe('Relay', () => {
  it('the committed artifacts are what relay-compiler writes from operations.ts', () => {
    // --validate writes nothing and exits non-zero when an artifact would change.
    const out = execFileSync('npx', ['relay-compiler', '--validate'], { cwd: RELAY_DIR, encoding: 'utf8' });
    expect(out).toContain('Done');
  });

  it('the @refetchable queries go through node(id:)', () => {
    expect(podsPaginationQuery.params.text).toMatch(/node\(id: \$id\)/);
    expect(podRefetchQuery.params.text).toMatch(/node\(id: \$id\)/);
  });

  it('pages through pods twice: the @connection holds every page, in order, without warnings', async () => {
    const environment = createRelayEnvironment({ url: h.url, subscriptions: 'ws' });
    const variables = { cluster: 'sim', count: 7, cursor: null };
    const first = await loadFirstPage(environment, variables);
    expect(first!.pods).toHaveLength(7);
    await loadNextPage(environment, variables, 7);
    await loadNextPage(environment, variables, 7);
    const page = readPods(environment, variables)!;
    expect(page.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual(podsByName(h).slice(0, 21));
    expect(page.cluster.pods!.totalCount).toBe(podsByName(h).length);
    expect(page.cluster.pods!.pageInfo.hasNextPage).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('refetches one pod through node(id:) and the page shows the change', async () => {
    const environment = createRelayEnvironment({ url: h.url, subscriptions: 'ws' });
    const variables = { cluster: 'sim', count: 3, cursor: null };
    const pod = (await loadFirstPage(environment, variables))!.pods[0];
    const res = await simFetch(h.sim, `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`, {
      method: 'PATCH',
      body: JSON.stringify({ metadata: { labels: { 'example.com/refetched': 'yes' } } }),
      headers: {
        authorization: `Bearer ${h.sim.adminToken}`,
        'content-type': 'application/merge-patch+json',
      },
    });
    expect(res.status).toBe(200);
    // The gateway's cache follows the cluster's watch: refetch until it shows the label.
    const refetched = await waitFor(
      async () => {
        const p = await refetchPod(environment, pod.id);
        return p.labels.some((l) => l.key === 'example.com/refetched') && p;
      },
      { message: 'the refetched pod to carry the new label' },
    );
    expect(refetched.id).toBe(pod.id);
    // One record per id: the page's copy of the pod is the refetched one.
    const again = readPods(environment, variables)!.pods[0];
    expect(again.labels).toContainEqual({ key: 'example.com/refetched', value: 'yes' });
    expect(warnings).toEqual([]);
  });

  for (const transport of ['ws', 'sse'] as const) {
    it(`subscribes over ${transport === 'ws' ? 'graphql-ws' : 'graphql-sse'}`, async () => {
      const environment = createRelayEnvironment({ url: h.url, subscriptions: transport });
      const namespace = h.sim.store.scan('pods').next().value!.metadata.namespace!;
      const expected = podsByName(h).filter((p) => p.startsWith(`${namespace}/`));
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const subscription = watchPods(
          environment,
          { cluster: 'sim', namespace },
          (event) => {
            const record = environment.getStore().getSource().get(event.object.id);
            seen.push(`${record?.namespace}/${record?.name}`);
            if (seen.length === expected.length) {
              subscription.dispose();
              resolve();
            }
          },
          reject,
        );
      });
      expect(seen.sort()).toEqual([...expected].sort());
      expect(warnings).toEqual([]);
    });
  }
});
