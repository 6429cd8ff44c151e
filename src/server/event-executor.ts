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
 * (same null-prototype objects, same `info`, same paths, same leaf serialisation).
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
  type DocumentNode,
  defaultFieldResolver,
  defaultTypeResolver,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLField,
  type GraphQLFieldResolver,
  GraphQLIncludeDirective,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  GraphQLSkipDirective,
  type GraphQLTypeResolver,
  getArgumentValues,
  getDirectiveValues,
  getOperationAST,
  getVariableValues,
  type InlineFragmentNode,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  TypeNameMetaFieldDef,
  typeFromAST,
} from 'graphql';

type Path = GraphQLResolveInfo['path'];
type Result = ExecutionResult | Promise<ExecutionResult>;

/** One collected field of a selection set on a given object type, ready to resolve. */
interface FieldPlan {
  readonly responseName: string;
  readonly fieldNodes: readonly FieldNode[];
  readonly fieldDef: GraphQLField<unknown, unknown>;
  readonly resolve: GraphQLFieldResolver<unknown, unknown>;
  readonly returnType: GraphQLOutputType;
  readonly parentType: GraphQLObjectType;
  /** Coerced once: they depend only on the field node and the subscription's variables. */
  readonly args: Record<string, unknown>;
}

/** Thrown to leave the plain path: the event goes to graphql-js's `execute`. */
const ABANDON: unique symbol = Symbol('abandon');

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

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
    schema,
    fragmentsOf(document),
    coerced.coerced,
    operation,
    args.contextValue,
    args.fieldResolver ?? defaultFieldResolver,
    args.typeResolver ?? defaultTypeResolver,
  );
  let root: readonly FieldPlan[];
  try {
    root = plan.fields(rootType, operation, () => [operation.selectionSet]);
  } catch {
    return undefined; // an argument that does not coerce: graphql-js reports it per event
  }
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

function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = Object.create(null);
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  return fragments;
}

/** Arguments that do not coerce are graphql-js's to report (per event, with the field's path). */
function argumentsOf(
  fieldDef: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: Record<string, unknown>,
): Record<string, unknown> {
  try {
    return getArgumentValues(fieldDef, node, variables);
  } catch {
    throw ABANDON;
  }
}

class Plan {
  /** Per selection (the field nodes, or the operation's selection set) and object type: its fields. */
  readonly #collected = new WeakMap<object, Map<GraphQLObjectType, readonly FieldPlan[]>>();
  sawPromise = false;

  constructor(
    readonly schema: GraphQLSchema,
    readonly fragments: Record<string, FragmentDefinitionNode>,
    readonly variableValues: Record<string, unknown>,
    readonly operation: OperationDefinitionNode,
    readonly contextValue: unknown,
    readonly fieldResolver: GraphQLFieldResolver<unknown, unknown>,
    readonly typeResolver: GraphQLTypeResolver<unknown, unknown>,
  ) {}

  /**
   * The fields a selection collects on `type`, once per plan; `key` names the selection (the
   * operation, or the field nodes of one response key, as graphql-js's memo does).
   */
  fields(type: GraphQLObjectType, key: object, selectionSets: () => readonly SelectionSetNode[]) {
    let byType = this.#collected.get(key);
    if (!byType) {
      byType = new Map();
      this.#collected.set(key, byType);
    }
    let plans = byType.get(type);
    if (!plans) {
      const nodes = new Map<string, FieldNode[]>();
      const visited = new Set<string>();
      for (const set of selectionSets()) this.#collect(type, set, nodes, visited);
      const list: FieldPlan[] = [];
      for (const [responseName, fieldNodes] of nodes) {
        const name = fieldNodes[0].name.value;
        const fieldDef = name === TypeNameMetaFieldDef.name ? TypeNameMetaFieldDef : type.getFields()[name];
        if (!fieldDef) continue; // as graphql-js: an unknown field is left out
        list.push({
          responseName,
          fieldNodes,
          fieldDef,
          resolve: fieldDef.resolve ?? this.fieldResolver,
          returnType: fieldDef.type,
          parentType: type,
          args: argumentsOf(fieldDef, fieldNodes[0], this.variableValues),
        });
      }
      plans = list;
      byType.set(type, plans);
    }
    return plans;
  }

  /** graphql-js's collectFieldsImpl: @skip/@include, fragments once each, type conditions. */
  #collect(
    type: GraphQLObjectType,
    set: SelectionSetNode,
    into: Map<string, FieldNode[]>,
    visited: Set<string>,
  ) {
    for (const selection of set.selections) {
      switch (selection.kind) {
        case Kind.FIELD: {
          if (!this.#included(selection)) continue;
          const name = selection.alias ? selection.alias.value : selection.name.value;
          const list = into.get(name);
          if (list) list.push(selection);
          else into.set(name, [selection]);
          break;
        }
        case Kind.INLINE_FRAGMENT:
          if (!this.#included(selection) || !this.#conditionMatches(selection, type)) continue;
          this.#collect(type, selection.selectionSet, into, visited);
          break;
        case Kind.FRAGMENT_SPREAD: {
          const name = selection.name.value;
          if (visited.has(name) || !this.#included(selection)) continue;
          visited.add(name);
          const fragment = this.fragments[name];
          if (!fragment || !this.#conditionMatches(fragment, type)) continue;
          this.#collect(type, fragment.selectionSet, into, visited);
          break;
        }
      }
    }
  }

  #included(node: FieldNode | InlineFragmentNode | FragmentSpreadNode): boolean {
    if (!node.directives?.length) return true;
    const skip = getDirectiveValues(GraphQLSkipDirective, node, this.variableValues);
    if (skip?.if === true) return false;
    const include = getDirectiveValues(GraphQLIncludeDirective, node, this.variableValues);
    return include?.if !== false;
  }

  #conditionMatches(fragment: FragmentDefinitionNode | InlineFragmentNode, type: GraphQLObjectType): boolean {
    const condition = fragment.typeCondition;
    if (!condition) return true;
    const conditional = typeFromAST(this.schema, condition);
    if (conditional === type) return true;
    if (conditional && isAbstractType(conditional)) return this.schema.isSubType(conditional, type);
    return false;
  }

  executeFields(plans: readonly FieldPlan[], source: unknown, rootValue: unknown, path: Path | undefined) {
    const results: Record<string, unknown> = Object.create(null);
    for (const field of plans) {
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
      let value: unknown;
      try {
        value = field.resolve(source, field.args, this.contextValue, info);
      } catch {
        throw ABANDON;
      }
      results[field.responseName] = this.#complete(
        field.returnType,
        field,
        info,
        fieldPath,
        value,
        rootValue,
      );
    }
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
    const subfields = this.fields(objectType, field.fieldNodes, () =>
      field.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : [])),
    );
    return this.executeFields(subfields, value, rootValue, path);
  }
}
