/**
 * Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`),
 * read into their JSON shape, for the kinds clients send that way: kubectl 1.32 and later
 * send `create job`, `create namespace` and the Evictions of `drain` as protobuf, and so does
 * any client-go program configured for it.
 *
 * A body is the `k8s\0` envelope around a runtime.Unknown (typeMeta 1, raw 2); `raw` is the
 * object's message. The messages below list, per field number, the JSON name and how to read
 * it (the numbers of k8s.io/api's generated.proto and apimachinery's meta/v1): Namespace, Pod
 * and Job with the pod spec's usual parts, policy/v1 Eviction and meta/v1 DeleteOptions. A
 * field the table does not know is refused (415, naming message and field) rather than
 * dropped: a body is stored as sent or not at all.
 *
 * Scalars that are not pointers in Go are always written by the generated marshallers, zero
 * values included; JSON omits them (`omitempty`), so zero values of those are dropped. Fields
 * marked `*` are pointers upstream, where a zero is meaningful (`parallelism: 0`), and kept.
 */
import { fields, type ProtoField, protobufRaw } from './options.js';
import { StoreError } from './store.js';

type Json = Record<string, unknown>;

/**
 * How a field is read: `s`/`i`/`b` string, integer, bool (zero dropped); `*s`/`*i`/`*b` the same
 * kept when zero; `S`/`I` repeated strings and integers; `m:T`/`M:T` a message and repeated
 * messages; `^T` a message whose fields are inlined into the parent (Go's embedded structs:
 * a Volume's source, a Probe's handler, LocalObjectReference); `map` map<string,string>;
 * `qmap` map<string,Quantity>; `q` Quantity; `t` Time; `ios` IntOrString; `-` ignored
 * (what the server resets on create: status, managedFields).
 */
type FieldSpec = string;
type MessageSpec = Record<number, FieldSpec>;

const LABEL_SELECTOR: MessageSpec = {
  1: 'matchLabels:map',
  2: 'matchExpressions:M:LabelSelectorRequirement',
};

const MESSAGES: Record<string, MessageSpec> = {
  // meta/v1
  ObjectMeta: {
    1: 'name:s',
    2: 'generateName:s',
    3: 'namespace:s',
    4: 'selfLink:s',
    5: 'uid:s',
    6: 'resourceVersion:s',
    7: 'generation:i',
    8: 'creationTimestamp:t',
    9: 'deletionTimestamp:t',
    10: 'deletionGracePeriodSeconds:*i',
    11: 'labels:map',
    12: 'annotations:map',
    13: 'ownerReferences:M:OwnerReference',
    14: 'finalizers:S',
    17: 'managedFields:-',
  },
  OwnerReference: {
    1: 'kind:s',
    3: 'name:s',
    4: 'uid:s',
    5: 'apiVersion:s',
    6: 'controller:*b',
    7: 'blockOwnerDeletion:*b',
  },
  LabelSelector: LABEL_SELECTOR,
  LabelSelectorRequirement: { 1: 'key:s', 2: 'operator:s', 3: 'values:S' },
  DeleteOptions: {
    1: 'gracePeriodSeconds:*i',
    2: 'preconditions:m:Preconditions',
    3: 'orphanDependents:*b',
    4: 'propagationPolicy:*s',
    5: 'dryRun:S',
    6: 'ignoreStoreReadErrorWithClusterBreakingPotential:*b',
  },
  Preconditions: { 1: 'uid:*s', 2: 'resourceVersion:*s' },

  // policy/v1 (and v1beta1, the same message)
  Eviction: { 1: 'metadata:m:ObjectMeta', 2: 'deleteOptions:m:DeleteOptions' },

  // core/v1
  Namespace: { 1: 'metadata:m:ObjectMeta', 2: 'spec:m:NamespaceSpec', 3: 'status:-' },
  NamespaceSpec: { 1: 'finalizers:S' },
  Pod: { 1: 'metadata:m:ObjectMeta', 2: 'spec:m:PodSpec', 3: 'status:-' },
  PodTemplateSpec: { 1: 'metadata:m:ObjectMeta', 2: 'spec:m:PodSpec' },
  PodSpec: {
    1: 'volumes:M:Volume',
    2: 'containers:M:Container',
    3: 'restartPolicy:s',
    4: 'terminationGracePeriodSeconds:*i',
    5: 'activeDeadlineSeconds:*i',
    6: 'dnsPolicy:s',
    7: 'nodeSelector:map',
    8: 'serviceAccountName:s',
    9: 'serviceAccount:s',
    10: 'nodeName:s',
    11: 'hostNetwork:b',
    12: 'hostPID:b',
    13: 'hostIPC:b',
    14: 'securityContext:m:PodSecurityContext',
    15: 'imagePullSecrets:M:LocalObjectReference',
    16: 'hostname:s',
    17: 'subdomain:s',
    18: 'affinity:m:Affinity',
    19: 'schedulerName:s',
    20: 'initContainers:M:Container',
    21: 'automountServiceAccountToken:*b',
    22: 'tolerations:M:Toleration',
    23: 'hostAliases:M:HostAlias',
    24: 'priorityClassName:s',
    25: 'priority:*i',
    26: 'dnsConfig:m:PodDNSConfig',
    27: 'shareProcessNamespace:*b',
    28: 'readinessGates:M:PodReadinessGate',
    29: 'runtimeClassName:*s',
    30: 'enableServiceLinks:*b',
    31: 'preemptionPolicy:*s',
    32: 'overhead:qmap',
    33: 'topologySpreadConstraints:M:TopologySpreadConstraint',
    35: 'setHostnameAsFQDN:*b',
    36: 'os:m:PodOS',
    37: 'hostUsers:*b',
    38: 'schedulingGates:M:PodSchedulingGate',
  },
  Container: {
    1: 'name:s',
    2: 'image:s',
    3: 'command:S',
    4: 'args:S',
    5: 'workingDir:s',
    6: 'ports:M:ContainerPort',
    7: 'env:M:EnvVar',
    8: 'resources:m:ResourceRequirements',
    9: 'volumeMounts:M:VolumeMount',
    10: 'livenessProbe:m:Probe',
    11: 'readinessProbe:m:Probe',
    12: 'lifecycle:m:Lifecycle',
    13: 'terminationMessagePath:s',
    14: 'imagePullPolicy:s',
    15: 'securityContext:m:SecurityContext',
    16: 'stdin:b',
    17: 'stdinOnce:b',
    18: 'tty:b',
    19: 'envFrom:M:EnvFromSource',
    20: 'terminationMessagePolicy:s',
    22: 'startupProbe:m:Probe',
    23: 'resizePolicy:M:ContainerResizePolicy',
    24: 'restartPolicy:*s',
  },
  ContainerPort: { 1: 'name:s', 2: 'hostPort:i', 3: 'containerPort:i', 4: 'protocol:s', 5: 'hostIP:s' },
  ContainerResizePolicy: { 1: 'resourceName:s', 2: 'restartPolicy:s' },
  EnvVar: { 1: 'name:s', 2: 'value:s', 3: 'valueFrom:m:EnvVarSource' },
  EnvVarSource: {
    1: 'fieldRef:m:ObjectFieldSelector',
    2: 'resourceFieldRef:m:ResourceFieldSelector',
    3: 'configMapKeyRef:m:ConfigMapKeySelector',
    4: 'secretKeyRef:m:SecretKeySelector',
  },
  ObjectFieldSelector: { 1: 'apiVersion:s', 2: 'fieldPath:s' },
  ResourceFieldSelector: { 1: 'containerName:s', 2: 'resource:s', 3: 'divisor:q' },
  ConfigMapKeySelector: { 1: '^LocalObjectReference', 2: 'key:s', 3: 'optional:*b' },
  SecretKeySelector: { 1: '^LocalObjectReference', 2: 'key:s', 3: 'optional:*b' },
  EnvFromSource: { 1: 'prefix:s', 2: 'configMapRef:m:ConfigMapEnvSource', 3: 'secretRef:m:SecretEnvSource' },
  ConfigMapEnvSource: { 1: '^LocalObjectReference', 2: 'optional:*b' },
  SecretEnvSource: { 1: '^LocalObjectReference', 2: 'optional:*b' },
  LocalObjectReference: { 1: 'name:s' },
  ResourceRequirements: { 1: 'limits:qmap', 2: 'requests:qmap', 3: 'claims:M:ResourceClaim' },
  ResourceClaim: { 1: 'name:s', 2: 'request:s' },
  VolumeMount: {
    1: 'name:s',
    2: 'readOnly:b',
    3: 'mountPath:s',
    4: 'subPath:s',
    5: 'mountPropagation:*s',
    6: 'subPathExpr:s',
    7: 'recursiveReadOnly:*s',
  },
  Probe: {
    1: '^ProbeHandler',
    2: 'initialDelaySeconds:i',
    3: 'timeoutSeconds:i',
    4: 'periodSeconds:i',
    5: 'successThreshold:i',
    6: 'failureThreshold:i',
    7: 'terminationGracePeriodSeconds:*i',
  },
  ProbeHandler: {
    1: 'exec:m:ExecAction',
    2: 'httpGet:m:HTTPGetAction',
    3: 'tcpSocket:m:TCPSocketAction',
    4: 'grpc:m:GRPCAction',
  },
  Lifecycle: { 1: 'postStart:m:LifecycleHandler', 2: 'preStop:m:LifecycleHandler' },
  LifecycleHandler: {
    1: 'exec:m:ExecAction',
    2: 'httpGet:m:HTTPGetAction',
    3: 'tcpSocket:m:TCPSocketAction',
    4: 'sleep:m:SleepAction',
  },
  ExecAction: { 1: 'command:S' },
  HTTPGetAction: {
    1: 'path:s',
    2: 'port:ios',
    3: 'host:s',
    4: 'scheme:s',
    5: 'httpHeaders:M:HTTPHeader',
  },
  HTTPHeader: { 1: 'name:s', 2: 'value:s' },
  TCPSocketAction: { 1: 'port:ios', 2: 'host:s' },
  GRPCAction: { 1: 'port:i', 2: 'service:*s' },
  SleepAction: { 1: 'seconds:i' },
  SecurityContext: {
    1: 'capabilities:m:Capabilities',
    2: 'privileged:*b',
    3: 'seLinuxOptions:m:SELinuxOptions',
    4: 'runAsUser:*i',
    5: 'runAsNonRoot:*b',
    6: 'readOnlyRootFilesystem:*b',
    7: 'allowPrivilegeEscalation:*b',
    8: 'runAsGroup:*i',
    9: 'procMount:*s',
    11: 'seccompProfile:m:SeccompProfile',
  },
  PodSecurityContext: {
    1: 'seLinuxOptions:m:SELinuxOptions',
    2: 'runAsUser:*i',
    3: 'runAsNonRoot:*b',
    4: 'supplementalGroups:I',
    5: 'fsGroup:*i',
    6: 'runAsGroup:*i',
    7: 'sysctls:M:Sysctl',
    9: 'fsGroupChangePolicy:*s',
    10: 'seccompProfile:m:SeccompProfile',
  },
  Capabilities: { 1: 'add:S', 2: 'drop:S' },
  SELinuxOptions: { 1: 'user:s', 2: 'role:s', 3: 'type:s', 4: 'level:s' },
  SeccompProfile: { 1: 'type:s', 2: 'localhostProfile:*s' },
  Sysctl: { 1: 'name:s', 2: 'value:s' },
  Toleration: { 1: 'key:s', 2: 'operator:s', 3: 'value:s', 4: 'effect:s', 5: 'tolerationSeconds:*i' },
  HostAlias: { 1: 'ip:s', 2: 'hostnames:S' },
  PodDNSConfig: { 1: 'nameservers:S', 2: 'searches:S', 3: 'options:M:PodDNSConfigOption' },
  PodDNSConfigOption: { 1: 'name:s', 2: 'value:*s' },
  PodReadinessGate: { 1: 'conditionType:s' },
  PodOS: { 1: 'name:s' },
  PodSchedulingGate: { 1: 'name:s' },
  Affinity: {
    1: 'nodeAffinity:m:NodeAffinity',
    2: 'podAffinity:m:PodAffinity',
    3: 'podAntiAffinity:m:PodAffinity',
  },
  NodeAffinity: {
    1: 'requiredDuringSchedulingIgnoredDuringExecution:m:NodeSelector',
    2: 'preferredDuringSchedulingIgnoredDuringExecution:M:PreferredSchedulingTerm',
  },
  NodeSelector: { 1: 'nodeSelectorTerms:M:NodeSelectorTerm' },
  NodeSelectorTerm: {
    1: 'matchExpressions:M:NodeSelectorRequirement',
    2: 'matchFields:M:NodeSelectorRequirement',
  },
  NodeSelectorRequirement: { 1: 'key:s', 2: 'operator:s', 3: 'values:S' },
  PreferredSchedulingTerm: { 1: 'weight:i', 2: 'preference:m:NodeSelectorTerm' },
  PodAffinity: {
    1: 'requiredDuringSchedulingIgnoredDuringExecution:M:PodAffinityTerm',
    2: 'preferredDuringSchedulingIgnoredDuringExecution:M:WeightedPodAffinityTerm',
  },
  PodAffinityTerm: {
    1: 'labelSelector:m:LabelSelector',
    2: 'namespaces:S',
    3: 'topologyKey:s',
    4: 'namespaceSelector:m:LabelSelector',
    5: 'matchLabelKeys:S',
    6: 'mismatchLabelKeys:S',
  },
  WeightedPodAffinityTerm: { 1: 'weight:i', 2: 'podAffinityTerm:m:PodAffinityTerm' },
  TopologySpreadConstraint: {
    1: 'maxSkew:i',
    2: 'topologyKey:s',
    3: 'whenUnsatisfiable:s',
    4: 'labelSelector:m:LabelSelector',
    5: 'minDomains:*i',
    6: 'nodeAffinityPolicy:*s',
    7: 'nodeTaintsPolicy:*s',
    8: 'matchLabelKeys:S',
  },
  Volume: { 1: 'name:s', 2: '^VolumeSource' },
  VolumeSource: {
    1: 'hostPath:m:HostPathVolumeSource',
    2: 'emptyDir:m:EmptyDirVolumeSource',
    6: 'secret:m:SecretVolumeSource',
    10: 'persistentVolumeClaim:m:PersistentVolumeClaimVolumeSource',
    16: 'downwardAPI:m:DownwardAPIVolumeSource',
    19: 'configMap:m:ConfigMapVolumeSource',
    26: 'projected:m:ProjectedVolumeSource',
  },
  HostPathVolumeSource: { 1: 'path:s', 2: 'type:*s' },
  EmptyDirVolumeSource: { 1: 'medium:s', 2: 'sizeLimit:q' },
  SecretVolumeSource: { 1: 'secretName:s', 2: 'items:M:KeyToPath', 3: 'defaultMode:*i', 4: 'optional:*b' },
  ConfigMapVolumeSource: {
    1: '^LocalObjectReference',
    2: 'items:M:KeyToPath',
    3: 'defaultMode:*i',
    4: 'optional:*b',
  },
  KeyToPath: { 1: 'key:s', 2: 'path:s', 3: 'mode:*i' },
  PersistentVolumeClaimVolumeSource: { 1: 'claimName:s', 2: 'readOnly:b' },
  DownwardAPIVolumeSource: { 1: 'items:M:DownwardAPIVolumeFile', 2: 'defaultMode:*i' },
  DownwardAPIVolumeFile: {
    1: 'path:s',
    2: 'fieldRef:m:ObjectFieldSelector',
    3: 'resourceFieldRef:m:ResourceFieldSelector',
    4: 'mode:*i',
  },
  ProjectedVolumeSource: { 1: 'sources:M:VolumeProjection', 2: 'defaultMode:*i' },
  VolumeProjection: {
    1: 'secret:m:SecretProjection',
    2: 'downwardAPI:m:DownwardAPIProjection',
    3: 'configMap:m:ConfigMapProjection',
    4: 'serviceAccountToken:m:ServiceAccountTokenProjection',
  },
  SecretProjection: { 1: '^LocalObjectReference', 2: 'items:M:KeyToPath', 4: 'optional:*b' },
  ConfigMapProjection: { 1: '^LocalObjectReference', 2: 'items:M:KeyToPath', 4: 'optional:*b' },
  DownwardAPIProjection: { 1: 'items:M:DownwardAPIVolumeFile' },
  ServiceAccountTokenProjection: { 1: 'audience:s', 2: 'expirationSeconds:*i', 3: 'path:s' },

  // batch/v1
  Job: { 1: 'metadata:m:ObjectMeta', 2: 'spec:m:JobSpec', 3: 'status:-' },
  JobSpec: {
    1: 'parallelism:*i',
    2: 'completions:*i',
    3: 'activeDeadlineSeconds:*i',
    4: 'selector:m:LabelSelector',
    5: 'manualSelector:*b',
    6: 'template:m:PodTemplateSpec',
    7: 'backoffLimit:*i',
    8: 'ttlSecondsAfterFinished:*i',
    9: 'completionMode:*s',
    10: 'suspend:*b',
    11: 'podFailurePolicy:m:PodFailurePolicy',
    12: 'backoffLimitPerIndex:*i',
    13: 'maxFailedIndexes:*i',
    14: 'podReplacementPolicy:*s',
    15: 'managedBy:*s',
    16: 'successPolicy:m:SuccessPolicy',
  },
  PodFailurePolicy: { 1: 'rules:M:PodFailurePolicyRule' },
  PodFailurePolicyRule: {
    1: 'action:s',
    2: 'onExitCodes:m:PodFailurePolicyOnExitCodesRequirement',
    3: 'onPodConditions:M:PodFailurePolicyOnPodConditionsPattern',
  },
  PodFailurePolicyOnExitCodesRequirement: { 1: 'containerName:*s', 2: 'operator:s', 3: 'values:I' },
  PodFailurePolicyOnPodConditionsPattern: { 1: 'type:s', 2: 'status:s' },
  SuccessPolicy: { 1: 'rules:M:SuccessPolicyRule' },
  SuccessPolicyRule: { 1: 'succeededIndexes:*s', 2: 'succeededCount:*i' },
};

/** The kinds whose bodies are read, by the kind their envelope names. */
const KINDS = new Set(['Namespace', 'Pod', 'Job', 'Eviction', 'DeleteOptions']);

export class ProtobufError extends StoreError {
  constructor(message: string) {
    super(415, 'UnsupportedMediaType', message);
  }
}

const text = (f: ProtoField) => f.bytes?.toString('utf8') ?? '';
const int = (f: ProtoField) => Number(BigInt.asIntN(64, f.varint ?? 0n));

/**
 * meta/v1 Time: seconds and nanos since the epoch, as RFC 3339 with seconds; undefined for
 * the zero time (marshalled as an empty message, `null` in JSON).
 */
function time(buf: Buffer): string | undefined {
  const f = fields(buf);
  const seconds = f.find((x) => x.no === 1)?.varint;
  if (!seconds) return undefined;
  return new Date(Number(BigInt.asIntN(64, seconds)) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function quantity(buf: Buffer): string {
  const s = fields(buf).find((x) => x.no === 1);
  return s ? text(s) : '';
}

/** intstr.IntOrString: type (0 int, 1 string), intVal, strVal. */
function intOrString(buf: Buffer): number | string {
  const f = fields(buf);
  const type = f.find((x) => x.no === 1)?.varint ?? 0n;
  if (type === 1n) {
    const s = f.find((x) => x.no === 3);
    return s ? text(s) : '';
  }
  const i = f.find((x) => x.no === 2);
  return i ? int(i) : 0;
}

function mapEntry(entry: Buffer, value: (f: ProtoField) => unknown): [string, unknown] {
  const parts = fields(entry);
  const key = parts.find((x) => x.no === 1);
  const v = parts.find((x) => x.no === 2);
  return [key ? text(key) : '', v ? value(v) : ''];
}

/** Varints of a repeated integer field, packed (one length-delimited run) or not. */
function ints(f: ProtoField): number[] {
  if (f.varint !== undefined) return [int(f)];
  const out: number[] = [];
  const buf = f.bytes ?? Buffer.alloc(0);
  let pos = 0;
  while (pos < buf.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
      shift += 7n;
    }
    out.push(Number(BigInt.asIntN(64, result)));
  }
  return out;
}

function decodeMessage(buf: Buffer, type: string, path: string): Json {
  const spec = MESSAGES[type];
  const out: Json = {};
  for (const f of fields(buf)) {
    const field = spec[f.no];
    if (field === undefined) {
      throw new ProtobufError(
        `the simulator does not read field ${f.no} of ${type} (${path || 'the object'}) in a protobuf body; send it as application/json`,
      );
    }
    if (field.startsWith('^')) {
      // An embedded struct: its fields are the parent's in JSON.
      Object.assign(out, decodeMessage(f.bytes ?? Buffer.alloc(0), field.slice(1), path));
      continue;
    }
    const colon = field.indexOf(':');
    const name = field.slice(0, colon);
    const kind = field.slice(colon + 1);
    const at = path ? `${path}.${name}` : name;
    const bytes = f.bytes ?? Buffer.alloc(0);
    switch (kind) {
      case '-':
        break;
      case 's':
      case '*s':
        if (kind === '*s' || text(f) !== '') out[name] = text(f);
        break;
      case 'i':
      case '*i':
        if (kind === '*i' || int(f) !== 0) out[name] = int(f);
        break;
      case 'b':
      case '*b':
        if (kind === '*b' || f.varint) out[name] = f.varint !== 0n;
        break;
      case 'S':
        out[name] = [...((out[name] as string[] | undefined) ?? []), text(f)];
        break;
      case 'I':
        out[name] = [...((out[name] as number[] | undefined) ?? []), ...ints(f)];
        break;
      case 'map':
      case 'qmap': {
        const [key, value] = mapEntry(bytes, (v) =>
          kind === 'map' ? text(v) : quantity(v.bytes ?? Buffer.alloc(0)),
        );
        out[name] = { ...((out[name] as Json | undefined) ?? {}), [key]: value };
        break;
      }
      case 'q':
        out[name] = quantity(bytes);
        break;
      case 't': {
        const value = time(bytes);
        if (value !== undefined) out[name] = value;
        break;
      }
      case 'ios':
        out[name] = intOrString(bytes);
        break;
      default: {
        const [many, message] = kind.split(':');
        const value = decodeMessage(bytes, message, at);
        if (many === 'M') out[name] = [...((out[name] as Json[] | undefined) ?? []), value];
        else out[name] = value;
      }
    }
  }
  return out;
}

/**
 * Decodes a protobuf body of one of the kinds above into its JSON shape, `apiVersion` and
 * `kind` from the envelope; 415 for a kind it does not read, 400 for a body that is not the
 * envelope (ParameterError).
 */
export function decodeProtobufObject(body: Buffer, expectedKind: string): Json {
  const envelope = fields(body.subarray(0, 4).equals(Buffer.from('k8s\0')) ? body.subarray(4) : body);
  const typeMeta = envelope.find((f) => f.no === 1)?.bytes;
  const meta = typeMeta ? fields(typeMeta) : [];
  const apiVersion = meta.find((f) => f.no === 1);
  const kindField = meta.find((f) => f.no === 2);
  const kind = kindField ? text(kindField) : expectedKind;
  const raw = protobufRaw(body) ?? Buffer.alloc(0);
  if (!KINDS.has(kind) || kind !== expectedKind) {
    throw new ProtobufError(
      `the simulator reads protobuf bodies of ${[...KINDS].join(', ')}, not ${kind || 'this kind'} where ${expectedKind} is expected; send it as application/json`,
    );
  }
  const obj = decodeMessage(raw, kind, '');
  return {
    ...(apiVersion && text(apiVersion) ? { apiVersion: text(apiVersion) } : {}),
    kind,
    ...obj,
  };
}

/** Whether the simulator reads protobuf bodies of this kind. */
export function readsProtobuf(kind: string): boolean {
  return KINDS.has(kind);
}
