/**
 * Systems B and C: kubegate itself (`src/main.ts --kubeconfig ... --port 0`), with its
 * caches or with `--no-cache`, each in its own process, started the way a user starts it.
 */
import { gatewayEntry } from './build.js';
import { type Child, procMemory, startNodeChild } from './children.js';
import type { SyncFigures } from './results.js';

export interface RunningGateway {
  child: Child;
  url: string;
  cluster: string;
  sync: SyncFigures | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startGateway(options: {
  name: string;
  kubeconfig: string;
  /**
   * A kubegate.yaml (`--config`) instead of `--kubeconfig`: it names the kubeconfig itself
   * (and, for the attack measurement, the auth tokens).
   */
  configFile?: string;
  /** The bearer token of the first request (the cluster's name), for a gateway with auth. */
  token?: string;
  cache: boolean;
  cwd: string;
  logDir: string;
  syncTimeoutMs: number;
  /** The gateway's environment (default: the bench's). */
  env?: NodeJS.ProcessEnv;
}): Promise<RunningGateway> {
  const { entry, nodeArgs } = gatewayEntry(options.cwd);
  const spawned = performance.now();
  const child = startNodeChild(
    options.name,
    entry,
    [
      ...(options.configFile ? ['--config', options.configFile] : ['--kubeconfig', options.kubeconfig]),
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      ...(options.cache ? [] : ['--no-cache']),
      // No load balancer to leave: stop at once (and so within stop()'s grace, which lets
      // KUBEGATE_BENCH_CPU_PROF's profile be written).
      '--shutdown-delay-ms',
      '0',
    ],
    options,
    nodeArgs,
  );
  const [, url] = await child.waitFor(/kubegate listening on (http:\/\/\S+\/graphql)/, 120_000);
  const listening = performance.now();
  let sync: SyncFigures | null = null;
  if (options.cache) {
    const [line, ms] = await child.waitFor(
      /ready: caches synced in (\d+) ms|caches not yet synced/,
      options.syncTimeoutMs,
    );
    let firstSyncMs = Number(ms);
    if (!line.startsWith('ready')) {
      // The gateway stopped waiting (its own limit) but keeps syncing: poll /readyz.
      const readyz = url.replace(/\/graphql$/, '/readyz');
      const until = Date.now() + options.syncTimeoutMs;
      while ((await fetch(readyz).catch(() => null))?.status !== 200) {
        if (Date.now() > until)
          throw new Error(`${options.name}: caches not synced within ${options.syncTimeoutMs} ms`);
        await sleep(250);
      }
      firstSyncMs = Math.round(performance.now() - listening);
    }
    sync = {
      firstSyncMs,
      spawnToReadyMs: Math.round(performance.now() - spawned),
      peakRssDuringSyncBytes: procMemory(child.pid)?.peakRssBytes ?? null,
    };
  }
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify({ query: '{ clusters { name } }' }),
  });
  const body = (await res.json()) as { data?: { clusters?: { name: string }[] } };
  const cluster = body.data?.clusters?.[0]?.name;
  if (!cluster)
    throw new Error(`${options.name}: no cluster in { clusters { name } }: ${JSON.stringify(body)}`);
  return { child, url, cluster, sync };
}
