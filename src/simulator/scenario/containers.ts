/**
 * Container building blocks: probes, downward-API env entries, requests and limits, and
 * containers with the API server's defaults. Everything reusable is frozen and memoised,
 * so that pods (and their managedFields) can share it.
 */
import { deepFreeze, EMPTY_OBJECT, type Json } from './json.js';
import { type RandomFn, randomInt } from './random.js';

/** Modest, as teams size pods that run a hundred to a node; the scenario's nodes hold them all. */
export const CPU_STEPS = ['50m', '100m', '250m', '500m', '1'];
export const MEMORY_STEPS = ['64Mi', '128Mi', '256Mi', '512Mi', '1Gi', '2Gi'];

export const CONTAINER_SECURITY = deepFreeze({
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
});

function fieldEnv(name: string, fieldPath: string): Json {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

export const ENV_POD_NAME = deepFreeze(fieldEnv('POD_NAME', 'metadata.name'));
export const ENV_POD_NAMESPACE = deepFreeze(fieldEnv('POD_NAMESPACE', 'metadata.namespace'));
export const ENV_POD_IP = deepFreeze(fieldEnv('POD_IP', 'status.podIP'));
export const ENV_NODE_NAME = deepFreeze(fieldEnv('NODE_NAME', 'spec.nodeName'));
export const ENV_OTEL = deepFreeze({
  name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  value: 'http://otel-collector.observability.svc:4317',
});

export function httpProbe(path: string, port: number | string, extra: Json = {}): Json {
  return {
    httpGet: { path, port, scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
    ...extra,
  };
}

export function execProbe(command: string[], extra: Json = {}): Json {
  return {
    exec: { command },
    timeoutSeconds: 5,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
    ...extra,
  };
}

export function tcpProbe(port: number, extra: Json = {}): Json {
  return {
    tcpSocket: { port },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
    ...extra,
  };
}

const resourceMemo = new Map<string, Json>();
export function resources(requests?: [string, string], limits?: [string | undefined, string]): Json {
  const key = `${requests?.join()}|${limits?.join()}`;
  let out = resourceMemo.get(key);
  if (!out) {
    const r: Json = {};
    if (limits) r.limits = limits[0] ? { cpu: limits[0], memory: limits[1] } : { memory: limits[1] };
    if (requests) r.requests = { cpu: requests[0], memory: requests[1] };
    out = deepFreeze(r);
    resourceMemo.set(key, out);
  }
  return out;
}

/** Requests and limits in the mix real teams write: mostly Burstable, some Guaranteed, a few BestEffort. */
export function randomResources(random: RandomFn, scale = 0): Json {
  const roll = random();
  if (roll < 0.05) return EMPTY_OBJECT;
  const cpuIndex = Math.min(CPU_STEPS.length - 1, randomInt(random, 3) + scale);
  const memIndex = Math.min(MEMORY_STEPS.length - 1, randomInt(random, 4) + scale);
  const requests: [string, string] = [CPU_STEPS[cpuIndex], MEMORY_STEPS[memIndex]];
  if (roll < 0.2) return resources(requests, [requests[0], requests[1]]);
  const memLimit = MEMORY_STEPS[Math.min(MEMORY_STEPS.length - 1, memIndex + 1)];
  const cpuLimit = random() < 0.5 ? undefined : CPU_STEPS[Math.min(CPU_STEPS.length - 1, cpuIndex + 1)];
  return resources(requests, [cpuLimit, memLimit]);
}

interface ContainerParts {
  name: string;
  image: string;
  command?: readonly string[];
  args?: readonly string[];
  ports?: readonly Json[];
  env?: readonly Json[];
  resources?: Json;
  restartPolicy?: string;
  volumeMounts?: readonly Json[];
  livenessProbe?: Json;
  readinessProbe?: Json;
  startupProbe?: Json;
  securityContext?: Json;
  imagePullPolicy?: string;
}

/** A container with the API server's defaults, keys in the order the API server writes them. */
export function container(p: ContainerParts): Json {
  const c: Json = { name: p.name, image: p.image };
  if (p.command) c.command = p.command;
  if (p.args) c.args = p.args;
  if (p.ports && p.ports.length > 0) c.ports = p.ports;
  if (p.env && p.env.length > 0) c.env = p.env;
  c.resources = p.resources ?? EMPTY_OBJECT;
  if (p.restartPolicy) c.restartPolicy = p.restartPolicy;
  if (p.volumeMounts && p.volumeMounts.length > 0) c.volumeMounts = p.volumeMounts;
  if (p.livenessProbe) c.livenessProbe = p.livenessProbe;
  if (p.readinessProbe) c.readinessProbe = p.readinessProbe;
  if (p.startupProbe) c.startupProbe = p.startupProbe;
  c.terminationMessagePath = '/dev/termination-log';
  c.terminationMessagePolicy = 'File';
  c.imagePullPolicy = p.imagePullPolicy ?? (p.image.endsWith(':latest') ? 'Always' : 'IfNotPresent');
  if (p.securityContext) c.securityContext = p.securityContext;
  return c;
}
