/**
 * Server-side printing: the meta.k8s.io/v1 Table kube-apiserver 1.33 returns when a client sends
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (kubectl get does). Columns and cells follow
 * k8s.io/kubernetes/pkg/printers/internalversion/printers.go. Like the real server, every row carries
 * the -o wide cells too (priority 1 columns); kubectl hides them unless asked.
 */
import { formatRequirements, fromLabelSelector } from './label-selector.js';
import type { KubeObject, ObjectMeta, ResourceName } from './types.js';

export type TableCell = string | number;

export interface TableColumnDefinition {
  name: string;
  type: string;
  /** "name" marks the column kubectl treats as the object's name. */
  format: string;
  description: string;
  /** 0 = always shown, 1 = only with -o wide. */
  priority: number;
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
}

export interface TableRowCondition {
  type: 'Completed';
  status: 'True';
  reason: string;
  message: string;
}

export interface TableRow {
  cells: TableCell[];
  /** Set for pods that have finished, as the real server does. */
  conditions?: TableRowCondition[];
  /** Absent when includeObject=None. */
  object?: PartialObjectMetadata | KubeObject;
}

export interface TableObject {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** What each row's `object` holds; the server's default is Metadata. */
  includeObject?: IncludeObject;
  /** The clock ages are measured against. */
  now: Date;
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

// The descriptions are the API's field docs (some abridged): kubectl never shows them.
const NAME_DOC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DOC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';
const ADDRESSES_DOC =
  'List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses';

type Column = [name: string, description: string, priority?: number, type?: string];
const col = ([name, description, priority = 0, type = 'string']: Column): TableColumnDefinition => ({
  name,
  type,
  format: name === 'Name' ? 'name' : '',
  description,
  priority,
});

const COLUMNS: Record<ResourceName, TableColumnDefinition[]> = {
  pods: (
    [
      ['Name', NAME_DOC],
      ['Ready', 'The aggregate readiness state of this pod for accepting traffic.'],
      ['Status', 'The aggregate status of the containers in this pod.'],
      [
        'Restarts',
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      ],
      ['Age', AGE_DOC],
      [
        'IP',
        'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
        1,
      ],
      ['Node', 'NodeName indicates in which node this pod is scheduled.', 1],
      ['Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1],
      ['Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1],
    ] satisfies Column[]
  ).map(col),
  nodes: (
    [
      ['Name', NAME_DOC],
      ['Status', 'The status of the node'],
      ['Roles', 'The roles of the node'],
      ['Age', AGE_DOC],
      ['Version', 'Kubelet Version reported by the node.'],
      ['Internal-IP', ADDRESSES_DOC, 1],
      ['External-IP', ADDRESSES_DOC, 1],
      [
        'OS-Image',
        'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
        1,
      ],
      [
        'Kernel-Version',
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        1,
      ],
      [
        'Container-Runtime',
        'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
        1,
      ],
    ] satisfies Column[]
  ).map(col),
  jobs: (
    [
      ['Name', NAME_DOC],
      ['Status', 'Status of the job.'],
      ['Completions', 'The number of pods which reached phase Succeeded.'],
      ['Duration', 'Time required to complete the job.'],
      ['Age', AGE_DOC],
      ['Containers', 'Names of each container in the template.', 1],
      ['Images', 'Images referenced by each container in the template.', 1],
      ['Selector', 'A label query over pods that should match the pod count.', 1],
    ] satisfies Column[]
  ).map(col),
  namespaces: (
    [
      ['Name', NAME_DOC],
      ['Status', 'The status of the namespace'],
      ['Age', AGE_DOC],
    ] satisfies Column[]
  ).map(col),
  events: (
    [
      ['Last Seen', 'The time at which the most recent occurrence of this event was recorded.'],
      ['Type', 'Type of this event (Normal, Warning), new types could be added in the future'],
      [
        'Reason',
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ],
      ['Object', 'The object that this event is about.'],
      ['Subobject', 'If referring to a piece of an object instead of an entire object, the field path.', 1],
      ['Source', 'The component reporting this event. Should be a short machine understandable string.', 1],
      ['Message', 'A human-readable description of the status of this operation.'],
      [
        'First Seen',
        'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
        1,
      ],
      ['Count', 'The number of times this event has occurred.', 1],
      ['Name', NAME_DOC, 1],
    ] satisfies Column[]
  ).map(col),
  // printLease: NAME, HOLDER, AGE.
  leases: (
    [
      ['Name', NAME_DOC],
      ['Holder', 'holderIdentity contains the identity of the holder of a current lease.'],
      ['Age', AGE_DOC],
    ] satisfies Column[]
  ).map(col),
  // printDaemonSet.
  daemonsets: (
    [
      ['Name', NAME_DOC],
      [
        'Desired',
        'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
        0,
        'integer',
      ],
      [
        'Current',
        'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
        0,
        'integer',
      ],
      [
        'Ready',
        'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.',
        0,
        'integer',
      ],
      ['Up-to-date', 'The total number of nodes that are running updated daemon pod', 0, 'integer'],
      [
        'Available',
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
        0,
        'integer',
      ],
      [
        'Node Selector',
        'An object that describes the pod that will be created. The DaemonSet will create exactly one copy of this pod on every node that matches the template\'s node selector (or on every node if no node selector is specified). The only allowed template.spec.restartPolicy value is "Always". More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#pod-template',
      ],
      ['Age', AGE_DOC],
      ['Containers', 'Names of each container in the template.', 1],
      ['Images', 'Images referenced by each container in the template.', 1],
      [
        'Selector',
        "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
        1,
      ],
    ] satisfies Column[]
  ).map(col),
  // Roles have no printer: their storage uses the default table convertor, NAME and CREATED AT.
  roles: defaultColumns(),
  clusterroles: defaultColumns(),
  // printRoleBinding / printClusterRoleBinding: ROLE is Kind/name; -o wide adds the subjects.
  rolebindings: bindingColumns(
    'roleBinding',
    'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.',
  ),
  clusterrolebindings: bindingColumns(
    'clusterRoleBinding',
    'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.',
  ),
};

/** rest.NewDefaultTableConvertor: the name and the creation time as an RFC 3339 date. */
function defaultColumns(): TableColumnDefinition[] {
  return [col(['Name', NAME_DOC]), col(['Created At', AGE_DOC, 0, 'date'])];
}

function bindingColumns(kind: string, roleRefDoc: string): TableColumnDefinition[] {
  return (
    [
      ['Name', NAME_DOC],
      ['Role', roleRefDoc],
      ['Age', AGE_DOC],
      ['Users', `Users in the ${kind}`, 1],
      ['Groups', `Groups in the ${kind}`, 1],
      ['ServiceAccounts', `ServiceAccounts in the ${kind}`, 1],
    ] satisfies Column[]
  ).map(col);
}

/** Builds the Table for a list (or, with one object, a get or a watch event) of one resource. */
export function toTable(resource: ResourceName, objects: KubeObject[], opts: TableOptions): TableObject {
  const includeObject = opts.includeObject ?? 'Metadata';
  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: CELLS[resource](obj, opts.now) };
    if (resource === 'pods') {
      const phase = obj.status?.phase;
      if (phase === 'Succeeded')
        row.conditions = [completed('Succeeded', 'The pod has completed successfully.')];
      if (phase === 'Failed') row.conditions = [completed('Failed', 'The pod failed.')];
    }
    if (includeObject === 'Object') row.object = obj;
    if (includeObject === 'Metadata') row.object = partialObjectMetadata(obj);
    return row;
  });
  const metadata: TableObject['metadata'] = { resourceVersion: opts.resourceVersion };
  if (opts.continueToken) metadata.continue = opts.continueToken;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: COLUMNS[resource].map((c) => ({ ...c })),
    rows,
  };
}

const completed = (reason: string, message: string): TableRowCondition => ({
  type: 'Completed',
  status: 'True',
  reason,
  message,
});

/** What kubectl needs of each row (name, namespace for -A, labels for -L), without managedFields bulk. */
function partialObjectMetadata(obj: KubeObject): PartialObjectMetadata {
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
}

/**
 * Whether an Accept header asks for a meta.k8s.io/v1 Table in JSON. kubectl offers a Table first and a
 * plain list as fallback; we serve the Table whenever any acceptable range asks for it.
 */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [mediaType, ...rawParams] = range.split(';').map((s) => s.trim());
    if (mediaType.toLowerCase() !== 'application/json') return false;
    const params = new Map<string, string>();
    for (const p of rawParams) {
      const eq = p.indexOf('=');
      if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
    }
    if (params.has('q') && Number(params.get('q')) === 0) return false; // q=0 means "not acceptable"
    return params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io' && params.get('v') === 'v1';
  });
}

/** The `includeObject` query parameter; anything unrecognised falls back to the default, Metadata. */
export function includeObjectParam(query: URLSearchParams): IncludeObject {
  const value = query.get('includeObject');
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}

/**
 * k8s.io/apimachinery/pkg/util/duration.HumanDuration: two significant units while they matter
 * ("45s", "5m30s", "3h2m", "2d4h"), one when the number is large ("120d", "3y").
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  // Clocks a second apart are "now"; further in the future is a bug worth showing.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

/** Milliseconds since the epoch, or undefined for an absent or unparsable timestamp (Go's zero time). */
function time(ts: unknown): number | undefined {
  if (typeof ts !== 'string' || ts === '') return undefined;
  // MicroTime (eventTime, series.lastObservedTime) has six fraction digits; keep what Date can hold.
  const t = Date.parse(ts.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(t) ? undefined : t;
}

/** translateTimestampSince: the age of a timestamp, "<unknown>" when there is none. */
function since(ts: unknown, now: Date): string {
  const t = time(ts);
  return t === undefined ? '<unknown>' : humanDuration(now.getTime() - t);
}

// biome-ignore lint/suspicious/noExplicitAny: wire objects are open-ended JSON
type Json = any;

const CELLS: Record<ResourceName, (obj: KubeObject, now: Date) => TableCell[]> = {
  pods: podCells,
  nodes: nodeCells,
  jobs: jobCells,
  namespaces: (ns, now) => [
    ns.metadata.name,
    ns.status?.phase ?? '',
    since(ns.metadata.creationTimestamp, now),
  ],
  events: eventCells,
  daemonsets: daemonSetCells,
  leases: (lease, now) => [
    lease.metadata.name,
    lease.spec?.holderIdentity ?? '',
    since(lease.metadata.creationTimestamp, now),
  ],
  roles: defaultCells,
  clusterroles: defaultCells,
  rolebindings: bindingCells,
  clusterrolebindings: bindingCells,
};

/** The default table convertor's cells: the creation time in UTC, RFC 3339, Go's zero time when unset. */
function defaultCells(obj: KubeObject): TableCell[] {
  const t = time(obj.metadata.creationTimestamp);
  const created =
    t === undefined ? '0001-01-01T00:00:00Z' : new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
  return [obj.metadata.name, created];
}

/** printRoleBinding: rbac.SubjectsStrings splits the subjects (service accounts as namespace/name). */
function bindingCells(binding: KubeObject, now: Date): TableCell[] {
  const subjects: Json[] = (binding.subjects as Json[] | undefined) ?? [];
  const of = (kind: string) => subjects.filter((s) => s.kind === kind);
  const roleRef: Json = binding.roleRef ?? {};
  return [
    binding.metadata.name,
    `${roleRef.kind ?? ''}/${roleRef.name ?? ''}`,
    since(binding.metadata.creationTimestamp, now),
    of('User')
      .map((s) => s.name)
      .join(', '),
    of('Group')
      .map((s) => s.name)
      .join(', '),
    of('ServiceAccount')
      .map((s) => `${s.namespace ?? ''}/${s.name}`)
      .join(', '),
  ];
}

/** printPod: READY, STATUS and RESTARTS as kubectl users know them. */
function podCells(pod: KubeObject, now: Date): TableCell[] {
  const spec: Json = pod.spec ?? {};
  const status: Json = pod.status ?? {};
  const conditions: Json[] = status.conditions ?? [];
  const initSpecs = new Map<string, Json>((spec.initContainers ?? []).map((c: Json) => [c.name, c]));
  // Sidecars (init containers with restartPolicy Always) count as containers of the pod.
  const isSidecar = (name: string) => initSpecs.get(name)?.restartPolicy === 'Always';
  const initContainerCount = initSpecs.size;
  const total = (spec.containers ?? []).length + [...initSpecs.keys()].filter(isSidecar).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;
  const later = (a: number | undefined, b: number | undefined) =>
    b !== undefined && (a === undefined || b > a) ? b : a;

  let reason: string = status.reason || status.phase || '';
  if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated'))
    reason = 'SchedulingGated';

  let initializing = false;
  for (const [i, c] of ((status.initContainerStatuses ?? []) as Json[]).entries()) {
    const finished = time(c.lastState?.terminated?.finishedAt);
    restarts += c.restartCount ?? 0;
    lastRestart = later(lastRestart, finished);
    if (isSidecar(c.name)) {
      sidecarRestarts += c.restartCount ?? 0;
      lastSidecarRestart = later(lastSidecarRestart, finished);
    }
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (isSidecar(c.name) && c.started === true) {
      if (c.ready) ready++;
      continue;
    }
    if (terminated) {
      reason = terminated.reason
        ? `Init:${terminated.reason}`
        : terminated.signal
          ? `Init:Signal:${terminated.signal}`
          : `Init:ExitCode:${terminated.exitCode ?? 0}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initContainerCount}`;
    }
    initializing = true;
    break;
  }

  const initialized = conditions.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    // Backwards, so the first container's state is the one that shows.
    const statuses: Json[] = status.containerStatuses ?? [];
    for (const c of [...statuses].reverse()) {
      restarts += c.restartCount ?? 0;
      lastRestart = later(lastRestart, time(c.lastState?.terminated?.finishedAt));
      const terminated = c.state?.terminated;
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated)
        reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && status.phase !== 'Succeeded' && status.phase !== 'Failed') {
    reason = 'Terminating';
  }

  const restartCell =
    restarts !== 0 && lastRestart !== undefined
      ? `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)`
      : String(restarts);

  const gates: Json[] = spec.readinessGates ?? [];
  const gatesCell =
    gates.length === 0
      ? '<none>'
      : `${gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length}/${gates.length}`;
  return [
    pod.metadata.name,
    `${ready}/${total}`,
    reason,
    restartCell,
    since(pod.metadata.creationTimestamp, now),
    status.podIPs?.[0]?.ip || status.podIP || '<none>',
    spec.nodeName || '<none>',
    status.nominatedNodeName || '<none>',
    gatesCell,
  ];
}

/** printNode: the Ready condition, cordoning, roles from node-role.kubernetes.io/<role> labels. */
function nodeCells(node: KubeObject, now: Date): TableCell[] {
  const status: Json = node.status ?? {};
  const readyCondition = ((status.conditions ?? []) as Json[]).find((c) => c.type === 'Ready');
  const state = [readyCondition ? (readyCondition.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable === true) state.push('SchedulingDisabled');

  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/')) {
      const role = key.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (key === 'kubernetes.io/role' && value) {
      roles.add(value);
    }
  }
  const address = (type: string) =>
    ((status.addresses ?? []) as Json[]).find((a) => a.type === type)?.address ?? '<none>';
  const info: Json = status.nodeInfo ?? {};
  return [
    node.metadata.name,
    state.join(','),
    roles.size > 0 ? [...roles].sort().join(',') : '<none>',
    since(node.metadata.creationTimestamp, now),
    info.kubeletVersion ?? '',
    address('InternalIP'),
    address('ExternalIP'),
    info.osImage || '<unknown>',
    info.kernelVersion || '<unknown>',
    info.containerRuntimeVersion || '<unknown>',
  ];
}

/** printJob: the first true terminal condition wins, then deletion, then suspension. */
function jobCells(job: KubeObject, now: Date): TableCell[] {
  const spec: Json = job.spec ?? {};
  const status: Json = job.status ?? {};
  const succeeded = status.succeeded ?? 0;
  // hasJobCondition looks at the first condition of a type only.
  const has = (type: string) =>
    ((status.conditions ?? []) as Json[]).find((c) => c.type === type)?.status === 'True';

  let completions = `${succeeded}/1`;
  if (spec.completions != null) completions = `${succeeded}/${spec.completions}`;
  else if ((spec.parallelism ?? 0) > 1) completions = `${succeeded}/1 of ${spec.parallelism}`;

  const start = time(status.startTime);
  const end = time(status.completionTime);
  const duration =
    start === undefined ? '' : humanDuration((end === undefined ? now.getTime() : end) - start);

  let state = 'Running';
  if (has('Complete')) state = 'Complete';
  else if (has('Failed')) state = 'Failed';
  else if (job.metadata.deletionTimestamp) state = 'Terminating';
  else if (has('Suspended')) state = 'Suspended';
  else if (has('FailureTarget')) state = 'FailureTarget';
  else if (has('SuccessCriteriaMet')) state = 'SuccessCriteriaMet';

  const containers: Json[] = spec.template?.spec?.containers ?? [];
  return [
    job.metadata.name,
    state,
    completions,
    duration,
    since(job.metadata.creationTimestamp, now),
    containers.map((c) => c.name ?? '').join(','),
    containers.map((c) => c.image ?? '').join(','),
    formatSelector(spec.selector),
  ];
}

/** printDaemonSet: the status counts, the template's node selector (labels.FormatLabels), containers, images, selector. */
function daemonSetCells(ds: KubeObject, now: Date): TableCell[] {
  const spec: Json = ds.spec ?? {};
  const status: Json = ds.status ?? {};
  const nodeSelector = Object.entries((spec.template?.spec?.nodeSelector ?? {}) as Record<string, string>)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const containers: Json[] = spec.template?.spec?.containers ?? [];
  return [
    ds.metadata.name,
    status.desiredNumberScheduled ?? 0,
    status.currentNumberScheduled ?? 0,
    status.numberReady ?? 0,
    status.updatedNumberScheduled ?? 0,
    status.numberAvailable ?? 0,
    nodeSelector || '<none>',
    since(ds.metadata.creationTimestamp, now),
    containers.map((c) => c.name ?? '').join(','),
    containers.map((c) => c.image ?? '').join(','),
    formatSelector(spec.selector),
  ];
}

/** metav1.FormatLabelSelector: "<none>" for a missing or empty selector, "<error>" for an invalid one. */
function formatSelector(selector: Json): string {
  if (!selector) return '<none>';
  try {
    return formatRequirements(fromLabelSelector(selector)) || '<none>';
  } catch {
    return '<error>';
  }
}

/** printEvent: newer events (events.k8s.io) carry eventTime and series instead of timestamps and count. */
function eventCells(ev: KubeObject, now: Date): TableCell[] {
  const e: Json = ev;
  const involved: Json = e.involvedObject ?? {};
  const firstSeen =
    time(e.firstTimestamp) !== undefined ? since(e.firstTimestamp, now) : since(e.eventTime, now);
  let lastSeen = time(e.lastTimestamp) !== undefined ? since(e.lastTimestamp, now) : firstSeen;
  let count: number = e.count ?? 0;
  if (e.series) {
    lastSeen = since(e.series.lastObservedTime, now);
    count = e.series.count ?? 0;
  } else if (count === 0) {
    count = 1; // singleton events have no count in the new API
  }
  const kind = String(involved.kind ?? '').toLowerCase();
  const component = e.source?.component || e.reportingComponent || '';
  const instance = e.source?.host || e.reportingInstance || '';
  return [
    lastSeen,
    e.type ?? '',
    e.reason ?? '',
    involved.name ? `${kind}/${involved.name}` : kind,
    involved.fieldPath ?? '',
    instance ? `${component}, ${instance}` : component,
    String(e.message ?? '').trim(),
    firstSeen,
    count,
    ev.metadata.name,
  ];
}
