/** core/v1 Namespace: cluster-scoped, mirrored, indexed by label. */
import type { V1Namespace } from '@kubernetes/client-node';
import { INDEX_LABEL, labelIndexFunc } from '../indexer.js';
import { defineKind } from './define.js';

export const namespaceKind = defineKind<V1Namespace>({
  kind: 'Namespace',
  group: '',
  version: 'v1',
  plural: 'namespaces',
  namespaced: false,
  modelType: 'V1Namespace',
  list: (apis, _namespace, options) => apis.core.listNamespace(options),
  get: (apis, _namespace, name) => apis.core.readNamespace({ name }),
  informer: true,
  readiness: true,
  trim: (t, o) => t.namespace(o),
  indexers: { [INDEX_LABEL]: labelIndexFunc },
  filters: {},
});
