/**
 * Legacy discovery documents (/api, /apis, /api/v1, /apis/GROUP, /apis/GROUP/VERSION) and
 * /version. kubectl 1.33 asks for aggregated discovery first and falls back to these when the
 * answer is plain application/json, so these are all a client needs.
 */
import { METRICS_API_GROUP, METRICS_GROUP, METRICS_RESOURCE_LIST, METRICS_VERSION } from './metrics-api.js';
import { REVIEWS } from './rbac/reviews.js';
import { type ApiGroup, RESOURCES, type ResourceInfo, type ResourceName } from './types.js';

/** The named groups, in the order kube-apiserver lists them. */
const GROUPS = [
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'batch',
  'rbac.authorization.k8s.io',
  'coordination.k8s.io',
] as const;
type NamedGroup = (typeof GROUPS)[number];

function apiGroup(name: NamedGroup) {
  const version = { groupVersion: `${name}/v1`, version: 'v1' };
  return { name, versions: [version], preferredVersion: version };
}

/** The Kubernetes version reported. kubectl's dispatcher picks its own minor 27..33 from it. */
export const SIMULATED_VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.4-kubegate-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.22.10',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
/** The kinds with a status subresource. */
export const WITH_STATUS = new Set<ResourceName>(['pods', 'nodes', 'jobs', 'namespaces', 'daemonsets']);

function apiResource(info: ResourceInfo) {
  return {
    name: info.name,
    singularName: info.singularName,
    namespaced: info.namespaced,
    kind: info.kind,
    verbs: VERBS,
    ...(info.shortNames.length ? { shortNames: info.shortNames } : {}),
    ...(info.categories.length ? { categories: info.categories } : {}),
    storageVersionHash: Buffer.from(info.name).toString('base64').slice(0, 11),
  };
}

function statusSubresource(info: ResourceInfo) {
  return {
    name: `${info.name}/status`,
    singularName: '',
    namespaced: info.namespaced,
    kind: info.kind,
    verbs: ['get', 'patch', 'update'],
  };
}

export function resourcesOf(group: ApiGroup): ResourceInfo[] {
  return (Object.keys(RESOURCES) as ResourceName[]).map((n) => RESOURCES[n]).filter((r) => r.group === group);
}

/**
 * pods/eviction as kube-apiserver lists it: create-only, of kind policy/v1 Eviction. kubectl
 * drain looks for it here (CheckEvictionSupport) and deletes pods instead when it is absent.
 */
const EVICTION = {
  name: 'pods/eviction',
  singularName: '',
  namespaced: true,
  group: 'policy',
  version: 'v1',
  kind: 'Eviction',
  verbs: ['create'],
};

/** pods/log: get only, of kind Pod (the subresource kube-apiserver lists for `kubectl logs`). */
const LOG = { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] };

function resourceList(group: NamedGroup | '') {
  const stored = resourcesOf(group as ApiGroup).flatMap((r) => [
    apiResource(r),
    ...(r.name === 'pods' ? [EVICTION, LOG] : []),
    ...(WITH_STATUS.has(r.name) ? [statusSubresource(r)] : []),
  ]);
  // The reviews are create-only and never stored.
  const reviews = REVIEWS.filter((r) => r.group === group).map((r) => ({
    name: r.resource,
    singularName: r.resource.slice(0, -1),
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: ['create'],
  }));
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/v1` : 'v1',
    resources: [...stored, ...reviews],
  };
}

export interface DiscoveryOptions {
  /** metrics.k8s.io is served (as when metrics-server's APIService is registered): listed last, as aggregated groups are. */
  metrics: boolean;
}

export function discoveryDocument(
  path: string,
  options: DiscoveryOptions = { metrics: false },
): unknown | undefined {
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (path === '/apis')
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...GROUPS.map(apiGroup), ...(options.metrics ? [METRICS_API_GROUP] : [])],
    };
  if (options.metrics && path === `/apis/${METRICS_GROUP}`)
    return { kind: 'APIGroup', apiVersion: 'v1', ...METRICS_API_GROUP };
  if (options.metrics && path === `/apis/${METRICS_GROUP}/${METRICS_VERSION}`) return METRICS_RESOURCE_LIST;
  if (path === '/api/v1') return resourceList('');
  if (path === '/version') return SIMULATED_VERSION;
  const [, apis, group, version, ...rest] = path.split('/');
  if (apis !== 'apis' || rest.length || !GROUPS.includes(group as NamedGroup)) return undefined;
  if (version === undefined) return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group as NamedGroup) };
  return version === 'v1' ? resourceList(group as NamedGroup) : undefined;
}
