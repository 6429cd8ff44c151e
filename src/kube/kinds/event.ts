/**
 * core/v1 Event: namespaced, high-volume and short-lived (a real cluster keeps them an
 * hour). Mirrored by an informer, trimmed hard (what `kubectl get events` and `describe`
 * show, nothing else), and never waited for: readiness ignores it, and until it has synced
 * reads go to the API server like any unsynced kind. Indexed by namespace and by the object
 * it is about, so `pod.events` is one index lookup. See docs/ARCHITECTURE.md for why an
 * informer and not a LIST per request, with the measurement.
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import { EMPTY_VALUES, INDEX_NAMESPACE, namespaceIndexFunc, type PairIndex } from '../indexer.js';
import { Interner } from '../interner.js';
import { shape } from '../shape.js';
import { clone, type Trimmer } from '../transform.js';
import { defineKind } from './define.js';

/** Value: `Kind/name` of the involved object (the namespace is the event's own). */
export const INDEX_INVOLVED = 'involvedObject';

/** A message longer than this is cut: events are many, and a page shows one line of each. */
export const EVENT_MESSAGE_MAX = 1024;

export const involvedIndexFunc: PairIndex<CoreV1Event> = Object.freeze({
  separator: '/',
  pairs: (ev: CoreV1Event) => {
    const { kind, name } = ev.involvedObject ?? {};
    return kind && name ? [[kind, name] as const] : EMPTY_VALUES;
  },
});

/** When the event last happened: what "newest first" orders by, as kubectl's LAST SEEN. */
export function eventLastSeen(ev: CoreV1Event): Date | undefined {
  return (
    toDate(ev.series?.lastObservedTime) ??
    toDate(ev.lastTimestamp) ??
    toDate(ev.eventTime) ??
    toDate(ev.firstTimestamp) ??
    toDate(ev.metadata?.creationTimestamp)
  );
}

/** How many times it happened (a series' count wins; an event without a count happened once). */
export function eventCount(ev: CoreV1Event): number {
  return ev.series?.count ?? ev.count ?? 1;
}

function toDate(v: unknown): Date | undefined {
  if (v === undefined || v === null) return undefined;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const EVENT = shape<CoreV1Event>([
  'apiVersion',
  'kind',
  'metadata',
  'involvedObject',
  'reason',
  'message',
  'type',
  'count',
  'firstTimestamp',
  'lastTimestamp',
  'eventTime',
  'source',
  'reportingComponent',
  'reportingInstance',
  'action',
  'series',
]);
const INVOLVED = shape<CoreV1Event['involvedObject']>([
  'kind',
  'namespace',
  'name',
  'uid',
  'apiVersion',
  'fieldPath',
]);
const SERIES = shape<NonNullable<CoreV1Event['series']>>(['count', 'lastObservedTime']);

type Involved = CoreV1Event['involvedObject'];

/**
 * The involved objects of recent events, shared: an object's events come together (a pod's
 * Scheduled, Pulling, Pulled, Created, Started within seconds on a watch; adjacent in a LIST,
 * whose order is by name and an event's name starts with its object's), and all but the
 * container ones have one involvedObject exactly, the rest one per container. Each event used
 * to carry its own (72 B) with its own copies of the object's name and uid (~110 B more) that
 * JSON.parse made. An interner of their own (its `object`, anchored by the uid, or
 * kind/namespace/name without one), so names and uids, unique to an object, cycle through its
 * bounded maps and not through the one label values and images share.
 */
const INVOLVED_OBJECTS = new Interner();

/**
 * Event messages repeat ("Started container app", "Pulling image …") and some are unique
 * ("Successfully assigned ns/pod to node"); an interner of their own too.
 */
const MESSAGES = new Interner({ maxEntries: 16_384, maxStringLength: EVENT_MESSAGE_MAX + 1 });

function involved(t: Trimmer, io: NonNullable<Involved>): Involved {
  const n = t.n;
  const kind = n.string(io.kind);
  const namespace = n.string(io.namespace);
  const name = INVOLVED_OBJECTS.string(io.name);
  const uid = INVOLVED_OBJECTS.string(io.uid);
  const made = INVOLVED(kind, namespace, name, uid, n.string(io.apiVersion), n.string(io.fieldPath));
  const anchor = uid || (name ? `${kind}/${namespace}/${name}` : undefined);
  return anchor === undefined ? made : INVOLVED_OBJECTS.object(anchor, made);
}

function trimEvent(t: Trimmer, ev: CoreV1Event): CoreV1Event {
  const n = t.n;
  const message = ev.message;
  return EVENT(
    'v1',
    'Event',
    t.meta(ev.metadata),
    ev.involvedObject ? involved(t, ev.involvedObject) : INVOLVED(),
    n.string(ev.reason),
    message && message.length > EVENT_MESSAGE_MAX
      ? `${message.slice(0, EVENT_MESSAGE_MAX)}…`
      : MESSAGES.string(message),
    n.string(ev.type),
    ev.count,
    n.date(toDate(ev.firstTimestamp)),
    n.date(toDate(ev.lastTimestamp)),
    toDate(ev.eventTime),
    ev.source ? n.shared(clone(ev.source) as NonNullable<CoreV1Event['source']>) : undefined,
    n.string(ev.reportingComponent),
    n.string(ev.reportingInstance),
    n.string(ev.action),
    ev.series ? SERIES(ev.series.count, toDate(ev.series.lastObservedTime)) : undefined,
  );
}

export const eventKind = defineKind<CoreV1Event>({
  kind: 'Event',
  group: '',
  version: 'v1',
  plural: 'events',
  namespaced: true,
  modelType: 'CoreV1Event',
  list: (apis, namespace, options) =>
    namespace
      ? apis.core.listNamespacedEvent({ namespace, ...options })
      : apis.core.listEventForAllNamespaces(options),
  get: (apis, namespace, name) => apis.core.readNamespacedEvent({ namespace: namespace ?? 'default', name }),
  informer: true,
  readiness: false,
  trim: trimEvent,
  indexers: { [INDEX_NAMESPACE]: namespaceIndexFunc, [INDEX_INVOLVED]: involvedIndexFunc },
  filters: {
    type: { matches: (ev, type) => ev.type === type, fieldSelector: (type) => `type=${type}` },
    reason: { matches: (ev, reason) => ev.reason === reason, fieldSelector: (reason) => `reason=${reason}` },
    involvedKind: {
      matches: (ev, kind) => ev.involvedObject?.kind === kind,
      fieldSelector: (kind) => `involvedObject.kind=${kind}`,
    },
    involvedName: {
      matches: (ev, name) => ev.involvedObject?.name === name,
      fieldSelector: (name) => `involvedObject.name=${name}`,
      index: (name, { filters }) =>
        filters.involvedKind
          ? { index: INDEX_INVOLVED, value: `${filters.involvedKind}/${name}` }
          : undefined,
    },
  },
});
