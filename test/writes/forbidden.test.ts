/**
 * Writes are made as the caller, so the cluster's RBAC decides them: for every mutation, a
 * user granted every write verb except the one its description names gets FORBIDDEN with
 * the API server's reason — which names that user, not the gateway (whose own credentials
 * are the cluster's admin and would have been allowed) — and kubectl shows nothing changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { requireKubectl } from '../simulator/kubectl-runner.js';
import { type Json, startWriteKit, type WriteKit } from './kit.js';

let k: WriteKit;
const NS = 'writes-forbidden';
let node: string;

const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const RESOURCES: { group: string; resource: string }[] = [
  { group: '', resource: 'pods' },
  { group: '', resource: 'pods/eviction' },
  { group: '', resource: 'nodes' },
  { group: '', resource: 'namespaces' },
  { group: 'batch', resource: 'jobs' },
];

const userOf = (verb: string, resource: string) => `lacks-${verb}-${resource.replace('/', '-')}`;

/** A user who may do everything to the writable resources except `verb` on `resource`. */
async function userLacking(verb: string, resource: string): Promise<string> {
  const user = userOf(verb, resource);
  const token = `${user}-token-0123456789`;
  const rules = RESOURCES.map((r) => ({
    apiGroups: [r.group],
    resources: [r.resource],
    verbs: r.resource === resource ? VERBS.filter((v) => v !== verb) : VERBS,
  }));
  await k.rbac.clusterRole(user, rules);
  await k.rbac.clusterRoleBinding(user, user, [{ user }]);
  return token;
}

const LACKING: [string, string][] = [
  ['delete', 'pods'],
  ['create', 'pods/eviction'],
  ['create', 'jobs'],
  ['delete', 'jobs'],
  ['patch', 'jobs'],
  ['patch', 'nodes'],
  ['patch', 'pods'],
  ['patch', 'namespaces'],
];

beforeAll(async () => {
  await requireKubectl();
  k = await startWriteKit({
    tokens: LACKING.map(([verb, resource]) => {
      const user = userOf(verb, resource);
      return { name: user, token: `${user}-token-0123456789`, user };
    }),
  });
  await k.namespace(NS);
  node = [...k.h.sim.store.scan('nodes')][0].metadata.name;
  await k.pod(NS, 'target', { labels: { tier: 'bronze' } });
  await k.rbac.create(`/apis/batch/v1/namespaces/${NS}/jobs`, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'target' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  for (const [verb, resource] of LACKING) await userLacking(verb, resource);
  // The gateway has mirrored the bindings when each user sees the cluster.
  await waitFor(async () => {
    for (const [verb, resource] of LACKING) {
      const r = await k.gql(
        '{ cluster(name: "sim") { name } }',
        {},
        `${userOf(verb, resource)}-token-0123456789`,
      );
      if (!r.data?.cluster) return false;
    }
    return true;
  }, 'the gateway to mirror the users’ bindings');
}, 60_000);

afterAll(() => k?.close(), 30_000);

/** The object as kubectl prints it, without what a read itself may vary. */
async function state(...args: string[]): Promise<Json> {
  const r = await k.kubectl.run(['get', ...args, '-o', 'json']);
  if (r.code !== 0) return /NotFound/.test(r.stderr) ? 'NotFound' : r.stderr;
  return JSON.parse(r.stdout);
}

interface Case {
  mutation: string;
  verb: string;
  resource: string;
  /** The object kubectl checks (unchanged, or still absent). */
  object: () => string[];
  operation: () => Promise<{ query: string; variables?: Record<string, unknown> }>;
}

const idOf = async (field: string) => {
  const r = await k.gql(`{ cluster(name: "sim") { ${field} { id } } }`);
  return Object.values(r.data.cluster as Record<string, { id: string }>)[0].id;
};

const CASES: Case[] = [
  {
    mutation: 'deletePod',
    verb: 'delete',
    resource: 'pods',
    object: () => ['pod', 'target', '-n', NS],
    operation: async () => ({
      query: `mutation($dryRun: Boolean) { deletePod(cluster: "sim", namespace: "${NS}", name: "target", dryRun: $dryRun) { visible } }`,
    }),
  },
  {
    mutation: 'evictPod',
    verb: 'create',
    resource: 'pods/eviction',
    object: () => ['pod', 'target', '-n', NS],
    operation: async () => ({
      query: `mutation($dryRun: Boolean) { evictPod(cluster: "sim", namespace: "${NS}", name: "target", dryRun: $dryRun) { visible } }`,
    }),
  },
  {
    mutation: 'createJob',
    verb: 'create',
    resource: 'jobs',
    object: () => ['job', 'never-made', '-n', NS],
    operation: async () => ({
      query: `mutation($dryRun: Boolean) { createJob(input: { cluster: "sim", namespace: "${NS}", name: "never-made", image: "busybox", dryRun: $dryRun }) { visible } }`,
    }),
  },
  {
    mutation: 'deleteJob',
    verb: 'delete',
    resource: 'jobs',
    object: () => ['job', 'target', '-n', NS],
    operation: async () => ({
      query: `mutation($dryRun: Boolean) { deleteJob(cluster: "sim", namespace: "${NS}", name: "target", dryRun: $dryRun) { visible } }`,
    }),
  },
  {
    mutation: 'suspendJob',
    verb: 'patch',
    resource: 'jobs',
    object: () => ['job', 'target', '-n', NS],
    operation: async () => ({
      query: `mutation($dryRun: Boolean) { suspendJob(cluster: "sim", namespace: "${NS}", name: "target", suspend: true, dryRun: $dryRun) { visible } }`,
    }),
  },
  {
    mutation: 'cordonNode',
    verb: 'patch',
    resource: 'nodes',
    object: () => ['node', node],
    operation: async () => ({
      query: `mutation($dryRun: Boolean) { cordonNode(cluster: "sim", name: "${node}", dryRun: $dryRun) { visible } }`,
    }),
  },
  {
    mutation: 'uncordonNode',
    verb: 'patch',
    resource: 'nodes',
    object: () => ['node', node],
    operation: async () => ({
      query: `mutation($dryRun: Boolean) { uncordonNode(cluster: "sim", name: "${node}", dryRun: $dryRun) { visible } }`,
    }),
  },
  {
    mutation: 'setLabels',
    verb: 'patch',
    resource: 'pods',
    object: () => ['pod', 'target', '-n', NS],
    operation: async () => ({
      query:
        'mutation($id: ID!, $dryRun: Boolean) { setLabels(id: $id, set: [{ key: "tier", value: "gold" }], dryRun: $dryRun) { visible } }',
      variables: { id: await idOf(`pod(namespace: "${NS}", name: "target")`) },
    }),
  },
  {
    mutation: 'setLabels',
    verb: 'patch',
    resource: 'namespaces',
    object: () => ['namespace', NS],
    operation: async () => ({
      query:
        'mutation($id: ID!, $dryRun: Boolean) { setLabels(id: $id, remove: ["kubernetes.io/metadata.name"], dryRun: $dryRun) { visible } }',
      variables: { id: await idOf(`namespace(name: "${NS}")`) },
    }),
  },
];

describe('a user whose RBAC lacks the verb a mutation needs', () => {
  for (const c of CASES) {
    it(`${c.mutation} without ${c.verb} on ${c.resource}: FORBIDDEN as that user, nothing changed`, async () => {
      const user = userOf(c.verb, c.resource);
      const { query, variables } = await c.operation();
      const before = await state(...c.object());
      const r = await k.gql(query, variables, `${user}-token-0123456789`);
      expect(r.data).toBeNull();
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0].extensions).toMatchObject({
        code: 'FORBIDDEN',
        cluster: 'sim',
        upstreamStatus: 403,
      });
      // The API server's own reason: the request was made as the user, not as the gateway.
      const group = c.resource === 'jobs' ? 'batch' : '';
      expect(r.errors[0].message).toContain(
        `User "${user}" cannot ${c.verb} resource "${c.resource}" in API group "${group}"`,
      );
      expect(await state(...c.object())).toEqual(before);
      expect(k.records.at(-1)).toMatchObject({
        mutation: c.mutation,
        principal: user,
        as: user,
        verb: c.verb,
        resource: c.resource,
        code: 'FORBIDDEN',
        upstreamStatus: 403,
      });
      // The cluster's own audit names the user, impersonated by the gateway's credentials.
      const [resource, subresource] = c.resource.split('/');
      expect(k.h.sim.audit.at(-1)).toMatchObject({
        user,
        impersonatedBy: { user: 'admin' },
        verb: c.verb,
        resource,
        ...(subresource ? { subresource } : {}),
        code: 403,
      });
      // With the verb (ops is cluster-admin) the same mutation is allowed (a dry run, to change nothing).
      const allowed = await k.gql(query, { ...variables, dryRun: true });
      expect(allowed.errors).toBeUndefined();
      expect(await state(...c.object())).toEqual(before);
    });
  }
});
