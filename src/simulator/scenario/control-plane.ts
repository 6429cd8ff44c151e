/** The control plane, as mirror pods in kube-system. */
import { container, resources } from './containers.js';
import { deepFreeze, type Json } from './json.js';
import type { NodeSlot } from './nodes.js';
import { podSpecOf } from './pod-spec.js';
import { type BuildContext, type Workload, workloadTimes } from './pods.js';
import { HOUR, isoTime, randomHex, randomInt } from './random.js';

/**
 * The static pods kubeadm writes on a control-plane node (etcd, API server, controller
 * manager, scheduler), as their mirror pods: owned by the Node, created by the kubelet.
 */
export function staticPods(ctx: BuildContext, node: NodeSlot, clusterBorn: number): Workload[] {
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
