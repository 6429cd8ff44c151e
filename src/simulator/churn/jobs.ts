/**
 * Jobs under churn: new ones are created (the JobController runs them) and finished ones
 * are cleaned up with their pods, as a TTL controller would, keeping the count near the
 * scenario's.
 */

import { jobManifest, randomInt, randomSuffix, randomUid } from '../scenario/index.js';
import { splitKey } from './key-pool.js';
import type { ChurnContext } from './state.js';

/** A new pending job in a namespace with room for its pods (fewer than `maxPodsPerNamespace`). */
export function jobStart(ctx: ChurnContext, maxPodsPerNamespace: number | undefined): boolean {
  const { store, random, index } = ctx;
  if (store.count('jobs') >= Math.ceil(index.initialJobs * 1.1) + 2 || index.namespaces.length === 0)
    return false;
  const cap = maxPodsPerNamespace ?? Number.POSITIVE_INFINITY;
  const start = randomInt(random, index.namespaces.length);
  let namespace: string | undefined;
  for (let k = 0; k < index.namespaces.length; k++) {
    const ns = index.namespaces[(start + k) % index.namespaces.length];
    if ((index.podsPerNamespace.get(ns) ?? 0) + 5 <= cap) {
      namespace = ns;
      break;
    }
  }
  if (!namespace) return false;
  const job = jobManifest(random, namespace, 'pending');
  const base = String(job.metadata.labels?.['app.kubernetes.io/name'] ?? 'job');
  let name: string;
  do name = `${base}-${randomSuffix(random)}`;
  while (store.get('jobs', namespace, name));
  store.create('jobs', {
    ...job,
    metadata: { ...job.metadata, name, uid: randomUid(random), creationTimestamp: ctx.nowIso() },
  });
  return true;
}

/** A finished job's TTL runs out: the job and its pods are deleted. */
export function jobCleanup(ctx: ChurnContext): boolean {
  const { store, index } = ctx;
  if (store.count('jobs') <= Math.floor(index.initialJobs * 0.9) - 2) return false;
  const key = index.finishedJobs.pick(ctx.random);
  if (!key) return false;
  const [namespace, name] = splitKey(key);
  const job = store.get('jobs', namespace, name);
  if (!job) return false;
  for (const pod of store.ownedBy('pods', namespace, job.metadata.uid ?? '')) {
    store.delete('pods', namespace, pod.metadata.name);
  }
  store.delete('jobs', namespace, name);
  return true;
}
