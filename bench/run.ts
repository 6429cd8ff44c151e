/**
 * `npm run bench [-- --quick | --tiny | --sizes S,L | --out DIR ...]`: kubegate side by
 * side with the ceiling of its HTTP layer (A), itself without cache (C) and kubectl (D),
 * and itself answering as users authorised from the cluster's RBAC (R), on a simulated
 * cluster of size S and L. Writes `<out>/<date>-<mode>.json`,
 * `<out>/latest.json`, `<out>/latency.svg`, and RESULTS.md (bench/RESULTS.md by default,
 * `<out>/RESULTS.md` with --out). Every child process is stopped at the end, even on failure.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatewayExtraFlags } from './lib/build.js';
import { latencySvg } from './lib/chart.js';
import { killChildrenOnExit, stopAll } from './lib/children.js';
import { type BenchConfig, parseBenchArgs, USAGE } from './lib/config.js';
import { runFleet } from './lib/fleet.js';
import {
  coreSpeeds,
  describeCores,
  HARNESS_SEMI_SPACE,
  harnessFlags,
  kubectlVersion,
  machineInfo,
  versions,
} from './lib/machine.js';
import { loadOperations, loadSchema, subscriptionDocument } from './lib/operations.js';
import { resultsMarkdown } from './lib/report.js';
import type { BenchResults } from './lib/results.js';
import { runSize } from './lib/size-run.js';
import { evaluateTargets } from './lib/targets.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) =>
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(): Promise<number> {
  let config: BenchConfig | 'help';
  try {
    config = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (config === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (config.render) {
    // Re-renders RESULTS.md and the chart from a results file (targets evaluated again).
    const results = JSON.parse(readFileSync(config.render, 'utf8')) as BenchResults;
    results.targets = evaluateTargets(results);
    log(`wrote ${writeOutputs(results, config.out, false).join(', ')}`);
    return 0;
  }
  killChildrenOnExit();
  const schema = loadSchema(ROOT);
  const operations = loadOperations(ROOT, schema);
  const subscription = subscriptionDocument(schema);
  const started = new Date();
  const machine = machineInfo();
  // The same work pinned to each core (~1 s): see bench/results/uneven-cores.md.
  const coreMs = coreSpeeds(1)?.map((ms) => ms[0]);
  if (coreMs) machine.coreMs = coreMs;
  const workDir = mkdtempSync(join(tmpdir(), 'kubegate-bench-'));
  const logDir = join(workDir, 'logs');
  mkdirSync(logDir);
  log(
    `mode ${config.mode}, sizes ${config.sizes.map((s) => s.name).join(',')}, systems ${config.systems.join(',')}`,
  );
  log(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverageAtStart.join(' ')}; logs in ${logDir}`,
  );
  if (coreMs) log(`cores: ${describeCores(coreMs)}`);
  if (!harnessFlags().includes(HARNESS_SEMI_SPACE))
    log(
      `the harness runs without ${HARNESS_SEMI_SPACE} (npm run bench sets it): its own GC may show in the subscription rows`,
    );
  const gatewayFlags = gatewayExtraFlags();
  if (gatewayFlags.length)
    log(`the gateway runs with KUBEGATE_BENCH_GATEWAY_FLAGS too: ${gatewayFlags.join(' ')}`);

  let kubectl = 'not run';
  const sizes: BenchResults['sizes'] = [];
  try {
    for (const size of config.sizes) {
      sizes.push(
        await (size.clusters ? runFleet : runSize)(size, {
          config,
          root: ROOT,
          logDir,
          workDir,
          operations,
          subscription,
          log: (line) => {
            log(line);
            if (kubectl === 'not run' && line.includes('variables:') && config.systems.includes('D')) {
              kubectl = kubectlVersion(join(workDir, `simulator-${size.name}.kubeconfig`));
            }
          },
        }),
      );
    }
  } finally {
    await stopAll();
  }

  const finished = new Date();
  const results: BenchResults = {
    format: 1,
    mode: config.mode,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: Math.round((finished.getTime() - started.getTime()) / 1000),
    machine: { ...machine, loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) },
    versions: versions(ROOT, kubectl),
    ...(gatewayFlags.length ? { gatewayFlags } : {}),
    harnessFlags: harnessFlags(),
    settings: {
      connections: config.load.connections,
      durationSeconds: config.load.durationSeconds,
      warmupSeconds: config.load.warmupSeconds,
      runs: config.load.runs,
      kubectlRuns: config.kubectlRuns,
      churnPerSecond: config.churn,
      seed: config.seed,
      subscribers: config.subscribers,
      subscriptionEvents: config.subscriptionEvents,
      fanout: config.fanout,
      slowThresholdMs: config.load.slowThresholdMs,
    },
    operations: operations.map(({ id, file, title }) => ({ id, file, title })),
    sizes,
    targets: [],
  };
  results.targets = evaluateTargets(results);

  const written = writeOutputs(results, config.out, true);
  // KUBEGATE_BENCH_KEEP_LOGS=1 keeps the work directory: every child's log (a gateway run
  // with KUBEGATE_BENCH_GATEWAY_FLAGS=--trace-gc writes its GC lines there).
  if (process.env.KUBEGATE_BENCH_KEEP_LOGS === '1') log(`kept ${logDir}`);
  else rmSync(workDir, { recursive: true, force: true });
  log(`wrote ${written.join(', ')} in ${results.durationSeconds} s`);
  for (const t of results.targets) {
    log(
      `target ${t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED'} [${t.size}] ${t.target}: ${t.figure}`,
    );
  }
  const failed = sizes.flatMap((s) => s.errors);
  if (failed.length) log(`${failed.length} error(s) during the run; see the results`);
  return 0;
}

/** The dated JSON's name: `<start, to the second>-<mode>.json`. */
function jsonNameOf(results: BenchResults): string {
  return `${results.startedAt.slice(0, 19).replace(/:/g, '-')}-${results.mode}.json`;
}

/**
 * Writes RESULTS.md and latency.svg (and, for a fresh run, the dated JSON and latest.json)
 * to `out`, or to bench/results and bench/RESULTS.md.
 */
function writeOutputs(results: BenchResults, out: string | null, withJson: boolean): string[] {
  const outDir = out ? resolve(out) : join(ROOT, 'bench/results');
  const mdPath = out ? join(outDir, 'RESULTS.md') : join(ROOT, 'bench/RESULTS.md');
  mkdirSync(outDir, { recursive: true });
  const jsonName = jsonNameOf(results);
  const written: string[] = [];
  if (withJson) {
    const json = `${JSON.stringify(results, null, 2)}\n`;
    writeFileSync(join(outDir, jsonName), json);
    writeFileSync(join(outDir, 'latest.json'), json);
    written.push(join(outDir, jsonName), join(outDir, 'latest.json'));
  }
  writeFileSync(join(outDir, 'latency.svg'), latencySvg(results));
  const rel = (p: string) => relative(dirname(mdPath), p) || p;
  writeFileSync(
    mdPath,
    resultsMarkdown(
      results,
      rel(join(outDir, 'latency.svg')),
      rel(join(outDir, jsonName)),
      existsSync(join(outDir, 'informer-sync.md')) ? rel(join(outDir, 'informer-sync.md')) : undefined,
      lastFleet(outDir, rel),
    ),
  );
  written.push(join(outDir, 'latency.svg'), mdPath);
  return written;
}

/** The newest fleet run kept beside the results (bench/results/fleet), if any. */
function lastFleet(outDir: string, rel: (p: string) => string) {
  const dir = join(outDir, 'fleet');
  if (!existsSync(join(dir, 'RESULTS.md'))) return undefined;
  const runs = readdirSync(dir)
    .filter((f) => /^\d{4}-.*\.json$/.test(f))
    .sort();
  if (runs.length === 0) return undefined;
  const results = JSON.parse(readFileSync(join(dir, runs[runs.length - 1]), 'utf8')) as BenchResults;
  return { markdownPath: rel(join(dir, 'RESULTS.md')), results };
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
    await stopAll();
    process.exit(1);
  },
);
