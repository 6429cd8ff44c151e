/**
 * Subscription event latency: N subscribers (graphql-sse in distinct-connections mode, or
 * one graphql-ws connection each, as N browser tabs would) watch pods with a label only
 * the benchmark's pods carry; the harness creates such a pod through the simulator's API
 * and times, from just before the write to the ADDED event's arrival, every subscriber.
 * Subscribers and writer share one process and one clock. Primer pods are created first
 * until every subscriber has seen one, so the timed events find every stream open, then
 * WARMUP_EVENTS untimed ones.
 */
import { randomBytes } from 'node:crypto';
import { PerformanceObserver } from 'node:perf_hooks';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { Agent, request } from 'undici';
import WebSocket from 'ws';
import { collectHarnessGarbage, processCpuMs } from './machine.js';
import { percentile, round } from './stats.js';
import type { Upstream } from './upstream.js';

export type Transport = 'sse' | 'ws';

export interface SubscriptionFigures {
  transport: Transport;
  subscribers: number;
  /** Every subscriber with an operation of its own (see measureSubscriptionLatency). */
  distinct?: boolean;
  /** Subscribers that received a primer event, i.e. whose stream was open. */
  connected: number;
  events: number;
  samples: number;
  /** Expected (connected × events) minus received. */
  lost: number;
  p50Ms: number;
  p99Ms: number;
  /**
   * The fan-out row only: the machine's floor for this many sockets (one write to each,
   * bench/lib/socket-floor.ts), the median of rounds measured just before and just after
   * the row in the same run, so both see the same machine load.
   */
  floorMs?: number;
  /** The fan-out row (bench --fanout): read against `floorMs`. */
  fanout?: true;
  /**
   * With `options.cpuMs`: the gateway's CPU time (ms) from just before the first timed event
   * to just after the last, connections and warm-up left out; a shared machine moves it far
   * less than the latencies, so it is what an A/B of a change to the event path reads.
   */
  timedCpuMs?: number;
  /** This process's CPU time (ms) over the timed events: the subscribers' side (and the writer). */
  clientCpuMs?: number;
  /**
   * The timed event whose last delivery came latest: when its first and last subscriber got
   * it (ms after the write). A stall before the fan-out (the API server's write and watch,
   * the gateway's informer) moves both; one during the fan-out (a pause in the gateway or in
   * the subscribers' process) moves only the last.
   */
  slowestEvent?: SlowestEvent;
  /** The median over the timed events of each process's CPU per event (as SlowestEvent.cpuMs). */
  medianEventCpuMs?: SlowestEvent['cpuMs'];
  error?: string;
}

export interface SlowestEvent {
  firstMs: number;
  lastMs: number;
  /**
   * CPU time (ms, /proc, 10 ms ticks) over that event, write to last delivery, of the gateway
   * (when `cpuMs` is given), the API server and the harness (the subscribers' process, every
   * thread): which process a late event's time went to (bench/results/fanout-stalls.md).
   */
  cpuMs?: { gateway?: number; apiServer: number; harness: number };
}

export interface Subscriber {
  dispose(): void;
}

const NAMESPACE = 'default';
/** Untimed events sent once every subscriber is connected, before the timed ones. */
export const WARMUP_EVENTS = 5;

/**
 * The fetch graphql-sse's client is given: undici's `request`, whose body is a Node
 * stream, which the client reads directly (it accepts Node streams and WHATWG streams).
 * The global fetch wraps every chunk in WHATWG streams; with a thousand subscribers in
 * one process that emulation cost about as much per message as the gateway's own work,
 * and a browser's native EventSource or fetch does not pay it. Same client, same
 * protocol (distinct connections), same HTTP/1.1 connections, one per subscriber.
 */
const sseAgent = new Agent({ keepAliveTimeout: 1_000 });
export async function nodeStreamFetch(url: string | URL | Request, init: RequestInit = {}) {
  const res = await request(String(url), {
    method: (init.method ?? 'GET') as 'GET' | 'POST',
    headers: init.headers as Record<string, string>,
    body: init.body as string | undefined,
    signal: init.signal ?? undefined,
    dispatcher: sseAgent,
  });
  return {
    ok: res.statusCode >= 200 && res.statusCode < 300,
    status: res.statusCode,
    statusText: String(res.statusCode),
    body: res.body,
    text: () => res.body.text(),
  } as unknown as Response;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function podManifest(name: string, runId: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE, labels: { 'kubegate-bench': runId } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.k8s.io/pause:3.10',
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
        },
      ],
    },
  };
}

export async function measureSubscriptionLatency(options: {
  url: string;
  query: string;
  cluster: string;
  upstream: Upstream;
  transport: Transport;
  subscribers: number;
  events: number;
  eventTimeoutMs: number;
  /**
   * Give every subscriber its own operation (a label selector with a clause of its own
   * that matches the same pods), so none share a relay or an execution: the cost of
   * a thousand different live pages rather than a thousand tabs of one.
   */
  distinct?: boolean;
  /** The gateway's CPU time so far (ms), read around the timed events (`timedCpuMs`). */
  cpuMs?: () => number | null | undefined;
}): Promise<SubscriptionFigures> {
  const { upstream, transport, subscribers: n } = options;
  const runId = `b${randomBytes(4).toString('hex')}`;
  const variables = {
    cluster: options.cluster,
    namespace: NAMESPACE,
    labelSelector: `kubegate-bench=${runId}`,
  };
  const sent = new Map<string, number>();
  /**
   * Per event, which subscribers got it: a byte per subscriber and a count. It was a Set of
   * indexes per event, and at 10,000 subscribers its growing hash tables (large objects, in
   * the old generation at once) were 75 % of what the harness kept from its timed events, and
   * brought on the major GCs that competed with the gateway for the cores (collectHarnessGarbage).
   */
  const seenBy = new Map<string, { flags: Uint8Array; count: number }>();
  const latencies: number[] = [];
  /** Per timed event: its first and last delivery (ms after the write). */
  const spreads = new Map<string, SlowestEvent>();
  const created: string[] = [];
  const gcLog: { start: number; end: number }[] | undefined = process.env.KUBEGATE_BENCH_EVENT_LOG
    ? []
    : undefined;
  let gcObserver: PerformanceObserver | undefined;
  const upstreamCpu = () => processCpuMs(upstream.child.proc.pid) ?? 0;
  const cpuMsOf = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
  let streamErrors = 0;
  let lastError: string | undefined;

  const onEvent = (index: number, value: unknown) => {
    const at = performance.now();
    const event = (value as { data?: { podEvents?: { type?: string; object?: { name?: string } } } }).data
      ?.podEvents;
    const name = event?.object?.name;
    if (event?.type !== 'ADDED' || !name) return;
    const t0 = sent.get(name);
    if (t0 === undefined) return;
    let seen = seenBy.get(name);
    if (!seen) {
      seen = { flags: new Uint8Array(n), count: 0 };
      seenBy.set(name, seen);
    }
    if (seen.flags[index]) return;
    seen.flags[index] = 1;
    seen.count++;
    if (name.includes('-prime-')) return;
    const ms = at - t0;
    latencies.push(ms);
    const spread = spreads.get(name);
    if (spread) spread.lastMs = ms;
    else spreads.set(name, { firstMs: ms, lastMs: ms });
  };
  const onError = (err: unknown) => {
    streamErrors++;
    lastError = describeStreamError(err);
  };

  const subs: Subscriber[] = [];
  const write = async (name: string) => {
    sent.set(name, performance.now());
    const res = await upstream.request(`/api/v1/namespaces/${NAMESPACE}/pods`, {
      method: 'POST',
      body: podManifest(name, runId),
    });
    if (res.status !== 201)
      throw new Error(`creating pod ${name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    created.push(name);
  };
  const waitSeen = async (name: string, count: number, timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    while ((seenBy.get(name)?.count ?? 0) < count && Date.now() < until) await sleep(2);
    return seenBy.get(name)?.count ?? 0;
  };

  try {
    for (let i = 0; i < n; i++) {
      subs.push(subscribe(i));
      if (i % 50 === 49) await sleep(20);
    }
    // Primers until every subscriber has seen one (streams come up at their own pace).
    let connected = 0;
    const deadline = Date.now() + 15_000 + n * 20;
    for (let p = 0; connected < n && Date.now() < deadline; p++) {
      const name = `${runId}-prime-${p}`;
      await write(name);
      await waitSeen(name, n, 300 + n);
      const ever = new Uint8Array(n);
      for (const [k, seen] of seenBy)
        if (k.includes('-prime-')) for (let i = 0; i < n; i++) ever[i] |= seen.flags[i];
      connected = ever.reduce((sum, one) => sum + one, 0);
    }
    if (connected === 0)
      throw new Error(`no subscriber received an event${lastError ? `: ${lastError}` : ''}`);
    // The simulator's garbage too, once per row, before its warm-up: at size L its heap is
    // ~460-640 MB, and V8 collected it in one atomic mark-compact (786 ms, "allocation
    // failure", `KUBEGATE_BENCH_NODE_ARGS=--trace-gc` with bench/subscriptions-only.ts) when its
    // old generation reached the limit; one that falls among a row's timed events holds every
    // watch event behind it (the full run of 2026-12-05 16:09: 160 ms of the API server's CPU
    // over the slowest event of the L WebSocket row). Collected now, its old generation starts
    // the row far below the limit, which the churn (~0.25 MB/s there) does not reach in a row.
    // The simulator stands in for an API server written in Go; its GC is not what rows measure.
    await upstream.child.collectGarbage();
    // The harness's own garbage, collected before the events it times (collectHarnessGarbage).
    collectHarnessGarbage();
    // Warm-up, as for the HTTP cells: untimed events through the now complete set of
    // streams, so the timed ones do not measure the first passes through freshly
    // compiled code and a heap still growing to its working size.
    for (let w = 0; w < WARMUP_EVENTS; w++) {
      const name = `${runId}-prime-warm-${w}`;
      await write(name);
      await waitSeen(name, connected, options.eventTimeoutMs);
      await sleep(20);
    }
    let expected = 0;
    if (gcLog) {
      gcObserver = new PerformanceObserver((list) => {
        for (const g of list.getEntries()) gcLog.push({ start: g.startTime, end: g.startTime + g.duration });
      });
      gcObserver.observe({ entryTypes: ['gc'] });
    }
    const cpuBefore = options.cpuMs?.();
    const clientBefore = process.cpuUsage();
    for (let e = 0; e < options.events; e++) {
      const name = `${runId}-${e}`;
      // And again before every timed event, then a pause for what the collector finishes on
      // its own threads: the harness's young generation (64 MB semi-spaces) and old
      // generation otherwise filled during the events. Its scavenges (13-22 ms) fell inside 23
      // of 60 timed events of three 10,000-subscriber rounds, and in the full run of 10:25 on
      // 2026-12-05 three rows missed on a burst of its CPU alone (the S fan-out: 417 ms of the
      // harness's CPU over its slowest event, ~140 for the median one; both L SSE rows: 101 and
      // 117 ms). Collected before each event (~180 ms at 10,000 subscribers, untimed), none of
      // the same 60 events had a pause of the harness (`KUBEGATE_BENCH_EVENT_LOG=1 node
      // --max-semi-space-size=64 --import tsx bench/subscriptions-only.ts 10000 20 ws,ws,ws`:
      // p99 166, 164, 441 ms before, the 441 the gateway's own 720 ms of CPU; 171, 183, 167 after).
      collectHarnessGarbage();
      await sleep(20);
      const wall = Date.now();
      const cpuAt = [options.cpuMs?.(), upstreamCpu(), process.cpuUsage()] as const;
      await write(name);
      await waitSeen(name, connected, options.eventTimeoutMs);
      // CPU over the event (write to last delivery) of the gateway, the API server and this
      // process: a stall with the same CPU is time the machine gave to something else.
      const spread = spreads.get(name);
      if (spread) {
        const gatewayNow = options.cpuMs?.();
        spread.cpuMs = {
          ...(cpuAt[0] != null && gatewayNow != null ? { gateway: round(gatewayNow - cpuAt[0]) } : {}),
          apiServer: round(upstreamCpu() - cpuAt[1]),
          harness: round(cpuMsOf(process.cpuUsage(cpuAt[2]))),
        };
      }
      if (gcLog && spread) {
        const from = sent.get(name) ?? 0;
        const pauses = gcLog
          .filter((g) => g.end > from && g.start < from + spread.lastMs)
          .map((g) => `${round(g.start - from)}+${round(g.end - g.start)}`);
        gcLog.length = 0;
        // KUBEGATE_BENCH_EVENT_LOG=1: every timed event's wall-clock write time, deliveries, CPU
        // and this process's GC pauses, to lay a stall beside the children's GC traces
        // (KUBEGATE_BENCH_NODE_ARGS=--trace-gc).
        process.stderr.write(
          `event ${e} written at ${new Date(wall).toISOString()} (${round(from)} ms into this process): ${describeEvent(spread)}; this process's GC pauses (ms after the write + ms): ${pauses.join(' ') || 'none'}\n`,
        );
      }
      expected += connected;
      await sleep(20);
    }
    const cpuAfter = options.cpuMs?.();
    const client = process.cpuUsage(clientBefore);
    return {
      ...(cpuBefore != null && cpuAfter != null ? { timedCpuMs: round(cpuAfter - cpuBefore) } : {}),
      clientCpuMs: round((client.user + client.system) / 1000),
      transport,
      subscribers: n,
      ...(options.distinct ? { distinct: true } : {}),
      connected,
      events: options.events,
      samples: latencies.length,
      lost: Math.max(0, expected - latencies.length),
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      ...slowest(spreads),
      ...medianCpu(spreads),
      ...(streamErrors ? { error: `${streamErrors} stream errors, last: ${lastError}` } : {}),
    };
  } catch (err) {
    return {
      transport,
      subscribers: n,
      connected: 0,
      events: options.events,
      samples: latencies.length,
      lost: 0,
      p50Ms: Number.NaN,
      p99Ms: Number.NaN,
      error: (err as Error).message,
    };
  } finally {
    gcObserver?.disconnect();
    for (const s of subs) s.dispose();
    for (let i = 0; i < created.length; i += 20) {
      await Promise.all(
        created
          .slice(i, i + 20)
          .map((name) =>
            upstream
              .request(`/api/v1/namespaces/${NAMESPACE}/pods/${name}`, { method: 'DELETE' })
              .catch(() => undefined),
          ),
      );
    }
  }

  function subscribe(index: number): Subscriber {
    const payload = {
      query: options.query,
      variables: options.distinct
        ? { ...variables, labelSelector: `${variables.labelSelector},!kubegate-bench-${index}` }
        : variables,
    };
    const sink = {
      next: (value: unknown) => onEvent(index, value),
      error: onError,
      complete: () => {},
    };
    return subscribeClient(options.url, transport, payload, sink);
  }
}

/**
 * One subscriber as a browser tab makes it: a graphql-sse client (distinct connections, its
 * body read as a Node stream: nodeStreamFetch) or a graphql-ws client with a connection of its
 * own, subscribed to `payload`; dispose() ends both the subscription and the client.
 */
export function subscribeClient(
  url: string,
  transport: Transport,
  payload: { query: string; variables: Record<string, unknown> },
  sink: { next(value: unknown): void; error(error: unknown): void; complete(): void },
): Subscriber {
  if (transport === 'sse') {
    const client = createSseClient({
      url,
      singleConnection: false,
      retryAttempts: 0,
      fetchFn: nodeStreamFetch,
    });
    const stop = client.subscribe(payload, sink);
    return {
      dispose: () => {
        stop();
        client.dispose();
      },
    };
  }
  const client = createWsClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
  });
  const stop = client.subscribe(payload, sink);
  return {
    dispose: () => {
      stop();
      void client.dispose();
    },
  };
}

function slowest(spreads: Map<string, SlowestEvent>) {
  let worst: SlowestEvent | undefined;
  for (const s of spreads.values()) if (!worst || s.lastMs > worst.lastMs) worst = s;
  return worst
    ? { slowestEvent: { ...worst, firstMs: round(worst.firstMs), lastMs: round(worst.lastMs) } }
    : {};
}

function medianCpu(spreads: Map<string, SlowestEvent>) {
  const all = [...spreads.values()].flatMap((s) => (s.cpuMs ? [s.cpuMs] : []));
  if (all.length === 0) return {};
  const gateway = all.flatMap((c) => (c.gateway === undefined ? [] : [c.gateway]));
  return {
    medianEventCpuMs: {
      ...(gateway.length ? { gateway: percentile(gateway, 50) } : {}),
      apiServer: percentile(
        all.map((c) => c.apiServer),
        50,
      ),
      harness: round(
        percentile(
          all.map((c) => c.harness),
          50,
        ),
      ),
    },
  };
}

/** A slowest event in words: its deliveries and each process's CPU over it. */
export function describeSlowest(e: SlowestEvent | undefined): string {
  return e ? `slowest event: ${describeEvent(e)}` : '';
}

/** One timed event in words: its first and last delivery, and each process's CPU over it. */
function describeEvent(e: SlowestEvent): string {
  const c = e.cpuMs;
  const cpu = c
    ? `; CPU over it: gateway ${c.gateway ?? 'n/a'} ms, API server ${c.apiServer} ms, harness ${c.harness} ms`
    : '';
  return `first delivery ${round(e.firstMs)} ms, last ${round(e.lastMs)} ms${cpu}`;
}

/**
 * What a client's error callback got: an Error's message, a WebSocket close (its code and
 * reason: JSON.stringify shows a CloseEvent as `{}`), an error event's message, or JSON.
 */
export function describeStreamError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (Array.isArray(err)) return err.map(describeStreamError).join('; ');
  const e = err as { type?: string; code?: number; reason?: string; message?: string; error?: unknown };
  if (typeof e?.code === 'number') return `closed ${e.code}${e.reason ? ` ${e.reason}` : ''}`;
  if (e?.error instanceof Error) return `${e.type ?? 'error'}: ${e.error.message}`;
  if (typeof e?.message === 'string') return `${e.type ?? 'error'}: ${e.message}`;
  return JSON.stringify(err);
}
