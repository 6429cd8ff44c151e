/**
 * The floor of Q2 and Q3 (issue #16): the same `data` the gateway answers, built by plain
 * functions straight from one cluster's stores, indexes and aggregates, then serialized.
 * No GraphQL, no loaders, no promises: what any implementation has to do at least (walk
 * the objects, read the aggregates, encode the cursors, stringify). Timed beside the
 * gateway in one process (bench/floor.ts), the ratio says how much the GraphQL machinery
 * costs on a wide answer. `test/bench/floor.test.ts` checks the answers are B's exactly,
 * otherwise the floor would prove nothing.
 *
 * Like the gateway, it keeps a list sorted while its store's generation stands (the
 * gateway's list memo and `paginate`'s sorted memo): the floor is not charged a sort the
 * gateway does not pay either.
 */
import type { Cluster } from '../../src/kube/cluster.js';
import { INDEX_JOB_NAME } from '../../src/kube/kinds/pod.js';
import { ClusterReader } from '../../src/kube/reader.js';
import { jobState, type KubeObjectOf, nodeReady, nodeResources, podPhase } from '../../src/loaders/index.js';
import {
  type Entry,
  encodeCursor,
  type Order,
  type SortKey,
  sortEntries,
} from '../../src/schema/pagination.js';
import { millis } from '../../src/schema/scalars.js';

type Obj = { metadata?: { namespace?: string; name?: string; uid?: string } };
type Node = KubeObjectOf<'Node'>;
type Job = KubeObjectOf<'Job'>;
type Pod = KubeObjectOf<'Pod'>;

/** The sort key `makeOrder` gives (src/schema/args.ts): the primary value, namespace, name, uid. */
const keyOf = (primary: string | number, o: Obj): SortKey => [
  primary,
  o.metadata?.namespace ?? '',
  o.metadata?.name ?? '',
  o.metadata?.uid ?? '',
];

function compare(a: SortKey, b: SortKey): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

interface Sorted<T> {
  generation: number | undefined;
  scope: object | undefined;
  entries: Entry<T>[];
}

/**
 * The list in its order, sorted again only when the store's generation moved, and then from
 * the previous order (pagination's `sortEntries`, as the gateway re-sorts a list that changed
 * by a few objects): the floor pays what the gateway pays for its order, no more.
 */
function sortedBy<T extends Obj>(
  memo: { current?: Sorted<T> },
  reader: ClusterReader,
  kind: 'Node' | 'Job',
  items: () => readonly T[],
  primary: (o: T) => string | number,
  sign: 1 | -1,
): Sorted<T>['entries'] {
  const generation = reader.generation(kind);
  const scope = reader.scope(kind);
  const hit = memo.current;
  if (hit && generation !== undefined && hit.generation === generation && hit.scope === scope)
    return hit.entries;
  // Fields of the floor's own: its entries are not the gateway's (they share one process).
  const order: Order<T> = {
    field: `FLOOR_${kind}`,
    direction: sign === 1 ? 'ASC' : 'DESC',
    key: (o) => keyOf(primary(o), o),
  };
  const entries = sortEntries(items(), order, hit?.scope === scope ? hit?.entries : undefined);
  memo.current = { generation, scope, entries };
  return entries;
}

const NODE_ORDER = { field: 'NAME', direction: 'ASC' } as Order<unknown>;
const JOB_ORDER = { field: 'CREATED_AT', direction: 'DESC' } as Order<unknown>;

export interface Floor {
  /** Q2's `data` (bench/operations/q2-nodes-load.graphql): one page of 500, or two. */
  q2(variables: { after?: string; twoPages?: boolean }): unknown;
  /** Q3's `data` (bench/operations/q3-jobs-page.graphql), first 100. */
  q3(): unknown;
}

/** The floor over one synced cluster (its informers, indexes and aggregates). */
export function createFloor(cluster: Cluster): Floor {
  const reader = new ClusterReader(cluster);
  const nodes: { current?: Sorted<Node> } = {};
  const jobs: { current?: Sorted<Job> } = {};

  function nodePage(after: string | undefined) {
    const entries = sortedBy(nodes, reader, 'Node', () => reader.snapshot('Node') ?? [], nodeName, 1);
    let lo = 0;
    if (after) {
      const key = (JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as SortKey).slice(3);
      while (lo < entries.length && compare(entries[lo].key, key) <= 0) lo++;
    }
    const end = Math.min(entries.length, lo + 500);
    const aggregates = reader.aggregates();
    const edges = [];
    for (let i = lo; i < end; i++) {
      const n = entries[i].item;
      const usage = aggregates?.node(n.metadata?.name ?? '');
      const allocatable = nodeResources(n, 'allocatable');
      edges.push({
        node: {
          name: n.metadata?.name ?? '',
          ready: nodeReady(n),
          unschedulable: n.spec?.unschedulable ?? false,
          podCount: usage?.podCount ?? null,
          requested: usage ? { cpuMillis: usage.cpuMillis, memoryBytes: usage.memoryBytes } : null,
          allocatable: {
            cpuMillis: allocatable.cpuMillis,
            memoryBytes: allocatable.memoryBytes,
            pods: allocatable.pods,
          },
        },
      });
    }
    return {
      totalCount: entries.length,
      pageInfo: {
        hasNextPage: end < entries.length,
        endCursor: end > lo ? encodeCursor(NODE_ORDER, entries[end - 1].key) : null,
      },
      edges,
    };
  }

  return {
    q2({ after, twoPages }) {
      const page1 = nodePage(undefined);
      return {
        cluster: twoPages ? { nodes: page1, page2: nodePage(after) } : { nodes: page1 },
      };
    },
    q3() {
      const entries = sortedBy(
        jobs,
        reader,
        'Job',
        () => reader.snapshot('Job') ?? [],
        (j) => millis(j.metadata?.creationTimestamp),
        -1,
      );
      const end = Math.min(entries.length, 100);
      const aggregates = reader.aggregates();
      const store = cluster.informers?.Pod?.store;
      const edges = [];
      for (let i = 0; i < end; i++) {
        const j = entries[i].item;
        const namespace = j.metadata?.namespace ?? '';
        const name = j.metadata?.name ?? '';
        const counts = aggregates?.job(namespace, name);
        const pods = podsOfJob(store, namespace, name);
        edges.push({
          node: {
            namespace,
            name,
            state: jobState(j), // the enum's values are the states themselves
            completions: j.spec?.completions ?? null,
            succeeded: j.status?.succeeded ?? 0,
            failed: j.status?.failed ?? 0,
            podsByPhase: counts
              ? {
                  pending: counts.pending,
                  running: counts.running,
                  succeeded: counts.succeeded,
                  failed: counts.failed,
                  total: counts.total,
                }
              : null,
            pods: {
              edges: pods
                .slice(0, 20)
                .map((p) => ({ node: { name: p.metadata?.name ?? '', phase: podPhase(p).toUpperCase() } })),
            },
          },
        });
      }
      return {
        cluster: {
          jobs: {
            totalCount: entries.length,
            pageInfo: {
              hasNextPage: end < entries.length,
              endCursor: end > 0 ? encodeCursor(JOB_ORDER, entries[end - 1].key) : null,
            },
            edges,
          },
        },
      };
    },
  };
}

const nodeName = (n: Node) => n.metadata?.name ?? '';

/** A job's pods from the pod store's job index, in the default pod order (namespace, name, uid). */
function podsOfJob(
  store: NonNullable<NonNullable<Cluster['informers']>['Pod']>['store'] | undefined,
  namespace: string,
  job: string,
): Pod[] {
  const pods = (store?.byIndex(INDEX_JOB_NAME, `${namespace}/${job}`) ?? []) as Pod[];
  return pods
    .map((p) => ({ p, key: keyOf(p.metadata?.namespace ?? '', p) }))
    .sort((a, b) => compare(a.key, b.key))
    .map((e) => e.p);
}

/** The floor's answer, serialized as the gateway serializes `{ data }`. */
export function floorBody(data: unknown): string {
  return JSON.stringify({ data });
}
