/**
 * The kubegate CLI: read the configuration, start the clusters (or the embedded
 * simulator when none is configured), serve GraphQL and GraphiQL. Run through
 * `src/main.ts`, which sets up the process first.
 */
import { type CliOptions, ConfigError, loadConfigFile, type Plan, parseCli, plan, USAGE } from './config.js';
import { EventHub } from './kube/event-hub.js';
import { describe } from './kube/reflector.js';
import { ClusterRegistry } from './kube/registry.js';
import { owns, shardLabel } from './kube/shard.js';
import { SourceError } from './kube/sources.js';
import { EXAMPLE_QUERY } from './schema/example.js';
import { buildSchema } from './schema/index.js';
import { type AuthFailure, createAuthenticator } from './server/auth.js';
import { createGateway } from './server/gateway.js';
import { createMetrics } from './server/metrics.js';
import { type Simulator, startSimulator } from './simulator/server.js';

const log = (line: string) => process.stderr.write(`kubegate: ${line}\n`);

/**
 * Logs why credentials were refused or could not be checked (never the credential): each
 * distinct reason at most once a minute, so a flood of bad tokens cannot flood the log.
 */
function authLog(): (failure: AuthFailure) => void {
  const last = new Map<string, number>();
  return ({ method, outcome, reason }) => {
    const line = `auth ${method}: ${outcome === 'unavailable' ? 'could not check a token' : 'refused a token'}: ${reason}`;
    const now = Date.now();
    if ((last.get(line) ?? Number.NEGATIVE_INFINITY) > now - 60_000) return;
    if (last.size >= 1000) last.clear();
    last.set(line, now);
    log(line);
  };
}

export async function main(): Promise<void> {
  let cli: CliOptions;
  let what: Plan;
  try {
    cli = parseCli(process.argv.slice(2));
    if (cli.help) {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    what = plan(cli, cli.config ? loadConfigFile(cli.config) : {});
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SourceError) {
      log(`${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    throw err;
  }

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
    log(`embedded simulator "${s.name}" at ${sim.url} (${JSON.stringify(sim.summary.counts ?? {})})`);
  }

  const hub = new EventHub();
  const lastError = new Map<string, string>();
  const registry = new ClusterRegistry({
    hub,
    sources: what.sources,
    defaults: { cache: what.cache, pool: what.pool, identities: what.identities },
    shard: what.shard,
    configuredElsewhere,
    // One line per change of a (cluster, kind)'s error, not one per retry.
    onError: (cluster, kind, err) => {
      const key = `${cluster}/${kind ?? '-'}`;
      const text = describe(err);
      if (lastError.get(key) !== text) log(`cluster "${cluster}" ${kind ?? ''}: ${text} (retrying)`);
      lastError.set(key, text);
    },
    onReload: (c) =>
      log(
        c.error
          ? `kubeconfig reload kept the current clusters: ${c.error}`
          : `kubeconfig reloaded: added [${c.added}] removed [${c.removed}] replaced [${c.replaced}]`,
      ),
  });
  try {
    registry.start();
  } catch (err) {
    if (err instanceof SourceError) {
      log(err.message);
      process.exit(2);
    }
    throw err;
  }

  const review = what.kubernetes;
  const reviewOwner = review && registry.notOwnedClusters().get(review.cluster);
  if (review && reviewOwner) {
    log(
      `auth.kubernetes.cluster: ${JSON.stringify(review.cluster)} is served by shard ${reviewOwner}, not by this replica's shard ${registry.shard}: every replica reviews tokens with it, so it must be one each serves (run it unsharded, or use OIDC or static tokens with --shard)`,
    );
    process.exit(2);
  }
  if (review && !registry.names().includes(review.cluster)) {
    log(
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
    onFailure: authLog(),
    openWriteAs: what.openWriteAs,
  });
  const gateway = createGateway({
    schema: buildSchema(),
    directory: registry,
    auth,
    defaultQuery: EXAMPLE_QUERY,
    metrics: createMetrics(registry),
    settings: what.settings,
    metricsListener: what.metricsListener,
    browsers: what.browsers,
    limits: what.limits,
    logError: (err, { requestId }) =>
      log(`unexpected error (request ${requestId}): ${(err as Error)?.stack ?? String(err)}`),
    // One JSON line per write: principal, identity, cluster, verb, object, outcome, latency.
    logWrite: (record) => log(`write ${JSON.stringify(record)}`),
    writes: what.writes,
  });
  const started = Date.now();
  const url = await gateway.listen(what.port, what.host);
  if (what.open) {
    log(
      `WARNING: no authentication is configured: anyone who can reach ${url} reads every cluster it serves. ` +
        'It answers only to loopback host names unless --allowed-host says otherwise; configure auth for anything else.',
    );
  }
  const metricsUrl = gateway.metricsUrl();
  if (metricsUrl) process.stdout.write(`metrics on ${metricsUrl}\n`);
  process.stdout.write(
    `kubegate listening on ${url} (GraphiQL: open it in a browser)\n` +
      `clusters: ${registry.names().join(', ')}${what.cache ? '' : ' (no cache: reads go to the API server)'}\n`,
  );
  if (what.shard) {
    const others = [...registry.notOwnedClusters()].map(([name, shard]) => `${name} (${shard})`);
    process.stdout.write(
      `shard ${shardLabel(what.shard)}: serving ${registry.names().length} of ${registry.names().length + others.length} clusters; other shards serve: ${others.join(', ') || 'none'}\n`,
    );
  }
  if (what.cache) {
    registry.waitForSync(120_000).then((ok) => {
      process.stdout.write(
        ok
          ? `ready: caches synced in ${Date.now() - started} ms\n`
          : 'caches not yet synced; answering from the API server meanwhile\n',
      );
    });
  }

  // Graceful shutdown (gateway.ts `shutdown`): /readyz 503 at once, connections refused after
  // the delay, subscriptions ended with SHUTTING_DOWN, in-flight operations given the timeout;
  // then the authenticator, informers and pools, exit 0. A second signal exits at once.
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(
      `${signal}: shutting down (/readyz 503; connections accepted for ${what.shutdown.delayMs} ms, then in-flight operations get ${what.shutdown.timeoutMs} ms)`,
    );
    await gateway.shutdown(what.shutdown);
    await auth.close();
    await registry.stop();
    await Promise.all(simulators.map((s) => s.close()));
    log('shut down');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
