/**
 * Writes as the caller: the narrow interface a request context hands resolvers
 * (`ctx.write`), built from the principal and never holding a client. Each method resolves
 * the cluster (one the principal may not see answers as a missing one), the Kubernetes
 * identity the write is made as (an identity's own user, a static principal's `writeAs`;
 * none: FORBIDDEN, nothing sent), admits it through the rate limits (per cluster a token
 * bucket like client-go's, per principal a budget per minute; over: RATE_LIMITED, nothing
 * sent), sends it through a ClusterWriter (straight to the API server, impersonating the
 * caller, so the cluster's RBAC and audit log see the real user), waits until the cache
 * shows it (bounded), and reports it: one audit record per write sent or refused.
 *
 * The limits live in one WriteGate per gateway (the state outlives requests); what a
 * request gets is `createWrites(...)`'s frozen object of methods.
 */
import { LRUCache } from 'lru-cache';
import {
  clusterNotFound,
  ErrorCode,
  forbidden,
  fromUpstream,
  GatewayError,
  quote,
  rateLimited,
} from '../errors.js';
import { type Impersonation, upstreamFailure } from '../kube/client.js';
import { type Clock, systemClock } from '../kube/clock.js';
import { KIND_INFO, type KindName, type KubeObjectOf } from '../kube/kinds.js';
import {
  drainExemption,
  isDisruptionBudgetRefusal,
  type JobRequest,
  jobManifest,
  labelsPatch,
  suspendPatch,
  unschedulablePatch,
} from '../kube/manifests.js';
import { TokenBucket } from '../kube/token-bucket.js';
import { ClusterWriter, type PropagationPolicy, type Write } from '../kube/writer.js';
import type { ClusterCatalog } from './catalog.js';
import type { ClusterDirectory } from './directory.js';
import { type Principal, principalKey, writeIdentity } from './principal.js';

export type { JobRequest } from '../kube/manifests.js';
export type { PropagationPolicy } from '../kube/writer.js';

/** The `writes:` section of the configuration. */
export interface WriteSettings {
  /** Writes per second to one cluster, sustained (client-go's QPS). Default 5. */
  qps?: number;
  /** Writes to one cluster at once before the rate applies (client-go's burst). Default 10. */
  burst?: number;
  /** Mutations one principal may make per minute (a drain is one), over every cluster. Default 60. */
  perPrincipal?: { perMinute?: number };
  /** How long a mutation waits for the cache to show its write before answering `visible: false`. Default 5000. */
  visibilityTimeoutMs?: number;
}

export const WRITE_DEFAULTS = Object.freeze({ qps: 5, burst: 10, perMinute: 60, visibilityTimeoutMs: 5000 });

/** The Kubernetes verb of a write, as RBAC names it (an eviction is `create` on `pods/eviction`). */
export type WriteVerb = 'create' | 'patch' | 'delete';

/**
 * One write, sent or refused, for the audit log and `kubegate_writes_total`. Names only:
 * never a credential, never an object's content.
 */
export interface WriteRecord {
  /** The GraphQL mutation it was part of. */
  mutation: string;
  /** The principal's name (a static token's name, an identity's user name). */
  principal: string;
  /** The Kubernetes user the write was made as; absent when the principal had none. */
  as?: string;
  cluster: string;
  verb: WriteVerb;
  /** `pods`, `jobs`, `nodes`, `namespaces`, `pods/eviction`. */
  resource: string;
  namespace?: string;
  name?: string;
  dryRun: boolean;
  /** `OK`, or the error code the caller got (FORBIDDEN, RATE_LIMITED, NOT_FOUND ...). */
  code: string;
  /** The API server's HTTP status, when the write reached it. */
  upstreamStatus?: number;
  /** The API call's time (0 when nothing was sent). */
  latencyMs: number;
  /** Whether the cache showed the write before the mutation answered (absent when nothing was written). */
  visible?: boolean;
}

/** What a mutation answers: the object as written, its resourceVersion, and whether reads see it already. */
export interface WriteResult<K extends KindName> {
  readonly cluster: string;
  readonly kind: K;
  /**
   * The object as the server answered (trimmed as the cache holds it): after a deletion its
   * last state; after an eviction what the cache shows (Terminating), or its last state
   * there when it is gone already; null when there is none.
   */
  readonly object: KubeObjectOf<K> | null;
  /** The resourceVersion the server gave the write; null for a dry-run create and an eviction. */
  readonly resourceVersion: string | null;
  /** The cluster's cache showed the write before the answer (always false for a dry run). */
  readonly visible: boolean;
  readonly dryRun: boolean;
}

export type DrainOutcome =
  | 'EVICTED'
  | 'GONE'
  | 'SKIPPED_DAEMONSET'
  | 'SKIPPED_MIRROR'
  | 'DISRUPTION_BUDGET'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'FAILED';

export interface DrainedPod {
  readonly namespace: string;
  readonly name: string;
  /** The pod as listed before the drain evicted it. */
  readonly object: KubeObjectOf<'Pod'>;
  readonly outcome: DrainOutcome;
  /** Why, for every outcome but EVICTED and the skips. */
  readonly message: string | null;
}

export interface DrainResult extends WriteResult<'Node'> {
  readonly pods: readonly DrainedPod[];
}

export interface ObjectTarget {
  cluster: string;
  namespace?: string;
  name: string;
}

/** The writes a request may make (`ctx.write`): every method as the caller, or refused. */
export interface Writes {
  deletePod(
    target: ObjectTarget,
    options: { gracePeriodSeconds?: number; dryRun?: boolean },
  ): Promise<WriteResult<'Pod'>>;
  evictPod(
    target: ObjectTarget,
    options: { gracePeriodSeconds?: number; dryRun?: boolean },
  ): Promise<WriteResult<'Pod'>>;
  createJob(cluster: string, job: JobRequest, options: { dryRun?: boolean }): Promise<WriteResult<'Job'>>;
  deleteJob(
    target: ObjectTarget,
    options: { propagation?: PropagationPolicy; dryRun?: boolean },
  ): Promise<WriteResult<'Job'>>;
  suspendJob(
    target: ObjectTarget,
    suspend: boolean,
    options: { dryRun?: boolean },
  ): Promise<WriteResult<'Job'>>;
  cordonNode(
    target: ObjectTarget,
    cordon: boolean,
    options: { dryRun?: boolean },
  ): Promise<WriteResult<'Node'>>;
  drainNode(
    target: ObjectTarget,
    options: { gracePeriodSeconds?: number; dryRun?: boolean },
  ): Promise<DrainResult>;
  setLabels<K extends 'Pod' | 'Job' | 'Node' | 'Namespace'>(
    kind: K,
    target: ObjectTarget,
    labels: { set: Readonly<Record<string, string>>; remove: readonly string[] },
    options: { dryRun?: boolean },
  ): Promise<WriteResult<K>>;
}

interface ClusterLimit {
  bucket: TokenBucket;
  /** An upstream 429's Retry-After: no write is sent before this time. */
  blockedUntil: number;
}

type Refusal = { scope: 'CLUSTER' | 'PRINCIPAL' | 'UPSTREAM'; waitMs: number };

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * The gateway's write limits and audit hook: one per gateway, shared by its requests. The
 * per-cluster bucket counts writes sent (a drain's evictions each take one), the
 * per-principal budget counts mutations (a drain is one), both on the gateway's clock.
 */
export class WriteGate {
  readonly qps: number;
  readonly burst: number;
  readonly perMinute: number;
  readonly visibilityTimeoutMs: number;
  readonly clock: Clock;
  readonly #clusters = new Map<string, ClusterLimit>();
  readonly #principals: LRUCache<string, TokenBucket>;
  readonly #onWrite: ((record: WriteRecord) => void) | undefined;

  constructor(
    options: { settings?: WriteSettings; clock?: Clock; onWrite?: (record: WriteRecord) => void } = {},
  ) {
    const s = options.settings ?? {};
    this.qps = s.qps ?? WRITE_DEFAULTS.qps;
    this.burst = s.burst ?? WRITE_DEFAULTS.burst;
    this.perMinute = s.perPrincipal?.perMinute ?? WRITE_DEFAULTS.perMinute;
    this.visibilityTimeoutMs = s.visibilityTimeoutMs ?? WRITE_DEFAULTS.visibilityTimeoutMs;
    this.clock = options.clock ?? systemClock;
    this.#onWrite = options.onWrite;
    // Bounded: a principal forgotten after 10,000 others have written starts with a full budget.
    this.#principals = new LRUCache({ max: 10_000 });
  }

  #cluster(name: string): ClusterLimit {
    let limit = this.#clusters.get(name);
    if (!limit) {
      limit = { bucket: new TokenBucket(this.qps, this.burst, this.clock), blockedUntil: 0 };
      this.#clusters.set(name, limit);
    }
    return limit;
  }

  #principal(key: string): TokenBucket {
    let bucket = this.#principals.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.perMinute / 60, this.perMinute, this.clock);
      this.#principals.set(key, bucket);
    }
    return bucket;
  }

  /**
   * Admits a mutation's first write: one of the principal's tokens and one of the
   * cluster's, taken together or not at all; otherwise what refused and for how long.
   */
  admit(cluster: string, principal: Principal): Refusal | undefined {
    const limit = this.#cluster(cluster);
    const mine = this.#principal(principalKey(principal));
    const blocked = limit.blockedUntil - this.clock.now();
    if (blocked > 0) return { scope: 'UPSTREAM', waitMs: blocked };
    const own = mine.waitMs();
    if (own > 0) return { scope: 'PRINCIPAL', waitMs: own };
    const shared = limit.bucket.waitMs();
    if (shared > 0) return { scope: 'CLUSTER', waitMs: shared };
    mine.tryTake();
    limit.bucket.tryTake();
    return undefined;
  }

  /**
   * One more write of an admitted mutation (a drain's evictions): a cluster token, waited
   * for on the clock as client-go's limiter waits, but not past `deadline`; false then.
   */
  async take(cluster: string, deadline: number): Promise<boolean> {
    const limit = this.#cluster(cluster);
    for (;;) {
      const now = this.clock.now();
      const wait = Math.max(limit.blockedUntil - now, limit.bucket.waitMs());
      if (wait <= 0 && limit.bucket.tryTake()) return true;
      if (now + Math.max(wait, 1) > deadline) return false;
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, Math.max(wait, 1)));
    }
  }

  /** An upstream 429: nothing more is sent to the cluster until its Retry-After has passed. */
  backOff(cluster: string, retryAfterSeconds: number): void {
    const limit = this.#cluster(cluster);
    limit.blockedUntil = Math.max(limit.blockedUntil, this.clock.now() + retryAfterSeconds * 1000);
  }

  record(record: WriteRecord): void {
    try {
      this.#onWrite?.(record);
    } catch {
      // An audit hook that throws must not change the answer.
    }
  }
}

const gates = new WeakMap<object, WriteGate>();

/** The default gate of a directory (a context built without one: tests, tools). */
export function defaultWriteGate(directory: ClusterDirectory, clock: Clock): WriteGate {
  let gate = gates.get(directory);
  if (!gate) {
    gate = new WriteGate({ clock });
    gates.set(directory, gate);
  }
  return gate;
}

interface Plan {
  mutation: string;
  cluster: string;
  verb: WriteVerb;
  resource: string;
  namespace?: string;
  name?: string;
  dryRun: boolean;
  /** The namespaces a static principal's lists must include (drains: every namespace). */
  scope: { namespace: string } | 'all' | 'cluster';
}

const ACTIONS: Record<WriteVerb, string> = { create: 'creating', patch: 'patching', delete: 'deleting' };

/** `system:authenticated` is added by the API server to every impersonated user: asking for it needs a right for nothing. */
const AUTHENTICATED = 'system:authenticated';

export function createWrites(options: {
  gate: WriteGate;
  directory: ClusterDirectory;
  principal: Principal;
  clusters: ClusterCatalog;
}): Writes {
  const { gate, directory, principal, clusters } = options;
  const clock = gate.clock;
  const user = writeIdentity(principal);

  const record = (plan: Plan, code: string, extra: Partial<WriteRecord> = {}) =>
    gate.record({
      mutation: plan.mutation,
      principal: principal.name,
      ...(user ? { as: user.username } : {}),
      cluster: plan.cluster,
      verb: plan.verb,
      resource: plan.resource,
      ...(plan.namespace !== undefined ? { namespace: plan.namespace } : {}),
      ...(plan.name !== undefined ? { name: plan.name } : {}),
      dryRun: plan.dryRun,
      code,
      latencyMs: 0,
      ...extra,
    });

  const describe = (plan: Plan) => {
    const what =
      plan.resource === 'pods/eviction' ? 'evicting pod' : `${ACTIONS[plan.verb]} ${plan.resource}`;
    const name = plan.name ? ` ${quote(plan.name)}` : '';
    return `${what}${name}${plan.namespace ? ` in namespace ${quote(plan.namespace)}` : ''}`;
  };

  /** The writer for a plan: cluster, identity and limits checked, refusals recorded; nothing sent yet. */
  function open(plan: Plan): ClusterWriter {
    if (!clusters.sees(plan.cluster)) throw clusterNotFound(plan.cluster, clusters.visible());
    const cluster = directory.get(plan.cluster);
    if (!cluster) throw clusterNotFound(plan.cluster, clusters.visible());
    if (!user) {
      record(plan, ErrorCode.FORBIDDEN);
      throw forbidden(
        `${quote(principal.name)} may not write: the gateway writes only as a Kubernetes identity (a user of OIDC, TokenReview or a static token's "user", or a static token's "writeAs"), never with its own rights`,
        { cluster: plan.cluster },
      );
    }
    if (!principal.user && !staticScopeAllows(principal, plan.scope)) {
      record(plan, ErrorCode.FORBIDDEN);
      throw forbidden(
        `${quote(principal.name)} may not write ${plan.scope === 'all' ? 'across every namespace' : `in namespace ${quote((plan.scope as { namespace: string }).namespace)}`}: its token lists the namespaces it may use`,
        { cluster: plan.cluster },
      );
    }
    const refusal = gate.admit(plan.cluster, principal);
    if (refusal) {
      record(plan, ErrorCode.RATE_LIMITED);
      throw limited(plan.cluster, refusal);
    }
    const as: Impersonation = {
      username: user.username,
      groups: user.groups.filter((g) => g !== AUTHENTICATED),
      ...(user.uid ? { uid: user.uid } : {}),
    };
    return new ClusterWriter(cluster, { as, clock });
  }

  function limited(cluster: string, refusal: Refusal): GatewayError {
    const retry = seconds(refusal.waitMs);
    const why =
      refusal.scope === 'UPSTREAM'
        ? `cluster "${cluster}" asked the gateway to slow down (HTTP 429)`
        : refusal.scope === 'CLUSTER'
          ? `over the gateway's write limit for cluster "${cluster}" (${gate.qps} per second, burst ${gate.burst})`
          : `over the write limit of ${quote(principal.name)} (${gate.perMinute} per minute)`;
    return rateLimited(`${why}: nothing was sent; retry after ${retry} s`, retry, {
      cluster,
      rateLimit: refusal.scope,
    });
  }

  /** What a failed write becomes for the client (and the log); a 429 stops the cluster's writes for its Retry-After. */
  function failed(plan: Plan, err: unknown, started: number): GatewayError | Error {
    const failure = err instanceof GatewayError ? undefined : upstreamFailure(err);
    if (failure?.status === 429 && !isDisruptionBudgetRefusal(failure.body)) {
      const after = Number(failure.retryAfter);
      gate.backOff(plan.cluster, Number.isFinite(after) && after > 0 ? after : 1);
    }
    const error =
      err instanceof GatewayError
        ? err
        : failure
          ? fromUpstream(failure, plan.cluster, describe(plan))
          : err instanceof Error
            ? err
            : new Error(`non-Error thrown while ${describe(plan)}: ${String(err)}`);
    record(plan, error instanceof GatewayError ? error.code : ErrorCode.INTERNAL, {
      latencyMs: clock.now() - started,
      ...(failure?.status ? { upstreamStatus: failure.status } : {}),
    });
    return error;
  }

  /** One write, start to end: open, send, wait until visible, record. */
  async function single<K extends KindName>(
    plan: Plan,
    send: (writer: ClusterWriter) => Promise<Write<K>>,
  ): Promise<WriteResult<K>> {
    const writer = open(plan);
    const started = clock.now();
    let write: Write<K>;
    try {
      write = await send(writer);
    } catch (err) {
      throw failed(plan, err, started);
    }
    const latencyMs = clock.now() - started;
    const seen = await writer.visible(write, gate.visibilityTimeoutMs);
    record({ ...plan, name: write.name || plan.name }, 'OK', {
      latencyMs,
      ...(plan.dryRun ? {} : { visible: seen.visible }),
    });
    return Object.freeze({
      cluster: plan.cluster,
      kind: write.kind,
      object: write.object ?? seen.object ?? write.before ?? null,
      resourceVersion: write.resourceVersion ?? null,
      visible: seen.visible,
      dryRun: plan.dryRun,
    });
  }

  const plural = (kind: KindName) => KIND_INFO[kind].plural;
  const scopeOf = (kind: KindName, target: ObjectTarget): Plan['scope'] =>
    kind === 'Namespace'
      ? { namespace: target.name }
      : KIND_INFO[kind].namespaced
        ? { namespace: target.namespace ?? '' }
        : 'cluster';

  const writes: Writes = {
    deletePod(target, { gracePeriodSeconds, dryRun = false }) {
      return single(
        {
          mutation: 'deletePod',
          cluster: target.cluster,
          verb: 'delete',
          resource: 'pods',
          namespace: target.namespace,
          name: target.name,
          dryRun,
          scope: scopeOf('Pod', target),
        },
        (w) => w.delete('Pod', target.namespace, target.name, { gracePeriodSeconds, dryRun }),
      );
    },

    evictPod(target, { gracePeriodSeconds, dryRun = false }) {
      return single(
        {
          mutation: 'evictPod',
          cluster: target.cluster,
          verb: 'create',
          resource: 'pods/eviction',
          namespace: target.namespace,
          name: target.name,
          dryRun,
          scope: scopeOf('Pod', target),
        },
        (w) => w.evict(target.namespace ?? '', target.name, { gracePeriodSeconds, dryRun }),
      );
    },

    createJob(cluster, job, { dryRun = false }) {
      return single(
        {
          mutation: 'createJob',
          cluster,
          verb: 'create',
          resource: 'jobs',
          namespace: job.namespace,
          name: job.name,
          dryRun,
          scope: { namespace: job.namespace },
        },
        (w) => w.create('Job', job.namespace, jobManifest(job), { dryRun }),
      );
    },

    deleteJob(target, { propagation = 'Background', dryRun = false }) {
      return single(
        {
          mutation: 'deleteJob',
          cluster: target.cluster,
          verb: 'delete',
          resource: 'jobs',
          namespace: target.namespace,
          name: target.name,
          dryRun,
          scope: scopeOf('Job', target),
        },
        (w) => w.delete('Job', target.namespace, target.name, { propagationPolicy: propagation, dryRun }),
      );
    },

    suspendJob(target, suspend, { dryRun = false }) {
      return single(
        {
          mutation: 'suspendJob',
          cluster: target.cluster,
          verb: 'patch',
          resource: 'jobs',
          namespace: target.namespace,
          name: target.name,
          dryRun,
          scope: scopeOf('Job', target),
        },
        (w) => w.patch('Job', target.namespace, target.name, suspendPatch(suspend), 'strategic', { dryRun }),
      );
    },

    cordonNode(target, cordon, { dryRun = false }) {
      return single(
        {
          mutation: cordon ? 'cordonNode' : 'uncordonNode',
          cluster: target.cluster,
          verb: 'patch',
          resource: 'nodes',
          name: target.name,
          dryRun,
          scope: 'cluster',
        },
        (w) => w.patch('Node', undefined, target.name, unschedulablePatch(cordon), 'strategic', { dryRun }),
      );
    },

    setLabels(kind, target, labels, { dryRun = false }) {
      return single(
        {
          mutation: 'setLabels',
          cluster: target.cluster,
          verb: 'patch',
          resource: plural(kind),
          ...(KIND_INFO[kind].namespaced ? { namespace: target.namespace } : {}),
          name: target.name,
          dryRun,
          scope: scopeOf(kind, target),
        },
        (w) =>
          w.patch(
            kind,
            KIND_INFO[kind].namespaced ? target.namespace : undefined,
            target.name,
            labelsPatch(labels.set, labels.remove),
            'merge',
            { dryRun },
          ),
      );
    },

    async drainNode(target, { gracePeriodSeconds, dryRun = false }) {
      const deadline = clock.now() + gate.visibilityTimeoutMs;
      const cordonPlan: Plan = {
        mutation: 'drainNode',
        cluster: target.cluster,
        verb: 'patch',
        resource: 'nodes',
        name: target.name,
        dryRun,
        scope: 'all',
      };
      const writer = open(cordonPlan);
      const started = clock.now();
      let cordon: Write<'Node'>;
      try {
        cordon = await writer.patch('Node', undefined, target.name, unschedulablePatch(true), 'strategic', {
          dryRun,
        });
      } catch (err) {
        throw failed(cordonPlan, err, started);
      }
      record(cordonPlan, 'OK', { latencyMs: clock.now() - started });
      let pods: KubeObjectOf<'Pod'>[];
      try {
        pods = await writer.list('Pod', { fieldSelector: `spec.nodeName=${target.name}` });
      } catch (err) {
        const failure = upstreamFailure(err);
        if (!failure) throw err;
        throw fromUpstream(
          failure,
          target.cluster,
          `listing the pods of node ${quote(target.name)} to drain it (it is cordoned now)`,
        );
      }
      const evictions = pods
        .sort((a, b) =>
          `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(
            `${b.metadata?.namespace}/${b.metadata?.name}`,
          ),
        )
        .map(async (pod): Promise<{ pod: DrainedPod; write?: Write<'Pod'> }> => {
          const namespace = pod.metadata?.namespace ?? '';
          const name = pod.metadata?.name ?? '';
          const outcome = (o: DrainOutcome, message: string | null = null) => ({
            pod: Object.freeze({ namespace, name, object: pod, outcome: o, message }),
          });
          const exempt = drainExemption(pod);
          if (exempt === 'Mirror') return outcome('SKIPPED_MIRROR');
          if (exempt === 'DaemonSet') return outcome('SKIPPED_DAEMONSET');
          const plan: Plan = {
            mutation: 'drainNode',
            cluster: target.cluster,
            verb: 'create',
            resource: 'pods/eviction',
            namespace,
            name,
            dryRun,
            scope: 'all',
          };
          if (!(await gate.take(target.cluster, deadline))) {
            record(plan, ErrorCode.RATE_LIMITED);
            return outcome(
              'RATE_LIMITED',
              `not evicted: over the gateway's write limit for cluster "${target.cluster}" within the drain's ${gate.visibilityTimeoutMs} ms; drain again to continue`,
            );
          }
          const begun = clock.now();
          try {
            const write = await writer.evict(namespace, name, { gracePeriodSeconds, dryRun });
            record(plan, 'OK', { latencyMs: clock.now() - begun });
            return { ...outcome('EVICTED'), write };
          } catch (err) {
            const error = failed(plan, err, begun);
            if (!(error instanceof GatewayError)) throw error;
            const failure = upstreamFailure(err);
            if (failure?.status === 404) return outcome('GONE', error.message);
            if (failure?.status === 429 && isDisruptionBudgetRefusal(failure.body))
              return outcome('DISRUPTION_BUDGET', error.message);
            if (error.code === ErrorCode.FORBIDDEN) return outcome('FORBIDDEN', error.message);
            if (error.code === ErrorCode.RATE_LIMITED) return outcome('RATE_LIMITED', error.message);
            return outcome('FAILED', error.message);
          }
        });
      const results = await Promise.all(evictions);
      const remaining = () => Math.max(0, deadline - clock.now());
      const seen = await Promise.all([
        writer.visible(cordon, Math.max(remaining(), 1)),
        ...results.flatMap((r) => (r.write ? [writer.visible(r.write, Math.max(remaining(), 1))] : [])),
      ]);
      return Object.freeze({
        cluster: target.cluster,
        kind: 'Node' as const,
        object: cordon.object ?? seen[0].object ?? null,
        resourceVersion: cordon.resourceVersion ?? null,
        visible: !dryRun && seen.every((s) => s.visible),
        dryRun,
        pods: Object.freeze(results.map((r) => r.pod)),
      });
    },
  };
  return Object.freeze(writes);
}

/** Whether a static principal's namespace lists allow a write there (an identity's RBAC decides at the server). */
function staticScopeAllows(principal: Principal, scope: Plan['scope']): boolean {
  if (principal.user) return true;
  const namespaces = principal.namespaces;
  if (namespaces === '*' || scope === 'cluster') return true;
  if (scope === 'all') return false;
  return namespaces.includes(scope.namespace);
}
