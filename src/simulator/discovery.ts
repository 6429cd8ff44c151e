/**
 * Legacy discovery documents (/api, /apis, /api/v1, /apis/batch/v1,
 * /apis/coordination.k8s.io/v1) and /version.
 * kubectl 1.33 asks for aggregated discovery first and falls back to these when the
 * answer is plain application/json, so these are all a client needs.
 */
import { type ApiGroup, RESOURCES, type ResourceInfo, type ResourceName } from './types.js';

/** The named groups, in the order kube-apiserver lists them (batch before coordination). */
const GROUPS = ['batch', 'coordination.k8s.io'] as const;

function apiGroup(name: (typeof GROUPS)[number]) {
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

export function discoveryDocument(path: string): unknown | undefined {
  switch (path) {
    case '/api':
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    case '/apis':
      return { kind: 'APIGroupList', apiVersion: 'v1', groups: GROUPS.map(apiGroup) };
    case '/apis/batch':
    case '/apis/coordination.k8s.io':
      return {
        kind: 'APIGroup',
        apiVersion: 'v1',
        ...apiGroup(path === '/apis/batch' ? 'batch' : 'coordination.k8s.io'),
      };
    case '/api/v1':
    case '/apis/batch/v1':
    case '/apis/coordination.k8s.io/v1': {
      const group: ApiGroup =
        path === '/api/v1' ? '' : path === '/apis/batch/v1' ? 'batch' : 'coordination.k8s.io';
      const resources = resourcesOf(group).flatMap((r) =>
        r.name === 'pods' || r.name === 'nodes' || r.name === 'jobs' || r.name === 'namespaces'
          ? [apiResource(r), statusSubresource(r)]
          : [apiResource(r)],
      );
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: group ? `${group}/v1` : 'v1',
        resources,
      };
    }
    case '/version':
      return SIMULATED_VERSION;
    default:
      return undefined;
  }
}
