/**
 * managedFields for writes through the API, as kube-apiserver's field manager records an
 * `Update`: the manager is the request's `fieldManager`, else the prefix of its User-Agent
 * before the first `/` (kubectl names itself: kubectl-create, kubectl-label...). A create
 * gives the manager every field it set (metadata's labels, annotations, finalizers,
 * ownerReferences, generateName, and the object's other top-level fields but status); an
 * update or patch adds the fields it changed to the manager's entry (same manager,
 * operation, apiVersion and subresource), or a new entry, with the time of the write.
 *
 * Simplified: fields a write removes or takes over are not taken from other managers'
 * entries, and ownership is never used to detect conflicts (there is no server-side apply).
 */
import {
  type Fields,
  fieldsOf,
  fieldsOfValue,
  itemKey,
  MERGE_KEYS,
  NO_FIELDS,
} from './scenario/managed-fields.js';
import type { KubeObject } from './types.js';

type Json = Record<string, unknown>;

/** The manager of a write: `fieldManager`, else the User-Agent's prefix (prefixFromUserAgent). */
export function managerOf(fieldManager: string | null, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  return (userAgent ?? '').split('/')[0].slice(0, 128);
}

const META_FIELDS = ['annotations', 'finalizers', 'generateName', 'labels', 'ownerReferences'];
const SKIPPED = new Set(['apiVersion', 'kind', 'metadata', 'status']);
const isObject = (v: unknown): v is Json => Boolean(v) && typeof v === 'object' && !Array.isArray(v);

/** Every field of what a client sent on create, as fieldsV1. */
function createdFields(obj: KubeObject): Fields {
  const meta: Json = {};
  for (const key of META_FIELDS) {
    const value = (obj.metadata as unknown as Json)[key];
    if (value !== undefined) meta[key] = value;
  }
  const out: Fields = {};
  if (Object.keys(meta).length) out['f:metadata'] = fieldsOf(meta, false);
  for (const key of Object.keys(obj).sort()) {
    if (SKIPPED.has(key) || obj[key] === undefined) continue;
    // A root field has no `.` of its own; what is inside it does.
    out[`f:${key}`] = isObject(obj[key]) ? fieldsOf(obj[key] as Json, false) : fieldsOfValue(key, obj[key]);
  }
  return out;
}

/** The fields that differ between `a` and `b` (as held in `b`), or undefined when none do. */
function changedFields(key: string, a: unknown, b: unknown): Fields | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (b === undefined) return undefined;
  if (isObject(a) && isObject(b)) {
    const out: Fields = {};
    for (const k of Object.keys(b)) {
      const c = changedFields(k, a[k], b[k]);
      if (c) out[`f:${k}`] = c;
    }
    return Object.keys(out).length ? out : undefined;
  }
  const keys = MERGE_KEYS[key];
  if (keys && Array.isArray(a) && Array.isArray(b) && b.every(isObject)) {
    const before = new Map((a.filter(isObject) as Json[]).map((item) => [itemKey(item, keys), item]));
    const out: Fields = {};
    for (const item of b as Json[]) {
      const id = itemKey(item, keys);
      const old = before.get(id);
      if (!old) out[id] = fieldsOfValue(`item:${key}`, item);
      else {
        const c = changedFields(`item:${key}`, old, item);
        if (c) out[id] = { '.': NO_FIELDS, ...c };
      }
    }
    return Object.keys(out).length ? { '.': NO_FIELDS, ...out } : { '.': NO_FIELDS };
  }
  return isObject(b) ? fieldsOf(b, true) : NO_FIELDS;
}

function union(a: Fields, b: Fields): Fields {
  const out: Fields = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = out[k] ? union(out[k], v) : v;
  return out;
}

/** The object's managedFields after a write by `manager` (create when `old` is undefined). */
export function trackFields(
  obj: KubeObject,
  old: KubeObject | undefined,
  manager: string,
  apiVersion: string,
  time: string,
  subresource?: string,
): unknown[] {
  const entries = ((old ? old.metadata.managedFields : obj.metadata.managedFields) ?? []) as Json[];
  let fields: Fields | undefined;
  if (!old) fields = createdFields(obj);
  else {
    const { metadata: oldMeta, status: _s, ...oldRest } = old;
    const { metadata: newMeta, status: _n, ...newRest } = obj;
    const pick = (m: KubeObject['metadata']) =>
      Object.fromEntries(
        META_FIELDS.map((k) => [k, (m as unknown as Json)[k]]).filter(([, v]) => v !== undefined),
      );
    const changedMeta = changedFields('metadata', pick(oldMeta), pick(newMeta));
    const changedRest =
      subresource === 'status'
        ? changedFields('', { status: old.status }, { status: obj.status })
        : changedFields('', oldRest, newRest);
    if (!changedMeta && !changedRest) return entries;
    fields = { ...(changedMeta ? { 'f:metadata': changedMeta } : {}), ...(changedRest ?? {}) };
  }
  const mine = (e: Json) =>
    e.manager === manager &&
    e.operation === 'Update' &&
    e.apiVersion === apiVersion &&
    e.subresource === subresource;
  const existing = entries.find(mine);
  const entry: Json = {
    manager,
    operation: 'Update',
    apiVersion,
    time,
    fieldsType: 'FieldsV1',
    fieldsV1: existing ? union(existing.fieldsV1 as Fields, fields) : fields,
    ...(subresource ? { subresource } : {}),
  };
  return existing ? entries.map((e) => (e === existing ? entry : e)) : [...entries, entry];
}
