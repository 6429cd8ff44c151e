/**
 * One pooled API client per cluster.
 *
 * client-node 2.0.1 builds a NEW undici Agent inside `applySecurityAuthentication` on
 * every request when the cluster uses TLS, so ten list calls cost ten TLS handshakes.
 * `PooledKubeConfig` keeps one keep-alive Agent with a bounded number of sockets per
 * cluster and sets it on every request; watch streams, which hold a socket each for
 * minutes, get a second Agent from the same TLS material so they never starve it.
 */
import type { AgentOptions } from 'node:https';
import {
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  type V1Job,
  type V1Namespace,
  type V1Node,
  type V1Pod,
  VersionApi,
} from '@kubernetes/client-node';
import { HttpMethod, RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { Agent, type Dispatcher, fetch } from 'undici';
import type { KindName, KubeObjectOf } from './kinds.js';

export interface PoolOptions {
  /**
   * Upper bound of sockets to one API server for requests (lists, gets, writes). Open
   * watches are not counted: each holds a socket of its own for minutes (HTTP/1.1 has no
   * multiplexing), so counting them would let a cluster's informers take every socket and
   * leave reads and writes queued until a watch times out. Default 16.
   */
  maxSockets?: number;
  /** Idle keep-alive time of a pooled socket. Default 30 s, as client-go. */
  keepAliveMs?: number;
}

type ConnectOptions = NonNullable<Agent.Options['connect']>;

export class PooledKubeConfig extends KubeConfig {
  private shared: Agent | undefined;
  private watches: Agent | undefined;
  private closed = false;
  private readonly pool: Required<PoolOptions>;

  constructor(pool: PoolOptions = {}) {
    super();
    this.pool = { maxSockets: pool.maxSockets ?? 16, keepAliveMs: pool.keepAliveMs ?? 30_000 };
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const dispatcher = await this.dispatcher();
    if (dispatcher) context.setDispatcher(dispatcher);
  }

  /**
   * The cluster's shared request dispatcher, built once from the kubeconfig's TLS material.
   * Undefined behind a proxy, and after closePool(): a request that still comes through a
   * retired config (a page of a list that began before a credential swap) then keeps
   * client-node's own one-off dispatcher instead of resurrecting a pool nobody will close.
   */
  async dispatcher(): Promise<Agent | undefined> {
    if (this.shared || this.closed) return this.shared;
    const connect = await this.connectOptions();
    if (connect === undefined || this.closed) return undefined;
    this.shared ??= new Agent({
      connect,
      connections: this.pool.maxSockets,
      keepAliveTimeout: this.pool.keepAliveMs,
      pipelining: 1,
    });
    return this.shared;
  }

  /**
   * The dispatcher for watch streams: same TLS material, a socket per open watch, outside
   * the request bound (see PoolOptions.maxSockets). A reflector holds at most one watch at
   * a time, so this is bounded by the number of informers.
   */
  async watchDispatcher(): Promise<Agent | undefined> {
    if (this.watches || this.closed) return this.watches;
    const connect = await this.connectOptions();
    if (connect === undefined || this.closed) return undefined;
    this.watches ??= new Agent({ connect, keepAliveTimeout: this.pool.keepAliveMs, pipelining: 1 });
    return this.watches;
  }

  /** undici connect options from the kubeconfig; undefined when a proxy is configured. */
  private async connectOptions(): Promise<ConnectOptions | undefined> {
    const tls: AgentOptions = {};
    await this.applyToHTTPSOptions(tls);
    const options = this.createDispatcherOptions(this.getCurrentCluster(), tls);
    // Proxies keep client-node's own dispatcher: pooling through them is not ours to do.
    if (options.type === 'proxy' || options.type === 'socks') return undefined;
    return options.type === 'agent'
      ? (options.connect as ConnectOptions)
      : { keepAlive: true, keepAliveInitialDelay: 30_000 };
  }

  /**
   * Closes the request pool once the requests in flight have ended. Watches are ended by
   * their owners first (Cluster.stop stops the informers); whatever watch is still open
   * is cut, since waiting for it could take minutes.
   */
  async closePool(): Promise<void> {
    this.closed = true;
    const { shared, watches } = this;
    this.shared = undefined;
    this.watches = undefined;
    await Promise.all([shared?.close(), watches?.destroy()]);
  }
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
}

export interface ListPage<K extends KindName> {
  items: KubeObjectOf<K>[];
  resourceVersion: string;
  continueToken?: string;
}

export interface WatchOptions {
  namespace?: string;
  resourceVersion: string;
  timeoutSeconds: number;
  allowWatchBookmarks: boolean;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** A running watch; `stop()` ends it (its `done` callback then fires once). */
export interface WatchHandle {
  stop(): void;
}

const MODEL: Record<KindName, string> = {
  Namespace: 'V1Namespace',
  Node: 'V1Node',
  Pod: 'V1Pod',
  Job: 'V1Job',
};

function watchPath(kind: KindName, namespace?: string): string {
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  switch (kind) {
    case 'Namespace':
      return '/api/v1/namespaces';
    case 'Node':
      return '/api/v1/nodes';
    case 'Pod':
      return `/api/v1${ns}/pods`;
    case 'Job':
      return `/apis/batch/v1${ns}/jobs`;
  }
}

/**
 * The API calls kubegate makes to one cluster: typed lists and gets, watches, version.
 * Everything goes through one PooledKubeConfig, hence one connection pool.
 */
export class ClusterClient {
  readonly core: CoreV1Api;
  readonly batch: BatchV1Api;
  private readonly versionApi: VersionApi;

  constructor(readonly config: PooledKubeConfig) {
    this.core = config.makeApiClient(CoreV1Api);
    this.batch = config.makeApiClient(BatchV1Api);
    this.versionApi = config.makeApiClient(VersionApi);
  }

  get server(): string {
    return this.config.getCurrentCluster()?.server ?? '';
  }

  async version(): Promise<string> {
    const info = await this.versionApi.getCode();
    return info.gitVersion;
  }

  /** One page of a list (or the whole list without `limit`), selectors pushed down to the server. */
  async list<K extends KindName>(kind: K, options: ListOptions = {}): Promise<ListPage<K>> {
    const { namespace, labelSelector, fieldSelector, limit, continueToken, resourceVersion } = options;
    const common = { labelSelector, fieldSelector, limit, _continue: continueToken, resourceVersion };
    let list: { items: unknown[]; metadata?: { resourceVersion?: string; _continue?: string } };
    switch (kind) {
      case 'Namespace':
        list = await this.core.listNamespace(common);
        break;
      case 'Node':
        list = await this.core.listNode(common);
        break;
      case 'Pod':
        list = namespace
          ? await this.core.listNamespacedPod({ namespace, ...common })
          : await this.core.listPodForAllNamespaces(common);
        break;
      case 'Job':
        list = namespace
          ? await this.batch.listNamespacedJob({ namespace, ...common })
          : await this.batch.listJobForAllNamespaces(common);
        break;
      default:
        throw new Error(`unknown kind ${String(kind)}: expected Namespace, Node, Pod or Job`);
    }
    return {
      items: list.items as KubeObjectOf<K>[],
      resourceVersion: list.metadata?.resourceVersion ?? '',
      continueToken: list.metadata?._continue || undefined,
    };
  }

  /** One object, or undefined when the server says 404. */
  async get<K extends KindName>(
    kind: K,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObjectOf<K> | undefined> {
    try {
      switch (kind) {
        case 'Namespace':
          return (await this.core.readNamespace({ name })) as V1Namespace as KubeObjectOf<K>;
        case 'Node':
          return (await this.core.readNode({ name })) as V1Node as KubeObjectOf<K>;
        case 'Pod':
          return (await this.core.readNamespacedPod({
            name,
            namespace: namespace ?? 'default',
          })) as V1Pod as KubeObjectOf<K>;
        case 'Job':
          return (await this.batch.readNamespacedJob({
            name,
            namespace: namespace ?? 'default',
          })) as V1Job as KubeObjectOf<K>;
      }
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
    return undefined;
  }

  /**
   * Starts a watch stream. client-node's `Watch` silently drops lines it cannot parse,
   * which would lose an event without anyone noticing, and reports a non-200 answer
   * without its headers (no Retry-After) or its Status body. So this reads the stream
   * itself, through the same pooled dispatcher and auth: a malformed line ends the
   * watch with an error (the reflector resumes from the last good resourceVersion and
   * the server replays what was lost). Objects of ADDED/MODIFIED/DELETED are
   * deserialized into the same typed models as list items (Dates, not strings).
   */
  async watch<K extends KindName>(
    kind: K,
    options: WatchOptions,
    onEvent: (type: WatchEventType, object: KubeObjectOf<K> | Record<string, unknown>) => void,
  ): Promise<WatchHandle & { done: Promise<void> }> {
    const url = new URL(this.server + watchPath(kind, options.namespace));
    url.searchParams.set('watch', 'true');
    url.searchParams.set('resourceVersion', options.resourceVersion);
    url.searchParams.set('allowWatchBookmarks', String(options.allowWatchBookmarks));
    url.searchParams.set('timeoutSeconds', String(options.timeoutSeconds));
    const ctx = new RequestContext(url.toString(), HttpMethod.GET);
    await this.config.applySecurityAuthentication(ctx);
    const dispatcher =
      (await this.config.watchDispatcher()) ?? (ctx.getDispatcher() as Dispatcher | undefined);
    const controller = new AbortController();
    const response = await fetch(url, {
      headers: { ...ctx.getHeaders(), Accept: 'application/json' },
      dispatcher,
      signal: controller.signal,
    });
    if (response.status !== 200) {
      const body = await response.text().catch(() => '');
      throw new WatchHttpError(response.status, body, response.headers.get('retry-after'));
    }
    const done = (async () => {
      let buffered = '';
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
          buffered += decoder.decode(chunk, { stream: true });
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            newline = buffered.indexOf('\n');
            if (!line) continue;
            let event: { type?: string; object?: Record<string, unknown> };
            try {
              event = JSON.parse(line);
            } catch {
              throw new MalformedWatchLineError(line);
            }
            const { type, object } = event;
            if (!object || typeof type !== 'string') throw new MalformedWatchLineError(line);
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
              onEvent(type, ObjectSerializer.deserialize(object, MODEL[kind], '') as KubeObjectOf<K>);
            } else {
              onEvent(type as WatchEventType, object);
            }
          }
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        throw err;
      }
    })();
    return { stop: () => controller.abort(), done };
  }
}

/** A watch request the server answered with something other than 200. */
export class WatchHttpError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
    readonly retryAfter: string | null,
  ) {
    super(`watch failed with HTTP ${code}: ${body.slice(0, 200)}`);
  }
}

/** A watch line that is not a JSON event: the stream can no longer be trusted. */
export class MalformedWatchLineError extends Error {
  constructor(line: string) {
    super(`malformed watch line (expected a JSON event): ${line.slice(0, 120)}`);
  }
}
