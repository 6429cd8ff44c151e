/**
 * The README's "Resuming subscriptions" snippets, verbatim: the reconnect loop of a page
 * that follows one cluster's pods over graphql-sse or graphql-ws. resume-clients.test.ts
 * runs them against real gateways and checks that the README still quotes this file.
 */
// readme:start common

export interface PodEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resourceVersion: string;
  snapshot: boolean;
  object: { namespace: string; name: string; phase: string };
}

/** What the page keeps: `reset` before a snapshot comes again, `apply` for every event. */
export interface PodView {
  reset(): void;
  apply(event: PodEvent): void;
}

export interface Follow {
  url: string | (() => string);
  cluster: string;
  view: PodView;
  signal: AbortSignal;
  retryDelayMs?: number;
}

export const PODS = `subscription Pods($cluster: String!, $since: String, $initial: Boolean) {
  podEvents(cluster: $cluster, sinceResourceVersion: $since, initial: $initial) {
    type resourceVersion snapshot object { namespace name phase }
  }
}`;

/** The variables of the next attempt: resume after `since`, or start again from a snapshot. */
export function variablesFor(cluster: string, since: string | undefined, view: PodView) {
  if (since !== undefined) return { cluster, since };
  view.reset();
  return { cluster, initial: true };
}

/**
 * Applies one result and returns where to resume from: the last change's resourceVersion
 * (a snapshot's objects come in no order), or undefined after RESUME_EXPIRED (refetch).
 * SHUTTING_DOWN (a replica stopping) and SLOW_CONSUMER end the stream: resume. Anything
 * else (FORBIDDEN, BAD_USER_INPUT...) is not fixed by retrying.
 */
export function onResult(
  result: {
    data?: { podEvents: PodEvent } | null;
    errors?: readonly { message: string; extensions?: { [key: string]: unknown } }[];
  },
  since: string | undefined,
  view: PodView,
): string | undefined {
  const code = result.errors?.[0]?.extensions?.code;
  if (code === 'RESUME_EXPIRED') return undefined;
  if (code !== undefined && code !== 'SHUTTING_DOWN' && code !== 'SLOW_CONSUMER')
    throw new Error(`podEvents: ${result.errors?.[0]?.message}`);
  const event = result.data?.podEvents;
  if (!event) return since;
  view.apply(event);
  return event.snapshot ? since : event.resourceVersion;
}

export const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

// readme:end common

// readme:start sse

import { createClient as createSseClient } from 'graphql-sse';

export async function followPodsOverSse({ url, cluster, view, signal, retryDelayMs = 1000 }: Follow) {
  const client = createSseClient({ url, retryAttempts: 0 }); // this loop retries, with `since`
  let since: string | undefined;
  while (!signal.aborted) {
    const results = client.iterate<{ podEvents: PodEvent }>({
      query: PODS,
      variables: variablesFor(cluster, since, view),
    });
    const stop = () => void results.return?.();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const result of results) since = onResult(result, since, view);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('podEvents:')) throw err;
      // the connection failed (a replica went away): resume
    } finally {
      signal.removeEventListener('abort', stop);
    }
    await pause(retryDelayMs, signal);
  }
  client.dispose();
}

// readme:end sse

// readme:start ws

import { createClient as createWsClient } from 'graphql-ws';

export async function followPodsOverWebSocket({ url, cluster, view, signal, retryDelayMs = 1000 }: Follow) {
  // graphql-ws's own retries would resubscribe with the first variables: this loop does it.
  const client = createWsClient({ url, retryAttempts: 0 });
  let since: string | undefined;
  while (!signal.aborted) {
    const results = client.iterate<{ podEvents: PodEvent }>({
      query: PODS,
      variables: variablesFor(cluster, since, view),
    });
    const stop = () => void results.return?.();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const result of results) since = onResult(result, since, view);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('podEvents:')) throw err;
      // the socket closed (1012: a replica restarting) or failed: resume
    } finally {
      signal.removeEventListener('abort', stop);
    }
    await pause(retryDelayMs, signal);
  }
  await client.dispose();
}
// readme:end ws
