/** The cluster add-ons kube-system runs as Deployments: CoreDNS and metrics-server. */
import { CONTAINER_SECURITY, container, httpProbe, resources } from './containers.js';
import { EMPTY_OBJECT, type Json } from './json.js';
import { type ApiAccess, DEFAULT_TOLERATIONS, podSpecOf } from './pod-spec.js';

/** CoreDNS, which tolerates the control plane and critical-addon taints. */
export function corednsSpec(access: ApiAccess): Json {
  const critical = [
    { key: 'CriticalAddonsOnly', operator: 'Exists' },
    { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
    ...DEFAULT_TOLERATIONS,
  ];
  return podSpecOf({
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
  });
}

/** metrics-server, scraping the kubelets. */
export function metricsServerSpec(access: ApiAccess): Json {
  return podSpecOf({
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
  });
}
