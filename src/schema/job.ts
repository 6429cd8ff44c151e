/** Job: state, counts, its pods (connection) and its pods by phase (jobPods loader). */
import { badUserInput } from '../errors.js';
import { JOB_STATES, type JobState, jobState, type KubeObjectOf, loadNow } from '../loaders/index.js';
import {
  checkCount,
  checkEnvName,
  checkGenerateName,
  checkImage,
  checkJobName,
  checkLabelValue,
  checkQuantity,
  checkSearch,
  checkSelector,
  loadPage,
  makeOrder,
  pairsToMap,
  requireName,
  requireNamespace,
} from './args.js';
import { builder } from './builder.js';
import { Condition, JobStateEnum, KubeObject, OrderDirection, PodPhaseCounts } from './common.js';
import type { Direction } from './pagination.js';
import { podArgs, podFilters, podOrder } from './pod.js';
import { isKind, JobRef, loadByGlobalId, PodConnection, PodRef } from './refs.js';
import { DateTime, millis } from './scalars.js';
import { localId } from './shapes.js';
import { DRY_RUN_DESCRIPTION, JobWritePayload, KeyValueInput } from './writes.js';

type Job = KubeObjectOf<'Job'>;

const JobOrderField = builder.enumType('JobOrderField', {
  values: ['NAME', 'NAMESPACE', 'CREATED_AT', 'STATE'] as const,
});

const JobOrder = builder.inputType('JobOrder', {
  fields: (t) => ({
    field: t.field({ type: JobOrderField, required: true }),
    direction: t.field({ type: OrderDirection, required: true, defaultValue: 'ASC' }),
  }),
});

const PRIMARY: Record<(typeof JobOrderField)['$inferType'], (j: Job) => string | number> = {
  NAME: (j) => j.metadata?.name ?? '',
  NAMESPACE: (j) => j.metadata?.namespace ?? '',
  CREATED_AT: (j) => millis(j.metadata?.creationTimestamp),
  STATE: (j) => JOB_STATES.indexOf(jobState(j)),
};

export function jobOrder(arg: { field: keyof typeof PRIMARY; direction: Direction } | null | undefined) {
  const field = arg?.field ?? 'NAMESPACE';
  return makeOrder<Job>(field, arg?.direction ?? 'ASC', PRIMARY[field]);
}

export const jobArgs = builder.args((t) => ({
  labelSelector: t.string(),
  state: t.field({ type: JobStateEnum }),
  search: t.string({ description: 'Case-insensitive substring of the name.' }),
  orderBy: t.field({ type: JobOrder }),
}));

export function jobFilters(args: {
  labelSelector?: string | null;
  state?: JobState | null;
  search?: string | null;
}) {
  return {
    labelSelector: checkSelector(args.labelSelector),
    state: args.state ?? undefined,
    search: checkSearch(args.search),
  };
}

builder.node(JobRef, {
  interfaces: [KubeObject],
  isTypeOf: isKind('Job'),
  id: { resolve: (j) => localId(j) },
  loadOne: (id, ctx) => loadByGlobalId(ctx, 'Job', true, id),
  fields: (t) => ({
    namespace: t.string({ resolve: (j) => j.object.metadata?.namespace ?? '' }),
    state: t.field({ type: JobStateEnum, resolve: (j) => jobState(j.object) }),
    active: t.int({
      description: 'Pods running now (job status).',
      resolve: (j) => j.object.status?.active ?? 0,
    }),
    ready: t.int({ nullable: true, resolve: (j) => j.object.status?.ready }),
    succeeded: t.int({ resolve: (j) => j.object.status?.succeeded ?? 0 }),
    failed: t.int({ resolve: (j) => j.object.status?.failed ?? 0 }),
    completions: t.int({ nullable: true, resolve: (j) => j.object.spec?.completions }),
    parallelism: t.int({ nullable: true, resolve: (j) => j.object.spec?.parallelism }),
    backoffLimit: t.int({ nullable: true, resolve: (j) => j.object.spec?.backoffLimit }),
    suspended: t.boolean({ resolve: (j) => j.object.spec?.suspend ?? false }),
    startedAt: t.field({ type: DateTime, nullable: true, resolve: (j) => j.object.status?.startTime }),
    completedAt: t.field({ type: DateTime, nullable: true, resolve: (j) => j.object.status?.completionTime }),
    conditions: t.field({ type: [Condition], resolve: (j) => j.object.status?.conditions ?? [] }),
    podsByPhase: t.field({
      type: PodPhaseCounts,
      nullable: true,
      description: 'Its pods that exist now, by phase (the job status counts pods that are gone too).',
      resolve: (j, _args, ctx) =>
        loadNow(ctx.loaders.jobPods, {
          cluster: j.cluster,
          namespace: j.object.metadata?.namespace ?? '',
          jobName: j.object.metadata?.name ?? '',
        }),
    }),
    pods: t.connection(
      {
        type: PodRef,
        nullable: true,
        args: podArgs,
        resolve: (j, args, ctx) =>
          loadPage(
            ctx,
            {
              ...podFilters(args),
              cluster: j.cluster,
              kind: 'Pod',
              namespace: j.object.metadata?.namespace ?? '',
              jobName: j.object.metadata?.name ?? '',
            },
            args,
            podOrder(args.orderBy, args),
            j.object,
          ),
      },
      PodConnection,
    ),
  }),
});

const EnvVarInput = builder.inputType('EnvVarInput', {
  description: 'An environment variable of the job’s container.',
  fields: (t) => ({
    name: t.string({ required: true }),
    value: t.string({ required: true }),
  }),
});

const QuantitiesInput = builder.inputType('QuantitiesInput', {
  description: 'CPU and memory as Kubernetes quantities ("500m", "2"; "256Mi", "1Gi").',
  fields: (t) => ({
    cpu: t.string(),
    memory: t.string(),
  }),
});

const CreateJobInput = builder.inputType('CreateJobInput', {
  description: 'A Job running one container, as `kubectl create job NAME --image=IMAGE -- COMMAND` makes it.',
  fields: (t) => ({
    cluster: t.string({ required: true }),
    namespace: t.string({ required: true }),
    name: t.string({ description: 'The job’s name (at most 63 characters); or generateName.' }),
    generateName: t.string({
      description: 'A prefix the API server completes with 5 random characters (e.g. "backup-"); or name.',
    }),
    image: t.string({ required: true }),
    command: t.stringList({ description: 'The container’s entrypoint (default: the image’s).' }),
    args: t.stringList({ description: 'Arguments to the entrypoint.' }),
    env: t.field({ type: [EnvVarInput] }),
    requests: t.field({ type: QuantitiesInput }),
    limits: t.field({ type: QuantitiesInput }),
    parallelism: t.int(),
    completions: t.int(),
    backoffLimit: t.int(),
    activeDeadlineSeconds: t.int(),
    ttlSecondsAfterFinished: t.int(),
    labels: t.field({ type: [KeyValueInput], description: 'Labels of the Job.' }),
    annotations: t.field({ type: [KeyValueInput], description: 'Annotations of the Job.' }),
    dryRun: t.boolean({ description: DRY_RUN_DESCRIPTION }),
  }),
});

const DeletionPropagation = builder.enumType('DeletionPropagation', {
  description: 'What happens to a job’s pods when it is deleted (DeleteOptions.propagationPolicy).',
  values: {
    BACKGROUND: {
      value: 'Background',
      description: 'The job goes now, the garbage collector deletes its pods after.',
    },
    FOREGROUND: {
      value: 'Foreground',
      description: 'The pods are deleted first; the job goes when they are gone.',
    },
    ORPHAN: { value: 'Orphan', description: 'The job goes, its pods stay.' },
  } as const,
});

function quantities(field: string, q: { cpu?: string | null; memory?: string | null } | null | undefined) {
  if (!q) return undefined;
  return {
    cpu: checkQuantity(`${field}.cpu`, 'cpu', q.cpu),
    memory: checkQuantity(`${field}.memory`, 'memory', q.memory),
  };
}

builder.mutationField('createJob', (t) =>
  t.field({
    type: JobWritePayload,
    description:
      'Creates a Job (batch/v1) of one container. RBAC: `create` on `jobs` in group `batch` in the namespace.',
    args: { input: t.arg({ type: CreateJobInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      if ((input.name == null) === (input.generateName == null)) {
        throw badUserInput('expected exactly one of "input.name" and "input.generateName"', {
          field: 'input.name',
        });
      }
      const env = (input.env ?? []).map((e, i) => ({
        name: checkEnvName(`input.env[${i}].name`, e.name),
        value: e.value,
      }));
      return ctx.write.createJob(
        input.cluster,
        {
          namespace: requireNamespace('input.namespace', input.namespace),
          ...(input.name != null ? { name: checkJobName('input.name', input.name) } : {}),
          ...(input.generateName != null
            ? { generateName: checkGenerateName('input.generateName', input.generateName) }
            : {}),
          image: checkImage('input.image', input.image),
          ...(input.command ? { command: input.command } : {}),
          ...(input.args ? { args: input.args } : {}),
          ...(env.length ? { env } : {}),
          requests: quantities('input.requests', input.requests),
          limits: quantities('input.limits', input.limits),
          parallelism: checkCount('input.parallelism', input.parallelism),
          completions: checkCount('input.completions', input.completions),
          backoffLimit: checkCount('input.backoffLimit', input.backoffLimit),
          activeDeadlineSeconds: checkCount('input.activeDeadlineSeconds', input.activeDeadlineSeconds, 1),
          ttlSecondsAfterFinished: checkCount('input.ttlSecondsAfterFinished', input.ttlSecondsAfterFinished),
          labels: pairsToMap('input.labels', input.labels, checkLabelValue),
          annotations: pairsToMap('input.annotations', input.annotations),
        },
        { dryRun: input.dryRun ?? false },
      );
    },
  }),
);

const jobTarget = (args: { cluster: string; namespace: string; name: string }) => ({
  cluster: args.cluster,
  namespace: requireNamespace('namespace', args.namespace),
  name: requireName('name', args.name),
});

builder.mutationField('deleteJob', (t) =>
  t.field({
    type: JobWritePayload,
    description:
      'Deletes a job and, unless ORPHAN, its pods (propagation, default BACKGROUND, as `kubectl delete job`). RBAC: `delete` on `jobs` in group `batch` in the namespace.',
    args: {
      cluster: t.arg.string({ required: true }),
      namespace: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      propagation: t.arg({ type: DeletionPropagation, defaultValue: 'Background' }),
      dryRun: t.arg.boolean({ description: DRY_RUN_DESCRIPTION }),
    },
    resolve: (_root, args, ctx) =>
      ctx.write.deleteJob(jobTarget(args), {
        propagation: args.propagation ?? 'Background',
        dryRun: args.dryRun ?? false,
      }),
  }),
);

builder.mutationField('suspendJob', (t) =>
  t.field({
    type: JobWritePayload,
    description:
      'Suspends a job (its active pods are stopped, no new ones start) or resumes it: spec.suspend. RBAC: `patch` on `jobs` in group `batch` in the namespace.',
    args: {
      cluster: t.arg.string({ required: true }),
      namespace: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      suspend: t.arg.boolean({ required: true, description: 'true: suspend; false: resume.' }),
      dryRun: t.arg.boolean({ description: DRY_RUN_DESCRIPTION }),
    },
    resolve: (_root, args, ctx) =>
      ctx.write.suspendJob(jobTarget(args), args.suspend, { dryRun: args.dryRun ?? false }),
  }),
);
