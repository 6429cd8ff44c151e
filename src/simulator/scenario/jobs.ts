/**
 * Jobs as the API server and the job controller (v1.31) write them: the labels, finalizer
 * and conditions the job controller uses too, and a manifest as a person would send it.
 */
import type { KubeObject } from '../types.js';
import { JOB_KINDS } from './catalog.js';
import type { Json } from './json.js';
import { pick, type RandomFn, randomInt } from './random.js';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

/** The labels the API server puts on a job's pod template and the job controller on its pods. */
export function jobPodLabels(jobName: string, jobUid: string): Record<string, string> {
  return {
    'batch.kubernetes.io/controller-uid': jobUid,
    'batch.kubernetes.io/job-name': jobName,
    'controller-uid': jobUid,
    'job-name': jobName,
  };
}

export function jobCondition(
  type: string,
  status: string,
  time: string,
  reason?: string,
  message?: string,
): Json {
  const c: Json = { type, status, lastProbeTime: time, lastTransitionTime: time };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** The conditions the job controller (v1.31) sets when a job finishes. */
export function jobFinishedConditions(outcome: 'Complete' | 'Failed', time: string): Json[] {
  if (outcome === 'Complete') {
    const message = 'Reached expected number of succeeded pods';
    return [
      jobCondition('SuccessCriteriaMet', 'True', time, 'CompletionsReached', message),
      jobCondition('Complete', 'True', time, 'CompletionsReached', message),
    ];
  }
  const message = 'Job has reached the specified backoff limit';
  return [
    jobCondition('FailureTarget', 'True', time, 'BackoffLimitExceeded', message),
    jobCondition('Failed', 'True', time, 'BackoffLimitExceeded', message),
  ];
}

/** A Job as `kubectl create` would send it: the controller and the API server fill in the rest. */
export function jobManifest(random: RandomFn, namespace: string, name: string): KubeObject {
  const kind = pick(random, JOB_KINDS);
  const completions = 1 + randomInt(random, 4);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': kind.name } },
    spec: {
      parallelism: Math.min(completions, 1 + randomInt(random, 2)),
      completions,
      backoffLimit: 2 + randomInt(random, 3),
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': kind.name } },
        spec: {
          containers: [{ name: kind.name, image: kind.image, command: [...kind.command] }],
          restartPolicy: 'Never',
        },
      },
    },
  };
}
