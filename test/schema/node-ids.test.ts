/**
 * Node ids without a promise: every Node type's `id` resolves synchronously (Relay and
 * Apollo clients select it on every object of every page) to the same text the relay
 * plugin's own, asynchronous, resolver gives.
 */
import { type GraphQLFieldResolver, type GraphQLResolveInfo, isInterfaceType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { decodeGlobalID } from '../../src/schema/builder.js';
import { buildSchema } from '../../src/schema/index.js';

const schema = buildSchema();
const node = schema.getType('Node');
if (!isInterfaceType(node)) throw new Error('no Node interface');
const types = schema.getPossibleTypes(node);

/** A parent of each Node type, as its resolvers receive it. */
function parentOf(type: string): unknown {
  if (type === 'Cluster') return { name: 'c1' };
  const namespaced = type !== 'ClusterNode' && type !== 'Namespace';
  return {
    cluster: 'c1',
    object: { metadata: { name: 'n1', ...(namespaced ? { namespace: 'ns1' } : {}) } },
  };
}

describe('Node ids', () => {
  it('covers every Node type', () => {
    expect(types.map((t) => t.name).sort()).toEqual(['Cluster', 'ClusterNode', 'Job', 'Namespace', 'Pod']);
  });

  it.each(types.map((t) => [t.name, t] as const))(
    '%s.id is a string now, the plugin’s own text',
    async (name, type) => {
      const field = type.getFields().id;
      const info = { fieldName: 'id', parentType: type, schema } as unknown as GraphQLResolveInfo;
      const parent = parentOf(name);
      const id = field.resolve?.(parent, {}, {}, info);
      expect(typeof id).toBe('string');
      expect(decodeGlobalID(id as string).typename).toBe(name);
      const plugin = field.extensions.pothosOriginalResolve as GraphQLFieldResolver<unknown, unknown>;
      const original = plugin(parent, {}, {}, info);
      expect(original).toBeInstanceOf(Promise); // what this replaces
      expect(await original).toBe(id);
    },
  );
});
