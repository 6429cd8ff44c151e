/**
 * Cluster: one configured cluster, its status and summary, its objects as connections, and
 * lookups by name. Everything that may fail upstream is nullable, so a cluster that is down
 * or forbids a read yields an error with that field's path and leaves the rest of the answer.
 */
import { notFound } from '../errors.js';
import { type GatewayContext, type KindName, loadNow } from '../loaders/index.js';
import { checkName, checkNamespace, checkSearch, checkSelector, loadPage } from './args.js';
import { builder } from './builder.js';
import { nodeArgs, nodeOrder } from './cluster-node.js';
import { ClusterStatus } from './cluster-status.js';
import { ClusterSummary } from './cluster-summary.js';
import { jobArgs, jobFilters, jobOrder } from './job.js';
import { namespaceArgs, namespaceFilters, namespaceOrder } from './namespace.js';
import { podArgs, podFilters, podOrder, podScopeArgs } from './pod.js';
import {
  ClusterNodeConnection,
  ClusterNodeRef,
  ClusterRef,
  JobConnection,
  JobRef,
  NamespaceConnection,
  NamespaceRef,
  PodConnection,
  PodRef,
} from './refs.js';
import { type ClusterShape, type KubeShape, wrap } from './shapes.js';

/** The cluster by name for this principal: null when unknown or hidden (the same answer). */
export function clusterFor(ctx: GatewayContext, name: string): ClusterShape | null {
  return ctx.clusters.lookup(name);
}

async function lookup<K extends KindName>(
  ctx: GatewayContext,
  cluster: string,
  kind: K,
  namespace: string | undefined,
  name: string,
): Promise<KubeShape<K> | null> {
  const obj = await ctx.loaders.object.load({ cluster, kind, namespace, name });
  return obj ? wrap(cluster, kind, obj) : null;
}

/** `pod(namespace:, name:)` and `job(namespace:, name:)`: both names checked before the read. */
function lookupNamespaced<K extends 'Pod' | 'Job'>(
  ctx: GatewayContext,
  cluster: string,
  kind: K,
  args: { namespace: string; name: string },
): Promise<KubeShape<K> | null> {
  return lookup(
    ctx,
    cluster,
    kind,
    checkNamespace('namespace', args.namespace),
    checkName('name', args.name)!,
  );
}

builder.node(ClusterRef, {
  description: 'A Kubernetes cluster kubegate is configured for (a kubeconfig context).',
  isTypeOf: (value) => typeof (value as ClusterShape).name === 'string' && !('object' in (value as object)),
  id: { resolve: (c) => c.name },
  loadOne: (name, ctx) => (ctx.clusters.sees(name) ? { name } : null),
  fields: (t) => ({
    name: t.exposeString('name'),
    version: t.string({
      nullable: true,
      description: 'The API server’s gitVersion, e.g. v1.31.0.',
      resolve: (c, _args, ctx) => ctx.loaders.version.load(c.name),
    }),
    status: t.field({
      type: ClusterStatus,
      resolve: (c, _args, ctx) => {
        const status = ctx.clusters.status(c.name);
        if (!status)
          throw notFound(`cluster "${c.name}" was removed from the configuration`, { cluster: c.name });
        return { cluster: c.name, status, seesKind: ctx.clusters.seesKind(c.name) };
      },
    }),
    summary: t.field({
      type: ClusterSummary,
      nullable: true,
      // From memory when it can be (no promise or batch: a front page asks it many times a second).
      resolve: (c, _args, ctx) => loadNow(ctx.loaders.summary, c.name),
    }),
    namespaces: t.connection(
      {
        type: NamespaceRef,
        nullable: true,
        args: namespaceArgs,
        resolve: (c, args, ctx) =>
          loadPage(
            ctx,
            { ...namespaceFilters(args), cluster: c.name, kind: 'Namespace' },
            args,
            namespaceOrder(args.orderBy),
          ),
      },
      NamespaceConnection,
    ),
    nodes: t.connection(
      {
        type: ClusterNodeRef,
        nullable: true,
        args: nodeArgs,
        resolve: (c, args, ctx) =>
          loadPage(
            ctx,
            {
              cluster: c.name,
              kind: 'Node',
              labelSelector: checkSelector(args.labelSelector),
              search: checkSearch(args.search),
            },
            args,
            nodeOrder(args.orderBy),
          ),
      },
      ClusterNodeConnection,
    ),
    pods: t.connection(
      {
        type: PodRef,
        nullable: true,
        args: { ...podArgs, ...podScopeArgs },
        resolve: (c, args, ctx) =>
          loadPage(
            ctx,
            { ...podFilters(args), cluster: c.name, kind: 'Pod' },
            args,
            podOrder(args.orderBy, args),
          ),
      },
      PodConnection,
    ),
    jobs: t.connection(
      {
        type: JobRef,
        nullable: true,
        args: { ...jobArgs, namespace: t.arg.string() },
        resolve: (c, args, ctx) =>
          loadPage(
            ctx,
            {
              ...jobFilters(args),
              namespace: checkNamespace('namespace', args.namespace),
              cluster: c.name,
              kind: 'Job',
            },
            args,
            jobOrder(args.orderBy),
          ),
      },
      JobConnection,
    ),
    node: t.field({
      type: ClusterNodeRef,
      nullable: true,
      args: { name: t.arg.string({ required: true }) },
      resolve: (c, args, ctx) => lookup(ctx, c.name, 'Node', undefined, checkName('name', args.name)!),
    }),
    namespace: t.field({
      type: NamespaceRef,
      nullable: true,
      args: { name: t.arg.string({ required: true }) },
      resolve: (c, args, ctx) =>
        lookup(ctx, c.name, 'Namespace', undefined, checkNamespace('name', args.name)!),
    }),
    pod: t.field({
      type: PodRef,
      nullable: true,
      args: { namespace: t.arg.string({ required: true }), name: t.arg.string({ required: true }) },
      resolve: (c, args, ctx) => lookupNamespaced(ctx, c.name, 'Pod', args),
    }),
    job: t.field({
      type: JobRef,
      nullable: true,
      args: { namespace: t.arg.string({ required: true }), name: t.arg.string({ required: true }) },
      resolve: (c, args, ctx) => lookupNamespaced(ctx, c.name, 'Job', args),
    }),
  }),
});

builder.queryFields((t) => ({
  clusters: t.field({
    type: [ClusterRef],
    description: 'Every cluster the caller may see, in configuration order.',
    resolve: (_root, _args, ctx) => ctx.clusters.visible().map((name) => ({ name })),
  }),
  cluster: t.field({
    type: ClusterRef,
    nullable: true,
    description:
      'One cluster by name: null when there is none or the caller may not see it (the same answer).',
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => clusterFor(ctx, args.name),
  }),
}));
