/**
 * What kube-apiserver fills in when an object is created through the API.
 *
 * A Job (batch/v1 SetDefaults_Job and the job strategy's PrepareForCreate, v1.31): the
 * selector on the job's own uid with the template labels it matches (unless
 * `manualSelector`), parallelism and completions 1 when neither is given, backoffLimit 6,
 * completionMode NonIndexed, suspend false and podReplacementPolicy TerminatingOrFailed. So
 * a job reads back as from a real cluster, at generation 1, before the job controller has
 * seen it.
 *
 * A Pod: admission's and the v1 defaults (see defaultPod), and a Pending status with its
 * QoS class; the scheduler (scheduler.ts) and the kubelets (pod-runtime.ts) take it from
 * there.
 */
import { podQosClass } from './resources.js';
import { jobPodLabels, randomSuffix } from './scenario/index.js';
import type { KubeObject, ResourceName } from './types.js';

type Json = Record<string, unknown>;

/**
 * imagePullPolicy's default (SetDefaults_Container): Always for `:latest` or no tag at all,
 * IfNotPresent for any other tag or a digest.
 */
export function defaultPullPolicy(image: unknown): string {
  const ref = String(image ?? '');
  if (ref.includes('@')) return 'IfNotPresent';
  const name = ref.slice(ref.lastIndexOf('/') + 1);
  const colon = name.lastIndexOf(':');
  return colon < 0 || name.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

/** SetDefaults_Container (and resources' requests from limits), then the token's mount. */
function defaultContainer(c: Json, mount: Json | undefined): Json {
  const resources = { ...((c.resources ?? {}) as Json) };
  const limits = resources.limits as Json | undefined;
  if (limits) {
    // SetDefaults_ResourceRequirements: a limit without a request is also the request.
    const requests = { ...((resources.requests ?? {}) as Json) };
    for (const [name, value] of Object.entries(limits)) requests[name] ??= value;
    resources.requests = requests;
  }
  const out: Json = { ...c, resources };
  if (mount) out.volumeMounts = [...((c.volumeMounts ?? []) as Json[]), mount];
  out.terminationMessagePath ??= '/dev/termination-log';
  out.terminationMessagePolicy ??= 'File';
  out.imagePullPolicy ??= defaultPullPolicy(c.image);
  return out;
}

const DEFAULT_TOLERATION_KEYS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/**
 * What kube-apiserver stores for a pod created through the API (v1.31), in admission's
 * order: the ServiceAccount plugin (serviceAccountName default, the projected
 * `kube-api-access-xxxxx` token volume mounted in every container unless
 * automountServiceAccountToken is false), Priority (0 without a class, preemptionPolicy),
 * DefaultTolerationSeconds (not-ready and unreachable NoExecute for 300 s unless
 * tolerated already), then the v1 defaults (restartPolicy Always, grace period 30 s,
 * dnsPolicy ClusterFirst, schedulerName default-scheduler, securityContext {},
 * enableServiceLinks, the containers' defaults) and the pod strategy's PrepareForCreate,
 * which replaces whatever status was sent with `{phase: Pending, qosClass}`.
 */
function defaultPod(pod: KubeObject): KubeObject {
  const spec: Json = { ...((pod.spec ?? {}) as Json) };
  spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
  spec.serviceAccount = spec.serviceAccountName;
  let mount: Json | undefined;
  if (spec.automountServiceAccountToken !== false) {
    const name = `kube-api-access-${randomSuffix(Math.random)}`;
    mount = { name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' };
    spec.volumes = [
      ...((spec.volumes ?? []) as Json[]),
      {
        name,
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
          defaultMode: 420,
        },
      },
    ];
  }
  if (spec.initContainers)
    spec.initContainers = (spec.initContainers as Json[]).map((c) => defaultContainer(c, mount));
  spec.containers = ((spec.containers ?? []) as Json[]).map((c) => defaultContainer(c, mount));
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  const tolerations = (spec.tolerations ?? []) as Json[];
  const added = DEFAULT_TOLERATION_KEYS.filter(
    (key) =>
      !tolerations.some(
        (t) =>
          (t.key === key || (t.key === undefined && t.operator === 'Exists')) &&
          (t.effect === undefined || t.effect === 'NoExecute'),
      ),
  ).map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }));
  if (tolerations.length + added.length > 0) spec.tolerations = [...tolerations, ...added];
  spec.priority ??= 0;
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  return { ...pod, spec, status: { phase: 'Pending', qosClass: podQosClass(spec) } };
}

function defaultJob(job: KubeObject): KubeObject {
  const spec: Json = { ...((job.spec ?? {}) as Json) };
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  if (spec.backoffLimitPerIndex === undefined) spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  if (spec.podFailurePolicy === undefined) spec.podReplacementPolicy ??= 'TerminatingOrFailed';
  if (!spec.manualSelector) {
    const template = (spec.template ?? {}) as Json;
    const templateMeta = (template.metadata ?? {}) as Json;
    const uid = job.metadata.uid!;
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    spec.manualSelector = false;
    spec.template = {
      ...template,
      metadata: {
        ...templateMeta,
        labels: { ...((templateMeta.labels ?? {}) as Json), ...jobPodLabels(job.metadata.name, uid) },
      },
    };
  }
  return { ...job, spec };
}

/** The defaults of an object created through the API (kinds without any pass as sent). */
export function defaultOnCreate(resource: ResourceName, obj: KubeObject): KubeObject {
  return resource === 'jobs' ? defaultJob(obj) : obj;
}

/**
 * The defaults added once the request's managedFields entry is made, so that it names
 * only the fields the client sent (the simulator does not tell decoding's defaults from
 * admission's, which a real server tracks and does not): a pod's.
 */
export function defaultUntracked(resource: ResourceName, obj: KubeObject): KubeObject {
  return resource === 'pods' ? defaultPod(obj) : obj;
}
