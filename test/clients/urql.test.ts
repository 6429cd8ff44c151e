/**
 * examples/clients/urql.ts against a real gateway: Graphcache's `keys` name exactly the
 * schema's object types without an id (a new one fails here until it is added), its
 * relayPagination resolvers cover exactly the connection fields and merge two more pages
 * into the first, with no warning; subscriptions arrive over graphql-ws and graphql-sse.
 */
import { gql } from '@urql/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUrqlClient, keys, resolvers } from '../../examples/clients/urql.js';
import type { Harness } from '../helpers/harness.js';
import {
  captureWarnings,
  connectionFields,
  fieldsOf,
  idLessTypes,
  podsByName,
  startClientHarness,
} from './kit.js';

const PODS = gql`
  query UrqlPods($cluster: String!, $first: Int!, $after: String) {
    cluster(name: $cluster) {
      id
      name
      status { ready kinds { kind synced } }
      pods(first: $first, after: $after, orderBy: { field: NAME, direction: ASC }) {
        totalCount
        edges { cursor node { id name namespace phase containers { name ready } } }
        pageInfo { hasNextPage endCursor }
      }
      events(first: 3) { edges { node { cluster uid reason involvedObject { kind name } } } }
    }
  }
`;

const POD_EVENTS = gql`
  subscription UrqlPodEvents($cluster: String!, $namespace: String!) {
    podEvents(cluster: $cluster, namespace: $namespace, initial: true) {
      type
      object { id name namespace }
    }
  }
`;

interface PodsData {
  cluster: {
    pods: {
      totalCount: number;
      edges: { node: { name: string; namespace: string } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  };
}

let h: Harness;
beforeAll(async () => {
  h = await startClientHarness();
});
afterAll(() => h?.close(), 60_000);

const warnings = captureWarnings();

describe('urql Graphcache', () => {
  it('keys exactly the object types without an id', () => {
    expect(Object.keys(keys).sort()).toEqual(idLessTypes());
  });

  it("has relayPagination for exactly the schema's connection fields", () => {
    expect(fieldsOf(resolvers)).toEqual(connectionFields());
  });

  it('pages through pods twice and relayPagination merges them, without warnings', async () => {
    const client = createUrqlClient({ url: h.url, subscriptions: 'ws' });
    let after: string | null = null;
    let data: PodsData | undefined;
    for (let page = 0; page < 3; page++) {
      const result = await client.query<PodsData>(PODS, { cluster: 'sim', first: 7, after }).toPromise();
      expect(result.error).toBeUndefined();
      data = result.data!;
      expect(data.cluster.pods.pageInfo.hasNextPage).toBe(true);
      after = data.cluster.pods.pageInfo.endCursor;
    }
    const names = data!.cluster.pods.edges.map((e) => `${e.node.namespace}/${e.node.name}`);
    expect(names).toEqual(podsByName(h).slice(0, 21));
    expect(data!.cluster.pods.totalCount).toBe(podsByName(h).length);
    expect(warnings).toEqual([]);
  });

  for (const transport of ['ws', 'sse'] as const) {
    it(`subscribes over ${transport === 'ws' ? 'graphql-ws' : 'graphql-sse'}`, async () => {
      const client = createUrqlClient({ url: h.url, subscriptions: transport });
      const namespace = h.sim.store.scan('pods').next().value!.metadata.namespace!;
      const expected = podsByName(h).filter((p) => p.startsWith(`${namespace}/`));
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const { unsubscribe } = client
          .subscription<{ podEvents: { object: { name: string; namespace: string } } }>(POD_EVENTS, {
            cluster: 'sim',
            namespace,
          })
          .subscribe((result) => {
            if (result.error) return reject(result.error);
            seen.push(`${result.data!.podEvents.object.namespace}/${result.data!.podEvents.object.name}`);
            if (seen.length === expected.length) {
              queueMicrotask(unsubscribe);
              resolve();
            }
          });
      });
      expect(seen.sort()).toEqual([...expected].sort());
      expect(warnings).toEqual([]);
    });
  }
});
