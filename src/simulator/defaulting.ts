/**
 * What kube-apiserver fills in when a Job is created through the API (batch/v1
 * SetDefaults_Job and the job strategy's PrepareForCreate, v1.31): the selector on the job's
 * own uid with the template labels it matches (unless `manualSelector`), parallelism and
 * completions 1 when neither is given, backoffLimit 6, completionMode NonIndexed, suspend
 * false and podReplacementPolicy TerminatingOrFailed. So a job reads back as from a real
 * cluster, at generation 1, before the job controller has seen it.
 */
import { jobPodLabels } from './scenario/index.js';
import type { KubeObject, ResourceName } from './types.js';

type Json = Record<string, unknown>;

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
