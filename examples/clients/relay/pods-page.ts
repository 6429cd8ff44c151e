/**
 * The example pods page without React: what react-relay's usePaginationFragment and
 * useRefetchableFragment do, spelled out on relay-runtime, so it runs (and is tested) in
 * Node. Each function is one thing a page does: load the first page, load the next one
 * (the @connection's edges grow), refetch one pod through node(id:), watch pods live.
 */
import {
  createOperationDescriptor,
  type Disposable,
  type Environment,
  fetchQuery,
  getSingularSelector,
  requestSubscription,
} from 'relay-runtime';
import clusterFragment, { type operations_cluster$data } from './__generated__/operations_cluster.graphql.js';
import podFragment, { type operations_pod$data } from './__generated__/operations_pod.graphql.js';
import podEventsSubscription, {
  type operationsPodEventsSubscription$data,
} from './__generated__/operationsPodEventsSubscription.graphql.js';
import podRefetchQuery from './__generated__/operationsPodRefetchQuery.graphql.js';
import podsPaginationQuery from './__generated__/operationsPodsPaginationQuery.graphql.js';
import podsQuery, {
  type operationsPodsQuery$variables,
} from './__generated__/operationsPodsQuery.graphql.js';

/** The page's data as its fragment reads it from the store now (every page loaded so far). */
export function readPods(environment: Environment, variables: operationsPodsQuery$variables) {
  const root = environment.lookup(createOperationDescriptor(podsQuery, variables).fragment).data as {
    cluster: object | null;
  };
  if (!root.cluster) return null;
  const cluster = environment.lookup(getSingularSelector(clusterFragment, root.cluster))
    .data as operations_cluster$data;
  const pods = (cluster.pods?.edges ?? []).map(
    (e) => environment.lookup(getSingularSelector(podFragment, e.node)).data as operations_pod$data,
  );
  return { cluster, pods };
}

/** The first page (what a query renderer loads). */
export async function loadFirstPage(environment: Environment, variables: operationsPodsQuery$variables) {
  await fetchQuery(environment, podsQuery, variables).toPromise();
  return readPods(environment, variables);
}

/**
 * The next page, through the @refetchable fragment's query (`node(id: $id)`): Relay's
 * connection handler appends its edges to the @connection the first page made.
 */
export async function loadNextPage(
  environment: Environment,
  variables: operationsPodsQuery$variables,
  count: number,
): Promise<void> {
  const page = readPods(environment, variables);
  if (!page) throw new Error(`no cluster ${variables.cluster}`);
  const cursor = page.cluster.pods?.pageInfo.endCursor ?? null;
  await fetchQuery(environment, podsPaginationQuery, { id: page.cluster.id, count, cursor }).toPromise();
}

/** One pod again, through node(id:) (its @refetchable fragment's query); the store updates. */
export async function refetchPod(environment: Environment, id: string): Promise<operations_pod$data> {
  await fetchQuery(environment, podRefetchQuery, { id }, { fetchPolicy: 'network-only' }).toPromise();
  const operation = createOperationDescriptor(podRefetchQuery, { id });
  const node = (environment.lookup(operation.fragment).data as { node: object }).node;
  return environment.lookup(getSingularSelector(podFragment, node)).data as operations_pod$data;
}

/** Pods of a namespace, live: the objects first (`initial: true`), then every change. */
export function watchPods(
  environment: Environment,
  variables: { cluster: string; namespace: string },
  onEvent: (event: NonNullable<operationsPodEventsSubscription$data['podEvents']>) => void,
  onError: (err: Error) => void,
): Disposable {
  return requestSubscription(environment, {
    subscription: podEventsSubscription,
    variables,
    onNext: (response) => {
      const data = response as operationsPodEventsSubscription$data | null | undefined;
      if (data?.podEvents) onEvent(data.podEvents);
    },
    onError,
  });
}
