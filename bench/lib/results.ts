/** The shape of `bench/results/*.json`: what a run measured, and what the report is built from. */
import type { AttackFigures } from './attack.js';
import type { NodeMemory } from './children.js';
import type { BenchConfig, SystemId } from './config.js';
import type { FleetFigures } from './fleet.js';
import type { CellResult } from './load.js';
import type { MachineInfo, Versions } from './machine.js';
import type { OperationId } from './operations.js';
import type { RbacFigures } from './rbac.js';
import type { SubscriptionFigures } from './subscriptions.js';
import type { QueryVariables, SizeSpec } from './upstream.js';

export interface SyncFigures {
  /** What the gateway reports: from listening to every informer synced. */
  firstSyncMs: number;
  /** From spawning the gateway process to that line (module loading included). */
  spawnToReadyMs: number;
  /** Peak resident set size of the gateway process up to the moment it synced (VmHWM). */
  peakRssDuringSyncBytes: number | null;
  /**
   * The floor (issue #16): a bare client fetching and `JSON.parse`-ing every page (page size
   * 500) of every LIST the gateway's first sync makes (`kinds`, in its order), one after the
   * other, from the same simulator, just before the gateway started (lib/list-floor.ts).
   * `pods` is the pod LIST's part of it. Null when it failed.
   */
  floor?: {
    ms: number;
    pages: number;
    bytes: number;
    parseMs: number;
    kinds?: string[];
    pods?: { ms: number; pages: number; bytes: number; parseMs: number };
  } | null;
}

export interface MemoryFigures {
  pods: number;
  /** B after sync and a full GC. */
  cache: NodeMemory;
  /** C (same code, no informers) after start and a full GC: the baseline. */
  noCache: NodeMemory | null;
  rssPer10kPodsBytes: number;
  heapPer10kPodsBytes: number;
  /** (heap of B − heap of C) / pods: what the cache costs per pod (nodes and jobs included). */
  cacheHeapPerPodBytes: number | null;
  /** Heap of B / pods, everything counted. */
  totalHeapPerPodBytes: number;
}

export interface Ratios {
  /** Requests/s of B on the operation over requests/s of A on `{ hello }`. */
  BoverA_rps: number | null;
  /** p50 of C over p50 of B: how many times faster B answers. */
  CoverB_p50: number | null;
  /** Requests/s of B over requests/s of C. */
  BoverC_rps: number | null;
  /** p50 of D over p50 of B. */
  DoverB_p50: number | null;
}

export interface FloorFigures {
  id: OperationId | 'hello';
  samples: number;
  /** B's p50 (ms): one request at a time over loopback HTTP, the answer read to its end. */
  bP50Ms: number;
  bP99Ms: number;
  /** The floor's p50 (ms): the plain function and JSON.stringify. */
  floorP50Ms: number;
  /** bP50Ms / floorP50Ms. */
  ratio: number;
  /** Requests per second one core would serve at the floor's p50. */
  floorRps: number;
  responseBytes: number;
  /**
   * A bare Node HTTP server in the same process sending the same answer's bytes, over the same
   * client, timed in the same rounds (p50, ms): what HTTP alone costs for that answer. Absent
   * in runs before session 48; NaN when B was not timed.
   */
  rawHttpP50Ms?: number;
}

export interface SizeResult {
  size: SizeSpec;
  simulator: { buildMs: number; podsAtStart: number };
  cluster: string;
  variables: QueryVariables | null;
  /** System A answers `{ hello }`: one cell per size, the ceiling for every operation. */
  ceiling: CellResult | null;
  /**
   * Q1 B/A by requests/s in alternating pairs (A, B, B, A, ...) with A and B up at once, as
   * bench/q1-ratio.ts measures it: a busy machine charges both sides of each pair alike. The
   * ceiling cell above is measured once, minutes before B's. Absent when A or B did not run.
   */
  q1Pairs?: {
    ratios: number[];
    median: number;
    secondsEach: number;
    /**
     * Per pair, A's CPU per request over B's (each process's /proc CPU over its window's
     * requests; B's includes its informers' work on the churn): 1 means a Q1 costs B what a
     * `{ hello }` costs A. Absent in runs before it was measured.
     */
    cpuRatios?: number[];
    cpuMedian?: number;
  } | null;
  cells: Partial<Record<Exclude<SystemId, 'A' | 'R'>, Partial<Record<OperationId, CellResult>>>>;
  kubectlNotes: Partial<Record<OperationId, string>>;
  sync: SyncFigures | null;
  memory: MemoryFigures | null;
  subscriptions: { available: boolean; reason?: string; results: SubscriptionFigures[] };
  ratios: Partial<Record<OperationId, Ratios>>;
  /** The honest client alone and under each attack class (B with auth); absent when not run. */
  attack?: AttackFigures | null;
  /** System R: B as RBAC users, its compile time and revocation delay; absent when not run. */
  rbac?: RbacFigures | null;
  /**
   * B's single-request p50 on Q2 and Q3 beside their floor (bench/lib/floor.ts), both timed
   * in one process (bench/floor.ts); absent when B did not run, null when it failed.
   */
  floor?: FloorFigures[] | null;
  /** The fleet size's figures (bench/lib/fleet.ts); absent at the other sizes. */
  fleet?: FleetFigures;
  /** Failures that stopped part of this size's measurements. */
  errors: string[];
}

export interface TargetResult {
  target: string;
  size: string;
  /** null: not measured in this run. */
  met: boolean | null;
  figure: string;
}

export interface BenchResults {
  format: 1;
  mode: BenchConfig['mode'];
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: MachineInfo & { loadAverageAtEnd: number[] };
  versions: Versions;
  /** Flags the gateway ran with beside the image's (KUBEGATE_BENCH_GATEWAY_FLAGS); absent: none. */
  gatewayFlags?: string[];
  /** The harness's own Node/V8 flags (`npm run bench` sets them; see harnessFlags). */
  harnessFlags?: string[];
  settings: {
    connections: number;
    durationSeconds: number;
    warmupSeconds: number;
    runs: number;
    kubectlRuns: number;
    churnPerSecond: number;
    seed: number;
    subscribers: number[];
    subscriptionEvents: number;
    /** WebSocket subscribers of the fan-out row (0: none); absent in results from before it. */
    fanout?: number;
    slowThresholdMs: number;
  };
  operations: { id: OperationId; file: string; title: string }[];
  sizes: SizeResult[];
  targets: TargetResult[];
}
