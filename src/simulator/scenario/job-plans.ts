/**
 * What the scenario's jobs have done so far: an outcome drawn first, then counts of
 * succeeded, failed and active pods that agree with it, then as many of those pods as
 * the pod budget allows.
 */
import { JOB_KINDS } from './catalog.js';
import { pick, type RandomFn, randomInt } from './random.js';

export type JobOutcome = 'complete' | 'failed' | 'running' | 'suspended';

/** A job's outcome and counts, drawn before the job is built. */
export interface JobPlan {
  outcome: JobOutcome;
  kind: (typeof JOB_KINDS)[number];
  completions: number;
  parallelism: number;
  backoffLimit: number;
  succeeded: number;
  failed: number;
  active: number;
  /** Pods actually given to the job within the pod budget. */
  pods: { succeeded: number; failed: number; active: number };
}

/** An outcome (mostly complete) and counts that agree with it and with the backoff limit. */
export function planJob(random: RandomFn): JobPlan {
  const r = random();
  const outcome: JobOutcome = r < 0.7 ? 'complete' : r < 0.8 ? 'failed' : r < 0.95 ? 'running' : 'suspended';
  const completions = 1 + randomInt(random, 5);
  const parallelism = Math.min(completions, 1 + randomInt(random, 3));
  const kind = pick(random, JOB_KINDS);
  let backoffLimit = random() < 0.6 ? 6 : randomInt(random, 4);
  let succeeded = 0;
  let failed = 0;
  let active = 0;
  if (outcome === 'complete') {
    succeeded = completions;
    failed = random() < 0.15 ? 1 : 0;
    if (failed > backoffLimit) backoffLimit = failed;
  } else if (outcome === 'failed') {
    backoffLimit = randomInt(random, 3);
    failed = backoffLimit + 1;
    succeeded = randomInt(random, completions);
  } else if (outcome === 'running') {
    succeeded = randomInt(random, completions);
    active = Math.min(parallelism, completions - succeeded);
    failed = random() < 0.2 ? 1 : 0;
    if (failed > backoffLimit) backoffLimit = failed;
  }
  return {
    outcome,
    kind,
    completions,
    parallelism,
    backoffLimit,
    succeeded,
    failed,
    active,
    pods: { succeeded: 0, failed: 0, active: 0 },
  };
}

/** Gives pods to jobs within the budget: running jobs' active pods first, then finished pods. */
export function allocateJobPods(plans: JobPlan[], budget: number): number {
  let left = budget;
  for (const p of plans) {
    const n = Math.min(left, p.active);
    p.pods.active = n;
    left -= n;
  }
  for (const p of plans) {
    const s = Math.min(left, p.succeeded);
    left -= s;
    const f = Math.min(left, p.failed);
    left -= f;
    p.pods.succeeded = s;
    p.pods.failed = f;
  }
  return budget - left;
}
