/**
 * The OpenAPI documents of the served API: `/openapi/v2` (JSON, or gnostic protobuf, which is
 * all kubectl asks for) and `/openapi/v3` (an index of group-versions, each its own document),
 * so that `kubectl create -f` and `apply` validate, `apply` finds the patch strategies and
 * `kubectl explain` explains.
 *
 * Three sources, none of them a hand-written copy of the spec:
 * - the definitions (`openapi/definitions.generated.json`): scripts/generate-openapi.ts makes
 *   them from @kubernetes/client-node's models, which were generated from the Kubernetes spec;
 * - the patch extensions (`x-kubernetes-patch-strategy`, `-patch-merge-key`, `-list-type`,
 *   `-list-map-keys`): strategic-patch.ts's PATCH_META, the table the strategic patch applies;
 * - the kinds and operations: RESOURCES, the review kinds and the subresources discovery lists.
 *
 * Built once, on first request (~230 ms on this 2-core machine; 430 KB of v2 JSON, 370 KB of
 * protobuf, 20-290 KB per v3 document), and kept; each document has a sha512 ETag as
 * kube-apiserver's, and v3's documents are addressed by it (`?hash=`).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SIMULATED_VERSION, WITH_STATUS } from './discovery.js';
import { sendStatus } from './http.js';
import GENERATED from './openapi/definitions.generated.json' with { type: 'json' };
import { encodeOpenApiV2 } from './openapi-protobuf.js';
import { REVIEWS } from './rbac/reviews.js';
import { PATCH_META } from './strategic-patch.js';
import { RESOURCES, type ResourceInfo } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI schemas are open-ended JSON
export type Schema = Record<string, any>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** The Go package of each served group's types (the definitions' name prefix). */
const PACKAGES: Record<string, string> = {
  '': 'io.k8s.api.core.v1',
  apps: 'io.k8s.api.apps.v1',
  batch: 'io.k8s.api.batch.v1',
  'coordination.k8s.io': 'io.k8s.api.coordination.v1',
  'rbac.authorization.k8s.io': 'io.k8s.api.rbac.v1',
  policy: 'io.k8s.api.policy.v1',
  'authentication.k8s.io': 'io.k8s.api.authentication.v1',
  'authorization.k8s.io': 'io.k8s.api.authorization.v1',
};

/** kube-apiserver's operation-id and tag spelling of a group: `rbac.authorization.k8s.io` → RbacAuthorization. */
function groupWord(group: string): string {
  if (!group) return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split('.')
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}

const definitionName = (group: string, kind: string) => `${PACKAGES[group]}.${kind}`;
const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
const gvk = (group: string, kind: string) => ({ group, kind, version: 'v1' });

/** The query parameters of each action, as kube-apiserver documents them (the ones the simulator reads). */
const QUERY: Record<string, [name: string, type: string, description: string][]> = {
  list: [
    ['allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK".'],
    ['continue', 'string', 'The continue option should be set when retrieving more results from the server.'],
    ['fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields.'],
    ['labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels.'],
    ['limit', 'integer', 'limit is a maximum number of responses to return for a list call.'],
    [
      'resourceVersion',
      'string',
      'resourceVersion sets a constraint on what resource versions a request may be served from.',
    ],
    [
      'resourceVersionMatch',
      'string',
      'resourceVersionMatch determines how resourceVersion is applied to list calls.',
    ],
    ['sendInitialEvents', 'boolean', '`sendInitialEvents=true` may be set together with `watch=true`.'],
    ['timeoutSeconds', 'integer', 'Timeout for the list/watch call.'],
    [
      'watch',
      'boolean',
      'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.',
    ],
  ],
  write: [
    [
      'dryRun',
      'string',
      'When present, indicates that modifications should not be persisted. Valid value: All',
    ],
    [
      'fieldManager',
      'string',
      'fieldManager is a name associated with the actor or entity that is making these changes.',
    ],
    [
      'fieldValidation',
      'string',
      'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.',
    ],
  ],
  delete: [
    [
      'dryRun',
      'string',
      'When present, indicates that modifications should not be persisted. Valid value: All',
    ],
    ['gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted.'],
    [
      'propagationPolicy',
      'string',
      "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'.",
    ],
  ],
};

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];
const PRODUCES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

interface OperationSpec {
  action: 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete';
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  id: string;
  description: string;
  group: string;
  kind: string;
  /** The definition answered with 200 (201 for a create). */
  answers: string;
  /** The body's definition, when there is one. */
  body?: string;
}

function operation(op: OperationSpec): Schema {
  const query =
    op.action === 'list'
      ? QUERY.list
      : op.action === 'delete'
        ? QUERY.delete
        : op.action === 'get'
          ? []
          : QUERY.write;
  const parameters: Schema[] = [
    ...(op.body ? [{ name: 'body', in: 'body', required: true, schema: ref(op.body) }] : []),
    ...query.map(([name, type, description]) => ({
      uniqueItems: true,
      type,
      description,
      name,
      in: 'query',
    })),
  ];
  return {
    description: op.description,
    consumes: op.method === 'patch' ? PATCH_TYPES : ['*/*'],
    produces: PRODUCES,
    schemes: ['https'],
    tags: [`${groupWord(op.group).replace(/^./, (c) => c.toLowerCase())}_v1`],
    operationId: op.id,
    parameters,
    responses: {
      [op.action === 'post' ? '201' : '200']: {
        description: op.action === 'post' ? 'Created' : 'OK',
        schema: ref(op.answers),
      },
      '401': { description: 'Unauthorized' },
    },
    'x-kubernetes-action': op.action,
    'x-kubernetes-group-version-kind': gvk(op.group, op.kind),
  };
}

const pathParam = (name: string, description: string) => ({
  uniqueItems: true,
  type: 'string',
  description,
  name,
  in: 'path',
  required: true,
});
const NAME = (kind: string) => pathParam('name', `name of the ${kind}`);
const NAMESPACE = pathParam('namespace', 'object name and auth scope, such as for teams and projects');

/** The served paths of one resource: collection, object, status and eviction. */
function resourcePaths(info: ResourceInfo): [string, Schema][] {
  const prefix = info.group ? `/apis/${info.group}/v1` : '/api/v1';
  const scope = info.namespaced ? 'Namespaced' : '';
  const collection = info.namespaced
    ? `${prefix}/namespaces/{namespace}/${info.name}`
    : `${prefix}/${info.name}`;
  const word = `${groupWord(info.group)}V1`;
  const kind = definitionName(info.group, info.kind);
  const common = { group: info.group, kind: info.kind };
  const scoped = info.namespaced ? [NAMESPACE] : [];
  const paths: [string, Schema][] = [
    [
      collection,
      {
        get: operation({
          ...common,
          action: 'list',
          method: 'get',
          id: `list${word}${scope}${info.kind}`,
          description: `list or watch objects of kind ${info.kind}`,
          answers: definitionName(info.group, info.listKind),
        }),
        post: operation({
          ...common,
          action: 'post',
          method: 'post',
          id: `create${word}${scope}${info.kind}`,
          description: `create a ${info.kind}`,
          answers: kind,
          body: kind,
        }),
        parameters: scoped,
      },
    ],
    [
      `${collection}/{name}`,
      {
        get: operation({
          ...common,
          action: 'get',
          method: 'get',
          id: `read${word}${scope}${info.kind}`,
          description: `read the specified ${info.kind}`,
          answers: kind,
        }),
        put: operation({
          ...common,
          action: 'put',
          method: 'put',
          id: `replace${word}${scope}${info.kind}`,
          description: `replace the specified ${info.kind}`,
          answers: kind,
          body: kind,
        }),
        patch: operation({
          ...common,
          action: 'patch',
          method: 'patch',
          id: `patch${word}${scope}${info.kind}`,
          description: `partially update the specified ${info.kind}`,
          answers: kind,
          body: `${META}.Patch`,
        }),
        delete: operation({
          ...common,
          action: 'delete',
          method: 'delete',
          id: `delete${word}${scope}${info.kind}`,
          description: `delete a ${info.kind}`,
          answers: `${META}.Status`,
          body: `${META}.DeleteOptions`,
        }),
        parameters: [NAME(info.kind), ...scoped],
      },
    ],
  ];
  if (info.namespaced) {
    paths.push([
      `${prefix}/${info.name}`,
      {
        get: operation({
          ...common,
          action: 'list',
          method: 'get',
          id: `list${word}${info.kind}ForAllNamespaces`,
          description: `list or watch objects of kind ${info.kind}`,
          answers: definitionName(info.group, info.listKind),
        }),
      },
    ]);
  }
  if (WITH_STATUS.has(info.name)) {
    const status = `${info.kind}Status`;
    paths.push([
      `${collection}/{name}/status`,
      {
        get: operation({
          ...common,
          action: 'get',
          method: 'get',
          id: `read${word}${scope}${status}`,
          description: `read status of the specified ${info.kind}`,
          answers: kind,
        }),
        put: operation({
          ...common,
          action: 'put',
          method: 'put',
          id: `replace${word}${scope}${status}`,
          description: `replace status of the specified ${info.kind}`,
          answers: kind,
          body: kind,
        }),
        patch: operation({
          ...common,
          action: 'patch',
          method: 'patch',
          id: `patch${word}${scope}${status}`,
          description: `partially update status of the specified ${info.kind}`,
          answers: kind,
          body: `${META}.Patch`,
        }),
        parameters: [NAME(info.kind), ...scoped],
      },
    ]);
  }
  if (info.name === 'pods') {
    const eviction = definitionName('policy', 'Eviction');
    paths.push([
      `${collection}/{name}/eviction`,
      {
        post: operation({
          group: 'policy',
          kind: 'Eviction',
          action: 'post',
          method: 'post',
          id: 'createCoreV1NamespacedPodEviction',
          description: 'create eviction of a Pod',
          answers: eviction,
          body: eviction,
        }),
        parameters: [pathParam('name', 'name of the Eviction'), NAMESPACE],
      },
    ]);
  }
  return paths;
}

function reviewPaths(): [string, Schema][] {
  return REVIEWS.map((r) => {
    const word = `${groupWord(r.group)}V1`;
    const scope = r.namespaced ? 'Namespaced' : '';
    const kind = definitionName(r.group, r.kind);
    const base = `/apis/${r.group}/v1`;
    return [
      r.namespaced ? `${base}/namespaces/{namespace}/${r.resource}` : `${base}/${r.resource}`,
      {
        post: operation({
          group: r.group,
          kind: r.kind,
          action: 'post',
          method: 'post',
          id: `create${word}${scope}${r.kind}`,
          description: `create a ${r.kind}`,
          answers: kind,
          body: kind,
        }),
        parameters: r.namespaced ? [NAMESPACE] : [],
      },
    ];
  });
}

/** Adds the patch extensions PATCH_META gives for the struct `type` to the definition `name`, and below. */
function addPatchExtensions(
  definitions: Record<string, Schema>,
  name: string,
  type: string,
  seen: Set<string>,
): void {
  const key = `${name}:${type}`;
  if (seen.has(key) || !PATCH_META[type]) return;
  seen.add(key);
  const properties = definitions[name]?.properties ?? {};
  for (const [field, meta] of Object.entries(PATCH_META[type])) {
    const property = properties[field];
    if (!property) throw new Error(`PATCH_META.${type}.${field} names no field of ${name}`);
    if (meta.strategy) {
      property['x-kubernetes-patch-strategy'] = meta.strategy;
      if (meta.key) {
        property['x-kubernetes-patch-merge-key'] = meta.key;
        property['x-kubernetes-list-type'] = 'map';
        property['x-kubernetes-list-map-keys'] = [meta.key];
      } else {
        property['x-kubernetes-list-type'] = 'set';
      }
    }
    const target = (property.$ref ?? property.items?.$ref) as string | undefined;
    if (meta.type && target)
      addPatchExtensions(definitions, target.replace('#/definitions/', ''), meta.type, seen);
  }
}

/** The served kinds with the definition each has, as [group, kind] (lists and reviews included). */
function servedKinds(): [group: string, kind: string][] {
  return [
    ...Object.values(RESOURCES).flatMap((r): [string, string][] => [
      [r.group, r.kind],
      [r.group, r.listKind],
    ]),
    ['policy', 'Eviction'],
    ...REVIEWS.map((r): [string, string] => [r.group, r.kind]),
  ];
}

export interface OpenApiV2 {
  swagger: '2.0';
  info: { title: string; version: string };
  paths: Record<string, Schema>;
  definitions: Record<string, Schema>;
}

/** The v2 document (a fresh object each call; the served one is cached in `documents()`). */
export function buildOpenApiV2(): OpenApiV2 {
  const definitions: Record<string, Schema> = structuredClone(GENERATED.definitions) as Record<
    string,
    Schema
  >;
  // meta/v1 Patch: the body of a PATCH, any of the patch types.
  definitions[`${META}.Patch`] = {
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    type: 'object',
  };
  for (const [group, kind] of servedKinds()) {
    const definition = definitions[definitionName(group, kind)];
    if (!definition)
      throw new Error(`no definition for ${group || 'core'}/v1 ${kind}: run scripts/generate-openapi.ts`);
    definition['x-kubernetes-group-version-kind'] = [gvk(group, kind)];
  }
  for (const kind of ['Status', 'DeleteOptions', 'WatchEvent']) {
    definitions[`${META}.${kind}`]['x-kubernetes-group-version-kind'] = [gvk('', kind)];
  }
  const seen = new Set<string>();
  for (const [group, kind] of servedKinds())
    addPatchExtensions(definitions, definitionName(group, kind), kind, seen);
  const paths = Object.fromEntries(
    [...Object.values(RESOURCES).flatMap(resourcePaths), ...reviewPaths()].sort(([a], [b]) =>
      a < b ? -1 : 1,
    ),
  );
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: SIMULATED_VERSION.gitVersion },
    paths,
    definitions,
  };
}

/** The v3 group-version of a path: `api/v1`, `apis/batch/v1`... */
function groupVersionOf(path: string): string {
  const parts = path.split('/');
  return parts[1] === 'api' ? 'api/v1' : `apis/${parts[2]}/${parts[3]}`;
}

/** Every definition name a value refers to, transitively. */
function closure(definitions: Record<string, Schema>, roots: unknown): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key === '$ref' && typeof v === 'string') {
          const name = v.replace('#/definitions/', '');
          if (!names.has(name)) {
            names.add(name);
            visit(definitions[name]);
          }
        } else visit(v);
      }
    }
  };
  visit(roots);
  return names;
}

/**
 * A v2 schema as v3 writes it: refs to `#/components/schemas/`, and a ref with siblings
 * (a field's description) wrapped in `allOf`, as kube-apiserver's v3 documents do.
 */
function toV3Schema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toV3Schema);
  if (!value || typeof value !== 'object') return value;
  const out: Schema = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      key === '$ref' ? (v as string).replace('#/definitions/', '#/components/schemas/') : toV3Schema(v);
  }
  if (out.$ref && Object.keys(out).length > 1) {
    const { $ref, ...rest } = out;
    return { allOf: [{ $ref }], ...rest };
  }
  return out;
}

function toV3Operation(op: Schema, pathParameters: Schema[]): Schema {
  const { consumes, produces, schemes, parameters, responses, ...rest } = op;
  const body = (parameters as Schema[]).find((p) => p.in === 'body');
  const v3Param = (p: Schema) => ({
    name: p.name,
    in: p.in,
    description: p.description,
    ...(p.required ? { required: true } : {}),
    schema: { type: p.type, uniqueItems: true },
  });
  return {
    ...rest,
    parameters: [...pathParameters, ...(parameters as Schema[]).filter((p) => p.in !== 'body')].map(v3Param),
    ...(body
      ? {
          requestBody: {
            content: Object.fromEntries(
              (consumes as string[]).map((type) => [type, { schema: toV3Schema(body.schema) }]),
            ),
            required: true,
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(responses as Record<string, Schema>).map(([code, r]) => [
        code,
        {
          description: r.description,
          ...(r.schema
            ? {
                content: Object.fromEntries(
                  (produces as string[]).map((t) => [t, { schema: toV3Schema(r.schema) }]),
                ),
              }
            : {}),
        },
      ]),
    ),
  };
}

/** The v3 documents by group-version path (`api/v1`, `apis/batch/v1`...), built from the v2 document. */
export function buildOpenApiV3(v2: OpenApiV2): Record<string, Schema> {
  const byGroupVersion = new Map<string, [string, Schema][]>();
  for (const entry of Object.entries(v2.paths)) {
    const gv = groupVersionOf(entry[0]);
    byGroupVersion.set(gv, [...(byGroupVersion.get(gv) ?? []), entry]);
  }
  const documents: Record<string, Schema> = {};
  for (const [gv, entries] of [...byGroupVersion].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const paths: Record<string, Schema> = {};
    for (const [path, item] of entries) {
      const { parameters = [], ...operations } = item;
      paths[path] = Object.fromEntries(
        Object.entries(operations).map(([method, op]) => [method, toV3Operation(op as Schema, parameters)]),
      );
    }
    const names = [...closure(v2.definitions, entries)].sort();
    documents[gv] = {
      openapi: '3.0.0',
      info: v2.info,
      paths,
      components: {
        schemas: Object.fromEntries(names.map((n) => [n, toV3Schema(v2.definitions[n])])),
        securitySchemes: {
          BearerToken: {
            type: 'apiKey',
            description: 'Bearer Token authentication',
            name: 'authorization',
            in: 'header',
          },
        },
      },
    };
  }
  return documents;
}

interface Served {
  body: Buffer;
  etag: string;
  type: string;
}

function served(body: Buffer, type: string): Served {
  // kube-apiserver's ETag: the upper-case hex sha512 of the document, quoted.
  return { body, type, etag: `"${createHash('sha512').update(body).digest('hex').toUpperCase()}"` };
}

export interface OpenApiDocuments {
  v2Json: Served;
  v2Protobuf: Served;
  v3: Map<string, Served>;
  v3Index: Served;
  /** How long building them took, in ms (measured once, reported in the docs). */
  buildMs: number;
}

let cached: OpenApiDocuments | undefined;
let v2Cached: OpenApiV2 | undefined;

/** The served v2 document, built once (field validation reads its definitions too). */
function openApiV2(): OpenApiV2 {
  v2Cached ??= buildOpenApiV2();
  return v2Cached;
}

/** The served definitions, and the name of a served kind's definition. */
export function definitionsOf(): {
  definitions: Record<string, Schema>;
  nameOf: (group: string, kind: string) => string;
} {
  return { definitions: openApiV2().definitions, nameOf: definitionName };
}

/** The served documents, built on first use and kept (they never change while the process runs). */
export function documents(): OpenApiDocuments {
  if (cached) return cached;
  const started = performance.now();
  const v2 = openApiV2();
  const v3 = new Map<string, Served>();
  for (const [gv, doc] of Object.entries(buildOpenApiV3(v2)))
    v3.set(gv, served(Buffer.from(JSON.stringify(doc)), 'application/json'));
  const index = {
    paths: Object.fromEntries(
      [...v3].map(([gv, doc]) => [
        gv,
        { serverRelativeURL: `/openapi/v3/${gv}?hash=${doc.etag.slice(1, -1)}` },
      ]),
    ),
  };
  cached = {
    v2Json: served(Buffer.from(JSON.stringify(v2)), 'application/json'),
    v2Protobuf: served(encodeOpenApiV2(v2), PROTOBUF_V2_LEGACY),
    v3,
    v3Index: served(Buffer.from(JSON.stringify(index)), 'application/json'),
    buildMs: 0,
  };
  cached.buildMs = performance.now() - started;
  return cached;
}

const PROTOBUF_V2 = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** The older spelling, which kube-apiserver still accepts. */
const PROTOBUF_V2_LEGACY = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** The media types of an Accept header, in the client's order of preference (q values honoured). */
function accepted(header: string | undefined): string[] {
  return (header || '*/*')
    .split(',')
    .map((part, i) => {
      const [type, ...params] = part.split(';').map((s) => s.trim());
      const q = params.find((p) => p.startsWith('q='));
      return { type: type.toLowerCase(), q: q ? Number(q.slice(2)) : 1, i };
    })
    .filter((a) => a.type && a.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((a) => a.type);
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  doc: Served,
  cacheControl: string,
  type = doc.type,
): number {
  const headers = { ETag: doc.etag, Vary: 'Accept', 'Cache-Control': cacheControl };
  if (req.headers['if-none-match'] === doc.etag) {
    res.writeHead(304, headers).end();
    return 0;
  }
  res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': doc.body.length });
  res.end(req.method === 'HEAD' ? undefined : doc.body);
  return doc.body.length;
}

function notAcceptable(res: ServerResponse, offered: string[]): number {
  return sendStatus(
    res,
    406,
    `only the following media types are accepted: ${offered.join(', ')}`,
    'NotAcceptable',
  );
}

/** Answers `/openapi/v2`, `/openapi/v3` and `/openapi/v3/<group-version>`; undefined for another path. */
export function serveOpenApi(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): number | undefined {
  if (path !== '/openapi/v2' && path !== '/openapi/v3' && !path.startsWith('/openapi/v3/')) return undefined;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendStatus(res, 405, `method ${req.method} is not supported on ${path}`, 'MethodNotAllowed');
  }
  const docs = documents();
  const types = accepted(req.headers.accept);
  if (path === '/openapi/v2') {
    // kubectl (client-go's OpenAPISchema) asks for protobuf only and decodes whatever 200 it
    // gets as protobuf; kube-apiserver answers each type it is asked for and 406 otherwise.
    for (const type of types) {
      // Answered as the legacy spelling: an '@' in a Content-Type is no media type to Go's mime.
      if (type === PROTOBUF_V2 || type === PROTOBUF_V2_LEGACY)
        return send(req, res, docs.v2Protobuf, 'no-cache, private');
      if (type === 'application/json' || type === 'application/*' || type === '*/*')
        return send(req, res, docs.v2Json, 'no-cache, private');
    }
    return notAcceptable(res, ['application/json', PROTOBUF_V2, PROTOBUF_V2_LEGACY]);
  }
  if (!types.some((t) => t === 'application/json' || t === 'application/*' || t === '*/*')) {
    return notAcceptable(res, ['application/json']);
  }
  if (path === '/openapi/v3') return send(req, res, docs.v3Index, 'no-cache, private');
  const gv = path.slice('/openapi/v3/'.length);
  const doc = docs.v3.get(gv);
  if (!doc) return sendStatus(res, 404, 'the server could not find the requested resource', 'NotFound');
  const hash = query.get('hash');
  if (hash === null) return send(req, res, doc, 'no-cache, private');
  if (hash !== doc.etag.slice(1, -1)) {
    // An old hash: kube-apiserver redirects to the current one.
    res
      .writeHead(301, {
        Location: `/openapi/v3/${gv}?hash=${doc.etag.slice(1, -1)}`,
        'Cache-Control': 'no-cache, private',
      })
      .end();
    return 0;
  }
  // The document at this hash never changes: clients (kubectl's disk cache) may keep it.
  res.setHeader('Expires', new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString());
  return send(req, res, doc, 'public, immutable');
}
