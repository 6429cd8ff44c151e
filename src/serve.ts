/**
 * What the CLI starts once its configuration is read (src/cli.ts): the embedded simulators,
 * the cluster registry and its informers, the authenticator and the gateway, and the
 * graceful shutdown on SIGINT/SIGTERM.
 */
import type { Plan } from './config.js';
import { EventHub } from './kube/event-hub.js';
import { describe, isResourceExpired } from './kube/reflector.js';
import { ClusterRegistry } from './kube/registry.js';
import { owns, shardLabel } from './kube/shard.js';
import { SourceError } from './kube/sources.js';
import { EXAMPLE_QUERY, USAGE_EXAMPLE_QUERY } from './schema/example.js';
import { buildSchema } from './schema/index.js';
import { createAuthenticator } from './server/auth.js';
import { createGateway } from './server/gateway.js';
import { authFailureLog, clusterErrorLog, createLogger } from './server/logger.js';
import { createMetrics } from './server/metrics.js';
import { type Simulator, startSimulator } from './simulator/server.js';
import type { Tracing } from './tracing.js';

export async function serve(what: Plan, tracing: Tracing | undefined): Promise<void> {
  const logger = createLogger({ level: what.logLevel });

  if (tracing)
    logger.info(`traces: exporting to ${tracing.settings.endpoint} (${tracing.settings.protocol})`);
  const simulators: Simulator[] = [];
  // An embedded simulator another shard owns is not started here (nothing would read it).
  const configuredElsewhere = what.simulators.filter((s) => !owns(what.shard, s.name)).map((s) => s.name);
  for (const s of what.simulators) {
    if (configuredElsewhere.includes(s.name)) continue;
    const sim = await startSimulator(s.options);
    simulators.push(sim);
    what.sources.push({
      type: 'kubeconfig-text',
      text: sim.kubeconfig({ context: s.name }),
      label: `embedded ${s.name}`,
      authorization: s.authorization,
    });
    logger.info(
      { simulator: s.name, url: sim.url, counts: sim.summary.counts ?? {} },
      `embedded simulator "${s.name}" at ${sim.url}`,
    );
  }

  const hub = new EventHub({
    onListenerError: (err, event) =>
      logger.error({ err, cluster: event.cluster, kind: event.kind }, 'event hub listener failed'),
  });
  // Failures, relists and watch restarts once per episode (and its recovery), not per retry.
  const episodes = clusterErrorLog(logger, describe, isResourceExpired);
  const registry = new ClusterRegistry({
    hub,
    sources: what.sources,
    defaults: { cache: what.cache, pool: what.pool, identities: what.identities },
    shard: what.shard,
    configuredElsewhere,
    eventLog: what.eventLog,
    concurrentSyncs: what.concurrentSyncs,
    onError: episodes.onError,
    onRecovered: episodes.onRecovered,
    onReload: (c) =>
      c.error
        ? logger.warn({ error: c.error }, `kubeconfig reload kept the current clusters: ${c.error}`)
        : logger.info(
            { added: c.added, removed: c.removed, replaced: c.replaced },
            `kubeconfig reloaded: added [${c.added}] removed [${c.removed}] replaced [${c.replaced}]`,
          ),
  });
  try {
    registry.start();
  } catch (err) {
    if (err instanceof SourceError) {
      logger.fatal(err.message);
      process.exit(2);
    }
    throw err;
  }

  const review = what.kubernetes;
  const reviewOwner = review && registry.notOwnedClusters().get(review.cluster);
  if (review && reviewOwner) {
    logger.fatal(
      `auth.kubernetes.cluster: ${JSON.stringify(review.cluster)} is served by shard ${reviewOwner}, not by this replica's shard ${registry.shard}: every replica reviews tokens with it, so it must be one each serves (run it unsharded, or use OIDC or static tokens with --shard)`,
    );
    process.exit(2);
  }
  if (review && !registry.names().includes(review.cluster)) {
    logger.fatal(
      `auth.kubernetes.cluster: expected one of the clusters ${JSON.stringify(registry.names())}, received ${JSON.stringify(review.cluster)}`,
    );
    process.exit(2);
  }
  const auth = createAuthenticator({
    tokens: what.tokens,
    oidc: what.oidc,
    kubernetes: review && {
      cluster: review.cluster,
      review: (token) => registry.reviewToken(review.cluster, token),
    },
    onFailure: authFailureLog(logger),
    openWriteAs: what.openWriteAs,
  });
  const gateway = createGateway({
    schema: buildSchema(),
    directory: registry,
    auth,
    defaultQuery: EXAMPLE_QUERY,
    exampleTabs: [USAGE_EXAMPLE_QUERY],
    metrics: createMetrics(registry),
    settings: what.settings,
    metricsListener: what.metricsListener,
    browsers: what.browsers,
    limits: what.limits,
    // A line per operation, unexpected errors with their stack, one per write (the audit line).
    logger,
    writes: what.writes,
    containerLogs: what.containerLogs,
  });
  const started = Date.now();
  const url = await gateway.listen(what.port, what.host);
  if (what.open) {
    logger.warn(
      `WARNING: no authentication is configured: anyone who can reach ${url} reads every cluster it serves. ` +
        'It answers only to loopback host names unless --allowed-host says otherwise; configure auth for anything else.',
    );
  }
  const metricsUrl = gateway.metricsUrl();
  if (metricsUrl) logger.info({ url: metricsUrl }, `metrics on ${metricsUrl}`);
  logger.info(
    { url, clusters: registry.names(), cache: what.cache },
    `kubegate listening on ${url} (GraphiQL: open it in a browser); clusters: ${registry.names().join(', ')}${what.cache ? '' : ' (no cache: reads go to the API server)'}`,
  );
  if (what.shard) {
    const notOwned = Object.fromEntries(registry.notOwnedClusters());
    const others = Object.entries(notOwned).map(([name, shard]) => `${name} (${shard})`);
    logger.info(
      { shard: shardLabel(what.shard), clusters: registry.names(), notOwned },
      `shard ${shardLabel(what.shard)}: serving ${registry.names().length} of ${registry.names().length + others.length} clusters; other shards serve: ${others.join(', ') || 'none'}`,
    );
  }
  if (what.cache) {
    registry.waitForSync(120_000).then((ok) => {
      if (ok)
        logger.info(
          { durationMs: Date.now() - started },
          `ready: caches synced in ${Date.now() - started} ms`,
        );
      else logger.warn('caches not yet synced; answering from the API server meanwhile');
    });
  }

  // Graceful shutdown (gateway.ts `shutdown`): /readyz 503 at once, connections refused after
  // the delay, subscriptions ended with SHUTTING_DOWN, in-flight operations given the timeout;
  // then the authenticator, informers and pools, exit 0. A second signal exits at once.
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, `${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(
      { signal, ...what.shutdown },
      `${signal}: shutting down (/readyz 503; connections accepted for ${what.shutdown.delayMs} ms, then in-flight operations get ${what.shutdown.timeoutMs} ms)`,
    );
    await gateway.shutdown(what.shutdown);
    await auth.close();
    await registry.stop();
    await Promise.all(simulators.map((s) => s.close()));
    await tracing?.shutdown();
    logger.info('shut down');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
