/**
 * The one Pothos builder. Fields are non-null unless declared otherwise: whatever can fail
 * upstream (a cluster that is down or forbids a read) is nullable, so that one cluster's
 * failure nulls that field only and the rest of a multi-cluster answer survives.
 */
import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import { badUserInput, quote } from '../errors.js';
import type { GatewayContext } from '../loaders/index.js';

/** Types that implement Relay's Node interface; a global ID must name one of them. */
export const NODE_TYPES = ['Cluster', 'ClusterNode', 'Namespace', 'Pod', 'Job'] as const;

/** Relay global IDs: base64url of "Type:localId"; opaque to clients, stable across restarts. */
export function encodeGlobalID(typename: string, id: string | number | bigint): string {
  return Buffer.from(`${typename}:${id}`, 'utf8').toString('base64url');
}

export function decodeGlobalID(globalID: string): { typename: string; id: string } {
  const text = /^[A-Za-z0-9_-]+={0,2}$/.test(globalID)
    ? Buffer.from(globalID, 'base64url').toString('utf8')
    : '';
  const colon = text.indexOf(':');
  const typename = colon > 0 ? text.slice(0, colon) : '';
  if (!(NODE_TYPES as readonly string[]).includes(typename)) {
    throw badUserInput(
      `expected a global ID returned by this gateway (of a ${NODE_TYPES.join(', ')}), received ${quote(globalID)}`,
    );
  }
  return { typename, id: text.slice(colon + 1) };
}

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    ID: { Input: string; Output: string };
  };
  Connection: { totalCount: number };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  plugins: [RelayPlugin],
  defaultFieldNullability: false,
  relay: {
    encodeGlobalID,
    decodeGlobalID,
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
  },
});

builder.queryType({
  description: 'Reads over every cluster the caller may see, answered from the informer caches.',
});

builder.mutationType({
  description:
    'Writes, sent straight to the API server as the caller (impersonated: the cluster’s RBAC decides and its audit log names the caller), rate limited per cluster and per caller, answered once the gateway’s cache shows them (`visible`). Each field says the RBAC verb it needs.',
});

builder.globalConnectionField('totalCount', (t) =>
  t.int({
    description: 'Objects matching the filters (the principal sees), over all pages.',
    resolve: (parent) => parent.totalCount,
  }),
);
