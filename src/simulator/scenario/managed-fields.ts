/**
 * managedFields: fieldsV1 derived from the object itself, as the API server's
 * structured-merge-diff would record it, with list items keyed by their merge keys.
 * Exported for the job controller and the churn: `creatorEntry` for whoever creates a
 * pod, `statusEntry` for whoever reports its status.
 */
import { deepFreeze, type Json } from './json.js';

export type Fields = { [key: string]: Fields };
export const NO_FIELDS: Fields = Object.freeze({}) as Fields;

export const MERGE_KEYS: Record<string, readonly string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  imagePullSecrets: ['name'],
  ports: ['containerPort', 'protocol'],
  volumeMounts: ['mountPath'],
  conditions: ['type'],
  podIPs: ['ip'],
  hostIPs: ['ip'],
  ownerReferences: ['uid'],
  addresses: ['type'],
};

const fieldKeys = new Map<string, string>();
function fieldKey(key: string): string {
  let out = fieldKeys.get(key);
  if (out === undefined) {
    out = `f:${key}`;
    if (fieldKeys.size > 10_000) fieldKeys.clear();
    fieldKeys.set(key, out);
  }
  return out;
}

export function fieldsOf(obj: Json, withDot: boolean): Fields {
  const out: Fields = withDot ? { '.': NO_FIELDS } : {};
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (value !== undefined) out[fieldKey(key)] = fieldsOfValue(key, value);
  }
  return out;
}

/**
 * Fields of frozen catalog values (probes, resources, env entries, ports...) are computed
 * once per value. Values that are unique to a workload (its containers, volumes, labels)
 * are not remembered: a WeakMap entry per workload costs more than it saves.
 */
const fieldsMemo = new WeakMap<object, Fields>();
const UNIQUE_FIELDS = new Set([
  'containers',
  'initContainers',
  'volumes',
  'volumeMounts',
  'env',
  'labels',
  'annotations',
  'ownerReferences',
  'conditions',
  'item:containers',
  'item:initContainers',
  'item:volumes',
  'item:volumeMounts',
  'item:ownerReferences',
  'item:conditions',
]);
const ITEM_KEYS: Record<string, string> = Object.fromEntries(
  Object.keys(MERGE_KEYS).map((k) => [k, `item:${k}`]),
);

export function fieldsOfValue(key: string, value: unknown): Fields {
  if (!value || typeof value !== 'object') return NO_FIELDS;
  const memo = !UNIQUE_FIELDS.has(key) && Object.isFrozen(value);
  if (memo) {
    const known = fieldsMemo.get(value);
    if (known) return known;
  }
  let out: Fields = NO_FIELDS;
  if (Array.isArray(value)) {
    const keys = MERGE_KEYS[key];
    if (keys && value.length > 0 && value.every((item) => item && typeof item === 'object')) {
      out = { '.': NO_FIELDS };
      const itemField = ITEM_KEYS[key];
      for (const item of value as Json[]) out[itemKey(item, keys)] = fieldsOfValue(itemField, item);
    }
  } else {
    for (const _ in value) {
      out = fieldsOf(value as Json, true);
      break;
    }
  }
  if (memo) fieldsMemo.set(value, deepFreeze(out));
  return out;
}

/** The `k:{...}` key of a list item, by its merge keys. */
export function itemKey(item: Json, keys: readonly string[]): string {
  if (keys.length === 1) {
    const v = item[keys[0]];
    return v === undefined ? 'k:{}' : `k:{${JSON.stringify(keys[0])}:${JSON.stringify(v)}}`;
  }
  const id: Json = {};
  for (const k of keys) if (item[k] !== undefined) id[k] = item[k];
  return `k:${JSON.stringify(id)}`;
}

export function managedEntry(manager: string, time: string, fieldsV1: Json, subresource?: string): Json {
  // Object literals (not objects grown key by key) keep every property in-object: less memory per pod.
  return subresource
    ? { manager, operation: 'Update', apiVersion: 'v1', time, fieldsType: 'FieldsV1', fieldsV1, subresource }
    : { manager, operation: 'Update', apiVersion: 'v1', time, fieldsType: 'FieldsV1', fieldsV1 };
}

/**
 * The entry of whoever created a pod (kube-controller-manager for owned pods, kubelet for
 * mirror pods): its metadata and spec as sent, without the scheduler's nodeName. Frozen,
 * so one entry can serve every pod of a workload.
 */
export function creatorEntry(manager: string, metadata: Json, spec: Json, time: string): Json {
  const meta: Json = {};
  for (const key of ['generateName', 'labels', 'annotations', 'ownerReferences', 'finalizers']) {
    if (metadata[key] !== undefined) meta[key] = metadata[key];
  }
  const { nodeName: _scheduled, ...sent } = spec;
  return deepFreeze(
    managedEntry(manager, time, { 'f:metadata': fieldsOf(meta, false), 'f:spec': fieldsOf(sent, false) }),
  );
}

const statusShapes = new Map<string, Fields>();
const IP_FIELDS: Fields = deepFreeze({ '.': NO_FIELDS, 'f:ip': NO_FIELDS });
const hostIPFields = new Map<string, Fields>();

function ipFields(ip: string): Fields {
  return { '.': NO_FIELDS, [`k:{"ip":"${ip}"}`]: IP_FIELDS };
}

/**
 * The kubelet's status entry for a pod (or the scheduler's, for a pod that could not be
 * scheduled). The shape is cached per set of status fields and conditions; only the IP
 * keys are per pod.
 */
export function statusEntry(status: Json, time: string): Json {
  const conditions = (status.conditions as Json[] | undefined) ?? [];
  if (!status.hostIP) {
    const scheduled = conditions.filter((c) => c.type === 'PodScheduled');
    return managedEntry(
      'kube-scheduler',
      time,
      { 'f:status': { 'f:conditions': fieldsOfValue('conditions', scheduled) } },
      'status',
    );
  }
  const shapeKey = `${conditionsShape(conditions)}|${Object.keys(status).join(',')}`;
  let base = statusShapes.get(shapeKey);
  if (!base) {
    const kubeletConditions = conditions.filter((c) => c.type !== 'PodScheduled');
    base = deepFreeze(fieldsOf({ ...status, conditions: kubeletConditions }, false));
    statusShapes.set(shapeKey, base);
  }
  const fields: Fields = { ...base };
  const hostIP = status.hostIP as string;
  // Frozen here, where the children are known to be frozen already, so the store's
  // recursive freeze has nothing left to walk.
  let hostFields = hostIPFields.get(hostIP);
  if (!hostFields) {
    if (hostIPFields.size > 50_000) hostIPFields.clear();
    hostFields = deepFreeze(ipFields(hostIP));
    hostIPFields.set(hostIP, hostFields);
  }
  if (status.hostIPs) fields['f:hostIPs'] = hostFields;
  if (status.podIPs) {
    fields['f:podIPs'] =
      status.podIP === hostIP ? hostFields : Object.freeze(ipFields(status.podIP as string));
  }
  return Object.freeze(
    managedEntry('kubelet', time, Object.freeze({ 'f:status': Object.freeze(fields) }), 'status'),
  );
}

const conditionShapes = new WeakMap<object, string>();
function conditionsShape(conditions: Json[]): string {
  let shape = conditionShapes.get(conditions);
  if (shape === undefined) {
    shape = conditions.map((c) => `${c.type}${c.reason ? 'r' : ''}${c.message ? 'm' : ''}`).join(',');
    if (Object.isFrozen(conditions)) conditionShapes.set(conditions, shape);
  }
  return shape;
}
