/**
 * examples/clients/apollo.ts against a real gateway: relayStylePagination merges the pages
 * fetchMore brings into one list, with no cache warning; subscriptions arrive over both
 * graphql-ws and graphql-sse through the same client.
 */
import { gql } from '@apollo/client';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApolloClient, typePolicies } from '../../examples/clients/apollo.js';
import type { Harness } from '../helpers/harness.js';
import { captureWarnings, connectionFields, fieldsOf, podsByName, startClientHarness } from './kit.js';

const PODS = gql`
  query ApolloPods($cluster: String!, $first: Int!, $after: String) {
    cluster(name: $cluster) {
      id
      name
      pods(first: $first, after: $after, orderBy: { field: NAME, direction: ASC }) {
        totalCount
        edges { cursor node { id name namespace phase node { id name } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;

const POD_EVENTS = gql`
  subscription ApolloPodEvents($cluster: String!, $namespace: String!) {
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

describe('Apollo Client', () => {
  it("has a relayStylePagination policy for exactly the schema's connection fields", () => {
    expect(fieldsOf(typePolicies)).toEqual(connectionFields());
  });

  it('pages through pods twice with fetchMore and relayStylePagination merges them, without warnings', async () => {
    const client = createApolloClient({ url: h.url, subscriptions: 'ws' });
    const query = client.watchQuery<PodsData>({ query: PODS, variables: { cluster: 'sim', first: 7 } });
    // Apollo 4's ObservableQuery is an rxjs Observable: its first complete result is page one.
    const first = await firstValueFrom(query.pipe(filter((r) => r.dataState === 'complete')));
    expect(first.data.cluster.pods.edges).toHaveLength(7);
    let data = first.data;
    for (let page = 0; page < 2; page++) {
      expect(data.cluster.pods.pageInfo.hasNextPage).toBe(true);
      await query.fetchMore({ variables: { after: data.cluster.pods.pageInfo.endCursor } });
      data = client.readQuery<PodsData>({ query: PODS, variables: { cluster: 'sim', first: 7 } })!;
    }
    const names = data.cluster.pods.edges.map((e) => `${e.node.namespace}/${e.node.name}`);
    expect(names).toEqual(podsByName(h).slice(0, 21));
    expect(data.cluster.pods.totalCount).toBe(podsByName(h).length);
    expect(warnings).toEqual([]);
    client.stop();
  });

  for (const transport of ['ws', 'sse'] as const) {
    it(`subscribes over ${transport === 'ws' ? 'graphql-ws' : 'graphql-sse'}`, async () => {
      const client = createApolloClient({ url: h.url, subscriptions: transport });
      const namespace = h.sim.store.scan('pods').next().value!.metadata.namespace!;
      const expected = podsByName(h).filter((p) => p.startsWith(`${namespace}/`));
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const subscription = client
          .subscribe<{ podEvents: { type: string; object: { name: string; namespace: string } } }>({
            query: POD_EVENTS,
            variables: { cluster: 'sim', namespace },
          })
          .subscribe({
            next: ({ data, error }) => {
              if (error) return reject(error);
              seen.push(`${data!.podEvents.object.namespace}/${data!.podEvents.object.name}`);
              if (seen.length === expected.length) {
                subscription.unsubscribe();
                resolve();
              }
            },
            error: reject,
          });
      });
      expect(seen.sort()).toEqual([...expected].sort());
      expect(warnings).toEqual([]);
      client.stop();
    });
  }
});
