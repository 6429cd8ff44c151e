/** Job: state, counts, its pods (connection) and its pods by phase (jobPods loader). */
import { JOB_STATES, type JobState, jobState, type KubeObjectOf } from '../loaders/index.js';
import { checkSearch, checkSelector, loadPage, makeOrder } from './args.js';
import { builder } from './builder.js';
import { Condition, JobStateEnum, KubeObject, OrderDirection, PodPhaseCounts } from './common.js';
import type { Direction } from './pagination.js';
import { podArgs, podFilters, podOrder } from './pod.js';
import { isKind, JobRef, loadByGlobalId, PodConnection, PodRef } from './refs.js';
import { DateTime, millis } from './scalars.js';
import { localId } from './shapes.js';

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
        ctx.loaders.jobPods.load({
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
            podOrder(args.orderBy),
          ),
      },
      PodConnection,
    ),
  }),
});
