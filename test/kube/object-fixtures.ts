/**
 * Realistic wire objects (as an API server sends them, managedFields and all) and their
 * client-node typed form, for the kube layer's unit tests.
 */
import { createHash } from 'node:crypto';
import type { V1Job, V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';

export interface PodFixtureOptions {
  name?: string;
  namespace?: string;
  uid?: string;
  nodeName?: string;
  phase?: string;
  image?: string;
  jobName?: string;
  labels?: Record<string, string>;
  podIP?: string;
  /** Shifts every timestamp by this many seconds, so pods do not all share their Dates. */
  shiftSeconds?: number;
}

const shift = (iso: string, seconds = 0): string => new Date(Date.parse(iso) + seconds * 1000).toISOString();

/** A pod like one from a Deployment on a real cluster: 1 app container, 1 init container. */
export function rawPod(o: PodFixtureOptions = {}): Record<string, unknown> {
  const name = o.name ?? 'web-7d9f8c6b5d-x2x9q';
  const namespace = o.namespace ?? 'shop';
  const uid = o.uid ?? '3f1c2a9e-5b7d-4c1e-9a2b-8d6e4f3a1b0c';
  const nodeName = o.nodeName ?? 'node-a';
  const image = o.image ?? 'registry.example.com/shop/web:1.24.3';
  const labels: Record<string, string> = o.labels ?? {
    app: 'web',
    'pod-template-hash': '7d9f8c6b5d',
    tier: 'frontend',
  };
  const owner = o.jobName
    ? {
        apiVersion: 'batch/v1',
        kind: 'Job',
        name: o.jobName,
        uid: 'job-uid-1',
        controller: true,
        blockOwnerDeletion: true,
      }
    : {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'web-7d9f8c6b5d',
        uid: 'a1b2c3d4-e5f6-4789-8abc-def012345678',
        controller: true,
        blockOwnerDeletion: true,
      };
  const t = (iso: string): string => shift(iso, o.shiftSeconds);
  const t0 = t('2024-05-01T10:00:00Z');
  const podIP = o.podIP ?? '10.244.3.41';
  const cid = (c: string): string =>
    `containerd://${createHash('sha256').update(`${uid}/${c}`).digest('hex')}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: 'web-7d9f8c6b5d-',
      namespace,
      uid,
      resourceVersion: '123456789',
      creationTimestamp: t0,
      labels,
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ big: 'x'.repeat(2000) }),
        'prometheus.io/scrape': 'true',
      },
      ownerReferences: [owner],
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          time: t0,
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
            'f:spec': { 'f:containers': {} },
          },
        },
        {
          manager: 'kubelet',
          operation: 'Update',
          apiVersion: 'v1',
          time: t0,
          fieldsType: 'FieldsV1',
          subresource: 'status',
          fieldsV1: { 'f:status': { 'f:conditions': {}, 'f:containerStatuses': {}, 'f:podIP': {} } },
        },
      ],
    },
    spec: {
      volumes: [
        {
          name: 'kube-api-access-abcde',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            ],
          },
        },
      ],
      initContainers: [
        {
          name: 'migrate',
          image,
          command: ['/bin/migrate', '--up'],
          resources: { requests: { cpu: '500m', memory: '256Mi' } },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      containers: [
        {
          name: 'web',
          image,
          args: ['--port=8080'],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
          ],
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
          livenessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 10 },
          readinessProbe: { httpGet: { path: '/ready', port: 8080, scheme: 'HTTP' }, periodSeconds: 5 },
          volumeMounts: [
            {
              name: 'kube-api-access-abcde',
              readOnly: true,
              mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
            },
          ],
          securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      nodeName,
      securityContext: {},
      schedulerName: 'default-scheduler',
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                topologyKey: 'kubernetes.io/hostname',
                labelSelector: { matchLabels: { app: 'web' } },
              },
            },
          ],
        },
      },
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [
        {
          type: 'PodReadyToStartContainers',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: t('2024-05-01T10:00:02Z'),
        },
        {
          type: 'Initialized',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: t('2024-05-01T10:00:05Z'),
        },
        { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: t('2024-05-01T10:00:09Z') },
        {
          type: 'ContainersReady',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: t('2024-05-01T10:00:09Z'),
        },
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: t0 },
      ],
      hostIP: '10.0.1.17',
      hostIPs: [{ ip: '10.0.1.17' }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: t0,
      initContainerStatuses: [
        {
          name: 'migrate',
          state: {
            terminated: {
              exitCode: 0,
              reason: 'Completed',
              startedAt: t('2024-05-01T10:00:02Z'),
              finishedAt: t('2024-05-01T10:00:04Z'),
              containerID: cid('migrate'),
            },
          },
          lastState: {},
          ready: true,
          restartCount: 0,
          image,
          imageID: `${image.split(':')[0]}@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef`,
          containerID: cid('migrate'),
          started: false,
          volumeMounts: [
            {
              name: 'kube-api-access-abcde',
              mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
              readOnly: true,
              recursiveReadOnly: 'Disabled',
            },
          ],
        },
      ],
      containerStatuses: [
        {
          name: 'web',
          state: { running: { startedAt: t('2024-05-01T10:00:05Z') } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image,
          imageID: `${image.split(':')[0]}@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef`,
          containerID: cid('web'),
          started: true,
          volumeMounts: [
            {
              name: 'kube-api-access-abcde',
              mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
              readOnly: true,
              recursiveReadOnly: 'Disabled',
            },
          ],
        },
      ],
      qosClass: 'Burstable',
    },
  };
}

export function rawNode(name = 'node-a'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '42',
      creationTimestamp: '2024-04-01T00:00:00Z',
      labels: { 'kubernetes.io/hostname': name, 'node-role.kubernetes.io/worker': '' },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
      managedFields: [
        { manager: 'kubelet', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} },
      ],
    },
    spec: {
      podCIDR: '10.244.3.0/24',
      podCIDRs: ['10.244.3.0/24'],
      providerID: `kind://docker/kind/${name}`,
      unschedulable: true,
      taints: [
        { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: '2024-05-01T00:00:00Z' },
      ],
    },
    status: {
      capacity: { cpu: '8', memory: '32863312Ki', pods: '110', 'ephemeral-storage': '102626232Ki' },
      allocatable: { cpu: '7800m', memory: '32000000Ki', pods: '110', 'ephemeral-storage': '94580335255' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          lastHeartbeatTime: '2024-05-01T10:00:00Z',
          lastTransitionTime: '2024-04-01T00:01:00Z',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
        },
      ],
      addresses: [
        { type: 'InternalIP', address: '10.0.1.17' },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: 'm',
        systemUUID: 's',
        bootID: 'b',
        kernelVersion: '6.1.0',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.13',
        kubeletVersion: 'v1.31.0',
        kubeProxyVersion: 'v1.31.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: Array.from({ length: 20 }, (_, i) => ({
        names: [
          `registry.example.com/img-${i}@sha256:${'f'.repeat(64)}`,
          `registry.example.com/img-${i}:v${i}`,
        ],
        sizeBytes: 1000000 * i,
      })),
      volumesAttached: [{ name: 'kubernetes.io/csi/ebs^vol-1', devicePath: '' }],
      volumesInUse: ['kubernetes.io/csi/ebs^vol-1'],
    },
  };
}

export function rawJob(name = 'backup'): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: 'ops',
      uid: `uid-${name}`,
      resourceVersion: '7',
      creationTimestamp: '2024-05-01T00:00:00Z',
      labels: { app: name },
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'batch/v1' }],
    },
    spec: {
      completions: 3,
      parallelism: 2,
      backoffLimit: 6,
      suspend: false,
      completionMode: 'NonIndexed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': `uid-${name}` } },
      template: {
        metadata: { labels: { 'job-name': name } },
        spec: {
          containers: [{ name: 'backup', image: 'busybox', command: ['sh', '-c', 'sleep 1'] }],
          restartPolicy: 'Never',
        },
      },
    },
    status: {
      active: 2,
      ready: 1,
      succeeded: 1,
      failed: 0,
      startTime: '2024-05-01T00:00:01Z',
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'False', lastTransitionTime: '2024-05-01T00:00:02Z' },
      ],
    },
  };
}

export function rawNamespace(name = 'shop'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '3',
      creationTimestamp: '2024-01-01T00:00:00Z',
      labels: { 'kubernetes.io/metadata.name': name },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', owner: 'team-a' },
      finalizers: ['example.com/cleanup'],
      managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1' }],
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

/** Typed as the reflector hands objects over: client-node's deserialization of the wire JSON. */
export function pod(o: PodFixtureOptions = {}): V1Pod {
  return ObjectSerializer.deserialize(rawPod(o), 'V1Pod') as V1Pod;
}
export function node(name?: string): V1Node {
  return ObjectSerializer.deserialize(rawNode(name), 'V1Node') as V1Node;
}
export function job(name?: string): V1Job {
  return ObjectSerializer.deserialize(rawJob(name), 'V1Job') as V1Job;
}
export function namespace(name?: string): V1Namespace {
  return ObjectSerializer.deserialize(rawNamespace(name), 'V1Namespace') as V1Namespace;
}
