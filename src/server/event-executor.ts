/**
 * A subscription's per-event executor, prepared once per subscription.
 *
 * graphql-js's `execute`, which `subscribe` calls for every event, rebuilds the execution
 * context each time: it finds the operation, indexes the fragments, coerces the variables,
 * collects the root fields, and (its memo being keyed by that fresh context) collects every
 * selection set again and computes every field's arguments again. With 1,000 distinct
 * operations that is 1,000 such rebuilds per change. Here all of that is done once, when
 * the subscription starts: the plan holds, per (object type, field nodes), the collected
 * fields with their definition, resolver and coerced arguments; an event only calls the
 * resolvers and completes the values, as graphql-js's `executeFields`/`completeValue` do
 * (plain objects where graphql-js's have a null prototype, which no answer can tell apart
 * once serialised: see `FieldList`; same `info`, same paths, same leaf serialisation).
 *
 * Only the plain path is taken here: synchronous resolvers, no error, no abstract type
 * whose resolver is not a plain name, arrays for lists. Anything else (a thrown or returned
 * error, a null in a non-null position, a promise, an `isTypeOf` that says no, a failed
 * serialisation) abandons the attempt and the event is executed by graphql-js's own
 * `execute`, so every result that carries an error (its message, its path, the nulls it
 * propagates, which errors are kept) is exactly graphql-js's. A subscription that met a
 * promise goes to graphql-js for every later event. The resolvers of an event payload are
 * reads of the event object (they have no effects), so running some of them twice on that
 * rare path changes nothing.
 *
 * Measured (`npx tsx bench/subscription-execute.ts 1000 21`, one event to 1,000 distinct
 * operations, alternating rounds in one process): graphql-js 11.3–12.0 ms of CPU, this plan
 * 2.8–3.4 ms. Why not graphql-jit (which the issue names): it brings 19 packages, and its
 * results with errors would still have to come from graphql-js (an earlier branch,
 * helper-perf-subs, did exactly that); the plan here is the same idea limited to the
 * error-free path, with graphql-js behind it. Why not graphql-js's `buildExecutionContext`:
 * it is exported only from the CJS deep path (`graphql/execution/execute.js`), and its
 * `executeOperation` not at all.
 */
import {
  defaultFieldResolver,
  defaultTypeResolver,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLTypeResolver,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import {
  answerObject,
  type FieldList,
  type FieldPlan,
  fragmentsOf,
  isThenable,
  SelectionPlan,
} from './selection-plan.js';

type Path = GraphQLResolveInfo['path'];
type Result = ExecutionResult | Promise<ExecutionResult>;

/** Thrown to leave the plain path: the event goes to graphql-js's `execute`. */
const ABANDON: unique symbol = Symbol('abandon');

export interface EventExecutor {
  /** The result of one event (its payload is the root value). */
  execute(payload: unknown): Result;
}

/**
 * Prepares `args`' operation for its events; undefined when it cannot be (no single
 * subscription operation, variables that do not coerce): then graphql-js executes each event.
 */
export function prepareEventExecutor(args: ExecutionArgs): EventExecutor | undefined {
  const { schema, document } = args;
  const operation = getOperationAST(document, args.operationName);
  if (operation?.operation !== 'subscription') return undefined;
  const rootType = schema.getSubscriptionType();
  if (!rootType) return undefined;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
  if (coerced.errors) return undefined;
  const plan = new Plan(
    new SelectionPlan(
      schema,
      fragmentsOf(document),
      coerced.coerced,
      operation,
      args.fieldResolver ?? defaultFieldResolver,
    ),
    args.contextValue,
    args.typeResolver ?? defaultTypeResolver,
  );
  const root = plan.selections.root(rootType);
  let async = false;
  return {
    execute(payload) {
      if (!async) {
        try {
          return { data: plan.executeFields(root, payload, payload, undefined) };
        } catch {
          // ABANDON, or anything unforeseen here: graphql-js decides what the event gives.
          if (plan.sawPromise) async = true;
        }
      }
      return execute({ ...args, rootValue: payload });
    },
  };
}

class Plan {
  sawPromise = false;
  readonly schema;
  readonly fragments;
  readonly operation;
  readonly variableValues;

  constructor(
    readonly selections: SelectionPlan,
    readonly contextValue: unknown,
    readonly typeResolver: GraphQLTypeResolver<unknown, unknown>,
  ) {
    this.schema = selections.schema;
    this.fragments = selections.fragments;
    this.operation = selections.operation;
    this.variableValues = selections.variableValues;
  }

  executeFields(plans: FieldList, source: unknown, rootValue: unknown, path: Path | undefined) {
    // The values in field order, made into the answer at the end (one literal where the plan
    // has a builder: selection-plan.ts `answerBuilder`).
    const values: unknown[] = new Array(plans.length);
    for (let i = 0; i < plans.length; i++) {
      const field = plans[i];
      const fieldPath: Path = { prev: path, key: field.responseName, typename: field.parentType.name };
      const info: GraphQLResolveInfo = {
        fieldName: field.fieldDef.name,
        fieldNodes: field.fieldNodes,
        returnType: field.returnType,
        parentType: field.parentType,
        path: fieldPath,
        schema: this.schema,
        fragments: this.fragments,
        rootValue,
        operation: this.operation,
        variableValues: this.variableValues,
      };
      // An argument that does not coerce: graphql-js reports it, with this field's path.
      if (field.args instanceof Error) throw ABANDON;
      let value: unknown;
      try {
        value = field.resolve(source, field.args, this.contextValue, info);
      } catch {
        throw ABANDON;
      }
      values[i] = this.#complete(field.returnType, field, info, fieldPath, value, rootValue);
    }
    if (plans.build !== undefined) return plans.build(values);
    const results = answerObject(plans);
    for (let i = 0; i < plans.length; i++) results[plans[i].responseName] = values[i];
    return results;
  }

  #complete(
    type: GraphQLOutputType,
    field: FieldPlan,
    info: GraphQLResolveInfo,
    path: Path,
    value: unknown,
    rootValue: unknown,
  ): unknown {
    if (isThenable(value)) {
      this.sawPromise = true;
      // Settled by graphql-js's run of the event; this one is dropped, its rejection too.
      Promise.resolve(value).catch(() => undefined);
      throw ABANDON;
    }
    if (value instanceof Error) throw ABANDON;
    if (isNonNullType(type)) {
      const completed = this.#complete(type.ofType, field, info, path, value, rootValue);
      if (completed === null) throw ABANDON;
      return completed;
    }
    if (value == null) return null;
    if (isListType(type)) {
      if (!Array.isArray(value)) throw ABANDON;
      const item = type.ofType;
      return value.map((v, index) =>
        this.#complete(item, field, info, { prev: path, key: index, typename: undefined }, v, rootValue),
      );
    }
    if (isLeafType(type)) {
      let serialised: unknown;
      try {
        serialised = type.serialize(value);
      } catch {
        throw ABANDON;
      }
      if (serialised == null) throw ABANDON;
      return serialised;
    }
    let objectType: GraphQLObjectType;
    if (isAbstractType(type)) {
      const name = (type.resolveType ?? this.typeResolver)(value, this.contextValue, info, type);
      if (typeof name !== 'string') {
        if (isThenable(name)) {
          this.sawPromise = true;
          Promise.resolve(name).catch(() => undefined);
        }
        throw ABANDON;
      }
      const runtime = this.schema.getType(name);
      if (!runtime || !isObjectType(runtime) || !this.schema.isSubType(type, runtime)) throw ABANDON;
      objectType = runtime;
    } else {
      objectType = type;
    }
    if (objectType.isTypeOf) {
      const is = objectType.isTypeOf(value, this.contextValue, info);
      if (isThenable(is)) {
        this.sawPromise = true;
        Promise.resolve(is).catch(() => undefined);
        throw ABANDON;
      }
      if (!is) throw ABANDON;
    }
    const subfields = this.selections.subfields(objectType, field.fieldNodes);
    return this.executeFields(subfields, value, rootValue, path);
  }
}
