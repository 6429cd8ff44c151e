/**
 * Churn: the background life of a cluster, so that watches have something to say.
 * At a configured rate it makes one realistic change at a time: pods get scheduled,
 * start, crash and recover, restart a container, finish, and finished pods are
 * replaced by their controller (a new name and uid, same owner); jobs are created (the
 * JobController runs them) and old finished ones are cleaned up with their pods; node
 * heartbeats move a timestamp; now and then a node stops reporting and comes back.
 *
 * Every change goes through the store, so it is a watch event like any other. Job pods
 * belong to the JobController and are left alone. The same seed and the same sequence
 * of ticks over the same store give the same changes (time comes from `now`).
 *
 * This file is the scheduler: the rate, the weighted choice of the next change, and the
 * counts. What it knows about the cluster is in churn/state.ts; the changes themselves
 * are in churn/pods.ts (a pod's life), churn/nodes.ts and churn/jobs.ts.
 */

import { jobCleanup, jobStart } from './churn/jobs.js';
import { splitKey } from './churn/key-pool.js';
import { heartbeat, nodeFlip, recoverDueNode } from './churn/nodes.js';
import { finish, recoverPod, replace, restart, schedule, startPod } from './churn/pods.js';
import { buildIndex, type ChurnContext, type PodClass } from './churn/state.js';
import type { EventRecorder } from './event-recorder.js';
import { isoTime, mulberry32, type RandomFn } from './scenario/index.js';
import { NodeAccounting } from './scheduler.js';
import { type SimStore, StoreError } from './store.js';

export interface IntervalClock {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface ChurnOptions {
  /** Changes per second while started. */
  ratePerSecond: number;
  seed: number;
  /** Where the interval comes from. Default the global timers. */
  clock?: IntervalClock;
  /** How often `start()` wakes up to make its share of changes. Default 100 ms. */
  intervalMs?: number;
  /** Timestamps written into objects. Default the wall clock. */
  now?: () => Date;
  /** Jobs are only created in namespaces holding fewer pods than this. */
  maxPodsPerNamespace?: number;
  /**
   * The scheduler's accounting, shared so that the churn places pods by the same fit
   * rule; the churn keeps one of its own while started when none is given.
   */
  accounting?: NodeAccounting;
  /** Where the kubelets' events about the churn's pods go (BackOff of a crash-looping container). */
  recorder?: EventRecorder;
}

export type ChurnAction =
  | 'schedule'
  | 'start'
  | 'finish'
  | 'replace'
  | 'restart'
  | 'recover'
  | 'heartbeat'
  | 'nodeFlip'
  | 'nodeRecover'
  | 'jobStart'
  | 'jobCleanup';

const WEIGHTS: [ChurnAction, number][] = [
  ['schedule', 3],
  ['start', 10],
  ['finish', 5],
  ['replace', 8],
  ['restart', 10],
  ['recover', 5],
  ['heartbeat', 40],
  ['nodeFlip', 1],
  ['jobStart', 4],
  ['jobCleanup', 4],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((n, [, w]) => n + w, 0);

const SYSTEM_CLOCK: IntervalClock = {
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export class Churn {
  /** How many changes of each kind were made. */
  readonly stats: Record<ChurnAction, number> = {
    schedule: 0,
    start: 0,
    finish: 0,
    replace: 0,
    restart: 0,
    recover: 0,
    heartbeat: 0,
    nodeFlip: 0,
    nodeRecover: 0,
    jobStart: 0,
    jobCleanup: 0,
  };
  private readonly random: RandomFn;
  private readonly now: () => Date;
  private readonly clock: IntervalClock;
  private readonly intervalMs: number;
  private context: ChurnContext | undefined;
  private timer: unknown;
  private ticks = 0;
  private carry = 0;

  constructor(
    private readonly store: SimStore,
    private readonly opts: ChurnOptions,
  ) {
    if (!(opts.ratePerSecond >= 0)) {
      throw new RangeError(`churn ratePerSecond must be >= 0, received ${opts.ratePerSecond}`);
    }
    this.random = mulberry32(opts.seed ^ 0x5eed);
    this.now = opts.now ?? (() => new Date());
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.intervalMs = opts.intervalMs ?? 100;
  }

  start(): void {
    if (this.timer !== undefined || this.opts.ratePerSecond === 0) return;
    this.timer = this.clock.setInterval(() => {
      this.carry += (this.opts.ratePerSecond * this.intervalMs) / 1000;
      const n = Math.floor(this.carry);
      this.carry -= n;
      if (n > 0) this.tick(n);
    }, this.intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearInterval(this.timer);
    this.timer = undefined;
    for (const unsubscribe of this.context?.index.unsubscribe ?? []) unsubscribe();
    if (this.context && !this.opts.accounting) this.context.accounting.close();
    this.context = undefined;
  }

  /** Makes `n` changes now. */
  tick(n = 1): void {
    const ctx = this.ensureContext();
    for (let i = 0; i < n; i++) {
      this.ticks += 1;
      let action: ChurnAction | undefined;
      try {
        action = recoverDueNode(ctx, this.ticks) ? 'nodeRecover' : this.randomAction(ctx);
      } catch (err) {
        // Someone else changed or deleted the object in between (the API, the job
        // controller, a namespace deletion): skip this change.
        if (!(err instanceof StoreError)) throw err;
      }
      if (action) this.stats[action] += 1;
    }
  }

  private ensureContext(): ChurnContext {
    this.context ??= {
      store: this.store,
      random: this.random,
      index: buildIndex(this.store),
      accounting: this.opts.accounting ?? new NodeAccounting(this.store),
      recorder: this.opts.recorder,
      nowIso: () => isoTime(this.now().getTime()),
    };
    return this.context;
  }

  private randomAction(ctx: ChurnContext): ChurnAction | undefined {
    let r = this.random() * TOTAL_WEIGHT;
    let chosen: ChurnAction = 'heartbeat';
    for (const [action, weight] of WEIGHTS) {
      r -= weight;
      if (r < 0) {
        chosen = action;
        break;
      }
    }
    if (this.act(ctx, chosen)) return chosen;
    return this.act(ctx, 'heartbeat') ? 'heartbeat' : undefined;
  }

  private act(ctx: ChurnContext, action: ChurnAction): boolean {
    const pick = (c: PodClass) => {
      const key = ctx.index.pools[c].pick(this.random);
      return key ? this.store.get('pods', ...splitKey(key)) : undefined;
    };
    switch (action) {
      case 'schedule':
        return schedule(ctx, pick('unscheduled'));
      case 'start':
        return startPod(ctx, pick('pending'));
      case 'finish':
        return finish(ctx, pick('running'));
      case 'replace':
        return replace(ctx, pick('done'));
      case 'restart':
        return restart(ctx, pick('running'));
      case 'recover':
        return recoverPod(ctx, pick('crashing'));
      case 'heartbeat':
        return heartbeat(ctx);
      case 'nodeFlip':
        return nodeFlip(ctx, this.ticks);
      case 'jobStart':
        return jobStart(ctx, this.opts.maxPodsPerNamespace);
      case 'jobCleanup':
        return jobCleanup(ctx);
      default:
        return false;
    }
  }
}
