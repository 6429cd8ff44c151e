/**
 * Pod specs as the API server stores them: admission's defaults (service account token
 * volume, default tolerations, scheduling fields) on top of what a controller sent.
 */
import { deepFreeze, EMPTY_OBJECT, type Json } from './json.js';
import { type RandomFn, randomSuffix } from './random.js';

export const DEFAULT_TOLERATIONS = deepFreeze([
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
]);
export const DAEMON_TOLERATIONS = deepFreeze([
  { operator: 'Exists' },
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
]);
const API_ACCESS_SOURCES = deepFreeze([
  { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
  { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
  {
    downwardAPI: {
      items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
    },
  },
]);
const API_ACCESS_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const POD_SECURITY = deepFreeze({
  runAsUser: 1000,
  runAsNonRoot: true,
  fsGroup: 2000,
  seccompProfile: { type: 'RuntimeDefault' },
});

/** The service account token volume and its mount, one per workload. */
export interface ApiAccess {
  volume: Json;
  mount: Json;
}

export function apiAccess(random: RandomFn): ApiAccess {
  const name = `kube-api-access-${randomSuffix(random)}`;
  return {
    volume: deepFreeze({ name, projected: { sources: API_ACCESS_SOURCES, defaultMode: 420 } }),
    mount: deepFreeze({ name, readOnly: true, mountPath: API_ACCESS_PATH }),
  };
}

/**
 * What the API server's admission adds to a pod spec from a controller's template: the
 * service account and its token volume, default tolerations, scheduling defaults.
 * Used by the job controller for pods of jobs created through the API.
 */
export function admitPodSpec(template: Json | undefined, random: RandomFn): Json {
  const spec: Json = { ...(template ?? {}) };
  const access = apiAccess(random);
  // Keeps whatever the template says (workingDir, envFrom, lifecycle...) and adds defaults.
  const addMount = (c: Json): Json => ({
    ...c,
    resources: c.resources ?? EMPTY_OBJECT,
    volumeMounts: [...((c.volumeMounts as Json[] | undefined) ?? []), access.mount],
    terminationMessagePath: c.terminationMessagePath ?? '/dev/termination-log',
    terminationMessagePolicy: c.terminationMessagePolicy ?? 'File',
    imagePullPolicy: c.imagePullPolicy ?? (String(c.image).endsWith(':latest') ? 'Always' : 'IfNotPresent'),
  });
  const containers = (spec.containers as Json[] | undefined) ?? [];
  spec.volumes = [...((spec.volumes as Json[] | undefined) ?? []), access.volume];
  if (spec.initContainers) spec.initContainers = (spec.initContainers as Json[]).map(addMount);
  const fallback = { name: 'main', image: 'docker.io/library/busybox:1.36.1' };
  spec.containers = (containers.length > 0 ? containers : [fallback]).map(addMount);
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.serviceAccountName ??= 'default';
  spec.serviceAccount = spec.serviceAccountName;
  spec.securityContext ??= EMPTY_OBJECT;
  spec.schedulerName ??= 'default-scheduler';
  spec.tolerations = [...((spec.tolerations as Json[] | undefined) ?? []), ...DEFAULT_TOLERATIONS];
  spec.priority ??= 0;
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  return spec;
}

/** A pod spec with the API server's defaults, keys in the order it writes them; frozen. */
export function podSpecOf(parts: {
  volumes: readonly Json[];
  initContainers?: readonly Json[];
  containers: readonly Json[];
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  dnsPolicy?: string;
  nodeSelector?: Json;
  serviceAccountName?: string;
  hostNetwork?: boolean;
  securityContext?: Json;
  imagePullSecrets?: readonly Json[];
  affinity?: Json;
  tolerations?: readonly Json[];
  priorityClassName?: string;
  priority?: number;
  topologySpreadConstraints?: readonly Json[];
}): Json {
  const spec: Json = {};
  if (parts.volumes.length > 0) spec.volumes = parts.volumes;
  if (parts.initContainers && parts.initContainers.length > 0) spec.initContainers = parts.initContainers;
  spec.containers = parts.containers;
  spec.restartPolicy = parts.restartPolicy ?? 'Always';
  spec.terminationGracePeriodSeconds = parts.terminationGracePeriodSeconds ?? 30;
  spec.dnsPolicy = parts.dnsPolicy ?? 'ClusterFirst';
  if (parts.nodeSelector) spec.nodeSelector = parts.nodeSelector;
  if (parts.serviceAccountName) {
    spec.serviceAccountName = parts.serviceAccountName;
    spec.serviceAccount = parts.serviceAccountName;
  }
  if (parts.hostNetwork) spec.hostNetwork = true;
  spec.securityContext = parts.securityContext ?? EMPTY_OBJECT;
  if (parts.imagePullSecrets) spec.imagePullSecrets = parts.imagePullSecrets;
  if (parts.affinity) spec.affinity = parts.affinity;
  spec.schedulerName = 'default-scheduler';
  spec.tolerations = parts.tolerations ?? DEFAULT_TOLERATIONS;
  if (parts.priorityClassName) spec.priorityClassName = parts.priorityClassName;
  spec.priority = parts.priority ?? 0;
  spec.enableServiceLinks = true;
  spec.preemptionPolicy = 'PreemptLowerPriority';
  if (parts.topologySpreadConstraints) spec.topologySpreadConstraints = parts.topologySpreadConstraints;
  return deepFreeze(spec);
}
