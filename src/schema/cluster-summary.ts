/** ClusterSummary: the numbers of a cluster overview page, from the summary loader. */
import type { ClusterSummary as Summary } from '../loaders/index.js';
import { builder } from './builder.js';
import { JobStateCounts, NodeResources, PodPhaseCounts, phaseCounts, ResourceAmounts } from './common.js';

export const ClusterSummary = builder.objectRef<Summary>('ClusterSummary').implement({
  description:
    'Nodes are counted in full. Pods, jobs and requests: for a caller limited to some namespaces, over those namespaces only (see namespacesOnly).',
  fields: (t) => ({
    nodes: t.exposeInt('nodes'),
    readyNodes: t.exposeInt('readyNodes'),
    pods: t.exposeInt('pods'),
    podsByPhase: t.field({ type: PodPhaseCounts, resolve: (s) => phaseCounts(s.podsByPhase) }),
    scheduledPods: t.int({
      description: 'Non-terminated pods bound to a node (what holds node resources).',
      resolve: (s) => s.scheduledPods,
    }),
    jobs: t.exposeInt('jobs'),
    jobsByState: t.field({ type: JobStateCounts, resolve: (s) => s.jobsByState }),
    capacity: t.field({ type: NodeResources, resolve: (s) => s.capacity }),
    allocatable: t.field({ type: NodeResources, resolve: (s) => s.allocatable }),
    requested: t.field({ type: ResourceAmounts, resolve: (s) => s.requested }),
    namespacesOnly: t.boolean({
      description: 'Pods, jobs and requests were counted over the caller’s namespaces only.',
      resolve: (s) => s.namespacesOnly,
    }),
  }),
});
