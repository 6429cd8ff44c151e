/**
 * Load for the HTTP systems (A, B, C): autocannon at a fixed concurrency after a warm-up,
 * repeated; each figure is the median over the runs. Latencies are taken from autocannon's
 * per-response event (sub-millisecond resolution; its own histogram keeps whole
 * milliseconds, too coarse for answers from memory). Every answer is checked once before
 * and once after the load (a GraphQL error would make fast numbers meaningless).
 *
 * An operation whose single first request takes longer than `slowThresholdMs` (a
 * no-cache list of 100,000 pods, say) is measured with sequential requests within a time
 * budget instead: concurrency would only queue them, and could run the gateway out of
 * memory. So is one whose answers, under load, come too slowly for a run to collect a
 * fair sample (judged on the warm-up). The cell says so (mode "sequential", its sample
 * count and why).
 */
import autocannon from 'autocannon';
import { median, percentile, round } from './stats.js';
import { delta, type Upstream, type UpstreamCounters } from './upstream.js';

export interface LoadSettings {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  runs: number;
  slowThresholdMs: number;
  /** Time budget for a sequential (slow) cell, after its warm-up request. */
  slowBudgetMs: number;
  /** A single request slower than this is a failure. */
  requestTimeoutMs: number;
}

export interface RunFigures {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  rps: number;
  errors: number;
}

export interface UpstreamPerOp {
  operations: number;
  /** Non-watch API requests (LIST, GET) per operation. */
  requestsPerOp: number;
  /** Response bytes of those requests per operation. */
  bytesPerOp: number;
  /** Watch requests opened and bytes streamed during the measurement (not per operation). */
  watchRequests: number;
  watchBytes: number;
}

export interface CellResult {
  ok: boolean;
  mode: 'autocannon' | 'sequential' | 'process';
  concurrency: number;
  /** Medians over the runs (sequential/process cells: over all samples). */
  p50Ms: number;
  p99Ms: number;
  rps: number;
  requests: number;
  errors: number;
  runs: RunFigures[];
  upstream?: UpstreamPerOp;
  /** Bytes of one answer (the warm-up's). */
  responseBytes?: number;
  note?: string;
  error?: string;
}

export interface GraphqlTarget {
  url: string;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /** More request headers (an Authorization header, for a gateway with auth). */
  headers?: Record<string, string>;
}

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/graphql-response+json, application/json',
};

/** One request; resolves with its time and size, or rejects with the GraphQL or HTTP error. */
export async function timedRequest(target: GraphqlTarget, body: string, timeoutMs: number) {
  const started = performance.now();
  const res = await fetch(target.url, {
    method: 'POST',
    headers: { ...HEADERS, ...target.headers },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let json: { data?: Record<string, unknown> | null; errors?: { message: string }[] };
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}: not JSON: ${text.slice(0, 200)}`);
  }
  if (json.errors?.length) throw new Error(`GraphQL error: ${json.errors[0].message}`);
  if (!res.ok || !json.data) throw new Error(`HTTP ${res.status} without data: ${text.slice(0, 200)}`);
  // The operation's root field and the fields right under it must be there: a `summary`
  // or `pod` that came back null is not an answer, however fast.
  const first = Object.values(json.data)[0];
  const missing =
    first === null ||
    (typeof first === 'object' && Object.values(first as Record<string, unknown>).some((v) => v === null));
  if (missing) throw new Error(`incomplete answer: ${text.slice(0, 200)}`);
  return { ms, bytes: Buffer.byteLength(text) };
}

function runAutocannon(
  target: GraphqlTarget,
  body: string,
  connections: number,
  durationSeconds: number,
  timeoutMs: number,
): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon(
      {
        url: target.url,
        method: 'POST',
        headers: { ...HEADERS, ...target.headers },
        body,
        connections,
        duration: durationSeconds,
        timeout: Math.ceil(timeoutMs / 1000),
      },
      (err, result) => {
        if (err) {
          reject(err);
          return;
        }
        const seconds = result.duration || durationSeconds;
        resolve({
          requests: latencies.length,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          rps: latencies.length / seconds,
          errors: result.errors + result.non2xx,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

function perOp(d: UpstreamCounters, operations: number): UpstreamPerOp {
  return {
    operations,
    requestsPerOp: operations ? round(d.requests / operations, 4) : Number.NaN,
    bytesPerOp: operations ? Math.round(d.bytes / operations) : Number.NaN,
    watchRequests: d.watchRequests,
    watchBytes: d.watchBytes,
  };
}

export function failedCell(
  error: string,
  mode: CellResult['mode'] = 'autocannon',
  concurrency = 0,
): CellResult {
  return {
    ok: false,
    mode,
    concurrency,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    rps: Number.NaN,
    requests: 0,
    errors: 1,
    runs: [],
    error,
  };
}

/** Measures one (system, operation). Never throws: a failure becomes a cell with `ok: false`. */
export async function measureGraphql(
  target: GraphqlTarget,
  settings: LoadSettings,
  upstream?: Upstream,
): Promise<CellResult> {
  const body = JSON.stringify({
    query: target.query,
    variables: target.variables ?? {},
    ...(target.operationName ? { operationName: target.operationName } : {}),
  });
  let probe: { ms: number; bytes: number };
  try {
    probe = await timedRequest(target, body, settings.requestTimeoutMs);
  } catch (err) {
    return failedCell((err as Error).message);
  }
  try {
    if (probe.ms > settings.slowThresholdMs)
      return await sequential(
        target,
        body,
        settings,
        probe,
        `one request took ${Math.round(probe.ms)} ms (> ${settings.slowThresholdMs} ms)`,
        upstream,
      );
    const warm = await runAutocannon(
      target,
      body,
      settings.connections,
      settings.warmupSeconds,
      settings.requestTimeoutMs,
    );
    // Under load the answers may queue far beyond the probe's time (CPU-bound work in
    // parallel): when a run would see only a handful of answers per connection, its
    // figures say little, and sequential requests say more.
    const limitMs = (settings.durationSeconds * 1000) / 5;
    if (!(warm.requests >= settings.connections && warm.p50Ms <= limitMs)) {
      // The warm-up's last requests may still be running in the server: let them finish,
      // so that neither their time nor their upstream calls are charged to what follows.
      await quiesce(upstream);
      return await sequential(
        target,
        body,
        settings,
        probe,
        `under ${settings.connections} connections ${warm.requests} answers came in the ${settings.warmupSeconds} s warm-up${warm.requests ? ` (p50 ${Math.round(warm.p50Ms)} ms)` : ''}`,
        upstream,
      );
    }
    const runs: RunFigures[] = [];
    const before = await upstream?.counters();
    for (let i = 0; i < settings.runs; i++) {
      runs.push(
        await runAutocannon(
          target,
          body,
          settings.connections,
          settings.durationSeconds,
          settings.requestTimeoutMs,
        ),
      );
    }
    const after = await upstream?.counters();
    const requests = runs.reduce((n, r) => n + r.requests, 0);
    const errors = runs.reduce((n, r) => n + r.errors, 0);
    // Checked again after the load: the answers under load must still be answers.
    await timedRequest(target, body, settings.requestTimeoutMs);
    return {
      ok: requests > 0,
      mode: 'autocannon',
      concurrency: settings.connections,
      p50Ms: round(median(runs.map((r) => r.p50Ms))),
      p99Ms: round(median(runs.map((r) => r.p99Ms))),
      rps: round(median(runs.map((r) => r.rps)), 1),
      requests,
      errors,
      runs: runs.map((r) => ({ ...r, p50Ms: round(r.p50Ms), p99Ms: round(r.p99Ms), rps: round(r.rps, 1) })),
      upstream: before && after ? perOp(delta(after, before), requests) : undefined,
      responseBytes: probe.bytes,
      ...(requests === 0 ? { error: 'no successful response during the runs' } : {}),
    };
  } catch (err) {
    return failedCell((err as Error).message);
  }
}

/**
 * Several targets (systems answering the same operation) measured run by run in turn: each
 * of `settings.runs` runs goes to every target, in an order rotated per run so that each
 * comes first once, and each target's figures are the medians over its own runs. Figures
 * taken side by side this way see the same machine: cells of three consecutive runs each
 * moved 30 % between neighbours on a shared 2-core machine (R's ratios over B, session 21).
 * The first run of each target has the full warm-up, the later ones a second's (another
 * target ran in between). A target answered by sequential requests (too slow for load) or
 * failing is measured once.
 */
export async function measureInterleaved(
  targets: readonly (() => GraphqlTarget)[],
  settings: LoadSettings,
  upstream?: Upstream,
): Promise<CellResult[]> {
  const cells: CellResult[][] = targets.map(() => []);
  for (let run = 0; run < settings.runs; run++) {
    for (let k = 0; k < targets.length; k++) {
      const i = (k + run) % targets.length;
      const done = cells[i];
      if (done.length > 0 && (done[0].mode !== 'autocannon' || !done[0].ok || done[0].error)) continue;
      const warmupSeconds = run === 0 ? settings.warmupSeconds : Math.min(1, settings.warmupSeconds);
      done.push(await measureGraphql(targets[i](), { ...settings, runs: 1, warmupSeconds }, upstream));
    }
  }
  return cells.map(mergeRuns);
}

/** One cell from several one-run cells of the same target: medians over the runs, sums of counts. */
function mergeRuns(cells: CellResult[]): CellResult {
  const failed = cells.find((c) => !c.ok || c.error || c.mode !== 'autocannon');
  if (failed || cells.length === 1) return failed ?? cells[0];
  const runs = cells.flatMap((c) => c.runs);
  const requests = cells.reduce((n, c) => n + c.requests, 0);
  const ups = cells.map((c) => c.upstream);
  const upstream = ups.every((u): u is UpstreamPerOp => u !== undefined)
    ? (() => {
        const operations = ups.reduce((n, u) => n + u.operations, 0);
        const total = (f: (u: UpstreamPerOp) => number) => ups.reduce((n, u) => n + f(u) * u.operations, 0);
        return {
          operations,
          requestsPerOp: operations ? round(total((u) => u.requestsPerOp) / operations, 4) : Number.NaN,
          bytesPerOp: operations ? Math.round(total((u) => u.bytesPerOp) / operations) : Number.NaN,
          watchRequests: ups.reduce((n, u) => n + u.watchRequests, 0),
          watchBytes: ups.reduce((n, u) => n + u.watchBytes, 0),
        };
      })()
    : undefined;
  return {
    ok: true,
    mode: 'autocannon',
    concurrency: cells[0].concurrency,
    p50Ms: round(median(runs.map((r) => r.p50Ms))),
    p99Ms: round(median(runs.map((r) => r.p99Ms))),
    rps: round(median(runs.map((r) => r.rps)), 1),
    requests,
    errors: cells.reduce((n, c) => n + c.errors, 0),
    runs,
    upstream,
    responseBytes: cells[0].responseBytes,
  };
}

/** Waits until the upstream request counter has not moved for a second (at most a minute). */
async function quiesce(upstream?: Upstream): Promise<void> {
  if (!upstream) {
    await new Promise((r) => setTimeout(r, 2_000));
    return;
  }
  const until = Date.now() + 60_000;
  let last = (await upstream.counters()).requests;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 1_000));
    const now = (await upstream.counters()).requests;
    if (now === last) return;
    last = now;
  }
}

async function sequential(
  target: GraphqlTarget,
  body: string,
  settings: LoadSettings,
  probe: { ms: number; bytes: number },
  reason: string,
  upstream?: Upstream,
): Promise<CellResult> {
  const samples: number[] = [];
  const before = await upstream?.counters();
  const until = Date.now() + settings.slowBudgetMs;
  let error: string | undefined;
  while (samples.length < Math.max(settings.runs, 1) && (samples.length === 0 || Date.now() < until)) {
    try {
      samples.push((await timedRequest(target, body, settings.requestTimeoutMs)).ms);
    } catch (err) {
      error = (err as Error).message;
      break;
    }
  }
  const after = await upstream?.counters();
  const p50 = percentile(samples, 50);
  const mean = samples.reduce((a, b) => a + b, 0) / (samples.length || 1);
  return {
    ok: samples.length > 0,
    mode: 'sequential',
    concurrency: 1,
    p50Ms: round(p50),
    p99Ms: round(percentile(samples, 99)),
    rps: round(samples.length ? 1000 / mean : Number.NaN, 3),
    requests: samples.length,
    errors: error ? 1 : 0,
    runs: samples.map((ms) => ({
      requests: 1,
      p50Ms: round(ms),
      p99Ms: round(ms),
      rps: round(1000 / ms, 3),
      errors: 0,
    })),
    upstream: before && after ? perOp(delta(after, before), samples.length) : undefined,
    responseBytes: probe.bytes,
    note: `${reason}: ${samples.length} sequential requests instead of ${settings.connections} concurrent connections`,
    ...(error ? { error } : {}),
  };
}
