/**
 * The Kubernetes REST surface for the simulated resources: get, list (selectors,
 * pagination, Table, resourceVersionMatch), watch (bookmarks, watch-list), create,
 * update, patch (JSON merge and strategic merge) and delete (propagationPolicy), every write with `dryRun=All`.
 * Query parameters are decoded as kube-apiserver decodes them (options.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { defaultOnCreate, defaultUntracked } from './defaulting.js';
import { checkPreconditions, type DeleteOutcome, deleteObject } from './deletion.js';
import { managerOf, trackFields } from './field-manager.js';
import {
  type FieldRequirement,
  FieldSelectorError,
  matchesFields,
  parseFieldSelector,
} from './field-selector.js';
import { fieldValidationOf, validateFields } from './field-validation.js';
import { readBody, readBodyBytes, sendJson, sendStatus, statusBody, writeChunk, writeText } from './http.js';
import { matchesLabels, parseLabelSelector, type Requirement, SelectorParseError } from './label-selector.js';
import type { ApiVerb } from './metrics.js';
import {
  decodeProtobufDeleteOptions,
  dryRunOf,
  type ListOptions,
  ParameterError,
  type PropagationPolicy,
  parseDeleteOptions,
  parseListOptions,
  queryBool,
} from './options.js';
import { decodeProtobufObject } from './protobuf.js';
import { decodeRbacProtobuf } from './rbac/protobuf.js';
import { type SimStore, StoreError, type WriteOptions } from './store.js';
import { includeObjectParam, toTable, wantsTable } from './table.js';
import {
  type ApiGroup,
  type KubeObject,
  type RbacResource,
  RESOURCES,
  type ResourceName,
  type StoredEvent,
} from './types.js';
import { decodeChecks, validateObject } from './validation.js';

/** What a request path names. */
export interface Target {
  resource: ResourceName;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const STORED_GROUPS = new Set<string>(Object.values(RESOURCES).map((r) => r.group));

/**
 * Parses `/api/v1/...` and `/apis/GROUP/v1/...` paths of the stored kinds (batch,
 * coordination.k8s.io, rbac.authorization.k8s.io); undefined when the path names no resource.
 */
export function parseResourcePath(pathname: string): Target | undefined {
  let rest: string[];
  let group: ApiGroup;
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'api' && parts[1] === 'v1') {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && STORED_GROUPS.has(parts[1]) && parts[2] === 'v1') {
    group = parts[1] as ApiGroup;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let target: Target | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    target = { namespace: rest[1], resource: rest[2] as ResourceName, name: rest[3], subresource: rest[4] };
    if (rest.length > 5) return undefined;
  } else if (rest.length >= 1 && rest.length <= 3) {
    target = { resource: rest[0] as ResourceName, name: rest[1], subresource: rest[2] };
  }
  if (!target) return undefined;
  const info = RESOURCES[target.resource];
  if (!info || info.group !== group) return undefined;
  if (target.namespace !== undefined && !info.namespaced) return undefined;
  if (target.subresource === 'eviction' && target.resource === 'pods') return target;
  if (target.subresource !== undefined && target.subresource !== 'status') return undefined;
  return target;
}

export function verbOf(method: string, target: Target, query: URLSearchParams): ApiVerb | undefined {
  // pods/eviction is create-only (a POST of an Eviction), as kube-apiserver serves it.
  if (target.subresource === 'eviction') return method === 'POST' ? 'CREATE' : undefined;
  switch (method) {
    case 'GET':
      if (target.name) return 'GET';
      // `watch=True` (the Python client), `watch=1` and a bare `watch` are watches too.
      return queryBool(query, 'watch') ? 'WATCH' : 'LIST';
    case 'POST':
      return target.name ? undefined : 'CREATE';
    case 'PUT':
      return target.name ? 'UPDATE' : undefined;
    case 'PATCH':
      return target.name ? 'PATCH' : undefined;
    case 'DELETE':
      return target.name ? 'DELETE' : undefined;
    default:
      return undefined;
  }
}

/** What the handlers need from the simulator around them. */
export interface ApiContext {
  store: SimStore;
  now: () => Date;
  bookmarkIntervalMs: number;
  /** Registers an open watch so faults can drop it; returns the function that unregisters it. */
  trackWatch(resource: ResourceName, res: ServerResponse): () => void;
  countWatchEvent(resource: ResourceName, type: string): void;
  /** Bytes written, for the metrics. */
  addBytes(n: number): void;
  /** The request's admission of writes (RBAC's escalation check), run by the store before validation. */
  admit?: WriteOptions['admit'];
  /** Told the object a write request changed (or would have, in a dry run), for the audit record. */
  wrote?: (obj: KubeObject, dryRun: boolean) => void;
}

interface Filter {
  namespace?: string;
  labels: Requirement[];
  fields: FieldRequirement[];
}

class BadRequest extends Error {}

function parseFilter(target: Target, query: URLSearchParams): Filter {
  try {
    return {
      namespace: target.namespace,
      labels: parseLabelSelector(query.get('labelSelector') ?? ''),
      fields: parseFieldSelector(query.get('fieldSelector') ?? '', target.resource),
    };
  } catch (err) {
    if (err instanceof SelectorParseError || err instanceof FieldSelectorError)
      throw new BadRequest(err.message);
    throw err;
  }
}

function matches(filter: Filter, obj: KubeObject): boolean {
  return (
    (filter.namespace === undefined || obj.metadata.namespace === filter.namespace) &&
    matchesLabels(filter.labels, obj.metadata.labels) &&
    matchesFields(filter.fields, obj)
  );
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString(
    'base64url',
  );
}

function decodeContinue(text: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string')
      return { rv: parsed.rv, start: parsed.start };
  } catch {
    // fall through to the error below
  }
  throw new BadRequest(
    `continue key is not valid: expected a token from a previous list response, received "${text}"`,
  );
}

/** Answers one resource request. Errors become Status replies; nothing throws out. */
export async function handleResource(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: Target,
  verb: ApiVerb,
  query: URLSearchParams,
): Promise<number> {
  try {
    switch (verb) {
      case 'LIST':
        return await serveList(ctx, req, res, target, query, parseListOptions(query));
      case 'WATCH':
        return serveWatch(ctx, req, res, target, query, parseListOptions(query));
      case 'GET': {
        const obj = ctx.store.get(target.resource, target.namespace, target.name!);
        if (!obj) throw notFound(target);
        return reply(ctx, req, res, 200, obj, target.resource, query);
      }
      case 'CREATE': {
        if (target.subresource === 'eviction') return await serveEviction(ctx, req, res, target, query);
        const dryRun = dryRunOf(query.getAll('dryRun'), 'CreateOptions');
        const body = await jsonBody(req, target);
        if (target.namespace && body.metadata.namespace && body.metadata.namespace !== target.namespace) {
          throw new BadRequest(
            'the namespace of the provided object does not match the namespace sent on the request',
          );
        }
        if (target.namespace) body.metadata = { ...body.metadata, namespace: target.namespace };
        // rest.BeforeCreate: what only the server sets is the server's, whatever the client sent.
        const { deletionTimestamp, deletionGracePeriodSeconds, resourceVersion, ...meta } = body.metadata;
        body.metadata = meta;
        decodeChecks(target.resource, body);
        const warnings = validateFields(fieldValidationOf(query), RESOURCES[target.resource], body, true);
        const created = ctx.store.create(target.resource, body, {
          dryRun,
          admit: ctx.admit,
          default: (obj) => defaultOnCreate(target.resource, obj),
          untracked: (obj) => defaultUntracked(target.resource, obj),
          validate: (obj) => validateObject(target.resource, obj),
          track: tracker(ctx, req, query, target),
        });
        ctx.wrote?.(created, dryRun);
        if (warnings.length) res.setHeader('Warning', warnings);
        return reply(ctx, req, res, 201, created, target.resource, query);
      }
      case 'UPDATE': {
        const dryRun = dryRunOf(query.getAll('dryRun'), 'UpdateOptions');
        const body = await jsonBody(req, target);
        if (body.metadata.name !== target.name) {
          throw new BadRequest(
            `the name of the object (${body.metadata.name}) does not match the name on the URL (${target.name})`,
          );
        }
        body.metadata = { ...body.metadata, namespace: target.namespace };
        decodeChecks(target.resource, body);
        const warnings = validateFields(fieldValidationOf(query), RESOURCES[target.resource], body, true);
        const updated = ctx.store.update(target.resource, body, {
          dryRun,
          admit: ctx.admit,
          validate: (obj, old) => validateObject(target.resource, obj, old),
          track: tracker(ctx, req, query, target),
        });
        ctx.wrote?.(updated, dryRun);
        if (warnings.length) res.setHeader('Warning', warnings);
        return reply(ctx, req, res, 200, updated, target.resource, query);
      }
      case 'PATCH': {
        const dryRun = dryRunOf(query.getAll('dryRun'), 'PatchOptions');
        const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
        // Anything else, server-side apply (`application/apply-patch+yaml`) included, is
        // answered as kube-apiserver answers a patch type it does not serve (handlers/patch.go:
        // negotiation.NewUnsupportedMediaTypeError(patchTypes)): 415 UnsupportedMediaType,
        // naming the patch types it accepts.
        if (!PATCH_TYPES.includes(type)) {
          return sendStatus(
            res,
            415,
            `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
            'UnsupportedMediaType',
          );
        }
        const patch = parseJson(await readBody(req));
        // A JSON patch names paths, not fields: only merge and strategic patches are checked.
        const warnings =
          type === JSON_PATCH
            ? []
            : validateFields(fieldValidationOf(query), RESOURCES[target.resource], patch, false);
        const patched = ctx.store.patch(
          target.resource,
          target.namespace,
          target.name!,
          patch,
          {
            dryRun,
            admit: ctx.admit,
            validate: (obj, old) => validateObject(target.resource, obj, old),
            track: tracker(ctx, req, query, target),
          },
          type === STRATEGIC ? 'strategic' : type === JSON_PATCH ? 'json' : 'merge',
        );
        ctx.wrote?.(patched, dryRun);
        if (warnings.length) res.setHeader('Warning', warnings);
        return reply(ctx, req, res, 200, patched, target.resource, query);
      }
      case 'DELETE':
        return await serveDelete(ctx, req, res, target, query);
    }
  } catch (err) {
    if (err instanceof StoreError) return sendStatus(res, err.code, err.message, err.reason, err.details);
    if (err instanceof BadRequest || err instanceof ParameterError)
      return sendStatus(res, 400, err.message, 'BadRequest');
    if (err instanceof Error && err.name === 'BodyTooLargeError') return sendStatus(res, 413, err.message);
    throw err;
  }
}

/** The managedFields entry of a create, update or patch: the manager from fieldManager or the User-Agent. */
function tracker(ctx: ApiContext, req: IncomingMessage, query: URLSearchParams, target: Target) {
  const manager = managerOf(query.get('fieldManager'), req.headers['user-agent']);
  const time = ctx
    .now()
    .toISOString()
    .replace(/\.\d+Z$/, 'Z');
  return (obj: KubeObject, old: KubeObject | undefined) =>
    trackFields(
      obj,
      old,
      manager,
      RESOURCES[target.resource].apiVersion,
      time,
      target.subresource === 'status' ? 'status' : undefined,
    );
}

const STRATEGIC = 'application/strategic-merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
/**
 * The patch types served, in kube-apiserver's order: JSON patch (json-patch.ts), JSON
 * merge patch and strategic merge patch (strategic-patch.ts).
 */
const PATCH_TYPES = [JSON_PATCH, 'application/merge-patch+json', STRATEGIC];

function notFound(target: Target): StoreError {
  const group = RESOURCES[target.resource].group;
  const kind = group ? `${target.resource}.${group}` : target.resource;
  return new StoreError(404, 'NotFound', `${kind} "${target.name}" not found`, {
    name: target.name,
    kind: target.resource,
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const RBAC_KINDS = new Set<ResourceName>(['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings']);

async function jsonBody(req: IncomingMessage, target: Target): Promise<KubeObject> {
  const bytes = await readBodyBytes(req);
  const protobuf = (req.headers['content-type'] ?? '').startsWith(PROTOBUF);
  const info = RESOURCES[target.resource];
  // kubectl's typed clients send what they create as protobuf (1.32 and later: jobs,
  // namespaces, the RBAC kinds...); protobuf.ts reads the served kinds' messages.
  const body = (
    !protobuf
      ? parseJson(bytes.toString('utf8'))
      : RBAC_KINDS.has(target.resource)
        ? decodeRbacProtobuf(bytes, target.resource as RbacResource, info.kind, info.apiVersion)
        : decodeProtobufObject(bytes, info.kind)
  ) as KubeObject;
  if (!body || typeof body !== 'object' || !body.metadata || typeof body.metadata !== 'object') {
    throw new BadRequest(
      `expected a ${RESOURCES[target.resource].kind} object with metadata, received ${JSON.stringify(body)?.slice(0, 100)}`,
    );
  }
  if (body.kind !== undefined && body.kind !== info.kind) {
    throw new BadRequest(
      `expected kind ${info.kind} for ${target.resource}, received kind ${JSON.stringify(body.kind)}`,
    );
  }
  return { ...body, metadata: { ...body.metadata } };
}

/**
 * Batch/v1 Jobs orphan their pods when the client names no policy (the Job strategy's
 * DefaultGarbageCollectionPolicy, kept for compatibility), and the server says so in a
 * Warning; kubectl always names one (Background unless --cascade says otherwise).
 */
const JOB_ORPHAN_WARNING =
  '299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"';
const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

async function serveDelete(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: Target,
  query: URLSearchParams,
): Promise<number> {
  const bytes = await readBodyBytes(req);
  const protobuf = (req.headers['content-type'] ?? '').startsWith(PROTOBUF);
  const text = protobuf ? '' : bytes.toString('utf8');
  const body =
    protobuf && bytes.length ? decodeProtobufDeleteOptions(bytes) : text.trim() ? parseJson(text) : {};
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequest(`expected DeleteOptions, received ${JSON.stringify(body)?.slice(0, 100)}`);
  }
  const options = parseDeleteOptions(query, body as Record<string, unknown>);
  const { store } = ctx;
  const { resource, namespace } = target;
  const name = target.name!;
  let policy: PropagationPolicy = options.propagationPolicy ?? 'Background';
  if (options.propagationPolicy === undefined && resource === 'jobs') {
    policy = 'Orphan';
    res.setHeader('Warning', JOB_ORPHAN_WARNING);
  }
  const request = {
    gracePeriodSeconds: options.gracePeriodSeconds,
    preconditions: options.preconditions,
    now: ctx.now(),
  };
  if (options.dryRun) {
    // Validated, authorised (before this handler) and found, but nothing changes: no
    // dependent is touched and no watcher hears of it.
    const outcome = deleteObject(store, resource, namespace, name, { ...request, dryRun: true });
    ctx.wrote?.(outcome.object, true);
    return replyDeleted(ctx, req, res, outcome, resource, query);
  }
  const owner = store.get(resource, namespace, name);
  if (!owner) store.delete(resource, namespace, name); // the 404, worded as the store words it
  checkPreconditions(resource, owner!, options.preconditions);
  const uid = owner!.metadata.uid!;
  // Of the served kinds only jobs (their pods) and nodes (mirror pods, their Lease) own anything.
  if (!OWNERS.has(resource)) policy = 'Background';
  if (policy === 'Orphan') orphanDependents(store, uid, owner!.metadata.namespace);
  // Foreground: a real server marks the owner (deletionTimestamp and the
  // foregroundDeletion finalizer) and the garbage collector deletes the dependents
  // before the owner goes. The simulator does the same in one step: dependents first,
  // then the owner (which waits for its own finalizers, if it has any).
  if (policy === 'Foreground') deleteDependents(store, uid, owner!.metadata.namespace, 'Foreground');
  const outcome = deleteObject(store, resource, namespace, name, request);
  ctx.wrote?.(outcome.object, false);
  if (outcome.deleted && resource === 'namespaces') deleteNamespaceContents(store, name);
  // Background: the owner goes now and the garbage collector takes the dependents right
  // after (asynchronously, as on a real cluster). An owner still waiting for finalizers
  // keeps them (the job controller deletes a job's pods once the job is gone).
  if (outcome.deleted && policy === 'Background' && OWNERS.has(resource)) {
    setImmediate(() => deleteDependents(store, uid, owner!.metadata.namespace, 'Background'));
  }
  return replyDeleted(ctx, req, res, outcome, resource, query);
}

/** Kinds whose registry answers a delete with the object (Store.ReturnDeletedObject); the others with a Status. */
const RETURN_DELETED_OBJECT = new Set<ResourceName>(['pods', 'namespaces']);

/**
 * What a DELETE answers: the object while it waits for its grace period or finalizers, and
 * once gone the object (pods, namespaces) or a Success Status naming it (the other kinds).
 */
function replyDeleted(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  outcome: DeleteOutcome,
  resource: ResourceName,
  query: URLSearchParams,
): number {
  const waiting = !outcome.deleted && outcome.object.metadata.deletionTimestamp !== undefined;
  if (RETURN_DELETED_OBJECT.has(resource) || waiting) {
    return reply(ctx, req, res, 200, outcome.object, resource, query);
  }
  // Gone (or, in a dry run, as good as gone).
  return sendJson(res, 200, deletedStatus(resource, outcome.object));
}

function deletedStatus(resource: ResourceName, obj: KubeObject) {
  const group = RESOURCES[resource].group;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: obj.metadata.name, ...(group ? { group } : {}), kind: resource, uid: obj.metadata.uid },
  };
}

/**
 * POST pods/NAME/eviction (policy/v1 Eviction, v1beta1 accepted too), as kube-apiserver's
 * EvictionREST answers it without PodDisruptionBudgets (none are served): the pod gets the
 * DisruptionTarget condition and is deleted with the Eviction's deleteOptions (grace period,
 * dry run, preconditions), and the answer is a 201 Success Status.
 */
async function serveEviction(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: Target,
  query: URLSearchParams,
): Promise<number> {
  const requestDryRun = query.getAll('dryRun');
  dryRunOf(requestDryRun, 'CreateOptions');
  const bytes = await readBodyBytes(req);
  const protobuf = (req.headers['content-type'] ?? '').startsWith(PROTOBUF);
  const eviction = (protobuf ? decodeProtobufObject(bytes, 'Eviction') : parseJson(bytes.toString('utf8'))) as
    | KubeObject
    | undefined;
  if (!eviction || typeof eviction !== 'object' || Array.isArray(eviction)) {
    throw new BadRequest(`expected an Eviction, received ${JSON.stringify(eviction)?.slice(0, 100)}`);
  }
  if (eviction.kind !== undefined && eviction.kind !== 'Eviction') {
    throw new BadRequest(
      `expected kind Eviction for pods/eviction, received kind ${JSON.stringify(eviction.kind)}`,
    );
  }
  if (
    eviction.apiVersion !== undefined &&
    eviction.apiVersion !== 'policy/v1' &&
    eviction.apiVersion !== 'policy/v1beta1'
  ) {
    throw new BadRequest(
      `the API version in the data (${eviction.apiVersion}) does not match the expected API version (policy/v1)`,
    );
  }
  const name = target.name!;
  if (eviction.metadata?.name !== name)
    throw new BadRequest('name in URL does not match name in Eviction object');
  const given = (eviction.deleteOptions ?? {}) as Record<string, unknown>;
  // propagateDryRun: the request's dryRun and the deleteOptions' must agree when both are given.
  const givenDryRun = Array.isArray(given.dryRun) ? given.dryRun.map(String) : [];
  if (givenDryRun.length && requestDryRun.length && givenDryRun.join() !== requestDryRun.join()) {
    throw new StoreError(
      500,
      'InternalError',
      `Internal error occurred: Non-matching dry-run options in request and content: [${requestDryRun.join(' ')}] and [${givenDryRun.join(' ')}]`,
    );
  }
  const options = parseDeleteOptions(new URLSearchParams(), {
    ...given,
    dryRun: givenDryRun.length ? givenDryRun : requestDryRun,
  });
  const { store } = ctx;
  const pod = store.get('pods', target.namespace, name);
  if (!pod) throw notFound(target);
  checkPreconditions('pods', pod, options.preconditions);
  let preconditions = options.preconditions;
  if (!options.dryRun) {
    // addConditionAndDeletePod (PodDisruptionConditions, on since 1.26, GA in 1.31).
    const conditions = ((pod.status?.conditions ?? []) as Record<string, unknown>[]).filter(
      (c) => c.type !== 'DisruptionTarget',
    );
    const now = ctx
      .now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    conditions.push({
      type: 'DisruptionTarget',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: now,
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
    });
    const updated = store.update('pods', { ...pod, status: { ...(pod.status ?? {}), conditions } });
    // The precondition held before the condition was added; the delete holds to the pod as updated.
    if (preconditions?.resourceVersion !== undefined)
      preconditions = { ...preconditions, resourceVersion: updated.metadata.resourceVersion };
  }
  const outcome = deleteObject(store, 'pods', target.namespace, name, {
    gracePeriodSeconds: options.gracePeriodSeconds,
    preconditions,
    dryRun: options.dryRun,
    now: ctx.now(),
  });
  ctx.wrote?.(outcome.object, options.dryRun);
  return sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

const OWNED_KINDS = ['pods', 'jobs', 'leases'] as const;
const OWNERS = new Set<ResourceName>(['jobs', 'nodes']);

function* dependentsOf(store: SimStore, uid: string, namespace: string | undefined) {
  // Owner references are namespace-local (a cluster-scoped owner may own objects anywhere).
  for (const resource of OWNED_KINDS) {
    for (const obj of store.scan(resource, { namespace })) {
      if (obj.metadata.ownerReferences?.some((o) => o.uid === uid)) yield { resource, obj };
    }
  }
}

/** What the garbage collector does for Orphan: each dependent loses its reference to the owner. */
function orphanDependents(store: SimStore, uid: string, namespace: string | undefined): void {
  for (const { resource, obj } of [...dependentsOf(store, uid, namespace)]) {
    store.mutate(resource, obj.metadata.namespace, obj.metadata.name, (draft) => {
      const refs = (draft.metadata.ownerReferences ?? []).filter((o) => o.uid !== uid);
      if (refs.length) draft.metadata.ownerReferences = refs;
      else delete draft.metadata.ownerReferences;
      // The job controller drops its tracking finalizer from pods its job no longer owns.
      const finalizers = (draft.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
      if (finalizers.length) draft.metadata.finalizers = finalizers;
      else delete draft.metadata.finalizers;
      return draft;
    });
  }
}

function deleteDependents(
  store: SimStore,
  uid: string,
  namespace: string | undefined,
  policy: 'Foreground' | 'Background',
): void {
  for (const { resource, obj } of [...dependentsOf(store, uid, namespace)]) {
    const ns = obj.metadata.namespace;
    if (!store.get(resource, ns, obj.metadata.name)) continue; // someone else took it meanwhile
    if (policy === 'Foreground') deleteDependents(store, obj.metadata.uid!, ns, policy);
    store.delete(resource, ns, obj.metadata.name);
    if (policy === 'Background') deleteDependents(store, obj.metadata.uid!, ns, policy);
  }
}

function deleteNamespaceContents(store: SimStore, namespace: string): void {
  for (const resource of ['jobs', 'pods', 'events', 'leases', 'rolebindings', 'roles'] as const) {
    for (const obj of [...store.scan(resource, { namespace })])
      store.delete(resource, namespace, obj.metadata.name);
  }
}

function reply(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  code: number,
  obj: KubeObject,
  resource: ResourceName,
  query: URLSearchParams,
): number {
  if (wantsTable(req.headers.accept)) {
    const table = toTable(resource, [obj], {
      includeObject: includeObjectParam(query),
      now: ctx.now(),
      resourceVersion: obj.metadata.resourceVersion ?? '',
    });
    return sendJson(res, code, table);
  }
  return sendJson(res, code, obj);
}

async function serveList(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: Target,
  query: URLSearchParams,
  opts: ListOptions,
): Promise<number> {
  const filter = parseFilter(target, query);
  // A limit of 0 or less is no limit, as on a real server.
  const limit = Math.max(0, opts.limit);
  const token = opts.continueToken ? decodeContinue(opts.continueToken) : undefined;
  if (token && token.rv < ctx.store.oldestResourceVersion) {
    return sendStatus(
      res,
      410,
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      'Expired',
    );
  }
  // Pages after the first report the first page's resourceVersion: a client that then
  // watches from it gets every change made while it paged replayed, as from a snapshot.
  let listRV = token ? token.rv : ctx.store.resourceVersion;
  let scan: Iterable<KubeObject> = ctx.store.scan(target.resource, {
    namespace: target.namespace,
    afterKey: token?.start,
  });
  let snapshot = false;
  if (opts.resourceVersionMatch) {
    const rv = opts.resourceVersion === '0' ? ctx.store.resourceVersion : Number(opts.resourceVersion);
    if (!Number.isSafeInteger(rv) || rv < 0) {
      throw new BadRequest(`invalid resource version: ${JSON.stringify(opts.resourceVersion)}`);
    }
    if (rv > ctx.store.resourceVersion) {
      // A real server waits up to 3 s for its cache to catch up, then gives up like this.
      return sendStatus(
        res,
        504,
        `Timeout: Too large resource version: ${rv}, current: ${ctx.store.resourceVersion}`,
        'Timeout',
        { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version', field: '' }] },
        { 'Retry-After': '1' },
      );
    }
    if (opts.resourceVersionMatch === 'Exact' && rv !== ctx.store.resourceVersion) {
      // Exact: the list as it was at that resourceVersion (410 once compacted away).
      try {
        scan = ctx.store.snapshotAt(target.resource, rv, target.namespace);
      } catch (err) {
        if (err instanceof StoreError && err.code === 410) {
          return sendStatus(res, 410, `The resourceVersion for the provided list is too old.`, 'Expired');
        }
        throw err;
      }
      listRV = rv;
      snapshot = true;
    }
  }
  const info = RESOURCES[target.resource];

  if (!limit && !wantsTable(req.headers.accept)) {
    // Unpaged: stream the items so a 100k-pod LIST never becomes one giant string.
    const head = `{"kind":"${info.listKind}","apiVersion":"${info.apiVersion}","metadata":{"resourceVersion":"${listRV}"},"items":[`;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    let bytes = 0;
    let batch: string[] = [];
    let first = true;
    const flush = async () => {
      const chunk = (first ? head : ',') + batch.join(',');
      first = false;
      batch = [];
      bytes += Buffer.byteLength(chunk);
      return writeChunk(res, chunk);
    };
    for (const obj of scan) {
      if (!matches(filter, obj)) continue;
      batch.push(JSON.stringify(obj));
      if (batch.length >= 200 && !(await flush())) return bytes;
    }
    if (batch.length || first) await flush();
    res.end(']}');
    return bytes + 2;
  }

  const items: KubeObject[] = [];
  let more = false;
  for (const obj of scan) {
    if (!matches(filter, obj)) continue;
    if (limit && items.length === limit) {
      more = true;
      break;
    }
    items.push(obj);
  }
  const continueToken =
    more && items.length ? encodeContinue({ rv: listRV, start: keyOf(items[items.length - 1]) }) : undefined;
  // Without selectors a real server knows how many keys are left (etcd's count) and says so.
  const remainingItemCount =
    continueToken && !snapshot && !filter.labels.length && !filter.fields.length
      ? ctx.store.countAfter(target.resource, keyOf(items[items.length - 1]), target.namespace)
      : undefined;
  if (wantsTable(req.headers.accept)) {
    return sendJson(
      res,
      200,
      toTable(target.resource, items, {
        includeObject: includeObjectParam(query),
        now: ctx.now(),
        resourceVersion: String(listRV),
        continueToken,
        remainingItemCount,
      }),
    );
  }
  return sendJson(res, 200, {
    kind: info.listKind,
    apiVersion: info.apiVersion,
    metadata: {
      resourceVersion: String(listRV),
      ...(continueToken ? { continue: continueToken } : {}),
      ...(remainingItemCount !== undefined ? { remainingItemCount } : {}),
    },
    items,
  });
}

function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

/** A watch stream: NDJSON lines, one event each, as a real API server frames them. */
function serveWatch(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: Target,
  query: URLSearchParams,
  opts: ListOptions,
): number {
  const filter = parseFilter(target, query);
  const rvText = opts.resourceVersion;
  const from = rvText === '' || rvText === '0' ? undefined : Number(rvText);
  if (from !== undefined && (!Number.isInteger(from) || from < 0)) {
    throw new BadRequest(
      `resourceVersion: expected a resourceVersion from a previous response, received "${rvText}"`,
    );
  }
  const timeoutSeconds = opts.timeoutSeconds;
  const table = wantsTable(req.headers.accept);
  const includeObject = includeObjectParam(query);
  const { store, now } = ctx;
  const resource = target.resource;
  const info = RESOURCES[resource];

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  // Bytes are counted per line through ctx.addBytes, as the stream goes on.
  // Lines of one turn (a pod replaced: DELETED then ADDED; a job and its pods) go out in one
  // write at the end of the turn, as kube-apiserver flushes a watch only once its queue is
  // empty (watch.go, HandleHTTP: `if len(ch) == 0 { flusher.Flush() }`). Whatever ends the
  // stream writes what is pending first (`finish`).
  let pending = '';
  const flush = () => {
    const chunk = pending;
    pending = '';
    if (!chunk || res.destroyed || res.writableEnded) return;
    writeText(res, chunk);
    // A watcher that reads nothing while events pile up is cut off, as a real server does,
    // rather than buffering without bound.
    if (res.writableLength > 64 * 1024 * 1024) res.destroy();
  };
  const finish = () => {
    flush();
    if (!res.writableEnded) res.end();
  };
  const send = (type: string, object: unknown) => {
    if (res.destroyed || res.writableEnded) return;
    const payload =
      table && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')
        ? toTable(resource, [object as KubeObject], {
            includeObject,
            now: now(),
            resourceVersion: (object as KubeObject).metadata.resourceVersion ?? '',
          })
        : object;
    const line = `${JSON.stringify({ type, object: payload })}\n`;
    ctx.addBytes(Buffer.byteLength(line));
    ctx.countWatchEvent(resource, type);
    if (pending === '') process.nextTick(flush);
    pending += line;
    // A whole state sent as ADDED events (resourceVersion 0) is written as it goes, a MiB at a time.
    if (pending.length > 1 << 20) flush();
  };

  let lastRV = from ?? 0;
  const onEvent = (event: StoredEvent) => {
    if (event.rv <= lastRV) return;
    lastRV = event.rv;
    const now = matches(filter, event.object);
    if (event.type === 'MODIFIED') {
      const before = event.previous ? matches(filter, event.previous) : now;
      if (now && before) send('MODIFIED', event.object);
      else if (now) send('ADDED', event.object);
      else if (before) send('DELETED', event.object);
    } else if (now) {
      send(event.type, event.object);
    }
  };
  const unsubscribe = store.subscribe(resource, onEvent);
  const untrack = ctx.trackWatch(resource, res);
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;
  const cleanup = () => {
    unsubscribe();
    untrack();
    clearTimeout(bookmarkTimer);
    clearTimeout(timeoutTimer);
  };
  res.on('close', cleanup);
  req.on('close', finish);

  const bookmark = (annotations?: Record<string, string>) =>
    send('BOOKMARK', {
      kind: info.kind,
      apiVersion: info.apiVersion,
      metadata: { resourceVersion: String(lastRV), ...(annotations ? { annotations } : {}) },
    });
  if (opts.sendInitialEvents === true) {
    // Watch-list (sendInitialEvents=true, resourceVersionMatch=NotOlderThan): the current
    // state, which is never older than any resourceVersion asked for, as ADDED events;
    // then a BOOKMARK marking the end of them; then the changes.
    for (const obj of store.scan(resource, { namespace: target.namespace })) {
      if (matches(filter, obj)) send('ADDED', obj);
    }
    lastRV = store.resourceVersion;
    if (opts.allowWatchBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else if (opts.sendInitialEvents === false && from === undefined) {
    // No initial events and no resourceVersion: changes from now on.
    lastRV = store.resourceVersion;
  } else if (from === undefined) {
    // "" and "0": the current state as ADDED events first, then changes.
    for (const obj of store.scan(resource, { namespace: target.namespace })) {
      if (matches(filter, obj)) send('ADDED', obj);
    }
    lastRV = store.resourceVersion;
  } else {
    let replay: StoredEvent[];
    try {
      replay = store.eventsSince(resource, from);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      // A too-old resourceVersion is an ERROR event on a 200 stream, then the end.
      send('ERROR', statusBody(410, err.message, 'Expired'));
      finish();
      return 0;
    }
    for (const event of replay) onEvent(event);
  }

  if (opts.allowWatchBookmarks) {
    const periodic = () => {
      lastRV = Math.max(lastRV, store.resourceVersion);
      bookmark();
      bookmarkTimer = setTimeout(periodic, ctx.bookmarkIntervalMs).unref();
    };
    bookmarkTimer = setTimeout(periodic, ctx.bookmarkIntervalMs).unref();
  }
  if (timeoutSeconds > 0) {
    timeoutTimer = setTimeout(finish, timeoutSeconds * 1000).unref();
  }
  return 0;
}
