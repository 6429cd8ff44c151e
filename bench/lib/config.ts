/**
 * `npm run bench -- [options]`: the modes (full, --quick, --tiny), the cluster sizes and
 * every knob, with the defaults each mode gives them.
 */
import { parseArgs } from 'node:util';
import type { LoadSettings } from './load.js';
import type { SizeSpec } from './upstream.js';

export const SIZES: Record<string, SizeSpec> = {
  S: { name: 'S', nodes: 50, pods: 5_000, jobs: 5_000, namespaces: 20 },
  // The issue fixes nodes, pods and the per-namespace cap; 10,000 jobs is our choice.
  L: { name: 'L', nodes: 1_000, pods: 100_000, jobs: 10_000, namespaces: 40, maxPodsPerNamespace: 3_000 },
  T: { name: 'T', nodes: 3, pods: 30, jobs: 6, namespaces: 2 },
  // The fleet's path in miniature (4 clusters of T, 2 per process), for a quick check of it.
  FT: { name: 'FT', nodes: 3, pods: 30, jobs: 6, namespaces: 2, clusters: 4, clustersPerProcess: 2 },
  // Issue #16's fleet: 50 clusters of 20,000 pods (nodes and jobs in L's proportions, 200 and
  // 2,000), 10 clusters per simulator process (one such process measured 1.26 GB RSS once
  // built, 107 s to build). About 15 minutes: run only when asked (`--sizes fleet`).
  FLEET: {
    name: 'fleet',
    nodes: 200,
    pods: 20_000,
    jobs: 2_000,
    namespaces: 20,
    maxPodsPerNamespace: 3_000,
    clusters: 50,
    clustersPerProcess: 10,
  },
};

export type Mode = 'full' | 'quick' | 'tiny';
/**
 * A: the ceiling; B: kubegate with caches, open; C: `--no-cache`; D: kubectl; R: B answering
 * as identities authorised from the cluster's RBAC (bench/lib/rbac.ts), next to B.
 */
export const SYSTEMS = ['A', 'B', 'C', 'D', 'R'] as const;
export type SystemId = (typeof SYSTEMS)[number];

/** System R's knobs. */
export interface RbacSettings {
  /** Namespaces the "many" user is bound in (every namespace of the scenario, then empty ones made for it). */
  manyNamespaces: number;
  /** RoleBindings for other subjects added before the second compile-time measurement. */
  otherBindings: number;
  /** compileAccess runs per user and measurement (after as many again of warm-up), and the time that bounds them. */
  compileRuns: number;
  compileBudgetMs: number;
  /** Revocation runs per transport. */
  revocationRuns: number;
}

export interface BenchConfig {
  mode: Mode;
  sizes: SizeSpec[];
  systems: SystemId[];
  load: LoadSettings;
  /** Executions per kubectl cell, and the time budget per cell after the first. */
  kubectlRuns: number;
  kubectlBudgetMs: number;
  kubectlTimeoutMs: number;
  churn: number;
  seed: number;
  subscribers: number[];
  subscriptionEvents: number;
  /**
   * Subscribers of the WebSocket fan-out row (one identical operation), read against the
   * machine's floor for as many sockets measured in the same run; 0: no such row.
   */
  fanout: number;
  /** Measure the honest client under attack on B (bench/lib/attack.ts). */
  attack: boolean;
  rbac: RbacSettings;
  /** Where JSON, SVG and RESULTS.md go; null: bench/results and bench/RESULTS.md. */
  out: string | null;
  /** Only re-render RESULTS.md and the chart from this results JSON. */
  render: string | null;
}

export const USAGE = `usage: npm run bench -- [options]

  --quick              size S only, short runs (about three and a half minutes)
  --tiny               a 3-node cluster and one short run per system (what the test runs)
  --sizes S,L          sizes to run (S: 50 nodes/5,000 pods/5,000 jobs; L: 1,000 nodes/100,000 pods; T: tiny;
                       fleet: 50 clusters of 20,000 pods in one gateway, about 15 min, never by default)
  --systems A,B,C,D,R  systems to run (default all); R is B answering as RBAC users
                       (bound to view in 3 and in 1,000 namespaces), reported next to B
  --out DIR            write results JSON, SVG and RESULTS.md to DIR instead of bench/
  --render FILE        only re-render RESULTS.md and latency.svg from a results JSON
  --connections N      autocannon connections (default 10)
  --duration S         seconds per measured run (default 10; quick 1)
  --warmup S           seconds of warm-up per cell (default 3; quick 0.5)
  --runs N             measured runs per cell; figures are their median (default 3)
  --kubectl-runs N     timed kubectl executions per cell (default 3; tiny 1)
  --churn N            simulator changes per second (default 20; tiny 2)
  --subscribers LIST   subscriber counts for event latency (default 1,100,1000)
  --events N           timed events per subscription measurement (default 20; quick 5)
  --fanout N           WebSocket subscribers of the fan-out row, against the floor of one
                       write to each of N sockets (default 10000; quick 0: none; tiny 3).
                       Each process (bench, gateway, socket reader) then holds N sockets:
                       the open-file limit (ulimit -n) must exceed N + 1,000
  --rbac-namespaces N  namespaces R's second user is bound in (default 1000; tiny 12)
  --rbac-other-bindings N   RoleBindings for other subjects present for R's second
                       compile-time figure (default 10000; tiny 200)
  --no-attack          skip the honest client under attack (B with auth, alone and under
                       each attack class; on by default, off with --tiny unless --attack)
  --help               this text`;

function list(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function num(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--${name}: expected a positive number, received "${value}"`);
  return n;
}

export function parseBenchArgs(argv: string[]): BenchConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean' },
      tiny: { type: 'boolean' },
      sizes: { type: 'string' },
      systems: { type: 'string' },
      out: { type: 'string' },
      render: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      runs: { type: 'string' },
      'kubectl-runs': { type: 'string' },
      churn: { type: 'string' },
      subscribers: { type: 'string' },
      fanout: { type: 'string' },
      events: { type: 'string' },
      attack: { type: 'boolean' },
      'no-attack': { type: 'boolean' },
      'rbac-namespaces': { type: 'string' },
      'rbac-other-bindings': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  const mode: Mode = values.tiny ? 'tiny' : values.quick ? 'quick' : 'full';
  const d = {
    full: {
      sizes: 'S,L',
      duration: 10,
      warmup: 3,
      runs: 3,
      kubectlRuns: 3,
      events: 20,
      subscribers: '1,100,1000',
      fanout: 10_000,
      churn: 20,
      rbacNamespaces: 1_000,
      rbacOtherBindings: 10_000,
      compileRuns: 500,
      revocationRuns: 5,
    },
    quick: {
      sizes: 'S',
      duration: 1,
      warmup: 0.5,
      runs: 3,
      kubectlRuns: 2,
      events: 5,
      subscribers: '1,100,1000',
      fanout: 0,
      churn: 20,
      rbacNamespaces: 1_000,
      rbacOtherBindings: 10_000,
      compileRuns: 200,
      revocationRuns: 3,
    },
    tiny: {
      sizes: 'T',
      duration: 0.5,
      warmup: 0.2,
      runs: 1,
      kubectlRuns: 1,
      events: 2,
      subscribers: '1,2',
      fanout: 3,
      churn: 2,
      rbacNamespaces: 12,
      rbacOtherBindings: 200,
      compileRuns: 20,
      revocationRuns: 1,
    },
  }[mode];
  const sizes = (list(values.sizes) ?? list(d.sizes)!).map((name) => {
    const size = SIZES[name.toUpperCase()];
    if (!size) throw new Error(`--sizes: unknown size "${name}" (expected ${Object.keys(SIZES).join(', ')})`);
    return size;
  });
  const systems = (list(values.systems) ?? [...SYSTEMS]).map((s) => {
    const id = s.toUpperCase() as SystemId;
    if (!SYSTEMS.includes(id))
      throw new Error(`--systems: unknown system "${s}" (expected ${SYSTEMS.join(', ')})`);
    return id;
  });
  const subscribers = (list(values.subscribers) ?? list(d.subscribers)!).map((s) => num('subscribers', s, 1));
  const large = sizes.some((s) => s.pods * (s.clusters ?? 1) >= 50_000);
  return {
    mode,
    sizes,
    systems,
    load: {
      connections: num('connections', values.connections, 10),
      durationSeconds: num('duration', values.duration, d.duration),
      warmupSeconds: num('warmup', values.warmup, d.warmup),
      runs: Math.round(num('runs', values.runs, d.runs)),
      slowThresholdMs: 1_000,
      slowBudgetMs: mode === 'full' ? 60_000 : 3_000,
      requestTimeoutMs: large ? 300_000 : 60_000,
    },
    kubectlRuns: Math.round(num('kubectl-runs', values['kubectl-runs'], d.kubectlRuns)),
    kubectlBudgetMs: mode === 'full' ? 60_000 : 5_000,
    kubectlTimeoutMs: large ? 900_000 : 120_000,
    churn: num('churn', values.churn, d.churn),
    seed: 1,
    subscribers,
    subscriptionEvents: Math.round(num('events', values.events, d.events)),
    fanout: values.fanout === '0' ? 0 : Math.round(num('fanout', values.fanout, d.fanout)),
    attack: values['no-attack'] ? false : (values.attack ?? mode !== 'tiny'),
    rbac: {
      manyNamespaces: Math.round(num('rbac-namespaces', values['rbac-namespaces'], d.rbacNamespaces)),
      otherBindings: Math.round(
        num('rbac-other-bindings', values['rbac-other-bindings'], d.rbacOtherBindings),
      ),
      compileRuns: d.compileRuns,
      compileBudgetMs: mode === 'tiny' ? 500 : 5_000,
      revocationRuns: d.revocationRuns,
    },
    out: values.out ?? null,
    render: values.render ?? null,
  };
}
