/**
 * What every mutation shares: the payloads (the object as written, resolved like any
 * other, its resourceVersion, and whether reads see it already), the inputs of pairs, and
 * `setLabels`, which writes any labelled type by its global id. The mutations themselves
 * live in the files of their types (pod.ts, job.ts, cluster-node.ts) and call `ctx.write`:
 * to the API server as the caller, never a client.
 */
import { badUserInput } from '../errors.js';
import type { DrainedPod, DrainResult, KindName, WriteResult } from '../loaders/index.js';
import { checkLabelKey, checkLabelValue, pairsToMap } from './args.js';
import { builder, decodeGlobalID } from './builder.js';
import { KubeObject } from './common.js';
import { ClusterNodeRef, JobRef, PodRef } from './refs.js';
import { parseLocalId, wrap } from './shapes.js';

export const KeyValueInput = builder.inputType('KeyValueInput', {
  description: 'One entry of a string map to write (a label, an annotation).',
  fields: (t) => ({
    key: t.string({ required: true }),
    value: t.string({ required: true }),
  }),
});

export const DRY_RUN_DESCRIPTION =
  'Send the write with dryRun=All: the API server validates and authorises it (admission included) and stores nothing.';

/** What every write answers with besides its object. */
export const WritePayload = builder.interfaceRef<WriteResult<KindName>>('WritePayload').implement({
  description: 'What every mutation answers with besides its object.',
  fields: (t) => ({
    resourceVersion: t.string({
      nullable: true,
      description:
        'The resourceVersion the API server gave the write; null for a dry-run create and for an eviction (the server answers a Status).',
      resolve: (r) => r.resourceVersion,
    }),
    visible: t.boolean({
      description:
        'The gateway’s cache showed the write before this answer (its informer applied the written resourceVersion, or the deletion), so a query sent now sees it. False when that took longer than writes.visibilityTimeoutMs, and for a dry run (nothing was written).',
      resolve: (r) => r.visible,
    }),
    dryRun: t.boolean({ description: 'Whether this was a dry run.', resolve: (r) => r.dryRun }),
  }),
});

export const PodWritePayload = builder.objectRef<WriteResult<'Pod'>>('PodWritePayload').implement({
  interfaces: [WritePayload],
  description: 'A pod as written.',
  fields: (t) => ({
    pod: t.field({
      type: PodRef,
      nullable: true,
      description:
        'The pod as the API server answered (after a deletion: its last state, or marked for deletion while its grace period runs); after an eviction, as the cache shows it. Null when there is none.',
      resolve: (r) => (r.object ? wrap(r.cluster, 'Pod', r.object) : null),
    }),
  }),
});

export const JobWritePayload = builder.objectRef<WriteResult<'Job'>>('JobWritePayload').implement({
  interfaces: [WritePayload],
  description: 'A job as written.',
  fields: (t) => ({
    job: t.field({
      type: JobRef,
      nullable: true,
      description: 'The job as the API server answered (after a deletion: its last state).',
      resolve: (r) => (r.object ? wrap(r.cluster, 'Job', r.object) : null),
    }),
  }),
});

export const NodeWritePayload = builder.objectRef<WriteResult<'Node'>>('NodeWritePayload').implement({
  interfaces: [WritePayload],
  description: 'A node as written.',
  fields: (t) => ({
    node: t.field({
      type: ClusterNodeRef,
      nullable: true,
      description: 'The node as the API server answered.',
      resolve: (r) => (r.object ? wrap(r.cluster, 'Node', r.object) : null),
    }),
  }),
});

const DrainOutcomeEnum = builder.enumType('DrainOutcome', {
  description: 'What a drain did with one pod of the node.',
  values: {
    EVICTED: { description: 'Evicted: the API server deletes it gracefully.' },
    GONE: { description: 'It was gone before its eviction (404): nothing left to do.' },
    SKIPPED_DAEMONSET: {
      description: 'A DaemonSet controls it: left alone, as `kubectl drain --ignore-daemonsets`.',
    },
    SKIPPED_MIRROR: {
      description: 'A mirror pod (the kubelet runs it from a file): left alone, as kubectl drain does.',
    },
    DISRUPTION_BUDGET: {
      description:
        'A PodDisruptionBudget refused the eviction (429): drain again later, as kubectl drain retries.',
    },
    FORBIDDEN: { description: 'The caller may not evict it (`create` on `pods/eviction`).' },
    RATE_LIMITED: {
      description:
        'Not evicted: the cluster’s write limit had no room within the drain’s time (writes.visibilityTimeoutMs), or the API server asked to slow down. Drain again to continue.',
    },
    FAILED: { description: 'The eviction failed otherwise; `message` says how.' },
  } as const,
});

const DrainedPodRef = builder.objectRef<DrainedPod & { cluster: string }>('DrainedPod').implement({
  description: 'One pod of a drained node and what the drain did with it.',
  fields: (t) => ({
    namespace: t.exposeString('namespace'),
    name: t.exposeString('name'),
    pod: t.field({
      type: PodRef,
      description: 'The pod as the drain listed it, before its eviction.',
      resolve: (p) => wrap(p.cluster, 'Pod', p.object),
    }),
    outcome: t.field({ type: DrainOutcomeEnum, resolve: (p) => p.outcome }),
    message: t.string({ nullable: true, resolve: (p) => p.message }),
  }),
});

export const DrainNodePayload = builder.objectRef<DrainResult>('DrainNodePayload').implement({
  interfaces: [WritePayload],
  description: 'A drained node: cordoned, and every pod’s outcome.',
  fields: (t) => ({
    node: t.field({
      type: ClusterNodeRef,
      nullable: true,
      description: 'The node as cordoned.',
      resolve: (r) => (r.object ? wrap(r.cluster, 'Node', r.object) : null),
    }),
    pods: t.field({
      type: [DrainedPodRef],
      description: 'Every pod that was on the node, in namespace and name order.',
      resolve: (r) => r.pods.map((p) => ({ ...p, cluster: r.cluster })),
    }),
  }),
});

type Labelled = 'Pod' | 'Job' | 'Node' | 'Namespace';

export const SetLabelsPayload = builder.objectRef<WriteResult<Labelled>>('SetLabelsPayload').implement({
  interfaces: [WritePayload],
  description: 'An object relabelled.',
  fields: (t) => ({
    object: t.field({
      type: KubeObject,
      nullable: true,
      description: 'The object as the API server answered: a Pod, Job, ClusterNode or Namespace.',
      resolve: (r) => (r.object ? wrap(r.cluster, r.kind, r.object) : null),
    }),
  }),
});

const LABELLED: Record<string, { kind: Labelled; namespaced: boolean }> = {
  Pod: { kind: 'Pod', namespaced: true },
  Job: { kind: 'Job', namespaced: true },
  ClusterNode: { kind: 'Node', namespaced: false },
  Namespace: { kind: 'Namespace', namespaced: false },
};

builder.mutationField('setLabels', (t) =>
  t.field({
    type: SetLabelsPayload,
    description:
      'Sets and removes labels of a Pod, Job, ClusterNode or Namespace given by its global id, as `kubectl label` does (a JSON merge patch). RBAC: `patch` on the object’s resource (pods, jobs.batch, nodes, namespaces).',
    args: {
      id: t.arg.id({ required: true }),
      set: t.arg({ type: [KeyValueInput], description: 'Labels to set (added or replaced).' }),
      remove: t.arg.stringList({ description: 'Label keys to remove (absent ones are fine).' }),
      dryRun: t.arg.boolean({ description: DRY_RUN_DESCRIPTION }),
    },
    resolve: async (_root, args, ctx) => {
      const { typename, id } = decodeGlobalID(String(args.id));
      const target = LABELLED[typename];
      if (!target) {
        throw badUserInput(
          `expected "id" of a Pod, Job, ClusterNode or Namespace, received one of a ${typename}`,
          {
            field: 'id',
          },
        );
      }
      const key = parseLocalId(target.kind, target.namespaced, id);
      const set = pairsToMap('set', args.set, checkLabelValue);
      const remove = (args.remove ?? []).map((k, i) => checkLabelKey(`remove[${i}]`, k));
      for (const [i, k] of remove.entries()) {
        if (Object.hasOwn(set, k))
          throw badUserInput(
            `expected a label either set or removed, received ${JSON.stringify(k)} in both`,
            {
              field: `remove[${i}]`,
            },
          );
      }
      if (Object.keys(set).length === 0 && remove.length === 0)
        throw badUserInput('expected labels to "set" or "remove", received neither', { field: 'set' });
      return ctx.write.setLabels(
        target.kind,
        {
          cluster: key.cluster,
          namespace: target.kind === 'Namespace' ? key.name : key.namespace,
          name: key.name,
        },
        { set, remove },
        { dryRun: args.dryRun ?? false },
      );
    },
  }),
);
