import v8 from 'node:v8';
import vm from 'node:vm';
import type { CoreV1Event, V1Job, V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { describe, expect, it } from 'vitest';
import { EVENT_MESSAGE_MAX } from '../../src/kube/kinds.js';
import { effectivePodRequests } from '../../src/kube/quantity.js';
import { podIPs } from '../../src/kube/rules.js';
import {
  deepFreeze,
  Interner,
  LAST_APPLIED_ANNOTATION,
  Trimmer,
  transformerFor,
  transformObject,
} from '../../src/kube/transform.js';
import { job, namespace, node, pod, rawPod } from './object-fixtures.js';

/** Every object reachable from `v` (Dates included) is frozen; returns the paths that are not. */
function unfrozenPaths(v: unknown, path = '$', out: string[] = []): string[] {
  if (v === null || typeof v !== 'object') return out;
  if (!Object.isFrozen(v)) out.push(path);
  if (!(v instanceof Date)) for (const [k, x] of Object.entries(v)) unfrozenPaths(x, `${path}.${k}`, out);
  return out;
}

/** Every own key anywhere in `v`, as dotted paths without array indexes. */
function allKeys(v: unknown, path = '', out = new Set<string>()): Set<string> {
  if (v === null || typeof v !== 'object' || v instanceof Date) return out;
  for (const [k, x] of Object.entries(v)) {
    const p = Array.isArray(v) ? path : path ? `${path}.${k}` : k;
    if (!Array.isArray(v)) out.add(p);
    allKeys(x, p, out);
  }
  return out;
}

describe('transformObject: Pod', () => {
  const input = pod({ name: 'web-1', nodeName: 'node-a' });
  const before = JSON.stringify(input);
  const t = transformObject('Pod', input, { interner: new Interner() });

  it('returns a new, deeply frozen object and leaves the input alone', () => {
    expect(t).not.toBe(input);
    expect(unfrozenPaths(t)).toEqual([]);
    expect(Object.isFrozen(input)).toBe(false);
    expect(Object.isFrozen(input.metadata)).toBe(false);
    expect(JSON.stringify(input)).toBe(before);
    expect(() => {
      (t.metadata as { name?: string }).name = 'x';
    }).toThrow(TypeError);
    expect(() => t.spec!.containers.push({ name: 'x' })).toThrow(TypeError);
  });

  it('drops managedFields and the last-applied annotation, keeps the other metadata', () => {
    expect(input.metadata!.managedFields).toHaveLength(2); // the fixture does carry them
    expect(t.metadata).not.toHaveProperty('managedFields');
    expect(t.metadata!.annotations).toEqual({ 'prometheus.io/scrape': 'true' });
    expect(t.metadata!.annotations).not.toHaveProperty([LAST_APPLIED_ANNOTATION]);
    expect(t.metadata).toMatchObject({
      name: 'web-1',
      namespace: 'shop',
      uid: input.metadata!.uid,
      resourceVersion: '123456789',
      labels: { app: 'web', 'pod-template-hash': '7d9f8c6b5d', tier: 'frontend' },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d9f8c6b5d', controller: true }],
    });
    expect(t.metadata!.creationTimestamp).toBeInstanceOf(Date);
    expect(t.metadata!.creationTimestamp!.toISOString()).toBe('2024-05-01T10:00:00.000Z');
  });

  it('keeps generation and deletionTimestamp when present', () => {
    const p = pod();
    p.metadata!.generation = 3;
    p.metadata!.deletionTimestamp = new Date('2024-05-02T00:00:00Z');
    const out = transformObject('Pod', p);
    expect(out.metadata!.generation).toBe(3);
    expect(out.metadata!.deletionTimestamp).toEqual(new Date('2024-05-02T00:00:00Z'));
  });

  it('keeps the spec fields consumers read', () => {
    const spec = t.spec!;
    expect(spec.nodeName).toBe('node-a');
    expect(spec.schedulerName).toBe('default-scheduler');
    expect(spec.serviceAccountName).toBe('default');
    expect(spec.priority).toBe(0);
    expect(spec.containers).toEqual([
      {
        name: 'web',
        image: 'registry.example.com/shop/web:1.24.3',
        resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      },
    ]);
    expect(spec.initContainers).toEqual([
      {
        name: 'migrate',
        image: 'registry.example.com/shop/web:1.24.3',
        resources: { requests: { cpu: '500m', memory: '256Mi' } },
      },
    ]);
  });

  it('keeps sidecar restartPolicy, overhead and pod-level requests, so effective requests survive the trim', () => {
    const p = pod();
    p.spec!.initContainers!.push({
      name: 'proxy',
      image: 'envoy',
      restartPolicy: 'Always',
      resources: { requests: { cpu: '1' } },
    });
    p.spec!.overhead = { cpu: '50m', memory: '10Mi' };
    p.spec!.resources = { requests: { memory: '1Gi' }, claims: [{ name: 'gpu' }] };
    const out = transformObject('Pod', p);
    expect(out.spec!.initContainers![1].restartPolicy).toBe('Always');
    expect(out.spec!.overhead).toEqual({ cpu: '50m', memory: '10Mi' });
    expect(out.spec!.resources).toEqual({ requests: { memory: '1Gi' } });
    expect(effectivePodRequests(out)).toEqual(effectivePodRequests(p));
    expect(effectivePodRequests(out).cpuMillis).toBe(1250 + 50);
  });

  it('drops what no consumer reads', () => {
    const keys = allKeys(t);
    for (const dropped of [
      'spec.volumes',
      'spec.tolerations',
      'spec.affinity',
      'spec.securityContext',
      'spec.dnsPolicy',
      'spec.containers.env',
      'spec.containers.args',
      'spec.containers.volumeMounts',
      'spec.containers.livenessProbe',
      'spec.containers.readinessProbe',
      'spec.containers.securityContext',
      'spec.containers.terminationMessagePath',
      'spec.containers.terminationMessagePolicy',
      'spec.containers.imagePullPolicy',
      'spec.initContainers.command',
      'status.containerStatuses.volumeMounts',
      'status.initContainerStatuses.volumeMounts',
    ]) {
      expect(keys, dropped).not.toContain(dropped);
    }
    // Each of those was in the input, so the assertions above can fail.
    expect(allKeys(input)).toContain('spec.containers.livenessProbe');
    expect(allKeys(input)).toContain('status.containerStatuses.volumeMounts');
  });

  it('drops envFrom, dnsConfig, probes and resource claims on containers too', () => {
    const p = pod();
    Object.assign(p.spec!, { dnsConfig: { nameservers: ['1.1.1.1'] } });
    Object.assign(p.spec!.containers[0], {
      envFrom: [{ configMapRef: { name: 'cm' } }],
      startupProbe: { exec: { command: ['true'] } },
      command: ['/web'],
    });
    p.spec!.containers[0].resources!.claims = [{ name: 'gpu' }];
    const out = transformObject('Pod', p);
    expect(out.spec).not.toHaveProperty('dnsConfig');
    expect(Object.keys(out.spec!.containers[0]).sort()).toEqual(['image', 'name', 'ports', 'resources']);
    expect(Object.keys(out.spec!.containers[0].resources!).sort()).toEqual(['limits', 'requests']);
  });

  it('keeps podIPs when it says more than podIP (dual-stack), and reads a pod without podIPs as its podIP', () => {
    const dual = pod();
    dual.status!.podIPs = [{ ip: dual.status!.podIP! }, { ip: 'fd00:10:244::29' }];
    const out = transformObject('Pod', dual);
    expect(out.status!.podIPs).toEqual([{ ip: '10.244.3.41' }, { ip: 'fd00:10:244::29' }]);
    expect(podIPs(out)).toEqual(['10.244.3.41', 'fd00:10:244::29']);
    // podIPs naming another address than podIP is kept as it came, whatever it says.
    const odd = pod();
    odd.status!.podIPs = [{ ip: '10.244.9.9' }];
    expect(podIPs(transformObject('Pod', odd))).toEqual(['10.244.9.9']);
    const pending = pod();
    pending.status = { phase: 'Pending' };
    expect(podIPs(transformObject('Pod', pending))).toEqual([]);
  });

  it('keeps the pod status', () => {
    const s = t.status!;
    expect(s.phase).toBe('Running');
    expect(s.qosClass).toBe('Burstable');
    expect(s.hostIP).toBe('10.0.1.17');
    expect(s.podIP).toBe('10.244.3.41');
    // podIPs only says podIP again (kube-apiserver requires podIPs[0] = podIP): not stored.
    expect(s).not.toHaveProperty('podIPs');
    expect(podIPs(t)).toEqual(['10.244.3.41']);
    expect(s.startTime).toEqual(new Date('2024-05-01T10:00:00Z'));
    expect(s.conditions!.map((c) => `${c.type}=${c.status}`)).toEqual([
      'PodReadyToStartContainers=True',
      'Initialized=True',
      'Ready=True',
      'ContainersReady=True',
      'PodScheduled=True',
    ]);
    expect(s.conditions![2].lastTransitionTime).toEqual(new Date('2024-05-01T10:00:09Z'));
    const cs = s.containerStatuses![0];
    expect(cs).toMatchObject({ name: 'web', ready: true, restartCount: 0, started: true });
    expect(cs.imageID).toMatch(/@sha256:/);
    expect(cs).not.toHaveProperty('containerID'); // read by nothing: dropped for memory
    expect(cs.state!.running!.startedAt).toEqual(new Date('2024-05-01T10:00:05Z'));
    const init = s.initContainerStatuses![0];
    expect(init.state!.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(init.state!.terminated!.finishedAt).toEqual(new Date('2024-05-01T10:00:04Z'));
  });

  it('shares what repeats across pods: strings, Dates and identical subtrees', () => {
    const interner = new Interner();
    const a = transformObject('Pod', pod({ name: 'a' }), { interner });
    const b = transformObject('Pod', pod({ name: 'b' }), { interner });
    const c = transformObject('Pod', pod({ name: 'c', image: 'other:1' }), { interner });
    expect(b.spec!.containers).toBe(a.spec!.containers);
    expect(b.metadata!.labels).toBe(a.metadata!.labels);
    expect(b.metadata!.ownerReferences).toBe(a.metadata!.ownerReferences);
    expect(c.spec!.containers).not.toBe(a.spec!.containers);
    expect(c.spec!.containers[0].image).toBe('other:1');
    // Equal instants share one frozen Date, within a pod and across pods.
    expect(a.status!.startTime).toBe(a.metadata!.creationTimestamp);
    expect(b.status!.startTime).toBe(a.status!.startTime);
    expect(Object.isFrozen(a.status!.startTime)).toBe(true);
    expect(interner.size.strings).toBeGreaterThan(0);
    // Pods started together: the same conditions and container statuses, as one instance.
    expect(b.status!.conditions).toBe(a.status!.conditions);
    expect(b.status!.containerStatuses![0]).toBe(a.status!.containerStatuses![0]);
    expect(c.status!.containerStatuses![0]).not.toBe(a.status!.containerStatuses![0]); // its image
    expect(c.status!.containerStatuses![0].state).toBe(a.status!.containerStatuses![0].state);
    const later = transformObject('Pod', pod({ name: 'd', shiftSeconds: 60 }), { interner });
    expect(later.status!.conditions).not.toBe(a.status!.conditions);
    expect(later.status!.conditions).toEqual(
      a.status!.conditions!.map((x) => ({
        ...x,
        lastTransitionTime: new Date(x.lastTransitionTime!.getTime() + 60_000),
      })),
    );
    expect(later.status!.containerStatuses![0].state).not.toBe(a.status!.containerStatuses![0].state);
    expect(unfrozenPaths([a, b, c, later])).toEqual(['$']);
  });

  it('accepts wire JSON whose timestamps are still strings', () => {
    const out = transformObject('Pod', rawPod() as V1Pod);
    expect(out.metadata!.creationTimestamp).toBeInstanceOf(Date);
    expect(out.status!.conditions![0].lastTransitionTime).toBeInstanceOf(Date);
    expect(out.status!.conditions![0]).not.toHaveProperty('lastProbeTime'); // null is dropped
  });

  it('is what transformerFor returns, ignoring extra arguments (usable in Array#map)', () => {
    const many = [pod({ name: 'a' }), pod({ name: 'b' })].map(transformerFor('Pod'));
    expect(many.map((p) => p.metadata!.name)).toEqual(['a', 'b']);
    expect(unfrozenPaths(many)).toEqual(['$']); // only the array made by map
  });
});

describe('transformObject: Node, Job, Namespace', () => {
  it('keeps node spec and status essentials and drops images and attached volumes', () => {
    const input = node('node-a');
    expect(input.status!.images!.length).toBe(20);
    const t: V1Node = transformObject('Node', input);
    expect(unfrozenPaths(t)).toEqual([]);
    expect(t.metadata).not.toHaveProperty('managedFields');
    expect(t.metadata!.namespace).toBeUndefined();
    expect(t.spec).toEqual({
      unschedulable: true,
      taints: [
        {
          key: 'node.kubernetes.io/unschedulable',
          effect: 'NoSchedule',
          timeAdded: new Date('2024-05-01T00:00:00Z'),
        },
      ],
      podCIDR: '10.244.3.0/24',
      podCIDRs: ['10.244.3.0/24'],
      providerID: 'kind://docker/kind/node-a',
    });
    const s = t.status!;
    expect(s.capacity).toEqual({
      cpu: '8',
      memory: '32863312Ki',
      pods: '110',
      'ephemeral-storage': '102626232Ki',
    });
    expect(s.allocatable!.cpu).toBe('7800m');
    expect(s.conditions![0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'KubeletReady' });
    expect(s.conditions![0].lastHeartbeatTime).toEqual(new Date('2024-05-01T10:00:00Z'));
    expect(s.addresses).toEqual([
      { type: 'InternalIP', address: '10.0.1.17' },
      { type: 'Hostname', address: 'node-a' },
    ]);
    expect(s.nodeInfo).toMatchObject({
      kubeletVersion: 'v1.31.0',
      architecture: 'amd64',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
    });
    expect(s).not.toHaveProperty('images');
    expect(s).not.toHaveProperty('volumesAttached');
    expect(s).not.toHaveProperty('volumesInUse');
  });

  it('keeps job spec essentials and status, not the pod template', () => {
    const input = job('backup');
    const t: V1Job = transformObject('Job', input);
    expect(unfrozenPaths(t)).toEqual([]);
    expect(t.metadata).not.toHaveProperty('managedFields');
    expect(t.spec).toEqual({
      completions: 3,
      parallelism: 2,
      backoffLimit: 6,
      suspend: false,
      completionMode: 'NonIndexed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-backup' } },
      template: {},
    });
    expect(t.status).toMatchObject({ active: 2, ready: 1, succeeded: 1, failed: 0 });
    expect(t.status!.startTime).toEqual(new Date('2024-05-01T00:00:01Z'));
    expect(t.status!.conditions![0]).toMatchObject({ type: 'SuccessCriteriaMet', status: 'False' });
  });

  it("keeps a job's status and a node's info as client-node's model has them, from JSON and from a model", () => {
    const status = {
      active: 1,
      completedIndexes: '1-3,5',
      completionTime: '2026-12-01T10:00:05Z',
      conditions: [
        {
          type: 'Complete',
          status: 'True',
          reason: 'CompletionsReached',
          message: 'Reached expected number of succeeded pods',
          lastProbeTime: '2026-12-01T10:00:05Z',
          lastTransitionTime: '2026-12-01T10:00:05Z',
          unknownField: 'dropped',
        },
        { type: 'SuccessCriteriaMet', status: 'True' },
      ],
      failed: 2,
      failedIndexes: '4',
      ready: 0,
      startTime: '2026-12-01T10:00:00Z',
      succeeded: 3,
      terminating: 0,
      uncountedTerminatedPods: { failed: ['uid-a'], succeeded: ['uid-b', 'uid-c'] },
      unknownField: { a: 1 },
    };
    const info = {
      architecture: 'amd64',
      bootID: 'boot-1',
      containerRuntimeVersion: 'containerd://1.7.0',
      kernelVersion: '6.1.0',
      kubeProxyVersion: 'v1.33.0',
      kubeletVersion: 'v1.33.0',
      machineID: 'machine-1',
      operatingSystem: 'linux',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      swap: { capacity: 1024 },
      systemUUID: 'uuid-1',
      unknownField: 'dropped',
    };
    const model = (value: unknown, type: string) => ObjectSerializer.deserialize(value, type, '');
    const t = new Trimmer(new Interner());
    for (const s of [status, { succeeded: 1 }, { conditions: [], uncountedTerminatedPods: {} }, {}]) {
      const before = t.internDeep(model(s, 'V1JobStatus'));
      expect(t.jobStatus(s as never)).toStrictEqual(before);
      expect(t.jobStatus(model(s, 'V1JobStatus') as never)).toStrictEqual(before);
    }
    for (const i of [info, { ...info, swap: {} }, { kubeletVersion: 'v1.27.0' }]) {
      const before = t.internDeep(model(i, 'V1NodeSystemInfo'));
      expect(t.nodeInfo(i as never)).toStrictEqual(before);
      expect(t.nodeInfo(model(i, 'V1NodeSystemInfo') as never)).toStrictEqual(before);
    }
    const trimmed = transformObject('Job', { ...job('j'), status } as never);
    expect(trimmed.status!.completionTime).toEqual(new Date('2026-12-01T10:00:05Z'));
    expect(trimmed.status).not.toHaveProperty('unknownField');
    expect(unfrozenPaths(trimmed)).toEqual([]);
  });

  it('keeps all of a namespace but managedFields and last-applied', () => {
    const input = namespace('shop');
    const t: V1Namespace = transformObject('Namespace', input);
    expect(unfrozenPaths(t)).toEqual([]);
    expect(t).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'shop',
        uid: 'uid-shop',
        resourceVersion: '3',
        creationTimestamp: new Date('2024-01-01T00:00:00Z'),
        labels: { 'kubernetes.io/metadata.name': 'shop' },
        annotations: { owner: 'team-a' },
        finalizers: ['example.com/cleanup'],
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  });
});

describe('transformObject: Event', () => {
  const event = (
    name: string,
    over: Partial<CoreV1Event['involvedObject']> = {},
    message = 'Started container app',
  ): CoreV1Event => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'shop', uid: `uid-of-${name}`, resourceVersion: '7' },
    involvedObject: {
      kind: 'Pod',
      namespace: 'shop',
      name: 'web-1',
      uid: '0d9c6e1a-5b7d-4c1e-9a2b-8d6e4f3a1b0c',
      apiVersion: 'v1',
      resourceVersion: '41',
      ...over,
    },
    reason: 'Started',
    message,
    type: 'Normal',
    count: 1,
    source: { component: 'kubelet', host: 'node-a' },
    firstTimestamp: new Date('2024-05-01T00:00:00Z'),
    lastTimestamp: new Date('2024-05-01T00:00:00Z'),
  });
  // JSON.parse gives each event its own copies of these strings, as a LIST or a watch does.
  const parsed = (e: CoreV1Event): CoreV1Event => JSON.parse(JSON.stringify(e));

  it("keeps what kubectl shows, drops the involved object's resourceVersion, cuts long messages", () => {
    const t = transformObject('Event', parsed(event('web-1.a', {}, 'x'.repeat(EVENT_MESSAGE_MAX + 10))));
    expect(unfrozenPaths(t)).toEqual([]);
    expect(t.involvedObject).toEqual({
      kind: 'Pod',
      namespace: 'shop',
      name: 'web-1',
      uid: '0d9c6e1a-5b7d-4c1e-9a2b-8d6e4f3a1b0c',
      apiVersion: 'v1',
    });
    expect(t.message).toBe(`${'x'.repeat(EVENT_MESSAGE_MAX)}…`);
    expect(t.source).toEqual({ component: 'kubelet', host: 'node-a' });
  });

  it("shares one involvedObject between an object's events, one per field path, never across objects", () => {
    const uid = 'a1c3e5f7-0000-4c1e-9a2b-8d6e4f3a1b0c';
    const [scheduled, pulled, started, started2, other, elsewhere, renamed] = [
      event('web-9.1', { name: 'web-9', uid }),
      event('web-9.2', { name: 'web-9', uid, fieldPath: 'spec.containers{app}' }),
      event('web-9.3', { name: 'web-9', uid, fieldPath: 'spec.containers{app}' }),
      event('web-9.4', { name: 'web-9', uid }),
      event('web-8.1', { name: 'web-8', uid: 'b2d4f6a8-0000-4c1e-9a2b-8d6e4f3a1b0c' }),
      event('web-9.5', { name: 'web-9', uid, namespace: 'other' }),
      event('web-9.6', { uid, name: 'web-9b' }),
    ].map((e) => transformObject('Event', parsed(e)));
    expect(started.involvedObject).toBe(pulled.involvedObject);
    expect(started2.involvedObject).toBe(scheduled.involvedObject);
    expect(pulled.involvedObject).not.toBe(scheduled.involvedObject);
    expect(pulled.involvedObject).toEqual({ ...scheduled.involvedObject, fieldPath: 'spec.containers{app}' });
    for (const t of [other, elsewhere, renamed]) expect(t.involvedObject).not.toBe(scheduled.involvedObject);
    expect(other.involvedObject).toMatchObject({
      name: 'web-8',
      uid: 'b2d4f6a8-0000-4c1e-9a2b-8d6e4f3a1b0c',
    });
    expect(elsewhere.involvedObject).toMatchObject({ namespace: 'other', name: 'web-9', uid });
    expect(renamed.involvedObject).toMatchObject({ namespace: 'shop', name: 'web-9b', uid });
    expect(Object.isFrozen(scheduled.involvedObject)).toBe(true);
  });

  it('shares by kind, namespace and name when the involved object has no uid', () => {
    const a = transformObject(
      'Event',
      parsed(event('n.1', { kind: 'Node', namespace: undefined, name: 'node-a', uid: '' })),
    );
    const b = transformObject(
      'Event',
      parsed(event('n.2', { kind: 'Node', namespace: undefined, name: 'node-a', uid: '' })),
    );
    const c = transformObject(
      'Event',
      parsed(event('n.3', { kind: 'Node', namespace: undefined, name: 'node-b', uid: '' })),
    );
    expect(b.involvedObject).toBe(a.involvedObject);
    expect(c.involvedObject).not.toBe(a.involvedObject);
    expect(c.involvedObject).toMatchObject({ kind: 'Node', name: 'node-b' });
  });
});

describe('Interner', () => {
  it('stays within its bounds', () => {
    const n = new Interner({ maxEntries: 3, maxStringLength: 5, maxSharedKeyLength: 20 });
    for (const s of ['a', 'b', 'c', 'd', 'e']) n.string(s);
    expect(n.size.strings).toBeLessThanOrEqual(3);
    n.string('longer than five');
    expect(n.size.strings).toBeLessThanOrEqual(3);
    const big = { k: 'x'.repeat(50) };
    expect(n.shared(big)).toBe(big);
    expect(Object.isFrozen(big)).toBe(true);
    expect(n.size.shared).toBe(0);
    for (const anchor of ['a', 'b', 'c', 'd']) n.object(anchor, { anchor });
    expect(n.size.objects).toBeLessThanOrEqual(3);
    n.clear();
    expect(n.size).toEqual({ strings: 0, dates: 0, dateTexts: 0, shared: 0, objects: 0 });
  });

  it('shares small objects whose values are the same instances, and nothing else', () => {
    const n = new Interner();
    const at = n.date('2024-01-01T00:00:00Z')!;
    const ready = n.object(at, { type: 'Ready', status: 'True', lastTransitionTime: at });
    expect(Object.isFrozen(ready)).toBe(true);
    expect(n.object(at, { type: 'Ready', status: 'True', lastTransitionTime: at })).toBe(ready);
    // Another value, another field, one field fewer or more, an equal but other Date: not shared.
    const others = [
      { type: 'Ready', status: 'False', lastTransitionTime: at },
      { type: 'Ready', status: 'True', lastTransitionTime: at, reason: 'PodCompleted' },
      { type: 'Ready', status: 'True' },
      { type: 'Ready', status: 'True', lastTransitionTime: new Date(at.getTime()) },
    ];
    for (const o of others) expect(n.object(at, o)).toBe(o);
    expect(
      n.object(at, { type: 'Ready', status: 'True', reason: 'PodCompleted', lastTransitionTime: at }),
    ).toBe(others[1]);
    // Arrays element by element: the same elements in the same order, and as many.
    const list = n.object(ready, [ready]);
    expect(n.object(ready, [ready])).toBe(list);
    const longer = [ready, others[0]];
    expect(n.object(ready, longer)).toBe(longer);
    expect(n.object(ready, { 0: ready })).not.toBe(list);
  });

  it('returns the first equal instance', () => {
    const n = new Interner();
    const first = n.shared({ a: ['x'] });
    expect(n.shared({ a: ['x'] })).toBe(first);
    expect(n.date('2024-01-01T00:00:00Z')).toBe(n.date(new Date('2024-01-01T00:00:00Z')));
    expect(n.date(null)).toBeUndefined();
  });

  it('shares one Date among every text and Date of the same instant, and never keeps an invalid one', () => {
    const n = new Interner({ maxEntries: 4 });
    const fromDate = n.date(new Date('2024-01-01T00:00:00Z'));
    // Two spellings of one instant, each asked for twice (the second time from the text map).
    for (const text of ['2024-01-01T00:00:00Z', '2024-01-01T01:00:00+01:00', '2024-01-01T00:00:00Z']) {
      const d = n.date(text);
      expect(d).toBe(fromDate);
      expect(d?.toISOString()).toBe('2024-01-01T00:00:00.000Z');
      expect(Object.isFrozen(d)).toBe(true);
    }
    expect(n.size).toMatchObject({ dates: 1, dateTexts: 2 });
    const bad = n.date('not a time');
    expect(Number.isNaN(bad?.getTime())).toBe(true);
    expect(n.date('not a time')).not.toBe(bad);
    expect(n.size).toMatchObject({ dates: 1, dateTexts: 2 });
    // Bounded: a fifth distinct text clears the text map rather than growing past 4.
    for (let i = 1; i <= 5; i++) n.date(`2024-01-0${i}T00:00:00Z`);
    expect(n.size.dateTexts).toBeLessThanOrEqual(4);
    expect(n.date('2024-01-05T00:00:00Z')?.getTime()).toBe(Date.parse('2024-01-05T00:00:00Z'));
  });
});

describe('deepFreeze', () => {
  it('freezes everything reachable, survives cycles and skips typed arrays', () => {
    const a: Record<string, unknown> = { list: [{ x: 1 }], when: new Date(0), bytes: new Uint8Array([1]) };
    a.self = a;
    expect(deepFreeze(a)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.list)).toBe(true);
    expect(Object.isFrozen((a.list as object[])[0])).toBe(true);
    expect(Object.isFrozen(a.when)).toBe(true);
    expect(Object.isFrozen(a.bytes)).toBe(false);
  });

  it('descends into objects that are already frozen at the top', () => {
    const inner = { y: 1 };
    deepFreeze(Object.freeze({ inner }));
    expect(Object.isFrozen(inner)).toBe(true);
  });
});

describe('memory per trimmed pod', () => {
  it('stays at or under 3 KB of heap for realistic, distinct pods', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const N = 5000;
    // Distinct names, uids, IPs, container ids and timestamps, as in a real cluster; spread
    // over 50 nodes and 3 workloads. Built one at a time so only trimmed pods stay alive.
    const make = (i: number) =>
      pod({
        name: `web-${i}-x2x9q`,
        uid: `${i.toString(16).padStart(8, '0')}-5b7d-4c1e-9a2b-8d6e4f3a1b0c`,
        nodeName: `node-${i % 50}`,
        image: `registry.example.com/shop/app-${i % 3}:1.24.3`,
        podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        shiftSeconds: i * 17,
      });
    const interner = new Interner();
    transformObject('Pod', make(-1), { interner });
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept: V1Pod[] = [];
    for (let i = 0; i < N; i++) kept.push(transformObject('Pod', make(i), { interner }));
    gc();
    gc();
    const perPod = (process.memoryUsage().heapUsed - before) / N;
    expect(kept).toHaveLength(N); // keeps them alive up to here
    expect(perPod).toBeLessThanOrEqual(3 * 1024);
    expect(perPod).toBeGreaterThan(500); // the measurement measures something
  });
});
