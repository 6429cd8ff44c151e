/**
 * urql with Graphcache against kubegate: normalised caching, Relay pagination and
 * subscriptions over graphql-ws (WebSocket) or graphql-sse (server-sent events).
 *
 * Graphcache normalises every object by `id`. kubegate's Cluster, Pod, ClusterNode, Job and
 * Namespace have one (global ids, `node(id:)`); every other object type is a value that
 * belongs to its parent (a pod's containers, a connection's edges, a node's resources), so
 * `keys` says so by returning null: without it Graphcache warns, once per type, that it
 * cannot key it. An Event has no `id` but is one object per cluster and uid: keyed by them
 * when the query selects both. test/clients/urql.test.ts derives the id-less types from the
 * schema and fails when this list and the schema disagree.
 *
 * `relayPagination()` merges the pages of one list (the same arguments but
 * first/after/last/before) into one connection.
 *
 * Quoted in the README ("Frontend clients").
 */
import { Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { cacheExchange, type KeyingConfig } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';

const embedded = () => null;

export const keys: KeyingConfig = {
  Event: (e) => (e.cluster && e.uid ? `${e.cluster}/${e.uid}` : null),
  // Connections, edges and PageInfo: Graphcache embeds these by their names already (and does
  // not warn); listed so the list is the schema's whole id-less set.
  ClusterNodeConnection: embedded,
  ClusterNodeEdge: embedded,
  EventConnection: embedded,
  EventEdge: embedded,
  JobConnection: embedded,
  JobEdge: embedded,
  NamespaceConnection: embedded,
  NamespaceEdge: embedded,
  PodConnection: embedded,
  PodEdge: embedded,
  PageInfo: embedded,
  // Subscription events.
  ClusterNodeEvent: embedded,
  ClusterStatusEvent: embedded,
  EventWatchEvent: embedded,
  JobEvent: embedded,
  PodEvent: embedded,
  // Mutation payloads.
  DrainNodePayload: embedded,
  DrainedPod: embedded,
  JobWritePayload: embedded,
  NodeWritePayload: embedded,
  PodWritePayload: embedded,
  SetLabelsPayload: embedded,
  // Log lines (Pod.logs, podLogs, jobLogs, workloadLogs).
  LogLine: embedded,
  PodLogs: embedded,
  // Values of their parent.
  ClusterStatus: embedded,
  ClusterSummary: embedded,
  Condition: embedded,
  Container: embedded,
  ContainerPort: embedded,
  ContainerState: embedded,
  InvolvedObject: embedded,
  JobStateCounts: embedded,
  KeyValue: embedded,
  KindStatus: embedded,
  NodeAddress: embedded,
  NodeInfo: embedded,
  NodeResources: embedded,
  NodeUtilization: embedded,
  OwnerReference: embedded,
  PodPhaseCounts: embedded,
  PodUtilization: embedded,
  ResourceAmounts: embedded,
  Taint: embedded,
  Usage: embedded,
  UsageSample: embedded,
  Viewer: embedded,
};

/** Every connection field: its pages merge (`relayPagination`), one list per filter and order. */
export const resolvers = {
  Cluster: {
    pods: relayPagination(),
    nodes: relayPagination(),
    jobs: relayPagination(),
    namespaces: relayPagination(),
    events: relayPagination(),
  },
  ClusterNode: { pods: relayPagination(), events: relayPagination() },
  Job: { pods: relayPagination(), events: relayPagination() },
  Namespace: { pods: relayPagination(), jobs: relayPagination(), events: relayPagination() },
  Pod: { events: relayPagination() },
};

export interface UrqlOptions {
  /** The gateway's GraphQL endpoint, e.g. https://kubegate.example.com/graphql. */
  url: string;
  /** The caller's bearer token, when the gateway has auth. */
  token?: string;
  /** How subscriptions travel: a WebSocket (graphql-ws) or server-sent events (graphql-sse). */
  subscriptions: 'ws' | 'sse';
}

export function createUrqlClient({ url, token, subscriptions }: UrqlOptions): Client {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const transport =
    subscriptions === 'ws'
      ? createWsClient({
          url: url.replace(/^http/, 'ws'),
          // The token travels in connection_init: browsers cannot set headers on a WebSocket.
          connectionParams: headers,
          retryAttempts: Number.POSITIVE_INFINITY,
        })
      : createSseClient({ url, headers, retryAttempts: Number.POSITIVE_INFINITY });
  return new Client({
    url,
    // POST: kubegate refuses a GET without Authorization or a preflight header (CSRF), and
    // urql sends short queries as GET by default.
    preferGetMethod: false,
    fetchOptions: { headers },
    exchanges: [
      cacheExchange({ keys, resolvers }),
      fetchExchange,
      subscriptionExchange({
        // graphql-ws and graphql-sse reconnect by themselves; resubscribing resumes nothing
        // (see the README's "Resuming subscriptions" for the loop that does).
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({
            unsubscribe: transport.subscribe({ ...request, query: request.query ?? '' }, sink),
          }),
        }),
      }),
    ],
  });
}
