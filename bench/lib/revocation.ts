/**
 * RBAC revocation (issue #11): how long after a user's RoleBinding is deleted through the
 * API (as `kubectl delete rolebinding` does it) that user's live subscription ends with
 * FORBIDDEN, on a synced gateway. Per run: the user is bound to `view` in one namespace
 * (its only binding), the gateway is asked as the user until it answers (it has mirrored
 * the binding), the user subscribes to the namespace's pod events (graphql-sse or
 * graphql-ws, the benchmark's clients) and a primer pod's ADDED event proves the stream
 * open; then the clock starts just before the DELETE is sent and stops when the FORBIDDEN
 * error arrives. The figure includes the DELETE's round trip, the watch event's way to
 * the gateway's informer, the relay's check and the error's way to the client.
 */
import { randomBytes } from 'node:crypto';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { bindingsPath, viewBinding } from './rbac.js';
import { median, round } from './stats.js';
import { nodeStreamFetch, type Transport } from './subscriptions.js';
import type { Upstream } from './upstream.js';

export interface RevocationRun {
  transport: Transport;
  /** From just before the DELETE to the FORBIDDEN error at the subscriber; null when it did not come. */
  delayMs: number | null;
  /** The DELETE's own round trip, part of delayMs. */
  deleteMs: number | null;
  /** How the subscription ended: FORBIDDEN, another code, complete without error, or a timeout. */
  outcome: string;
}

export interface RevocationFigures {
  namespace: string;
  runs: RevocationRun[];
  /** Over the runs that ended FORBIDDEN. */
  p50Ms: number;
  maxMs: number;
  error?: string;
}

const SUBSCRIPTION = `subscription BenchRevocation($cluster: String!, $namespace: String!, $labelSelector: String!) {
  podEvents(cluster: $cluster, namespace: $namespace, labelSelector: $labelSelector) {
    type
    object {
      name
    }
  }
}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// biome-ignore lint/suspicious/noExplicitAny: GraphQL results are open-ended JSON
type Json = any;

interface Stream {
  names: Set<string>;
  /** The first error's code (FORBIDDEN expected), or 'complete' when it ended without one. */
  ended?: { code: string; at: number };
  dispose(): void;
}

function codesOf(value: Json): string[] {
  const errors: Json[] = Array.isArray(value) ? value : (value?.errors ?? []);
  return errors.map((e) => String(e?.extensions?.code ?? e?.message ?? 'error'));
}

function open(transport: Transport, url: string, token: string, variables: Record<string, string>): Stream {
  const stream: Stream = { names: new Set(), dispose: () => {} };
  const end = (code: string) => {
    stream.ended ??= { code, at: performance.now() };
  };
  const sink = {
    next: (value: Json) => {
      const codes = codesOf(value);
      if (codes.length) end(codes[0]);
      const name = value?.data?.podEvents?.object?.name;
      if (name) stream.names.add(name);
    },
    error: (err: Json) => end(codesOf(err)[0] ?? (err instanceof Error ? err.message : 'error')),
    complete: () => end('complete'),
  };
  const payload = { query: SUBSCRIPTION, variables };
  if (transport === 'sse') {
    const client = createSseClient({
      url,
      headers: { authorization: `Bearer ${token}` },
      singleConnection: false,
      retryAttempts: 0,
      fetchFn: nodeStreamFetch,
    });
    const stop = client.subscribe(payload, sink);
    stream.dispose = () => {
      stop();
      client.dispose();
    };
  } else {
    const client = createWsClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: true,
    });
    const stop = client.subscribe(payload, sink);
    stream.dispose = () => {
      stop();
      void client.dispose();
    };
  }
  return stream;
}

/** Polls as the user until the gateway lets it list pods in the namespace (its informer has the binding). */
async function waitUntilVisible(
  url: string,
  token: string,
  cluster: string,
  namespace: string,
): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query:
          'query($c: String!, $ns: String!) { cluster(name: $c) { pods(namespace: $ns, first: 1) { totalCount } } }',
        variables: { c: cluster, ns: namespace },
      }),
    });
    const body = (await res.json()) as { data?: { cluster?: unknown } };
    if (body.data?.cluster) return;
    await sleep(10);
  }
  throw new Error('the gateway did not grant the new binding within 30 s');
}

export async function measureRevocation(options: {
  url: string;
  cluster: string;
  upstream: Upstream;
  user: string;
  token: string;
  namespace: string;
  runsPerTransport: number;
  log: (line: string) => void;
}): Promise<RevocationFigures> {
  const { upstream, namespace } = options;
  const runs: RevocationRun[] = [];
  const created: string[] = [];
  let error: string | undefined;
  const plan: Transport[] = [];
  for (let i = 0; i < options.runsPerTransport; i++) plan.push('sse', 'ws');
  try {
    for (const [i, transport] of plan.entries()) {
      const runId = `r${randomBytes(4).toString('hex')}`;
      const binding = `kubegate-bench-revoke-${runId}`;
      const bound = await upstream.request(bindingsPath(namespace), {
        method: 'POST',
        body: viewBinding(binding, namespace, options.user),
      });
      if (bound.status !== 201) throw new Error(`creating RoleBinding ${binding}: HTTP ${bound.status}`);
      await waitUntilVisible(options.url, options.token, options.cluster, namespace);
      const stream = open(transport, options.url, options.token, {
        cluster: options.cluster,
        namespace,
        labelSelector: `kubegate-bench-revoke=${runId}`,
      });
      try {
        // Primers until the stream has delivered one (it is open end to end).
        let primed = false;
        for (let p = 0; p < 20 && !primed && !stream.ended; p++) {
          const name = `${runId}-prime-${p}`;
          const res = await upstream.request(`/api/v1/namespaces/${namespace}/pods`, {
            method: 'POST',
            body: {
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: { name, namespace, labels: { 'kubegate-bench-revoke': runId } },
              spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
            },
          });
          if (res.status === 201) created.push(name);
          const until = performance.now() + 500;
          while (!stream.names.has(name) && !stream.ended && performance.now() < until) await sleep(2);
          primed = stream.names.has(name);
        }
        if (!primed)
          throw new Error(
            `run ${i + 1} (${transport}): the subscription ${stream.ended ? `ended (${stream.ended.code})` : 'delivered no event'} before the deletion`,
          );
        const t0 = performance.now();
        const deleted = await upstream.request(`${bindingsPath(namespace)}/${binding}`, { method: 'DELETE' });
        const deleteMs = performance.now() - t0;
        if (deleted.status !== 200)
          throw new Error(`deleting RoleBinding ${binding}: HTTP ${deleted.status}`);
        const until = performance.now() + 10_000;
        while (!stream.ended && performance.now() < until) await sleep(1);
        const ended = stream.ended as Stream['ended'];
        runs.push({
          transport,
          delayMs: ended?.code === 'FORBIDDEN' ? round(ended.at - t0) : null,
          deleteMs: round(deleteMs),
          outcome: ended ? ended.code : 'no end within 10 s',
        });
        options.log(
          `  R revocation ${transport} run ${Math.floor(i / 2) + 1}: ${ended ? `${ended.code} after ${round(ended.at - t0, 1)} ms` : 'not ended within 10 s'} (DELETE ${round(deleteMs, 1)} ms)`,
        );
      } finally {
        stream.dispose();
      }
    }
  } catch (err) {
    error = (err as Error).message;
  } finally {
    for (const name of created)
      await upstream
        .request(`/api/v1/namespaces/${namespace}/pods/${name}`, { method: 'DELETE' })
        .catch(() => {});
  }
  const delays = runs.flatMap((r) => (r.delayMs === null ? [] : [r.delayMs]));
  return {
    namespace,
    runs,
    p50Ms: round(median(delays)),
    maxMs: delays.length ? round(Math.max(...delays)) : Number.NaN,
    ...(error ? { error } : {}),
  };
}
