/**
 * The scenario's nodes: cloud-shaped (zones, instance types, providerIDs), mostly Ready,
 * a few tainted, cordoned or gone, and the slots the scenario places pods on.
 */
import { quantityValue } from '../resources.js';
import type { KubeObject } from '../types.js';
import type { Json } from './json.js';
import { fieldsOf, managedEntry, NO_FIELDS } from './managed-fields.js';
import { nodeConditions, readinessTaints } from './node-conditions.js';
import {
  INSTANCE_TYPES,
  KUBELET_VERSIONS,
  nodeImages,
  nodeInfo,
  nodeLabels,
  type SpecialNode,
  ZONES,
} from './node-parts.js';
import {
  DAY,
  HOUR,
  isoTime,
  MINUTE,
  pick,
  type RandomFn,
  randomHex,
  randomInt,
  randomUid,
  SECOND,
} from './random.js';

/** What the scenario needs of a node to place pods on it. */
export interface NodeSlot {
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
  /** What is left of allocatable as pods are placed (millicores, bytes, pods). */
  room: { milliCpu: number; memory: number; pods: number };
}

/** A few workers (from eight on) are tainted, cordoned, NotReady or Unknown, as in any real cluster. */
function specialNodes(random: RandomFn, controlPlanes: number, workers: number): Map<number, SpecialNode> {
  const few = (fraction: number) => (workers >= 8 ? Math.max(1, Math.round(workers * fraction)) : 0);
  const special = new Map<number, SpecialNode>();
  const mark = (n: number, kind: SpecialNode) => {
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
  return special;
}

/**
 * `count` nodes across three zones (three control-plane nodes from five nodes on), with
 * their slots for placing pods. Node i's IP and pod CIDR follow from i.
 */
export function buildNodes(
  random: RandomFn,
  count: number,
  nowMs: number,
  clusterBorn: number,
): { slots: NodeSlot[]; objects: KubeObject[] } {
  const controlPlanes = count >= 5 ? 3 : 1;
  const special = specialNodes(random, controlPlanes, count - controlPlanes);

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
    const labels = nodeLabels(name, zone, instance, controlPlane, kind);
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
        pods: instance.pods,
      },
      allocatable: {
        cpu: instance.allocatable,
        'ephemeral-storage': '95551679124',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: `${memoryKi - 1_458_132}Ki`,
        pods: instance.pods,
      },
      conditions: nodeConditions(ready, heartbeatIso, createdIso, lostIso),
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: nodeInfo(random, instance.arch, kubeletVersion),
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
      room: {
        milliCpu: Math.round(quantityValue(instance.allocatable) * 1000),
        memory: (memoryKi - 1_458_132) * 1024,
        pods: Number(instance.pods),
      },
    });
  }
  return { slots, objects };
}

/** Pod IPs from the node's /24, then from a spill range once a node is overfull. */
export class PodIPAllocator {
  private spill = 0;

  next(node: NodeSlot): string {
    node.podIPs += 1;
    if (node.podIPs <= 250) return `${node.cidrPrefix}${node.podIPs + 3}`;
    this.spill += 1;
    const spill = this.spill;
    return `100.${64 + ((spill >> 16) & 63)}.${(spill >> 8) & 255}.${spill & 255}`;
  }
}
