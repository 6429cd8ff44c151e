/**
 * The GraphQL schema: every type file registers itself on the builder when imported;
 * `buildSchema` imports them all and builds once.
 */
import { type GraphQLFieldResolver, type GraphQLSchema, isInterfaceType } from 'graphql';
import { builder, encodeGlobalID } from './builder.js';
import './scalars.js';
import './common.js';
import './writes.js';
import './container.js';
import './pod.js';
import './cluster-node.js';
import './job.js';
import './namespace.js';
import './event.js';
import './cluster-status.js';
import './cluster-summary.js';
import './cluster.js';
import './subscriptions.js';
import './logs.js';
import './live.js';
import './usage.js';
import './viewer.js';

let schema: GraphQLSchema | undefined;

/** The gateway's schema. Built once per process: Pothos types are registered at import. */
export function buildSchema(): GraphQLSchema {
  schema ??= synchronousNodeIds(builder.toSchema());
  return schema;
}

type IdResolver = GraphQLFieldResolver<unknown, unknown>;

/**
 * Every Node type's `id` resolved without a promise. The relay plugin resolves a node's `id`
 * through its `globalID` field, whose resolver is `async`: one promise per object on every
 * page a Relay or Apollo client asks for (both select `id` on every object to normalise
 * their caches), and each object holding a promise is then completed through a Promise.all.
 * The same text as the plugin's: `encodeGlobalID(type, String(local id))`, from the local id
 * resolver the type gave `builder.node` (kept in its `pothosOptions`).
 */
function synchronousNodeIds(built: GraphQLSchema): GraphQLSchema {
  const node = built.getType('Node');
  if (!isInterfaceType(node)) throw new Error('the schema has no Node interface');
  for (const type of built.getPossibleTypes(node)) {
    const options = type.extensions.pothosOptions as { id?: { resolve?: IdResolver } } | undefined;
    const local = options?.id?.resolve;
    const field = type.getFields().id;
    if (!field || typeof local !== 'function') throw new Error(`${type.name} has no local id resolver`);
    const name = type.name;
    field.resolve = (parent, args, context, info) => {
      const id = local(parent, args, context, info);
      return id instanceof Promise
        ? id.then((resolved) => encodeGlobalID(name, String(resolved)))
        : encodeGlobalID(name, String(id));
    };
  }
  return built;
}
