/**
 * The GraphQL schema: every type file registers itself on the builder when imported;
 * `buildSchema` imports them all and builds once.
 */
import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
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
  schema ??= builder.toSchema();
  return schema;
}
