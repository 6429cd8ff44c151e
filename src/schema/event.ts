/**
 * Event: what happened to an object (scheduled, pulled, started, killed, failed), as
 * `kubectl get events` and `kubectl describe` show it. `Cluster.events` lists them with
 * filters; `Pod.events`, `ClusterNode.events` and `Job.events` are those about the object,
 * `Namespace.events` those recorded in the namespace. Newest first by default.
 */
import type { ObjectRef, SchemaTypes } from '@pothos/core';
import { badUserInput, quote } from '../errors.js';
import { eventCount, eventLastSeen, type KubeObjectOf, type ListKey } from '../loaders/index.js';
import { checkName, checkNamespace, checkSearch, loadPage, makeOrder } from './args.js';
import { builder } from './builder.js';
import { KubeObject, OrderDirection } from './common.js';
import type { Direction } from './pagination.js';
import { ClusterNodeRef, ClusterRef, isKind, JobRef, NamespaceRef, PodRef } from './refs.js';
import { DateTime, millis } from './scalars.js';
import type { KubeShape } from './shapes.js';

type Event = KubeObjectOf<'Event'>;
type SchemaTypesOf<B> = B extends PothosSchemaTypes.SchemaBuilder<infer T extends SchemaTypes> ? T : never;
export type EventShape = KubeShape<'Event'>;

export const EventRef = builder.objectRef<EventShape>('Event');
export const EventConnection = builder.connectionObject(
  { type: EventRef, name: 'EventConnection' },
  { name: 'EventEdge' },
);

export const EventTypeEnum = builder.enumType('EventType', {
  description: 'Normal, or Warning: something went wrong (what `kubectl get events --types=Warning` shows).',
  values: { NORMAL: { value: 'Normal' }, WARNING: { value: 'Warning' } } as const,
});

const EventOrderField = builder.enumType('EventOrderField', {
  values: ['LAST_SEEN', 'FIRST_SEEN', 'NAME', 'COUNT'] as const,
});

const EventOrder = builder.inputType('EventOrder', {
  fields: (t) => ({
    field: t.field({ type: EventOrderField, required: true }),
    direction: t.field({ type: OrderDirection, required: true, defaultValue: 'DESC' }),
  }),
});

const firstSeen = (e: Event) =>
  millis(e.firstTimestamp ?? (e.eventTime as unknown as Date | undefined) ?? e.metadata?.creationTimestamp);

const PRIMARY: Record<(typeof EventOrderField)['$inferType'], (e: Event) => string | number> = {
  LAST_SEEN: (e) => eventLastSeen(e)?.getTime() ?? 0,
  FIRST_SEEN: firstSeen,
  NAME: (e) => e.metadata?.name ?? '',
  COUNT: (e) => eventCount(e),
};

/** Default: newest first (last seen, descending), as a dashboard's event list reads. */
export function eventOrder(arg: { field: keyof typeof PRIMARY; direction: Direction } | null | undefined) {
  const field = arg?.field ?? 'LAST_SEEN';
  return makeOrder<Event>(field, arg?.direction ?? 'DESC', PRIMARY[field]);
}

/** Arguments of every event connection. */
export const eventArgs = builder.args((t) => ({
  type: t.field({ type: EventTypeEnum }),
  reason: t.string({ description: 'e.g. "BackOff", "FailedScheduling", "Pulled".' }),
  search: t.string({ description: 'Case-insensitive substring of the event’s name.' }),
  orderBy: t.field({ type: EventOrder }),
}));

/** Arguments of event connections not already narrowed to one object. */
export const eventScopeArgs = builder.args((t) => ({
  involvedKind: t.string({
    description: 'The kind of the object it is about: Pod, Node, Job, ReplicaSet ...',
  }),
  involvedName: t.string({ description: 'The name of the object it is about.' }),
}));

const KIND_NAME = /^[A-Za-z][A-Za-z0-9]{0,62}$/;
const REASON = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

function badInput(arg: string, expected: string, value: string) {
  return badUserInput(`expected "${arg}" to be ${expected}, received ${quote(value)}`);
}

type EventFilterArgs = {
  type?: string | null;
  reason?: string | null;
  search?: string | null;
  involvedKind?: string | null;
  involvedName?: string | null;
};

/** Validated filters as a list key's fields (the Event kind's filters in the registry). */
export function eventFilters(args: EventFilterArgs): Omit<ListKey, 'cluster' | 'kind'> {
  return {
    type: args.type ?? undefined,
    reason: checkReason(args.reason),
    search: checkSearch(args.search),
    involvedKind: checkKind(args.involvedKind),
    involvedName: checkName('involvedName', args.involvedName),
  };
}

function checkReason(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!REASON.test(value)) {
    throw badInput(
      'reason',
      'an event reason (letters, digits, "_", ".", ":" or "-", at most 128 characters)',
      value,
    );
  }
  return value;
}

function checkKind(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!KIND_NAME.test(value)) {
    throw badInput('involvedKind', 'a kind name such as "Pod" or "ReplicaSet"', value);
  }
  return value;
}

/** The involved object as a small type of its own, as `kubectl describe` names it. */
const InvolvedObject = builder.objectRef<NonNullable<Event['involvedObject']>>('InvolvedObject').implement({
  description: 'The object an event is about.',
  fields: (t) => ({
    kind: t.string({ nullable: true, resolve: (o) => o.kind }),
    name: t.string({ nullable: true, resolve: (o) => o.name }),
    namespace: t.string({ nullable: true, resolve: (o) => o.namespace }),
    uid: t.string({ nullable: true, resolve: (o) => o.uid }),
    fieldPath: t.string({
      nullable: true,
      description: 'The part of it, e.g. spec.containers{web}.',
      resolve: (o) => o.fieldPath,
    }),
  }),
});

builder.objectType(EventRef, {
  description: 'Something that happened to an object, reported by a controller or the kubelet.',
  interfaces: [KubeObject],
  isTypeOf: isKind('Event'),
  fields: (t) => ({
    namespace: t.string({ resolve: (e) => e.object.metadata?.namespace ?? '' }),
    type: t.string({ description: '"Normal" or "Warning".', resolve: (e) => e.object.type ?? 'Normal' }),
    reason: t.string({ nullable: true, resolve: (e) => e.object.reason }),
    message: t.string({ nullable: true, resolve: (e) => e.object.message }),
    count: t.int({ description: 'How many times it happened.', resolve: (e) => eventCount(e.object) }),
    firstSeen: t.field({ type: DateTime, nullable: true, resolve: (e) => firstSeenDate(e.object) }),
    lastSeen: t.field({ type: DateTime, nullable: true, resolve: (e) => eventLastSeen(e.object) }),
    source: t.string({
      nullable: true,
      description: "Who reported it (kubectl's FROM): the component, and the host for a kubelet.",
      resolve: (e) => sourceOf(e.object),
    }),
    involvedObject: t.field({ type: InvolvedObject, resolve: (e) => e.object.involvedObject ?? {} }),
  }),
});

function firstSeenDate(e: Event): Date | undefined {
  const ms = firstSeen(e);
  return ms ? new Date(ms) : undefined;
}

function sourceOf(e: Event): string | null {
  const component = e.source?.component || e.reportingComponent;
  if (!component) return null;
  return e.source?.host ? `${component}, ${e.source.host}` : component;
}

type OrderArg = Parameters<typeof eventOrder>[0];
type PageArgs = {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
};

/** Loads one page of the events a key selects. */
function eventPage(
  ctx: Parameters<typeof loadPage>[0],
  key: ListKey & { kind: 'Event' },
  args: PageArgs & { orderBy?: OrderArg },
) {
  return loadPage(ctx, key, args, eventOrder(args.orderBy));
}

/** Events about one object: its kind and name, in its namespace (none for cluster-scoped ones). */
function aboutObject(
  cluster: string,
  involvedKind: string,
  meta: { name?: string; namespace?: string } | undefined,
  args: EventFilterArgs,
): ListKey & { kind: 'Event' } {
  return {
    ...eventFilters(args),
    cluster,
    kind: 'Event',
    namespace: meta?.namespace,
    involvedKind,
    involvedName: meta?.name ?? '',
  };
}

/** `events` on an object type: the events about that object (its kind, name and namespace). */
function objectEvents<K extends 'Pod' | 'Node' | 'Job'>(
  ref: ObjectRef<SchemaTypesOf<typeof builder>, KubeShape<K>>,
  kind: K,
  what: string,
) {
  builder.objectFields(ref, (t) => ({
    events: t.connection(
      {
        type: EventRef,
        nullable: true,
        description: `Events about this ${what}, newest first (\`kubectl describe\`'s Events).`,
        args: eventArgs,
        resolve: (o, args, ctx) =>
          eventPage(ctx, aboutObject(o.cluster, kind, o.object.metadata, args), args),
      },
      EventConnection,
    ),
  }));
}

objectEvents(PodRef, 'Pod', 'pod');
objectEvents(ClusterNodeRef, 'Node', 'node');
objectEvents(JobRef, 'Job', 'job');

builder.objectFields(NamespaceRef, (t) => ({
  events: t.connection(
    {
      type: EventRef,
      nullable: true,
      description:
        'Events recorded in this namespace (about any object in it), newest first; filter with involvedKind/involvedName.',
      args: { ...eventArgs, ...eventScopeArgs },
      resolve: (n, args, ctx) =>
        eventPage(
          ctx,
          {
            ...eventFilters(args),
            cluster: n.cluster,
            kind: 'Event',
            namespace: n.object.metadata?.name ?? '',
          },
          args,
        ),
    },
    EventConnection,
  ),
}));

builder.objectFields(ClusterRef, (t) => ({
  events: t.connection(
    {
      type: EventRef,
      nullable: true,
      description: 'Events of the cluster (what `kubectl get events -A` lists), newest first.',
      args: { ...eventArgs, ...eventScopeArgs, namespace: t.arg.string() },
      resolve: (c, args, ctx) =>
        eventPage(
          ctx,
          {
            ...eventFilters(args),
            namespace: checkNamespace('namespace', args.namespace),
            cluster: c.name,
            kind: 'Event',
          },
          args,
        ),
    },
    EventConnection,
  ),
}));
