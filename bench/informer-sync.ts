/**
 * Informer sync benchmark: how long the first sync of a cluster's mirror takes, how much
 * memory it peaks at, and how much heap the mirror keeps per 10,000 pods, with the
 * trimming transform and without it (identity: client-node's model objects, less their
 * managedFields, which the client cuts from the text before parsing, kube/managed-fields.ts).
 *
 *   npx tsx --expose-gc bench/informer-sync.ts [--only 5k|100k] [--runs N]
 *       [--page-size N] [--v8=--flag=value,...] [--kubeconfig PATH]
 *
 * `--page-size` is the LIST's page size for the sync and the floor alike (default the
 * reflector's 500); `--v8` adds V8 flags to every measuring child, floor and sync alike;
 * `--kubeconfig` measures against a simulator already running with the scenario's arguments
 * instead of building one (a 100k build takes ~25 s, which tuning pays once).
 *
 * The simulator runs in a CHILD process (`src/simulator/cli.ts`), so its own memory and CPU
 * are not counted; each measurement runs in a fresh child of this script, so one run's heap
 * and peak RSS do not leak into the next. Results: bench/results/informer-sync.json and
 * .md, and the Markdown table on stdout.
 *
 * Targets (issue 3): first sync of the 5k scenario < 3 s, of 100k pods < 60 s, and at most
 * 3 KB of steady heap per trimmed pod.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PodAggregates } from '../src/kube/aggregates.js';
import { ClusterClient } from '../src/kube/client.js';
import { EventHub } from '../src/kube/event-hub.js';
import { Informer } from '../src/kube/informer.js';
import { KIND_NAMES, type KindName, type KubeObjectOf } from '../src/kube/kinds.js';
import { loadSource } from '../src/kube/sources.js';
import { defaultInterner } from '../src/kube/transform.js';
import { type FloorResult, listFloor } from './lib/list-floor.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');

interface Scenario {
  id: '5k' | '100k';
  label: string;
  args: string[];
  /** Trimmed runs (the median sync time is reported); the identity transform runs once. */
  runs: number;
  targetSyncMs: number;
}

const SCENARIOS: Scenario[] = [
  {
    id: '5k',
    label: '50 nodes / 5,000 pods / 5,000 jobs',
    args: ['--nodes', '50', '--pods', '5000', '--jobs', '5000', '--namespaces', '20'],
    runs: 3,
    targetSyncMs: 3_000,
  },
  {
    id: '100k',
    label: '1,000 nodes / 100,000 pods (≤ 3,000 per namespace)',
    args: [
      '--nodes',
      '1000',
      '--pods',
      '100000',
      '--jobs',
      '1000',
      '--namespaces',
      '40',
      '--max-pods-per-namespace',
      '3000',
    ],
    runs: 2,
    targetSyncMs: 60_000,
  },
];

type Mode = 'trimmed' | 'identity' | 'floor';

/** What a floor child reports: the bare client's fetch+parse of the pod LIST (lib/list-floor.ts). */
interface FloorMeasurement extends FloorResult {
  mode: 'floor';
  peakRssBytes: number;
}

/** The bare client's pass over every page of the pod LIST, with the reflector's page size. */
async function measureFloor(kubeconfig: string, pageSize: number): Promise<FloorMeasurement> {
  const spec = loadSource({ type: 'kubeconfig', path: kubeconfig }, { cache: true })[0];
  await gcHard();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 5);
  const result = await listFloor(spec.kubeconfig, '/api/v1/pods', pageSize);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
  await spec.kubeconfig.closePool();
  return { mode: 'floor', ...result, peakRssBytes: peakRss };
}

/** What one measuring child reports. */
interface Measurement {
  mode: Mode;
  syncMs: number;
  syncMsByKind: Record<KindName, number>;
  peakRssBytes: number;
  /** RSS once the modules are loaded, before the informers start (tsx and client-node alone weigh ~190 MB). */
  rssBeforeSyncBytes: number;
  objects: Record<KindName, number>;
  /** Heap kept by the whole mirror (every kind, indexes, aggregates), after GC. */
  mirrorHeapBytes: number;
  /** Heap freed by dropping the pod store, its indexes, the aggregates and the pods, after GC. */
  podHeapBytes: number;
  /** The part of it that is the pod objects themselves (and values only they intern). */
  podObjectHeapBytes: number;
  /** The part of it that is the store's map, the five pod indexes and the aggregates. */
  podIndexHeapBytes: number;
  pods: number;
}

// ---------------------------------------------------------------- measuring child

async function gcHard(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (npx tsx --expose-gc bench/informer-sync.ts)');
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

async function measure(kubeconfig: string, mode: Mode, pageSize: number): Promise<Measurement> {
  const spec = loadSource({ type: 'kubeconfig', path: kubeconfig }, { cache: true })[0];
  const client = new ClusterClient(spec.kubeconfig);
  const hub = new EventHub();
  await gcHard();
  const heapBase = process.memoryUsage().heapUsed;

  let aggregates: PodAggregates | undefined = new PodAggregates();
  const identity = <T>(obj: T): T => obj;
  let informers: (Informer<KindName> | undefined)[] = KIND_NAMES.map(
    (kind) =>
      new Informer({
        cluster: 'bench',
        kind,
        client,
        hub,
        aggregates: kind === 'Pod' ? aggregates : undefined,
        reflector: { pageSize },
        transform:
          mode === 'identity'
            ? (identity as (o: KubeObjectOf<KindName>) => KubeObjectOf<KindName>)
            : undefined,
      }) as Informer<KindName>,
  );

  const rssBefore = process.memoryUsage.rss();
  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 5);
  const started = performance.now();
  for (const informer of informers) informer!.start();
  const byKind = await Promise.all(
    informers.map(async (informer) => {
      await informer!.waitForSync();
      return [informer!.kind, Math.round(performance.now() - started)] as const;
    }),
  );
  const syncMs = Math.round(performance.now() - started);
  clearInterval(sampler);
  // The sampler cannot run while a page is being stored synchronously; the kernel's
  // high-water mark of this (fresh) process catches what it missed.
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);

  const objects = Object.fromEntries(informers.map((i) => [i!.kind, i!.store.size])) as Record<
    KindName,
    number
  >;
  await Promise.all(informers.map((i) => i!.stop()));
  await spec.kubeconfig.closePool();

  await gcHard();
  const heapAll = process.memoryUsage().heapUsed;
  // Take the pods apart in two steps. First the informer (store and indexes) and the
  // aggregates go, the pod objects stay: what is freed is the cost of indexing them.
  const pod = KIND_NAMES.indexOf('Pod');
  let podObjects: unknown[] | undefined = informers[pod]!.store.list();
  informers = informers.map((informer, i) => (i === pod ? undefined : informer));
  aggregates = undefined;
  await gcHard();
  const heapObjectsOnly = process.memoryUsage().heapUsed;
  // Then the objects themselves, with the interned values no other kind still references.
  const pods = podObjects.length;
  podObjects = undefined;
  defaultInterner.clear();
  await gcHard();
  const heapWithoutPods = process.memoryUsage().heapUsed;

  return {
    mode,
    syncMs,
    syncMsByKind: Object.fromEntries(byKind) as Record<KindName, number>,
    peakRssBytes: peakRss,
    objects,
    rssBeforeSyncBytes: rssBefore,
    mirrorHeapBytes: heapAll - heapBase,
    podHeapBytes: heapAll - heapWithoutPods,
    podObjectHeapBytes: heapObjectsOnly - heapWithoutPods,
    podIndexHeapBytes: heapAll - heapObjectsOnly,
    pods,
  };
}

// ---------------------------------------------------------------- orchestration

/** Spawns `command` in its own process group and resolves with the first stdout line matching `ready`. */
function spawnAndWait(
  command: string,
  args: string[],
  ready: RegExp,
  timeoutMs: number,
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      stop(child);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${ready} from ${command}\n${err}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = out.match(ready);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, match });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before it was ready\n${out}\n${err}`));
    });
  });
}

/** Ends a child we started and its descendants (npx → tsx → node), by its process group id. */
function stop(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

async function startSimulator(scenario: Scenario, kubeconfig: string) {
  const started = Date.now();
  // KUBEGATE_BENCH_CPU_PROF=DIR: the simulator writes a profile there too when it stops
  // (its build first, then its serving: the file's samples carry their times).
  const profileDir = process.env.KUBEGATE_BENCH_CPU_PROF;
  const profiling = profileDir
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${profileDir}`,
        `--cpu-prof-name=informer-sync-simulator-${scenario.id}.cpuprofile`,
      ]
    : [];
  const { child, match } = await spawnAndWait(
    process.execPath,
    [
      ...profiling,
      '--import',
      'tsx',
      'src/simulator/cli.ts',
      ...scenario.args,
      '--churn',
      '0',
      '--port',
      '0',
      '--kubeconfig-out',
      kubeconfig,
    ],
    /listening on (\S+) \(built in (\d+) ms: (.*)\)\n/,
    300_000,
  );
  return { child, url: match[1], counts: JSON.parse(match[3]), readyMs: Date.now() - started };
}

let profiles = 0;

/**
 * What every measuring child of one run shares, floor and sync alike: the LIST's page size
 * (`--page-size`, default the reflector's 500) and extra V8 flags (`--v8 "--max-semi-space-size=64"`).
 */
const settings = { pageSize: 500, v8: [] as string[] };

/**
 * One measurement in a fresh child. KUBEGATE_BENCH_CPU_PROF=DIR: the child writes a V8 CPU
 * profile there (`informer-sync-<mode>-<n>.cpuprofile`) when it exits.
 */
async function runMeasurement(kubeconfig: string, mode: 'floor'): Promise<FloorMeasurement>;
async function runMeasurement(kubeconfig: string, mode: 'trimmed' | 'identity'): Promise<Measurement>;
async function runMeasurement(kubeconfig: string, mode: Mode): Promise<Measurement | FloorMeasurement> {
  const self = fileURLToPath(import.meta.url);
  const execArgv = process.execArgv.includes('--expose-gc')
    ? [...process.execArgv]
    : [...process.execArgv, '--expose-gc'];
  const profileDir = process.env.KUBEGATE_BENCH_CPU_PROF;
  if (profileDir) {
    mkdirSync(profileDir, { recursive: true });
    execArgv.push(
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      `--cpu-prof-name=informer-sync-${mode}-${++profiles}.cpuprofile`,
    );
  }
  const { child, match } = await spawnAndWait(
    process.execPath,
    [
      ...execArgv,
      '--max-old-space-size=8192',
      ...settings.v8,
      self,
      '--worker',
      JSON.stringify({ kubeconfig, mode, pageSize: settings.pageSize }),
    ],
    /^RESULT (.*)$/m,
    600_000,
  );
  // The child exits by itself once it has printed; a profile is written as it exits.
  await new Promise<void>((resolveExit) => {
    if (child.exitCode !== null) return resolveExit();
    const timer = setTimeout(() => {
      stop(child);
      resolveExit();
    }, 60_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit();
    });
  });
  return JSON.parse(match[1]) as Measurement | FloorMeasurement;
}

const MB = 1024 * 1024;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

interface ScenarioResult {
  scenario: string;
  label: string;
  simulator: { counts: Record<string, number>; readyMs: number };
  trimmed: Measurement[];
  /** The bare client's runs, alternated with the trimmed ones (same count). */
  floor: FloorMeasurement[];
  identity?: Measurement;
  summary: Summary;
}

interface Summary {
  runs: number;
  syncMsMedian: number;
  /** The Pod informer's own sync (what the floor is comparable with). */
  podSyncMsMedian: number;
  floorMsMedian: number;
  /** Median over runs of (Pod sync / floor of the same pair): target ≤ 1.25. */
  podSyncOverFloorMedian: number;
  /** Median over runs of (whole sync, all kinds / floor). */
  syncOverFloorMedian: number;
  floorPeakRssMB: number;
  targetSyncMs: number;
  peakRssMB: number;
  rssBeforeSyncMB: number;
  /** Steady heap per 10,000 pods: objects + store/indexes/aggregates (and their split). */
  heapPer10kPodsMB: { trimmed: number; trimmedObjects: number; trimmedIndexes: number; identity?: number };
  heapPerPodBytes: { trimmed: number; trimmedObjects: number; identity?: number };
  /** Everything the mirror keeps (all four kinds) divided by the pods, per 10,000. */
  mirrorHeapPer10kPodsMB: { trimmed: number; identity?: number };
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));

function summarise(
  scenario: Scenario,
  trimmed: Measurement[],
  floor: FloorMeasurement[],
  identity: Measurement | undefined,
): Summary {
  const perPod = (m: Measurement, bytes: (m: Measurement) => number) => bytes(m) / m.pods;
  const trimmedPerPod = (bytes: (m: Measurement) => number) => median(trimmed.map((m) => perPod(m, bytes)));
  const per10kMB = (bytesPerPod: number) => round((bytesPerPod * 10_000) / MB);
  return {
    runs: trimmed.length,
    syncMsMedian: median(trimmed.map((m) => m.syncMs)),
    podSyncMsMedian: median(trimmed.map((m) => m.syncMsByKind.Pod)),
    floorMsMedian: median(floor.map((f) => f.ms)),
    podSyncOverFloorMedian: round(median(trimmed.map((m, i) => m.syncMsByKind.Pod / floor[i].ms)), 2),
    syncOverFloorMedian: round(median(trimmed.map((m, i) => m.syncMs / floor[i].ms)), 2),
    floorPeakRssMB: round(Math.max(...floor.map((f) => f.peakRssBytes)) / MB),
    targetSyncMs: scenario.targetSyncMs,
    peakRssMB: round(Math.max(...trimmed.map((m) => m.peakRssBytes)) / MB),
    rssBeforeSyncMB: round(median(trimmed.map((m) => m.rssBeforeSyncBytes)) / MB),
    heapPer10kPodsMB: {
      trimmed: per10kMB(trimmedPerPod((m) => m.podHeapBytes)),
      trimmedObjects: per10kMB(trimmedPerPod((m) => m.podObjectHeapBytes)),
      trimmedIndexes: per10kMB(trimmedPerPod((m) => m.podIndexHeapBytes)),
      identity: identity && per10kMB(perPod(identity, (m) => m.podHeapBytes)),
    },
    heapPerPodBytes: {
      trimmed: Math.round(trimmedPerPod((m) => m.podHeapBytes)),
      trimmedObjects: Math.round(trimmedPerPod((m) => m.podObjectHeapBytes)),
      identity: identity && Math.round(perPod(identity, (m) => m.podHeapBytes)),
    },
    mirrorHeapPer10kPodsMB: {
      trimmed: per10kMB(trimmedPerPod((m) => m.mirrorHeapBytes)),
      identity: identity && per10kMB(perPod(identity, (m) => m.mirrorHeapBytes)),
    },
  };
}

const ok = (pass: boolean) => (pass ? '✅' : '❌');

function table(results: ScenarioResult[]): string {
  const rows = [
    '| scenario | first sync, median (target) | Pod sync / floor, median of pairs (target ≤ 1.25×) | peak RSS during sync (before; target < 1 GB) | heap / 10k pods, trimmed: objects + indexes | per trimmed pod: object / with indexes (target ≤ 3 KB) | heap / 10k pods, identity transform | whole mirror / 10k pods, trimmed / identity |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const s = r.summary;
    const h = s.heapPer10kPodsMB;
    const p = s.heapPerPodBytes;
    rows.push(
      [
        `| ${r.label}`,
        `${(s.syncMsMedian / 1000).toFixed(2)} s of ${s.runs} (< ${s.targetSyncMs / 1000} s) ${ok(s.syncMsMedian < s.targetSyncMs)}`,
        `${(s.podSyncMsMedian / 1000).toFixed(2)} s / ${(s.floorMsMedian / 1000).toFixed(2)} s = ${s.podSyncOverFloorMedian}× ${ok(s.podSyncOverFloorMedian <= 1.25)} (all kinds ${s.syncOverFloorMedian}×)`,
        `${s.peakRssMB} MB (${s.rssBeforeSyncMB} MB) ${ok(s.peakRssMB < 1024)}`,
        `${h.trimmed} MB = ${h.trimmedObjects} + ${h.trimmedIndexes} MB`,
        `${(p.trimmedObjects / 1024).toFixed(2)} KB ${ok(p.trimmedObjects <= 3072)} / ${(p.trimmed / 1024).toFixed(2)} KB ${ok(p.trimmed <= 3072)}`,
        p.identity === undefined
          ? 'not run'
          : `${h.identity} MB (${(p.identity / 1024).toFixed(1)} KB per pod)`,
        `${s.mirrorHeapPer10kPodsMB.trimmed} / ${s.mirrorHeapPer10kPodsMB.identity} MB |`,
      ].join(' | '),
    );
  }
  return rows.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      worker: { type: 'string' },
      only: { type: 'string' },
      runs: { type: 'string' },
      'no-identity': { type: 'boolean' },
      'page-size': { type: 'string' },
      v8: { type: 'string' },
      kubeconfig: { type: 'string' },
    },
  });
  if (values.worker) {
    const { kubeconfig, mode, pageSize } = JSON.parse(values.worker) as {
      kubeconfig: string;
      mode: Mode;
      pageSize: number;
    };
    const result =
      mode === 'floor' ? await measureFloor(kubeconfig, pageSize) : await measure(kubeconfig, mode, pageSize);
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    process.exit(0);
  }

  if (values['page-size']) settings.pageSize = Number(values['page-size']);
  if (values.v8) settings.v8 = values.v8.split(/[\s,]+/).filter(Boolean);
  const scenarios = SCENARIOS.filter((s) => !values.only || s.id === values.only);
  if (scenarios.length === 0) throw new Error(`--only: expected 5k or 100k, received "${values.only}"`);
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-bench-'));
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of scenarios) {
      const kubeconfig = join(dir, `${scenario.id}.kubeconfig`);
      process.stderr.write(`${scenario.label}: starting the simulator...\n`);
      // --kubeconfig PATH: a simulator already running with the scenario's arguments (one
      // 100k build serves many runs while tuning); otherwise one is started for the scenario.
      const sim = values.kubeconfig
        ? { child: undefined, counts: {}, readyMs: 0 }
        : await startSimulator(scenario, kubeconfig);
      const target = values.kubeconfig ?? kubeconfig;
      try {
        const runs = values.runs ? Number(values.runs) : scenario.runs;
        const trimmed: Measurement[] = [];
        const floor: FloorMeasurement[] = [];
        // The machine may be shared: each run is a pair (floor, sync), alternating which goes
        // first, and ratios are taken within a pair.
        for (let i = 0; i < runs; i++) {
          const floorRun = () => runMeasurement(target, 'floor').then((f) => floor.push(f));
          const syncRun = () => runMeasurement(target, 'trimmed').then((m) => trimmed.push(m));
          if (i % 2 === 0) await floorRun().then(syncRun);
          else await syncRun().then(floorRun);
          const m = trimmed[i];
          const f = floor[i];
          process.stderr.write(
            `  run ${i + 1}: floor ${f.ms} ms (${f.pages} pages, ${Math.round(f.bytes / 1024 / 1024)} MB, parse ${f.parseMs} ms), sync ${m.syncMs} ms (Pod ${m.syncMsByKind.Pod} ms, ${(m.syncMsByKind.Pod / f.ms).toFixed(2)}×), peak RSS ${Math.round(m.peakRssBytes / 1024 / 1024)} MB, load ${loadavg()[0].toFixed(2)}\n`,
          );
        }
        const identity = values['no-identity'] ? undefined : await runMeasurement(target, 'identity');
        if (identity) process.stderr.write(`  identity: ${JSON.stringify(identity)}\n`);
        results.push({
          scenario: scenario.id,
          label: scenario.label,
          simulator: { counts: sim.counts, readyMs: sim.readyMs },
          trimmed,
          floor,
          identity,
          summary: summarise(scenario, trimmed, floor, identity),
        });
      } finally {
        if (sim.child) stop(sim.child);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const environment = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    loadavgAtEnd: loadavg().map((x) => Number(x.toFixed(2))),
  };
  const markdown = `# Informer sync\n\n${table(results)}\n\n- first sync: from starting the four informers (Namespace, Node, Pod, Job) to all of them synced (paged LIST of 500, transform, indexes, aggregates, hub).\n- peak RSS: of the measuring process during sync (its kernel high-water mark; the simulator runs in another process); in brackets its RSS before the informers start (tsx and client-node loaded).\n- heap per pod: heap freed after GC by dropping the Pod informer; "indexes" is its store map, five indexes (namespace, node, owner UID, job, labels) and the pod aggregates, "objects" the trimmed pods themselves with the values only they intern. Whole mirror: all four kinds, from before the informers started, divided by the pods.\n- identity: the same informers with an identity transform (client-node's deserialized objects stored as they come).\n- ${environment.node}, ${environment.cpus}, load average at the end ${environment.loadavgAtEnd.join(' / ')}; ${environment.date}.\n`;
  // Only a full run (every scenario, its runs, the identity transform, a simulator of its own,
  // default page size and flags) replaces the committed figures; any other run is printed
  // only (session 19's side-by-side runs overwrote them with a one-run table).
  const full =
    !values.only &&
    !values.runs &&
    !values['no-identity'] &&
    !values.kubeconfig &&
    !values['page-size'] &&
    !values.v8;
  if (full) {
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(
      join(RESULTS, 'informer-sync.json'),
      `${JSON.stringify({ environment, results }, null, 2)}\n`,
    );
    writeFileSync(join(RESULTS, 'informer-sync.md'), markdown);
  }
  process.stdout.write(
    `${markdown}\n${full ? '' : '(a partial run: bench/results/informer-sync.* left as they were)\n'}`,
  );
}

await main();
