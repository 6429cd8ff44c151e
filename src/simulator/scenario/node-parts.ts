/**
 * The parts of a Node that follow from where and what it is (zone, instance type, role):
 * labels, nodeInfo and the images its kubelet reports.
 */
import { deepFreeze, type Json } from './json.js';
import { pick, type RandomFn, randomHex, randomUid } from './random.js';
import { imageIDOf } from './status-memo.js';

/** What is wrong with the few workers that are not plain Ready workers. */
export type SpecialNode = 'tainted' | 'cordoned' | 'NotReady' | 'Unknown';

const REGION = 'eu-west-1';
export const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
export const KUBELET_VERSIONS = ['v1.31.4', 'v1.31.4', 'v1.31.4', 'v1.31.3'];
/**
 * The first is the control planes'. Workers are large enough, and run enough pods (EKS's
 * max-pods with prefix delegation: 110 below 30 vCPUs, 250 above), that the scenario's
 * densest sizes (100 pods a node) fit their requests in allocatable.
 */
export const INSTANCE_TYPES = [
  { type: 'm6i.4xlarge', cpu: '16', allocatable: '15890m', memoryKi: 65_842_000, pods: '110', arch: 'amd64' },
  {
    type: 'm6i.8xlarge',
    cpu: '32',
    allocatable: '31850m',
    memoryKi: 131_631_120,
    pods: '250',
    arch: 'amd64',
  },
  {
    type: 'm6i.16xlarge',
    cpu: '64',
    allocatable: '63770m',
    memoryKi: 263_570_400,
    pods: '250',
    arch: 'amd64',
  },
  {
    type: 'm7g.8xlarge',
    cpu: '32',
    allocatable: '31850m',
    memoryKi: 130_459_640,
    pods: '250',
    arch: 'arm64',
  },
] as const;
export type InstanceType = (typeof INSTANCE_TYPES)[number];

export function nodeImages(arch: string): readonly Json[] {
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

export function nodeLabels(
  name: string,
  zone: string,
  instance: InstanceType,
  controlPlane: boolean,
  kind: SpecialNode | undefined,
): Record<string, string> {
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
  return labels;
}

/** The kubelet's nodeInfo, its ids drawn from the PRNG. */
export function nodeInfo(random: RandomFn, arch: string, kubeletVersion: string): Json {
  return {
    machineID: randomHex(random, 32),
    systemUUID: `ec2${randomHex(random, 5)}-${randomHex(random, 4)}-${randomHex(random, 4)}-${randomHex(random, 4)}-${randomHex(random, 12)}`,
    bootID: randomUid(random),
    kernelVersion: arch === 'arm64' ? '6.1.115-126.197.amzn2023.aarch64' : '6.1.115-126.197.amzn2023.x86_64',
    osImage: 'Amazon Linux 2023.6.20241121',
    containerRuntimeVersion: pick(random, ['containerd://1.7.23', 'containerd://1.7.22']),
    kubeletVersion,
    kubeProxyVersion: kubeletVersion,
    operatingSystem: 'linux',
    architecture: arch,
  };
}
