/**
 * Test harness: a real simulator over HTTPS, a real ClusterRegistry on its kubeconfig,
 * and the real gateway on an ephemeral port. Tests talk to it over HTTP.
 *
 * Everything the gateway, its authenticator, registry and hub log goes to the run's log
 * directory (test-log.ts), and every secret the harness is given or sends is recorded
 * there: the run ends with a scan of those logs for any of them (log-scan.ts).
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { settingsFromEnv } from '../../src/config.js';
import type { AuthorizationMode } from '../../src/kube/cluster.js';
import { EventHub } from '../../src/kube/event-hub.js';
import { describe as describeClusterError, isResourceExpired } from '../../src/kube/reflector.js';
import { ClusterRegistry, type RegistryOptions } from '../../src/kube/registry.js';
import type { Shard } from '../../src/kube/shard.js';
import type { ClusterSource } from '../../src/kube/sources.js';
import { buildSchema } from '../../src/schema/index.js';
import { type AuthenticatorOptions, createAuthenticator, type StaticToken } from '../../src/server/auth.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/server/gateway.js';
import { authFailureLog, clusterErrorLog, type LogLevel } from '../../src/server/logger.js';
import { createMetrics } from '../../src/server/metrics.js';
import { parsePrometheusText } from '../../src/simulator/metrics.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/server.js';
import { gatewayLog, gatewayLogger, recordAuthorization, recordSecret } from './test-log.js';

export interface HarnessOptions {
  simulator?: SimulatorOptions;
  /**
   * Serve this already running simulator instead of starting one (`simulator` is then
   * ignored); `close()` leaves it running, its owner closes it. Lets two gateways (cached
   * and --no-cache) share one cluster.
   */
  existingSimulator?: Simulator;
  /** More simulators, each another cluster (named sim-1, sim-2, ...). */
  extraSimulators?: SimulatorOptions[];
  /**
   * Serve these running simulators (sim, sim-1, sim-2, ...) instead of starting any;
   * `close()` leaves them running. Lets several gateways (shards) serve one fleet.
   */
  existingSimulators?: Simulator[];
  /** The replica's shard (--shard i/n): it serves only the clusters its shard owns. */
  shard?: Shard;
  cache?: boolean;
  /**
   * Identities (static `user:` tokens, OIDC, TokenReview) may sign in: the clusters mirror
   * their RBAC objects (authorization: rbac), as the CLI does when such a method is configured.
   */
  identities?: boolean;
  /** How the clusters authorise identities (rbac by default). */
  authorization?: AuthorizationMode;
  /** The clusters' metrics API window (`clusters[].metrics`), for the usage cache. */
  metrics?: { windowSeconds?: number };
  /** Clusters doing their first LISTs at once (`sync.concurrentClusters`; default 3). */
  concurrentSyncs?: number;
  /** Wait for every informer to sync before returning (default true when cache is on). */
  waitForSync?: boolean;
  tokens?: StaticToken[];
  /** More authentication (OIDC, a clock of its own); `tokens` are added to it. */
  auth?: Omit<AuthenticatorOptions, 'kubernetes'>;
  /** Review the tokens no other method knows with this cluster's TokenReview API, as the CLI does. */
  tokenReviewCluster?: string;
  /** /metrics on a listener of its own. */
  metricsListener?: { host: string; port: number };
  /** Where the gateway logs unexpected (masked) errors (besides the run's log). */
  logError?: (err: unknown, context: { requestId: string }) => void;
  /** The gateway's operation limits (defaults: src/server/limits.ts). */
  limits?: GatewayOptions['limits'];
  /** The gateway's clock (the system's by default); a FakeClock drives its timers. */
  clock?: GatewayOptions['clock'];
  /** Write limits and the read-your-writes bound (the `writes:` section). */
  writes?: GatewayOptions['writes'];
  /** Where the gateway logs each write (the audit line). */
  logWrite?: GatewayOptions['logWrite'];
  /** Container logs' limits (the `containerLogs:` section). */
  containerLogs?: GatewayOptions['containerLogs'];
  /**
   * Also write the structured log's JSON lines here (they always go to the run's
   * `pino-<pid>.log`, test-log.ts), at `logLevel` (default debug).
   */
  logDestination?: { write(line: string): void };
  logLevel?: LogLevel;
  /** The informers' retention logs (resumable subscriptions): bounds and a clock of their own. */
  eventLog?: RegistryOptions['eventLog'];
}

export interface Harness {
  sim: Simulator;
  sims: Simulator[];
  hub: EventHub;
  registry: ClusterRegistry;
  gateway: Gateway;
  url: string;
  /** POSTs a GraphQL operation and returns the parsed JSON body. */
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{
    data?: T;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  }>;
  /** The simulator's metrics as name{labels} → value. */
  upstream(sim?: Simulator): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** Records a simulator's tokens: its admin's, its users', its legacy grants'. */
function recordSimulatorSecrets(sim: Simulator, options: SimulatorOptions = {}): void {
  recordSecret(sim.adminToken, 'simulator admin token');
  for (const u of options.users ?? []) recordSecret(u.token, `simulator user ${u.user}'s token`);
  for (const token of Object.keys(options.tokens ?? {})) recordSecret(token, 'simulator grant token');
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const log = gatewayLog();
  // The structured log, wired as the CLI wires it (cli.ts), into the run's log directory.
  const logger = gatewayLogger({ level: options.logLevel, also: options.logDestination });
  const episodes = clusterErrorLog(logger, describeClusterError, isResourceExpired);
  const authLog = authFailureLog(logger);
  const existing =
    options.existingSimulators ?? (options.existingSimulator ? [options.existingSimulator] : []);
  const sim = existing[0] ?? (await startSimulator({ churnPerSecond: 0, ...options.simulator }));
  const extra = options.existingSimulators
    ? options.existingSimulators.slice(1)
    : await Promise.all(
        (options.extraSimulators ?? []).map((o) => startSimulator({ churnPerSecond: 0, ...o })),
      );
  const sims = [sim, ...extra];
  recordSimulatorSecrets(sim, options.existingSimulator ? {} : options.simulator);
  for (const [i, s] of extra.entries()) recordSimulatorSecrets(s, options.extraSimulators?.[i]);
  const sources: ClusterSource[] = sims.map((s, i) => ({
    type: 'kubeconfig-text',
    text: s.kubeconfig({ context: i === 0 ? 'sim' : `sim-${i}` }),
    label: `simulator ${i}`,
    authorization: options.authorization,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  }));
  const hub = new EventHub({
    onListenerError: (err, event) => {
      log.onListenerError(err, event);
      logger.error({ err, cluster: event.cluster, kind: event.kind }, 'event hub listener failed');
      console.error('kubegate: event hub listener failed', err);
    },
  });
  const cache = options.cache ?? true;
  const registry = new ClusterRegistry({
    hub,
    sources,
    defaults: { cache, identities: options.identities ?? false },
    reflector: { backoff: { initialMs: 50, maxMs: 500 } },
    shard: options.shard,
    onError: (cluster, kind, err) => {
      log.onClusterError(cluster, kind, err);
      episodes.onError(cluster, kind, err);
    },
    onRecovered: episodes.onRecovered,
    eventLog: options.eventLog,
    onReload: log.onReload,
    ...(options.concurrentSyncs !== undefined ? { concurrentSyncs: options.concurrentSyncs } : {}),
  });
  registry.start();
  if (cache && options.waitForSync !== false) {
    await registry.waitForSync(20_000);
    // Readiness does not wait for every kind (events): tests that read them all do.
    await Promise.all(registry.list().map((c) => c.waitForSync(20_000, c.mirrored)));
  }
  const tokens = [...(options.auth?.tokens ?? []), ...(options.tokens ?? [])];
  for (const t of tokens) recordSecret(t.token, `static token ${t.name}`);
  const auth = createAuthenticator({
    ...options.auth,
    tokens,
    clock: options.auth?.clock ?? options.clock,
    onFailure: (failure) => {
      log.onAuthFailure(failure);
      authLog(failure);
      options.auth?.onFailure?.(failure);
    },
    ...(options.tokenReviewCluster
      ? {
          kubernetes: {
            cluster: options.tokenReviewCluster,
            review: (token: string) => registry.reviewToken(options.tokenReviewCluster!, token),
          },
        }
      : {}),
  });
  const gateway = createGateway({
    schema: buildSchema(),
    directory: registry,
    auth,
    // As the CLI builds it: the cache and subscription gauges need the directory.
    metrics: createMetrics(registry),
    settings: settingsFromEnv(),
    logger,
    logError: (err, context) => {
      log.logError(err, context);
      options.logError?.(err, context);
    },
    metricsListener: options.metricsListener,
    limits: options.limits,
    clock: options.clock,
    writes: options.writes,
    containerLogs: options.containerLogs,
    logWrite: (record) => {
      log.logWrite(record);
      options.logWrite?.(record);
    },
  });
  const url = await gateway.listen(0, '127.0.0.1');
  return {
    sim,
    sims,
    hub,
    registry,
    gateway,
    url,
    async query(query, variables, headers = {}) {
      for (const [name, value] of Object.entries(headers)) {
        if (name.toLowerCase() === 'authorization') recordAuthorization(value, 'a bearer token a test sent');
      }
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      return res.json();
    },
    async upstream(target = sim) {
      const res = await simFetch(target, '/metrics');
      return parsePrometheusText(await res.text());
    },
    async close() {
      await gateway.close();
      await auth.close();
      await registry.stop();
      await Promise.all(sims.filter((s) => !existing.includes(s)).map((s) => s.close()));
    },
  };
}

const agents = new WeakMap<Simulator, Agent>();

/** fetch against a simulator, trusting its CA; with its admin token unless headers say otherwise. */
/** Sets the simulator's faults (POST /simulator/faults: latency, errors, or `{ reset: true }`), checked. */
export async function setSimFaults(sim: Simulator, body: object): Promise<void> {
  const res = await simFetch(sim, '/simulator/faults', {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  if (res.status !== 200)
    throw new Error(`setting faults ${JSON.stringify(body)}: HTTP ${res.status} ${await res.text()}`);
  await res.text();
}

export function simFetch(
  sim: Simulator,
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
) {
  let agent = agents.get(sim);
  if (!agent) {
    agent = new Agent({ connect: { ca: sim.caPem } });
    agents.set(sim, agent);
  }
  return undiciFetch(`${sim.url}${path}`, {
    method: init.method ?? 'GET',
    body: init.body,
    headers: { authorization: `Bearer ${sim.adminToken}`, ...init.headers },
    dispatcher: agent,
  });
}

/** Sum of apiserver_request_total for a verb (and resource), from parsed metrics. */
export function requestCount(metrics: Map<string, number>, verb: string, resource?: string): number {
  let total = 0;
  for (const [key, value] of metrics) {
    if (!key.startsWith('apiserver_request_total{')) continue;
    if (!key.includes(`verb="${verb}"`)) continue;
    if (resource && !key.includes(`resource="${resource}"`)) continue;
    total += value;
  }
  return total;
}
