/**
 * Deletion as kube-apiserver's generic registry does it (rest.BeforeDelete and
 * Store.Delete): preconditions, graceful deletion for pods, and finalizers for every kind.
 *
 * - A pod is deleted gracefully: the grace period is the request's `gracePeriodSeconds`, else
 *   its `spec.terminationGracePeriodSeconds` (30, the API default, when absent), and 0 for a
 *   pod that is not scheduled or has finished. With a period above 0 the pod only gets
 *   `deletionTimestamp` (now + the period) and `deletionGracePeriodSeconds` (a MODIFIED
 *   event; kubectl shows it Terminating), and the kubelet (kubelet.ts) deletes it with a
 *   period of 0 once its containers have stopped. A second delete may only shorten the period.
 * - An object with finalizers is never removed by a delete: it gets `deletionTimestamp` (and a
 *   period of 0) and stays until an update removes its last finalizer (store.ts).
 * - Anything else is removed at once (a DELETED event).
 *
 * The simulator's own controllers (the churn, the job controller, the garbage collector)
 * delete with `SimStore.delete`, which removes at once: what a controller's force-delete does.
 */
import { qualified, type SimStore, StoreError } from './store.js';
import type { KubeObject, ResourceName } from './types.js';

export interface DeleteRequest {
  /** DeleteOptions.gracePeriodSeconds; undefined lets the object's kind decide. */
  gracePeriodSeconds?: number;
  dryRun?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  now: Date;
}

export interface DeleteOutcome {
  /** The object as stored afterwards, or as it was last when it is gone. */
  object: KubeObject;
  /** Whether it is gone (else it waits for its grace period or finalizers). */
  deleted: boolean;
}

/** metav1.Time: RFC 3339 with seconds. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

/** podStrategy.CheckGracefulDelete: the grace period a delete of this pod gets. */
export function podGracePeriod(pod: KubeObject, requested: number | undefined): number {
  let period = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  if (!pod.spec?.nodeName) period = 0;
  if (TERMINAL.has(pod.status?.phase)) period = 0;
  return Math.max(0, Number(period));
}

/** The 409 a failed precondition gets (storage.NewInvalidObjError, as the handler words it). */
export function checkPreconditions(
  resource: ResourceName,
  current: KubeObject,
  preconditions: DeleteRequest['preconditions'],
): void {
  const fail = (what: string, wanted: string, actual: string | undefined) => {
    throw new StoreError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(resource)} "${current.metadata.name}": Precondition failed: ${what} in precondition: ${wanted}, ${what} in object meta: ${actual ?? ''}`,
      { name: current.metadata.name, kind: resource },
    );
  };
  if (preconditions?.uid !== undefined && preconditions.uid !== current.metadata.uid)
    fail('UID', preconditions.uid, current.metadata.uid);
  if (
    preconditions?.resourceVersion !== undefined &&
    preconditions.resourceVersion !== current.metadata.resourceVersion
  )
    fail('ResourceVersion', preconditions.resourceVersion, current.metadata.resourceVersion);
}

/** Deletes (or starts deleting) one object as a DELETE request does; a 404 StoreError when it is missing. */
export function deleteObject(
  store: SimStore,
  resource: ResourceName,
  namespace: string | undefined,
  name: string,
  request: DeleteRequest,
): DeleteOutcome {
  const current = store.get(resource, namespace, name);
  if (!current) return { object: store.delete(resource, namespace, name), deleted: true }; // its 404
  checkPreconditions(resource, current, request.preconditions);
  const finalizers = current.metadata.finalizers ?? [];
  const graceful = resource === 'pods';
  const period = graceful ? podGracePeriod(current, request.gracePeriodSeconds) : 0;
  const nowMs = request.now.getTime();
  const mark = (timestamp: string, gracePeriodSeconds: number): DeleteOutcome => {
    const object = store.update(
      resource,
      { ...current, metadata: { ...current.metadata } },
      { dryRun: request.dryRun, deletion: { timestamp, gracePeriodSeconds } },
    );
    return { object, deleted: false };
  };
  const removeNow = (): DeleteOutcome => ({
    object: store.delete(resource, namespace, name, { dryRun: request.dryRun }),
    deleted: !request.dryRun,
  });

  if (current.metadata.deletionTimestamp) {
    // Already being deleted. Only a pod's grace period can be shortened; otherwise the
    // request changes nothing and is answered with the object (pendingGraceful).
    const existing = current.metadata.deletionGracePeriodSeconds ?? 0;
    if (!graceful || request.gracePeriodSeconds === undefined || period >= existing) {
      return { object: current, deleted: false };
    }
    if (period === 0 && finalizers.length === 0) return removeNow();
    const shortened = nowMs + period * 1000;
    const timestamp =
      shortened < Date.parse(current.metadata.deletionTimestamp)
        ? isoSeconds(shortened)
        : current.metadata.deletionTimestamp;
    return mark(timestamp, period);
  }
  if (period > 0) return mark(isoSeconds(nowMs + period * 1000), period);
  if (finalizers.length > 0) return mark(isoSeconds(nowMs), 0);
  return removeNow();
}
