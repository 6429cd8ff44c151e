import { describe, expect, it } from 'vitest';
import {
  humanDuration,
  includeObjectParam,
  type TableObject,
  toTable,
  wantsTable,
} from '../../src/simulator/table.js';
import type { KubeObject, ResourceName } from '../../src/simulator/types.js';

const now = new Date('2025-06-01T12:00:00Z');
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
/** The RFC 3339 timestamp `ms` before now, at second precision like the API's. */
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const table = (
  resource: ResourceName,
  objects: KubeObject[],
  includeObject?: 'None' | 'Metadata' | 'Object',
) => toTable(resource, objects, { now, resourceVersion: '100', includeObject });
const cells = (resource: ResourceName, obj: KubeObject) => table(resource, [obj]).rows[0].cells;
/** One row as {column name: cell}, so assertions read like kubectl output. */
function row(resource: ResourceName, obj: KubeObject): Record<string, string | number> {
  const t = table(resource, [obj]);
  return Object.fromEntries(t.columnDefinitions.map((c, i) => [c.name, t.rows[0].cells[i]]));
}

// --- realistic objects -------------------------------------------------------------------------

function pod(
  overrides: { name?: string; spec?: object; status?: object; metadata?: object } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: overrides.name ?? 'web-7d9f8b6c5-x2x9k',
      namespace: 'shop',
      uid: '6f1c1a52-1111-4d7e-9a0c-1d2e3f4a5b6c',
      resourceVersion: '4242',
      creationTimestamp: ago(3 * H + 2 * M),
      labels: { app: 'web', 'pod-template-hash': '7d9f8b6c5' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8b6c5', uid: 'rs-1', controller: true },
      ],
      managedFields: [{ manager: 'kubelet', operation: 'Update', apiVersion: 'v1' }],
      ...overrides.metadata,
    },
    spec: {
      nodeName: 'node-a',
      restartPolicy: 'Always',
      containers: [
        { name: 'web', image: 'nginx:1.27' },
        { name: 'metrics', image: 'prom/statsd-exporter:v0.26.0' },
      ],
      ...overrides.spec,
    },
    status: {
      phase: 'Running',
      podIP: '10.244.1.7',
      podIPs: [{ ip: '10.244.1.7' }],
      hostIP: '192.168.0.11',
      startTime: ago(3 * H + 2 * M),
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
        { type: 'PodScheduled', status: 'True' },
      ],
      containerStatuses: [running('web', { restartCount: 0 }), running('metrics', { restartCount: 0 })],
      ...overrides.status,
    },
  };
}

function running(name: string, extra: object = {}) {
  return {
    name,
    ready: true,
    started: true,
    restartCount: 0,
    image: 'img',
    imageID: 'sha256:0',
    state: { running: { startedAt: ago(3 * H) } },
    ...extra,
  };
}

function nodeObj(
  overrides: { labels?: Record<string, string>; spec?: object; status?: object } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'node-a',
      uid: 'n-1',
      resourceVersion: '77',
      creationTimestamp: ago(120 * D + 5 * H),
      labels: overrides.labels ?? {
        'kubernetes.io/hostname': 'node-a',
        'node-role.kubernetes.io/control-plane': '',
        'node.kubernetes.io/exclude-from-external-load-balancers': '',
      },
    },
    spec: { podCIDR: '10.244.1.0/24', ...overrides.spec },
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure' },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID' },
        { type: 'Ready', status: 'True', reason: 'KubeletReady' },
      ],
      addresses: [
        { type: 'InternalIP', address: '192.168.0.11' },
        { type: 'Hostname', address: 'node-a' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.33.1',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.1.0-37-amd64',
        containerRuntimeVersion: 'containerd://1.7.27',
        architecture: 'amd64',
        operatingSystem: 'linux',
      },
      ...overrides.status,
    },
  };
}

function jobObj(overrides: { spec?: object; status?: object; metadata?: object } = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'nightly-report',
      namespace: 'jobs',
      uid: 'a1b2c3d4-0000-4000-8000-000000000001',
      creationTimestamp: ago(2 * D + 4 * H),
      ...overrides.metadata,
    },
    spec: {
      completions: 3,
      parallelism: 1,
      backoffLimit: 6,
      selector: {
        matchLabels: { 'batch.kubernetes.io/controller-uid': 'a1b2c3d4-0000-4000-8000-000000000001' },
      },
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [
            { name: 'report', image: 'ghcr.io/acme/report:2.1' },
            { name: 'uploader', image: 'amazon/aws-cli:2.17' },
          ],
        },
      },
      ...overrides.spec,
    },
    status: {
      startTime: ago(2 * D + 4 * H),
      completionTime: ago(2 * D + 4 * H - (5 * M + 30 * S)),
      succeeded: 3,
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True' },
        { type: 'Complete', status: 'True' },
      ],
      ...overrides.status,
    },
  };
}

function eventObj(extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-7d9f8b6c5-x2x9k.1843b2c1d0', namespace: 'shop', creationTimestamp: ago(10 * M) },
    involvedObject: {
      kind: 'Pod',
      namespace: 'shop',
      name: 'web-7d9f8b6c5-x2x9k',
      uid: '6f1c1a52-1111-4d7e-9a0c-1d2e3f4a5b6c',
      apiVersion: 'v1',
      resourceVersion: '4242',
      fieldPath: 'spec.containers{web}',
    },
    reason: 'BackOff',
    message: 'Back-off restarting failed container web in pod web-7d9f8b6c5-x2x9k_shop\n',
    source: { component: 'kubelet', host: 'node-a' },
    firstTimestamp: ago(10 * M),
    lastTimestamp: ago(45 * S),
    count: 12,
    type: 'Warning',
    eventTime: null,
    reportingComponent: 'kubelet',
    reportingInstance: 'node-a',
    ...extra,
  };
}

// --- tests -------------------------------------------------------------------------------------

describe('humanDuration', () => {
  it.each([
    [0, '0s'],
    [-1500, '0s'],
    [-2 * S, '<invalid>'],
    [45 * S, '45s'],
    [45 * S + 999, '45s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [5 * M + 30 * S, '5m30s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 2 * M, '3h2m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [2 * D + 4 * H, '2d4h'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D + 5 * H, '8d'],
    [120 * D + 5 * H, '120d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [2 * 365 * D + 30 * D, '2y30d'],
    [8 * 365 * D + 100 * D, '8y'],
  ])('formats %i ms as %s', (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected);
  });
});

describe('wantsTable', () => {
  it('recognises what kubectl sends', () => {
    expect(
      wantsTable(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
    ).toBe(true);
  });

  it('ignores parameter order, spaces and parameter-name case', () => {
    expect(wantsTable('application/json; g=meta.k8s.io; V=v1; as=Table')).toBe(true);
    expect(wantsTable('application/json, application/json;as=Table;v=v1;g=meta.k8s.io')).toBe(true);
  });

  it('refuses plain JSON, other versions, other encodings and q=0', () => {
    expect(wantsTable(undefined)).toBe(false);
    expect(wantsTable('')).toBe(false);
    expect(wantsTable('application/json')).toBe(false);
    expect(wantsTable('*/*')).toBe(false);
    expect(wantsTable('application/json;as=Table;v=v1beta1;g=meta.k8s.io')).toBe(false);
    expect(wantsTable('application/json;as=Table;v=v1')).toBe(false);
    expect(wantsTable('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io')).toBe(false);
    expect(wantsTable('application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io')).toBe(false);
    expect(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io;q=0')).toBe(false);
    expect(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io;q=0.5')).toBe(true);
  });
});

describe('includeObjectParam', () => {
  it('reads includeObject, defaulting to Metadata', () => {
    expect(includeObjectParam(new URLSearchParams(''))).toBe('Metadata');
    expect(includeObjectParam(new URLSearchParams('includeObject=None'))).toBe('None');
    expect(includeObjectParam(new URLSearchParams('includeObject=Object'))).toBe('Object');
    expect(includeObjectParam(new URLSearchParams('includeObject=Metadata'))).toBe('Metadata');
    expect(includeObjectParam(new URLSearchParams('includeObject=bogus'))).toBe('Metadata');
  });
});

describe('toTable: the Table envelope', () => {
  it('is a meta.k8s.io/v1 Table with the list resourceVersion and continue token', () => {
    const t = toTable('pods', [pod()], { now, resourceVersion: '123', continueToken: 'eyJydiI6MTIzfQ' });
    expect(t.kind).toBe('Table');
    expect(t.apiVersion).toBe('meta.k8s.io/v1');
    expect(t.metadata).toEqual({ resourceVersion: '123', continue: 'eyJydiI6MTIzfQ' });
    expect(toTable('pods', [], { now, resourceVersion: '7' }).metadata).toEqual({ resourceVersion: '7' });
  });

  it('returns no rows for no objects, but still the columns', () => {
    const t = table('nodes', []);
    expect(t.rows).toEqual([]);
    expect(t.columnDefinitions).toHaveLength(10);
  });

  it('embeds PartialObjectMetadata by default, without managedFields', () => {
    const p = pod();
    const object = table('pods', [p]).rows[0].object;
    expect(object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: {
        name: 'web-7d9f8b6c5-x2x9k',
        namespace: 'shop',
        uid: '6f1c1a52-1111-4d7e-9a0c-1d2e3f4a5b6c',
        resourceVersion: '4242',
        creationTimestamp: p.metadata.creationTimestamp,
        labels: { app: 'web', 'pod-template-hash': '7d9f8b6c5' },
        ownerReferences: p.metadata.ownerReferences,
      },
    });
    expect(p.metadata.managedFields).toHaveLength(1); // the stored object is not mutated
  });

  it('embeds the whole object with includeObject=Object and nothing with None', () => {
    const p = pod();
    expect(table('pods', [p], 'Object').rows[0].object).toBe(p);
    const none = table('pods', [p], 'None').rows[0];
    expect('object' in none).toBe(false);
    expect(JSON.parse(JSON.stringify(none))).toEqual({ cells: none.cells });
  });

  it('gives every row one cell per column, for every resource', () => {
    const cases: [ResourceName, KubeObject][] = [
      ['pods', pod()],
      ['nodes', nodeObj()],
      ['jobs', jobObj()],
      ['events', eventObj()],
      [
        'namespaces',
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' }, status: { phase: 'Active' } },
      ],
    ];
    for (const [resource, obj] of cases) {
      const t: TableObject = table(resource, [obj, obj]);
      expect(t.rows).toHaveLength(2);
      for (const r of t.rows) expect(r.cells).toHaveLength(t.columnDefinitions.length);
      for (const c of t.columnDefinitions)
        expect(Object.keys(c).sort()).toEqual(['description', 'format', 'name', 'priority', 'type']);
      expect(t.columnDefinitions.filter((c) => c.format === 'name').map((c) => c.name)).toEqual(['Name']);
    }
  });

  it('hands out column definitions the caller may change without affecting later tables', () => {
    table('pods', []).columnDefinitions[0].name = 'Changed';
    expect(table('pods', []).columnDefinitions[0].name).toBe('Name');
  });
});

describe('toTable: pods', () => {
  it('has the columns kube-apiserver 1.33 prints', () => {
    expect(table('pods', []).columnDefinitions.map((c) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ]);
  });

  it('prints a running pod', () => {
    expect(cells('pods', pod())).toEqual([
      'web-7d9f8b6c5-x2x9k',
      '2/2',
      'Running',
      '0',
      '3h2m',
      '10.244.1.7',
      'node-a',
      '<none>',
      '<none>',
    ]);
  });

  it('prints a pending, unscheduled pod', () => {
    const p = pod({
      spec: { nodeName: undefined },
      status: {
        phase: 'Pending',
        podIP: undefined,
        podIPs: undefined,
        containerStatuses: undefined,
        conditions: [],
      },
    });
    expect(row('pods', p)).toMatchObject({
      Ready: '0/2',
      Status: 'Pending',
      Restarts: '0',
      IP: '<none>',
      Node: '<none>',
    });
  });

  it('shows CrashLoopBackOff and restarts with the time of the last one', () => {
    const p = pod({
      status: {
        conditions: [
          { type: 'Initialized', status: 'True' },
          { type: 'Ready', status: 'False' },
        ],
        containerStatuses: [
          {
            name: 'web',
            ready: false,
            restartCount: 3,
            state: {
              waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' },
            },
            lastState: {
              terminated: { exitCode: 1, reason: 'Error', startedAt: ago(6 * M), finishedAt: ago(5 * M) },
            },
          },
          running('metrics', {
            restartCount: 1,
            lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: ago(2 * H) } },
          }),
        ],
      },
    });
    expect(row('pods', p)).toMatchObject({
      Ready: '1/2',
      Status: 'CrashLoopBackOff',
      Restarts: '4 (5m ago)',
    });
  });

  it('prints restarts without a time when no termination time is known', () => {
    const p = pod({
      status: { containerStatuses: [running('web', { restartCount: 2 }), running('metrics')] },
    });
    expect(row('pods', p).Restarts).toBe('2');
  });

  it('shows Completed for a finished pod, with the Completed row condition', () => {
    const terminated = (name: string) => ({
      name,
      ready: false,
      restartCount: 0,
      state: {
        terminated: { exitCode: 0, reason: 'Completed', startedAt: ago(20 * M), finishedAt: ago(19 * M) },
      },
    });
    const p = pod({
      status: {
        phase: 'Succeeded',
        conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted' }],
        containerStatuses: [terminated('web'), terminated('metrics')],
      },
    });
    const t = table('pods', [p]);
    expect(t.rows[0].cells.slice(1, 4)).toEqual(['0/2', 'Completed', '0']);
    expect(t.rows[0].conditions).toEqual([
      {
        type: 'Completed',
        status: 'True',
        reason: 'Succeeded',
        message: 'The pod has completed successfully.',
      },
    ]);
    expect(table('pods', [pod()]).rows[0].conditions).toBeUndefined();
  });

  it('shows Error and the Failed row condition for a failed pod', () => {
    const p = pod({
      status: {
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'web',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 2, reason: 'Error' } },
          },
        ],
      },
    });
    const t = table('pods', [p]);
    expect(t.rows[0].cells[2]).toBe('Error');
    expect(t.rows[0].conditions?.[0]).toMatchObject({ reason: 'Failed', message: 'The pod failed.' });
  });

  it('shows ExitCode or Signal when a terminated container has no reason', () => {
    const withState = (terminated: object) =>
      pod({
        status: {
          containerStatuses: [{ name: 'web', ready: false, restartCount: 0, state: { terminated } }],
        },
      });
    expect(row('pods', withState({ exitCode: 137 })).Status).toBe('ExitCode:137');
    expect(row('pods', withState({ exitCode: 143, signal: 15 })).Status).toBe('Signal:15');
  });

  it('shows the first container whose state has a reason', () => {
    const p = pod({
      status: {
        containerStatuses: [
          { name: 'web', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } },
          {
            name: 'metrics',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ContainerCreating' } },
          },
        ],
      },
    });
    expect(row('pods', p).Status).toBe('ImagePullBackOff');
  });

  it('turns Completed back into Running or NotReady while another container still runs', () => {
    const statuses = [
      {
        name: 'web',
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode: 0, reason: 'Completed' } },
      },
      running('metrics'),
    ];
    const ready = pod({ status: { containerStatuses: statuses } });
    expect(row('pods', ready)).toMatchObject({ Ready: '1/2', Status: 'Running' });
    const notReady = pod({
      status: { containerStatuses: statuses, conditions: [{ type: 'Ready', status: 'False' }] },
    });
    expect(row('pods', notReady).Status).toBe('NotReady');
  });

  describe('init containers', () => {
    const initSpec = {
      initContainers: [
        { name: 'migrate', image: 'migrate:1' },
        { name: 'warm', image: 'warm:1' },
      ],
    };
    const waitingMain = [
      { name: 'web', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
      { name: 'metrics', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
    ];
    const initPod = (initContainerStatuses: object[]) =>
      pod({
        spec: initSpec,
        status: {
          phase: 'Pending',
          conditions: [{ type: 'Initialized', status: 'False' }],
          initContainerStatuses,
          containerStatuses: waitingMain,
        },
      });

    it('shows Init:n/m while init containers run', () => {
      const p = initPod([
        {
          name: 'migrate',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 0, reason: 'Completed' } },
        },
        { name: 'warm', ready: false, restartCount: 0, state: { running: { startedAt: ago(10 * S) } } },
      ]);
      expect(row('pods', p)).toMatchObject({ Ready: '0/2', Status: 'Init:1/2', Restarts: '0' });
      const first = initPod([
        { name: 'migrate', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
        { name: 'warm', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
      ]);
      expect(row('pods', first).Status).toBe('Init:0/2');
    });

    it('shows a failing init container, and counts its restarts', () => {
      const p = initPod([
        {
          name: 'migrate',
          ready: false,
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(90 * S) } },
        },
        { name: 'warm', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
      ]);
      expect(row('pods', p)).toMatchObject({ Status: 'Init:CrashLoopBackOff', Restarts: '5 (90s ago)' });
    });

    it('shows a terminated init container by reason, signal or exit code', () => {
      const withTerminated = (terminated: object) =>
        row('pods', initPod([{ name: 'migrate', ready: false, restartCount: 0, state: { terminated } }]))
          .Status;
      expect(withTerminated({ exitCode: 1, reason: 'Error' })).toBe('Init:Error');
      expect(withTerminated({ exitCode: 3 })).toBe('Init:ExitCode:3');
      expect(withTerminated({ exitCode: 137, signal: 9 })).toBe('Init:Signal:9');
    });

    it('counts started sidecars (restartPolicy Always) as ready containers', () => {
      const p = pod({
        spec: { initContainers: [{ name: 'proxy', image: 'envoy:1.30', restartPolicy: 'Always' }] },
        status: {
          initContainerStatuses: [
            running('proxy', {
              started: true,
              restartCount: 2,
              lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(30 * M) } },
            }),
          ],
        },
      });
      expect(row('pods', p)).toMatchObject({ Ready: '3/3', Status: 'Running', Restarts: '2 (30m ago)' });
    });
  });

  it('shows Terminating for a pod being deleted, but not for a finished one', () => {
    const deleting = pod({ metadata: { deletionTimestamp: ago(5 * S) } });
    expect(row('pods', deleting).Status).toBe('Terminating');
    const done = pod({
      metadata: { deletionTimestamp: ago(5 * S) },
      status: { phase: 'Succeeded', containerStatuses: [] },
    });
    expect(row('pods', done).Status).toBe('Succeeded');
    const lost = pod({ metadata: { deletionTimestamp: ago(5 * S) }, status: { reason: 'NodeLost' } });
    expect(row('pods', lost).Status).toBe('Unknown');
  });

  it('shows the pod reason (Evicted) and SchedulingGated', () => {
    const evicted = pod({ status: { phase: 'Failed', reason: 'Evicted', containerStatuses: [] } });
    expect(row('pods', evicted).Status).toBe('Evicted');
    const gated = pod({
      spec: { nodeName: undefined },
      status: {
        phase: 'Pending',
        containerStatuses: undefined,
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
      },
    });
    expect(row('pods', gated).Status).toBe('SchedulingGated');
  });

  it('prints the nominated node and readiness gates', () => {
    const p = pod({
      spec: {
        readinessGates: [
          { conditionType: 'www.example.com/lb-ready' },
          { conditionType: 'www.example.com/dns' },
        ],
      },
      status: {
        nominatedNodeName: 'node-b',
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'www.example.com/lb-ready', status: 'True' },
          { type: 'www.example.com/dns', status: 'False' },
        ],
      },
    });
    expect(row('pods', p)).toMatchObject({ 'Nominated Node': 'node-b', 'Readiness Gates': '1/2' });
  });

  it('prints <unknown> for a pod without creationTimestamp', () => {
    expect(row('pods', pod({ metadata: { creationTimestamp: undefined } })).Age).toBe('<unknown>');
  });
});

describe('toTable: nodes', () => {
  it('has the columns kube-apiserver 1.33 prints', () => {
    expect(table('nodes', []).columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Status', 0],
      ['Roles', 0],
      ['Age', 0],
      ['Version', 0],
      ['Internal-IP', 1],
      ['External-IP', 1],
      ['OS-Image', 1],
      ['Kernel-Version', 1],
      ['Container-Runtime', 1],
    ]);
  });

  it('prints a ready control-plane node', () => {
    expect(cells('nodes', nodeObj())).toEqual([
      'node-a',
      'Ready',
      'control-plane',
      '120d',
      'v1.33.1',
      '192.168.0.11',
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.1.0-37-amd64',
      'containerd://1.7.27',
    ]);
  });

  it('prints NotReady for a false or unknown Ready condition, Unknown without one', () => {
    const withReady = (status: string) =>
      row('nodes', nodeObj({ status: { conditions: [{ type: 'Ready', status }] } })).Status;
    expect(withReady('False')).toBe('NotReady');
    expect(withReady('Unknown')).toBe('NotReady');
    expect(
      row('nodes', nodeObj({ status: { conditions: [{ type: 'MemoryPressure', status: 'False' }] } })).Status,
    ).toBe('Unknown');
    expect(row('nodes', nodeObj({ status: { conditions: undefined } })).Status).toBe('Unknown');
  });

  it('adds SchedulingDisabled for a cordoned node', () => {
    expect(row('nodes', nodeObj({ spec: { unschedulable: true } })).Status).toBe('Ready,SchedulingDisabled');
    const down = nodeObj({
      spec: { unschedulable: true },
      status: { conditions: [{ type: 'Ready', status: 'Unknown' }] },
    });
    expect(row('nodes', down).Status).toBe('NotReady,SchedulingDisabled');
  });

  it('lists roles sorted, from node-role labels and kubernetes.io/role', () => {
    const labels = {
      'node-role.kubernetes.io/worker': '',
      'node-role.kubernetes.io/ingress': 'true',
      'node-role.kubernetes.io/': '',
      'kubernetes.io/role': 'gpu',
    };
    expect(row('nodes', nodeObj({ labels })).Roles).toBe('gpu,ingress,worker');
    expect(row('nodes', nodeObj({ labels: { 'kubernetes.io/role': '' } })).Roles).toBe('<none>');
    expect(row('nodes', nodeObj({ labels: {} })).Roles).toBe('<none>');
  });

  it('prints addresses and <unknown> for missing node info', () => {
    const n = nodeObj({
      status: {
        addresses: [
          { type: 'ExternalIP', address: '203.0.113.9' },
          { type: 'InternalIP', address: '10.0.0.4' },
          { type: 'InternalIP', address: '10.0.0.5' },
        ],
        nodeInfo: {},
      },
    });
    expect(row('nodes', n)).toMatchObject({
      'Internal-IP': '10.0.0.4',
      'External-IP': '203.0.113.9',
      Version: '',
      'OS-Image': '<unknown>',
      'Kernel-Version': '<unknown>',
      'Container-Runtime': '<unknown>',
    });
  });
});

describe('toTable: jobs', () => {
  it('has the columns kube-apiserver 1.33 prints', () => {
    expect(table('jobs', []).columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Status', 0],
      ['Completions', 0],
      ['Duration', 0],
      ['Age', 0],
      ['Containers', 1],
      ['Images', 1],
      ['Selector', 1],
    ]);
  });

  it('prints a complete job', () => {
    expect(cells('jobs', jobObj())).toEqual([
      'nightly-report',
      'Complete',
      '3/3',
      '5m30s',
      '2d4h',
      'report,uploader',
      'ghcr.io/acme/report:2.1,amazon/aws-cli:2.17',
      'batch.kubernetes.io/controller-uid=a1b2c3d4-0000-4000-8000-000000000001',
    ]);
  });

  it('measures a running job up to now', () => {
    const j = jobObj({
      status: { startTime: ago(45 * S), completionTime: undefined, succeeded: 1, active: 1, conditions: [] },
    });
    expect(row('jobs', j)).toMatchObject({ Status: 'Running', Completions: '1/3', Duration: '45s' });
  });

  it('prints an empty duration before the job started', () => {
    const j = jobObj({
      spec: { suspend: true },
      status: {
        startTime: undefined,
        completionTime: undefined,
        succeeded: undefined,
        conditions: [{ type: 'Suspended', status: 'True' }],
      },
    });
    expect(row('jobs', j)).toMatchObject({ Status: 'Suspended', Completions: '0/3', Duration: '' });
  });

  it('picks the status in the order kube-apiserver does', () => {
    const withConditions = (conditions: object[], metadata: object = {}) =>
      row('jobs', jobObj({ metadata, status: { completionTime: undefined, conditions } })).Status;
    expect(
      withConditions([
        { type: 'FailureTarget', status: 'True' },
        { type: 'Failed', status: 'True' },
      ]),
    ).toBe('Failed');
    expect(withConditions([{ type: 'Failed', status: 'True' }], { deletionTimestamp: ago(S) })).toBe(
      'Failed',
    );
    expect(withConditions([], { deletionTimestamp: ago(S) })).toBe('Terminating');
    expect(withConditions([{ type: 'Suspended', status: 'True' }], { deletionTimestamp: ago(S) })).toBe(
      'Terminating',
    );
    expect(withConditions([{ type: 'Suspended', status: 'False' }])).toBe('Running');
    expect(withConditions([{ type: 'FailureTarget', status: 'True' }])).toBe('FailureTarget');
    expect(withConditions([{ type: 'SuccessCriteriaMet', status: 'True' }])).toBe('SuccessCriteriaMet');
    expect(withConditions([{ type: 'Complete', status: 'False' }])).toBe('Running');
  });

  it('prints completions without spec.completions, with parallelism', () => {
    const j = (parallelism: number | undefined) =>
      row(
        'jobs',
        jobObj({ spec: { completions: undefined, parallelism }, status: { succeeded: 0, conditions: [] } }),
      ).Completions;
    expect(j(undefined)).toBe('0/1');
    expect(j(1)).toBe('0/1');
    expect(j(4)).toBe('0/1 of 4');
  });

  it('formats the selector like metav1.FormatLabelSelector', () => {
    const sel = (selector: unknown) => row('jobs', jobObj({ spec: { selector } })).Selector;
    expect(sel(undefined)).toBe('<none>');
    expect(sel({})).toBe('<none>');
    expect(
      sel({
        matchLabels: { 'job-name': 'nightly-report' },
        matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }],
      }),
    ).toBe('env in (dev,prod),job-name=nightly-report');
    expect(sel({ matchExpressions: [{ key: 'env', operator: 'Near', values: ['x'] }] })).toBe('<error>');
  });
});

describe('toTable: namespaces', () => {
  it('prints name, phase and age', () => {
    const t = table('namespaces', [
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'shop', creationTimestamp: ago(45 * S) },
        status: { phase: 'Active' },
      },
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'old', creationTimestamp: ago(3 * D), deletionTimestamp: ago(S) },
        status: { phase: 'Terminating' },
      },
    ]);
    expect(t.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Status', 0],
      ['Age', 0],
    ]);
    expect(t.rows.map((r) => r.cells)).toEqual([
      ['shop', 'Active', '45s'],
      ['old', 'Terminating', '3d'],
    ]);
  });
});

describe('toTable: events', () => {
  it('has the columns kube-apiserver 1.33 prints', () => {
    expect(table('events', []).columnDefinitions.map((c) => [c.name, c.priority, c.format])).toEqual([
      ['Last Seen', 0, ''],
      ['Type', 0, ''],
      ['Reason', 0, ''],
      ['Object', 0, ''],
      ['Subobject', 1, ''],
      ['Source', 1, ''],
      ['Message', 0, ''],
      ['First Seen', 1, ''],
      ['Count', 1, ''],
      ['Name', 1, 'name'],
    ]);
  });

  it('prints a core/v1 event', () => {
    expect(cells('events', eventObj())).toEqual([
      '45s',
      'Warning',
      'BackOff',
      'pod/web-7d9f8b6c5-x2x9k',
      'spec.containers{web}',
      'kubelet, node-a',
      'Back-off restarting failed container web in pod web-7d9f8b6c5-x2x9k_shop',
      '10m',
      12,
      'web-7d9f8b6c5-x2x9k.1843b2c1d0',
    ]);
  });

  it('prints an events.k8s.io-style event: eventTime, series, reporting controller', () => {
    const e = eventObj({
      firstTimestamp: null,
      lastTimestamp: null,
      count: undefined,
      eventTime: '2025-06-01T11:29:59.123456Z',
      series: { count: 7, lastObservedTime: '2025-06-01T11:58:00.000001Z' },
      source: {},
      reportingComponent: 'job-controller',
      reportingInstance: '',
      involvedObject: { kind: 'Job', namespace: 'jobs', name: 'nightly-report' },
      type: 'Normal',
      reason: 'SuccessfulCreate',
      message: 'Created pod: nightly-report-7xq2p',
    });
    expect(row('events', e)).toMatchObject({
      'Last Seen': '2m',
      'First Seen': '30m',
      Count: 7,
      Object: 'job/nightly-report',
      Subobject: '',
      Source: 'job-controller',
    });
  });

  it('counts a singleton event as 1 and falls back to the first timestamp', () => {
    const e = eventObj({ count: 0, lastTimestamp: undefined, firstTimestamp: ago(5 * M + 30 * S) });
    expect(row('events', e)).toMatchObject({ Count: 1, 'Last Seen': '5m30s', 'First Seen': '5m30s' });
  });

  it('prints the kind alone for an object without a name, and <unknown> without times', () => {
    const e = eventObj({
      involvedObject: { kind: 'Node' },
      firstTimestamp: undefined,
      lastTimestamp: undefined,
      eventTime: undefined,
      source: { component: 'kubelet' },
      reportingInstance: undefined,
    });
    expect(row('events', e)).toMatchObject({
      Object: 'node',
      'Last Seen': '<unknown>',
      'First Seen': '<unknown>',
      Source: 'kubelet',
    });
  });
});
