/** batch/v1 Job: namespaced, mirrored, indexed by namespace, owner (CronJob) and label. Filter: `state`. */
import type { V1Job } from '@kubernetes/client-node';
import {
  INDEX_LABEL,
  INDEX_NAMESPACE,
  INDEX_OWNER_UID,
  labelIndexFunc,
  namespaceIndexFunc,
  ownerUIDIndexFunc,
} from '../indexer.js';
import { jobState } from '../rules.js';
import { defineKind } from './define.js';

export const jobIndexers = Object.freeze({
  [INDEX_NAMESPACE]: namespaceIndexFunc,
  [INDEX_OWNER_UID]: ownerUIDIndexFunc, // CronJob → Jobs
  [INDEX_LABEL]: labelIndexFunc,
});

export const jobKind = defineKind<V1Job>({
  kind: 'Job',
  group: 'batch',
  version: 'v1',
  plural: 'jobs',
  namespaced: true,
  modelType: 'V1Job',
  list: (apis, namespace, options) =>
    namespace
      ? apis.batch.listNamespacedJob({ namespace, ...options })
      : apis.batch.listJobForAllNamespaces(options),
  get: (apis, namespace, name) => apis.batch.readNamespacedJob({ namespace: namespace ?? 'default', name }),
  informer: true,
  readiness: true,
  trim: (t, o) => t.job(o),
  // The pod template (a third of a job: pods are mirrored themselves) and the policies.
  dropped: ['template', 'podFailurePolicy', 'successPolicy'],
  indexers: jobIndexers,
  filters: {
    // The state is derived from conditions and spec.suspend: no field selector says it.
    state: { matches: (job, state) => jobState(job) === state },
  },
});
