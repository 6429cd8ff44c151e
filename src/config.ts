/**
 * The gateway's configuration: command-line flags, optionally a YAML file
 * (`--config kubegate.yaml`) that can say the same with per-cluster options. The file
 * is validated with zod, and every problem is reported with the key's path, what was
 * expected and what came.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { AuthorizationMode } from './kube/cluster.js';
import { DEFAULT_RETAINED_EVENTS } from './kube/event-log.js';
import { parseShard, type Shard } from './kube/shard.js';
import type { ClusterSource } from './kube/sources.js';
import { DEFAULT_SNAPSHOT_SYNC_TIMEOUT_MS } from './loaders/defaults.js';
import type { LogSettings } from './loaders/logs.js';
import type { WriteSettings } from './loaders/writes.js';
import type { StaticToken, WriteAs } from './server/auth.js';
import { LOG_LEVELS, type LogLevel } from './server/logger.js';
import type { OidcOptions } from './server/oidc.js';
import { tokenDigest } from './server/token-digest.js';
import type { SimulatorOptions } from './simulator/server.js';

const pool = z.strictObject({
  maxSockets: z.number().int().min(1).max(1024).optional(),
  keepAliveMs: z.number().int().min(0).optional(),
  headersTimeoutMs: z.number().int().min(0).optional(),
  bodyTimeoutMs: z.number().int().min(0).optional(),
});

const simulatorCluster = z.strictObject({
  nodes: z.number().int().min(1).optional(),
  pods: z.number().int().min(0).optional(),
  jobs: z.number().int().min(0).optional(),
  namespaces: z.number().int().min(1).optional(),
  seed: z.number().int().optional(),
  churn: z.number().min(0).optional(),
});

/**
 * How identities are authorised in a cluster: `rbac` (mirror its RBAC objects, decide in
 * memory; the default), `subjectAccessReview` (ask the API server, a handful of reviews per
 * page, for clusters whose RBAC the gateway may not list or where webhooks decide), or
 * `static` (identities see nothing there; only tokens with explicit lists).
 */
const authorization = z.enum(['rbac', 'subjectAccessReview', 'static']);

/** The metrics API (usage fields): its window, metrics-server's resolution (cache TTL). */
const metrics = z.strictObject({ windowSeconds: z.number().int().min(1).max(3600).optional() });

const cluster = z.union([
  z.strictObject({
    kubeconfig: z.string().min(1),
    contexts: z.array(z.string().min(1)).optional(),
    cache: z.boolean().optional(),
    authorization: authorization.optional(),
    pool: pool.optional(),
    metrics: metrics.optional(),
  }),
  z.strictObject({
    inCluster: z.literal(true),
    name: z.string().min(1).optional(),
    cache: z.boolean().optional(),
    authorization: authorization.optional(),
    pool: pool.optional(),
    metrics: metrics.optional(),
  }),
  z.strictObject({
    simulator: simulatorCluster,
    name: z.string().min(1).optional(),
    cache: z.boolean().optional(),
    authorization: authorization.optional(),
    pool: pool.optional(),
    metrics: metrics.optional(),
  }),
]);

const origin = z.string().refine((text) => {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === text;
  } catch {
    return false;
  }
}, 'expected an origin such as "https://dashboard.example.com" (scheme, host and port; no path), never "*"');

const names = z.union([z.literal('*'), z.array(z.string().min(1))]);

/** A Kubernetes identity writes are made as (impersonated): a user, with optional groups and uid. */
const writeAs = z.strictObject({
  user: z.string().min(1),
  groups: z.array(z.string().min(1)).optional(),
  uid: z.string().min(1).optional(),
});

/** Writes as the caller: limits per cluster and per principal, the read-your-writes bound. */
const writes = z.strictObject({
  /** Writes per second to one cluster, sustained (client-go's QPS; default 5). */
  qps: z.number().positive().max(10_000).optional(),
  /** Writes to one cluster at once before the rate applies (client-go's burst; default 10). */
  burst: z.number().int().min(1).max(100_000).optional(),
  /** Mutations one principal may make per minute (default 60). */
  perPrincipal: z.strictObject({ perMinute: z.number().int().min(1).max(1_000_000) }).optional(),
  /** How long a mutation waits for the cache to show its write (default 5000; 0: not at all). */
  visibilityTimeoutMs: z.number().int().min(0).max(600_000).optional(),
  /** The open gateway (no auth, loopback only): the identity everyone's writes are made as. */
  openAs: writeAs.optional(),
});

/** Container logs: the bytes of one read, and upstream follow streams per cluster and per principal. */
const containerLogs = z.strictObject({
  /** Bytes of text one read returns at most: the default and the largest `limitBytes` (default 1 MiB). */
  maxBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .optional(),
  /** Upstream follow streams open to one cluster at once (default 200). */
  maxStreamsPerCluster: z.number().int().min(1).max(100_000).optional(),
  /** Upstream follow streams one caller's subscriptions use at once (default 20). */
  maxStreamsPerPrincipal: z.number().int().min(1).max(100_000).optional(),
});

const token = z
  .strictObject({
    name: z.string().min(1),
    token: z.string().min(16).optional(),
    tokenEnv: z.string().min(1).optional(),
    /** The token's SHA-256 digest, so the file need not hold the secret. */
    tokenSha256: z
      .string()
      .regex(
        /^[0-9a-fA-F]{64}$/,
        'expected the SHA-256 digest of the token as 64 hexadecimal characters (printf %s "$TOKEN" | sha256sum)',
      )
      .optional(),
    // Either lists (a static principal) ...
    clusters: names.optional(),
    namespaces: names.optional(),
    // ... or a Kubernetes identity that each cluster's RBAC authorises.
    user: z.string().min(1).optional(),
    groups: z.array(z.string().min(1)).optional(),
    uid: z.string().min(1).optional(),
    // A token with lists may write only as the identity named here (impersonated).
    writeAs: writeAs.optional(),
  })
  .refine((t) => [t.token, t.tokenEnv, t.tokenSha256].filter((v) => v !== undefined).length === 1, {
    message:
      'expected exactly one of "token" (at least 16 characters), "tokenEnv" (an environment variable name) or "tokenSha256" (the token\'s SHA-256 digest in hex)',
  })
  .refine((t) => t.user === undefined || (t.clusters === undefined && t.namespaces === undefined), {
    message:
      'expected either "user" (a Kubernetes identity, with optional "groups" and "uid", that each cluster\'s RBAC authorises) or "clusters"/"namespaces" lists, not both',
  })
  .refine((t) => t.user !== undefined || (t.groups === undefined && t.uid === undefined), {
    message: 'expected "user" with "groups" and "uid": they belong to a Kubernetes identity',
  })
  .refine((t) => t.user === undefined || t.writeAs === undefined, {
    message:
      'expected "writeAs" only on a token with lists: a token with "user" writes as that user (its RBAC decides)',
  });

const httpsUrl = z.string().refine((text) => {
  try {
    return new URL(text).protocol === 'https:';
  } catch {
    return false;
  }
}, 'expected an https:// URL');

/** OpenID Connect ID tokens, mapped to users and groups as kube-apiserver's --oidc-* flags do. */
const oidc = z.strictObject({
  /** Exactly the `iss` of the tokens; discovery is at {issuer}/.well-known/openid-configuration. */
  issuer: httpsUrl,
  /** The `aud` a token must carry (one of them, when a list): the client ID. */
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  usernameClaim: z.string().min(1).optional(),
  /** Unset: claims other than `email` get `{issuer}#`; "-": none. */
  usernamePrefix: z.string().optional(),
  groupsClaim: z.string().min(1).optional(),
  groupsPrefix: z.string().optional(),
  /** The key set's URL, instead of discovery's. */
  jwksUri: httpsUrl.optional(),
  /** PEM file of the CAs the issuer's certificate is checked against (default: the system's). */
  caFile: z.string().min(1).optional(),
});

export const configFileSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).optional(),
      port: z.number().int().min(0).max(65535).optional(),
      /** Host names the gateway answers to (DNS rebinding protection). */
      allowedHosts: z.array(z.string().min(1)).optional(),
      /** Graceful shutdown: how long connections are still accepted after /readyz turns 503. */
      shutdownDelayMs: z.number().int().min(0).max(600_000).optional(),
      /** Graceful shutdown: how long in-flight operations then get before they are cut. */
      shutdownTimeoutMs: z.number().int().min(0).max(600_000).optional(),
    })
    .optional(),
  /** The structured log (src/server/logger.ts): the least severe level written. */
  logging: z.strictObject({ level: z.enum(LOG_LEVELS).optional() }).optional(),
  /** Browser origins allowed to read cross-origin and open WebSockets. */
  cors: z.strictObject({ origins: z.array(origin) }).optional(),
  /** Per-operation limits (src/server/limits.ts); each rejection carries its code and value. */
  limits: z
    .strictObject({
      maxDepth: z.number().int().min(1).optional(),
      maxAliases: z.number().int().min(0).optional(),
      maxTokens: z.number().int().min(1).optional(),
      maxDirectives: z.number().int().min(0).optional(),
      costLimit: z.number().int().min(1).optional(),
      maxResponseBytes: z.number().int().min(1).optional(),
      timeoutMs: z.number().int().min(0).optional(),
    })
    .optional(),
  /** /metrics on a listener of its own. */
  metrics: z
    .strictObject({ host: z.string().min(1).optional(), port: z.number().int().min(0).max(65535) })
    .optional(),
  cache: z.boolean().optional(),
  pool: pool.optional(),
  /**
   * The first sync: how many clusters do their initial LISTs at once (each lists its kinds
   * one at a time, so its API server sees at most one initial LIST from us). Default 3.
   */
  sync: z.strictObject({ concurrentClusters: z.number().int().min(1).max(1000).optional() }).optional(),
  clusters: z.array(cluster).optional(),
  /** This replica's shard "i/n": it serves only the clusters rendezvous hashing gives shard i. */
  shard: z
    .string()
    .refine((text) => !('error' in parseShard(text)), {
      message: 'expected "i/n": this replica\'s shard i of n shards, integers with 0 ≤ i < n (e.g. "0/3")',
    })
    .optional(),
  writes: writes.optional(),
  containerLogs: containerLogs.optional(),
  /**
   * Resumable subscriptions (`sinceResourceVersion`): how long each (cluster, kind) keeps its
   * events (default 300 s) and at most how many (default 10,000; see kube/event-log.ts).
   */
  subscriptions: z
    .strictObject({
      retentionSeconds: z.number().int().min(0).max(86_400).optional(),
      retainedEvents: z.number().int().min(0).max(10_000_000).optional(),
    })
    .optional(),
  // Present but empty would silently mean "open": refused, so an open gateway is a choice.
  auth: z
    .strictObject({
      tokens: z
        .array(token)
        .min(
          1,
          'expected at least one token (remove "auth" to run without authentication, on 127.0.0.1 only)',
        )
        .optional(),
      oidc: oidc.optional(),
      /** Bearer tokens no other method knows are reviewed by this cluster (TokenReview). */
      kubernetes: z.strictObject({ cluster: z.string().min(1) }).optional(),
    })
    .refine((a) => a.tokens !== undefined || a.oidc !== undefined || a.kubernetes !== undefined, {
      message:
        'expected at least one of "tokens", "oidc" or "kubernetes" (remove "auth" to run without authentication, on 127.0.0.1 only)',
    })
    .optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;

export class ConfigError extends Error {}

/** Keys whose values are credentials: never printed, whatever the error. */
const SECRET_PATTERN = /token|secret|password|passwd|credential|private|key$|^key|cert|bearer|auth/i;

/** Keys whose values are credentials; a cluster's `authorization` mode is not one. */
const SECRET_KEY = { test: (key: string) => key !== 'authorization' && SECRET_PATTERN.test(key) };

/** A copy of `value` with every credential-like key's value replaced, so errors can quote it. */
export function redact(value: unknown, key?: string): unknown {
  if (key !== undefined && SECRET_KEY.test(key) && typeof value !== 'object') return '<redacted>';
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}

function describeValue(value: unknown, key?: string): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(redact(value, key));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

type Issue = z.core.$ZodIssue;

/**
 * A union's "Invalid input" says nothing: report the problems of the branch the input came
 * closest to (fewest issues; a cluster with `kubeconfig:` is judged as the kubeconfig form).
 */
function closestBranch(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union' || !('errors' in issue) || issue.errors.length === 0) return [issue];
  const best = [...issue.errors].sort((a, b) => a.length - b.length)[0];
  return best.flatMap((nested) =>
    closestBranch({ ...nested, path: [...issue.path, ...nested.path] } as Issue),
  );
}

/** Validates a parsed config file; throws ConfigError listing every problem with its key path. */
export function validateConfigFile(input: unknown, origin: string): ConfigFile {
  const result = configFileSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.flatMap(closestBranch).map((issue) => {
    const path = issue.path.length ? issue.path.join('.') : '(top level)';
    let received: unknown = input;
    let secretPath = false;
    for (const [i, key] of issue.path.entries()) {
      received = (received as Record<PropertyKey, unknown> | undefined)?.[key as string];
      // The auth section's own name is no credential: what is under it is judged by its keys
      // (auth.tokens.* stays redacted, auth.oidc.issuer is shown).
      if (typeof key === 'string' && SECRET_KEY.test(key) && !(i === 0 && key === 'auth')) secretPath = true;
    }
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    // Anything under a credential's key (auth.tokens.0, a kubeconfig's client-key) is redacted.
    const shown = secretPath ? describeValue(received, 'token') : describeValue(received);
    return `  ${path}: ${issue.message}${keys}; received ${shown}`;
  });
  throw new ConfigError(`invalid configuration in ${origin}:\n${lines.join('\n')}`);
}

export function loadConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read --config ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`--config ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return validateConfigFile(parsed, path);
}

export interface CliOptions {
  kubeconfig?: string;
  contexts: string[];
  inCluster: boolean;
  config?: string;
  noCache: boolean;
  port: number;
  host: string;
  maxSockets?: number;
  /** Origins allowed to read cross-origin and open WebSockets (repeatable). */
  corsOrigins: string[];
  /** Host names the gateway answers to (repeatable). */
  allowedHosts: string[];
  /** Serve without authentication on a non-loopback address anyway. */
  insecureNoAuth: boolean;
  /** Serve /metrics on its own listener (host defaults to 127.0.0.1). */
  metricsPort?: number;
  metricsHost?: string;
  /** Graceful shutdown's drain delay and timeout (milliseconds). */
  shutdownDelayMs?: number;
  shutdownTimeoutMs?: number;
  /** The least severe log level written (--log-level). */
  logLevel?: LogLevel;
  /** How long events stay resumable (seconds). */
  retentionSeconds?: number;
  /** Use the embedded simulator even when clusters are configured. */
  simulator: boolean;
  /** This replica's shard, "i/n" as given (validated by plan). */
  shard?: string;
  help: boolean;
}

export const USAGE = `usage: npm start -- [options]

With no cluster configured, kubegate starts its embedded Kubernetes API simulator.

  --kubeconfig FILE   serve every context of FILE (default: $KUBECONFIG, else none)
  --context NAME      only this context (repeatable)
  --in-cluster        serve the cluster kubegate runs in (service account)
  --config FILE       a kubegate.yaml with clusters, per-cluster options and auth
  --no-cache          no informers: every read goes to the API server
  --max-sockets N     connections per cluster's pool (default 16)
  --simulator         also start the embedded simulator as cluster "simulator"
  --port N            default 4000
  --host ADDR         default 127.0.0.1
  --cors-origin URL   a browser origin allowed to read cross-origin (repeatable; default none)
  --allowed-host NAME a Host the gateway answers to (repeatable; default: loopback names
                      without auth, any with auth)
  --insecure-no-auth  serve without authentication on a non-loopback --host anyway
  --metrics-port N    serve /metrics on a listener of its own (then not on --port)
  --metrics-host ADDR that listener's address (default 127.0.0.1)
  --shutdown-delay-ms N  on SIGTERM/SIGINT, keep accepting connections this long after
                      /readyz turns 503 (default 5000: endpoints need time to update)
  --shutdown-timeout-ms N  then let in-flight operations finish this long (default 10000)
  --log-level LEVEL   trace, debug, info, warn, error, fatal or silent (default info):
                      JSON lines on stdout, readable ones when stdout is a terminal
  --retention-seconds N  how long subscriptions can resume with sinceResourceVersion
                      (default 300; at most subscriptions.retainedEvents per cluster and kind)
  --shard i/n         serve only shard i of n: the clusters rendezvous hashing of their
                      names gives it; the others answer WRONG_SHARD naming their shard
  --help              this text`;

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string', multiple: true },
        'in-cluster': { type: 'boolean' },
        config: { type: 'string' },
        'no-cache': { type: 'boolean' },
        'max-sockets': { type: 'string' },
        simulator: { type: 'boolean' },
        port: { type: 'string' },
        host: { type: 'string' },
        'metrics-port': { type: 'string' },
        'cors-origin': { type: 'string', multiple: true },
        'allowed-host': { type: 'string', multiple: true },
        'insecure-no-auth': { type: 'boolean' },
        'metrics-host': { type: 'string' },
        'shutdown-delay-ms': { type: 'string' },
        'shutdown-timeout-ms': { type: 'string' },
        'log-level': { type: 'string' },
        'retention-seconds': { type: 'string' },
        shard: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const int = (name: string, min: number, max: number): number | undefined => {
    const raw = values[name] as string | undefined;
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`--${name}: expected an integer from ${min} to ${max}, received "${raw}"`);
    }
    return n;
  };
  const logLevel = values['log-level'] as string | undefined;
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(
      `--log-level: expected one of ${LOG_LEVELS.join(', ')}, received ${JSON.stringify(logLevel)}`,
    );
  }
  return {
    kubeconfig: (values.kubeconfig as string | undefined) ?? (env.KUBECONFIG || undefined),
    contexts: (values.context as string[] | undefined) ?? [],
    inCluster: values['in-cluster'] === true,
    config: values.config as string | undefined,
    noCache: values['no-cache'] === true,
    port: int('port', 0, 65535) ?? 4000,
    host: (values.host as string | undefined) ?? '127.0.0.1',
    maxSockets: int('max-sockets', 1, 1024),
    metricsPort: int('metrics-port', 0, 65535),
    corsOrigins: (values['cors-origin'] as string[] | undefined) ?? [],
    allowedHosts: (values['allowed-host'] as string[] | undefined) ?? [],
    insecureNoAuth: values['insecure-no-auth'] === true,
    metricsHost: values['metrics-host'] as string | undefined,
    shutdownDelayMs: int('shutdown-delay-ms', 0, 600_000),
    shutdownTimeoutMs: int('shutdown-timeout-ms', 0, 600_000),
    ...(logLevel !== undefined ? { logLevel: logLevel as LogLevel } : {}),
    retentionSeconds: int('retention-seconds', 0, 86_400),
    simulator: values.simulator === true,
    shard: values.shard as string | undefined,
    help: values.help === true,
  };
}

/** Settings read from the environment, validated here (not at module load where they are used). */
export interface EnvSettings {
  /** KUBEGATE_SUBSCRIBER_QUEUE: events that may wait for one subscriber before it is cut off (SLOW_CONSUMER). */
  subscriberQueue: number;
  /** KUBEGATE_SUBSCRIPTIONS_PER_PRINCIPAL: live subscriptions one caller may hold (TOO_MANY_SUBSCRIPTIONS). */
  subscriptionsPerPrincipal: number;
  /** KUBEGATE_SUBSCRIPTIONS_PER_CONNECTION: live subscriptions on one WebSocket. */
  subscriptionsPerConnection: number;
  /**
   * KUBEGATE_SNAPSHOT_SYNC_TIMEOUT_MS: how long a subscription's initial snapshot waits for
   * its clusters' caches to sync before it is refused.
   */
  snapshotSyncTimeoutMs: number;
}

/**
 * Reads and validates the environment's settings. A value that is not a positive integer
 * is refused: NaN would compare false and leave a bound unbounded.
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): EnvSettings {
  const positive = (name: string, fallback: number): number => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) {
      throw new ConfigError(`${name}: expected a positive integer, received ${JSON.stringify(text)}`);
    }
    return n;
  };
  return {
    subscriberQueue: positive('KUBEGATE_SUBSCRIBER_QUEUE', 1000),
    subscriptionsPerPrincipal: positive('KUBEGATE_SUBSCRIPTIONS_PER_PRINCIPAL', 5000),
    subscriptionsPerConnection: positive('KUBEGATE_SUBSCRIPTIONS_PER_CONNECTION', 200),
    snapshotSyncTimeoutMs: positive('KUBEGATE_SNAPSHOT_SYNC_TIMEOUT_MS', DEFAULT_SNAPSHOT_SYNC_TIMEOUT_MS),
  };
}

export interface Plan {
  settings: EnvSettings;
  limits: NonNullable<ConfigFile['limits']>;
  browsers: { origins: string[]; hosts: string[] };
  /** No authentication configured: anyone who reaches the listener reads everything. */
  open: boolean;
  /** /metrics on its own listener, when configured. */
  metricsListener?: { host: string; port: number };
  sources: ClusterSource[];
  simulators: { name: string; options: SimulatorOptions; authorization?: AuthorizationMode }[];
  /** Static tokens (tried first). */
  tokens: StaticToken[];
  /** OIDC ID tokens (tried second), with the issuer's CA read from caFile. */
  oidc?: OidcOptions;
  /** The cluster whose TokenReview API checks the tokens the others do not know (tried last). */
  kubernetes?: { cluster: string };
  /** Write limits and the read-your-writes bound. */
  writes: WriteSettings;
  /** Container logs' limits (the `containerLogs:` section). */
  containerLogs: LogSettings;
  /** The open gateway's writes are made as this identity (loopback only); absent: it may not write. */
  openWriteAs?: WriteAs;
  cache: boolean;
  /** Identities can sign in (static `user:` tokens, OIDC, TokenReview): clusters mirror their RBAC. */
  identities: boolean;
  pool: { maxSockets?: number; keepAliveMs?: number };
  port: number;
  host: string;
  /** Graceful shutdown (gateway.ts `shutdown`): the drain delay and the in-flight timeout. */
  shutdown: { delayMs: number; timeoutMs: number };
  /** The least severe log level written: --log-level, else logging.level, else info. */
  logLevel: LogLevel;
  /** Every informer's retention log (resumable subscriptions). */
  eventLog: { retentionMs: number; maxEvents: number };
  /** This replica's shard (--shard, else the file's `shard`); absent: it serves every cluster. */
  shard?: Shard;
  /** Clusters doing their initial LISTs at once (`sync.concurrentClusters`; registry.ts). */
  concurrentSyncs?: number;
}

/** Turns flags and the config file into what to start. Throws ConfigError/SourceError. */
export function plan(cli: CliOptions, file: ConfigFile = {}, env: NodeJS.ProcessEnv = process.env): Plan {
  const sources: ClusterSource[] = [];
  const simulators: Plan['simulators'] = [];
  if (cli.kubeconfig) {
    // KUBECONFIG may list several files, as kubectl accepts.
    for (const path of cli.kubeconfig.split(':').filter(Boolean)) {
      sources.push({ type: 'kubeconfig', path, contexts: cli.contexts.length ? cli.contexts : undefined });
    }
  } else if (cli.contexts.length) {
    throw new ConfigError('--context needs a kubeconfig: pass --kubeconfig FILE or set KUBECONFIG');
  }
  if (cli.inCluster) sources.push({ type: 'in-cluster' });
  for (const [i, c] of (file.clusters ?? []).entries()) {
    if ('kubeconfig' in c)
      sources.push({
        type: 'kubeconfig',
        path: c.kubeconfig,
        contexts: c.contexts,
        cache: c.cache,
        authorization: c.authorization,
        pool: c.pool,
        metrics: c.metrics,
      });
    else if ('inCluster' in c)
      sources.push({
        type: 'in-cluster',
        name: c.name,
        cache: c.cache,
        pool: c.pool,
        authorization: c.authorization,
        metrics: c.metrics,
      });
    else {
      const name = c.name ?? (i === 0 ? 'simulator' : `simulator-${i}`);
      const { churn, ...scenario } = c.simulator;
      simulators.push({
        name,
        options: { scenario, churnPerSecond: churn },
        authorization: c.authorization,
      });
    }
  }
  if (cli.simulator || (sources.length === 0 && simulators.length === 0)) {
    simulators.push({ name: 'simulator', options: { churnPerSecond: 2 } });
  }
  const tokens: StaticToken[] = (file.auth?.tokens ?? []).map((t) => {
    const secret = t.tokenSha256
      ? { tokenSha256: t.tokenSha256.toLowerCase() }
      : { token: t.token ?? env[t.tokenEnv!] };
    if (!secret.tokenSha256 && !secret.token)
      throw new ConfigError(`auth.tokens "${t.name}": environment variable ${t.tokenEnv} is not set`);
    if (t.user !== undefined) {
      return {
        name: t.name,
        ...secret,
        user: t.user,
        ...(t.groups ? { groups: t.groups } : {}),
        ...(t.uid ? { uid: t.uid } : {}),
      };
    }
    return {
      name: t.name,
      ...secret,
      clusters: t.clusters ?? '*',
      namespaces: t.namespaces ?? '*',
      ...(t.writeAs ? { writeAs: t.writeAs } : {}),
    };
  });
  const seen = new Map<string, string>();
  for (const t of tokens) {
    const digest = t.tokenSha256 ?? tokenDigest(t.token!);
    const other = seen.get(digest);
    if (other !== undefined) {
      throw new ConfigError(
        `auth.tokens "${t.name}" and "${other}": expected different tokens, received the same one`,
      );
    }
    seen.set(digest, t.name);
  }
  const oidcFile = file.auth?.oidc;
  let oidc: OidcOptions | undefined;
  if (oidcFile) {
    const { caFile, ...rest } = oidcFile;
    let ca: string | undefined;
    if (caFile !== undefined) {
      try {
        ca = readFileSync(caFile, 'utf8');
      } catch (err) {
        throw new ConfigError(
          `auth.oidc.caFile: cannot read ${caFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
        throw new ConfigError(`auth.oidc.caFile: expected PEM certificates in ${caFile}, found none`);
      }
    }
    oidc = { ...rest, ...(ca ? { ca } : {}) };
  }
  const kubernetes = file.auth?.kubernetes;
  const metricsPort = cli.metricsPort ?? file.metrics?.port;
  const host = cli.host !== '127.0.0.1' ? cli.host : (file.server?.host ?? '127.0.0.1');
  const open = tokens.length === 0 && !oidc && !kubernetes;
  if (open && !isLoopbackAddress(host) && !cli.insecureNoAuth) {
    throw new ConfigError(
      `refusing to serve without authentication on ${host}: anyone who reaches it could read every cluster. ` +
        'Configure auth.tokens, auth.oidc or auth.kubernetes in --config, bind --host 127.0.0.1, or pass --insecure-no-auth',
    );
  }
  const { openAs, ...writeSettings } = file.writes ?? {};
  if (openAs && !open) {
    throw new ConfigError(
      'writes.openAs: expected only on a gateway without auth; with auth, identities write as themselves and a token with lists writes as its "writeAs"',
    );
  }
  if (openAs && !isLoopbackAddress(host)) {
    throw new ConfigError(
      `writes.openAs: refusing to let everyone who reaches ${host} write as ${JSON.stringify(openAs.user)}: an open gateway writes only on a loopback address (--host 127.0.0.1), --insecure-no-auth or not`,
    );
  }
  let shard: Shard | undefined;
  const shardText = cli.shard ?? file.shard;
  if (shardText !== undefined) {
    const parsed = parseShard(shardText);
    if ('error' in parsed)
      throw new ConfigError(`${cli.shard !== undefined ? '--shard' : 'shard'}: ${parsed.error}`);
    shard = parsed;
  }
  const origins = [...cli.corsOrigins, ...(file.cors?.origins ?? [])];
  for (const o of cli.corsOrigins) {
    if (!origin.safeParse(o).success) {
      throw new ConfigError(
        `--cors-origin: expected an origin such as "https://dashboard.example.com", received ${JSON.stringify(o)}`,
      );
    }
  }
  return {
    limits: file.limits ?? {},
    browsers: { origins, hosts: [...cli.allowedHosts, ...(file.server?.allowedHosts ?? [])] },
    open,
    settings: settingsFromEnv(env),
    metricsListener:
      metricsPort === undefined
        ? undefined
        : { port: metricsPort, host: cli.metricsHost ?? file.metrics?.host ?? '127.0.0.1' },
    sources,
    simulators,
    tokens,
    ...(oidc ? { oidc } : {}),
    ...(kubernetes ? { kubernetes } : {}),
    writes: writeSettings,
    containerLogs: file.containerLogs ?? {},
    ...(openAs ? { openWriteAs: openAs } : {}),
    cache: !cli.noCache && (file.cache ?? true),
    identities:
      tokens.some((t) => t.user !== undefined) ||
      file.auth?.oidc !== undefined ||
      file.auth?.kubernetes !== undefined,
    pool: { ...file.pool, ...(cli.maxSockets ? { maxSockets: cli.maxSockets } : {}) },
    port: cli.port !== 4000 ? cli.port : (file.server?.port ?? 4000),
    shutdown: {
      delayMs: cli.shutdownDelayMs ?? file.server?.shutdownDelayMs ?? 5_000,
      timeoutMs: cli.shutdownTimeoutMs ?? file.server?.shutdownTimeoutMs ?? 10_000,
    },
    logLevel: cli.logLevel ?? file.logging?.level ?? 'info',
    eventLog: {
      retentionMs: (cli.retentionSeconds ?? file.subscriptions?.retentionSeconds ?? 300) * 1000,
      maxEvents: file.subscriptions?.retainedEvents ?? DEFAULT_RETAINED_EVENTS,
    },
    host,
    ...(shard ? { shard } : {}),
    ...(file.sync?.concurrentClusters !== undefined ? { concurrentSyncs: file.sync.concurrentClusters } : {}),
  };
}

/** Whether a listen address only takes connections from this machine. */
export function isLoopbackAddress(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
