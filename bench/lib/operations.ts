/**
 * The benchmark's operations: Q1..Q5 as `.graphql` files in bench/operations (codegen
 * types them with the rest of the project's documents), checked against the committed
 * schema at startup so a stale operation fails the run before any load is generated;
 * what kubectl runs for the ones it can express; and the subscription used for the
 * event-latency figures, when the schema has it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, type GraphQLSchema, parse, validate } from 'graphql';
import type { QueryVariables } from './upstream.js';

export const OPERATION_IDS = ['Q1', 'Q2', 'Q3', 'Q4', 'Q5'] as const;
export type OperationId = (typeof OPERATION_IDS)[number];

export interface Operation {
  id: OperationId;
  file: string;
  title: string;
  query: string;
  operationName: string;
}

const FILES: Record<OperationId, { file: string; title: string }> = {
  Q1: { file: 'q1-cluster-summary.graphql', title: 'cluster summary' },
  Q2: { file: 'q2-nodes-load.graphql', title: 'every node with podCount, requested, allocatable' },
  Q3: { file: 'q3-jobs-page.graphql', title: 'page of 100 jobs with their pods’ phases' },
  Q4: {
    file: 'q4-pods-filtered.graphql',
    title: 'filtered page of pods (namespace + label + phase, by creation)',
  },
  Q5: { file: 'q5-pod-detail.graphql', title: 'one pod with its node and job' },
};

/** The ceiling (system A) answers this for every operation. */
export const HELLO_QUERY = '{ hello }';

export function loadSchema(root: string): GraphQLSchema {
  return buildSchema(readFileSync(join(root, 'schema/schema.graphql'), 'utf8'));
}

/** Loads Q1..Q5 and validates them against schema/schema.graphql; throws listing every problem. */
export function loadOperations(root: string, schema: GraphQLSchema): Operation[] {
  const problems: string[] = [];
  const ops = OPERATION_IDS.map((id) => {
    const { file, title } = FILES[id];
    const query = readFileSync(join(root, 'bench/operations', file), 'utf8');
    const document = parse(query);
    for (const e of validate(schema, document)) problems.push(`bench/operations/${file}: ${e.message}`);
    const def = document.definitions.find((d) => d.kind === 'OperationDefinition');
    return { id, file, title, query, operationName: def && 'name' in def && def.name ? def.name.value : id };
  });
  if (problems.length)
    throw new Error(`operations do not match schema/schema.graphql:\n${problems.join('\n')}`);
  return ops;
}

export function variablesFor(id: OperationId, cluster: string, v: QueryVariables): Record<string, unknown> {
  switch (id) {
    case 'Q1':
    case 'Q2':
    case 'Q3':
      return { cluster };
    case 'Q4':
      return { cluster, namespace: v.namespace, labelSelector: v.labelSelector, phase: 'RUNNING' };
    case 'Q5':
      return { cluster, namespace: v.pod.namespace, name: v.pod.name };
  }
}

/**
 * What kubectl runs for an operation: one or more invocations, in order, timed together.
 * Q3 has no kubectl form (a page of jobs joined with their pods needs a program).
 */
export function kubectlPlan(
  id: OperationId,
  v: QueryVariables,
): { invocations: string[][]; note: string } | null {
  switch (id) {
    case 'Q1':
      return {
        invocations: [['get', 'nodes,pods,jobs', '-A', '-o', 'json']],
        note: 'approximated: one `get nodes,pods,jobs -A -o json` (the caller still has to count)',
      };
    case 'Q2':
      return {
        invocations: [['get', 'nodes,pods', '-A', '-o', 'json']],
        note: 'one `get nodes,pods -A -o json` (the caller still has to sum per node)',
      };
    case 'Q3':
      return null;
    case 'Q4':
      return {
        invocations: [
          [
            ...['get', 'pods', '-n', v.namespace, '-l', v.labelSelector],
            ...[
              '--field-selector',
              `status.phase=${v.phase}`,
              '--sort-by',
              '.metadata.creationTimestamp',
              '-o',
              'json',
            ],
          ],
        ],
        note: '`get pods -n -l --field-selector --sort-by -o json`',
      };
    case 'Q5':
      return {
        invocations: [
          ['get', 'pod', v.pod.name, '-n', v.pod.namespace, '-o', 'json'],
          ['get', 'node', v.pod.nodeName, '-o', 'json'],
          ...(v.pod.jobName ? [['get', 'job', v.pod.jobName, '-n', v.pod.namespace, '-o', 'json']] : []),
        ],
        note: v.pod.jobName
          ? 'three invocations: get pod, then its node and its job'
          : 'get pod, then its node (no job)',
      };
  }
}

/**
 * The subscription for the event-latency figures, built from what `Subscription.podEvents`
 * accepts (the cluster argument is passed when the field has one), or why it cannot run.
 */
export function subscriptionDocument(schema: GraphQLSchema): { query: string } | { unavailable: string } {
  const field = schema.getSubscriptionType()?.getFields().podEvents;
  if (!field) return { unavailable: 'Subscription.podEvents is not in schema/schema.graphql' };
  const types = new Map(field.args.map((a) => [a.name, a.type.toString()]));
  const has = new Set(types.keys());
  const args = ['cluster', 'namespace', 'labelSelector'].filter((a) => has.has(a));
  const query = `subscription BenchPodEvents(${args.map((a) => `$${a}: ${types.get(a)}`).join(', ')}) {
  podEvents(${args.map((a) => `${a}: $${a}`).join(', ')}) {
    type
    object {
      name
    }
  }
}`;
  const errors = validate(schema, parse(query));
  if (errors.length)
    return {
      unavailable: `the benchmark subscription does not validate: ${errors.map((e) => e.message).join('; ')}`,
    };
  if (!has.has('labelSelector'))
    return {
      unavailable: 'Subscription.podEvents has no labelSelector argument to single out the benchmark pods',
    };
  return { query };
}
