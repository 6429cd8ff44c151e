/**
 * System R (issue #11): B answering Q1–Q5 as identities the cluster's RBAC authorises,
 * next to the open B of the same run. Two users, each bound by RoleBindings to the `view`
 * ClusterRole: "few" in 3 namespaces (Q4's, Q5's pod's and one more), "many" in 1,000
 * (every namespace of the scenario, then empty ones made for it), so "many" lists the same
 * namespaced objects as the open gateway, but through a per-namespace grant instead of a
 * cluster-wide one. `view` grants no nodes: both see none (Q2 answers 0 nodes, Q5's pod
 * has a null node). The objects are written through the simulator's API as `kubectl
 * create` would, before any gateway starts, so B and R serve the same cluster.
 *
 * The gateway for R is kubegate with caches and `auth.tokens` whose tokens are those
 * identities (`user:`), so it mirrors the cluster's RBAC and compiles each user's access
 * set (src/kube/rbac.ts). What each query answers for each user is recorded beside the
 * latencies, so the ratios are read against what was answered.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CellResult, GraphqlTarget } from './load.js';
import type { OperationId } from './operations.js';
import type { CompileFigures } from './rbac-compile.js';
import type { SyncFigures } from './results.js';
import type { RevocationFigures } from './revocation.js';
import { round } from './stats.js';
import type { QueryVariables, Upstream } from './upstream.js';

export type RbacVariantId = 'few' | 'many';

export interface RbacUser {
  user: string;
  token: string;
  /** Namespaces it is bound in (a RoleBinding to `view` in each). */
  namespaces: string[];
}

/** What set-up wrote to the cluster, and the users the gateway is given. */
export interface RbacSetup {
  few: RbacUser;
  many: RbacUser;
  /** Bound and unbound, one RoleBinding at a time, by the revocation measurement. */
  revoked: { user: string; token: string; namespace: string };
  /** Namespaces created for "many" (beyond the scenario's). */
  createdNamespaces: number;
  /** RoleBindings created for "few" and "many". */
  createdBindings: number;
  setupMs: number;
  /** Q4's and Q5's variables as the users ask them, pinned at set-up: Q5's pod is in a namespace both may read. */
  variables: QueryVariables;
}

export interface RbacRatios {
  /** R over B: p50 and p99 (above 1: R is slower), req/s (below 1: R is slower). */
  p50: number | null;
  p99: number | null;
  rps: number | null;
}

export interface RbacVariant {
  id: RbacVariantId;
  user: string;
  namespaces: number;
  cells: Partial<Record<OperationId, CellResult>>;
  /** What each query answered for this user (counts), asked once before its load. */
  answers: Partial<Record<OperationId, string>>;
  overB: Partial<Record<OperationId, RbacRatios>>;
}

export interface RbacFigures {
  fewNamespaces: string[];
  manyNamespaces: number;
  createdNamespaces: number;
  createdBindings: number;
  setupMs: number;
  /** The RBAC gateway's first sync (data kinds and the four RBAC kinds). */
  sync: SyncFigures | null;
  /** What each query answered on the open B (no principal: everything). */
  openAnswers: Partial<Record<OperationId, string>>;
  /**
   * An open B measured beside R (up at the same time, on the same simulator, operation by
   * operation in turn with the callers): what the ratios are over. Absent when it could not
   * start (then B's own cells of the run).
   */
  openCells?: Partial<Record<OperationId, CellResult>>;
  variants: RbacVariant[];
  compile: CompileFigures | null;
  revocation: RevocationFigures | null;
}

/** The ratio target of the issue: R's p50 within this factor of B's, Q1–Q5. */
export const RBAC_P50_TARGET = 1.15;
/** The revocation target: FORBIDDEN within this long of the binding's deletion. */
export const REVOCATION_TARGET_MS = 1_000;

export const RBAC_VARIANTS: readonly RbacVariantId[] = ['few', 'many'];
const FEW_NAMESPACES = 3;
const RBAC_API = '/apis/rbac.authorization.k8s.io/v1';
export const BINDING_PREFIX = 'kubegate-bench';

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

/** Creates an object through the simulator's API; one that already exists is fine. */
export async function create(upstream: Upstream, path: string, body: object): Promise<void> {
  const res = await upstream.request(path, { method: 'POST', body });
  if (res.status !== 201 && res.status !== 409)
    throw new Error(`POST ${path}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
}

/** A RoleBinding of `user` to the `view` ClusterRole in `namespace`, as `kubectl create rolebinding --clusterrole view --user` writes it. */
export function viewBinding(name: string, namespace: string, user: string) {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  };
}

export function bindingsPath(namespace: string): string {
  return `${RBAC_API}/namespaces/${encodeURIComponent(namespace)}/rolebindings`;
}

const token = (who: string) => `${who}-${randomBytes(16).toString('hex')}`;

/**
 * Writes the users' namespaces and RoleBindings through the simulator's API: "few" in Q4's
 * namespace, Q5's pod's and one more; "many" in every namespace of the scenario and in
 * empty ones created until it has `manyNamespaces`.
 */
export async function setUpRbac(
  upstream: Upstream,
  variables: QueryVariables,
  manyNamespaces: number,
): Promise<RbacSetup> {
  const started = performance.now();
  const res = await upstream.request('/api/v1/namespaces');
  const existing = ((res.body as { items?: { metadata: { name: string } }[] }).items ?? [])
    .map((n) => n.metadata.name)
    .sort();
  const first = [...new Set([variables.namespace, variables.pod.namespace])];
  const few = [...first, ...existing.filter((n) => !first.includes(n) && !n.startsWith('kube-'))].slice(
    0,
    FEW_NAMESPACES,
  );
  const ordered = [...first, ...existing.filter((n) => !first.includes(n))];
  const made: string[] = [];
  for (let i = 0; ordered.length + made.length < manyNamespaces; i++)
    made.push(`${BINDING_PREFIX}-rbac-${String(i).padStart(4, '0')}`);
  const many = [...ordered, ...made].slice(0, manyNamespaces);
  await eachLimited(made, 16, (name) =>
    create(upstream, '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubegate-bench': 'rbac' } },
    }),
  );
  const bindings = [
    ...few.map((ns) => ({ ns, user: 'bench-few' })),
    ...many.map((ns) => ({ ns, user: 'bench-many' })),
  ];
  await eachLimited(bindings, 16, ({ ns, user }) =>
    create(upstream, bindingsPath(ns), viewBinding(`${BINDING_PREFIX}-${user}`, ns, user)),
  );
  return {
    few: { user: 'bench-few', token: token('few'), namespaces: few },
    many: { user: 'bench-many', token: token('many'), namespaces: many },
    revoked: { user: 'bench-revoked', token: token('revoked'), namespace: variables.namespace },
    createdNamespaces: made.length,
    createdBindings: bindings.length,
    setupMs: Math.round(performance.now() - started),
    variables: structuredClone(variables),
  };
}

/** The RBAC gateway's configuration: the simulator's kubeconfig and one token per identity. */
export function writeRbacConfig(
  workDir: string,
  sizeName: string,
  kubeconfig: string,
  setup: RbacSetup,
): string {
  const path = join(workDir, `rbac-${sizeName}.kubegate.yaml`);
  const identity = (u: { user: string; token: string }) => ({ name: u.user, token: u.token, user: u.user });
  // JSON is YAML.
  writeFileSync(
    path,
    JSON.stringify(
      {
        clusters: [{ kubeconfig }],
        auth: { tokens: [identity(setup.few), identity(setup.many), identity(setup.revoked)] },
      },
      null,
      2,
    ),
  );
  return path;
}

// biome-ignore lint/suspicious/noExplicitAny: GraphQL answers are open-ended JSON
type Json = any;

const count = (x: number | undefined) => (x === undefined ? '?' : x.toLocaleString('en'));

/** What an answer holds, in a few words (counts): how to read a ratio between two callers. */
export function summarizeAnswer(id: OperationId, data: Json): string {
  const cluster = data?.cluster;
  if (!cluster) return 'no cluster (hidden)';
  switch (id) {
    case 'Q1': {
      const s = cluster.summary;
      return s ? `${count(s.pods)} pods, ${count(s.jobs)} jobs, ${count(s.nodes)} nodes` : 'no summary';
    }
    case 'Q2': {
      const shown = (cluster.nodes?.edges?.length ?? 0) + (cluster.page2?.edges?.length ?? 0);
      return `${count(shown)} nodes (of ${count(cluster.nodes?.totalCount)})`;
    }
    case 'Q3': {
      const jobs = cluster.jobs;
      const pods = (jobs?.edges ?? []).reduce(
        (n: number, e: Json) => n + (e?.node?.pods?.edges?.length ?? 0),
        0,
      );
      return `${count(jobs?.edges?.length)} of ${count(jobs?.totalCount)} jobs, ${count(pods)} pods under them`;
    }
    case 'Q4': {
      const pods = cluster.pods;
      return `${count(pods?.edges?.length)} of ${count(pods?.totalCount)} pods`;
    }
    case 'Q5': {
      const pod = cluster.pod;
      if (!pod) return 'no pod';
      return `the pod; its node ${pod.node ? 'shown' : 'null (may not get nodes)'}; its job ${pod.job ? 'shown' : 'null'}`;
    }
  }
}

/** Asks the operation once and summarises what came back. */
export async function answerOf(id: OperationId, target: GraphqlTarget): Promise<string> {
  try {
    const res = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body: JSON.stringify({
        query: target.query,
        variables: target.variables ?? {},
        ...(target.operationName ? { operationName: target.operationName } : {}),
      }),
      signal: AbortSignal.timeout(120_000),
    });
    const body = (await res.json()) as { data?: Json; errors?: { message: string }[] };
    if (body.errors?.length) return `error: ${body.errors[0].message.slice(0, 80)}`;
    return summarizeAnswer(id, body.data);
  } catch (err) {
    return `error: ${(err as Error).message.slice(0, 80)}`;
  }
}

export function ratiosOverB(r?: CellResult | null, b?: CellResult | null): RbacRatios {
  const ok = (c?: CellResult | null) => (c?.ok && !c.error ? c : undefined);
  const ratio = (x?: number, y?: number) =>
    x !== undefined && y !== undefined && Number.isFinite(x) && Number.isFinite(y) && y > 0
      ? round(x / y, 3)
      : null;
  const rc = ok(r);
  const bc = ok(b);
  return { p50: ratio(rc?.p50Ms, bc?.p50Ms), p99: ratio(rc?.p99Ms, bc?.p99Ms), rps: ratio(rc?.rps, bc?.rps) };
}
