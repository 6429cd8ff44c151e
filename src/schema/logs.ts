/**
 * Container logs: `Pod.logs` (one direct read, never cached, bounded in bytes) and the
 * `podLogs`, `jobLogs` and `workloadLogs` subscriptions (followed, over upstream streams
 * shared by identical subscribers). Rights: `get` on `pods/log` in the pod's namespace.
 */
import { GatewayError } from '../errors.js';
import type { LogBatch, LogLineEvent, PodLogs as PodLogsShape } from '../loaders/index.js';
import { checkCount, checkSelector, requireName, requireNamespace } from './args.js';
import { builder } from './builder.js';
import { PodRef } from './refs.js';
import { DateTime } from './scalars.js';

const RIGHTS =
  'RBAC: `get` on `pods/log` in the namespace (and `get` on the pod; a pod you may not get is NOT_FOUND).';

const LogLine = builder.objectRef<LogLineEvent>('LogLine').implement({
  description: 'One line of a container’s log.',
  fields: (t) => ({
    timestamp: t.field({
      type: DateTime,
      nullable: true,
      description:
        'When the container runtime wrote it (to the millisecond; `exactTimestamp` has all of it).',
      resolve: (l) => l.timestamp ?? null,
    }),
    exactTimestamp: t.string({
      nullable: true,
      description: 'The timestamp as the kubelet wrote it: RFC 3339 with nanoseconds.',
      resolve: (l) => l.timestamp ?? null,
    }),
    text: t.exposeString('text', {
      description: 'The line without its newline, as `kubectl logs` prints it.',
    }),
    container: t.exposeString('container'),
    pod: t.exposeString('pod', { description: 'The pod it came from (merged streams hold several).' }),
    namespace: t.exposeString('namespace'),
    cluster: t.exposeString('cluster'),
  }),
});

const PodLogs = builder.objectRef<PodLogsShape>('PodLogs').implement({
  description: 'What one read of a container’s log returned.',
  fields: (t) => ({
    lines: t.field({ type: [LogLine], resolve: (l) => l.lines }),
    truncated: t.boolean({
      description:
        'The byte limit (`limitBytes`, at most the gateway’s `containerLogs.maxBytes`) cut the log: there is more.',
      resolve: (l) => l.truncated,
    }),
  }),
});

const TAIL_LINES = 'Lines from the end of the log to start with (as `kubectl logs --tail`).';
const SINCE_SECONDS = 'Only lines of the last this many seconds (as `kubectl logs --since`).';
const CONTAINER = 'The container; required when the pod has more than one.';

builder.objectFields(PodRef, (t) => ({
  logs: t.field({
    type: PodLogs,
    description: `The container’s log, read from the API server now (never cached). ${RIGHTS}`,
    args: {
      container: t.arg.string({ description: CONTAINER }),
      tailLines: t.arg.int({ defaultValue: 100, description: `${TAIL_LINES} null: the whole log.` }),
      sinceSeconds: t.arg.int({ description: SINCE_SECONDS }),
      previous: t.arg.boolean({ description: 'The previous (terminated) run of a restarted container.' }),
      limitBytes: t.arg.int({
        description:
          'Bytes of text at most (default and maximum: the gateway’s `containerLogs.maxBytes`, 1 MiB unless configured).',
      }),
    },
    resolve: (p, args, ctx) =>
      ctx.logs.read(
        {
          cluster: p.cluster,
          namespace: p.object.metadata?.namespace ?? '',
          name: p.object.metadata?.name ?? '',
        },
        {
          container: args.container ?? undefined,
          tailLines: checkCount('tailLines', args.tailLines),
          sinceSeconds: checkCount('sinceSeconds', args.sinceSeconds, 1),
          previous: args.previous ?? false,
          limitBytes: checkCount('limitBytes', args.limitBytes, 1),
        },
      ),
  }),
}));

/** A terminal error (upstream failure, SLOW_CONSUMER, FORBIDDEN after revocation) ends the stream with its code. */
function unwrap(item: unknown): LogLineEvent {
  if (item instanceof GatewayError) throw item;
  return item as LogLineEvent;
}

/**
 * A log queue (batches of lines, one per upstream chunk) as the executor reads it: one
 * line per result. A plain iterator, so a subscriber that leaves releases its stream at once.
 */
async function stream(
  start: Promise<AsyncIterableIterator<LogBatch | GatewayError>>,
): Promise<AsyncIterableIterator<LogLineEvent | GatewayError>> {
  const queue = await start;
  let batch: LogBatch = [];
  let next = 0;
  const iterator: AsyncIterableIterator<LogLineEvent | GatewayError> = {
    async next() {
      while (next >= batch.length) {
        const result = await queue.next();
        if (result.done) return { value: undefined, done: true };
        if (result.value instanceof GatewayError) return { value: result.value, done: false };
        batch = result.value;
        next = 0;
      }
      return { value: batch[next++], done: false };
    },
    async return() {
      await queue.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

builder.subscriptionFields((t) => ({
  podLogs: t.field({
    type: LogLine,
    description: `Follows a container’s log: its last \`tailLines\` lines, then each new line; ends when the container ends or the pod goes. Identical subscriptions share one upstream stream. ${RIGHTS}`,
    args: {
      cluster: t.arg.string({ required: true }),
      namespace: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      container: t.arg.string({ description: CONTAINER }),
      tailLines: t.arg.int({ defaultValue: 100, description: TAIL_LINES }),
      sinceSeconds: t.arg.int({ description: SINCE_SECONDS }),
    },
    subscribe: (_root, args, ctx) =>
      stream(
        ctx.logs.follow(
          {
            cluster: args.cluster,
            namespace: requireNamespace('namespace', args.namespace),
            name: requireName('name', args.name),
          },
          {
            container: args.container ?? undefined,
            tailLines: checkCount('tailLines', args.tailLines),
            sinceSeconds: checkCount('sinceSeconds', args.sinceSeconds, 1),
          },
        ),
      ) as never,
    resolve: (line) => unwrap(line),
  }),
  jobLogs: t.field({
    type: LogLine,
    description: `The logs of every container of a job’s pods, merged in arrival order, each line naming its pod and container; pods that start later join from their start, pods that go leave. Ends (after the last line) once the job has finished (Complete or Failed) and its containers have ended, as \`kubectl logs -f job/NAME\` does, or when the job is deleted. ${RIGHTS}`,
    args: {
      cluster: t.arg.string({ required: true }),
      namespace: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      tailLines: t.arg.int({
        defaultValue: 100,
        description: `${TAIL_LINES} Per container already running.`,
      }),
    },
    subscribe: (_root, args, ctx) =>
      stream(
        ctx.logs.job(
          {
            cluster: args.cluster,
            namespace: requireNamespace('namespace', args.namespace),
            name: requireName('name', args.name),
          },
          { tailLines: checkCount('tailLines', args.tailLines) },
        ),
      ) as never,
    resolve: (line) => unwrap(line),
  }),
  workloadLogs: t.field({
    type: LogLine,
    description: `The logs of every container of the pods a label selector matches in a namespace, merged as \`jobLogs\`. Open until the subscriber leaves: a workload's pods are replaced and scaled, so pods that match later join, and there is no end state to wait for. ${RIGHTS}`,
    args: {
      cluster: t.arg.string({ required: true }),
      namespace: t.arg.string({ required: true }),
      labelSelector: t.arg.string({ required: true }),
      tailLines: t.arg.int({
        defaultValue: 100,
        description: `${TAIL_LINES} Per container already running.`,
      }),
    },
    subscribe: (_root, args, ctx) =>
      stream(
        ctx.logs.workload(
          {
            cluster: args.cluster,
            namespace: requireNamespace('namespace', args.namespace),
            labelSelector: checkSelector(args.labelSelector) ?? '',
          },
          { tailLines: checkCount('tailLines', args.tailLines) },
        ),
      ) as never,
    resolve: (line) => unwrap(line),
  }),
}));
