/**
 * How long compiling a user's access set takes (`compileAccess`, src/kube/rbac.ts): over
 * stores the gateway's own code fills, a `Cluster` that mirrors the four RBAC kinds of the
 * simulator the RBAC gateway serves (the same informers, trimming and subject index; its
 * data kinds are not mirrored, as they play no part), in the harness's process while
 * nothing else is measured. Each figure is the median of many runs after as many of
 * warm-up (the roles' grants are memoised per role object, as in the gateway, so these
 * are the compilations an RBAC change causes, not a first one in a cold process). Then
 * RoleBindings for other subjects are added through the API and, once the stores hold
 * them, the same users are timed again: compiling reads the subject index, not the
 * bindings, so the figure should not move.
 */
import { Cluster } from '../../src/kube/cluster.js';
import { EventHub } from '../../src/kube/event-hub.js';
import { INDEX_SUBJECT } from '../../src/kube/kinds/rbac.js';
import type { KindName } from '../../src/kube/kinds.js';
import { compileAccess, type RbacStores, resourceKeyOf } from '../../src/kube/rbac.js';
import { loadSource } from '../../src/kube/sources.js';
import { BINDING_PREFIX, bindingsPath, create, eachLimited, viewBinding } from './rbac.js';
import { median, percentile, round } from './stats.js';
import type { Upstream } from './upstream.js';

export interface CompileTiming {
  runs: number;
  p50Ms: number;
  p90Ms: number;
  minMs: number;
}

export interface UserCompile {
  variant: 'few' | 'many';
  user: string;
  /** RoleBindings naming the user (what compiling reads). */
  bindings: number;
  /** Namespaces where the compiled set grants `list` on pods (a check that it compiled what was bound). */
  namespacesGranted: number;
  timing: CompileTiming;
  /** The same with `otherBindings` more RoleBindings for other subjects in the cluster. */
  withOthers: (CompileTiming & { namespacesGranted: number }) | null;
}

export interface CompileFigures {
  /** RoleBindings and ClusterRoleBindings in the mirrored stores at the first measurement. */
  roleBindings: number;
  clusterRoleBindings: number;
  clusterRoles: number;
  /** RoleBindings for other subjects added for the second measurement, and the total then. */
  otherBindings: number;
  roleBindingsWithOthers: number | null;
  /** How long writing them through the API took. */
  otherBindingsWriteMs: number | null;
  users: UserCompile[];
  error?: string;
}

const RBAC_KINDS: readonly KindName[] = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function time(
  stores: RbacStores,
  user: { username: string; groups: string[] },
  runs: number,
  budgetMs: number,
) {
  const warmUntil = performance.now() + budgetMs;
  for (let i = 0; i < runs && performance.now() < warmUntil; i++) compileAccess(stores, user);
  const samples: number[] = [];
  let namespacesGranted = 0;
  const until = performance.now() + budgetMs;
  while (samples.length < runs && (samples.length < 10 || performance.now() < until)) {
    const t0 = performance.now();
    const set = compileAccess(stores, user);
    samples.push(performance.now() - t0);
    namespacesGranted = set.grant('list', resourceKeyOf('Pod')).namespaces.size;
  }
  return {
    timing: {
      runs: samples.length,
      p50Ms: round(median(samples), 4),
      p90Ms: round(percentile(samples, 90), 4),
      minMs: round(Math.min(...samples), 4),
    },
    namespacesGranted,
  };
}

export async function measureCompile(options: {
  kubeconfig: string;
  upstream: Upstream;
  users: { variant: 'few' | 'many'; user: string }[];
  /** Where the other subjects' RoleBindings go (spread over them). */
  namespaces: readonly string[];
  otherBindings: number;
  runs: number;
  budgetMs: number;
  log: (line: string) => void;
}): Promise<CompileFigures> {
  const spec = loadSource(
    { type: 'kubeconfig', path: options.kubeconfig },
    { cache: false, identities: true },
  )[0];
  const cluster = new Cluster(spec, { hub: new EventHub() });
  const figures: CompileFigures = {
    roleBindings: 0,
    clusterRoleBindings: 0,
    clusterRoles: 0,
    otherBindings: options.otherBindings,
    roleBindingsWithOthers: null,
    otherBindingsWriteMs: null,
    users: [],
  };
  cluster.start();
  try {
    if (!(await cluster.waitForSync(120_000, RBAC_KINDS)))
      throw new Error('the RBAC informers did not sync within 120 s');
    const i = cluster.informers!;
    const stores: RbacStores = {
      roles: i.Role!.store,
      clusterRoles: i.ClusterRole!.store,
      roleBindings: i.RoleBinding!.store,
      clusterRoleBindings: i.ClusterRoleBinding!.store,
    };
    figures.roleBindings = stores.roleBindings.size;
    figures.clusterRoleBindings = stores.clusterRoleBindings.size;
    figures.clusterRoles = stores.clusterRoles.size;
    for (const u of options.users) {
      const user = { username: u.user, groups: [] };
      const { timing, namespacesGranted } = time(stores, user, options.runs, options.budgetMs);
      figures.users.push({
        variant: u.variant,
        user: u.user,
        bindings: stores.roleBindings.byIndex(INDEX_SUBJECT, `User:${u.user}`).length,
        namespacesGranted,
        timing,
        withOthers: null,
      });
      options.log(
        `  R compileAccess ${u.user} (${namespacesGranted} namespaces): p50 ${timing.p50Ms} ms, p90 ${timing.p90Ms} ms (${timing.runs} runs; ${figures.roleBindings} RoleBindings in the cluster)`,
      );
    }

    const expected = figures.roleBindings + options.otherBindings;
    const written = performance.now();
    const others = Array.from({ length: options.otherBindings }, (_, k) => k);
    await eachLimited(others, 16, (k) => {
      const ns = options.namespaces[k % options.namespaces.length];
      const name = `${BINDING_PREFIX}-other-${String(k).padStart(5, '0')}`;
      return create(options.upstream, bindingsPath(ns), viewBinding(name, ns, `bench-other-${k}`));
    });
    figures.otherBindingsWriteMs = Math.round(performance.now() - written);
    const until = Date.now() + 120_000;
    while (stores.roleBindings.size < expected && Date.now() < until) await sleep(50);
    figures.roleBindingsWithOthers = stores.roleBindings.size;
    if (stores.roleBindings.size < expected)
      throw new Error(`the RoleBinding store holds ${stores.roleBindings.size} of ${expected} after 120 s`);
    options.log(
      `  R wrote ${options.otherBindings} RoleBindings for other subjects in ${figures.otherBindingsWriteMs} ms; ${stores.roleBindings.size} mirrored`,
    );
    for (const u of figures.users) {
      const { timing, namespacesGranted } = time(
        stores,
        { username: u.user, groups: [] },
        options.runs,
        options.budgetMs,
      );
      u.withOthers = { ...timing, namespacesGranted };
      options.log(
        `  R compileAccess ${u.user} with ${stores.roleBindings.size} RoleBindings: p50 ${timing.p50Ms} ms, p90 ${timing.p90Ms} ms (${timing.runs} runs)`,
      );
    }
  } catch (err) {
    figures.error = (err as Error).message;
    options.log(`  ERROR R compile time: ${figures.error}`);
  } finally {
    await cluster.stop();
  }
  return figures;
}
