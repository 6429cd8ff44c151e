/**
 * What the authorisation tests share: the gateway's answers with `nodes` on connections,
 * the simulator's API as its admin, and bindings to ClusterRoles made through it.
 */
import type { Harness } from '../helpers/harness.js';
import { simFetch } from '../helpers/harness.js';

// biome-ignore lint/suspicious/noExplicitAny: GraphQL answers are open-ended JSON
type Json = any;

/**
 * Relay connections as lists: every `{ edges: [{ node }] }` in an answer also gets
 * `nodes`, so assertions read `pods.nodes` (the schema has edges only, as Relay wants).
 */
export function withNodes(value: Json): Json {
  if (Array.isArray(value)) return value.map(withNodes);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) out[k] = withNodes(v);
  if (Array.isArray(out.edges) && !('nodes' in out)) out.nodes = out.edges.map((e: Json) => e?.node);
  return out;
}

/** Queries through the gateway, its connections given `nodes` too. */
export function gatewayQuery(h: () => Harness) {
  return async (
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) => withNodes(await h().query<Json>(query, variables, headers));
}

/** A request to the simulator's API as its admin; the status code (the body is read and dropped). */
export async function simApi(h: Harness, method: string, path: string, body?: object): Promise<number> {
  const res = await simFetch(h.sim, path, {
    method,
    body: body ? JSON.stringify(body) : undefined,
    headers: { 'content-type': 'application/json' },
  });
  await res.text();
  return res.status;
}

/** Creates through the simulator's API; fails with the server's answer unless 201. */
export async function simCreate(h: Harness, path: string, body: object): Promise<void> {
  const res = await simFetch(h.sim, path, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  await res.text();
}

export const RBAC_API = '/apis/rbac.authorization.k8s.io/v1';

/** A subject of a binding: a user or group by name, or a service account. */
export const userSubject = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name });
export const groupSubject = (name: string) => ({
  apiGroup: 'rbac.authorization.k8s.io',
  kind: 'Group',
  name,
});

/** A RoleBinding in `namespace`, or with no namespace a ClusterRoleBinding, to a ClusterRole. */
export function bindClusterRole(
  h: Harness,
  binding: { name: string; namespace?: string; clusterRole: string; subjects: object[] },
): Promise<void> {
  const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: binding.clusterRole };
  const kind = binding.namespace ? 'RoleBinding' : 'ClusterRoleBinding';
  const path = binding.namespace
    ? `${RBAC_API}/namespaces/${binding.namespace}/rolebindings`
    : `${RBAC_API}/clusterrolebindings`;
  return simCreate(h, path, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name: binding.name, ...(binding.namespace ? { namespace: binding.namespace } : {}) },
    roleRef,
    subjects: binding.subjects,
  });
}
