/**
 * Where clusters come from: the contexts of kubeconfig files (or text), the in-cluster
 * service account. Each becomes a ClusterSpec with a stable name (the context name)
 * and a fingerprint of the material it was built from, so a reload can tell which
 * clusters changed. Credentials stay inside the KubeConfig: nothing here logs them.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { PoolOptions } from './client.js';
import { PooledKubeConfig } from './client.js';
import type { AuthorizationMode, ClusterSpec } from './cluster.js';
import { SourceError } from './source-error.js';

export interface ClusterDefaults {
  cache: boolean;
  pool?: PoolOptions;
  /** Whether identities (not only static principals) can sign in: RBAC is then mirrored where it decides. */
  identities?: boolean;
}

/** What a source says about its clusters besides where they are. */
interface SourceOptions {
  cache?: boolean;
  pool?: PoolOptions;
  authorization?: AuthorizationMode;
  /** The metrics API's window (metrics-server's resolution), seconds. */
  metrics?: { windowSeconds?: number };
}

/** The cache, pool and authorisation of a source's cluster, from the source or the defaults. */
function options(source: SourceOptions, defaults: ClusterDefaults) {
  const authorization = source.authorization ?? 'rbac';
  return {
    cache: source.cache ?? defaults.cache,
    pool: source.pool ?? defaults.pool,
    authorization,
    mirrorRbac: authorization === 'rbac' && defaults.identities === true,
    ...(source.metrics ? { metrics: source.metrics } : {}),
  };
}

/** One place clusters are read from. */
export type ClusterSource =
  | ({
      type: 'kubeconfig';
      path: string;
      contexts?: string[];
      names?: Record<string, string>;
    } & SourceOptions)
  | ({
      type: 'kubeconfig-text';
      text: string;
      contexts?: string[];
      label?: string;
    } & SourceOptions)
  | ({
      type: 'in-cluster';
      name?: string;
      /** Filesystem prefix of /var/run/secrets/kubernetes.io/serviceaccount (tests, unusual mounts). */
      root?: string;
    } & SourceOptions);

export { SourceError };

function fingerprint(config: PooledKubeConfig, context: string, how: object): string {
  const ctx = config.getContextObject(context);
  const cluster = ctx ? config.getCluster(ctx.cluster) : null;
  const user = ctx ? config.getUser(ctx.user) : null;
  // A hash, never the material itself: it contains tokens and keys.
  return createHash('sha256').update(JSON.stringify({ ctx, cluster, user, how })).digest('hex');
}

function specsFromConfig(
  load: (config: PooledKubeConfig) => void,
  origin: string,
  source: { contexts?: string[]; names?: Record<string, string> } & SourceOptions,
  defaults: ClusterDefaults,
): ClusterSpec[] {
  const probe = new PooledKubeConfig();
  load(probe);
  const available = probe.getContexts().map((c) => c.name);
  const wanted = source.contexts?.length ? source.contexts : available;
  for (const name of wanted) {
    if (!available.includes(name)) {
      throw new SourceError(
        `context "${name}" not found in ${origin}: expected one of ${available.map((n) => `"${n}"`).join(', ') || '(no contexts)'}`,
      );
    }
  }
  return wanted.map((context) => {
    const pool = source.pool ?? defaults.pool;
    const config = new PooledKubeConfig(pool);
    load(config);
    config.setCurrentContext(context);
    if (!config.getCurrentCluster()) {
      throw new SourceError(
        `context "${context}" in ${origin} names a cluster that the kubeconfig does not define`,
      );
    }
    const o = options(source, defaults);
    return {
      ...o,
      name: source.names?.[context] ?? context,
      kubeconfig: config,
      fingerprint: fingerprint(config, context, o),
    };
  });
}

/** Builds the specs of every cluster a source names. Throws SourceError with a clear message. */
export function loadSource(source: ClusterSource, defaults: ClusterDefaults): ClusterSpec[] {
  switch (source.type) {
    case 'kubeconfig': {
      let text: string;
      try {
        text = readFileSync(source.path, 'utf8');
      } catch (err) {
        throw new SourceError(
          `cannot read kubeconfig ${source.path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
      return specsFromConfig((c) => loadText(c, text, source.path), source.path, source, defaults);
    }
    case 'kubeconfig-text':
      return specsFromConfig(
        (c) => loadText(c, source.text, source.label ?? 'kubeconfig'),
        source.label ?? 'kubeconfig',
        source,
        defaults,
      );
    case 'in-cluster': {
      const config = new PooledKubeConfig(source.pool ?? defaults.pool);
      try {
        config.loadFromCluster(source.root ?? '');
      } catch (err) {
        throw new SourceError(`--in-cluster: cannot load the service account: ${(err as Error).message}`);
      }
      const tokenFile = `${source.root ?? ''}/var/run/secrets/kubernetes.io/serviceaccount/token`;
      if (!process.env.KUBERNETES_SERVICE_HOST || !existsSync(tokenFile)) {
        throw new SourceError(
          `--in-cluster: expected KUBERNETES_SERVICE_HOST and a service account token at ${tokenFile} (running inside a pod), found ${process.env.KUBERNETES_SERVICE_HOST ? 'no token' : 'no KUBERNETES_SERVICE_HOST'}`,
        );
      }
      const name = source.name ?? 'in-cluster';
      return [
        {
          ...options(source, defaults),
          name,
          kubeconfig: config,
          fingerprint: fingerprint(config, config.getCurrentContext(), options(source, defaults)),
        },
      ];
    }
  }
}

function loadText(config: PooledKubeConfig, text: string, origin: string): void {
  try {
    config.loadFromString(text);
  } catch (err) {
    throw new SourceError(`${origin} is not a valid kubeconfig: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Loads every source; names must be unique across them. */
export function loadSources(sources: ClusterSource[], defaults: ClusterDefaults): ClusterSpec[] {
  const specs = sources.flatMap((s) => loadSource(s, defaults));
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.name)) {
      throw new SourceError(
        `two clusters are named "${spec.name}": context names must be unique across sources`,
      );
    }
    seen.add(spec.name);
  }
  return specs;
}
