/**
 * The floor a first sync is measured against (issue #16): a bare client fetching every page
 * of a LIST and `JSON.parse`-ing it, nothing else. Same server, same TLS and credentials
 * (the kubeconfig's, through a PooledKubeConfig's dispatcher), same page size as the
 * reflector's, pages fetched one after the other with `continue`. What a sync costs above
 * it is ours: trimming, indexing, the mirror; below it nothing can go without a faster
 * server or a cheaper parse.
 */
import { HttpMethod, RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import { request } from 'undici';
import type { PooledKubeConfig } from '../../src/kube/pooled-config.js';

export interface FloorResult {
  ms: number;
  pages: number;
  items: number;
  bytes: number;
  /** Of it, the time spent in JSON.parse. */
  parseMs: number;
}

/** Fetches and parses every page of `path` (e.g. `/api/v1/pods`) with `limit=pageSize`. */
export async function listFloor(
  config: PooledKubeConfig,
  path: string,
  pageSize = 500,
): Promise<FloorResult> {
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error('listFloor: the kubeconfig has no current cluster');
  const dispatcher = await config.dispatcher();
  const started = performance.now();
  let continueToken: string | undefined;
  let pages = 0;
  let items = 0;
  let bytes = 0;
  let parseMs = 0;
  do {
    const url = new URL(server + path);
    url.searchParams.set('limit', String(pageSize));
    if (continueToken) url.searchParams.set('continue', continueToken);
    const ctx = new RequestContext(url.toString(), HttpMethod.GET);
    await config.applySecurityAuthentication(ctx);
    const response = await request(url, {
      headers: { ...ctx.getHeaders(), Accept: 'application/json' },
      ...(dispatcher ? { dispatcher } : {}),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200)
      throw new Error(`listFloor: HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
    const parseStarted = performance.now();
    const list = JSON.parse(text) as { items?: unknown[]; metadata?: { continue?: string } };
    parseMs += performance.now() - parseStarted;
    pages += 1;
    items += list.items?.length ?? 0;
    bytes += Buffer.byteLength(text);
    continueToken = list.metadata?.continue || undefined;
  } while (continueToken);
  return { ms: Math.round(performance.now() - started), pages, items, bytes, parseMs: Math.round(parseMs) };
}
