/**
 * Container logs for a principal: one-shot reads (`Pod.logs`), a pod's followed log
 * (`podLogs`) and the merged logs of a job's or a selector's pods (`jobLogs`,
 * `workloadLogs`), over the clusters' shared follow streams (kube/logs.ts).
 *
 * Rights, decided here on every path: a pod the caller may not `get` is NOT_FOUND (its
 * existence is not revealed); reading its logs needs `get` on `pods/log` in its namespace
 * (or on its name), else FORBIDDEN. A merged stream is refused FORBIDDEN when the caller may
 * read the logs of none of what it covers; pods whose logs it may not read are left out.
 * An identity's follow ends FORBIDDEN once its rights no longer allow it (the RBAC informers
 * announce the change, as for object subscriptions).
 *
 * Limits (the gateway's LogGate, `containerLogs:` in the config file): bytes of a read (`maxBytes`,
 * the default and the largest `limitBytes`), upstream follow streams per cluster and per
 * principal (a principal holds a stream while one of its subscriptions uses it, however many).
 */
import { badUserInput, ErrorCode, forbidden, GatewayError, notFound } from '../errors.js';
import type { Clock } from '../kube/clock.js';
import type { Cluster } from '../kube/cluster.js';
import type { KubeEventOf } from '../kube/event-hub.js';
import type { KubeObjectOf } from '../kube/kinds.js';
import {
  ClusterLogs,
  followKey,
  type LogFollow,
  type LogLine,
  LogStreamLimitError,
  type LogTarget,
} from '../kube/logs.js';
import { compileQuery, type ObjectQuery } from '../kube/query.js';
import { POD_LOG } from '../kube/rbac.js';
import { ClusterReader } from '../kube/reader.js';
import { jobState } from '../kube/rules.js';
import { type AccessNeed, type AccessReviews, type ClusterAccess, REVIEW_TTL_MS } from './access.js';
import { accessNow } from './catalog.js';
import type { ClusterDirectory } from './directory.js';
import { EventQueue, LOGS_ADVICE } from './event-queue.js';
import { type Principal, principalKey } from './principal.js';
import { readError } from './reads.js';
import { shareEvent } from './streams.js';
import { onAccessChange } from './subscribe.js';

type Pod = KubeObjectOf<'Pod'>;
type Job = KubeObjectOf<'Job'>;

/** The `containerLogs:` section of the configuration. */
export interface LogSettings {
  /** Bytes of text one read returns at most: the default and the largest `limitBytes` (1 MiB). */
  maxBytes?: number;
  /** Upstream follow streams open to one cluster at once (default 200). */
  maxStreamsPerCluster?: number;
  /** Upstream follow streams one principal's subscriptions use at once (default 20). */
  maxStreamsPerPrincipal?: number;
}

export const LOG_DEFAULTS: Required<LogSettings> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxStreamsPerCluster: 200,
  maxStreamsPerPrincipal: 20,
});

/** What the RBAC resource of logs is called in access sets (kube/rbac.ts). */
const POD_LOG_KEY = POD_LOG.key;

/**
 * The gateway's log streams and their limits: one ClusterLogs per cluster object (a swapped
 * cluster gets new ones; streams of the old one run to their end), and the streams each
 * principal holds.
 */
export class LogGate {
  readonly settings: Required<LogSettings>;
  readonly #clusters = new WeakMap<Cluster, ClusterLogs>();
  readonly #clock: Clock | undefined;
  /** principal key → (cluster + stream key → subscriptions of the principal using it). */
  readonly #held = new Map<string, Map<string, number>>();

  constructor(options: { settings?: LogSettings; clock?: Clock } = {}) {
    this.settings = { ...LOG_DEFAULTS, ...stripUndefined(options.settings ?? {}) };
    this.#clock = options.clock;
  }

  /** The log streamer of a cluster (kube layer); never reaches a resolver. */
  logsOf(cluster: Cluster): ClusterLogs {
    let logs = this.#clusters.get(cluster);
    if (!logs) {
      const clock = this.#clock;
      logs = new ClusterLogs(cluster.client, {
        cluster: cluster.name,
        maxStreams: this.settings.maxStreamsPerCluster,
        replayBytes: this.settings.maxBytes,
        now: clock ? () => clock.now() : () => Date.now(),
      });
      this.#clusters.set(cluster, logs);
    }
    return logs;
  }

  /** The log streamer of a cluster if one was made (the metrics read it; never creates one). */
  peek(cluster: Cluster): ClusterLogs | undefined {
    return this.#clusters.get(cluster);
  }

  /**
   * Takes one use of a stream for a principal: free when it already uses that stream,
   * refused with LogStreamLimitError when it would be one stream too many. Returns the release.
   */
  hold(principal: string, stream: string): () => void {
    let mine = this.#held.get(principal);
    const uses = mine?.get(stream) ?? 0;
    if (uses === 0 && (mine?.size ?? 0) >= this.settings.maxStreamsPerPrincipal)
      throw new LogStreamLimitError('principal', this.settings.maxStreamsPerPrincipal);
    if (!mine) {
      mine = new Map();
      this.#held.set(principal, mine);
    }
    mine.set(stream, uses + 1);
    const held = mine;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (held.get(stream) ?? 1) - 1;
      if (n > 0) held.set(stream, n);
      else held.delete(stream);
      if (held.size === 0 && this.#held.get(principal) === held) this.#held.delete(principal);
    };
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const defaultGates = new WeakMap<object, LogGate>();

/** A gate per directory, for contexts built without the gateway's (tests of the loaders). */
export function defaultLogGate(directory: ClusterDirectory, clock?: Clock): LogGate {
  let gate = defaultGates.get(directory);
  if (!gate) {
    gate = new LogGate({ clock });
    defaultGates.set(directory, gate);
  }
  return gate;
}

/** A line as a client gets it: with the cluster, namespace, pod and container it came from. */
export type LogLineEvent = LogLine;

/**
 * What a log subscription's queue holds: the lines of one upstream chunk (the same frozen
 * array for every subscriber of a stream). The queue's bound counts batches, so a burst of
 * lines costs one slot, and what a slow subscriber pins is shared with the others.
 */
export type LogBatch = readonly LogLineEvent[];

export interface PodLogs {
  lines: LogLineEvent[];
  truncated: boolean;
}

export interface PodRef {
  cluster: string;
  namespace: string;
  name: string;
}

export interface ReadArgs {
  container?: string;
  tailLines?: number;
  sinceSeconds?: number;
  previous?: boolean;
  limitBytes?: number;
}

export interface FollowArgs {
  container?: string;
  tailLines?: number;
  sinceSeconds?: number;
}

export interface Logs {
  /** One read of a pod's container log, bounded in bytes. */
  read(pod: PodRef, args: ReadArgs): Promise<PodLogs>;
  /** Follows a pod's container log (shared upstream stream); the queue is the subscription. */
  follow(pod: PodRef, args: FollowArgs): Promise<EventQueue<LogBatch>>;
  /** The merged logs of a job's pods, pods that start later included. */
  job(job: PodRef, args: { tailLines?: number }): Promise<EventQueue<LogBatch>>;
  /** The merged logs of the pods a label selector matches in a namespace. */
  workload(
    target: { cluster: string; namespace: string; labelSelector: string },
    args: { tailLines?: number },
  ): Promise<EventQueue<LogBatch>>;
}

export interface LogContextOptions {
  directory: ClusterDirectory;
  principal: Principal;
  gate: LogGate;
  /** Live lines that may wait for one subscriber before it is cut off (SLOW_CONSUMER). */
  queueLimit: number;
  reviews?: AccessReviews;
  /** The clusters the principal may see (NOT_FOUND otherwise, as everywhere). */
  targets: (cluster: string) => string[];
  /** Where the API server decides (SubjectAccessReviews), follows ask again on it. */
  clock?: Clock;
}

const podAction = (pod: PodRef) => `reading the logs of pod "${pod.namespace}/${pod.name}"`;

function limitError(err: LogStreamLimitError): GatewayError {
  const what =
    err.scope === 'cluster' ? 'upstream log streams open to one cluster' : 'log streams of this caller';
  return new GatewayError(
    `expected at most ${err.limit} ${what} at once, received one more; end a log subscription before starting another`,
    { code: ErrorCode.TOO_MANY_LOG_STREAMS, scope: err.scope, limit: err.limit },
  );
}

/** A stream's failure as a client error (limits, upstream answers, the network). */
function logError(err: unknown, cluster: string, action: string): GatewayError | Error {
  if (err instanceof LogStreamLimitError) return limitError(err);
  return readError(err, cluster, action);
}

/** The containers of a pod that have started a run (running, or ended): their logs exist. */
function startedContainers(pod: Pod): { name: string; run: string }[] {
  return (pod.status?.containerStatuses ?? [])
    .filter((s) => s.state?.running || s.state?.terminated)
    .map((s) => ({ name: s.name, run: `${s.name}/${s.restartCount ?? 0}` }));
}

/** The container a request reads: the one named (checked against the pod), or its only one. */
function chooseContainer(pod: Pod, asked: string | undefined): string {
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
  const name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  if (asked === undefined) {
    if (containers.length === 1) return containers[0];
    throw badUserInput(
      `expected "container": pod "${name}" has ${containers.length} containers, choose one of ${JSON.stringify([...containers, ...inits])}`,
      { field: 'container', choices: [...containers, ...inits] },
    );
  }
  if (containers.includes(asked) || inits.includes(asked)) return asked;
  throw badUserInput(
    `expected "container" to be one of ${JSON.stringify([...containers, ...inits])} of pod "${name}", received ${JSON.stringify(asked)}`,
    { field: 'container', choices: [...containers, ...inits] },
  );
}

export function createLogs(options: LogContextOptions): Logs {
  const { directory, principal, gate } = options;
  const who = principalKey(principal);
  const accessOf = (cluster: string): ClusterAccess =>
    accessNow(directory, principal, cluster, options.reviews);
  const maySee = (access: ClusterAccess, namespace: string, name: string) =>
    access.allows('get', 'Pod', namespace, name);
  const mayRead = (access: ClusterAccess, namespace: string, name: string) =>
    access.allowsResource('get', POD_LOG_KEY, namespace, name);

  /** What reading logs in a namespace needs decided: `get` on its pods and on their logs. */
  const needs = (namespace: string): AccessNeed[] => [
    { verb: 'get', kind: 'Pod', namespace },
    { verb: 'get', resource: POD_LOG, namespace },
  ];
  /** Asks those decisions where the API server makes them (a no-op where they are in memory). */
  const prepare = async (cluster: string, namespace: string, fresh = false) => {
    try {
      await accessOf(cluster).prepare?.(needs(namespace), fresh);
    } catch (err) {
      throw readError(err, cluster, 'asking the API server what the caller may read (SubjectAccessReview)');
    }
  };

  /** The cluster (checked against the principal) and the pod, with the rights to read its logs. */
  const resolve = async (ref: PodRef): Promise<{ cluster: Cluster; pod: Pod }> => {
    options.targets(ref.cluster);
    const cluster = directory.get(ref.cluster);
    if (!cluster) throw notFound(`expected a cluster, received ${JSON.stringify(ref.cluster)}`);
    await prepare(ref.cluster, ref.namespace);
    const access = accessOf(ref.cluster);
    const missing = () =>
      notFound(`expected a pod, but cluster "${ref.cluster}" has no pod "${ref.namespace}/${ref.name}"`, {
        cluster: ref.cluster,
      });
    if (!maySee(access, ref.namespace, ref.name)) throw missing();
    let pod: Pod | undefined;
    try {
      pod = await new ClusterReader(cluster).get('Pod', ref.namespace, ref.name);
    } catch (err) {
      throw readError(err, ref.cluster, podAction(ref));
    }
    if (!pod) throw missing();
    if (!mayRead(access, ref.namespace, ref.name))
      throw forbidden(
        `the caller may not read the logs of pod "${ref.namespace}/${ref.name}": that needs "get" on "pods/log" in namespace "${ref.namespace}"`,
        { cluster: ref.cluster },
      );
    return { cluster, pod };
  };

  /**
   * Ends `queue` FORBIDDEN when `allowed()` no longer holds for an identity (its cluster's
   * RBAC changed); returns the stop. Static principals' rights do not change.
   */
  const watchRights = (
    cluster: string,
    namespace: string,
    queue: EventQueue<LogBatch>,
    allowed: () => boolean,
  ) => {
    if (!principal.user) return () => {};
    const check = () => {
      if (!allowed())
        queue.fail(
          forbidden(`the caller may no longer read these logs: its access changed (cluster "${cluster}")`, {
            cluster,
          }),
        );
    };
    const stops = [onAccessChange(directory, cluster, check)];
    // Where the API server decides, nothing announces a change: ask again, as often as an
    // answer is reused (a failed review keeps the last answer: the cluster is down).
    const clock = options.clock;
    if (clock && accessOf(cluster).prepare) {
      const timer = clock.setInterval(() => {
        prepare(cluster, namespace, true).then(check, () => undefined);
      }, REVIEW_TTL_MS);
      stops.push(() => clock.clearInterval(timer));
    }
    return () => {
      for (const stop of stops) stop();
    };
  };

  /** Joins one container's follow stream for `queue`, held for the principal. */
  const join = async (
    cluster: Cluster,
    target: LogTarget,
    follow: { tailLines?: number; sinceSeconds?: number },
    onLines: (batch: LogBatch) => void,
    onEnd: (error?: unknown) => void,
  ): Promise<LogFollow> => {
    const release = gate.hold(who, `${cluster.name}\u0000${followKey(target, follow)}`);
    try {
      const joined = await gate.logsOf(cluster).follow(target, follow, {
        lines: (batch) => {
          // Every subscriber of the stream gets these very objects: one result per operation.
          for (const line of batch) shareEvent(line);
          onLines(batch);
        },
        end: (error) => {
          release();
          onEnd(error);
        },
      });
      return {
        replay: joined.replay,
        leave: () => {
          joined.leave();
          release();
        },
      };
    } catch (err) {
      release();
      throw err;
    }
  };

  /** A merged stream over the pods `matches` selects in a namespace, as they come and go. */
  const merged = async (
    clusterName: string,
    namespace: string,
    matches: (pod: Pod) => boolean,
    tailLines: number | undefined,
    what: string,
  ): Promise<MergedLogs> => {
    const cluster = directory.get(clusterName);
    if (!cluster) throw notFound(`expected a cluster, received ${JSON.stringify(clusterName)}`);
    const reader = new ClusterReader(cluster);
    const cacheMissing = () =>
      badUserInput(
        `${what} needs the cluster's pod cache, but "${clusterName}" has none (not synced yet, or --no-cache)`,
      );
    if (!reader.snapshot('Pod')) throw cacheMissing();
    await prepare(clusterName, namespace);
    // Taken after the last await: the snapshot, `atStart` and joining the hub below are one
    // synchronous step, so no pod that comes meanwhile is missed.
    const initial = reader.snapshot('Pod');
    if (!initial) throw cacheMissing();
    const access = () => accessOf(clusterName);
    const member = (pod: Pod) =>
      pod.metadata?.namespace === namespace &&
      matches(pod) &&
      maySee(access(), namespace, pod.metadata.name ?? '');
    const readable = (pod: Pod) => mayRead(access(), namespace, pod.metadata?.name ?? '');
    const coversAnything = () =>
      access().allowsResource('get', POD_LOG_KEY, namespace) ||
      (reader.snapshot('Pod') ?? []).some((p) => member(p) && readable(p));
    if (!coversAnything())
      throw forbidden(
        `the caller may not read the logs of any pod of ${what}: that needs "get" on "pods/log" in namespace "${namespace}"`,
        { cluster: clusterName },
      );

    /** Runs followed now, by pod uid: run key → its follow (undefined while it opens). */
    const followed = new Map<string, Map<string, LogFollow | undefined>>();
    // The runs there when the subscription began start with their tail; later ones from their start.
    const atStart = new Set(
      initial
        .filter(member)
        .flatMap((p) => startedContainers(p).map((c) => `${p.metadata?.uid ?? ''}/${c.run}`)),
    );
    let closed = false;
    /** Runs whose follow is opening or open: a run ends once (its stream ended, or it failed to open). */
    let active = 0;
    const idle = new Set<() => void>();
    const runEnded = () => {
      active -= 1;
      if (active === 0) for (const f of idle) f();
    };
    const queue: EventQueue<LogBatch> = new EventQueue<LogBatch>({
      limit: options.queueLimit,
      resumeAdvice: LOGS_ADVICE,
      onClose: () => {
        closed = true;
        stopHub();
        stopRights();
        for (const runs of followed.values()) for (const f of runs.values()) f?.leave();
        followed.clear();
      },
    });
    const leavePod = (uid: string) => {
      const runs = followed.get(uid);
      if (!runs) return;
      followed.delete(uid);
      for (const f of runs.values()) f?.leave();
    };
    const consider = (pod: Pod) => {
      if (closed) return;
      const uid = pod.metadata?.uid ?? '';
      if (!member(pod) || !readable(pod)) {
        leavePod(uid);
        return;
      }
      let runs = followed.get(uid);
      if (!runs) {
        runs = new Map();
        followed.set(uid, runs);
      }
      const podName = pod.metadata?.name ?? '';
      for (const c of startedContainers(pod)) {
        if (runs.has(c.run)) continue;
        const mine = runs;
        mine.set(c.run, undefined);
        // A pod there when the subscription began: its tail; one that came later: from its start.
        const follow = atStart.has(`${uid}/${c.run}`) ? { tailLines } : {};
        let ended = false;
        const end = () => {
          if (ended) return;
          ended = true;
          runEnded();
        };
        active += 1;
        join(
          cluster,
          { namespace, pod: podName, container: c.name },
          follow,
          (batch) => queue.push(batch),
          () => {
            // A run ends (its container stopped, the pod went): the other runs go on.
            if (mine.get(c.run) !== undefined) mine.set(c.run, undefined);
            end();
          },
        ).then(
          (joined) => {
            if (closed || followed.get(uid) !== mine) {
              joined.leave();
              return;
            }
            mine.set(c.run, joined);
          },
          (err) => {
            end();
            if (err instanceof LogStreamLimitError) queue.fail(limitError(err));
            // Otherwise the run is not readable (any more: the pod went, or it is being
            // replaced): it is left out, and a later change of the pod may bring it back.
            else if (mine.get(c.run) === undefined) mine.delete(c.run);
          },
        );
      }
    };
    // Subscribe and take the snapshot in one synchronous step: no pod is missed in between.
    const stopHub = directory.hub.subscribe({ cluster: clusterName, kind: 'Pod' }, (ev) => {
      const e = ev as KubeEventOf<'Pod'>;
      if (e.object.metadata?.namespace !== namespace) return;
      if (e.type === 'DELETED') leavePod(e.object.metadata?.uid ?? '');
      else consider(e.object);
    });
    // An identity's rights may change: nothing readable left ends the stream FORBIDDEN;
    // otherwise the pods no longer readable (or visible) leave it.
    const stopRights = watchRights(clusterName, namespace, queue, () => {
      if (!coversAnything()) return false;
      for (const [uid] of followed) {
        const pod = (reader.snapshot('Pod') ?? []).find((p) => p.metadata?.uid === uid);
        if (!pod || !member(pod) || !readable(pod)) leavePod(uid);
      }
      return true;
    });
    for (const pod of initial) if (member(pod)) consider(pod);
    return {
      queue,
      activeRuns: () => active,
      onIdle: (f) => {
        idle.add(f);
      },
    };
  };

  return Object.freeze({
    async read(ref: PodRef, args: ReadArgs): Promise<PodLogs> {
      const { cluster, pod } = await resolve(ref);
      const container = chooseContainer(pod, args.container);
      const max = gate.settings.maxBytes;
      if (args.limitBytes !== undefined && args.limitBytes > max)
        throw badUserInput(
          `expected "limitBytes" of at most ${max} (containerLogs.maxBytes), received ${args.limitBytes}`,
          {
            field: 'limitBytes',
            limit: max,
          },
        );
      try {
        const read = await gate.logsOf(cluster).read(
          { namespace: ref.namespace, pod: ref.name, container },
          {
            tailLines: args.tailLines,
            sinceSeconds: args.sinceSeconds,
            previous: args.previous,
            limitBytes: args.limitBytes ?? max,
          },
        );
        return { lines: read.lines, truncated: read.truncated };
      } catch (err) {
        throw logError(err, ref.cluster, podAction(ref));
      }
    },

    async follow(ref: PodRef, args: FollowArgs): Promise<EventQueue<LogBatch>> {
      const { cluster, pod } = await resolve(ref);
      const container = chooseContainer(pod, args.container);
      let following: LogFollow | undefined;
      const queue: EventQueue<LogBatch> = new EventQueue<LogBatch>({
        limit: options.queueLimit,
        resumeAdvice: LOGS_ADVICE,
      });
      const stopRights = watchRights(ref.cluster, ref.namespace, queue, () => {
        const access = accessOf(ref.cluster);
        return maySee(access, ref.namespace, ref.name) && mayRead(access, ref.namespace, ref.name);
      });
      queue.onEnd(stopRights);
      try {
        following = await join(
          cluster,
          { namespace: ref.namespace, pod: ref.name, container },
          { tailLines: args.tailLines, sinceSeconds: args.sinceSeconds },
          (batch) => queue.push(batch),
          (error) => {
            if (error === undefined) queue.end();
            else {
              const failure = logError(error, ref.cluster, podAction(ref));
              queue.fail(
                failure instanceof GatewayError
                  ? failure
                  : new GatewayError(`following the log of pod "${ref.namespace}/${ref.name}" failed`, {
                      code: ErrorCode.UNAVAILABLE,
                      cluster: ref.cluster,
                    }),
              );
            }
          },
        );
      } catch (err) {
        stopRights();
        throw logError(err, ref.cluster, podAction(ref));
      }
      // At once when the queue already ended (the stream ended, or overflowed, while opening).
      const joined = following;
      queue.onEnd(() => joined.leave());
      return queue;
    },

    async job(ref: PodRef, args: { tailLines?: number }) {
      options.targets(ref.cluster);
      const cluster = directory.get(ref.cluster);
      try {
        await accessOf(ref.cluster).prepare?.([{ verb: 'get', kind: 'Job', namespace: ref.namespace }]);
      } catch (err) {
        throw readError(
          err,
          ref.cluster,
          'asking the API server what the caller may read (SubjectAccessReview)',
        );
      }
      const access = accessOf(ref.cluster);
      const job =
        cluster && access.allows('get', 'Job', ref.namespace, ref.name)
          ? await new ClusterReader(cluster).get('Job', ref.namespace, ref.name).catch((err) => {
              throw readError(err, ref.cluster, `reading job "${ref.namespace}/${ref.name}"`);
            })
          : undefined;
      if (!job)
        throw notFound(
          `expected a job, but cluster "${ref.cluster}" has no job "${ref.namespace}/${ref.name}"`,
          {
            cluster: ref.cluster,
          },
        );
      const matches = compileQuery('Pod', { namespace: ref.namespace, jobName: ref.name });
      const logs = await merged(
        ref.cluster,
        ref.namespace,
        matches,
        args.tailLines,
        `job "${ref.namespace}/${ref.name}"`,
      );
      const { queue } = logs;
      // The stream ends, after what is queued, when the job is deleted (its pods go with it),
      // or when it has finished (Complete or Failed) and every container it followed has
      // ended: what `kubectl logs -f job/NAME` does once its container exits. A job still
      // running, or one retrying a failed pod, goes on.
      const uid = job.metadata?.uid;
      let finished = isFinished(job);
      const check = () => {
        if (finished && logs.activeRuns() === 0) queue.end();
      };
      const stop = directory.hub.subscribe({ cluster: ref.cluster, kind: 'Job' }, (ev) => {
        if (ev.object.metadata?.uid !== uid) return;
        if (ev.type === 'DELETED') queue.end();
        else {
          finished = isFinished(ev.object as Job);
          check();
        }
      });
      queue.onEnd(stop);
      logs.onIdle(check);
      check();
      return queue;
    },

    async workload(
      target: { cluster: string; namespace: string; labelSelector: string },
      args: { tailLines?: number },
    ) {
      options.targets(target.cluster);
      const query: ObjectQuery = { namespace: target.namespace, labelSelector: target.labelSelector };
      let matches: (pod: Pod) => boolean;
      try {
        matches = compileQuery('Pod', query);
      } catch (err) {
        throw readError(err, target.cluster, 'parsing the label selector');
      }
      // Open until the subscriber leaves (or its rights go): pods a workload replaces, scales
      // up or starts later join; there is no end state to wait for, as there is for a job.
      const logs = await merged(
        target.cluster,
        target.namespace,
        matches,
        args.tailLines,
        `the pods matching ${JSON.stringify(target.labelSelector)} in namespace "${target.namespace}"`,
      );
      return logs.queue;
    },
  });
}

/** A merged log stream and what its owner needs to decide when it is over. */
interface MergedLogs {
  queue: EventQueue<LogBatch>;
  /** Runs (container instances) whose follow is opening or open now. */
  activeRuns(): number;
  /** Called each time the last active run ends. */
  onIdle(f: () => void): void;
}

/** The job controller's terminal state: Complete or Failed. */
function isFinished(job: Job): boolean {
  const state = jobState(job);
  return state === 'COMPLETE' || state === 'FAILED';
}
