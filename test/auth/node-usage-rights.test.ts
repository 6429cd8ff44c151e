/**
 * A node's pod count and requests in one operation over two clusters where the caller's
 * rights differ: in one it may list every pod (the counts come straight from the pod
 * aggregates, and the loader keeps that cluster's grant for the rest of the page), in the
 * other only one namespace's (the counts are of its pods there). Asking the clusters in
 * turn, within one request, must never carry the first cluster's grant over to the second.
 * The RBAC objects are made through each simulator's API, as on a real cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectivePodRequests } from '../../src/kube/quantity.js';
import type { Simulator } from '../../src/simulator/server.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { type Harness, simFetch, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { terminated } from '../schema/helpers.js';
import { RBAC_API, userSubject } from './kit.js';

// biome-ignore lint/suspicious/noExplicitAny: GraphQL answers are open-ended JSON
type Json = any;

const ADMIN = 'usage-admin-token-0123456789';
const CAROL = 'usage-carol-token-0123456789';
const as = (token: string) => ({ authorization: `Bearer ${token}` });

let h: Harness;
let NS: string;

async function create(sim: Simulator, path: string, body: object): Promise<void> {
  const res = await simFetch(sim, path, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  await res.text();
}

function binding(name: string, clusterRole: string, namespace?: string) {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: [userSubject('carol')],
  };
}

const bindingsPath = (namespace?: string) =>
  namespace ? `${RBAC_API}/namespaces/${namespace}/rolebindings` : `${RBAC_API}/clusterrolebindings`;

/** Per node: its non-terminated pods (those of `namespace` only, when given) and their requests. */
function expectedUsage(sim: Simulator, namespace?: string) {
  const usage = new Map<
    string,
    { podCount: number; requested: { cpuMillis: number; memoryBytes: number } }
  >();
  for (const n of sim.store.scan('nodes'))
    usage.set(n.metadata.name, { podCount: 0, requested: { cpuMillis: 0, memoryBytes: 0 } });
  for (const p of sim.store.scan('pods') as Iterable<KubeObject>) {
    if (namespace !== undefined && p.metadata.namespace !== namespace) continue;
    const node = p.spec?.nodeName as string | undefined;
    if (!node || terminated(p)) continue;
    const u = usage.get(node)!;
    const r = effectivePodRequests(p as never);
    u.podCount++;
    u.requested.cpuMillis += r.cpuMillis;
    u.requested.memoryBytes += r.memoryBytes;
  }
  return Object.fromEntries(usage);
}

const PAGE = `nodes(first: 100) { edges { node { name podCount requested { cpuMillis memoryBytes } } } }`;

function usageOf(page: Json) {
  return Object.fromEntries(
    page.edges.map((e: Json) => [e.node.name, { podCount: e.node.podCount, requested: e.node.requested }]),
  );
}

beforeAll(async () => {
  h = await startHarness({
    simulator: { scenario: { nodes: 3, pods: 60, jobs: 4, namespaces: 3, seed: 11 } },
    extraSimulators: [{ scenario: { nodes: 3, pods: 60, jobs: 4, namespaces: 3, seed: 12 } }],
    identities: true,
    tokens: [
      { name: 'admin', token: ADMIN, clusters: '*', namespaces: '*' },
      { name: 'carol', token: CAROL, user: 'carol' },
    ],
  });
  for (const sim of h.sims) sim.pauseActivity();
  const [one, two] = h.sims;
  // A namespace of the second cluster with pods on nodes: carol's there.
  const scheduled = [...two.store.scan('pods')].filter((p) => p.spec?.nodeName && !terminated(p));
  NS = scheduled[0].metadata.namespace as string;
  const nodeReader = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'node-reader' },
    rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }],
  };
  for (const sim of [one, two]) {
    await create(sim, `${RBAC_API}/clusterroles`, nodeReader);
    await create(sim, bindingsPath(), binding('carol-nodes', 'node-reader'));
  }
  // Every pod of the first cluster; one namespace's of the second.
  await create(one, bindingsPath(), binding('carol-view', 'view'));
  await create(two, bindingsPath(NS), binding('carol-view', 'view', NS));
  await waitFor(async () => {
    const r = await h.query<Json>(
      `{ a: cluster(name: "sim") { pods { totalCount } } b: cluster(name: "sim-1") { pods { totalCount } } }`,
      {},
      as(CAROL),
    );
    return (
      r.data?.a?.pods?.totalCount === one.store.count('pods') &&
      r.data?.b?.pods?.totalCount ===
        [...two.store.scan('pods')].filter((p) => p.metadata.namespace === NS).length
    );
  }, 'the gateway to mirror carol’s bindings in both clusters');
}, 60_000);

afterAll(() => h?.close(), 30_000);

describe('node usage over clusters where the caller’s rights differ', () => {
  it('counts every pod where it may list them all, and only its own where not, in one request', async () => {
    const [one, two] = h.sims;
    const r = await h.query<Json>(
      `{ a: cluster(name: "sim") { ${PAGE} }
         b: cluster(name: "sim-1") { ${PAGE} }
         c: cluster(name: "sim") { ${PAGE} }
         d: cluster(name: "sim-1") { ${PAGE} } }`,
      {},
      as(CAROL),
    );
    expect(r.errors).toBeUndefined();
    const all = expectedUsage(one);
    const mine = expectedUsage(two, NS);
    expect(usageOf(r.data.a.nodes)).toEqual(all);
    expect(usageOf(r.data.c.nodes)).toEqual(all);
    expect(usageOf(r.data.b.nodes)).toEqual(mine);
    expect(usageOf(r.data.d.nodes)).toEqual(mine);
    // The restriction shows: the second cluster's full counts differ from carol's.
    expect(mine).not.toEqual(expectedUsage(two));
    // And the admin, in the same shape, gets the full counts of both.
    const admin = await h.query<Json>(
      `{ a: cluster(name: "sim-1") { ${PAGE} } b: cluster(name: "sim") { ${PAGE} } }`,
      {},
      as(ADMIN),
    );
    expect(usageOf(admin.data.a.nodes)).toEqual(expectedUsage(two));
    expect(usageOf(admin.data.b.nodes)).toEqual(all);
  });
});
