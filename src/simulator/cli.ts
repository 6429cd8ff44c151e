/**
 * `npm run simulator -- --nodes 50 --pods 5000 --jobs 5000 --namespaces 20 --seed 1
 *  --churn 20 --port 6443 --kubeconfig-out sim.kubeconfig`
 * Starts the simulator on 127.0.0.1, writes a kubeconfig, runs until SIGINT/SIGTERM.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { TokenFileError } from './rbac/authentication.js';
import { DEFAULT_SCENARIO, type Simulator, startSimulator } from './server.js';

const USAGE = `usage: npm run simulator -- [options]

  --nodes N            nodes in the scenario (default ${DEFAULT_SCENARIO.nodes})
  --pods N             pods (default ${DEFAULT_SCENARIO.pods})
  --jobs N             jobs (default ${DEFAULT_SCENARIO.jobs})
  --namespaces N       generated namespaces besides default and kube-system (default ${DEFAULT_SCENARIO.namespaces})
  --max-pods-per-namespace N   spread pods so no namespace holds more
  --seed N             scenario seed (default ${DEFAULT_SCENARIO.seed})
  --clusters N         N independent clusters in this process (default 1), each of the sizes
                       above, cluster i with seed + i, on port + i (each a free one with --port 0),
                       and one kubeconfig with a context per cluster: kubegate-simulator-0 .. -N-1
                       (with 1: the single context kubegate-simulator, as without the flag)
  --churn N            changes per second, 0 for a still cluster (default 2)
  --port N             port on 127.0.0.1 (default 6443; 0 picks a free one)
  --host ADDR          address to listen on (default 127.0.0.1)
  --token TOKEN        the admin bearer token (default: random); user "admin" in group system:masters
  --token-auth-file F  more users, in kube-apiserver's static token file format: CSV lines of
                       token,user,uid[,"group1,group2"]; what they may do is up to RBAC
  --anonymous-auth B   true (default): requests without a token are system:anonymous, allowed
                       what RBAC allows them (/healthz, /version); false: 401
  --kubeconfig-out F   write a kubeconfig for the simulator to F
  --history N          changes kept for watch resumption (default 50000)
  --bookmark-interval-ms N   BOOKMARK interval on watches (default 10000)
  --node-lease-renew-ms N    Ready nodes renew their Lease this often, 0 never (default 10000)
  --metrics-resolution D    metrics.k8s.io usage changes once per D (Go duration: 15s, 1m; default 15s)
  --no-metrics-api     serve no metrics.k8s.io (as a cluster without metrics-server: absent, 404)
  --event-ttl D        events are deleted this long after their last write, a Go duration
                       as kube-apiserver's --event-ttl takes it: 1h (default), 30m, 90s, 1h30m
  --verbose            log every request to stderr
  --help               this text`;

export interface SimulatorCliOptions {
  scenario: typeof DEFAULT_SCENARIO & { maxPodsPerNamespace?: number };
  churn: number;
  /** --clusters: how many clusters this process serves (undefined: 1). */
  clusters?: number;
  port: number;
  host: string;
  token?: string;
  tokenAuthFile?: string;
  anonymousAuth?: boolean;
  kubeconfigOut?: string;
  history?: number;
  bookmarkIntervalMs?: number;
  nodeLeaseRenewMs?: number;
  /** false with --no-metrics-api; undefined (served) otherwise. */
  metrics?: boolean;
  metricsResolutionSeconds?: number;
  eventTtlSeconds?: number;
  verbose: boolean;
}

export class UsageError extends Error {}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** A Go duration (time.ParseDuration: "1h", "1h30m", "90s", "1.5h") in seconds, > 0. */
export function parseGoDuration(name: string, value: string): number {
  const parts = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h)/;
  let rest = value;
  let seconds = 0;
  while (rest.length > 0) {
    const m = parts.exec(rest);
    if (!m) break;
    const unit = /(ns|us|µs|ms|s|m|h)$/.exec(m[0])![1];
    seconds += Number(m[0].slice(0, -unit.length)) * DURATION_UNITS[unit];
    rest = rest.slice(m[0].length);
  }
  if (value.length === 0 || rest.length > 0 || !(seconds > 0)) {
    throw new UsageError(`--${name}: expected a duration > 0 such as 1h, 30m or 90s, received "${value}"`);
  }
  return seconds;
}

function integer(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name}: expected an integer >= ${min}, received "${value}"`);
  }
  return n;
}

/** A Go duration of whole seconds or minutes ("15s", "1m", "1m30s"), as metrics-server's --metric-resolution. */
function resolutionSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  const seconds = m && (m[1] || m[2]) ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : 0;
  if (seconds < 1) {
    throw new UsageError(
      `--metrics-resolution: expected a duration of at least 1s such as 15s, 1m or 1m30s, received "${value}"`,
    );
  }
  return seconds;
}

export function parseSimulatorArgs(argv: string[]): SimulatorCliOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        nodes: { type: 'string' },
        pods: { type: 'string' },
        jobs: { type: 'string' },
        namespaces: { type: 'string' },
        'max-pods-per-namespace': { type: 'string' },
        seed: { type: 'string' },
        clusters: { type: 'string' },
        churn: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string' },
        'token-auth-file': { type: 'string' },
        'anonymous-auth': { type: 'string' },
        'kubeconfig-out': { type: 'string' },
        history: { type: 'string' },
        'bookmark-interval-ms': { type: 'string' },
        'node-lease-renew-ms': { type: 'string' },
        'metrics-resolution': { type: 'string' },
        'no-metrics-api': { type: 'boolean' },
        'event-ttl': { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const str = (k: string) => values[k] as string | undefined;
  const maxPerNs = str('max-pods-per-namespace');
  const anonymous = str('anonymous-auth');
  if (anonymous !== undefined && anonymous !== 'true' && anonymous !== 'false') {
    throw new UsageError(`--anonymous-auth: expected true or false, received "${anonymous}"`);
  }
  return {
    scenario: {
      nodes: integer('nodes', str('nodes'), DEFAULT_SCENARIO.nodes, 1),
      pods: integer('pods', str('pods'), DEFAULT_SCENARIO.pods),
      jobs: integer('jobs', str('jobs'), DEFAULT_SCENARIO.jobs),
      namespaces: integer('namespaces', str('namespaces'), DEFAULT_SCENARIO.namespaces, 1),
      seed: integer('seed', str('seed'), DEFAULT_SCENARIO.seed),
      ...(maxPerNs !== undefined
        ? { maxPodsPerNamespace: integer('max-pods-per-namespace', maxPerNs, 0, 1) }
        : {}),
    },
    churn: integer('churn', str('churn'), 2),
    ...(str('clusters') !== undefined ? { clusters: integer('clusters', str('clusters'), 1, 1) } : {}),
    port: integer('port', str('port'), 6443),
    host: str('host') ?? '127.0.0.1',
    token: str('token'),
    tokenAuthFile: str('token-auth-file'),
    anonymousAuth: anonymous === undefined ? undefined : anonymous === 'true',
    kubeconfigOut: str('kubeconfig-out'),
    history: str('history') === undefined ? undefined : integer('history', str('history'), 0, 1),
    bookmarkIntervalMs:
      str('bookmark-interval-ms') === undefined
        ? undefined
        : integer('bookmark-interval-ms', str('bookmark-interval-ms'), 0, 100),
    nodeLeaseRenewMs:
      str('node-lease-renew-ms') === undefined
        ? undefined
        : integer('node-lease-renew-ms', str('node-lease-renew-ms'), 0),
    metrics: values['no-metrics-api'] === true ? false : undefined,
    metricsResolutionSeconds: resolutionSeconds(str('metrics-resolution')),
    eventTtlSeconds:
      str('event-ttl') === undefined ? undefined : parseGoDuration('event-ttl', str('event-ttl')!),
    verbose: values.verbose === true,
  };
}

async function main(): Promise<void> {
  let options: SimulatorCliOptions | 'help';
  try {
    options = parseSimulatorArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`simulator: ${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const started = Date.now();
  const count = options.clusters ?? 1;
  const sims: Simulator[] = [];
  const stopAll = () => Promise.all(sims.map((sim) => sim.close()));
  try {
    for (let i = 0; i < count; i++) {
      sims.push(
        await startSimulator({
          host: options.host,
          port: options.port === 0 ? 0 : options.port + i,
          scenario: { ...options.scenario, seed: options.scenario.seed + i },
          churnPerSecond: options.churn,
          adminToken: options.token,
          tokenAuthFile: options.tokenAuthFile,
          anonymousAuth: options.anonymousAuth,
          historyLimit: options.history,
          bookmarkIntervalMs: options.bookmarkIntervalMs,
          nodeLeaseRenewMs: options.nodeLeaseRenewMs,
          metrics: options.metrics,
          metricsResolutionSeconds: options.metricsResolutionSeconds,
          eventTtlSeconds: options.eventTtlSeconds,
          log: options.verbose ? (line) => process.stderr.write(`${line}\n`) : undefined,
        }),
      );
    }
  } catch (err) {
    await stopAll();
    // A token file that does not read is the operator's mistake: say so, as kube-apiserver does.
    if (err instanceof TokenFileError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`simulator: --token-auth-file: ${(err as Error).message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (options.kubeconfigOut) {
    const text =
      count === 1
        ? sims[0].kubeconfig()
        : mergeKubeconfigs(sims.map((sim, i) => sim.kubeconfig({ context: simulatorContext(i, count) })));
    writeFileSync(options.kubeconfigOut, text, { mode: 0o600 });
  }
  const built = Date.now() - started;
  for (const [i, sim] of sims.entries()) {
    const s = sim.summary;
    process.stdout.write(
      `kubegate simulator listening on ${sim.url} (built in ${built} ms: ${JSON.stringify(s.counts ?? s)})` +
        (count > 1 ? ` as context ${simulatorContext(i, count)}\n` : '\n'),
    );
  }
  process.stdout.write(
    options.kubeconfigOut
      ? `kubeconfig written to ${options.kubeconfigOut}: kubectl --kubeconfig ${options.kubeconfigOut} get pods -A\n`
      : 'no --kubeconfig-out given: the admin token is random, pass --token or --kubeconfig-out to use it\n',
  );
  const stop = () => {
    stopAll().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** The kubeconfig context of cluster `i` of `count`: `kubegate-simulator` alone, `kubegate-simulator-i` among several. */
export function simulatorContext(i: number, count: number): string {
  return count === 1 ? 'kubegate-simulator' : `kubegate-simulator-${i}`;
}

/** One kubeconfig holding every cluster, user and context of `texts`; the first one's context is current. */
export function mergeKubeconfigs(texts: string[]): string {
  const docs = texts.map((t) => parse(t) as Record<string, unknown[]> & { 'current-context': string });
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: docs.flatMap((d) => d.clusters),
    users: docs.flatMap((d) => d.users),
    contexts: docs.flatMap((d) => d.contexts),
    'current-context': docs[0]['current-context'],
    preferences: {},
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
