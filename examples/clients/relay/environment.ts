/**
 * A Relay environment for kubegate: queries and mutations over HTTP (POST, JSON), and
 * subscriptions over graphql-ws (WebSocket) or graphql-sse (server-sent events). Relay's
 * store keys records by `id`, which kubegate's global ids make unique across types and
 * clusters; objects without an id are stored under their parent's.
 *
 * Quoted in the README ("Frontend clients"); test/clients/relay.test.ts runs it.
 */
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import {
  Environment,
  type FetchFunction,
  Network,
  Observable,
  RecordSource,
  Store,
  type SubscribeFunction,
} from 'relay-runtime';

export interface RelayOptions {
  /** The gateway's GraphQL endpoint, e.g. https://kubegate.example.com/graphql. */
  url: string;
  /** The caller's bearer token, when the gateway has auth. */
  token?: string;
  /** How subscriptions travel: a WebSocket (graphql-ws) or server-sent events (graphql-sse). */
  subscriptions: 'ws' | 'sse';
}

export function createRelayEnvironment({ url, token, subscriptions }: RelayOptions): Environment {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const fetchFn: FetchFunction = async (operation, variables) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...headers,
      },
      body: JSON.stringify({ query: operation.text, operationName: operation.name, variables }),
    });
    return response.json();
  };
  const transport =
    subscriptions === 'ws'
      ? createWsClient({
          url: url.replace(/^http/, 'ws'),
          // The token travels in connection_init: browsers cannot set headers on a WebSocket.
          connectionParams: headers,
          retryAttempts: Number.POSITIVE_INFINITY,
        })
      : createSseClient({ url, headers, retryAttempts: Number.POSITIVE_INFINITY });
  // graphql-ws and graphql-sse reconnect by themselves; resubscribing resumes nothing (see
  // the README's "Resuming subscriptions" for the loop that does).
  const subscribeFn: SubscribeFunction = (operation, variables) =>
    Observable.create((sink) =>
      transport.subscribe(
        { query: operation.text ?? '', operationName: operation.name, variables },
        {
          next: (result) => sink.next(result as never),
          error: (err) => sink.error(err instanceof Error ? err : new Error(String(err))),
          complete: () => sink.complete(),
        },
      ),
    );
  return new Environment({
    network: Network.create(fetchFn, subscribeFn),
    store: new Store(new RecordSource()),
  });
}
