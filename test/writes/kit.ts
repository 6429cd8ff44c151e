/**
 * Shared by the writes tests: a gateway whose callers are Kubernetes identities (static
 * `user:` tokens) over a simulator, the RBAC objects that say what each may write (made
 * through the simulator's API as its admin), the real kubectl as the admin to confirm
 * what the cluster holds, and the audit records the gateway logged.
 */
import type { WriteRecord } from '../../src/loaders/writes.js';
import type { KubeObject } from '../../src/simulator/types.js';
import {
  type Harness,
  type HarnessOptions,
  requestCount,
  simFetch,
  startHarness,
} from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { Kubectl } from '../simulator/kubectl-runner.js';
import { RbacKit } from '../simulator/rbac-kit.js';
import type { Json } from '../subscriptions/clients.js';

export type { Json } from '../subscriptions/clients.js';

/** Static tokens standing for Kubernetes users: `ops` may do everything (cluster-admin), `viewer` only read. */
export const OPS = 'writes-ops-token-0123456789';
export const VIEWER = 'writes-viewer-token-01234567';
/** A token with lists and no identity: reads everything, may not write. */
export const LISTS = 'writes-lists-token-012345678';

export const as = (token: string) => ({ authorization: `Bearer ${token}` });

export interface WriteKit {
  h: Harness;
  rbac: RbacKit;
  kubectl: Kubectl;
  /** Every write the gateway logged, in order. */
  records: (WriteRecord & { requestId: string })[];
  /** A GraphQL operation as `token`'s caller. */
  gql(query: string, variables?: Record<string, unknown>, token?: string): Promise<Json>;
  /** A namespace made through the simulator's API (as its admin). */
  namespace(name: string): Promise<void>;
  /** A pod (owned by nothing, bound to `node` when given) made through the simulator's API. */
  pod(
    namespace: string,
    name: string,
    options?: { node?: string; labels?: Record<string, string> },
  ): Promise<KubeObject>;
  /** The object as the simulator holds it now (the API, as its admin); undefined when absent. */
  get(path: string): Promise<Json | undefined>;
  /** Write requests the simulator has answered (by verb and resource), for "nothing was sent". */
  sent(verb: string, resource: string): Promise<number>;
  close(): Promise<void>;
}

export async function startWriteKit(options: HarnessOptions = {}): Promise<WriteKit> {
  const records: WriteKit['records'] = [];
  const h = await startHarness({
    // Pods made here stay as made (unscheduled unless given a node): the tests write to them.
    simulator: { scenario: { nodes: 3, pods: 12, jobs: 2, namespaces: 2, seed: 13 }, podLifecycle: false },
    identities: true,
    ...options,
    tokens: [
      { name: 'ops', token: OPS, user: 'ops', groups: ['ops'] },
      { name: 'viewer', token: VIEWER, user: 'viewer' },
      { name: 'lists', token: LISTS, clusters: '*', namespaces: '*' },
      ...(options.tokens ?? []),
    ],
    logWrite: (record) => {
      records.push(record);
      options.logWrite?.(record);
    },
  });
  h.sim.pauseActivity();
  const rbac = new RbacKit(h.sim);
  await rbac.clusterRoleBinding('writes-ops', 'cluster-admin', [{ group: 'ops' }]);
  await rbac.clusterRoleBinding('writes-viewer', 'view', [{ user: 'viewer' }]);
  // The gateway has seen the bindings when ops and the viewer see the cluster.
  const kit: WriteKit = {
    h,
    rbac,
    kubectl: new Kubectl(h.sim.kubeconfig({ context: 'sim' })),
    records,
    async gql(query, variables = {}, token = OPS) {
      return h.query<Json>(query, variables, as(token));
    },
    async namespace(name) {
      if (h.sim.store.get('namespaces', undefined, name)) return;
      await rbac.namespace(name);
    },
    async pod(namespace, name, podOptions = {}) {
      return rbac.create(`/api/v1/namespaces/${namespace}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace, ...(podOptions.labels ? { labels: podOptions.labels } : {}) },
        spec: {
          ...(podOptions.node ? { nodeName: podOptions.node } : {}),
          containers: [{ name: 'main', image: 'busybox:1.36' }],
        },
      });
    },
    async get(path) {
      const res = await simFetch(h.sim, path);
      const body = await res.json();
      return res.status === 200 ? body : undefined;
    },
    async sent(verb, resource) {
      return requestCount(await h.upstream(), verb, resource);
    },
    async close() {
      kit.kubectl.cleanup();
      await h.close();
    },
  };
  await waitForRbac(kit);
  return kit;
}

/** Until the gateway's RBAC mirror holds the kit's bindings (ops and the viewer can read). */
async function waitForRbac(kit: WriteKit): Promise<void> {
  await waitFor(async () => {
    const [ops, viewer] = await Promise.all(
      [OPS, VIEWER].map((t) => kit.gql('{ cluster(name: "sim") { name } }', {}, t)),
    );
    return ops.data?.cluster && viewer.data?.cluster;
  }, 'the gateway to mirror the writes kit’s bindings');
}
