/**
 * Apollo Client 4 against kubegate: one HTTP link for queries and mutations, and a link
 * for subscriptions over graphql-ws (WebSocket) or graphql-sse (server-sent events).
 *
 * Every connection field is a Relay connection (`edges { cursor node }`, `pageInfo`), so
 * `relayStylePagination(keyArgs)` merges the pages `fetchMore` brings. Its keyArgs are the
 * arguments that make a *different* list (filters and order): pages of the same list
 * (first/after/last/before) merge into one, and another filter is a list of its own.
 * The other types need nothing: types with `id` (Cluster, Pod, ClusterNode, Job,
 * Namespace) are normalised by it, the rest are values embedded in their parent.
 *
 * Quoted in the README ("Frontend clients"); test/clients/apollo.test.ts runs it against
 * a gateway.
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { isSubscriptionOperation, Observable, relayStylePagination } from '@apollo/client/utilities';
import { print } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';

/** The arguments that select a different list; pages of one list merge. */
const LIST_ARGS = {
  pods: ['namespace', 'labelSelector', 'nodeName', 'jobName', 'phase', 'search', 'orderBy'],
  nodes: ['labelSelector', 'search', 'orderBy'],
  jobs: ['namespace', 'labelSelector', 'state', 'search', 'orderBy'],
  namespaces: ['labelSelector', 'search', 'orderBy'],
  events: ['namespace', 'type', 'reason', 'involvedKind', 'involvedName', 'search', 'orderBy'],
};

export const typePolicies = {
  Cluster: {
    fields: {
      pods: relayStylePagination(LIST_ARGS.pods),
      nodes: relayStylePagination(LIST_ARGS.nodes),
      jobs: relayStylePagination(LIST_ARGS.jobs),
      namespaces: relayStylePagination(LIST_ARGS.namespaces),
      events: relayStylePagination(LIST_ARGS.events),
    },
  },
  ClusterNode: {
    fields: {
      pods: relayStylePagination(LIST_ARGS.pods),
      events: relayStylePagination(LIST_ARGS.events),
    },
  },
  Job: {
    fields: {
      pods: relayStylePagination(LIST_ARGS.pods),
      events: relayStylePagination(LIST_ARGS.events),
    },
  },
  Namespace: {
    fields: {
      pods: relayStylePagination(LIST_ARGS.pods),
      jobs: relayStylePagination(LIST_ARGS.jobs),
      events: relayStylePagination(LIST_ARGS.events),
    },
  },
  Pod: { fields: { events: relayStylePagination(LIST_ARGS.events) } },
};

/** graphql-sse as an Apollo link (Apollo ships none): one SSE request per subscription. */
export class SseLink extends ApolloLink {
  constructor(private readonly client: ReturnType<typeof createSseClient>) {
    super();
  }

  override request(operation: ApolloLink.Operation): Observable<ApolloLink.Result> {
    return new Observable((sink) =>
      this.client.subscribe(
        { query: print(operation.query), variables: operation.variables },
        {
          next: (result) => sink.next(result as ApolloLink.Result),
          complete: () => sink.complete(),
          error: (err) => sink.error(err),
        },
      ),
    );
  }
}

export interface ApolloOptions {
  /** The gateway's GraphQL endpoint, e.g. https://kubegate.example.com/graphql. */
  url: string;
  /** The caller's bearer token, when the gateway has auth. */
  token?: string;
  /** How subscriptions travel: a WebSocket (graphql-ws) or server-sent events (graphql-sse). */
  subscriptions: 'ws' | 'sse';
}

export function createApolloClient({ url, token, subscriptions }: ApolloOptions) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const http = new HttpLink({ uri: url, headers });
  const live =
    subscriptions === 'ws'
      ? new GraphQLWsLink(
          createWsClient({
            url: url.replace(/^http/, 'ws'),
            // The token travels in connection_init: browsers cannot set headers on a WebSocket.
            connectionParams: token ? { authorization: `Bearer ${token}` } : {},
            // graphql-ws reconnects by itself; resubscribing resumes nothing (see the README's
            // "Resuming subscriptions" for the loop that does).
            retryAttempts: Number.POSITIVE_INFINITY,
          }),
        )
      : new SseLink(createSseClient({ url, headers, retryAttempts: Number.POSITIVE_INFINITY }));
  return new ApolloClient({
    link: ApolloLink.split(({ query }) => isSubscriptionOperation(query), live, http),
    cache: new InMemoryCache({ typePolicies }),
  });
}
