/**
 * What the gateway sends for its writes, as the Kubernetes tools send it: a Job as
 * `kubectl create job` builds one, the patches of `kubectl cordon`/`uncordon`/`label`, a
 * job's suspension, and which pods `kubectl drain` leaves alone.
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node';

/** A Job to create: what the schema's CreateJobInput carries, validated already. */
export interface JobRequest {
  namespace: string;
  name?: string;
  generateName?: string;
  image: string;
  command?: readonly string[];
  args?: readonly string[];
  env?: readonly { name: string; value: string }[];
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
  parallelism?: number;
  completions?: number;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  labels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function amounts(a: { cpu?: string; memory?: string } | undefined): Record<string, string> | undefined {
  if (!a) return undefined;
  const out: Record<string, string> = {};
  if (a.cpu) out.cpu = a.cpu;
  if (a.memory) out.memory = a.memory;
  return Object.keys(out).length ? out : undefined;
}

/**
 * A batch/v1 Job running one container, as `kubectl create job NAME --image=IMAGE -- CMD`
 * makes it: restartPolicy Never, the container named after the job (`main` when the name
 * is not a DNS label, or is generated). Unset counts are left to the server's defaults.
 */
export function jobManifest(r: JobRequest): V1Job {
  const resources = { requests: amounts(r.requests), limits: amounts(r.limits) };
  const container = {
    name: r.name && r.name.length <= 63 && DNS_LABEL.test(r.name) ? r.name : 'main',
    image: r.image,
    ...(r.command?.length ? { command: [...r.command] } : {}),
    ...(r.args?.length ? { args: [...r.args] } : {}),
    ...(r.env?.length ? { env: r.env.map((e) => ({ name: e.name, value: e.value })) } : {}),
    ...(resources.requests || resources.limits
      ? {
          resources: {
            ...(resources.requests ? { requests: resources.requests } : {}),
            ...(resources.limits ? { limits: resources.limits } : {}),
          },
        }
      : {}),
  };
  const spec: Record<string, unknown> = {};
  for (const key of [
    'parallelism',
    'completions',
    'backoffLimit',
    'activeDeadlineSeconds',
    'ttlSecondsAfterFinished',
  ] as const) {
    if (r[key] !== undefined) spec[key] = r[key];
  }
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      ...(r.name ? { name: r.name } : { generateName: r.generateName }),
      namespace: r.namespace,
      ...(r.labels && Object.keys(r.labels).length ? { labels: { ...r.labels } } : {}),
      ...(r.annotations && Object.keys(r.annotations).length ? { annotations: { ...r.annotations } } : {}),
    },
    spec: {
      ...spec,
      template: { spec: { restartPolicy: 'Never', containers: [container] } },
    },
  } as V1Job;
}

/** `kubectl cordon` / `uncordon`: a strategic merge patch of spec.unschedulable (false is the field's absence). */
export function unschedulablePatch(unschedulable: boolean): object {
  return { spec: { unschedulable: unschedulable ? true : null } };
}

/** A job's suspension (batch/v1 spec.suspend): the job controller stops or starts its pods. */
export function suspendPatch(suspend: boolean): object {
  return { spec: { suspend } };
}

/** `kubectl label`: a JSON merge patch setting labels and removing others (null removes a key). */
export function labelsPatch(set: Readonly<Record<string, string>>, remove: readonly string[]): object {
  const labels: Record<string, string | null> = { ...set };
  for (const key of remove) labels[key] = null;
  return { metadata: { labels } };
}

/** The annotation the kubelet puts on the API server's copy of a static pod. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/**
 * Why `kubectl drain --ignore-daemonsets` leaves a pod alone: a mirror pod (the kubelet
 * runs it from a file; the API server's copy cannot be evicted) or one a DaemonSet
 * controls (it would be recreated on the cordoned node at once). Undefined: it is evicted.
 */
export function drainExemption(pod: V1Pod): 'Mirror' | 'DaemonSet' | undefined {
  if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return 'Mirror';
  const controller = pod.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (controller?.kind === 'DaemonSet') return 'DaemonSet';
  return undefined;
}

/**
 * Whether a 429 from the Eviction API is a PodDisruptionBudget refusing (the pod stays;
 * kubectl drain retries it), rather than the API server shedding load.
 */
export function isDisruptionBudgetRefusal(body: string | undefined): boolean {
  if (!body) return false;
  try {
    const status = JSON.parse(body) as {
      message?: string;
      details?: { causes?: { reason?: string }[] };
    };
    return (
      status.details?.causes?.some((c) => c.reason === 'DisruptionBudget') === true ||
      /disruption budget/i.test(status.message ?? '')
    );
  } catch {
    return false;
  }
}
