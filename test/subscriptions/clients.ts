/**
 * Shared by the subscription tests: real clients (graphql-sse and graphql-ws over `ws`)
 * wrapped in one small handle that records every result, and helpers that read the
 * gateway's side (hub listeners, cache contents) so a test knows when the server has
 * subscribed or caught up instead of sleeping.
 */
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { KindName } from '../../src/kube/kinds.js';
import { relayStats } from '../../src/loaders/streams.js';
import type { KubeObject } from '../../src/simulator/types.js';
import type { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

// biome-ignore lint/suspicious/noExplicitAny: GraphQL results are JSON, narrowed by the assertions
export type Json = any;

export type Transport = 'sse' | 'ws';
export const TRANSPORTS: readonly Transport[] = ['sse', 'ws'];

/** One subscription as a client sees it: every result in arrival order, and how it ended. */
export class Subscription {
  readonly results: Json[] = [];
  completed = false;
  failure: unknown;
  private readonly waiters = new Set<() => void>();
  dispose: () => void = () => {};
  /** Called after each result is recorded (e.g. to change the cluster while a snapshot streams in). */
  onResult?: (s: this) => void;

  constructor(readonly field: string) {}

  /** The `data[field]` of every result that has data. */
  get events(): Json[] {
    return this.results.filter((r) => r.data?.[this.field]).map((r) => r.data[this.field]);
  }

  get errors(): Json[] {
    return this.results.flatMap((r) => r.errors ?? []);
  }

  get ended(): boolean {
    return this.completed || this.failure !== undefined;
  }

  /** Waits until `check(this)` holds, failing early when the stream ends without it. */
  async until(what: string, check: (s: this) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this)) {
      if (this.ended && !check(this)) {
        throw new Error(
          `the subscription ended (${this.failure ? `error: ${describe(this.failure)}` : 'complete'}) before ${what}; last results: ${JSON.stringify(this.results.slice(-3))}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what} (${this.results.length} results, last: ${JSON.stringify(this.results.slice(-2))})`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 250));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  /** Waits until at least `n` events arrived. */
  count(n: number, timeoutMs?: number): Promise<void> {
    return this.until(`${n} events`, (s) => s.events.length >= n, timeoutMs);
  }

  /** Waits for an event whose object's name is `name` (and type, when given); returns it. */
  async eventFor(name: string, type?: string, timeoutMs?: number): Promise<Json> {
    const find = () => this.events.find((e) => e.object?.name === name && (!type || e.type === type));
    await this.until(`a ${type ?? ''} event for ${name}`, () => find() !== undefined, timeoutMs);
    return find();
  }

  /** Waits for the end of the stream (complete or error). */
  end(timeoutMs?: number): Promise<void> {
    return this.until('the end of the stream', (s) => s.ended, timeoutMs).catch((err) => {
      if (!this.ended) throw err;
    });
  }

  push(result: Json): void {
    this.results.push(result);
    this.onResult?.(this);
    this.wake();
  }

  finish(failure?: unknown): void {
    if (failure !== undefined) this.failure = failure;
    else this.completed = true;
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
    this.waiters.clear();
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  const e = err as { code?: number; reason?: string };
  if (e && typeof e === 'object' && 'code' in e) return `close ${e.code} ${e.reason ?? ''}`;
  return JSON.stringify(err);
}

export interface SubscribeOptions {
  token?: string;
  variables?: Record<string, unknown>;
}

/** The field a subscription document selects (the first one). */
function fieldOf(query: string): string {
  const match = /subscription[^{]*\{\s*(?:\w+\s*:\s*)?(\w+)/.exec(query);
  if (!match) throw new Error(`not a subscription document: ${query}`);
  return match[1];
}

const wsUrl = (url: string) => url.replace(/^http/, 'ws');

/** A graphql-ws client on its own WebSocket, authenticated through connectionParams. */
export function wsConnection(url: string, token?: string): WsClient {
  return createWsClient({
    url: wsUrl(url),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : undefined,
    retryAttempts: 0,
    lazy: true,
    lazyCloseTimeout: 0,
  });
}

/** A subscription over an existing graphql-ws connection (many may share one socket). */
export function subscribeOn(client: WsClient, query: string, variables?: Record<string, unknown>) {
  const sub = new Subscription(fieldOf(query));
  sub.dispose = client.subscribe(
    { query, variables },
    {
      next: (r) => sub.push(r),
      error: (err) => sub.finish(err ?? new Error('error')),
      complete: () => sub.finish(),
    },
  );
  return sub;
}

/** Subscribes over one transport, with a client of its own; `dispose()` disconnects it. */
export function subscribe(
  transport: Transport,
  url: string,
  query: string,
  options: SubscribeOptions = {},
): Subscription {
  if (transport === 'ws') {
    const client = wsConnection(url, options.token);
    const sub = subscribeOn(client, query, options.variables);
    const unsubscribe = sub.dispose;
    sub.dispose = () => {
      unsubscribe();
      void client.dispose();
    };
    return sub;
  }
  const client = createSseClient({
    url,
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    retryAttempts: 0,
  });
  const sub = new Subscription(fieldOf(query));
  const unsubscribe = client.subscribe(
    { query, variables: options.variables },
    {
      next: (r) => sub.push(r),
      error: (err) => sub.finish(err ?? new Error('error')),
      complete: () => sub.finish(),
    },
  );
  sub.dispose = () => {
    unsubscribe();
    client.dispose();
  };
  return sub;
}

/**
 * Subscriptions live on the gateway: hub listeners of their own (live aggregates, cluster
 * status) plus the subscribers of event relays, which share one hub listener per filter and
 * cluster.
 */
export function serverSubscriptions(h: Harness): number {
  const { hubListeners, subscribers } = relayStats(h.hub);
  return h.hub.listenerCount() - hubListeners + subscribers;
}

/** Waits until the gateway holds `count` live subscriptions (see serverSubscriptions). */
export async function listeners(h: Harness, count: number, timeoutMs?: number): Promise<void> {
  await waitFor(() => serverSubscriptions(h) === count, {
    message: `${count} live subscriptions`,
    timeoutMs,
    observe: () => `have ${serverSubscriptions(h)}`,
  });
}

/** The resourceVersion the gateway's cache holds for an object (undefined: not cached). */
export function cachedRV(
  h: Harness,
  kind: KindName,
  key: string,
  cluster = h.registry.list()[0].name,
): string | undefined {
  const store = h.registry.get(cluster)?.informers?.[kind]?.store;
  return (store?.get(key) as { metadata?: { resourceVersion?: string } } | undefined)?.metadata
    ?.resourceVersion;
}

/** Waits until the gateway's cache holds `obj` at its resourceVersion (or, for null, no longer holds `key`). */
export async function cached(
  h: Harness,
  kind: KindName,
  key: string,
  rv: string | null,
  cluster?: string,
): Promise<void> {
  const now = () => cachedRV(h, kind, key, cluster);
  await waitFor(() => (rv === null ? now() === undefined : now() === rv), {
    message: `the gateway's ${kind} ${key} at ${rv ?? 'deleted'}`,
    observe: () => `the cache holds ${now() ?? 'nothing'}`,
  });
}

export const keyOf = (o: { metadata: { namespace?: string; name: string } }) =>
  o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;

/** A pod owned by nothing (no simulator controller touches it). */
export function barePod(
  namespace: string,
  name: string,
  options: { nodeName?: string; labels?: Record<string, string>; cpu?: string; jobName?: string } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: {
        app: 'subs-test',
        ...(options.jobName ? { 'job-name': options.jobName } : {}),
        ...options.labels,
      },
    },
    spec: {
      ...(options.nodeName ? { nodeName: options.nodeName } : {}),
      containers: [
        {
          name: 'main',
          image: 'busybox:1.36',
          resources: { requests: { cpu: options.cpu ?? '100m', memory: '64Mi' } },
        },
      ],
    },
    status: { phase: options.nodeName ? 'Running' : 'Pending' },
  };
}

/** Creates a namespace in the simulator when it does not exist yet. */
export function ensureNamespace(h: Harness, name: string, sim = h.sim): void {
  if (sim.store.get('namespaces', undefined, name)) return;
  sim.store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** Node names of a simulator, sorted. */
export function nodeNames(h: Harness, sim = h.sim): string[] {
  return [...sim.store.scan('nodes')].map((n) => n.metadata.name).sort();
}

/** The simulator's background activity has no public switch; the tests that need a still cluster reach it. */
export function stopBackgroundActivity(sim: Harness['sim']): void {
  const internals = sim as unknown as { churn: { stop(): void }; jobs: { stop(): void } };
  internals.churn.stop();
  internals.jobs.stop();
}
