/**
 * core/v1 Pod: namespaced, mirrored, indexed by namespace, node, owner, job and label.
 * Filters: `nodeName`, `jobName` (with the namespace), `phase`; their rules are rules.ts's.
 */
import type { V1Pod } from '@kubernetes/client-node';
import {
  EMPTY_VALUES,
  INDEX_LABEL,
  INDEX_NAMESPACE,
  INDEX_OWNER_UID,
  type IndexFunc,
  labelIndexFunc,
  namespaceIndexFunc,
  ownerUIDIndexFunc,
  type PairIndex,
} from '../indexer.js';
import { jobNameOfPod, type PodPhase, phaseIsExactOnServer, podPhase } from '../rules.js';
import { defineKind } from './define.js';

export const INDEX_NODE_NAME = 'spec.nodeName';
/** Value: `namespace/jobName`. */
export const INDEX_JOB_NAME = 'jobName';

export const nodeNameIndexFunc: IndexFunc<V1Pod> = (pod) => {
  const node = pod.spec?.nodeName;
  return node ? [node] : EMPTY_VALUES;
};

/** `namespace/jobName`, stored as the pod's own namespace and job name strings. */
export const jobNameIndexFunc: PairIndex<V1Pod> = Object.freeze({
  separator: '/',
  pairs: (pod: V1Pod) => {
    const job = jobNameOfPod(pod);
    return job ? [[pod.metadata?.namespace ?? '', job] as const] : EMPTY_VALUES;
  },
});

export const podIndexers = Object.freeze({
  [INDEX_NAMESPACE]: namespaceIndexFunc,
  [INDEX_NODE_NAME]: nodeNameIndexFunc,
  [INDEX_OWNER_UID]: ownerUIDIndexFunc,
  [INDEX_JOB_NAME]: jobNameIndexFunc,
  [INDEX_LABEL]: labelIndexFunc,
});

export const podKind = defineKind<V1Pod>({
  kind: 'Pod',
  group: '',
  version: 'v1',
  plural: 'pods',
  namespaced: true,
  modelType: 'V1Pod',
  list: (apis, namespace, options) =>
    namespace
      ? apis.core.listNamespacedPod({ namespace, ...options })
      : apis.core.listPodForAllNamespaces(options),
  get: (apis, namespace, name) => apis.core.readNamespacedPod({ namespace: namespace ?? 'default', name }),
  informer: true,
  readiness: true,
  trim: (t, o) => t.pod(o),
  // What the pod trim (transform.ts) drops: the spec's volumes and scheduling constraints,
  // the containers' environment, mounts, probes and hooks, the statuses' mounts and user.
  dropped: [
    'volumes',
    'tolerations',
    'affinity',
    'topologySpreadConstraints',
    'dnsConfig',
    'readinessGates',
    'hostAliases',
    'imagePullSecrets',
    'ephemeralContainers',
    'securityContext',
    'env',
    'envFrom',
    'volumeMounts',
    'volumeDevices',
    'livenessProbe',
    'readinessProbe',
    'startupProbe',
    'lifecycle',
    'resizePolicy',
    'user',
    'allocatedResourcesStatus',
  ],
  indexers: podIndexers,
  filters: {
    nodeName: {
      matches: (pod, node) => (pod.spec?.nodeName ?? '') === node,
      fieldSelector: (node) => `spec.nodeName=${node}`,
      index: (node) => ({ index: INDEX_NODE_NAME, value: node }),
    },
    // No server-side form: the job-name label is not what decides a pod's job (the
    // controller reference is), so a label selector could select different pods.
    jobName: {
      matches: (pod, job) => jobNameOfPod(pod) === job,
      index: (job, { namespace }) =>
        namespace === undefined ? undefined : { index: INDEX_JOB_NAME, value: `${namespace}/${job}` },
    },
    phase: {
      matches: (pod, phase) => podPhase(pod) === phase,
      fieldSelector: (phase) =>
        phaseIsExactOnServer(phase as PodPhase) ? `status.phase=${phase}` : undefined,
    },
  },
});
