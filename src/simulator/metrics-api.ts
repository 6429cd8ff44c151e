/**
 * metrics.k8s.io/v1beta1 as metrics-server serves it (pkg/api: node.go, pod.go, table.go):
 * NodeMetrics and PodMetrics, get and list only, label selectors and the metadata.name /
 * metadata.namespace field selectors, lists without a resourceVersion, items with
 * `creationTimestamp` = now, `timestamp` = the last scrape and `window` = the scrape
 * interval, CPU in nanocores and memory as BinarySI quantities, and Table output with
 * metrics-server's columns (Name, cpu, memory, Window). Values come from usage-model.ts.
 *
 * Not to be confused with metrics.ts, the simulator's own Prometheus instruments.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FieldSelectorError, parseFieldTerms } from './field-selector.js';
import { sendJson, sendStatus } from './http.js';
import { matchesLabels, parseLabelSelector, type Requirement, SelectorParseError } from './label-selector.js';
import { queryBool } from './options.js';
import { nodeIsReady } from './scenario/leases.js';
import { isoTime } from './scenario/random.js';
import type { SimStore } from './store.js';
import { includeObjectParam, wantsTable } from './table.js';
import type { KubeObject } from './types.js';
import {
  formatCpu,
  formatMemory,
  podUsage,
  sumUsage,
  systemOverhead,
  type Usage,
  usageBucket,
} from './usage-model.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;
const PREFIX = `/apis/${API_VERSION}`;

export type MetricsResource = 'nodes' | 'pods';

export interface MetricsTarget {
  resource: MetricsResource;
  namespace?: string;
  name?: string;
}

/** The label the simulator counts these requests under: the group-qualified resource, as kubectl spells it. */
export function metricsResourceLabel(resource: MetricsResource): `${MetricsResource}.metrics.k8s.io` {
  return `${resource}.${METRICS_GROUP}`;
}

/** `/apis/metrics.k8s.io/v1beta1/{nodes[/N], pods[/...], namespaces/NS/pods[/N]}`; undefined for anything else. */
export function parseMetricsPath(path: string): MetricsTarget | undefined {
  if (!path.startsWith(`${PREFIX}/`)) return undefined;
  const parts = path
    .slice(PREFIX.length + 1)
    .split('/')
    .map(decodeURIComponent);
  if (parts[0] === 'nodes' && parts.length <= 2) return { resource: 'nodes', name: parts[1] };
  if (parts[0] === 'pods' && parts.length === 1) return { resource: 'pods' };
  if (parts[0] === 'namespaces' && parts[2] === 'pods' && parts.length >= 3 && parts.length <= 4)
    return { resource: 'pods', namespace: parts[1], name: parts[3] };
  return undefined;
}

export interface MetricsContext {
  store: SimStore;
  nowMs: number;
  resolutionMs: number;
}

interface Selection {
  labels: Requirement[];
  /** metrics-server matches field selectors against these two fields only; any other field is "". */
  fields: { field: string; operator: '=' | '!='; value: string }[];
}

class BadRequest extends Error {}

function selection(query: URLSearchParams): Selection {
  try {
    return {
      labels: parseLabelSelector(query.get('labelSelector') ?? ''),
      fields: parseFieldTerms(query.get('fieldSelector') ?? ''),
    };
  } catch (err) {
    if (err instanceof SelectorParseError || err instanceof FieldSelectorError)
      throw new BadRequest(err.message);
    throw err;
  }
}

function selected(s: Selection, obj: KubeObject): boolean {
  if (!matchesLabels(s.labels, obj.metadata.labels)) return false;
  return s.fields.every((r) => {
    const value =
      r.field === 'metadata.name'
        ? obj.metadata.name
        : r.field === 'metadata.namespace'
          ? (obj.metadata.namespace ?? '')
          : '';
    return r.operator === '=' ? value === r.value : value !== r.value;
  });
}

/** Go's time.Duration.String() for whole milliseconds: "15s", "1m0s", "1.5s", "500ms". */
export function goDuration(ms: number): string {
  if (ms > 0 && ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}

function usageJson(u: Usage): { cpu: string; memory: string } {
  return { cpu: formatCpu(u.cpuNanos), memory: formatMemory(u.memoryBytes) };
}

interface Scrape {
  timestamp: string;
  window: string;
  created: string;
  bucket: number;
}

function scrapeOf(ctx: MetricsContext): Scrape {
  const bucket = usageBucket(ctx.nowMs, ctx.resolutionMs);
  return {
    bucket,
    timestamp: isoTime(bucket * ctx.resolutionMs),
    window: goDuration(ctx.resolutionMs),
    created: isoTime(ctx.nowMs),
  };
}

/** Which nodes are scraped: the Ready ones (a NotReady node's kubelet does not answer metrics-server). */
function readyNodes(store: SimStore): Map<string, KubeObject> {
  const nodes = new Map<string, KubeObject>();
  for (const node of store.scan('nodes')) if (nodeIsReady(node)) nodes.set(node.metadata.name, node);
  return nodes;
}

function podOnReadyNode(pod: KubeObject, store: SimStore, ready?: Map<string, KubeObject>): boolean {
  const nodeName = pod.spec?.nodeName as string | undefined;
  if (!nodeName) return false;
  if (ready) return ready.has(nodeName);
  const node = store.get('nodes', undefined, nodeName);
  return node !== undefined && nodeIsReady(node);
}

interface PodMetrics {
  metadata: { name: string; namespace: string; creationTimestamp: string; labels?: Record<string, string> };
  timestamp: string;
  window: string;
  containers: { name: string; usage: { cpu: string; memory: string } }[];
}

interface NodeMetrics {
  metadata: { name: string; creationTimestamp: string; labels?: Record<string, string> };
  timestamp: string;
  window: string;
  usage: { cpu: string; memory: string };
}

function podMetrics(pod: KubeObject, scrape: Scrape): { item: PodMetrics; totals: Usage } | undefined {
  const containers = podUsage(pod, scrape.bucket);
  if (containers.length === 0) return undefined;
  return {
    item: {
      metadata: {
        name: pod.metadata.name,
        namespace: pod.metadata.namespace ?? '',
        creationTimestamp: scrape.created,
        ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}),
      },
      timestamp: scrape.timestamp,
      window: scrape.window,
      containers: containers.map((c) => ({ name: c.name, usage: usageJson(c.usage) })),
    },
    totals: sumUsage(containers.map((c) => c.usage)),
  };
}

/** What every running pod on each Ready node uses, summed per node. */
function usageByNode(store: SimStore, ready: Map<string, KubeObject>, bucket: number): Map<string, Usage> {
  const byNode = new Map<string, Usage>();
  for (const pod of store.scan('pods')) {
    const nodeName = pod.spec?.nodeName as string | undefined;
    if (!nodeName || !ready.has(nodeName)) continue;
    const containers = podUsage(pod, bucket);
    if (containers.length === 0) continue;
    const sum = byNode.get(nodeName) ?? { cpuNanos: 0, memoryBytes: 0 };
    for (const c of containers) {
      sum.cpuNanos += c.usage.cpuNanos;
      sum.memoryBytes += c.usage.memoryBytes;
    }
    byNode.set(nodeName, sum);
  }
  return byNode;
}

function nodeMetrics(node: KubeObject, pods: Usage | undefined, scrape: Scrape): NodeMetrics {
  const usage = sumUsage([systemOverhead(node.metadata.name, scrape.bucket), ...(pods ? [pods] : [])]);
  return {
    metadata: {
      name: node.metadata.name,
      creationTimestamp: scrape.created,
      ...(node.metadata.labels ? { labels: node.metadata.labels } : {}),
    },
    timestamp: scrape.timestamp,
    window: scrape.window,
    usage: usageJson(usage),
  };
}

/** Answers one metrics.k8s.io request; returns the bytes sent. */
export function serveMetrics(
  ctx: MetricsContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: MetricsTarget,
  query: URLSearchParams,
): number {
  const qualified = `${target.resource}.${METRICS_GROUP}`;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    // The resources are read-only: no create/update/patch/delete route exists.
    return sendStatus(
      res,
      405,
      `${verbName(req.method ?? '')} is not supported on resources of kind "${qualified}"`,
      'MethodNotAllowed',
      { kind: qualified },
    );
  }
  if (!target.name && queryBool(query, 'watch')) {
    return sendStatus(
      res,
      405,
      `watch is not supported on resources of kind "${qualified}"`,
      'MethodNotAllowed',
      {
        kind: qualified,
      },
    );
  }
  let sel: Selection;
  try {
    sel = selection(query);
  } catch (err) {
    if (err instanceof BadRequest) return sendStatus(res, 400, err.message, 'BadRequest');
    throw err;
  }
  const scrape = scrapeOf(ctx);
  const { store } = ctx;
  const table = wantsTable(req.headers.accept);

  if (target.resource === 'nodes') {
    if (target.name) {
      const node = store.get('nodes', undefined, target.name);
      if (!node || !nodeIsReady(node)) return metricsNotFound(res, 'nodemetrics', target.name);
      const pods = usageByNode(store, new Map([[node.metadata.name, node]]), scrape.bucket).get(
        node.metadata.name,
      );
      const item = nodeMetrics(node, pods, scrape);
      if (table) return sendJson(res, 200, nodeTable([item], query));
      return sendJson(res, 200, { kind: 'NodeMetrics', apiVersion: API_VERSION, ...item });
    }
    const ready = readyNodes(store);
    const byNode = usageByNode(store, ready, scrape.bucket);
    const items = [...ready.values()]
      .filter((n) => selected(sel, n))
      .map((n) => nodeMetrics(n, byNode.get(n.metadata.name), scrape));
    if (table) return sendJson(res, 200, nodeTable(items, query));
    return sendJson(res, 200, { kind: 'NodeMetricsList', apiVersion: API_VERSION, metadata: {}, items });
  }

  if (target.name) {
    const namespace = target.namespace ?? '';
    const pod = store.get('pods', namespace, target.name);
    const found = pod && podOnReadyNode(pod, store) ? podMetrics(pod, scrape) : undefined;
    if (!found) return metricsNotFound(res, 'podmetrics', `${namespace}/${target.name}`);
    if (table) return sendJson(res, 200, podTable([found.item], query));
    return sendJson(res, 200, { kind: 'PodMetrics', apiVersion: API_VERSION, ...found.item });
  }
  const ready = readyNodes(store);
  const items: PodMetrics[] = [];
  for (const pod of store.scan('pods', { namespace: target.namespace })) {
    if (!selected(sel, pod) || !podOnReadyNode(pod, store, ready)) continue;
    const found = podMetrics(pod, scrape);
    if (found) items.push(found.item);
  }
  if (table) return sendJson(res, 200, podTable(items, query));
  return sendJson(res, 200, { kind: 'PodMetricsList', apiVersion: API_VERSION, metadata: {}, items });
}

function verbName(method: string): string {
  return { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? method.toLowerCase();
}

/** metrics-server's NotFound: `podmetrics.metrics.k8s.io "ns/name" not found`. */
function metricsNotFound(res: ServerResponse, kind: 'nodemetrics' | 'podmetrics', name: string): number {
  return sendStatus(res, 404, `${kind}.${METRICS_GROUP} "${name}" not found`, 'NotFound', {
    name,
    group: METRICS_GROUP,
    kind,
  });
}

const COLUMNS = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name of the resource', priority: 0 },
  { name: 'cpu', type: 'string', format: 'quantity', description: '', priority: 0 },
  { name: 'memory', type: 'string', format: 'quantity', description: '', priority: 0 },
  { name: 'Window', type: 'string', format: 'duration', description: '', priority: 0 },
];

function rowObject(
  metadata: PodMetrics['metadata'] | NodeMetrics['metadata'],
  full: object,
  query: URLSearchParams,
) {
  const include = includeObjectParam(query);
  if (include === 'None') return {};
  if (include === 'Object') return { object: full };
  return { object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata } };
}

function nodeTable(items: NodeMetrics[], query: URLSearchParams) {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: COLUMNS,
    rows: items.map((n) => ({
      cells: [n.metadata.name, n.usage.cpu, n.usage.memory, n.window],
      ...rowObject(n.metadata, { kind: 'NodeMetrics', apiVersion: API_VERSION, ...n }, query),
    })),
  };
}

function podTable(items: PodMetrics[], query: URLSearchParams) {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: COLUMNS,
    rows: items.map((p) => {
      // metrics-server's table sums the containers' quantities (Quantity.Add, then String()).
      const total = sumUsage(
        p.containers.map((c) => ({
          cpuNanos: cpuNanosOf(c.usage.cpu),
          memoryBytes: bytesOf(c.usage.memory),
        })),
      );
      return {
        cells: [p.metadata.name, formatCpu(total.cpuNanos), formatMemory(total.memoryBytes), p.window],
        ...rowObject(p.metadata, { kind: 'PodMetrics', apiVersion: API_VERSION, ...p }, query),
      };
    }),
  };
}

const CPU_SCALE: Record<string, number> = { n: 1, u: 1e3, m: 1e6, '': 1e9, k: 1e12 };
const MEM_SCALE: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

function cpuNanosOf(q: string): number {
  const m = /^(\d+)([a-zA-Z]*)$/.exec(q)!;
  return Number(m[1]) * CPU_SCALE[m[2]];
}

function bytesOf(q: string): number {
  const m = /^(\d+)([a-zA-Z]*)$/.exec(q)!;
  return Number(m[1]) * MEM_SCALE[m[2]];
}

/**
 * metrics-server's ClusterRole from its manifest (components.yaml): read access to both
 * resources, aggregated into the view, edit and admin roles by their labels, so whoever may
 * view a namespace may see its pods' usage (as on a cluster with metrics-server installed).
 */
export function aggregatedMetricsReader(created: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name: 'system:aggregated-metrics-reader',
      uid: '6d1c3f0e-8a51-4b7e-9c3a-6d2f1e0b7a11',
      creationTimestamp: created,
      labels: {
        'k8s-app': 'metrics-server',
        'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
        'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
        'rbac.authorization.k8s.io/aggregate-to-view': 'true',
      },
    },
    rules: [{ apiGroups: [METRICS_GROUP], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }],
  };
}

/** Discovery: the group as /apis lists it, and its one version's resources. */
export const METRICS_API_GROUP = {
  name: METRICS_GROUP,
  versions: [{ groupVersion: API_VERSION, version: METRICS_VERSION }],
  preferredVersion: { groupVersion: API_VERSION, version: METRICS_VERSION },
};

export const METRICS_RESOURCE_LIST = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: API_VERSION,
  resources: [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ],
};
