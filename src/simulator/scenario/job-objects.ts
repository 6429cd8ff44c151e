/** The scenario's jobs: Job objects consistent with their plans, and their pods. */
import type { KubeObject } from '../types.js';
import { container, resources } from './containers.js';
import type { JobPlan } from './job-plans.js';
import { JOB_TRACKING_FINALIZER, jobCondition, jobFinishedConditions, jobPodLabels } from './jobs.js';
import { deepFreeze, EMPTY_OBJECT, type Json } from './json.js';
import { fieldsOf, managedEntry } from './managed-fields.js';
import { admitPodSpec } from './pod-spec.js';
import type { PodState } from './pod-status.js';
import { type BuildContext, makePod, ownerRef, pickWorker, uniqueName, type Workload } from './pods.js';
import { DAY, HOUR, isoTime, MINUTE, randomInt, randomSuffix, randomUid, SECOND } from './random.js';

/**
 * The Job of `plan` in `namespace` (named as its CronJob or `kubectl create job` would),
 * with its status, and its pods added to the context: finished pods one after another,
 * active ones recent.
 */
export function buildJob(
  ctx: BuildContext,
  plan: JobPlan,
  namespace: string,
  jobNames: Set<string>,
): KubeObject {
  const { random } = ctx;
  const { kind } = plan;
  const cron = random() < 0.4;
  const created =
    plan.outcome === 'running'
      ? ctx.nowMs - MINUTE - randomInt(random, 30 * MINUTE)
      : ctx.nowMs - HOUR - randomInt(random, 7 * DAY);
  // A CronJob names its jobs after the scheduled minute; a person runs `kubectl create job`.
  let scheduledMinute = Math.floor(created / MINUTE);
  let name: string;
  do {
    name = cron ? `${kind.name}-${scheduledMinute--}` : `${kind.name}-${randomSuffix(random)}`;
  } while (jobNames.has(`${namespace}/${name}`));
  jobNames.add(`${namespace}/${name}`);
  const uid = randomUid(random);
  const labels = jobPodLabels(name, uid);
  const templateLabels = { 'app.kubernetes.io/name': kind.name, ...labels };
  const templateSpec = {
    containers: [
      container({
        name: kind.name,
        image: kind.image,
        command: kind.command,
        resources: resources(['100m', '128Mi'], [undefined, '512Mi']),
      }),
    ],
    restartPolicy: random() < 0.8 ? 'Never' : 'OnFailure',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    securityContext: EMPTY_OBJECT,
    schedulerName: 'default-scheduler',
  };
  const startMs = created + SECOND;
  const podSeconds = 20 + randomInt(random, 600);
  const waves = Math.ceil(plan.completions / plan.parallelism) + plan.failed;
  const finishMs = Math.min(ctx.nowMs - MINUTE, startMs + waves * (podSeconds + 5) * SECOND);
  const startIso = isoTime(startMs);
  const finishIso = isoTime(finishMs);

  const spec: Json = {
    parallelism: plan.parallelism,
    completions: plan.completions,
    backoffLimit: plan.backoffLimit,
    selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
    manualSelector: false,
    template: { metadata: { creationTimestamp: null, labels: templateLabels }, spec: templateSpec },
  };
  if (cron || random() < 0.3) spec.ttlSecondsAfterFinished = 86_400;
  spec.completionMode = 'NonIndexed';
  spec.suspend = plan.outcome === 'suspended';
  spec.podReplacementPolicy = 'TerminatingOrFailed';

  const activeRunning = Array.from({ length: plan.pods.active }, () => random() < 0.75);
  const status: Json = {};
  if (plan.outcome === 'complete') status.conditions = jobFinishedConditions('Complete', finishIso);
  if (plan.outcome === 'failed') status.conditions = jobFinishedConditions('Failed', finishIso);
  if (plan.outcome === 'suspended') {
    status.conditions = [
      jobCondition('Suspended', 'True', isoTime(created), 'JobSuspended', 'Job suspended'),
    ];
  } else {
    status.startTime = startIso;
  }
  if (plan.outcome === 'complete') status.completionTime = finishIso;
  if (plan.pods.active > 0) status.active = plan.pods.active;
  if (plan.succeeded > 0) status.succeeded = plan.succeeded;
  if (plan.failed > 0) status.failed = plan.failed;
  status.terminating = 0;
  status.uncountedTerminatedPods = EMPTY_OBJECT;
  status.ready = activeRunning.filter(Boolean).length;

  const metadata: Json = { name, namespace, uid, creationTimestamp: isoTime(created), generation: 1 };
  metadata.labels = { 'app.kubernetes.io/name': kind.name };
  if (cron) {
    const cronName = kind.name;
    metadata.ownerReferences = [ownerRef('batch/v1', 'CronJob', cronName, randomUid(random))];
    metadata.annotations = {
      'batch.kubernetes.io/cronjob-scheduled-timestamp': isoTime((scheduledMinute + 1) * MINUTE),
    };
  }
  const sent: Json = { ...spec, selector: undefined, manualSelector: undefined };
  const metaSent: Json = {
    labels: metadata.labels,
    annotations: metadata.annotations,
    ownerReferences: metadata.ownerReferences,
  };
  metadata.managedFields = [
    managedEntry(cron ? 'kube-controller-manager' : 'kubectl-create', isoTime(created), {
      'f:metadata': fieldsOf(metaSent, false),
      'f:spec': fieldsOf(sent, false),
    }),
    managedEntry('kube-controller-manager', finishIso, { 'f:status': fieldsOf(status, false) }, 'status'),
  ];
  const job: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: metadata as unknown as KubeObject['metadata'],
    spec,
    status,
  };

  const total = plan.pods.succeeded + plan.pods.failed + plan.pods.active;
  if (total > 0) {
    const w: Workload = {
      ownerKind: 'Job',
      namespace,
      generateName: `${name}-`,
      labels: deepFreeze({ ...templateLabels }),
      ownerReferences: deepFreeze([ownerRef('batch/v1', 'Job', name, uid)]),
      spec: deepFreeze(admitPodSpec(templateSpec, random)),
      manager: 'kube-controller-manager',
      created: startIso,
      started: isoTime(startMs + 2 * SECOND),
      ready: isoTime(startMs + 5 * SECOND),
      hostNetwork: false,
    };
    const finalizers = deepFreeze([JOB_TRACKING_FINALIZER]);
    let slot = 0;
    const timed = (state: PodState) => {
      const begin = startMs + slot * (podSeconds + 5) * SECOND;
      slot += 1;
      const end = Math.min(finishMs, begin + podSeconds * SECOND);
      const podName = uniqueName(ctx, namespace, () => `${name}-${randomSuffix(random)}`);
      makePod(ctx, w, podName, pickWorker(ctx), state, {
        created: isoTime(begin),
        started: isoTime(begin + SECOND),
        ready: isoTime(Math.max(begin + SECOND, end)),
      });
    };
    for (let i = 0; i < plan.pods.failed; i++) timed('failed');
    for (let i = 0; i < plan.pods.succeeded; i++) timed('succeeded');
    for (const running of activeRunning) {
      const podName = uniqueName(ctx, namespace, () => `${name}-${randomSuffix(random)}`);
      const begin = Math.max(startMs, ctx.nowMs - 30 * SECOND - randomInt(random, 5 * MINUTE));
      makePod(ctx, w, podName, pickWorker(ctx), running ? 'running' : 'creating', {
        finalizers,
        created: isoTime(begin),
        started: isoTime(begin + SECOND),
        ready: isoTime(begin + 4 * SECOND),
      });
    }
  }
  return job;
}
