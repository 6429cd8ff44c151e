/** The agents kube-system runs on every node as DaemonSets: kube-proxy and the Cilium CNI. */
import { container, ENV_NODE_NAME, ENV_POD_NAMESPACE, httpProbe, resources } from './containers.js';
import { EMPTY_OBJECT, type Json } from './json.js';
import { type ApiAccess, DAEMON_TOLERATIONS, podSpecOf } from './pod-spec.js';

/** kube-proxy, on the host network, tolerating every node condition. */
export function kubeProxySpec(access: ApiAccess): Json {
  return podSpecOf({
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
  });
}

/** The Cilium agent, with the init containers that prepare the node for it. */
export function ciliumSpec(access: ApiAccess): Json {
  const bpf = { name: 'bpf-maps', hostPath: { path: '/sys/fs/bpf', type: 'DirectoryOrCreate' } };
  return podSpecOf({
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
  });
}
