/**
 * A deterministic, realistic cluster for the simulator: namespaces, nodes, pods (with
 * their owners' labels and references, init containers, sidecars, probes, volumes,
 * managedFields and a plausible mix of states), jobs with consistent pods, and a bounded
 * number of events. The same seed gives the same cluster, uids included.
 *
 * Memory is what limits a 100k-pod scenario, so pods share every immutable sub-object
 * they can: a workload's containers, volumes, labels, owner references and its
 * controller managedFields entry are built once, frozen, and referenced by all of its
 * pods. The store spreads only the top level and the metadata of what it is given and
 * skips already-frozen objects when it freezes, so the sharing survives `create`.
 *
 * Also exported: the pod-status and managedFields builders, so that the job controller
 * and the churn move pods between states the same way the scenario draws them.
 */
import type { SimStore } from './store.js';
import type { KubeObject, OwnerReference, ResourceName } from './types.js';

export interface ScenarioOptions {
  seed: number;
  nodes: number;
  pods: number;
  jobs: number;
  /** Generated namespaces besides `default` and `kube-system` (more are added to respect the cap). */
  namespaces: number;
  /** No namespace holds more pods than this. Default unlimited. */
  maxPodsPerNamespace?: number;
  /** "Now" for timestamps; fix it for a byte-identical cluster. Default the current time. */
  now?: Date;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface ScenarioSummary {
  counts: Record<ResourceName, number>;
  /** Every namespace created, `kube-system` and `default` first. */
  namespaces: string[];
  podPhases: Record<PodPhase, number>;
  /** Pods owned by jobs (part of `counts.pods`). */
  jobPods: number;
}

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------
// Randomness and time

export type RandomFn = () => number;

/** mulberry32: a tiny, fast, seedable PRNG (32-bit state), good enough for test data. */
export function mulberry32(seed: number): RandomFn {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(random: RandomFn, n: number): number {
  return Math.floor(random() * n);
}

export function pick<T>(random: RandomFn, items: readonly T[]): T {
  return items[randomInt(random, items.length)];
}

/** The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const scratch = new Uint16Array(128);

/**
 * Random identifiers are built from char codes in one go: a string grown piece by piece
 * is a rope in V8 and costs four times the memory of a flat one, which adds up at 100k pods.
 */
function flatString(length: number): string {
  return String.fromCharCode.apply(null, scratch.subarray(0, length) as unknown as number[]);
}

function writeHex(random: RandomFn, at: number, length: number): void {
  for (let i = 0; i < length; i += 8) {
    let n = (random() * 0x100000000) >>> 0;
    for (let k = Math.min(7, length - i - 1); k >= 0; k--) {
      scratch[at + i + k] = HEX_CODES[n & 15];
      n >>>= 4;
    }
  }
}

export function randomSuffix(random: RandomFn, length = 5): string {
  for (let i = 0; i < length; i++)
    scratch[i] = SAFE_ALPHABET.charCodeAt(randomInt(random, SAFE_ALPHABET.length));
  return flatString(length);
}

/** `length` random hex digits after an optional prefix (at most 64 characters in all). */
export function randomHex(random: RandomFn, length: number, prefix = ''): string {
  for (let i = 0; i < prefix.length; i++) scratch[i] = prefix.charCodeAt(i);
  writeHex(random, prefix.length, length);
  return flatString(prefix.length + length);
}

const DASH = '-'.charCodeAt(0);

/** A version-4-shaped UUID drawn from the PRNG, so uids are deterministic too. */
export function randomUid(random: RandomFn): string {
  writeHex(random, 0, 36);
  for (const at of [8, 13, 18, 23]) scratch[at] = DASH;
  scratch[14] = '4'.charCodeAt(0);
  scratch[19] = '89ab'.charCodeAt(randomInt(random, 4));
  return flatString(36);
}

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
export function isoTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  for (let i = 0; i < 19; i++) scratch[i] = iso.charCodeAt(i);
  scratch[19] = 90; // 'Z'
  return flatString(20);
}

/** metav1.MicroTime, as events.k8s.io writes eventTime. */
function microTime(ms: number, random: RandomFn): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(randomInt(random, 1_000_000)).padStart(6, '0')}Z`;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

// ---------------------------------------------------------------------------------------
// managedFields: fieldsV1 derived from the object itself, as the API server's
// structured-merge-diff would record it, with list items keyed by their merge keys.

type Fields = { [key: string]: Fields };
const NO_FIELDS: Fields = Object.freeze({}) as Fields;

const MERGE_KEYS: Record<string, readonly string[]> = {
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

function fieldsOf(obj: Json, withDot: boolean): Fields {
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

function fieldsOfValue(key: string, value: unknown): Fields {
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
function itemKey(item: Json, keys: readonly string[]): string {
  if (keys.length === 1) {
    const v = item[keys[0]];
    return v === undefined ? 'k:{}' : `k:{${JSON.stringify(keys[0])}:${JSON.stringify(v)}}`;
  }
  const id: Json = {};
  for (const k of keys) if (item[k] !== undefined) id[k] = item[k];
  return `k:${JSON.stringify(id)}`;
}

function managedEntry(manager: string, time: string, fieldsV1: Json, subresource?: string): Json {
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

// ---------------------------------------------------------------------------------------
// Catalog: names, images, container shapes

const TEAMS = [
  'payments',
  'checkout',
  'search',
  'identity',
  'billing',
  'catalog',
  'inventory',
  'shipping',
  'analytics',
  'platform',
  'observability',
  'data',
  'ml',
  'notifications',
  'growth',
  'fraud',
  'ledger',
  'media',
  'recommendations',
  'support',
  'auth',
  'orders',
  'pricing',
  'risk',
  'marketing',
  'partners',
  'mobile',
  'storefront',
  'logistics',
  'messaging',
];
const ENVIRONMENTS = ['prod', 'staging', 'dev', 'qa'];
const COMPONENTS = [
  'api',
  'worker',
  'frontend',
  'consumer',
  'scheduler',
  'gateway',
  'sync',
  'indexer',
  'cache',
  'proxy',
  'ingest',
  'exporter',
  'processor',
  'notifier',
  'web',
  'admin',
  'graphql',
  'webhook',
  'reconciler',
  'grpc',
];
const CPU_STEPS = ['100m', '250m', '500m', '1', '2'];
const MEMORY_STEPS = ['128Mi', '256Mi', '512Mi', '1Gi', '2Gi', '4Gi'];

const DEFAULT_TOLERATIONS = deepFreeze([
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
]);
const DAEMON_TOLERATIONS = deepFreeze([
  { operator: 'Exists' },
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
]);
const API_ACCESS_SOURCES = deepFreeze([
  { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
  { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
  {
    downwardAPI: {
      items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
    },
  },
]);
const API_ACCESS_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const POD_SECURITY = deepFreeze({
  runAsUser: 1000,
  runAsNonRoot: true,
  fsGroup: 2000,
  seccompProfile: { type: 'RuntimeDefault' },
});
const CONTAINER_SECURITY = deepFreeze({
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
});
const EMPTY_OBJECT = Object.freeze({});

function fieldEnv(name: string, fieldPath: string): Json {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

const ENV_POD_NAME = deepFreeze(fieldEnv('POD_NAME', 'metadata.name'));
const ENV_POD_NAMESPACE = deepFreeze(fieldEnv('POD_NAMESPACE', 'metadata.namespace'));
const ENV_POD_IP = deepFreeze(fieldEnv('POD_IP', 'status.podIP'));
const ENV_NODE_NAME = deepFreeze(fieldEnv('NODE_NAME', 'spec.nodeName'));
const ENV_OTEL = deepFreeze({
  name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  value: 'http://otel-collector.observability.svc:4317',
});

function httpProbe(path: string, port: number | string, extra: Json = {}): Json {
  return {
    httpGet: { path, port, scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
    ...extra,
  };
}

function execProbe(command: string[], extra: Json = {}): Json {
  return {
    exec: { command },
    timeoutSeconds: 5,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
    ...extra,
  };
}

function tcpProbe(port: number, extra: Json = {}): Json {
  return {
    tcpSocket: { port },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
    ...extra,
  };
}

interface Runtime {
  ports: readonly Json[];
  env: readonly Json[];
  command?: readonly string[];
  args?: readonly string[];
  liveness?: Json;
  readiness?: Json;
  startup?: Json;
}

/** Shapes of the team-built services that make up most of a cluster's pods. */
const RUNTIMES: readonly Runtime[] = deepFreeze([
  {
    ports: [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ],
    env: [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'GOMAXPROCS', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } } },
      ENV_POD_NAME,
    ],
    liveness: httpProbe('/healthz', 'http'),
    readiness: httpProbe('/readyz', 'http', { periodSeconds: 5 }),
  },
  {
    ports: [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'management', containerPort: 8081, protocol: 'TCP' },
    ],
    env: [
      {
        name: 'JAVA_TOOL_OPTIONS',
        value: '-XX:MaxRAMPercentage=75.0 -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError',
      },
      { name: 'MANAGEMENT_SERVER_PORT', value: '8081' },
    ],
    liveness: httpProbe('/actuator/health/liveness', 'management', { timeoutSeconds: 3 }),
    readiness: httpProbe('/actuator/health/readiness', 'management', { timeoutSeconds: 3 }),
    startup: httpProbe('/actuator/health/liveness', 'management', { periodSeconds: 5, failureThreshold: 30 }),
  },
  {
    ports: [{ name: 'http', containerPort: 3000, protocol: 'TCP' }],
    env: [
      { name: 'NODE_ENV', value: 'production' },
      { name: 'NODE_OPTIONS', value: '--max-old-space-size=768 --enable-source-maps' },
      { name: 'PORT', value: '3000' },
    ],
    liveness: httpProbe('/health', 'http', { initialDelaySeconds: 10 }),
    readiness: httpProbe('/health', 'http'),
  },
  {
    ports: [],
    env: [
      { name: 'PYTHONUNBUFFERED', value: '1' },
      { name: 'CELERY_BROKER_URL', valueFrom: { secretKeyRef: { name: 'broker-credentials', key: 'url' } } },
      ENV_POD_NAME,
      ENV_NODE_NAME,
    ],
    command: ['celery'],
    args: ['-A', 'app', 'worker', '--loglevel=INFO', '--concurrency=4'],
    liveness: execProbe(['celery', '-A', 'app', 'inspect', 'ping', '-d', 'celery@$HOSTNAME'], {
      periodSeconds: 30,
      timeoutSeconds: 10,
    }),
  },
  {
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    env: [{ name: 'NGINX_ENTRYPOINT_QUIET_LOGS', value: '1' }, ENV_POD_IP],
    liveness: httpProbe('/', 'http'),
    readiness: httpProbe('/', 'http', { periodSeconds: 5 }),
  },
]);

interface StatefulKind {
  name: string;
  image: string;
  port: number;
  mountPath: string;
  env: readonly Json[];
  probe: Json;
}

const STATEFUL_KINDS: readonly StatefulKind[] = deepFreeze([
  {
    name: 'postgres',
    image: 'docker.io/library/postgres:16.6',
    port: 5432,
    mountPath: '/var/lib/postgresql/data',
    env: [
      {
        name: 'POSTGRES_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'postgres-credentials', key: 'password' } },
      },
      { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
    ],
    probe: execProbe(['pg_isready', '-U', 'postgres']),
  },
  {
    name: 'redis',
    image: 'docker.io/library/redis:7.4.1',
    port: 6379,
    mountPath: '/data',
    env: [{ name: 'REDIS_REPLICATION_MODE', value: 'master' }],
    probe: execProbe(['redis-cli', 'ping'], { timeoutSeconds: 2 }),
  },
  {
    name: 'kafka',
    image: 'docker.io/bitnami/kafka:3.8.1',
    port: 9092,
    mountPath: '/bitnami/kafka',
    env: [
      { name: 'KAFKA_CFG_PROCESS_ROLES', value: 'controller,broker' },
      { name: 'KAFKA_HEAP_OPTS', value: '-Xmx1024m -Xms1024m' },
      ENV_POD_NAME,
    ],
    probe: tcpProbe(9092),
  },
  {
    name: 'elasticsearch',
    image: 'docker.elastic.co/elasticsearch/elasticsearch:8.15.3',
    port: 9200,
    mountPath: '/usr/share/elasticsearch/data',
    env: [
      { name: 'discovery.type', value: 'single-node' },
      { name: 'ES_JAVA_OPTS', value: '-Xms1g -Xmx1g' },
      { name: 'xpack.security.enabled', value: 'false' },
    ],
    probe: httpProbe('/_cluster/health?local=true', 9200, { timeoutSeconds: 5 }),
  },
  {
    name: 'rabbitmq',
    image: 'docker.io/library/rabbitmq:3.13-management',
    port: 5672,
    mountPath: '/var/lib/rabbitmq',
    env: [
      {
        name: 'RABBITMQ_ERLANG_COOKIE',
        valueFrom: { secretKeyRef: { name: 'rabbitmq-cookie', key: 'cookie' } },
      },
    ],
    probe: execProbe(['rabbitmq-diagnostics', '-q', 'ping'], { timeoutSeconds: 10, periodSeconds: 30 }),
  },
]);

const JOB_KINDS = deepFreeze([
  {
    name: 'db-backup',
    image: 'docker.io/library/postgres:16.6',
    command: ['sh', '-c', 'pg_dump "$DATABASE_URL" | gzip > /backup/dump.sql.gz'],
  },
  {
    name: 'report-generator',
    image: 'registry.acme.io/analytics/reports:2.4.1',
    command: ['python', '-m', 'reports.generate', '--period=daily'],
  },
  {
    name: 'data-sync',
    image: 'docker.io/amazon/aws-cli:2.18.0',
    command: ['aws', 's3', 'sync', 's3://acme-exports', '/data'],
  },
  {
    name: 'cleanup',
    image: 'docker.io/library/busybox:1.36.1',
    command: ['sh', '-c', 'find /cache -mtime +7 -delete'],
  },
  {
    name: 'etl-import',
    image: 'registry.acme.io/data/etl:0.19.3',
    command: ['/etl', 'import', '--source=warehouse'],
  },
  { name: 'migrate', image: 'registry.acme.io/platform/migrations:5.1.0', command: ['/migrate', 'up'] },
  { name: 'cert-rotation', image: 'registry.acme.io/platform/certs:1.2.0', command: ['/rotate', '--all'] },
]);

const resourceMemo = new Map<string, Json>();
function resources(requests?: [string, string], limits?: [string | undefined, string]): Json {
  const key = `${requests?.join()}|${limits?.join()}`;
  let out = resourceMemo.get(key);
  if (!out) {
    const r: Json = {};
    if (limits) r.limits = limits[0] ? { cpu: limits[0], memory: limits[1] } : { memory: limits[1] };
    if (requests) r.requests = { cpu: requests[0], memory: requests[1] };
    out = deepFreeze(r);
    resourceMemo.set(key, out);
  }
  return out;
}

/** Requests and limits in the mix real teams write: mostly Burstable, some Guaranteed, a few BestEffort. */
function randomResources(random: RandomFn, scale = 0): Json {
  const roll = random();
  if (roll < 0.05) return EMPTY_OBJECT;
  const cpuIndex = Math.min(CPU_STEPS.length - 1, randomInt(random, 3) + scale);
  const memIndex = Math.min(MEMORY_STEPS.length - 1, randomInt(random, 4) + scale);
  const requests: [string, string] = [CPU_STEPS[cpuIndex], MEMORY_STEPS[memIndex]];
  if (roll < 0.2) return resources(requests, [requests[0], requests[1]]);
  const memLimit = MEMORY_STEPS[Math.min(MEMORY_STEPS.length - 1, memIndex + 1)];
  const cpuLimit = random() < 0.5 ? undefined : CPU_STEPS[Math.min(CPU_STEPS.length - 1, cpuIndex + 1)];
  return resources(requests, [cpuLimit, memLimit]);
}

interface ContainerParts {
  name: string;
  image: string;
  command?: readonly string[];
  args?: readonly string[];
  ports?: readonly Json[];
  env?: readonly Json[];
  resources?: Json;
  restartPolicy?: string;
  volumeMounts?: readonly Json[];
  livenessProbe?: Json;
  readinessProbe?: Json;
  startupProbe?: Json;
  securityContext?: Json;
  imagePullPolicy?: string;
}

/** A container with the API server's defaults, keys in the order the API server writes them. */
function container(p: ContainerParts): Json {
  const c: Json = { name: p.name, image: p.image };
  if (p.command) c.command = p.command;
  if (p.args) c.args = p.args;
  if (p.ports && p.ports.length > 0) c.ports = p.ports;
  if (p.env && p.env.length > 0) c.env = p.env;
  c.resources = p.resources ?? EMPTY_OBJECT;
  if (p.restartPolicy) c.restartPolicy = p.restartPolicy;
  if (p.volumeMounts && p.volumeMounts.length > 0) c.volumeMounts = p.volumeMounts;
  if (p.livenessProbe) c.livenessProbe = p.livenessProbe;
  if (p.readinessProbe) c.readinessProbe = p.readinessProbe;
  if (p.startupProbe) c.startupProbe = p.startupProbe;
  c.terminationMessagePath = '/dev/termination-log';
  c.terminationMessagePolicy = 'File';
  c.imagePullPolicy = p.imagePullPolicy ?? (p.image.endsWith(':latest') ? 'Always' : 'IfNotPresent');
  if (p.securityContext) c.securityContext = p.securityContext;
  return c;
}

function apiAccess(random: RandomFn): { volume: Json; mount: Json } {
  const name = `kube-api-access-${randomSuffix(random)}`;
  return {
    volume: deepFreeze({ name, projected: { sources: API_ACCESS_SOURCES, defaultMode: 420 } }),
    mount: deepFreeze({ name, readOnly: true, mountPath: API_ACCESS_PATH }),
  };
}

/**
 * What the API server's admission adds to a pod spec from a controller's template: the
 * service account and its token volume, default tolerations, scheduling defaults.
 * Used by the job controller for pods of jobs created through the API.
 */
export function admitPodSpec(template: Json | undefined, random: RandomFn): Json {
  const spec: Json = { ...(template ?? {}) };
  const access = apiAccess(random);
  // Keeps whatever the template says (workingDir, envFrom, lifecycle...) and adds defaults.
  const addMount = (c: Json): Json => ({
    ...c,
    resources: c.resources ?? EMPTY_OBJECT,
    volumeMounts: [...((c.volumeMounts as Json[] | undefined) ?? []), access.mount],
    terminationMessagePath: c.terminationMessagePath ?? '/dev/termination-log',
    terminationMessagePolicy: c.terminationMessagePolicy ?? 'File',
    imagePullPolicy: c.imagePullPolicy ?? (String(c.image).endsWith(':latest') ? 'Always' : 'IfNotPresent'),
  });
  const containers = (spec.containers as Json[] | undefined) ?? [];
  spec.volumes = [...((spec.volumes as Json[] | undefined) ?? []), access.volume];
  if (spec.initContainers) spec.initContainers = (spec.initContainers as Json[]).map(addMount);
  const fallback = { name: 'main', image: 'docker.io/library/busybox:1.36.1' };
  spec.containers = (containers.length > 0 ? containers : [fallback]).map(addMount);
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.serviceAccountName ??= 'default';
  spec.serviceAccount = spec.serviceAccountName;
  spec.securityContext ??= EMPTY_OBJECT;
  spec.schedulerName ??= 'default-scheduler';
  spec.tolerations = [...((spec.tolerations as Json[] | undefined) ?? []), ...DEFAULT_TOLERATIONS];
  spec.priority ??= 0;
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  return spec;
}

// ---------------------------------------------------------------------------------------
// Pod status

/** What a pod is doing, one level finer than its phase. */
export type PodState =
  | 'unschedulable'
  | 'creating'
  | 'imagePull'
  | 'running'
  | 'crashLoop'
  | 'succeeded'
  | 'failed'
  | 'evicted';

export const PHASE_OF: Record<PodState, PodPhase> = {
  unschedulable: 'Pending',
  creating: 'Pending',
  imagePull: 'Pending',
  running: 'Running',
  crashLoop: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  evicted: 'Failed',
};

export interface PodStatusInput {
  state: PodState;
  /** The pod spec (containers and init containers are read). */
  spec: Json;
  /** When the pod was created (and scheduled). */
  created: string;
  /** When its sandbox started (startTime). Default `created`. */
  started?: string;
  /** When its containers became ready, or finished for terminal states. Default `started`. */
  ready?: string;
  hostIP?: string;
  podIP?: string;
  /** Restarts of the first container, with when the last one happened. */
  restartCount?: number;
  lastRestart?: string;
  /** `name_namespace(uid)`, for the CrashLoopBackOff message. */
  podRef?: string;
  /** How many nodes the scheduler considered, for the Unschedulable message. */
  nodeCount?: number;
  /** For container IDs. */
  random: RandomFn;
  /** Shares conditions, states and volume mounts between pods built with the same memo. */
  memo?: StatusMemo;
}

export class StatusMemo {
  readonly values = new Map<string, unknown>();
  readonly mounts = new WeakMap<object, readonly Json[]>();
  readonly qos = new WeakMap<object, string>();
  readonly ips = new Map<string, readonly Json[]>();

  get<T>(key: string, make: () => T): T {
    let value = this.values.get(key) as T | undefined;
    if (value === undefined) {
      value = deepFreeze(make());
      this.values.set(key, value);
    }
    return value;
  }
}

const imageIDs = new Map<string, string>();
/** A stable digest per image (FNV-1a based), as the kubelet reports imageID. */
function imageIDOf(image: string): string {
  let id = imageIDs.get(image);
  if (!id) {
    let h = 0x811c9dc5;
    let hex = '';
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < image.length; i++) h = Math.imul(h ^ image.charCodeAt(i), 0x01000193) >>> 0;
      h = Math.imul(h ^ round, 0x01000193) >>> 0;
      hex += h.toString(16).padStart(8, '0');
    }
    const repo = image.replace(/:[^:/]+$/, '');
    id = `${repo}@sha256:${hex}`;
    if (imageIDs.size > 50_000) imageIDs.clear();
    imageIDs.set(image, id);
  }
  return id;
}

function condition(type: string, status: string, time: string, reason?: string, message?: string): Json {
  const c: Json = { type, status, lastProbeTime: null, lastTransitionTime: time };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

function qosClass(spec: Json, memo?: StatusMemo): string {
  const containers = spec.containers as Json[];
  const cached = memo?.qos.get(containers);
  if (cached) return cached;
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const r = (c.resources ?? {}) as { requests?: Json; limits?: Json };
    if (r.requests || r.limits) any = true;
    if (!r.limits || r.limits.cpu === undefined || r.limits.memory === undefined) guaranteed = false;
    else if (r.requests && (r.requests.cpu !== r.limits.cpu || r.requests.memory !== r.limits.memory))
      guaranteed = false;
  }
  const qos = !any ? 'BestEffort' : guaranteed ? 'Guaranteed' : 'Burstable';
  memo?.qos.set(containers, qos);
  return qos;
}

function statusMounts(c: Json, memo?: StatusMemo): readonly Json[] | undefined {
  const mounts = c.volumeMounts as Json[] | undefined;
  if (!mounts) return undefined;
  const cached = memo?.mounts.get(mounts);
  if (cached) return cached;
  const out = mounts.map((m) => {
    const s: Json = { name: m.name, mountPath: m.mountPath };
    if (m.readOnly) {
      s.readOnly = true;
      s.recursiveReadOnly = 'Disabled';
    }
    return s;
  });
  deepFreeze(out);
  if (memo) memo.mounts.set(mounts, out);
  return out;
}

function containerStatus(
  c: Json,
  state: Json,
  o: {
    ready: boolean;
    started: boolean;
    restartCount?: number;
    lastState?: Json;
    id?: string;
    memo?: StatusMemo;
  },
): Json {
  const { name } = c;
  const image = c.image as string;
  const lastState = o.lastState ?? EMPTY_OBJECT;
  const { ready, started } = o;
  const restartCount = o.restartCount ?? 0;
  const volumeMounts = statusMounts(c, o.memo);
  const containerID = o.id;
  deepFreeze(state);
  deepFreeze(lastState);
  if (!containerID) {
    const imageID = '';
    return Object.freeze(
      volumeMounts
        ? { name, state, lastState, ready, restartCount, image, imageID, started, volumeMounts }
        : { name, state, lastState, ready, restartCount, image, imageID, started },
    );
  }
  const imageID = imageIDOf(image);
  return Object.freeze(
    volumeMounts
      ? { name, state, lastState, ready, restartCount, image, imageID, containerID, started, volumeMounts }
      : { name, state, lastState, ready, restartCount, image, imageID, containerID, started },
  );
}

function containerID(random: RandomFn): string {
  return randomHex(random, 64, 'containerd://');
}

/**
 * The status a kubelet (or, for an unschedulable pod, the scheduler) would report for a
 * pod in `state`, with conditions in the API server's order.
 */
export function podStatus(i: PodStatusInput): Json {
  const { state, spec, memo, random } = i;
  const started = i.started ?? i.created;
  const ready = i.ready ?? started;
  const containers = spec.containers as Json[];
  const inits = (spec.initContainers as Json[] | undefined) ?? [];
  const names = containers.map((c) => c.name).join(' ');
  const shared = <T>(key: string, make: () => T): T => (memo ? memo.get(key, make) : make());
  const qos = qosClass(spec, memo);

  if (state === 'unschedulable') {
    const n = i.nodeCount ?? 1;
    const message = `0/${n} nodes are available: ${n} Insufficient cpu. preemption: 0/${n} nodes are available: ${n} No preemption victims found for incoming pod.`;
    return {
      phase: 'Pending',
      conditions: shared(`u|${i.created}|${n}`, () => [
        condition('PodScheduled', 'False', i.created, 'Unschedulable', message),
      ]),
      qosClass: qos,
    };
  }

  const phase = PHASE_OF[state];
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const conditions = shared(`c|${state}|${i.created}|${started}|${ready}|${names}|${inits.length}`, () => {
    const notReady = `containers with unready status: [${names}]`;
    const first = String(containers[0].name);
    switch (state) {
      case 'creating':
        return [
          condition('PodReadyToStartContainers', 'False', started),
          inits.length > 0
            ? condition(
                'Initialized',
                'False',
                started,
                'ContainersNotInitialized',
                `containers with incomplete status: [${inits.map((c) => c.name).join(' ')}]`,
              )
            : condition('Initialized', 'True', started),
          condition('Ready', 'False', started, 'ContainersNotReady', notReady),
          condition('ContainersReady', 'False', started, 'ContainersNotReady', notReady),
          condition('PodScheduled', 'True', i.created),
        ];
      case 'imagePull':
      case 'crashLoop': {
        const message = `containers with unready status: [${first}]`;
        return [
          condition('PodReadyToStartContainers', 'True', started),
          condition('Initialized', 'True', started),
          condition('Ready', 'False', ready, 'ContainersNotReady', message),
          condition('ContainersReady', 'False', ready, 'ContainersNotReady', message),
          condition('PodScheduled', 'True', i.created),
        ];
      }
      case 'running':
        return [
          condition('PodReadyToStartContainers', 'True', started),
          condition('Initialized', 'True', started),
          condition('Ready', 'True', ready),
          condition('ContainersReady', 'True', ready),
          condition('PodScheduled', 'True', i.created),
        ];
      default: {
        const reason = state === 'succeeded' ? 'PodCompleted' : 'PodFailed';
        const out = [
          condition('PodReadyToStartContainers', 'False', ready),
          condition('Initialized', 'True', started, state === 'succeeded' ? 'PodCompleted' : undefined),
          condition('Ready', 'False', ready, reason),
          condition('ContainersReady', 'False', ready, reason),
          condition('PodScheduled', 'True', i.created),
        ];
        if (state === 'evicted') {
          out.unshift(
            condition(
              'DisruptionTarget',
              'True',
              ready,
              'TerminationByKubelet',
              'The node was low on resource: memory. Threshold quantity: 100Mi, available: 91236Ki. ',
            ),
          );
        }
        return out;
      }
    }
  });

  const running = shared(`r|${started}`, () => ({ running: { startedAt: started } }));
  let initContainerStatuses: Json[] | undefined;
  if (inits.length > 0) {
    initContainerStatuses = inits.map((c) => {
      const sidecar = c.restartPolicy === 'Always';
      if (state === 'creating') {
        return containerStatus(
          c,
          shared('w|PodInitializing', () => ({ waiting: { reason: 'PodInitializing' } })),
          {
            ready: false,
            started: false,
            memo,
          },
        );
      }
      if (sidecar && !terminal) {
        return containerStatus(c, running, { ready: true, started: true, id: containerID(random), memo });
      }
      const id = containerID(random);
      const done = shared(`i|${started}|${sidecar}`, () => ({
        terminated: {
          exitCode: sidecar ? 137 : 0,
          reason: sidecar ? 'Error' : 'Completed',
          startedAt: started,
          finishedAt: started,
        },
      }));
      return containerStatus(
        c,
        { terminated: { ...(done.terminated as Json), containerID: id } },
        {
          ready: !sidecar,
          started: false,
          id,
          memo,
        },
      );
    });
  }

  const containerStatuses = containers.map((c, index) => {
    const restarts = index === 0 ? (i.restartCount ?? 0) : 0;
    const id = containerID(random);
    const lastState =
      restarts > 0
        ? {
            terminated: {
              exitCode: state === 'crashLoop' ? 1 : 137,
              reason: state === 'crashLoop' ? 'Error' : 'OOMKilled',
              startedAt: started,
              finishedAt: i.lastRestart ?? ready,
              containerID: containerID(random),
            },
          }
        : undefined;
    switch (state) {
      case 'creating':
        return containerStatus(
          c,
          shared(`w|${inits.length > 0 ? 'PodInitializing' : 'ContainerCreating'}`, () => ({
            waiting: { reason: inits.length > 0 ? 'PodInitializing' : 'ContainerCreating' },
          })),
          { ready: false, started: false, memo },
        );
      case 'imagePull':
        if (index === 0) {
          return containerStatus(
            c,
            { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } },
            { ready: false, started: false, memo },
          );
        }
        return containerStatus(c, running, { ready: true, started: true, id, memo });
      case 'crashLoop':
        if (index === 0) {
          return containerStatus(
            c,
            {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off 5m0s restarting failed container=${c.name} pod=${i.podRef ?? ''}`,
              },
            },
            { ready: false, started: false, restartCount: restarts, lastState, id, memo },
          );
        }
        return containerStatus(c, running, { ready: true, started: true, id, memo });
      case 'running': {
        const state = restarts > 0 && i.lastRestart ? { running: { startedAt: i.lastRestart } } : running;
        return containerStatus(c, state, {
          ready: true,
          started: true,
          restartCount: restarts,
          lastState,
          id,
          memo,
        });
      }
      default: {
        const failed = state !== 'succeeded' && index === 0;
        const terminated: Json =
          state === 'evicted'
            ? {
                exitCode: 137,
                reason: 'ContainerStatusUnknown',
                message: 'The container could not be located when the pod was terminated',
                startedAt: started,
                finishedAt: ready,
              }
            : {
                exitCode: failed ? 1 : 0,
                reason: failed ? 'Error' : 'Completed',
                startedAt: started,
                finishedAt: ready,
                containerID: id,
              };
        return containerStatus(
          c,
          { terminated },
          { ready: false, started: false, restartCount: restarts, lastState, id, memo },
        );
      }
    }
  });
  const hostIP = i.hostIP;
  const hostIPs = hostIP ? hostIPsOf(hostIP, memo) : undefined;
  const podIP = state === 'creating' || state === 'evicted' ? undefined : i.podIP;
  const podIPs = podIP ? (podIP === hostIP ? hostIPs : deepFreeze([{ ip: podIP }])) : undefined;
  Object.freeze(containerStatuses);
  if (initContainerStatuses) Object.freeze(initContainerStatuses);
  deepFreeze(conditions);
  return statusObject({
    phase,
    conditions,
    evicted: state === 'evicted',
    hostIP,
    hostIPs,
    podIP,
    podIPs,
    startTime: started,
    initContainerStatuses,
    containerStatuses,
    qosClass: qos,
  });
}

const EVICTED_MESSAGE =
  'The node was low on resource: memory. Threshold quantity: 100Mi, available: 91236Ki. ';

/**
 * The status object with its keys in the API server's order, written as literals so
 * that V8 keeps every property in-object (a pod status grown key by key costs more).
 */
function statusObject(p: {
  phase: string;
  conditions: unknown;
  evicted: boolean;
  hostIP?: string;
  hostIPs?: unknown;
  podIP?: string;
  podIPs?: unknown;
  startTime: string;
  initContainerStatuses?: unknown;
  containerStatuses: unknown;
  qosClass: string;
}): Json {
  const {
    phase,
    conditions,
    hostIP,
    hostIPs,
    podIP,
    podIPs,
    startTime,
    initContainerStatuses,
    containerStatuses,
    qosClass,
  } = p;
  if (!hostIP || p.evicted) {
    const out: Json = { phase, conditions };
    if (p.evicted) {
      out.message = EVICTED_MESSAGE;
      out.reason = 'Evicted';
    }
    if (hostIP) {
      out.hostIP = hostIP;
      out.hostIPs = hostIPs;
    }
    out.startTime = startTime;
    if (initContainerStatuses) out.initContainerStatuses = initContainerStatuses;
    out.containerStatuses = containerStatuses;
    out.qosClass = qosClass;
    return Object.freeze(out);
  }
  if (podIP) {
    return Object.freeze(
      initContainerStatuses
        ? {
            phase,
            conditions,
            hostIP,
            hostIPs,
            podIP,
            podIPs,
            startTime,
            initContainerStatuses,
            containerStatuses,
            qosClass,
          }
        : { phase, conditions, hostIP, hostIPs, podIP, podIPs, startTime, containerStatuses, qosClass },
    );
  }
  return Object.freeze(
    initContainerStatuses
      ? { phase, conditions, hostIP, hostIPs, startTime, initContainerStatuses, containerStatuses, qosClass }
      : { phase, conditions, hostIP, hostIPs, startTime, containerStatuses, qosClass },
  );
}

function hostIPsOf(ip: string, memo?: StatusMemo): readonly Json[] {
  if (!memo) return [{ ip }];
  let ips = memo.ips.get(ip);
  if (!ips) {
    ips = deepFreeze([{ ip }]);
    memo.ips.set(ip, ips);
  }
  return ips;
}

// ---------------------------------------------------------------------------------------
// Nodes

const REGION = 'eu-west-1';
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const KUBELET_VERSIONS = ['v1.31.4', 'v1.31.4', 'v1.31.4', 'v1.31.3'];
const INSTANCE_TYPES = [
  { type: 'm6i.2xlarge', cpu: '8', allocatable: '7910m', memoryKi: 32_386_740, arch: 'amd64' },
  { type: 'm6i.4xlarge', cpu: '16', allocatable: '15890m', memoryKi: 65_842_000, arch: 'amd64' },
  { type: 'm6i.8xlarge', cpu: '32', allocatable: '31850m', memoryKi: 131_631_120, arch: 'amd64' },
  { type: 'm7g.4xlarge', cpu: '16', allocatable: '15890m', memoryKi: 65_229_820, arch: 'arm64' },
] as const;

function nodeImages(arch: string): readonly Json[] {
  const list: [string, string, number][] = [
    ['quay.io/cilium/cilium', 'v1.16.4', 203_117_442],
    ['registry.k8s.io/kube-proxy', 'v1.31.4', 30_228_131],
    ['registry.k8s.io/coredns/coredns', 'v1.11.3', 18_562_039],
    ['docker.io/library/postgres', '16.6', 157_331_406],
    ['registry.acme.io/platform/base', 'bookworm', 48_290_112],
    ['registry.k8s.io/pause', '3.10', 320_368],
  ];
  return deepFreeze(
    list.map(([repo, tag, size]) => ({
      names: [imageIDOf(`${repo}:${tag}-${arch}`).replace(/^[^@]+/, repo), `${repo}:${tag}`],
      sizeBytes: size,
    })),
  );
}

interface NodeSlot {
  name: string;
  uid: string;
  index: number;
  ip: string;
  cidrPrefix: string;
  controlPlane: boolean;
  /** Regular pods may be placed here (not tainted, not a control-plane node). */
  workerTarget: boolean;
  podIPs: number;
  daemonAffinity?: Json;
}

/**
 * A node's conditions as its kubelet (or, for Unknown, the node lifecycle controller)
 * reports them: `since` is when it became healthy, `lost` when it stopped being so.
 */
export function nodeConditions(
  ready: 'True' | 'False' | 'Unknown',
  heartbeat: string,
  since: string,
  lost: string,
): Json[] {
  const pressure = (type: string, reason: string, message: string): Json =>
    ready === 'Unknown'
      ? {
          type,
          status: 'Unknown',
          lastHeartbeatTime: heartbeat,
          lastTransitionTime: lost,
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
        }
      : { type, status: 'False', lastHeartbeatTime: heartbeat, lastTransitionTime: since, reason, message };
  const readyCondition =
    ready === 'True'
      ? {
          type: 'Ready',
          status: 'True',
          lastHeartbeatTime: heartbeat,
          lastTransitionTime: since,
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
        }
      : ready === 'False'
        ? {
            type: 'Ready',
            status: 'False',
            lastHeartbeatTime: heartbeat,
            lastTransitionTime: lost,
            reason: 'KubeletNotReady',
            message:
              'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
          }
        : {
            type: 'Ready',
            status: 'Unknown',
            lastHeartbeatTime: heartbeat,
            lastTransitionTime: lost,
            reason: 'NodeStatusUnknown',
            message: 'Kubelet stopped posting node status.',
          };
  return [
    pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    readyCondition,
  ];
}

/** The taint the node lifecycle controller puts on a node whose Ready condition is not True. */
export function readinessTaints(ready: string, since: string): Json[] {
  if (ready === 'True') return [];
  const key = ready === 'False' ? 'node.kubernetes.io/not-ready' : 'node.kubernetes.io/unreachable';
  return [
    { key, effect: 'NoSchedule', timeAdded: since },
    { key, effect: 'NoExecute', timeAdded: since },
  ];
}

function buildNodes(random: RandomFn, count: number, nowMs: number, clusterBorn: number) {
  const controlPlanes = count >= 5 ? 3 : 1;
  const workers = count - controlPlanes;
  const few = (fraction: number) => (workers >= 8 ? Math.max(1, Math.round(workers * fraction)) : 0);
  const special = new Map<number, 'tainted' | 'cordoned' | 'NotReady' | 'Unknown'>();
  const mark = (n: number, kind: 'tainted' | 'cordoned' | 'NotReady' | 'Unknown') => {
    for (let k = 0, guard = 0; k < n && guard < 10 * n; guard++) {
      const i = controlPlanes + randomInt(random, workers);
      if (!special.has(i)) {
        special.set(i, kind);
        k++;
      }
    }
  };
  mark(few(0.03), 'tainted');
  mark(few(0.02), 'cordoned');
  mark(few(0.01), 'NotReady');
  mark(few(0.01), 'Unknown');

  const slots: NodeSlot[] = [];
  const objects: KubeObject[] = [];
  const perZone = [0, 0, 0];
  const imagesByArch = new Map<string, readonly Json[]>();
  for (let i = 0; i < count; i++) {
    const zoneIndex = i % 3;
    const zone = ZONES[zoneIndex];
    perZone[zoneIndex] += 1;
    const name = `node-${zone}-${perZone[zoneIndex]}`;
    const controlPlane = i < controlPlanes;
    const kind = special.get(i);
    const instance = controlPlane
      ? INSTANCE_TYPES[0]
      : INSTANCE_TYPES[randomInt(random, INSTANCE_TYPES.length)];
    const n = i + 10;
    const ip = `10.0.${(n >> 8) & 255}.${n & 255}`;
    const cidrPrefix = `10.${244 + (i >> 8)}.${i & 255}.`;
    const uid = randomUid(random);
    const created = controlPlane
      ? clusterBorn
      : clusterBorn + randomInt(random, Math.max(1, nowMs - clusterBorn - DAY));
    const createdIso = isoTime(created);
    const ready = kind === 'NotReady' ? 'False' : kind === 'Unknown' ? 'Unknown' : 'True';
    const heartbeatMs =
      ready === 'Unknown'
        ? nowMs - 10 * MINUTE - randomInt(random, HOUR)
        : nowMs - randomInt(random, 40 * SECOND);
    const lostIso = isoTime(
      ready === 'Unknown' ? heartbeatMs + 40 * SECOND : nowMs - randomInt(random, 30 * MINUTE),
    );
    const memoryKi = instance.memoryKi;
    const labels: Record<string, string> = {
      'beta.kubernetes.io/arch': instance.arch,
      'beta.kubernetes.io/instance-type': instance.type,
      'beta.kubernetes.io/os': 'linux',
      'failure-domain.beta.kubernetes.io/region': REGION,
      'failure-domain.beta.kubernetes.io/zone': zone,
      'kubernetes.io/arch': instance.arch,
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
      'node.kubernetes.io/instance-type': instance.type,
      'topology.kubernetes.io/region': REGION,
      'topology.kubernetes.io/zone': zone,
    };
    if (controlPlane) {
      labels['node-role.kubernetes.io/control-plane'] = '';
      labels['node.kubernetes.io/exclude-from-external-load-balancers'] = '';
    } else {
      labels['node-role.kubernetes.io/worker'] = '';
      if (kind === 'tainted') labels['acme.io/dedicated'] = 'gpu';
    }
    const taints: Json[] = [];
    if (controlPlane) taints.push({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
    if (kind === 'tainted') taints.push({ key: 'acme.io/dedicated', value: 'gpu', effect: 'NoSchedule' });
    if (kind === 'cordoned') {
      taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: lostIso });
    }
    taints.push(...readinessTaints(ready, lostIso));
    const spec: Json = {
      podCIDR: `${cidrPrefix}0/24`,
      podCIDRs: [`${cidrPrefix}0/24`],
      providerID: `aws:///${zone}/i-0${randomHex(random, 16)}`,
    };
    if (taints.length > 0) spec.taints = taints;
    if (kind === 'cordoned') spec.unschedulable = true;
    let images = imagesByArch.get(instance.arch);
    if (!images) {
      images = nodeImages(instance.arch);
      imagesByArch.set(instance.arch, images);
    }
    const kubeletVersion = pick(random, KUBELET_VERSIONS);
    const heartbeatIso = isoTime(heartbeatMs);
    const status: Json = {
      capacity: {
        cpu: instance.cpu,
        'ephemeral-storage': '104845292Ki',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: `${memoryKi}Ki`,
        pods: '110',
      },
      allocatable: {
        cpu: instance.allocatable,
        'ephemeral-storage': '95551679124',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: `${memoryKi - 1_458_132}Ki`,
        pods: '110',
      },
      conditions: nodeConditions(ready, heartbeatIso, createdIso, lostIso),
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: randomHex(random, 32),
        systemUUID: `ec2${randomHex(random, 5)}-${randomHex(random, 4)}-${randomHex(random, 4)}-${randomHex(random, 4)}-${randomHex(random, 12)}`,
        bootID: randomUid(random),
        kernelVersion:
          instance.arch === 'arm64' ? '6.1.115-126.197.amzn2023.aarch64' : '6.1.115-126.197.amzn2023.x86_64',
        osImage: 'Amazon Linux 2023.6.20241121',
        containerRuntimeVersion: pick(random, ['containerd://1.7.23', 'containerd://1.7.22']),
        kubeletVersion,
        kubeProxyVersion: kubeletVersion,
        operatingSystem: 'linux',
        architecture: instance.arch,
      },
      images,
    };
    const annotations: Record<string, string> = {
      'alpha.kubernetes.io/provided-node-ip': ip,
      'node.alpha.kubernetes.io/ttl': '0',
      'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
    };
    const metadata: Json = { name, uid, creationTimestamp: createdIso, labels, annotations };
    metadata.managedFields = [
      managedEntry('kubelet', createdIso, {
        'f:metadata': fieldsOf({ annotations, labels }, false),
      }),
      managedEntry('kube-controller-manager', createdIso, {
        'f:metadata': { 'f:annotations': { 'f:node.alpha.kubernetes.io/ttl': NO_FIELDS } },
        'f:spec': fieldsOf({ podCIDR: spec.podCIDR, podCIDRs: spec.podCIDRs, taints: spec.taints }, false),
      }),
      managedEntry('kubelet', heartbeatIso, { 'f:status': fieldsOf(status, false) }, 'status'),
    ];
    objects.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: metadata as unknown as KubeObject['metadata'],
      spec,
      status,
    });
    slots.push({
      name,
      uid,
      index: i,
      ip,
      cidrPrefix,
      controlPlane,
      workerTarget: !controlPlane && kind !== 'tainted',
      podIPs: 0,
    });
  }
  return { slots, objects };
}

/** Pod IPs from the node's /24, then from a spill range once a node is overfull. */
let spillIP = 0;
function allocatePodIP(node: NodeSlot): string {
  node.podIPs += 1;
  if (node.podIPs <= 250) return `${node.cidrPrefix}${node.podIPs + 3}`;
  spillIP += 1;
  return `100.${64 + ((spillIP >> 16) & 63)}.${(spillIP >> 8) & 255}.${spillIP & 255}`;
}

/**
 * Nodes a new pod may go to, as the scheduler sees them: Ready, not cordoned, no
 * NoSchedule/NoExecute taint (pods the simulator creates tolerate none).
 */
export function schedulableNodes(store: SimStore): KubeObject[] {
  const out: KubeObject[] = [];
  for (const node of store.scan('nodes')) {
    if (node.spec?.unschedulable) continue;
    const taints = (node.spec?.taints ?? []) as Json[];
    if (taints.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) continue;
    const ready = ((node.status?.conditions ?? []) as Json[]).find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') continue;
    out.push(node);
  }
  return out;
}

export function nodeInternalIP(node: KubeObject): string | undefined {
  const address = ((node.status?.addresses ?? []) as Json[]).find((a) => a.type === 'InternalIP');
  return address?.address as string | undefined;
}

/** A pod IP inside the node's podCIDR (random host part: unique enough for live changes). */
export function randomPodIP(node: KubeObject, random: RandomFn): string {
  const cidr = String(node.spec?.podCIDR ?? '10.244.0.0/24');
  const prefix = cidr.slice(0, cidr.lastIndexOf('.') + 1);
  return `${prefix}${4 + randomInt(random, 250)}`;
}

// ---------------------------------------------------------------------------------------
// Workloads: one shared, frozen pod template per owner; pods reference it.

type OwnerKind = 'ReplicaSet' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'Node';

interface Workload {
  ownerKind: OwnerKind;
  namespace: string;
  /** generateName for owners that generate names. */
  generateName?: string;
  labels: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
  ownerReferences: readonly OwnerReference[];
  spec: Json;
  manager: string;
  created: string;
  started: string;
  ready: string;
  hostNetwork: boolean;
  /** The creator's managedFields entry, built from the first pod and shared by all. */
  entry?: Json;
}

interface PodExtras {
  labels?: Record<string, string>;
  spec?: Json;
  restartCount?: number;
  lastRestart?: string;
  finalizers?: readonly string[];
  created?: string;
  started?: string;
  ready?: string;
}

interface BuildContext {
  random: RandomFn;
  memo: StatusMemo;
  nowMs: number;
  nodes: NodeSlot[];
  workerTargets: NodeSlot[];
  pods: { key: string; obj: KubeObject; state: PodState }[];
  keys: Set<string>;
}

function rolloutTime(ctx: BuildContext, maxAge: number): number {
  const r = ctx.random();
  return ctx.nowMs - Math.floor(r * r * maxAge) - MINUTE;
}

function workloadTimes(ctx: BuildContext, created: number): Pick<Workload, 'created' | 'started' | 'ready'> {
  const started = created + SECOND * (1 + randomInt(ctx.random, 3));
  return {
    created: isoTime(created),
    started: isoTime(started),
    ready: isoTime(started + SECOND * (3 + randomInt(ctx.random, 40))),
  };
}

function uniqueName(ctx: BuildContext, namespace: string, make: () => string): string {
  for (;;) {
    const name = make();
    const key = `${namespace}/${name}`;
    if (!ctx.keys.has(key)) return name;
  }
}

function podSpecOf(parts: {
  volumes: readonly Json[];
  initContainers?: readonly Json[];
  containers: readonly Json[];
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  dnsPolicy?: string;
  nodeSelector?: Json;
  serviceAccountName?: string;
  hostNetwork?: boolean;
  securityContext?: Json;
  imagePullSecrets?: readonly Json[];
  affinity?: Json;
  tolerations?: readonly Json[];
  priorityClassName?: string;
  priority?: number;
  topologySpreadConstraints?: readonly Json[];
}): Json {
  const spec: Json = {};
  if (parts.volumes.length > 0) spec.volumes = parts.volumes;
  if (parts.initContainers && parts.initContainers.length > 0) spec.initContainers = parts.initContainers;
  spec.containers = parts.containers;
  spec.restartPolicy = parts.restartPolicy ?? 'Always';
  spec.terminationGracePeriodSeconds = parts.terminationGracePeriodSeconds ?? 30;
  spec.dnsPolicy = parts.dnsPolicy ?? 'ClusterFirst';
  if (parts.nodeSelector) spec.nodeSelector = parts.nodeSelector;
  if (parts.serviceAccountName) {
    spec.serviceAccountName = parts.serviceAccountName;
    spec.serviceAccount = parts.serviceAccountName;
  }
  if (parts.hostNetwork) spec.hostNetwork = true;
  spec.securityContext = parts.securityContext ?? EMPTY_OBJECT;
  if (parts.imagePullSecrets) spec.imagePullSecrets = parts.imagePullSecrets;
  if (parts.affinity) spec.affinity = parts.affinity;
  spec.schedulerName = 'default-scheduler';
  spec.tolerations = parts.tolerations ?? DEFAULT_TOLERATIONS;
  if (parts.priorityClassName) spec.priorityClassName = parts.priorityClassName;
  spec.priority = parts.priority ?? 0;
  spec.enableServiceLinks = true;
  spec.preemptionPolicy = 'PreemptLowerPriority';
  if (parts.topologySpreadConstraints) spec.topologySpreadConstraints = parts.topologySpreadConstraints;
  return deepFreeze(spec);
}

function ownerRef(apiVersion: string, kind: string, name: string, uid: string): OwnerReference {
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function makePod(
  ctx: BuildContext,
  w: Workload,
  name: string,
  node: NodeSlot | undefined,
  state: PodState,
  extra: PodExtras = {},
): void {
  const base = extra.spec ? deepFreeze(extra.spec) : w.spec;
  const scheduled = state !== 'unschedulable' && node !== undefined;
  const spec = scheduled ? Object.freeze({ ...base, nodeName: node.name }) : base;
  const effective: PodState = scheduled || state === 'unschedulable' ? state : 'unschedulable';
  const hasIP = scheduled && effective !== 'creating' && effective !== 'evicted';
  const podIP = hasIP ? (w.hostNetwork ? node.ip : allocatePodIP(node)) : undefined;
  const uid = randomUid(ctx.random);
  const created = extra.created ?? w.created;
  const status = podStatus({
    state: effective,
    spec,
    created,
    started: extra.started ?? w.started,
    ready: extra.ready ?? w.ready,
    hostIP: scheduled ? node.ip : undefined,
    podIP,
    restartCount: extra.restartCount,
    lastRestart: extra.lastRestart,
    podRef: `${name}_${w.namespace}(${uid})`,
    nodeCount: ctx.nodes.length,
    random: ctx.random,
    memo: ctx.memo,
  });
  const labels = extra.labels ? deepFreeze(extra.labels) : w.labels;
  const metadata: Json = { name };
  if (w.generateName) metadata.generateName = w.generateName;
  metadata.namespace = w.namespace;
  metadata.uid = uid;
  metadata.creationTimestamp = created;
  metadata.labels = labels;
  if (w.annotations) metadata.annotations = w.annotations;
  metadata.ownerReferences = w.ownerReferences;
  if (extra.finalizers) metadata.finalizers = extra.finalizers;
  if (!w.entry) w.entry = creatorEntry(w.manager, metadata, spec, w.created);
  const statusTime = extra.lastRestart ?? extra.ready ?? w.ready;
  metadata.managedFields = Object.freeze([w.entry, statusEntry(status, statusTime)]);
  const key = podKey(w.namespace, name);
  ctx.keys.add(key);
  ctx.pods.push({
    key,
    obj: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: metadata as unknown as KubeObject['metadata'],
      spec,
      status,
    },
    state: effective,
  });
}

function pickWorker(ctx: BuildContext): NodeSlot | undefined {
  const targets = ctx.workerTargets.length > 0 ? ctx.workerTargets : ctx.nodes;
  return targets.length > 0 ? targets[randomInt(ctx.random, targets.length)] : undefined;
}

/** Most pods run; a few are pending, crash-looping, evicted or done, as in a real cluster. */
function workloadPodState(random: RandomFn): { state: PodState; restarts: number } {
  const r = random();
  if (r < 0.005) return { state: 'unschedulable', restarts: 0 };
  if (r < 0.015) return { state: 'creating', restarts: 0 };
  if (r < 0.022) return { state: 'imagePull', restarts: 0 };
  if (r < 0.04) return { state: 'crashLoop', restarts: 5 + randomInt(random, 300) };
  if (r < 0.052) return { state: 'evicted', restarts: 0 };
  if (r < 0.056) return { state: 'failed', restarts: 0 };
  if (r < 0.06) return { state: 'succeeded', restarts: 0 };
  if (r < 0.16) return { state: 'running', restarts: 1 + randomInt(random, 4) };
  return { state: 'running', restarts: 0 };
}

function addWorkloadPods(
  ctx: BuildContext,
  w: Workload,
  count: number,
  namer: (i: number) => string,
  perPod?: (i: number, name: string, node: NodeSlot | undefined) => PodExtras,
): void {
  for (let i = 0; i < count; i++) {
    const { state, restarts } = workloadPodState(ctx.random);
    const name = namer(i);
    const node = state === 'unschedulable' ? undefined : pickWorker(ctx);
    const extra = perPod?.(i, name, node) ?? {};
    if (restarts > 0) {
      extra.restartCount = restarts;
      const readyMs = Date.parse(w.ready);
      extra.lastRestart = isoTime(readyMs + randomInt(ctx.random, Math.max(1, ctx.nowMs - readyMs)));
    }
    makePod(ctx, w, name, node, state, extra);
  }
}

function deployment(ctx: BuildContext, namespace: string, team: string, app: string, replicas: number): void {
  const { random } = ctx;
  const runtime = pick(random, RUNTIMES);
  const version = `${1 + randomInt(random, 3)}.${randomInt(random, 40)}.${randomInt(random, 10)}`;
  const image = `registry.acme.io/${team}/${app}:${version}`;
  const hash = randomSuffix(random, 10);
  const rsName = `${app}-${hash}`;
  const access = apiAccess(random);
  const volumes: Json[] = [];
  const mounts: Json[] = [];
  if (random() < 0.6) {
    volumes.push({ name: 'config', configMap: { name: `${app}-config`, defaultMode: 420 } });
    mounts.push({ name: 'config', readOnly: true, mountPath: `/etc/${app}` });
  }
  if (random() < 0.3) {
    volumes.push({ name: 'tmp', emptyDir: EMPTY_OBJECT });
    mounts.push({ name: 'tmp', mountPath: '/tmp' });
  }
  volumes.push(access.volume);
  mounts.push(access.mount);
  const env: Json[] = [...runtime.env, { name: 'SERVICE_NAME', value: app }];
  if (random() < 0.5) env.push(ENV_OTEL);
  const dbEnv = { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: `${app}-db`, key: 'url' } } };
  if (random() < 0.3) env.push(dbEnv);
  const hardened = random() < 0.5;
  const containers: Json[] = [
    container({
      name: app,
      image,
      command: runtime.command,
      args: runtime.args,
      ports: runtime.ports,
      env,
      resources: randomResources(random),
      volumeMounts: mounts,
      livenessProbe: runtime.liveness,
      readinessProbe: runtime.readiness,
      startupProbe: runtime.startup,
      securityContext: hardened ? CONTAINER_SECURITY : undefined,
    }),
  ];
  const inits: Json[] = [];
  const extraRoll = random();
  if (extraRoll < 0.1) {
    containers.push(
      container({
        name: 'log-forwarder',
        image: 'cr.fluentbit.io/fluent/fluent-bit:3.1.9',
        env: [ENV_POD_NAME, ENV_NODE_NAME],
        resources: resources(['50m', '64Mi'], [undefined, '128Mi']),
        volumeMounts: [access.mount],
      }),
    );
  } else if (extraRoll < 0.15) {
    containers.push(
      container({
        name: 'cloud-sql-proxy',
        image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1',
        args: ['--port=5432', '--structured-logs', `acme-prod:europe-west1:${team}`],
        resources: resources(['100m', '128Mi'], [undefined, '256Mi']),
        securityContext: CONTAINER_SECURITY,
      }),
    );
  }
  if (random() < 0.05) {
    inits.push(
      container({
        name: 'envoy',
        image: 'docker.io/envoyproxy/envoy:v1.32.2',
        args: ['-c', '/etc/envoy/envoy.yaml', '--log-level', 'warn'],
        ports: [{ name: 'envoy-admin', containerPort: 9901, protocol: 'TCP' }],
        resources: resources(['100m', '128Mi'], [undefined, '256Mi']),
        restartPolicy: 'Always',
        readinessProbe: httpProbe('/ready', 9901),
      }),
    );
  }
  if (random() < 0.08) {
    inits.push(
      container({
        name: 'wait-for-deps',
        image: 'docker.io/library/busybox:1.36.1',
        command: ['sh', '-c', 'until nc -z postgres 5432; do echo waiting for postgres; sleep 2; done'],
      }),
    );
  }
  if (random() < 0.05) {
    inits.push(
      container({
        name: 'migrate',
        image,
        args: ['migrate', 'up'],
        env: [dbEnv],
        volumeMounts: [access.mount],
      }),
    );
  }
  const selector = { 'app.kubernetes.io/name': app, 'app.kubernetes.io/instance': app };
  const spec = podSpecOf({
    volumes,
    initContainers: inits,
    containers,
    serviceAccountName: random() < 0.5 ? app : 'default',
    securityContext: hardened ? POD_SECURITY : undefined,
    imagePullSecrets: random() < 0.3 ? [{ name: 'regcred' }] : undefined,
    nodeSelector: random() < 0.2 ? { 'kubernetes.io/os': 'linux' } : undefined,
    affinity:
      replicas > 1 && random() < 0.3
        ? {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: { matchLabels: selector },
                    topologyKey: 'kubernetes.io/hostname',
                  },
                },
              ],
            },
          }
        : undefined,
    topologySpreadConstraints:
      replicas > 2 && random() < 0.3
        ? [
            {
              maxSkew: 1,
              topologyKey: 'topology.kubernetes.io/zone',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: selector },
            },
          ]
        : undefined,
  });
  const labels: Record<string, string> = { ...selector };
  if (random() < 0.5) labels['app.kubernetes.io/part-of'] = team;
  if (random() < 0.5) labels['app.kubernetes.io/version'] = version;
  labels['pod-template-hash'] = hash;
  if (random() < 0.3) labels.app = app;
  let annotations: Record<string, string> | undefined;
  if (random() < 0.4) annotations = { 'prometheus.io/port': '9090', 'prometheus.io/scrape': 'true' };
  const created = rolloutTime(ctx, 90 * DAY);
  if (random() < 0.15)
    annotations = { ...annotations, 'kubectl.kubernetes.io/restartedAt': isoTime(created - SECOND) };
  const w: Workload = {
    ownerKind: 'ReplicaSet',
    namespace,
    generateName: `${rsName}-`,
    labels: deepFreeze(labels),
    annotations: annotations && deepFreeze(annotations),
    ownerReferences: deepFreeze([ownerRef('apps/v1', 'ReplicaSet', rsName, randomUid(random))]),
    spec,
    manager: 'kube-controller-manager',
    ...workloadTimes(ctx, created),
    hostNetwork: false,
  };
  addWorkloadPods(ctx, w, replicas, () =>
    uniqueName(ctx, namespace, () => `${rsName}-${randomSuffix(random)}`),
  );
}

function statefulSet(
  ctx: BuildContext,
  namespace: string,
  team: string,
  name: string,
  replicas: number,
): void {
  const { random } = ctx;
  const kind = pick(random, STATEFUL_KINDS);
  const access = apiAccess(random);
  const revision = `${name}-${randomSuffix(random, 10)}`;
  const spec = podSpecOf({
    volumes: [access.volume],
    containers: [
      container({
        name: kind.name,
        image: kind.image,
        ports: [{ name: 'tcp', containerPort: kind.port, protocol: 'TCP' }],
        env: [...kind.env, ENV_POD_NAME],
        resources: randomResources(random, 1),
        volumeMounts: [{ name: 'data', mountPath: kind.mountPath }, access.mount],
        livenessProbe: kind.probe,
        readinessProbe: kind.probe,
      }),
    ],
    terminationGracePeriodSeconds: 60,
    serviceAccountName: 'default',
    securityContext: { fsGroup: 999, runAsUser: 999 },
  });
  const base = deepFreeze({
    'app.kubernetes.io/name': kind.name,
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/part-of': team,
    'controller-revision-hash': revision,
  });
  const w: Workload = {
    ownerKind: 'StatefulSet',
    namespace,
    labels: base,
    ownerReferences: deepFreeze([ownerRef('apps/v1', 'StatefulSet', name, randomUid(random))]),
    spec,
    manager: 'kube-controller-manager',
    ...workloadTimes(ctx, rolloutTime(ctx, 120 * DAY)),
    hostNetwork: false,
  };
  const volumes = spec.volumes as Json[];
  addWorkloadPods(
    ctx,
    w,
    replicas,
    (i) => `${name}-${i}`,
    (i, podName) => ({
      labels: {
        ...base,
        'apps.kubernetes.io/pod-index': String(i),
        'statefulset.kubernetes.io/pod-name': podName,
      },
      spec: {
        ...spec,
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-${podName}` } }, ...volumes],
        hostname: podName,
        subdomain: `${name}-headless`,
      },
    }),
  );
}

// ---------------------------------------------------------------------------------------
// kube-system

function staticPods(ctx: BuildContext, node: NodeSlot, clusterBorn: number): Workload[] {
  const ip = node.ip;
  const hostPath = (name: string, path: string, type = 'DirectoryOrCreate') => ({
    name,
    hostPath: { path, type },
  });
  const mount = (name: string, mountPath: string, readOnly = true) =>
    readOnly ? { name, readOnly, mountPath } : { name, mountPath };
  const certs = [hostPath('ca-certs', '/etc/ssl/certs'), hostPath('k8s-certs', '/etc/kubernetes/pki')];
  const certMounts = [mount('ca-certs', '/etc/ssl/certs'), mount('k8s-certs', '/etc/kubernetes/pki')];
  const components: {
    name: string;
    image: string;
    command: string[];
    port: number;
    path: string;
    host: string;
    cpu: string;
    volumes: Json[];
    mounts: Json[];
  }[] = [
    {
      name: 'etcd',
      image: 'registry.k8s.io/etcd:3.5.15-0',
      command: [
        'etcd',
        `--advertise-client-urls=https://${ip}:2379`,
        '--cert-file=/etc/kubernetes/pki/etcd/server.crt',
        '--client-cert-auth=true',
        '--data-dir=/var/lib/etcd',
        '--experimental-initial-corrupt-check=true',
        '--experimental-watch-progress-notify-interval=5s',
        `--initial-advertise-peer-urls=https://${ip}:2380`,
        `--initial-cluster=${node.name}=https://${ip}:2380`,
        '--key-file=/etc/kubernetes/pki/etcd/server.key',
        `--listen-client-urls=https://127.0.0.1:2379,https://${ip}:2379`,
        '--listen-metrics-urls=http://127.0.0.1:2381',
        `--listen-peer-urls=https://${ip}:2380`,
        `--name=${node.name}`,
        '--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt',
        '--peer-client-cert-auth=true',
        '--peer-key-file=/etc/kubernetes/pki/etcd/peer.key',
        '--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
        '--snapshot-count=10000',
        '--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
      ],
      port: 2381,
      path: '/livez',
      host: '127.0.0.1',
      cpu: '100m',
      volumes: [hostPath('etcd-certs', '/etc/kubernetes/pki/etcd'), hostPath('etcd-data', '/var/lib/etcd')],
      mounts: [
        mount('etcd-data', '/var/lib/etcd', false),
        mount('etcd-certs', '/etc/kubernetes/pki/etcd', false),
      ],
    },
    {
      name: 'kube-apiserver',
      image: 'registry.k8s.io/kube-apiserver:v1.31.4',
      command: [
        'kube-apiserver',
        `--advertise-address=${ip}`,
        '--allow-privileged=true',
        '--authorization-mode=Node,RBAC',
        '--client-ca-file=/etc/kubernetes/pki/ca.crt',
        '--enable-admission-plugins=NodeRestriction',
        '--enable-bootstrap-token-auth=true',
        '--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt',
        '--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt',
        '--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key',
        '--etcd-servers=https://127.0.0.1:2379',
        '--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt',
        '--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key',
        '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
        '--requestheader-allowed-names=front-proxy-client',
        '--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt',
        '--secure-port=6443',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--service-account-key-file=/etc/kubernetes/pki/sa.pub',
        '--service-account-signing-key-file=/etc/kubernetes/pki/sa.key',
        '--service-cluster-ip-range=10.96.0.0/12',
        '--tls-cert-file=/etc/kubernetes/pki/apiserver.crt',
        '--tls-private-key-file=/etc/kubernetes/pki/apiserver.key',
      ],
      port: 6443,
      path: '/livez',
      host: ip,
      cpu: '250m',
      volumes: certs,
      mounts: certMounts,
    },
    {
      name: 'kube-controller-manager',
      image: 'registry.k8s.io/kube-controller-manager:v1.31.4',
      command: [
        'kube-controller-manager',
        '--allocate-node-cidrs=true',
        '--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf',
        '--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf',
        '--bind-address=127.0.0.1',
        '--client-ca-file=/etc/kubernetes/pki/ca.crt',
        '--cluster-cidr=10.244.0.0/14',
        '--cluster-name=kubernetes',
        '--controllers=*,bootstrapsigner,tokencleaner',
        '--kubeconfig=/etc/kubernetes/controller-manager.conf',
        '--leader-elect=true',
        '--service-cluster-ip-range=10.96.0.0/12',
        '--use-service-account-credentials=true',
      ],
      port: 10257,
      path: '/healthz',
      host: '127.0.0.1',
      cpu: '200m',
      volumes: [...certs, hostPath('kubeconfig', '/etc/kubernetes/controller-manager.conf', 'FileOrCreate')],
      mounts: [...certMounts, mount('kubeconfig', '/etc/kubernetes/controller-manager.conf')],
    },
    {
      name: 'kube-scheduler',
      image: 'registry.k8s.io/kube-scheduler:v1.31.4',
      command: [
        'kube-scheduler',
        '--authentication-kubeconfig=/etc/kubernetes/scheduler.conf',
        '--authorization-kubeconfig=/etc/kubernetes/scheduler.conf',
        '--bind-address=127.0.0.1',
        '--kubeconfig=/etc/kubernetes/scheduler.conf',
        '--leader-elect=true',
      ],
      port: 10259,
      path: '/healthz',
      host: '127.0.0.1',
      cpu: '100m',
      volumes: [hostPath('kubeconfig', '/etc/kubernetes/scheduler.conf', 'FileOrCreate')],
      mounts: [mount('kubeconfig', '/etc/kubernetes/scheduler.conf')],
    },
  ];
  const created = clusterBorn + randomInt(ctx.random, HOUR);
  return components.map((c) => {
    const probe = (failureThreshold: number) => ({
      httpGet: { host: c.host, path: c.path, port: c.port, scheme: c.port === 2381 ? 'HTTP' : 'HTTPS' },
      initialDelaySeconds: 10,
      timeoutSeconds: 15,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold,
    });
    const hash = randomHex(ctx.random, 32);
    const spec = podSpecOf({
      volumes: c.volumes,
      containers: [
        container({
          name: c.name,
          image: c.image,
          command: c.command,
          resources: resources([c.cpu, c.name === 'etcd' ? '100Mi' : '128Mi']),
          volumeMounts: c.mounts,
          livenessProbe: probe(8),
          startupProbe: probe(24),
        }),
      ],
      hostNetwork: true,
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      tolerations: [{ operator: 'Exists', effect: 'NoExecute' }],
      priorityClassName: 'system-node-critical',
      priority: 2000001000,
    });
    const w: Workload = {
      ownerKind: 'Node',
      namespace: 'kube-system',
      labels: deepFreeze({ component: c.name, tier: 'control-plane' }),
      annotations: deepFreeze({
        'kubernetes.io/config.hash': hash,
        'kubernetes.io/config.mirror': hash,
        'kubernetes.io/config.seen': isoTime(created),
        'kubernetes.io/config.source': 'file',
      }),
      ownerReferences: deepFreeze([
        { apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid, controller: true },
      ]),
      spec,
      manager: 'kubelet',
      ...workloadTimes(ctx, created),
      hostNetwork: true,
    };
    return w;
  });
}

function systemDeployment(
  ctx: BuildContext,
  name: string,
  labels: Record<string, string>,
  spec: Json,
): { w: Workload; rs: string } {
  const hash = randomSuffix(ctx.random, 10);
  const rs = `${name}-${hash}`;
  return {
    rs,
    w: {
      ownerKind: 'ReplicaSet',
      namespace: 'kube-system',
      generateName: `${rs}-`,
      labels: deepFreeze({ ...labels, 'pod-template-hash': hash }),
      ownerReferences: deepFreeze([ownerRef('apps/v1', 'ReplicaSet', rs, randomUid(ctx.random))]),
      spec,
      manager: 'kube-controller-manager',
      ...workloadTimes(ctx, rolloutTime(ctx, 60 * DAY)),
      hostNetwork: false,
    },
  };
}

function daemonSet(ctx: BuildContext, name: string, labels: Record<string, string>, spec: Json): Workload {
  return {
    ownerKind: 'DaemonSet',
    namespace: 'kube-system',
    generateName: `${name}-`,
    labels: deepFreeze({
      ...labels,
      'controller-revision-hash': randomSuffix(ctx.random, 10),
      'pod-template-generation': '1',
    }),
    ownerReferences: deepFreeze([ownerRef('apps/v1', 'DaemonSet', name, randomUid(ctx.random))]),
    spec,
    manager: 'kube-controller-manager',
    ...workloadTimes(ctx, rolloutTime(ctx, 60 * DAY)),
    hostNetwork: true,
  };
}

function daemonAffinity(node: NodeSlot): Json {
  node.daemonAffinity ??= deepFreeze({
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node.name] }] }],
      },
    },
  });
  return node.daemonAffinity;
}

/** kube-system's pods, in priority order, at most `budget` of them. */
function buildSystemPods(ctx: BuildContext, budget: number, clusterBorn: number): number {
  const { random } = ctx;
  const before = ctx.pods.length;
  const room = () => ctx.pods.length - before < budget;
  for (const node of ctx.nodes.filter((n) => n.controlPlane)) {
    for (const w of staticPods(ctx, node, clusterBorn)) {
      if (!room()) return ctx.pods.length - before;
      makePod(ctx, w, `${w.labels.component}-${node.name}`, node, 'running');
    }
  }
  const access = apiAccess(random);
  const critical = [
    { key: 'CriticalAddonsOnly', operator: 'Exists' },
    { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
    ...DEFAULT_TOLERATIONS,
  ];
  const coredns = systemDeployment(
    ctx,
    'coredns',
    { 'k8s-app': 'kube-dns' },
    podSpecOf({
      volumes: [
        {
          name: 'config-volume',
          configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }], defaultMode: 420 },
        },
        access.volume,
      ],
      containers: [
        container({
          name: 'coredns',
          image: 'registry.k8s.io/coredns/coredns:v1.11.3',
          args: ['-conf', '/etc/coredns/Corefile'],
          ports: [
            { name: 'dns', containerPort: 53, protocol: 'UDP' },
            { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
          ],
          resources: resources(['100m', '70Mi'], [undefined, '170Mi']),
          volumeMounts: [{ name: 'config-volume', readOnly: true, mountPath: '/etc/coredns' }, access.mount],
          livenessProbe: httpProbe('/health', 8080, {
            initialDelaySeconds: 60,
            timeoutSeconds: 5,
            failureThreshold: 5,
          }),
          readinessProbe: httpProbe('/ready', 8181),
          securityContext: {
            capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
          },
        }),
      ],
      dnsPolicy: 'Default',
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      serviceAccountName: 'coredns',
      tolerations: critical,
      priorityClassName: 'system-cluster-critical',
      priority: 2000000000,
    }),
  );
  for (let i = 0; i < 2 && room(); i++) {
    makePod(
      ctx,
      coredns.w,
      uniqueName(ctx, 'kube-system', () => `${coredns.rs}-${randomSuffix(random)}`),
      pickWorker(ctx),
      'running',
    );
  }
  const metrics = systemDeployment(
    ctx,
    'metrics-server',
    { 'k8s-app': 'metrics-server' },
    podSpecOf({
      volumes: [{ name: 'tmp-dir', emptyDir: EMPTY_OBJECT }, access.volume],
      containers: [
        container({
          name: 'metrics-server',
          image: 'registry.k8s.io/metrics-server/metrics-server:v0.7.2',
          args: [
            '--cert-dir=/tmp',
            '--secure-port=10250',
            '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
            '--kubelet-use-node-status-port',
            '--metric-resolution=15s',
          ],
          ports: [{ name: 'https', containerPort: 10250, protocol: 'TCP' }],
          resources: resources(['100m', '200Mi']),
          volumeMounts: [{ name: 'tmp-dir', mountPath: '/tmp' }, access.mount],
          livenessProbe: httpProbe('/livez', 'https', { periodSeconds: 10 }),
          readinessProbe: httpProbe('/readyz', 'https', { initialDelaySeconds: 20 }),
          securityContext: CONTAINER_SECURITY,
        }),
      ],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      serviceAccountName: 'metrics-server',
      priorityClassName: 'system-cluster-critical',
      priority: 2000000000,
    }),
  );
  if (room())
    makePod(
      ctx,
      metrics.w,
      uniqueName(ctx, 'kube-system', () => `${metrics.rs}-${randomSuffix(random)}`),
      pickWorker(ctx),
      'running',
    );

  const proxy = daemonSet(
    ctx,
    'kube-proxy',
    { 'k8s-app': 'kube-proxy' },
    podSpecOf({
      volumes: [
        { name: 'kube-proxy', configMap: { name: 'kube-proxy', defaultMode: 420 } },
        { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
        { name: 'lib-modules', hostPath: { path: '/lib/modules', type: '' } },
        access.volume,
      ],
      containers: [
        container({
          name: 'kube-proxy',
          image: 'registry.k8s.io/kube-proxy:v1.31.4',
          command: [
            '/usr/local/bin/kube-proxy',
            '--config=/var/lib/kube-proxy/config.conf',
            '--hostname-override=$(NODE_NAME)',
          ],
          env: [ENV_NODE_NAME],
          volumeMounts: [
            { name: 'kube-proxy', mountPath: '/var/lib/kube-proxy' },
            { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
            { name: 'lib-modules', readOnly: true, mountPath: '/lib/modules' },
            access.mount,
          ],
          securityContext: { privileged: true },
        }),
      ],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      serviceAccountName: 'kube-proxy',
      hostNetwork: true,
      tolerations: DAEMON_TOLERATIONS,
      priorityClassName: 'system-node-critical',
      priority: 2000001000,
    }),
  );
  const bpf = { name: 'bpf-maps', hostPath: { path: '/sys/fs/bpf', type: 'DirectoryOrCreate' } };
  const cilium = daemonSet(
    ctx,
    'cilium',
    { 'k8s-app': 'cilium', 'app.kubernetes.io/name': 'cilium-agent', 'app.kubernetes.io/part-of': 'cilium' },
    podSpecOf({
      volumes: [
        { name: 'tmp', emptyDir: EMPTY_OBJECT },
        { name: 'cilium-run', hostPath: { path: '/var/run/cilium', type: 'DirectoryOrCreate' } },
        bpf,
        { name: 'cni-path', hostPath: { path: '/opt/cni/bin', type: 'DirectoryOrCreate' } },
        { name: 'etc-cni-netd', hostPath: { path: '/etc/cni/net.d', type: 'DirectoryOrCreate' } },
        { name: 'lib-modules', hostPath: { path: '/lib/modules', type: '' } },
        access.volume,
      ],
      initContainers: [
        container({
          name: 'config',
          image: 'quay.io/cilium/cilium:v1.16.4',
          command: ['cilium-dbg', 'build-config'],
          env: [ENV_NODE_NAME, ENV_POD_NAMESPACE],
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, access.mount],
        }),
        container({
          name: 'mount-bpf-fs',
          image: 'quay.io/cilium/cilium:v1.16.4',
          command: ['/bin/bash', '-c', '--'],
          args: ['mount | grep "/sys/fs/bpf type bpf" || mount -t bpf bpf /sys/fs/bpf'],
          volumeMounts: [{ name: 'bpf-maps', mountPath: '/sys/fs/bpf' }],
          securityContext: { privileged: true },
        }),
        container({
          name: 'clean-cilium-state',
          image: 'quay.io/cilium/cilium:v1.16.4',
          command: ['/init-container.sh'],
          resources: resources(['100m', '100Mi']),
          volumeMounts: [
            { name: 'bpf-maps', mountPath: '/sys/fs/bpf' },
            { name: 'cilium-run', mountPath: '/var/run/cilium' },
          ],
        }),
        container({
          name: 'install-cni-binaries',
          image: 'quay.io/cilium/cilium:v1.16.4',
          command: ['/install-plugin.sh'],
          resources: resources(['100m', '10Mi']),
          volumeMounts: [{ name: 'cni-path', mountPath: '/host/opt/cni/bin' }],
        }),
      ],
      containers: [
        container({
          name: 'cilium-agent',
          image: 'quay.io/cilium/cilium:v1.16.4',
          command: ['cilium-agent'],
          args: ['--config-dir=/tmp/cilium/config-map'],
          env: [
            ENV_NODE_NAME,
            ENV_POD_NAMESPACE,
            { name: 'CILIUM_CLUSTERMESH_CONFIG', value: '/var/lib/cilium/clustermesh/' },
            {
              name: 'GOMEMLIMIT',
              valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1' } },
            },
          ],
          resources: resources(['100m', '128Mi']),
          volumeMounts: [
            { name: 'bpf-maps', mountPath: '/sys/fs/bpf' },
            { name: 'cilium-run', mountPath: '/var/run/cilium' },
            { name: 'etc-cni-netd', mountPath: '/host/etc/cni/net.d' },
            { name: 'lib-modules', readOnly: true, mountPath: '/lib/modules' },
            access.mount,
          ],
          livenessProbe: httpProbe('/healthz', 9879, {
            periodSeconds: 30,
            timeoutSeconds: 5,
            failureThreshold: 10,
          }),
          readinessProbe: httpProbe('/healthz', 9879, { periodSeconds: 30, timeoutSeconds: 5 }),
          startupProbe: httpProbe('/healthz', 9879, { periodSeconds: 2, failureThreshold: 105 }),
          securityContext: { privileged: true },
        }),
      ],
      terminationGracePeriodSeconds: 1,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      serviceAccountName: 'cilium',
      hostNetwork: true,
      tolerations: [{ operator: 'Exists' }],
      priorityClassName: 'system-node-critical',
      priority: 2000001000,
    }),
  );
  for (const ds of [proxy, cilium]) {
    for (const node of ctx.nodes) {
      if (!room()) return ctx.pods.length - before;
      const name = uniqueName(ctx, 'kube-system', () => `${ds.generateName}${randomSuffix(random)}`);
      const crash = random() < 0.01;
      makePod(ctx, ds, name, node, crash ? 'crashLoop' : 'running', {
        spec: { ...ds.spec, affinity: daemonAffinity(node) },
        restartCount: crash ? 7 + randomInt(random, 50) : undefined,
      });
    }
  }
  return ctx.pods.length - before;
}

// ---------------------------------------------------------------------------------------
// Jobs

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

/** The labels the API server puts on a job's pod template and the job controller on its pods. */
export function jobPodLabels(jobName: string, jobUid: string): Record<string, string> {
  return {
    'batch.kubernetes.io/controller-uid': jobUid,
    'batch.kubernetes.io/job-name': jobName,
    'controller-uid': jobUid,
    'job-name': jobName,
  };
}

export function jobCondition(
  type: string,
  status: string,
  time: string,
  reason?: string,
  message?: string,
): Json {
  const c: Json = { type, status, lastProbeTime: time, lastTransitionTime: time };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** The conditions the job controller (v1.31) sets when a job finishes. */
export function jobFinishedConditions(outcome: 'Complete' | 'Failed', time: string): Json[] {
  if (outcome === 'Complete') {
    const message = 'Reached expected number of succeeded pods';
    return [
      jobCondition('SuccessCriteriaMet', 'True', time, 'CompletionsReached', message),
      jobCondition('Complete', 'True', time, 'CompletionsReached', message),
    ];
  }
  const message = 'Job has reached the specified backoff limit';
  return [
    jobCondition('FailureTarget', 'True', time, 'BackoffLimitExceeded', message),
    jobCondition('Failed', 'True', time, 'BackoffLimitExceeded', message),
  ];
}

/** A Job as `kubectl create` would send it: the controller and the API server fill in the rest. */
export function jobManifest(random: RandomFn, namespace: string, name: string): KubeObject {
  const kind = pick(random, JOB_KINDS);
  const completions = 1 + randomInt(random, 4);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': kind.name } },
    spec: {
      parallelism: Math.min(completions, 1 + randomInt(random, 2)),
      completions,
      backoffLimit: 2 + randomInt(random, 3),
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': kind.name } },
        spec: {
          containers: [{ name: kind.name, image: kind.image, command: [...kind.command] }],
          restartPolicy: 'Never',
        },
      },
    },
  };
}

type JobOutcome = 'complete' | 'failed' | 'running' | 'suspended';

interface JobPlan {
  outcome: JobOutcome;
  kind: (typeof JOB_KINDS)[number];
  completions: number;
  parallelism: number;
  backoffLimit: number;
  succeeded: number;
  failed: number;
  active: number;
  /** Pods actually given to the job within the pod budget. */
  pods: { succeeded: number; failed: number; active: number };
}

function planJob(random: RandomFn): JobPlan {
  const r = random();
  const outcome: JobOutcome = r < 0.7 ? 'complete' : r < 0.8 ? 'failed' : r < 0.95 ? 'running' : 'suspended';
  const completions = 1 + randomInt(random, 5);
  const parallelism = Math.min(completions, 1 + randomInt(random, 3));
  const kind = pick(random, JOB_KINDS);
  let backoffLimit = random() < 0.6 ? 6 : randomInt(random, 4);
  let succeeded = 0;
  let failed = 0;
  let active = 0;
  if (outcome === 'complete') {
    succeeded = completions;
    failed = random() < 0.15 ? 1 : 0;
    if (failed > backoffLimit) backoffLimit = failed;
  } else if (outcome === 'failed') {
    backoffLimit = randomInt(random, 3);
    failed = backoffLimit + 1;
    succeeded = randomInt(random, completions);
  } else if (outcome === 'running') {
    succeeded = randomInt(random, completions);
    active = Math.min(parallelism, completions - succeeded);
    failed = random() < 0.2 ? 1 : 0;
    if (failed > backoffLimit) backoffLimit = failed;
  }
  return {
    outcome,
    kind,
    completions,
    parallelism,
    backoffLimit,
    succeeded,
    failed,
    active,
    pods: { succeeded: 0, failed: 0, active: 0 },
  };
}

/** Gives pods to jobs within the budget: running jobs' active pods first, then finished pods. */
function allocateJobPods(plans: JobPlan[], budget: number): number {
  let left = budget;
  for (const p of plans) {
    const n = Math.min(left, p.active);
    p.pods.active = n;
    left -= n;
  }
  for (const p of plans) {
    const s = Math.min(left, p.succeeded);
    left -= s;
    const f = Math.min(left, p.failed);
    left -= f;
    p.pods.succeeded = s;
    p.pods.failed = f;
  }
  return budget - left;
}

function buildJob(ctx: BuildContext, plan: JobPlan, namespace: string, jobNames: Set<string>): KubeObject {
  const { random } = ctx;
  const { kind } = plan;
  const cron = random() < 0.4;
  const created =
    plan.outcome === 'running'
      ? ctx.nowMs - MINUTE - randomInt(random, 30 * MINUTE)
      : ctx.nowMs - HOUR - randomInt(random, 7 * DAY);
  // A CronJob names its jobs after the scheduled minute; a person runs `kubectl create job`.
  let scheduledMinute = Math.floor(created / MINUTE);
  let name: string;
  do {
    name = cron ? `${kind.name}-${scheduledMinute--}` : `${kind.name}-${randomSuffix(random)}`;
  } while (jobNames.has(`${namespace}/${name}`));
  jobNames.add(`${namespace}/${name}`);
  const uid = randomUid(random);
  const labels = jobPodLabels(name, uid);
  const templateLabels = { 'app.kubernetes.io/name': kind.name, ...labels };
  const templateSpec = {
    containers: [
      container({
        name: kind.name,
        image: kind.image,
        command: kind.command,
        resources: resources(['100m', '128Mi'], [undefined, '512Mi']),
      }),
    ],
    restartPolicy: random() < 0.8 ? 'Never' : 'OnFailure',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    securityContext: EMPTY_OBJECT,
    schedulerName: 'default-scheduler',
  };
  const startMs = created + SECOND;
  const podSeconds = 20 + randomInt(random, 600);
  const waves = Math.ceil(plan.completions / plan.parallelism) + plan.failed;
  const finishMs = Math.min(ctx.nowMs - MINUTE, startMs + waves * (podSeconds + 5) * SECOND);
  const startIso = isoTime(startMs);
  const finishIso = isoTime(finishMs);

  const spec: Json = {
    parallelism: plan.parallelism,
    completions: plan.completions,
    backoffLimit: plan.backoffLimit,
    selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
    manualSelector: false,
    template: { metadata: { creationTimestamp: null, labels: templateLabels }, spec: templateSpec },
  };
  if (cron || random() < 0.3) spec.ttlSecondsAfterFinished = 86_400;
  spec.completionMode = 'NonIndexed';
  spec.suspend = plan.outcome === 'suspended';
  spec.podReplacementPolicy = 'TerminatingOrFailed';

  const activeRunning = Array.from({ length: plan.pods.active }, () => random() < 0.75);
  const status: Json = {};
  if (plan.outcome === 'complete') status.conditions = jobFinishedConditions('Complete', finishIso);
  if (plan.outcome === 'failed') status.conditions = jobFinishedConditions('Failed', finishIso);
  if (plan.outcome === 'suspended') {
    status.conditions = [
      jobCondition('Suspended', 'True', isoTime(created), 'JobSuspended', 'Job suspended'),
    ];
  } else {
    status.startTime = startIso;
  }
  if (plan.outcome === 'complete') status.completionTime = finishIso;
  if (plan.pods.active > 0) status.active = plan.pods.active;
  if (plan.succeeded > 0) status.succeeded = plan.succeeded;
  if (plan.failed > 0) status.failed = plan.failed;
  status.terminating = 0;
  status.uncountedTerminatedPods = EMPTY_OBJECT;
  status.ready = activeRunning.filter(Boolean).length;

  const metadata: Json = { name, namespace, uid, creationTimestamp: isoTime(created), generation: 1 };
  metadata.labels = { 'app.kubernetes.io/name': kind.name };
  if (cron) {
    const cronName = kind.name;
    metadata.ownerReferences = [ownerRef('batch/v1', 'CronJob', cronName, randomUid(random))];
    metadata.annotations = {
      'batch.kubernetes.io/cronjob-scheduled-timestamp': isoTime((scheduledMinute + 1) * MINUTE),
    };
  }
  const sent: Json = { ...spec, selector: undefined, manualSelector: undefined };
  const metaSent: Json = {
    labels: metadata.labels,
    annotations: metadata.annotations,
    ownerReferences: metadata.ownerReferences,
  };
  metadata.managedFields = [
    managedEntry(cron ? 'kube-controller-manager' : 'kubectl-create', isoTime(created), {
      'f:metadata': fieldsOf(metaSent, false),
      'f:spec': fieldsOf(sent, false),
    }),
    managedEntry('kube-controller-manager', finishIso, { 'f:status': fieldsOf(status, false) }, 'status'),
  ];
  const job: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: metadata as unknown as KubeObject['metadata'],
    spec,
    status,
  };

  const total = plan.pods.succeeded + plan.pods.failed + plan.pods.active;
  if (total > 0) {
    const w: Workload = {
      ownerKind: 'Job',
      namespace,
      generateName: `${name}-`,
      labels: deepFreeze({ ...templateLabels }),
      ownerReferences: deepFreeze([ownerRef('batch/v1', 'Job', name, uid)]),
      spec: deepFreeze(admitPodSpec(templateSpec, random)),
      manager: 'kube-controller-manager',
      created: startIso,
      started: isoTime(startMs + 2 * SECOND),
      ready: isoTime(startMs + 5 * SECOND),
      hostNetwork: false,
    };
    const finalizers = deepFreeze([JOB_TRACKING_FINALIZER]);
    let slot = 0;
    const timed = (state: PodState) => {
      const begin = startMs + slot * (podSeconds + 5) * SECOND;
      slot += 1;
      const end = Math.min(finishMs, begin + podSeconds * SECOND);
      const podName = uniqueName(ctx, namespace, () => `${name}-${randomSuffix(random)}`);
      makePod(ctx, w, podName, pickWorker(ctx), state, {
        created: isoTime(begin),
        started: isoTime(begin + SECOND),
        ready: isoTime(Math.max(begin + SECOND, end)),
      });
    };
    for (let i = 0; i < plan.pods.failed; i++) timed('failed');
    for (let i = 0; i < plan.pods.succeeded; i++) timed('succeeded');
    for (const running of activeRunning) {
      const podName = uniqueName(ctx, namespace, () => `${name}-${randomSuffix(random)}`);
      const begin = Math.max(startMs, ctx.nowMs - 30 * SECOND - randomInt(random, 5 * MINUTE));
      makePod(ctx, w, podName, pickWorker(ctx), running ? 'running' : 'creating', {
        finalizers,
        created: isoTime(begin),
        started: isoTime(begin + SECOND),
        ready: isoTime(begin + 4 * SECOND),
      });
    }
  }
  return job;
}

// ---------------------------------------------------------------------------------------
// Namespaces

/**
 * Namespaces with skewed sizes (a few big teams, many small ones); a workload goes to a
 * namespace drawn by weight that still has room, and a new namespace is opened when none
 * has, so no namespace exceeds the cap.
 */
class NamespacePool {
  readonly names: string[] = [];
  readonly teams: string[] = [];
  private readonly left: number[] = [];
  private readonly cumulative: number[] = [];
  private total = 0;
  private readonly combos: [string, string][];
  private next = 0;

  constructor(
    private readonly random: RandomFn,
    private readonly cap: number,
    generated: number,
  ) {
    this.combos = TEAMS.flatMap((t) => ENVIRONMENTS.map((e): [string, string] => [t, e]));
    for (let i = this.combos.length - 1; i > 0; i--) {
      const j = randomInt(random, i + 1);
      [this.combos[i], this.combos[j]] = [this.combos[j], this.combos[i]];
    }
    this.add('default', pick(random, TEAMS), 0.3);
    for (let i = 0; i < generated; i++) this.addGenerated();
  }

  private add(name: string, team: string, weight: number): number {
    this.names.push(name);
    this.teams.push(team);
    this.left.push(this.cap);
    this.total += weight;
    this.cumulative.push(this.total);
    return this.names.length - 1;
  }

  private addGenerated(): number {
    const [team, env] = this.combos[this.next % this.combos.length];
    const round = Math.floor(this.next / this.combos.length);
    this.next += 1;
    const name = round === 0 ? `${team}-${env}` : `${team}-${env}-${round + 1}`;
    const weight = 1 / (1 + this.names.length) ** 0.6;
    return this.add(name, team, weight);
  }

  /** A namespace index with room for `size` more pods (opening a namespace if needed). */
  place(size: number): number {
    const r = this.random() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid] <= r) lo = mid + 1;
      else hi = mid;
    }
    for (let k = 0; k < this.names.length; k++) {
      const i = (lo + k) % this.names.length;
      if (this.left[i] >= size) {
        this.left[i] -= size;
        return i;
      }
    }
    const i = this.addGenerated();
    this.left[i] -= size;
    return i;
  }
}

function namespaceObject(name: string, team: string | undefined, created: string): KubeObject {
  const labels: Record<string, string> = { 'kubernetes.io/metadata.name': name };
  if (team) {
    labels['acme.io/team'] = team;
    labels['acme.io/environment'] = name.split('-')[1] ?? 'prod';
    labels['pod-security.kubernetes.io/enforce'] = 'baseline';
  }
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: undefined,
      creationTimestamp: created,
      labels,
      managedFields: [
        managedEntry(team ? 'kubectl-create' : 'kube-apiserver', created, {
          'f:metadata': fieldsOf({ labels }, false),
        }),
      ],
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

// ---------------------------------------------------------------------------------------
// Events

const MAX_EVENTS = 1000;

function buildEvents(random: RandomFn, pods: KubeObject[], nowMs: number): KubeObject[] {
  const events: KubeObject[] = [];
  if (pods.length === 0) return events;
  const stride = Math.max(1, Math.floor(pods.length / 240));
  for (let i = 0; i < pods.length && events.length < MAX_EVENTS - 6; i += stride) {
    const pod = pods[i];
    const meta = pod.metadata;
    const spec = pod.spec as Json;
    const status = pod.status as Json;
    const c = (spec.containers as Json[])[0];
    const node = spec.nodeName as string | undefined;
    const createdMs = Date.parse(meta.creationTimestamp!);
    const involved = (fieldPath?: string): Json => {
      const o: Json = {
        kind: 'Pod',
        namespace: meta.namespace,
        name: meta.name,
        uid: meta.uid,
        apiVersion: 'v1',
        resourceVersion: meta.resourceVersion,
      };
      if (fieldPath) o.fieldPath = fieldPath;
      return o;
    };
    const base = (
      reason: string,
      message: string,
      atMs: number,
      type = 'Normal',
      count = 1,
      fieldPath?: string,
    ): KubeObject => {
      const at = isoTime(atMs);
      return {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${meta.name}.${randomHex(random, 16)}`,
          namespace: meta.namespace,
          uid: randomUid(random),
          creationTimestamp: at,
        },
        involvedObject: involved(fieldPath),
        reason,
        message,
        source: { component: 'kubelet', host: node },
        firstTimestamp: at,
        lastTimestamp: count > 1 ? isoTime(Math.max(atMs, nowMs - randomInt(random, 5 * MINUTE))) : at,
        count,
        type,
        eventTime: null,
        reportingComponent: 'kubelet',
        reportingInstance: node,
      };
    };
    if (!node) {
      const conditions = (status.conditions as Json[]) ?? [];
      events.push({
        ...base(
          'FailedScheduling',
          String(conditions[0]?.message ?? 'no nodes available'),
          createdMs,
          'Warning',
        ),
        source: { component: 'default-scheduler' },
        reportingComponent: 'default-scheduler',
        reportingInstance: 'default-scheduler',
      });
      continue;
    }
    const scheduled = base(
      'Scheduled',
      `Successfully assigned ${meta.namespace}/${meta.name} to ${node}`,
      createdMs,
    );
    events.push({
      ...scheduled,
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      count: undefined,
      eventTime: microTime(createdMs, random),
      action: 'Binding',
      reportingComponent: 'default-scheduler',
      reportingInstance: `default-scheduler-${node}`,
    });
    const path = `spec.containers{${c.name}}`;
    const waiting = ((status.containerStatuses as Json[] | undefined)?.[0]?.state as Json | undefined)
      ?.waiting as Json | undefined;
    if (waiting?.reason === 'ImagePullBackOff') {
      events.push(base('Pulling', `Pulling image "${c.image}"`, createdMs + SECOND, 'Normal', 12, path));
      events.push(
        base(
          'Failed',
          `Failed to pull image "${c.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": not found`,
          createdMs + 2 * SECOND,
          'Warning',
          12,
          path,
        ),
      );
      events.push(
        base('BackOff', `Back-off pulling image "${c.image}"`, createdMs + 3 * SECOND, 'Normal', 40, path),
      );
      continue;
    }
    if (waiting?.reason === 'ContainerCreating' || waiting?.reason === 'PodInitializing') continue;
    events.push(
      base(
        'Pulled',
        `Container image "${c.image}" already present on machine`,
        createdMs + SECOND,
        'Normal',
        1,
        path,
      ),
    );
    events.push(base('Created', `Created container ${c.name}`, createdMs + SECOND, 'Normal', 1, path));
    events.push(base('Started', `Started container ${c.name}`, createdMs + 2 * SECOND, 'Normal', 1, path));
    if (waiting?.reason === 'CrashLoopBackOff') {
      events.push(
        base(
          'BackOff',
          `Back-off restarting failed container ${c.name} in pod ${meta.name}_${meta.namespace}(${meta.uid})`,
          createdMs + MINUTE,
          'Warning',
          20 + randomInt(random, 500),
          path,
        ),
      );
    }
  }
  for (const e of events) {
    for (const key of Object.keys(e)) if (e[key] === undefined) delete e[key];
  }
  return events;
}

// ---------------------------------------------------------------------------------------
// The scenario

function createSorted(
  store: SimStore,
  resource: ResourceName,
  entries: { key: string; obj: KubeObject }[],
): KubeObject[] {
  // The store keeps keys sorted by binary insertion; creating in key order appends.
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return entries.map((e) => store.create(resource, e.obj));
}

function checkCount(name: string, value: unknown, min = 0): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`scenario option ${name} must be an integer >= ${min}, received ${String(value)}`);
  }
}

/**
 * Fills an empty store with a deterministic cluster: the same options (seed and `now`
 * included) give the same objects, names, uids and timestamps.
 */
export function buildScenario(store: SimStore, opts: ScenarioOptions): ScenarioSummary {
  checkCount('seed', opts.seed);
  checkCount('nodes', opts.nodes);
  checkCount('pods', opts.pods);
  checkCount('jobs', opts.jobs);
  checkCount('namespaces', opts.namespaces);
  const cap = opts.maxPodsPerNamespace ?? Number.POSITIVE_INFINITY;
  if (!(cap >= 1)) throw new RangeError(`scenario option maxPodsPerNamespace must be >= 1, received ${cap}`);

  const random = mulberry32(opts.seed);
  const nowMs = Math.floor((opts.now ?? new Date()).getTime() / SECOND) * SECOND;
  const clusterBorn = nowMs - 200 * DAY;
  spillIP = 0;

  const { slots, objects: nodeObjects } = buildNodes(random, opts.nodes, nowMs, clusterBorn);
  const ctx: BuildContext = {
    random,
    memo: new StatusMemo(),
    nowMs,
    nodes: slots,
    workerTargets: slots.filter((n) => n.workerTarget),
    pods: [],
    keys: new Set(),
  };

  // kube-system: control plane, DNS, metrics, per-node daemons, within 10% of the pods.
  const systemBudget = Math.min(
    cap,
    opts.pods,
    Math.max(Math.min(opts.pods, 4), Math.floor(opts.pods * 0.1)),
  );
  const systemPods = buildSystemPods(ctx, systemBudget, clusterBorn);

  // Jobs first, so that they get their pods (at most half of what is left).
  const pool = new NamespacePool(random, cap, opts.namespaces);
  const plans = Array.from({ length: opts.jobs }, () => planJob(random));
  const desired = plans.reduce((n, p) => n + p.succeeded + p.failed + p.active, 0);
  const jobPods = allocateJobPods(plans, Math.min(desired, Math.floor((opts.pods - systemPods) / 2)));
  const jobNames = new Set<string>();
  const jobs: { key: string; obj: KubeObject }[] = [];
  for (const plan of plans) {
    const size = plan.pods.active + plan.pods.succeeded + plan.pods.failed;
    const namespace = pool.names[pool.place(size)];
    const job = buildJob(ctx, plan, namespace, jobNames);
    jobs.push({ key: `${namespace}/${job.metadata.name}`, obj: job });
  }

  // Deployments and StatefulSets for the rest.
  let left = opts.pods - ctx.pods.length;
  const appNames = new Set<string>();
  while (left > 0) {
    const stateful = random() < 0.12;
    const r = random();
    let size = stateful
      ? 1 + randomInt(random, 5)
      : r < 0.45
        ? 1
        : r < 0.65
          ? 2
          : r < 0.8
            ? 3
            : r < 0.9
              ? 4 + randomInt(random, 3)
              : r < 0.97
                ? 7 + randomInt(random, 14)
                : 21 + randomInt(random, 80);
    size = Math.min(size, left, cap);
    const index = pool.place(size);
    const namespace = pool.names[index];
    const team = pool.teams[index];
    let name: string;
    do {
      name = stateful
        ? `${team}-${pick(random, STATEFUL_KINDS).name}`
        : `${pick(random, [team, team, pick(random, TEAMS)])}-${pick(random, COMPONENTS)}`;
      if (appNames.has(`${namespace}/${name}`)) name = `${name}-${randomSuffix(random, 3)}`;
    } while (appNames.has(`${namespace}/${name}`));
    appNames.add(`${namespace}/${name}`);
    if (stateful) statefulSet(ctx, namespace, team, name, size);
    else deployment(ctx, namespace, team, name, size);
    left -= size;
  }

  // Into the store: namespaces, nodes, pods (in key order), jobs, events.
  const nsCreated = isoTime(clusterBorn);
  const namespaces = ['kube-system', ...pool.names];
  for (const [i, name] of namespaces.entries()) {
    const generated = i >= 2;
    const created = generated ? isoTime(clusterBorn + DAY + randomInt(random, 100 * DAY)) : nsCreated;
    const ns = namespaceObject(name, generated ? pool.teams[i - 1] : undefined, created);
    ns.metadata.uid = randomUid(random);
    store.create('namespaces', ns);
  }
  for (const node of nodeObjects) store.create('nodes', node);
  const podStates = ctx.pods.map((p) => p.state);
  const created = createSorted(store, 'pods', ctx.pods);
  const podPhases: Record<PodPhase, number> = { Pending: 0, Running: 0, Succeeded: 0, Failed: 0 };
  for (const s of podStates) podPhases[PHASE_OF[s]] += 1;
  createSorted(store, 'jobs', jobs);
  const events = buildEvents(random, created, nowMs);
  createSorted(
    store,
    'events',
    events.map((e) => ({ key: `${e.metadata.namespace}/${e.metadata.name}`, obj: e })),
  );

  return {
    counts: {
      namespaces: namespaces.length,
      nodes: nodeObjects.length,
      pods: created.length,
      jobs: jobs.length,
      events: events.length,
    },
    namespaces,
    podPhases,
    jobPods,
  };
}
