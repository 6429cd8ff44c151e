/**
 * The fleet size (issue #16, "a fleet in one process"): `clusters` simulated clusters of the
 * size's nodes/pods/jobs, served by simulator processes of `clustersPerProcess` clusters
 * each (`--clusters N`), and one gateway process serving them all. Measured, in order:
 *
 * - the fleet's bytes floor: a bare client fetching and `JSON.parse`-ing every page of every
 *   LIST each cluster's sync makes (the mirrored kinds, one after the other; page size 500,
 *   lib/list-floor.ts), spread by the gateway's own rule (one LIST per API server at a time,
 *   `CONCURRENT_SYNCS` clusters at once), with the pod LISTs' part beside it;
 * - the gateway's first sync: from its "listening" line to /readyz saying every cluster
 *   synced (polled every 250 ms), its peak RSS meanwhile, and then RSS and heap after a GC;
 * - Q1 over every cluster (`clusters { summary }`, the fleet's front page) and Q4 on one
 *   cluster, one request at a time (the service time) and under the bench's load;
 * - upstream requests per operation, summed over every cluster's /metrics;
 * - the most LISTs each simulated API server answered at once (its
 *   simulator_list_requests_in_flight_max), which the spread sync keeps at 1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { collectionPath } from '../../src/kube/kinds/define.js';
import { CACHE_KINDS, kindOf } from '../../src/kube/kinds.js';
import { loadSource } from '../../src/kube/sources.js';
import { DEFAULT_CONCURRENT_SYNCS } from '../../src/kube/sync-gate.js';
import { parsePrometheusText } from '../../src/simulator/metrics.js';
import { gatewayEntry } from './build.js';
import { type Child, type NodeMemory, procMemory, startNodeChild } from './children.js';
import { listFloor } from './list-floor.js';
import { type CellResult, type LoadSettings, measureGraphql } from './load.js';
import { machineBusyMs, processCpuMs } from './machine.js';
import { variablesFor } from './operations.js';
import type { SizeResult } from './results.js';
import type { SizeContext } from './size-run.js';
import {
  noCounters,
  pickVariables,
  type SizeSpec,
  type Upstream,
  type UpstreamCounters,
  upstreamAt,
} from './upstream.js';

export interface FleetFigures {
  clusters: number;
  processes: number;
  clustersPerProcess: number;
  /** Per simulator process: time to build its clusters and its RSS once built. */
  simulators: { buildMs: number; rssBytes: number | null }[];
  pods: number;
  /** Clusters listing at once in the floor and (by default) in the gateway. */
  concurrentSyncs: number;
  floor: {
    ms: number;
    pages: number;
    bytes: number;
    parseMs: number;
    /** The kinds listed per cluster (absent in runs before session 11: the pod LIST only). */
    kinds?: string[];
    /** The pod LISTs' part of it (summed over clusters; their time is the fleet's sum / concurrency). */
    pods?: { pages: number; bytes: number; parseMs: number; ms: number };
  } | null;
  sync: {
    /** From the gateway's "listening" line to every cluster synced in /readyz. */
    allSyncedMs: number;
    /** The first cluster synced (same origin). */
    firstClusterMs: number | null;
    peakRssDuringSyncBytes: number | null;
  } | null;
  /** sync.allSyncedMs / floor.ms. */
  syncOverFloor: number | null;
  memory: NodeMemory | null;
  peakRssBytes: number | null;
  heapPerPodBytes: number | null;
  rssPerPodBytes: number | null;
  /**
   * Events the simulators held when memory was measured: the gateway mirrors them too
   * (~0.9 KB of heap each), and with churn they grow until their TTL, so they are part of
   * the heap that heapPerPodBytes divides by the pods.
   */
  eventsAtMemory?: number | null;
  /**
   * From the end of the memory measurement (its forced GCs) to the gateway answering /livez
   * promptly again (SETTLE_RUN in a row under SETTLE_MS each); the latency cells start then.
   */
  settleMs?: number | null;
  /** Q1 over every cluster and Q4 on one: one request at a time, and under the bench's load. */
  q1Fleet: CellResult | null;
  q1FleetLoaded: CellResult | null;
  q4: CellResult | null;
  q4Loaded: CellResult | null;
  /** The most LISTs any one simulated API server answered at once (its high-water mark). */
  maxListsInFlightPerServer: number | null;
  /**
   * The informers' health over the whole run, summed over every cluster and kind, read from
   * the gateway's status just before it stops: failed LIST/watch attempts (by their last
   * error), relists and watch restarts. Absent in runs before session 31 (the gateway's log,
   * deleted after a run, was all there was).
   */
  informers?: InformerHealth | null;
  /**
   * The gateway's event loop during each latency cell, from its own /metrics (prom-client's
   * `nodejs_eventloop_lag_max_seconds` and `_p99_seconds`, whose histogram each scrape resets:
   * read once just before the cell, once after). A full GC of the fleet's heap holds the loop
   * for seconds, and a cell's p99 says whether one fell in it only through this. Absent in
   * runs before session 32.
   */
  loopStalls?: Partial<Record<FleetCell, LoopStall>> | null;
  /**
   * Who had the machine's two cores while the floor, the sync and each latency cell ran:
   * the five churning simulators share them with what is measured, so a ratio against the
   * floor reads differently when they take half the machine. Absent in runs before session 36.
   */
  cpu?: {
    floor?: CpuShare;
    sync?: CpuShare;
    cells?: Partial<Record<FleetCell, CpuShare>>;
  };
}

/** CPU time over one window, ms (summed over threads; 2 cores give at most 2 × wallMs). */
export interface CpuShare {
  wallMs: number;
  /** The process measured: the floor's client (this bench process) or the gateway. */
  measuredMs: number | null;
  /** The simulator processes together. */
  simulatorsMs: number;
  /** Every process on the machine (the load generator, this harness and anything else too). */
  machineMs: number | null;
}

export type FleetCell = 'q1Fleet' | 'q4' | 'q1FleetLoaded' | 'q4Loaded';

export interface LoopStall {
  /**
   * The longest interval between two ticks of prom-client's 10 ms loop timer during the cell
   * (`monitorEventLoopDelay`): 10 is an idle loop, 2,000 a loop held for ~2 s.
   */
  maxMs: number;
  /** The 99th percentile of those intervals. */
  p99Ms: number;
}

export interface InformerHealth {
  failures: number;
  relists: number;
  watchRestarts: number;
  /** The (cluster, kind) pairs that failed at least once, counted by their last error. */
  lastErrors: Record<string, number>;
}

/** Sums the informer counters of `{ clusters { status { kinds { ... } } } }`. */
export function informerHealth(
  clusters: {
    status: {
      kinds: { failures: number; relists: number; watchRestarts: number; lastError: string | null }[];
    };
  }[],
): InformerHealth {
  const health: InformerHealth = { failures: 0, relists: 0, watchRestarts: 0, lastErrors: {} };
  for (const c of clusters)
    for (const k of c.status.kinds) {
      health.failures += k.failures;
      health.relists += k.relists;
      health.watchRestarts += k.watchRestarts;
      if (k.failures > 0) {
        const key = k.lastError ?? 'none on record';
        health.lastErrors[key] = (health.lastErrors[key] ?? 0) + 1;
      }
    }
  return health;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Q1's selection over every cluster: the same fields, `clusters` instead of `cluster(name:)`. */
export function fleetQ1(q1: string): string {
  const out = q1
    .replace(/query \w+\(\$cluster: String!\) \{/, 'query BenchQ1Fleet {')
    .replace(/cluster\(name: \$cluster\) \{/, 'clusters {');
  if (out === q1 || out.includes('$cluster'))
    throw new Error('fleetQ1: Q1 no longer has the expected header');
  return out;
}

interface KubeconfigDoc {
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { name: string; user: { token: string } }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
}

export async function runFleet(size: SizeSpec, ctx: SizeContext): Promise<SizeResult> {
  const { config, log } = ctx;
  const clusters = size.clusters ?? 1;
  const perProcess = size.clustersPerProcess ?? clusters;
  const processes = Math.ceil(clusters / perProcess);
  const result: SizeResult = {
    size,
    simulator: { buildMs: 0, podsAtStart: 0 },
    cluster: '',
    variables: null,
    ceiling: null,
    cells: {},
    kubectlNotes: {},
    sync: null,
    memory: null,
    subscriptions: { available: false, reason: 'not measured at the fleet size', results: [] },
    ratios: {},
    errors: [],
  };
  const fleet: FleetFigures = {
    clusters,
    processes,
    clustersPerProcess: perProcess,
    simulators: [],
    pods: 0,
    concurrentSyncs: DEFAULT_CONCURRENT_SYNCS,
    floor: null,
    sync: null,
    syncOverFloor: null,
    memory: null,
    peakRssBytes: null,
    heapPerPodBytes: null,
    rssPerPodBytes: null,
    q1Fleet: null,
    q1FleetLoaded: null,
    q4: null,
    q4Loaded: null,
    maxListsInFlightPerServer: null,
    settleMs: null,
  };
  result.fleet = fleet;
  const children: Child[] = [];
  const opts = { cwd: ctx.root, logDir: ctx.logDir };
  let step = 'starting';
  const record = (what: string, err: unknown) => {
    const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
    const message = `${what}: ${(err as Error)?.message ?? String(err)}${cause ? ` (${cause.code ?? cause.message})` : ''}`;
    result.errors.push(message);
    log(`  ERROR ${message}`);
  };
  try {
    log(
      `size ${size.name}: ${clusters} clusters of ${size.nodes} nodes, ${size.pods} pods, ${size.jobs} jobs, in ${processes} simulator processes`,
    );
    // The simulator processes build side by side (each builds its clusters one after the other).
    const merged: KubeconfigDoc = { clusters: [], users: [], contexts: [] };
    const upstreams: Upstream[] = [];
    const started: { child: Child; kubeconfigPath: string; count: number }[] = [];
    for (let p = 0; p < processes; p++) {
      const count = Math.min(perProcess, clusters - p * perProcess);
      const kubeconfigPath = join(ctx.workDir, `simulator-fleet-${p}.kubeconfig`);
      const child = startNodeChild(
        `simulator-fleet-${p}`,
        'src/simulator/cli.ts',
        [
          ...['--clusters', String(count), '--nodes', String(size.nodes), '--pods', String(size.pods)],
          ...['--jobs', String(size.jobs), '--namespaces', String(size.namespaces)],
          ...(size.maxPodsPerNamespace ? ['--max-pods-per-namespace', String(size.maxPodsPerNamespace)] : []),
          // Distinct seeds across processes: cluster i of process p has seed + p * perProcess + i.
          ...['--seed', String(config.seed + p * perProcess), '--churn', String(config.churn)],
          ...['--port', '0', '--host', '127.0.0.1', '--kubeconfig-out', kubeconfigPath],
        ],
        opts,
      );
      children.push(child);
      started.push({ child, kubeconfigPath, count });
    }
    for (const [p, { child, kubeconfigPath, count }] of started.entries()) {
      const [, built] = await child.waitFor(/built in (\d+) ms[^\n]*\n[\s\S]*kubeconfig written/, 3_600_000);
      const doc = parseYaml(readFileSync(kubeconfigPath, 'utf8')) as KubeconfigDoc;
      fleet.simulators.push({ buildMs: Number(built), rssBytes: procMemory(child.pid)?.rssBytes ?? null });
      for (let i = 0; i < doc.contexts.length; i++) {
        // Context names unique across processes: fleet-00 .. fleet-49.
        const name = `fleet-${String(p * perProcess + i).padStart(2, '0')}`;
        const cluster = doc.clusters.find((c) => c.name === doc.contexts[i].context.cluster)!;
        const user = doc.users.find((u) => u.name === doc.contexts[i].context.user)!;
        merged.clusters.push({ name, cluster: cluster.cluster });
        merged.users.push({ name: `${name}-user`, user: user.user });
        merged.contexts.push({ name, context: { cluster: name, user: `${name}-user` } });
        upstreams.push(
          upstreamAt({
            child,
            url: cluster.cluster.server,
            kubeconfigPath,
            buildMs: Number(built),
            ca: Buffer.from(cluster.cluster['certificate-authority-data'], 'base64').toString(),
            token: user.user.token,
          }),
        );
      }
      log(
        `  simulators ${p + 1}/${processes}: ${count} clusters built in ${(Number(built) / 1000).toFixed(1)} s, RSS ${mb(fleet.simulators[p].rssBytes)}`,
      );
    }
    const kubeconfig = join(ctx.workDir, 'fleet.kubeconfig');
    writeFileSync(
      kubeconfig,
      stringify({ apiVersion: 'v1', kind: 'Config', ...merged, 'current-context': merged.contexts[0].name }),
      { mode: 0o600 },
    );
    result.simulator = {
      buildMs: fleet.simulators.reduce((a, s) => a + s.buildMs, 0),
      podsAtStart: (await fleetCounters(upstreams)).pods,
    };
    fleet.pods = result.simulator.podsAtStart;
    const fleetUpstream: Upstream = { ...upstreams[0], counters: () => fleetCounters(upstreams) };
    step = 'reading the simulators';
    const variables = await pickVariables(upstreams[0]);
    result.variables = variables;

    // The floor, spread as the gateway spreads its sync.
    const simulatorsCpu = () =>
      children
        .filter((c) => !c.name.startsWith('gateway'))
        .reduce((sum, c) => sum + (processCpuMs(c.pid) ?? 0), 0);
    /** Starts a CPU window; calling what it returns ends it. */
    const cpuWindow = (measured: () => number | null) => {
      const at = {
        wall: performance.now(),
        measured: measured(),
        sims: simulatorsCpu(),
        machine: machineBusyMs(),
      };
      return (): CpuShare => {
        const m = measured();
        const machine = machineBusyMs();
        return {
          wallMs: Math.round(performance.now() - at.wall),
          measuredMs: m === null || at.measured === null ? null : m - at.measured,
          simulatorsMs: simulatorsCpu() - at.sims,
          machineMs: machine === null || at.machine === null ? null : machine - at.machine,
        };
      };
    };
    const ownCpu = () => {
      const u = process.cpuUsage();
      return Math.round((u.user + u.system) / 1000);
    };
    const cpu: NonNullable<FleetFigures['cpu']> = {};
    fleet.cpu = cpu;
    try {
      const floorCpu = cpuWindow(ownCpu);
      fleet.floor = await fleetFloor(kubeconfig, fleet.concurrentSyncs);
      cpu.floor = floorCpu();
      log(
        `  floor: every LIST of ${clusters} clusters (${fleet.floor.pages} pages, ${mb(fleet.floor.bytes)}; pods ${fleet.floor.pods?.pages} pages, ${mb(fleet.floor.pods?.bytes)}) fetched and parsed in ${fleet.floor.ms} ms (parse ${fleet.floor.parseMs} ms), ${fleet.concurrentSyncs} clusters at once`,
      );
    } catch (err) {
      record('fleet floor', err);
    }

    step = "the gateway's sync";
    log('  B: starting kubegate on every cluster');
    const { entry, nodeArgs } = gatewayEntry(ctx.root);
    const gw = startNodeChild(
      'gateway-B-fleet',
      entry,
      ['--kubeconfig', kubeconfig, '--port', '0', '--host', '127.0.0.1'],
      opts,
      nodeArgs,
    );
    children.push(gw);
    const [, url] = await gw.waitFor(/kubegate listening on (http:\/\/\S+\/graphql)/, 120_000);
    const listening = performance.now();
    const syncCpu = cpuWindow(() => processCpuMs(gw.pid));
    const readyz = url.replace(/\/graphql$/, '/readyz');
    const metricsUrl = url.replace(/\/graphql$/, '/metrics');
    let firstClusterMs: number | null = null;
    // What the last /readyz that answered said: a gateway too busy to answer (or a fetch that
    // failed) tells nothing, and a failed run's message must not read "0 synced" for it.
    let lastSynced = 0;
    let lastAnsweredAt = performance.now();
    for (;;) {
      const text = await fetch(readyz)
        .then((r) => r.text())
        .catch(() => null);
      if (text !== null) {
        lastSynced = text.split('\n').filter((l) => l.endsWith(': synced')).length;
        lastAnsweredAt = performance.now();
      }
      const synced = lastSynced;
      if (synced > 0 && firstClusterMs === null) firstClusterMs = Math.round(performance.now() - listening);
      if (synced === clusters) break;
      if (!gw.alive()) throw new Error(`the gateway exited during its sync:\n${gw.tail(10)}`);
      if (performance.now() - listening > 1_800_000) {
        // What a reader of a failed run needs: how far it got, and how much of the machine
        // the gateway had (the churning simulators share it).
        const gwCpu = processCpuMs(gw.pid);
        const sims = children.filter((c) => c !== gw).reduce((sum, c) => sum + (processCpuMs(c.pid) ?? 0), 0);
        throw new Error(
          `the fleet did not sync within 30 min: ${synced}/${clusters} clusters synced at the last /readyz answered (${Math.round((performance.now() - lastAnsweredAt) / 1000)} s before); CPU over the run so far: gateway ${gwCpu == null ? 'n/a' : `${Math.round(gwCpu / 1000)} s`}, the simulators ${Math.round(sims / 1000)} s`,
        );
      }
      await sleep(250);
    }
    cpu.sync = syncCpu();
    fleet.sync = {
      allSyncedMs: Math.round(performance.now() - listening),
      firstClusterMs,
      peakRssDuringSyncBytes: procMemory(gw.pid)?.peakRssBytes ?? null,
    };
    result.sync = {
      firstSyncMs: fleet.sync.allSyncedMs,
      spawnToReadyMs: fleet.sync.allSyncedMs,
      peakRssDuringSyncBytes: fleet.sync.peakRssDuringSyncBytes,
      floor: fleet.floor,
    };
    fleet.syncOverFloor = fleet.floor ? round2(fleet.sync.allSyncedMs / fleet.floor.ms) : null;
    log(
      `  B synced ${clusters} clusters in ${fleet.sync.allSyncedMs} ms (first at ${firstClusterMs} ms; peak RSS ${mb(fleet.sync.peakRssDuringSyncBytes)}) = ${fleet.syncOverFloor}× the floor`,
    );
    fleet.maxListsInFlightPerServer = await maxListsInFlight(upstreams).catch((err) => {
      record('lists in flight', err);
      return null;
    });
    log(`  most LISTs in flight on one API server: ${fleet.maxListsInFlightPerServer}`);

    await sleep(2_000);
    step = 'memory after forced GCs';
    fleet.memory = await gw.memoryAfterGc(180_000).catch((err) => {
      record('B memory', err);
      return null;
    });
    if (fleet.memory) {
      fleet.heapPerPodBytes = Math.round(fleet.memory.heapUsed / fleet.pods);
      fleet.rssPerPodBytes = Math.round(fleet.memory.rss / fleet.pods);
      fleet.eventsAtMemory = await fleetCounters(upstreams)
        .then((c) => c.events)
        .catch(() => null);
      log(
        `  B after GC: RSS ${mb(fleet.memory.rss)}, heap ${mb(fleet.memory.heapUsed)} (${fleet.heapPerPodBytes} B heap, ${fleet.rssPerPodBytes} B RSS per pod; ${fleet.eventsAtMemory ?? 'n/a'} events mirrored beside ${fleet.pods} pods)`,
      );
    }

    // The memory figure's forced full GCs stop a fleet's event loop for tens of seconds (two
    // memory-reducing mark-compacts of a 3.5 GB heap), which nothing does in production; the
    // watch events of 50 churning clusters pile up meanwhile. Latency is measured once the
    // gateway has caught up, and how long that took is reported.
    step = 'waiting for the gateway to settle (/livez)';
    fleet.settleMs = await settle(url.replace(/\/graphql$/, '/livez'));
    log(
      `  B settled ${fleet.settleMs} ms after the forced GC (${SETTLE_RUN} /livez in a row under ${SETTLE_MS} ms)`,
    );

    const q1 = ctx.operations.find((o) => o.id === 'Q1')!;
    const q4 = ctx.operations.find((o) => o.id === 'Q4')!;
    const one: LoadSettings = { ...config.load, connections: 1 };
    const first = merged.contexts[0].name;
    result.cluster = first;
    const q1Target = { url, query: fleetQ1(q1.query), operationName: 'BenchQ1Fleet', variables: {} };
    const q4Target = {
      url,
      query: q4.query,
      operationName: q4.operationName,
      variables: variablesFor('Q4', first, variables),
    };
    step = "checking Q1's answer (one POST to the gateway)";
    const answer = (await (
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: q1Target.query, operationName: q1Target.operationName }),
      })
    ).json()) as { data?: { clusters?: unknown[] }; errors?: unknown[] };
    if (answer.errors || answer.data?.clusters?.length !== clusters)
      record('Q1 fleet', new Error(`expected ${clusters} clusters: ${JSON.stringify(answer).slice(0, 300)}`));
    for (const [key, target, settings] of [
      ['q1Fleet', q1Target, one],
      ['q4', q4Target, one],
      ['q1FleetLoaded', q1Target, config.load],
      ['q4Loaded', q4Target, config.load],
    ] as const) {
      step = `the ${key} cell (the gateway under load; every simulator's /metrics before and after)`;
      // The scrape before resets the gateway's loop-delay histogram, so the one after covers the cell.
      const reset = await loopStall(metricsUrl).catch((err) => record(`${key}: the gateway's /metrics`, err));
      const cellCpu = cpuWindow(() => processCpuMs(gw.pid));
      const cell = await measureGraphql(target, settings, fleetUpstream);
      cpu.cells = { ...cpu.cells, [key]: cellCpu() };
      fleet[key] = cell;
      const stall =
        reset === undefined
          ? undefined
          : await loopStall(metricsUrl).catch((err) => record(`${key}: the gateway's /metrics`, err));
      if (stall) fleet.loopStalls = { ...fleet.loopStalls, [key]: stall };
      log(
        `  B ${key} (${settings.connections} conn): p50 ${cell.p50Ms} ms, p99 ${cell.p99Ms} ms, ${cell.rps} req/s, upstream ${cell.upstream?.requestsPerOp ?? 'n/a'} req/op${stall ? `; the event loop's longest tick ${stall.maxMs} ms (p99 ${stall.p99Ms} ms)` : ''}${cell.error ? `; ${cell.error}` : ''}`,
      );
    }
    fleet.peakRssBytes = procMemory(gw.pid)?.peakRssBytes ?? null;
    step = "reading the informers' health (one POST to the gateway)";
    fleet.informers = await readInformerHealth(url).catch((err) => {
      record('informer health', err);
      return null;
    });
    if (fleet.informers)
      log(
        `  informers over the run: ${fleet.informers.failures} failures, ${fleet.informers.relists} relists, ${fleet.informers.watchRestarts} watch restarts; last errors ${JSON.stringify(fleet.informers.lastErrors)}`,
      );
    // The per-size rows of the report: B's Q1 (over the fleet) and Q4 under load.
    result.cells.B = { Q1: fleet.q1FleetLoaded ?? undefined, Q4: fleet.q4Loaded ?? undefined };
    await gw.stop();
  } catch (err) {
    // Which step failed: "fetch failed (ECONNRESET)" alone did not say whether the gateway
    // or a simulator reset the connection (two fleet runs lost their latency cells so).
    record(`size ${size.name}, ${step}`, err);
  } finally {
    for (const c of children.reverse()) await c.stop();
  }
  return result;
}

/**
 * Every LIST each cluster's sync makes (the mirrored kinds, one after the other) fetched and
 * parsed, one LIST per cluster at a time, `concurrency` clusters at once, as the gateway's
 * sync gate spreads them. The pod LISTs' part: their pages, bytes and parse summed, and
 * their share of the wall time (their summed fetch time over the concurrency).
 */
async function fleetFloor(
  kubeconfig: string,
  concurrency: number,
): Promise<NonNullable<FleetFigures['floor']>> {
  const specs = loadSource({ type: 'kubeconfig', path: kubeconfig }, { cache: true });
  const total = { ms: 0, pages: 0, bytes: 0, parseMs: 0 };
  const pods = { ms: 0, pages: 0, bytes: 0, parseMs: 0 };
  const lanes = Math.min(concurrency, specs.length);
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (next < specs.length) {
          const spec = specs[next++];
          for (const kind of CACHE_KINDS) {
            const f = await listFloor(spec.kubeconfig, collectionPath(kindOf(kind)), 500);
            for (const sum of kind === 'Pod' ? [total, pods] : [total]) {
              sum.pages += f.pages;
              sum.bytes += f.bytes;
              sum.parseMs += f.parseMs;
            }
            if (kind === 'Pod') pods.ms += f.ms;
          }
        }
      }),
    );
  } finally {
    await Promise.all(specs.map((s) => s.kubeconfig.closePool()));
  }
  total.ms = Math.round(performance.now() - started);
  pods.ms = Math.round(pods.ms / lanes);
  return { ...total, kinds: [...CACHE_KINDS], pods };
}

const SETTLE_RUN = 10;
const SETTLE_MS = 20;

/** The informers' health from the gateway's own status (every cluster, every kind). */
async function readInformerHealth(url: string): Promise<InformerHealth> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: '{ clusters { status { kinds { failures relists watchRestarts lastError } } } }',
    }),
  });
  const answer = (await res.json()) as {
    data?: { clusters?: Parameters<typeof informerHealth>[0] };
    errors?: unknown[];
  };
  if (answer.errors || !answer.data?.clusters)
    throw new Error(`unexpected answer: ${JSON.stringify(answer).slice(0, 300)}`);
  return informerHealth(answer.data.clusters);
}

/** Waits (at most 3 min) until SETTLE_RUN /livez round trips in a row each take under SETTLE_MS. */
async function settle(livez: string): Promise<number> {
  const started = performance.now();
  let run = 0;
  while (run < SETTLE_RUN && performance.now() - started < 180_000) {
    const t = performance.now();
    const ok = await fetch(livez)
      .then((r) => r.text().then(() => r.ok))
      .catch(() => false);
    run = ok && performance.now() - t < SETTLE_MS ? run + 1 : 0;
    if (run === 0) await sleep(100);
  }
  return Math.round(performance.now() - started);
}

/** Counters summed over every cluster (each cluster's own /metrics). */
async function fleetCounters(upstreams: Upstream[]): Promise<UpstreamCounters> {
  // One at a time: 50 scrapes at once on simulators already busy with churn are what times out.
  const all: UpstreamCounters[] = [];
  for (const u of upstreams)
    all.push(
      await u.counters().catch((err: unknown) => {
        throw new Error(`reading ${u.url}/metrics: ${(err as Error)?.message ?? String(err)}`, {
          cause: (err as Error)?.cause,
        });
      }),
    );
  const sum = noCounters();
  for (const c of all) {
    sum.requests += c.requests;
    sum.bytes += c.bytes;
    sum.watchRequests += c.watchRequests;
    sum.watchBytes += c.watchBytes;
    sum.pods += c.pods;
    sum.events += c.events;
  }
  return sum;
}

/** The gateway's event-loop delay since its /metrics was last read (which this read resets). */
async function loopStall(metricsUrl: string): Promise<LoopStall> {
  const res = await fetch(metricsUrl);
  if (!res.ok) throw new Error(`${metricsUrl} answered ${res.status}`);
  const metrics = parsePrometheusText(await res.text());
  const seconds = (name: string) => {
    const value = metrics.get(name);
    if (value === undefined) throw new Error(`no ${name} at ${metricsUrl}`);
    return Math.round(value * 1e4) / 10;
  };
  return {
    maxMs: seconds('nodejs_eventloop_lag_max_seconds'),
    p99Ms: seconds('nodejs_eventloop_lag_p99_seconds'),
  };
}

async function maxListsInFlight(upstreams: Upstream[]): Promise<number> {
  let most = 0;
  for (const u of upstreams) {
    const { body } = await u.request('/metrics');
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const value = parsePrometheusText(String(text)).get('simulator_list_requests_in_flight_max');
    if (value === undefined) throw new Error(`no simulator_list_requests_in_flight_max at ${u.url}`);
    most = Math.max(most, value);
  }
  return most;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function mb(bytes: number | null | undefined): string {
  return bytes == null ? 'n/a' : `${Math.round(bytes / 1048576)} MB`;
}
