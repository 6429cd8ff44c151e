/**
 * The Relay operations of the example pods page, written as Relay writes them. Nothing
 * imports this module: relay-compiler reads the graphql tags and writes the artifacts to
 * __generated__/ (`npx relay-compiler examples/clients/relay/relay.config.json`), which the
 * page imports. A React app imports them through babel-plugin-relay instead; without it a
 * graphql tag throws when evaluated.
 *
 * `@refetchable` on a fragment of a type that implements Node makes relay-compiler write a
 * query through `node(id:)`: that query pages the `@connection` (the pagination query) or
 * refetches one pod. kubegate's global ids make it work (`Query.node`, `Node.id`).
 */
import { graphql } from 'relay-runtime';

export const query = graphql`
  query operationsPodsQuery($cluster: String!, $count: Int!, $cursor: String) {
    cluster(name: $cluster) {
      ...operations_cluster @arguments(count: $count, cursor: $cursor)
    }
  }
`;

export const clusterFragment = graphql`
  fragment operations_cluster on Cluster
  @refetchable(queryName: "operationsPodsPaginationQuery")
  @argumentDefinitions(count: { type: "Int!" }, cursor: { type: "String" }) {
    id
    name
    pods(first: $count, after: $cursor, orderBy: { field: NAME, direction: ASC })
      @connection(key: "operations_pods") {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          ...operations_pod
        }
      }
    }
  }
`;

export const podFragment = graphql`
  fragment operations_pod on Pod @refetchable(queryName: "operationsPodRefetchQuery") {
    id
    name
    namespace
    phase
    labels { key value }
  }
`;

export const podEvents = graphql`
  subscription operationsPodEventsSubscription($cluster: String!, $namespace: String!) {
    podEvents(cluster: $cluster, namespace: $namespace, initial: true) {
      type
      object {
        id
        ...operations_pod
      }
    }
  }
`;
