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
import { clone, put, type Trimmer } from '../transform.js';
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

function trimEvent(t: Trimmer, ev: CoreV1Event): CoreV1Event {
  const n = t.n;
  const o = { apiVersion: 'v1', kind: 'Event' } as CoreV1Event;
  put(o, 'metadata', t.meta(ev.metadata));
  const io = ev.involvedObject ?? {};
  const involved: CoreV1Event['involvedObject'] = {};
  put(involved, 'kind', n.string(io.kind));
  put(involved, 'namespace', n.string(io.namespace));
  put(involved, 'name', io.name);
  put(involved, 'uid', io.uid);
  put(involved, 'apiVersion', n.string(io.apiVersion));
  put(involved, 'fieldPath', n.string(io.fieldPath));
  o.involvedObject = involved;
  put(o, 'reason', n.string(ev.reason));
  const message = ev.message;
  put(
    o,
    'message',
    message && message.length > EVENT_MESSAGE_MAX ? `${message.slice(0, EVENT_MESSAGE_MAX)}…` : message,
  );
  put(o, 'type', n.string(ev.type));
  put(o, 'count', ev.count);
  put(o, 'firstTimestamp', n.date(toDate(ev.firstTimestamp)));
  put(o, 'lastTimestamp', n.date(toDate(ev.lastTimestamp)));
  put(o, 'eventTime', toDate(ev.eventTime) as CoreV1Event['eventTime']);
  if (ev.source) o.source = n.shared(clone(ev.source) as NonNullable<CoreV1Event['source']>);
  put(o, 'reportingComponent', n.string(ev.reportingComponent));
  put(o, 'reportingInstance', n.string(ev.reportingInstance));
  put(o, 'action', n.string(ev.action));
  if (ev.series) {
    const series: NonNullable<CoreV1Event['series']> = {};
    put(series, 'count', ev.series.count);
    put(series, 'lastObservedTime', toDate(ev.series.lastObservedTime) as never);
    o.series = series;
  }
  return o;
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
