/**
 * One pooled API client per cluster: the kubeconfig that hands every request of a cluster
 * the same dispatcher.
 *
 * client-node 2.0.1 builds a NEW undici Agent inside `applySecurityAuthentication` on
 * every request when the cluster uses TLS, so ten list calls cost ten TLS handshakes.
 * `PooledKubeConfig` keeps one keep-alive Agent with a bounded number of sockets per
 * cluster and sets it on every request; watch streams, which hold a socket each for
 * minutes, get a second Agent from the same TLS material so they never starve it.
 * Both bound how long a hung server can keep a request waiting (PoolOptions timeouts).
 */
import type { AgentOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import type { RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import { Agent } from 'undici';

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
  /**
   * How long a request (and a watch's start) may wait for the response headers. A hung API
   * server accepts the request and answers nothing; without this a list, get or watch start
   * to it waits forever (undici's own default is 5 min). Default 30 s: half of an API
   * server's own request timeout (60 s), which an honest answer never approaches with
   * paged lists. 0 turns it off.
   */
  headersTimeoutMs?: number;
  /**
   * How long a request's response body may pause between two chunks. Default 30 s. Watches
   * have none: a quiet watch is silent for minutes by design, and the reflector's liveness
   * check (events and bookmarks) decides when one is dead. 0 turns it off.
   */
  bodyTimeoutMs?: number;
}

type ConnectOptions = NonNullable<Agent.Options['connect']>;

export class PooledKubeConfig extends KubeConfig {
  private shared: Agent | undefined;
  private watches: Agent | undefined;
  private closed = false;
  private readonly pool: Required<PoolOptions>;

  constructor(pool: PoolOptions = {}) {
    super();
    this.pool = {
      maxSockets: pool.maxSockets ?? 16,
      keepAliveMs: pool.keepAliveMs ?? 30_000,
      headersTimeoutMs: pool.headersTimeoutMs ?? 30_000,
      bodyTimeoutMs: pool.bodyTimeoutMs ?? 30_000,
    };
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
      headersTimeout: this.pool.headersTimeoutMs,
      bodyTimeout: this.pool.bodyTimeoutMs,
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
    this.watches ??= new Agent({
      connect,
      keepAliveTimeout: this.pool.keepAliveMs,
      headersTimeout: this.pool.headersTimeoutMs,
      bodyTimeout: 0,
      pipelining: 1,
    });
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
