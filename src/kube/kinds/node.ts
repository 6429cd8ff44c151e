/** core/v1 Node: cluster-scoped, mirrored, indexed by label (roles, zones, instance types). */
import type { V1Node } from '@kubernetes/client-node';
import { INDEX_LABEL, labelIndexFunc } from '../indexer.js';
import { defineKind } from './define.js';

export const nodeKind = defineKind<V1Node>({
  kind: 'Node',
  group: '',
  version: 'v1',
  plural: 'nodes',
  namespaced: false,
  modelType: 'V1Node',
  list: (apis, _namespace, options) => apis.core.listNode(options),
  get: (apis, _namespace, name) => apis.core.readNode({ name }),
  informer: true,
  readiness: true,
  trim: (t, o) => t.node(o),
  // What the node trim drops: the kubelet's image list (up to 50 images with their tags and
  // digests, a quarter of a node), volumes and the rest of its status beyond conditions.
  dropped: [
    'images',
    'volumesAttached',
    'volumesInUse',
    'daemonEndpoints',
    'config',
    'features',
    'runtimeHandlers',
    'configSource',
  ],
  indexers: { [INDEX_LABEL]: labelIndexFunc },
  filters: {},
});
