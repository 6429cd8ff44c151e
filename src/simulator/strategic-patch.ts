/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) for the served kinds,
 * applied as kube-apiserver applies it (k8s.io/apimachinery/pkg/util/strategicpatch,
 * `StrategicMergeMapPatch` with `MergeParallelList` and `IgnoreUnmatchedNulls`):
 *
 * - maps merge key by key; `null` deletes a key; `$patch: replace` replaces the map,
 *   `$patch: delete` empties it; `$retainKeys: [...]` drops the live keys it omits;
 * - lists whose field has `patchStrategy: merge` merge: lists of objects by the field's
 *   `patchMergeKey` (an item with `$patch: delete` removes the live item with its key,
 *   an item `{"$patch": "replace"}` makes the rest of the list replace the live one),
 *   lists of scalars as a set (`$deleteFromPrimitiveList/<field>` removes values);
 *   `$setElementOrder/<field>` orders the merged list; other lists are replaced;
 * - the merged list is ordered as the server orders it: the patch's items in the patch's
 *   order, the live-only items kept where they were relative to them (mergeSortedSlice).
 *
 * Directive keys left in a value the live object lacks are dropped, as decoding the
 * patched map into the Go type drops them. Errors carry the status the server answers
 * (interpretStrategicMergePatchError: bad directive formats 400, anything else 500).
 */

export interface PatchField {
  /** `patchStrategy` struct tag: `merge` (optionally with `retainKeys`); absent means replace. */
  strategy?: 'merge' | 'merge,retainKeys';
  /** `patchMergeKey` struct tag: the key list items are merged by (lists of objects only). */
  key?: string;
  /** The struct the field holds (or, for a list, each item), when it has fields of its own here. */
  type?: string;
}

/**
 * The patch metadata of the served kinds (core/v1 Pod, Node, Namespace, Event; batch/v1
 * Job; apps/v1 DaemonSet; coordination/v1 Lease), taken from the `patchStrategy` / `patchMergeKey` struct tags of kubernetes/api
 * core/v1/types.go, batch/v1/types.go, apps/v1/types.go and rbac/v1/types.go (commit 10b39a39, July 2026) and of
 * k8s.io/apimachinery meta/v1 ObjectMeta. A struct field not listed has no tag: a list is
 * replaced whole (Pod tolerations, Node taints, Namespace spec.finalizers, containerStatuses,
 * envFrom, readinessGates...), a map merges key by key. Only the structs on the way to a
 * tagged field are listed.
 */
export const PATCH_META: Record<string, Record<string, PatchField>> = {
  ObjectMeta: {
    ownerReferences: { strategy: 'merge', key: 'uid' },
    finalizers: { strategy: 'merge' },
  },
  Pod: { metadata: { type: 'ObjectMeta' }, spec: { type: 'PodSpec' }, status: { type: 'PodStatus' } },
  PodTemplateSpec: { metadata: { type: 'ObjectMeta' }, spec: { type: 'PodSpec' } },
  PodSpec: {
    volumes: { strategy: 'merge,retainKeys', key: 'name' },
    initContainers: { strategy: 'merge', key: 'name', type: 'Container' },
    containers: { strategy: 'merge', key: 'name', type: 'Container' },
    ephemeralContainers: { strategy: 'merge', key: 'name', type: 'Container' },
    imagePullSecrets: { strategy: 'merge', key: 'name' },
    hostAliases: { strategy: 'merge', key: 'ip' },
    topologySpreadConstraints: { strategy: 'merge', key: 'topologyKey' },
    schedulingGates: { strategy: 'merge', key: 'name' },
    resourceClaims: { strategy: 'merge,retainKeys', key: 'name' },
  },
  /** Container, and EphemeralContainerCommon (the same tags). */
  Container: {
    ports: { strategy: 'merge', key: 'containerPort' },
    env: { strategy: 'merge', key: 'name' },
    volumeMounts: { strategy: 'merge', key: 'mountPath' },
    volumeDevices: { strategy: 'merge', key: 'devicePath' },
  },
  PodStatus: {
    conditions: { strategy: 'merge', key: 'type' },
    podIPs: { strategy: 'merge', key: 'ip' },
    hostIPs: { strategy: 'merge', key: 'ip' },
    resourceClaimStatuses: { strategy: 'merge,retainKeys', key: 'name' },
    containerStatuses: { type: 'ContainerStatus' },
    initContainerStatuses: { type: 'ContainerStatus' },
    ephemeralContainerStatuses: { type: 'ContainerStatus' },
  },
  ContainerStatus: {
    volumeMounts: { strategy: 'merge', key: 'mountPath' },
    allocatedResourcesStatus: { strategy: 'merge', key: 'name' },
  },
  Node: { metadata: { type: 'ObjectMeta' }, spec: { type: 'NodeSpec' }, status: { type: 'NodeStatus' } },
  NodeSpec: { podCIDRs: { strategy: 'merge' } },
  NodeStatus: {
    conditions: { strategy: 'merge', key: 'type' },
    addresses: { strategy: 'merge', key: 'type' },
  },
  Namespace: { metadata: { type: 'ObjectMeta' }, status: { type: 'NamespaceStatus' } },
  NamespaceStatus: { conditions: { strategy: 'merge', key: 'type' } },
  Event: { metadata: { type: 'ObjectMeta' } },
  // coordination/v1 LeaseSpec has no list with a patch strategy.
  Lease: { metadata: { type: 'ObjectMeta' } },
  Job: { metadata: { type: 'ObjectMeta' }, spec: { type: 'JobSpec' }, status: { type: 'JobStatus' } },
  JobSpec: { template: { type: 'PodTemplateSpec' } },
  JobStatus: { conditions: { strategy: 'merge', key: 'type' } },
  // apps/v1 (types.go): a DaemonSet's pod template is mutable, so `kubectl apply` of a changed
  // container env lands here (a Pod's spec is not, on a real cluster).
  DaemonSet: {
    metadata: { type: 'ObjectMeta' },
    spec: { type: 'DaemonSetSpec' },
    status: { type: 'DaemonSetStatus' },
  },
  DaemonSetSpec: { template: { type: 'PodTemplateSpec' } },
  DaemonSetStatus: { conditions: { strategy: 'merge', key: 'type' } },
  // rbac/v1: rules and subjects have no patch strategy (replaced whole).
  Role: { metadata: { type: 'ObjectMeta' } },
  ClusterRole: { metadata: { type: 'ObjectMeta' } },
  RoleBinding: { metadata: { type: 'ObjectMeta' } },
  ClusterRoleBinding: { metadata: { type: 'ObjectMeta' } },
};

/** A patch the server refuses; `code` is the HTTP status kube-apiserver answers with. */
export class StrategicPatchError extends Error {
  constructor(
    readonly code: 400 | 500,
    message: string,
  ) {
    super(message);
    this.name = 'StrategicPatchError';
  }
}

type Json = unknown;
type JsonMap = Record<string, Json>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_PREFIX = '$deleteFromPrimitiveList/';
const ORDER_PREFIX = '$setElementOrder/';

const badOrder = () => new StrategicPatchError(400, 'invalid patch format of setElementOrder list');
const badPrimitiveList = () => new StrategicPatchError(400, 'invalid patch format of primitive list');
const badRetainKeys = () => new StrategicPatchError(400, 'invalid patch format of retainKeys');

function isMap(v: Json): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: Json): string {
  return JSON.stringify(v) ?? String(v);
}

/**
 * Applies a strategic merge patch to `original` (a kind's JSON, left untouched) and
 * returns the patched object. `kind` picks the patch metadata (Pod, Node, Namespace,
 * Event, Job); an unknown kind merges maps and replaces every list.
 */
export function strategicMergePatch(original: JsonMap, patch: JsonMap, kind: string): JsonMap {
  return mergeMap(structuredClone(original), structuredClone(patch), kind);
}

function fieldOf(type: string | undefined, key: string): PatchField {
  return (type && PATCH_META[type]?.[key]) || {};
}

function mergeMap(original: JsonMap | undefined, patch: JsonMap, type: string | undefined): JsonMap {
  if (DIRECTIVE in patch) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return stripDirectives(patch) as JsonMap;
    }
    if (directive === 'delete') return {};
    throw new StrategicPatchError(500, `unknown patch type: ${show(directive)} in map: ${show(patch)}`);
  }
  const out: JsonMap = original ?? {};
  applyRetainKeys(out, patch);
  applySetElementOrder(out, patch, type);
  const deletions: [string, Json][] = [];
  for (const [key, patchValue] of Object.entries(patch)) {
    if (key.startsWith(DELETE_PREFIX)) {
      deletions.push([key, patchValue]);
      continue;
    }
    if (patchValue === null) {
      delete out[key];
      continue;
    }
    if (!(key in out) || out[key] === null) {
      out[key] = stripDirectives(patchValue);
      continue;
    }
    const current = out[key];
    const field = fieldOf(type, key);
    if (isMap(current) && isMap(patchValue)) {
      out[key] = mergeMap(current, patchValue, field.type);
    } else if (Array.isArray(current) && Array.isArray(patchValue)) {
      out[key] = field.strategy ? mergeList(current, patchValue, field) : stripDirectives(patchValue);
    } else {
      out[key] = stripDirectives(patchValue);
    }
  }
  for (const [prefixed, values] of deletions) {
    const key = prefixed.slice(DELETE_PREFIX.length);
    if (!key || !Array.isArray(values)) throw badPrimitiveList();
    const current = out[key];
    if (!Array.isArray(current)) continue;
    const drop = new Set(values);
    out[key] = current.filter((v) => !drop.has(v));
  }
  return out;
}

/** `$retainKeys`: every key the patch sets must be listed; live keys not listed go. */
function applyRetainKeys(original: JsonMap, patch: JsonMap): void {
  if (!(RETAIN_KEYS in patch)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw badRetainKeys();
  const keep = new Set(list);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(DELETE_PREFIX) || key.startsWith(ORDER_PREFIX)) continue;
    if (!keep.has(key)) throw badRetainKeys();
  }
  for (const key of Object.keys(original)) if (!keep.has(key)) delete original[key];
}

/** `$setElementOrder/<field>`: merges that field's list now and orders it by the directive. */
function applySetElementOrder(original: JsonMap, patch: JsonMap, type: string | undefined): void {
  for (const prefixed of Object.keys(patch)) {
    if (!prefixed.startsWith(ORDER_PREFIX)) continue;
    const order = patch[prefixed];
    delete patch[prefixed];
    const key = prefixed.slice(ORDER_PREFIX.length);
    if (!key || !Array.isArray(order)) throw badOrder();
    const field = fieldOf(type, key);
    const mergeKey = field.key ?? '';
    const live = original[key];
    const patched = patch[key];
    if (live !== undefined && !Array.isArray(live)) throw badOrder();
    if (patched !== undefined && !Array.isArray(patched)) throw badOrder();
    if (patched) checkOrderCoversPatch(patched, order, mergeKey);
    let merged: Json[];
    if (live && patched)
      merged = field.strategy ? mergeList(live, patched, field) : (stripDirectives(patched) as Json[]);
    else if (patched) merged = stripDirectives(patched) as Json[];
    else if (live) merged = live;
    else continue;
    const [inOrder, serverOnly] = partition(merged, order, mergeKey);
    original[key] = normalizeOrder(inOrder, serverOnly, order, live ?? [], mergeKey);
    delete patch[key];
  }
}

/** The patch list's items (deletions aside) must appear in the order list, in its order. */
function checkOrderCoversPatch(patchList: Json[], order: Json[], mergeKey: string): void {
  const items = mergeKey ? patchList.filter((v) => !(isMap(v) && v[DIRECTIVE] === 'delete')) : patchList;
  let i = 0;
  let j = 0;
  while (i < items.length && j < order.length) {
    if (isMap(items[i]) && DIRECTIVE in (items[i] as JsonMap)) {
      i++;
      continue;
    }
    if (keyValue(items[i], mergeKey) === keyValue(order[j], mergeKey)) i++;
    j++;
  }
  if (i < items.length) {
    throw new StrategicPatchError(
      500,
      `The order in patch list:\n${show(patchList)}\n doesn't match $setElementOrder list:\n${show(order)}\n`,
    );
  }
}

function mergeList(original: Json[], patch: Json[], field: PatchField): Json[] {
  if (original.length === 0 && patch.length === 0) return original;
  const mapItems = [...original, ...patch].some(isMap);
  const mergeKey = field.key ?? '';
  let live = original;
  let items = patch;
  let merged: Json[];
  if (!mapItems) {
    merged = [...new Set([...original, ...patch])];
  } else {
    if (!mergeKey) throw new StrategicPatchError(500, 'cannot merge lists without merge key for type map');
    [live, items] = applyListDirectives(original, patch, mergeKey);
    merged = [...live];
    for (const item of items) {
      const map = item as JsonMap;
      if (!(mergeKey in map)) {
        throw new StrategicPatchError(
          500,
          `map: ${show(map)} does not contain declared merge key: ${mergeKey}`,
        );
      }
      const at = merged.findIndex((m) => isMap(m) && m[mergeKey] === map[mergeKey]);
      if (at >= 0) merged[at] = mergeMap(merged[at] as JsonMap, map, field.type);
      else merged.push(stripDirectives(map));
    }
  }
  const [inPatch, serverOnly] = partition(merged, items, mergeKey);
  return normalizeOrder(inPatch, serverOnly, items, live, mergeKey);
}

/** `$patch: delete` items remove live items; a `$patch: replace` item makes the rest replace the list. */
function applyListDirectives(original: Json[], patch: Json[], mergeKey: string): [Json[], Json[]] {
  let live = original;
  const rest: Json[] = [];
  let replace = false;
  for (const item of patch) {
    if (!isMap(item)) throw new StrategicPatchError(500, `${show(item)} is not a map`);
    if (!(DIRECTIVE in item)) {
      rest.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      if (!(mergeKey in item)) {
        throw new StrategicPatchError(
          500,
          `map: ${show(item)} does not contain declared merge key: ${mergeKey}`,
        );
      }
      live = live.filter((m) => !(isMap(m) && m[mergeKey] === item[mergeKey]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new StrategicPatchError(500, 'merging lists cannot yet be specified in the patch');
    } else {
      throw new StrategicPatchError(500, `unknown patch type: ${show(directive)} in map: ${show(item)}`);
    }
  }
  return replace ? [rest.map(stripDirectives), []] : [live, rest];
}

function keyValue(item: Json, mergeKey: string): Json {
  return mergeKey ? (isMap(item) ? item[mergeKey] : undefined) : item;
}

function indexIn(list: Json[], item: Json, mergeKey: string): number {
  const v = keyValue(item, mergeKey);
  return list.findIndex((x) => keyValue(x, mergeKey) === v);
}

/** Splits `merged` into the items present in `by` (by merge key, or by value) and the rest. */
function partition(merged: Json[], by: Json[], mergeKey: string): [Json[], Json[]] {
  const present: Json[] = [];
  const rest: Json[] = [];
  for (const item of merged) (indexIn(by, item, mergeKey) >= 0 ? present : rest).push(item);
  return [present, rest];
}

/**
 * normalizeElementOrder: the patch's items sorted by the patch (or $setElementOrder) order,
 * the live-only items by the live order, then each live-only item inserted before the first
 * patch item that comes after it in the live list (new items, absent from the live list,
 * go first).
 */
function normalizeOrder(
  patchItems: Json[],
  serverOnly: Json[],
  patchOrder: Json[],
  serverOrder: Json[],
  mergeKey: string,
): Json[] {
  const byOrder = (order: Json[]) => (a: Json, b: Json) =>
    indexIn(order, a, mergeKey) - indexIn(order, b, mergeKey);
  const right = [...patchItems].sort(byOrder(patchOrder));
  const left = [...serverOnly].sort(byOrder(serverOrder));
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** A value taken from the patch as it is: directive keys and nulls dropped, as decoding into the Go type drops them. */
function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isMap(value)) return value;
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(value))
    if (!k.startsWith('$') && v !== null) out[k] = stripDirectives(v);
  return out;
}
