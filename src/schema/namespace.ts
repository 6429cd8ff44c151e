/** Namespace: phase, and its pods and jobs as connections. */
import type { KubeObjectOf } from '../loaders/index.js';
import { checkSearch, checkSelector, loadPage, makeOrder } from './args.js';
import { builder } from './builder.js';
import { KubeObject, OrderDirection } from './common.js';
import { jobArgs, jobFilters, jobOrder } from './job.js';
import type { Direction } from './pagination.js';
import { podArgs, podFilters, podOrder, podScopeArgs } from './pod.js';
import {
  isKind,
  JobConnection,
  JobRef,
  loadByGlobalId,
  NamespaceRef,
  PodConnection,
  PodRef,
} from './refs.js';
import { millis } from './scalars.js';
import { localId } from './shapes.js';

type Namespace = KubeObjectOf<'Namespace'>;

const NamespacePhase = builder.enumType('NamespacePhase', {
  values: { ACTIVE: { value: 'Active' }, TERMINATING: { value: 'Terminating' } } as const,
});

const NamespaceOrderField = builder.enumType('NamespaceOrderField', {
  values: ['NAME', 'CREATED_AT'] as const,
});

const NamespaceOrder = builder.inputType('NamespaceOrder', {
  fields: (t) => ({
    field: t.field({ type: NamespaceOrderField, required: true }),
    direction: t.field({ type: OrderDirection, required: true, defaultValue: 'ASC' }),
  }),
});

export const namespaceArgs = builder.args((t) => ({
  labelSelector: t.string(),
  search: t.string({ description: 'Case-insensitive substring of the name.' }),
  orderBy: t.field({ type: NamespaceOrder }),
}));

export function namespaceFilters(args: { labelSelector?: string | null; search?: string | null }) {
  return { labelSelector: checkSelector(args.labelSelector), search: checkSearch(args.search) };
}

const NAMESPACE_PRIMARY: Record<'NAME' | 'CREATED_AT', (n: Namespace) => string | number> = {
  NAME: (n) => n.metadata?.name ?? '',
  CREATED_AT: (n) => millis(n.metadata?.creationTimestamp),
};

export function namespaceOrder(
  arg: { field: 'NAME' | 'CREATED_AT'; direction: Direction } | null | undefined,
) {
  const field = arg?.field ?? 'NAME';
  return makeOrder<Namespace>(field, arg?.direction ?? 'ASC', NAMESPACE_PRIMARY[field]);
}

builder.node(NamespaceRef, {
  interfaces: [KubeObject],
  isTypeOf: isKind('Namespace'),
  id: { resolve: (n) => localId(n) },
  loadOne: (id, ctx) => loadByGlobalId(ctx, 'Namespace', false, id),
  fields: (t) => ({
    phase: t.field({
      type: NamespacePhase,
      resolve: (n) => (n.object.status?.phase === 'Terminating' ? 'Terminating' : 'Active'),
    }),
    pods: t.connection(
      {
        type: PodRef,
        nullable: true,
        args: { ...podArgs, nodeName: podScopeArgs.nodeName, jobName: podScopeArgs.jobName },
        resolve: (n, args, ctx) =>
          loadPage(
            ctx,
            {
              ...podFilters(args),
              cluster: n.cluster,
              kind: 'Pod',
              namespace: n.object.metadata?.name ?? '',
            },
            args,
            podOrder(args.orderBy, args),
            n.object,
          ),
      },
      PodConnection,
    ),
    jobs: t.connection(
      {
        type: JobRef,
        nullable: true,
        args: jobArgs,
        resolve: (n, args, ctx) =>
          loadPage(
            ctx,
            {
              ...jobFilters(args),
              cluster: n.cluster,
              kind: 'Job',
              namespace: n.object.metadata?.name ?? '',
            },
            args,
            jobOrder(args.orderBy),
            n.object,
          ),
      },
      JobConnection,
    ),
  }),
});
