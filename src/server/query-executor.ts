/**
 * Queries executed on a plan kept per (document, operation, variables).
 *
 * Yoga's executor (@graphql-tools/executor, a fork of graphql-js's) rebuilds the execution
 * context of every request, coerces a field's arguments again for every object it is asked
 * of, and gives every field's `info` two new closures. On a wide page that is most of the
 * execution: Q2 at size L asks ~10 fields of each of 1,000 nodes. Here the plan
 * (selection-plan.ts) is made once per document and variables, and shared by every request
 * that sends them (yoga's parse cache hands back the same document object for the same
 * text); a request only calls resolvers and completes values.
 *
 * Semantics are @graphql-tools/executor's, step for step (executeFields, executeField,
 * completeValue, completeListValue, completeAbstractValue, completeObjectValue,
 * handleFieldError): promises anywhere, errors located at their field's path, nulls
 * propagated to the nearest nullable parent, errors in the order the executor meets them,
 * the abort signal (the gateway's time limit) checked before every field. Everything this
 * does not do is left to the executor it wraps: mutations and subscriptions, operations it
 * cannot find, variables that do not coerce (their errors are the executor's, HTTP 400), and
 * documents with @defer or @stream.
 *
 * Two messages differ: an `isTypeOf` that says no and a leaf that serializes to null do not
 * quote the value (the executor `inspect`s it); both are bugs of ours, masked as INTERNAL.
 *
 * Measured in one process (`IDS=Q2,Q3 ONLY=exec,plan npx tsx bench/wide-breakdown.ts S|L`,
 * medians, churn 20/s): Q2 at S 0.28-0.31 ms with yoga's executor, 0.13-0.15 ms planned; Q3 at
 * S 1.08-1.13 -> 0.71-0.74 ms; Q2 at L 3.7-4.8 -> 2.0-2.5 ms; Q3 at L 1.28-1.35 -> 0.86-0.88 ms.
 *
 * A selection set is run by a function generated for its shape (compiled-fields.ts) where it
 * can be, the loop of `executeFieldsGeneric` otherwise; both go through the same steps for
 * anything but a resolver that gave its built-in scalar's answer. And a value is completed by
 * its field's `Completion` (selection-plan.ts), not by asking its type what it is.
 */
import {
  BREAK,
  type DocumentNode,
  defaultFieldResolver,
  defaultTypeResolver,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type GraphQLAbstractType,
  GraphQLError,
  type GraphQLLeafType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLTypeResolver,
  getOperationAST,
  getVariableValues,
  isNonNullType,
  isObjectType,
  locatedError,
  type OperationDefinitionNode,
  responsePathAsArray,
  visit,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { compileFields } from './compiled-fields.js';
import {
  ABSTRACT,
  answerObject,
  type Completion,
  type FieldList,
  type FieldPlan,
  fragmentsOf,
  isThenable,
  LEAF,
  LIST,
  NON_NULL,
  SelectionPlan,
} from './selection-plan.js';

type Path = GraphQLResolveInfo['path'];
type Args = ExecutionArgs & { signal?: AbortSignal };
type Execute = (args: Args) => unknown;

/** Plans kept per document: one per (operation name, variables); a document's 33rd set replaces the oldest. */
const PLANS_PER_DOCUMENT = 32;

interface DocumentPlans {
  /** Whether the document can be planned at all (no @defer/@stream). */
  readonly plannable: boolean;
  readonly byVariables: Map<string, QueryPlan | null>;
}

function usesIncrementalDelivery(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(node) {
      if (node.name.value === 'defer' || node.name.value === 'stream') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Runs queries on plans and hands everything else to `fallback` (the executor it replaces).
 * The plans live as long as the function: one per gateway.
 */
export function queryPlans(): (args: Args, fallback: Execute) => unknown {
  const documents = new WeakMap<DocumentNode, DocumentPlans>();
  const planFor = (args: Args): QueryPlan | null => {
    const { document } = args;
    let entry = documents.get(document);
    if (!entry) {
      entry = { plannable: !usesIncrementalDelivery(document), byVariables: new Map() };
      documents.set(document, entry);
    }
    if (!entry.plannable) return null;
    const key = `${args.operationName ?? ''}\u0000${args.variableValues ? JSON.stringify(args.variableValues) : ''}`;
    let plan = entry.byVariables.get(key);
    if (plan === undefined) {
      plan = QueryPlan.prepare(args);
      if (entry.byVariables.size >= PLANS_PER_DOCUMENT) {
        entry.byVariables.delete(entry.byVariables.keys().next().value as string);
      }
      entry.byVariables.set(key, plan);
    }
    return plan;
  };
  return (args, fallback) => {
    const plan = planFor(args);
    if (!plan || args.schema !== plan.selections.schema) return fallback(args);
    return plan.execute(args);
  };
}

/** One query operation with its variables, planned; executed by any number of requests. */
class QueryPlan {
  static prepare(args: Args): QueryPlan | null {
    const { schema, document } = args;
    const operation = getOperationAST(document, args.operationName);
    if (operation?.operation !== 'query') return null;
    const rootType = schema.getQueryType();
    if (!rootType) return null;
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
    if (coerced.errors) return null; // the executor's errors, with their HTTP status
    return new QueryPlan(
      new SelectionPlan(
        schema,
        fragmentsOf(document),
        coerced.coerced,
        operation,
        args.fieldResolver ?? defaultFieldResolver,
      ),
      rootType,
      args.typeResolver ?? defaultTypeResolver,
    );
  }

  private constructor(
    readonly selections: SelectionPlan,
    readonly rootType: GraphQLObjectType,
    readonly typeResolver: GraphQLTypeResolver<unknown, unknown>,
  ) {}

  execute(args: Args): ExecutionResult | Promise<ExecutionResult> {
    const run = new Execution(this, args.contextValue, args.rootValue, args.signal);
    args.signal?.throwIfAborted();
    let data: unknown;
    try {
      data = run.executeFields(this.rootType, this.selections.root(this.rootType), args.rootValue, undefined);
    } catch (error) {
      return run.failed(error);
    }
    if (isThenable(data)) {
      return Promise.resolve(data).then(
        (resolved) => run.response(resolved),
        (error) => run.failed(error),
      );
    }
    return run.response(data);
  }
}

/** graphql-tools' coerceError: anything thrown becomes an Error. */
function coerceError(error: unknown): Error {
  if (error instanceof Error) return error;
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string') {
    return new Error(error.message, { cause: error });
  }
  return new Error(String(error), { cause: error });
}

/** `{ a, b: Promise }` → `Promise<{ a, b }>`, as graphql-tools' promiseForObject (same key order). */
function promiseForObject(object: Record<string, unknown>, plainObject: boolean, run: Execution) {
  const keys = Object.keys(object);
  return Promise.all(keys.map((key) => object[key])).then((values) => {
    run.throwIfAborted();
    const resolved: Record<string, unknown> = plainObject ? {} : Object.create(null);
    for (let i = 0; i < keys.length; i++) resolved[keys[i]] = values[i];
    return resolved;
  });
}

/** One request's execution of a plan. */
class Execution {
  readonly errors: GraphQLError[] = [];
  readonly #plan: QueryPlan;
  readonly #selections: SelectionPlan;
  readonly #operation: OperationDefinitionNode;
  /**
   * The signal's state as a plain field, set by its `abort` event (dispatched synchronously
   * by `abort()`). `AbortSignal.prototype.throwIfAborted` costs ~0.1 µs a call (its brand
   * check and getter), and reading the signal once per selection set made Q2 at size L
   * 8.1 -> 9.2 ms in the planned executor (`IDS=Q2 ONLY=plan,plans npx tsx
   * bench/wide-breakdown.ts L 40`).
   */
  #aborted = false;

  constructor(
    plan: QueryPlan,
    readonly contextValue: unknown,
    readonly rootValue: unknown,
    readonly signal: AbortSignal | undefined,
  ) {
    this.#plan = plan;
    this.#selections = plan.selections;
    this.#operation = plan.selections.operation;
    if (signal?.aborted) this.#aborted = true;
    else
      signal?.addEventListener(
        'abort',
        () => {
          this.#aborted = true;
        },
        { once: true },
      );
  }

  /** `signal.throwIfAborted()`, read from the field the abort event sets. */
  throwIfAborted(): void {
    if (this.#aborted) throw this.signal?.reason;
  }

  response(data: unknown): ExecutionResult {
    return this.errors.length === 0
      ? { data: data as ExecutionResult['data'] }
      : { errors: this.errors, data: data as ExecutionResult['data'] };
  }

  failed(error: unknown): ExecutionResult {
    this.throwIfAborted();
    const errors = (error as { errors?: GraphQLError[] }).errors;
    if (Array.isArray(errors)) this.errors.push(...errors);
    else this.errors.push(error as GraphQLError);
    return this.response(null);
  }

  /**
   * A selection set's answer: by its generated function (compiled-fields.ts) when it has
   * one, made the first time the selection set is asked, else by the loop below.
   */
  executeFields(
    parentType: GraphQLObjectType,
    fields: FieldList,
    source: unknown,
    path: Path | undefined,
  ): unknown {
    let compiled = fields.compiled;
    if (compiled === undefined) {
      compiled = compileFields(parentType, fields) ?? null;
      fields.compiled = compiled;
    }
    if (compiled !== null) return compiled(this, source, path);
    return this.executeFieldsGeneric(fields, source, path);
  }

  executeFieldsGeneric(
    fields: FieldList,
    source: unknown,
    path: Path | undefined,
  ): Record<string, unknown> | Promise<Record<string, unknown>> {
    const count = fields.length;
    // The values in field order; the answer object is made from them at the end, in one
    // literal of exactly these keys where the plan has a builder (selection-plan.ts).
    const values: unknown[] = new Array(count);
    // Once per selection set: an abort can only come between ticks (a timer), never while
    // this loop runs, and a selection set reached after a promise comes here again.
    this.throwIfAborted();
    try {
      for (let i = 0; i < count; i++) values[i] = this.field(fields[i], source, path);
    } catch (error) {
      return this.escaped(error, values);
    }
    return this.assemble(fields, values);
  }

  /** One field of a selection set on `source` (FieldSteps.field). */
  field(field: FieldPlan, source: unknown, path: Path | undefined): unknown {
    return field.leaf !== undefined
      ? this.#executeLeaf(field, field.leaf, source, path)
      : this.#executeField(field, source, {
          prev: path,
          key: field.responseName,
          typename: field.parentType.name,
        });
  }

  /** An error out of a selection set: the other fields' promises may reject too, and are settled first. */
  escaped(error: unknown, values: unknown[]): never | Promise<never> {
    if (error !== this.signal?.reason) {
      const pending = values.filter(isThenable);
      if (pending.length > 0) {
        const rethrow = () => {
          throw error;
        };
        return Promise.all(pending).then(rethrow, rethrow);
      }
    }
    throw error;
  }

  /** The answer object of `fields` from their values in order (FieldSteps.assemble). */
  assemble(fields: FieldList, values: unknown[]): Record<string, unknown> | Promise<Record<string, unknown>> {
    const count = fields.length;
    let containsPromise = false;
    let omitted = false;
    for (let i = 0; i < count; i++) {
      const value = values[i];
      if (value === undefined) omitted = true;
      else if (isThenable(value)) containsPromise = true;
    }
    let results: Record<string, unknown>;
    if (fields.build !== undefined && !omitted) results = fields.build(values);
    else {
      // As graphql-js: a field whose value is undefined is left out of the answer.
      results = answerObject(fields);
      for (let i = 0; i < count; i++)
        if (values[i] !== undefined) results[fields[i].responseName] = values[i];
    }
    return containsPromise ? promiseForObject(results, fields.plainObject, this) : results;
  }

  #info(field: FieldPlan, path: Path): GraphQLResolveInfo {
    const selections = this.#selections;
    return {
      fieldName: field.fieldDef.name,
      fieldNodes: field.fieldNodes,
      returnType: field.returnType,
      parentType: field.parentType,
      path,
      schema: selections.schema,
      fragments: selections.fragments,
      rootValue: this.rootValue,
      operation: this.#operation,
      variableValues: selections.variableValues,
      signal: this.signal,
    } as GraphQLResolveInfo;
  }

  /**
   * A field that is not a leaf (FieldPlan.leaf undefined). Its `info` is made only when
   * something reads it (FieldPlan.needsInfo: a resolver that declares it, an abstract type's
   * resolveType, an isTypeOf that declares it): of the schema's object fields only Relay's
   * `node(s)` and `id` do. A page of 1,000 nodes made 3,000 of them (each edge's node, its
   * requested and allocatable), 12 fields each, read by nothing.
   */
  #executeField(field: FieldPlan, source: unknown, path: Path): unknown {
    const info = field.needsInfo ? this.#info(field, path) : undefined;
    const { returnType } = field;
    try {
      const args = field.args;
      if (args instanceof Error) throw args;
      let result: unknown;
      if (info === undefined && field.property !== undefined) {
        // graphql-js's defaultFieldResolver; a method is called as it calls it, with `info`.
        const value =
          (typeof source === 'object' && source !== null) || typeof source === 'function'
            ? (source as Record<string, unknown>)[field.property]
            : undefined;
        result =
          typeof value === 'function'
            ? field.resolve(source, args, this.contextValue, this.#info(field, path))
            : value;
      } else {
        result = field.resolve(source, args, this.contextValue, info as GraphQLResolveInfo);
      }
      return this.#completed(field, info, path, result);
    } catch (raw) {
      return this.#fieldError(raw, field.fieldNodes, path, returnType);
    }
  }

  /** A field's value completed once its resolver gave `result`; a failure is its field error. */
  #completed(field: FieldPlan, info: GraphQLResolveInfo | undefined, path: Path, result: unknown): unknown {
    try {
      const completed = isThenable(result)
        ? Promise.resolve(result).then((resolved) =>
            this.#complete(field.completion, field, info, path, resolved),
          )
        : this.#complete(field.completion, field, info, path, result);
      if (isThenable(completed)) {
        return Promise.resolve(completed).then(undefined, (raw) =>
          this.#fieldError(raw, field.fieldNodes, path, field.returnType),
        );
      }
      return completed;
    } catch (raw) {
      return this.#fieldError(raw, field.fieldNodes, path, field.returnType);
    }
  }

  /**
   * A leaf field (FieldPlan.leaf): #executeField's steps with no `info` object (its resolver
   * does not take one) and no path unless it fails. Most fields of a wide page are leaves:
   * at size S a nodes page with usage asks 15 leaves of each node. Without an `info` object
   * and a path per leaf, the gateway's CPU per request went 505 -> 476 µs on it and 382 ->
   * 370 µs on Q2 (`npm run bench:usage -- S 10`), its GC share 4.8 -> 2.5 %.
   */
  #executeLeaf(
    field: FieldPlan,
    leaf: GraphQLLeafType,
    source: unknown,
    parentPath: Path | undefined,
  ): unknown {
    try {
      const args = field.args;
      if (args instanceof Error) throw args;
      let result: unknown;
      if (field.property === undefined) {
        result = field.resolve(source, args, this.contextValue, undefined as unknown as GraphQLResolveInfo);
      } else {
        // graphql-js's defaultFieldResolver; a method (given `info`) takes the general way.
        const value =
          (typeof source === 'object' && source !== null) || typeof source === 'function'
            ? (source as Record<string, unknown>)[field.property]
            : undefined;
        if (typeof value === 'function') {
          return this.#executeField(field, source, this.#pathOf(field, parentPath));
        }
        result = value;
      }
      if (isThenable(result)) {
        const path = this.#pathOf(field, parentPath);
        return Promise.resolve(result)
          .then((resolved) => this.#leafValue(field, leaf, resolved))
          .then(undefined, (raw) => this.#fieldError(raw, field.fieldNodes, path, field.returnType));
      }
      return this.#leafValue(field, leaf, result);
    } catch (raw) {
      return this.#fieldError(raw, field.fieldNodes, this.#pathOf(field, parentPath), field.returnType);
    }
  }

  /** #executeLeaf's steps after its resolver gave `result` (FieldSteps.leafAfter). */
  leafAfter(field: FieldPlan, result: unknown, source: unknown, parentPath: Path | undefined): unknown {
    if (field.property !== undefined && typeof result === 'function') {
      return this.#executeField(field, source, this.#pathOf(field, parentPath));
    }
    try {
      if (isThenable(result)) {
        const path = this.#pathOf(field, parentPath);
        return Promise.resolve(result)
          .then((resolved) => this.#leafValue(field, field.leaf as GraphQLLeafType, resolved))
          .then(undefined, (raw) => this.#fieldError(raw, field.fieldNodes, path, field.returnType));
      }
      return this.#leafValue(field, field.leaf as GraphQLLeafType, result);
    } catch (raw) {
      return this.#fieldError(raw, field.fieldNodes, this.#pathOf(field, parentPath), field.returnType);
    }
  }

  /** #executeField's steps after its resolver gave `result`, for a field without `info` (FieldSteps.completeField). */
  completeField(field: FieldPlan, result: unknown, parentPath: Path | undefined): unknown {
    return this.#completed(field, undefined, this.#pathOf(field, parentPath), result);
  }

  /** A field that is not a leaf whose resolver threw (FieldSteps.fieldThrown). */
  fieldThrown(field: FieldPlan, raw: unknown, parentPath: Path | undefined): null {
    return this.#fieldError(raw, field.fieldNodes, this.#pathOf(field, parentPath), field.returnType);
  }

  /** A leaf whose resolver threw (FieldSteps.leafThrown). */
  leafThrown(field: FieldPlan, raw: unknown, parentPath: Path | undefined): null {
    return this.#fieldError(raw, field.fieldNodes, this.#pathOf(field, parentPath), field.returnType);
  }

  #pathOf(field: FieldPlan, parentPath: Path | undefined): Path {
    return { prev: parentPath, key: field.responseName, typename: field.parentType.name };
  }

  /** #complete for a leaf type, nullable or not. */
  #leafValue(field: FieldPlan, leaf: GraphQLLeafType, result: unknown): unknown {
    if (result instanceof Error) throw result;
    if (result == null) {
      if (field.nonNull) {
        throw new Error(
          `Cannot return null for non-nullable field ${field.parentType.name}.${field.fieldDef.name}.`,
        );
      }
      return null;
    }
    return completeLeaf(leaf, result);
  }

  /** graphql-tools' handleFieldError, for one error or each of an AggregateError's. */
  #fieldError(
    raw: unknown,
    fieldNodes: readonly FieldNode[],
    path: Path,
    returnType: GraphQLOutputType,
  ): null {
    const each = raw instanceof AggregateError ? raw.errors : [raw];
    let result: null = null;
    for (const one of each) result = this.#handleFieldError(one, fieldNodes, path, returnType);
    return result;
  }

  #handleFieldError(
    raw: unknown,
    fieldNodes: readonly FieldNode[],
    path: Path,
    returnType: GraphQLOutputType,
  ): null {
    const error = locatedError(coerceError(raw), fieldNodes, responsePathAsArray(path));
    // A non-null field has no protection: its parent becomes null (or the whole answer).
    if (isNonNullType(returnType)) throw error;
    if (error.extensions?.CRITICAL_ERROR) throw error;
    this.errors.push(error);
    return null;
  }

  #complete(
    c: Completion,
    field: FieldPlan,
    info: GraphQLResolveInfo | undefined,
    path: Path,
    result: unknown,
  ): unknown {
    if (result instanceof Error) throw result;
    const kind = c.kind;
    if (kind === NON_NULL) {
      const completed = this.#complete(c.inner as Completion, field, info, path, result);
      if (completed === null) {
        throw new Error(
          `Cannot return null for non-nullable field ${field.parentType.name}.${field.fieldDef.name}.`,
        );
      }
      return completed;
    }
    if (result == null) return null;
    if (kind === LIST) return this.#completeList(c.inner as Completion, field, info, path, result);
    if (kind === LEAF) return completeLeaf(c.type as GraphQLLeafType, result);
    if (kind === ABSTRACT)
      return this.#completeAbstract(c.type as GraphQLAbstractType, field, info, path, result);
    return this.#completeObject(c.type as GraphQLObjectType, field, info, path, result);
  }

  #completeList(
    items: Completion,
    field: FieldPlan,
    info: GraphQLResolveInfo | undefined,
    path: Path,
    result: unknown,
  ): unknown {
    const itemType = items.type;
    if (typeof result !== 'object' || typeof (result as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new GraphQLError(
        `Expected Iterable, but did not find one for field "${field.parentType.name}.${field.fieldDef.name}".`,
      );
    }
    let containsPromise = false;
    const completed: unknown[] = [];
    let index = 0;
    for (const item of result as Iterable<unknown>) {
      const itemPath: Path = { prev: path, key: index, typename: undefined };
      try {
        const value = isThenable(item)
          ? Promise.resolve(item).then((resolved) => this.#complete(items, field, info, itemPath, resolved))
          : this.#complete(items, field, info, itemPath, item);
        if (isThenable(value)) {
          containsPromise = true;
          completed.push(
            Promise.resolve(value).then(undefined, (raw) =>
              this.#handleFieldError(raw, field.fieldNodes, itemPath, itemType),
            ),
          );
        } else {
          completed.push(value);
        }
      } catch (raw) {
        completed.push(this.#handleFieldError(raw, field.fieldNodes, itemPath, itemType));
      }
      index++;
    }
    return containsPromise ? Promise.all(completed) : completed;
  }

  #completeAbstract(
    returnType: GraphQLAbstractType,
    field: FieldPlan,
    given: GraphQLResolveInfo | undefined,
    path: Path,
    result: unknown,
  ): unknown {
    // A field of an abstract type always has its info (FieldPlan.needsInfo); made here only
    // if a plan ever says otherwise.
    const info = given ?? this.#info(field, path);
    const resolveType = returnType.resolveType ?? this.#plan.typeResolver;
    const runtime = resolveType(result, this.contextValue, info, returnType);
    if (isThenable(runtime)) {
      return Promise.resolve(runtime).then((name) =>
        this.#completeObject(this.#runtimeType(name, returnType, field), field, info, path, result),
      );
    }
    return this.#completeObject(this.#runtimeType(runtime, returnType, field), field, info, path, result);
  }

  /** graphql-tools' ensureValidRuntimeType. */
  #runtimeType(name: unknown, returnType: GraphQLAbstractType, field: FieldPlan): GraphQLObjectType {
    const where = `field "${field.parentType.name}.${field.fieldDef.name}"`;
    const nodes = field.fieldNodes;
    if (typeof name !== 'string') {
      throw new GraphQLError(
        `Abstract type "${returnType.name}" must resolve to an Object type at runtime for ${where}, received "${String(name)}".`,
        { nodes },
      );
    }
    const runtime = this.#selections.schema.getType(name);
    if (runtime == null) {
      throw new GraphQLError(
        `Abstract type "${returnType.name}" was resolved to a type "${name}" that does not exist inside the schema.`,
        { nodes },
      );
    }
    if (!isObjectType(runtime)) {
      throw new GraphQLError(
        `Abstract type "${returnType.name}" was resolved to a non-object type "${name}".`,
        {
          nodes,
        },
      );
    }
    if (!this.#selections.schema.isSubType(returnType, runtime)) {
      throw new GraphQLError(
        `Runtime Object type "${runtime.name}" is not a possible type for "${returnType.name}".`,
        { nodes },
      );
    }
    return runtime;
  }

  /**
   * The fields `field`'s selection collects on `type`: kept on the field's plan for its own
   * object type (every object of a list asks it), from the selection plan for the runtime
   * types of an abstract one.
   */
  #subfields(type: GraphQLObjectType, field: FieldPlan): FieldList {
    if (type !== field.objectType) return this.#selections.subfields(type, field.fieldNodes);
    let fields = field.subfields;
    if (fields === undefined) {
      fields = this.#selections.subfields(type, field.fieldNodes);
      field.subfields = fields;
    }
    return fields;
  }

  #completeObject(
    returnType: GraphQLObjectType,
    field: FieldPlan,
    info: GraphQLResolveInfo | undefined,
    path: Path,
    result: unknown,
  ): unknown {
    if (returnType.isTypeOf) {
      // `info` is undefined only for an isTypeOf that declares fewer than three parameters.
      const is = returnType.isTypeOf(result, this.contextValue, info as GraphQLResolveInfo);
      if (isThenable(is)) {
        return Promise.resolve(is).then((yes) => {
          if (!yes) throw invalidReturnType(returnType, field.fieldNodes);
          return this.executeFields(returnType, this.#subfields(returnType, field), result, path);
        });
      }
      if (!is) throw invalidReturnType(returnType, field.fieldNodes);
    }
    return this.executeFields(returnType, this.#subfields(returnType, field), result, path);
  }
}

function invalidReturnType(returnType: GraphQLObjectType, fieldNodes: readonly FieldNode[]): GraphQLError {
  return new GraphQLError(`Expected value of type "${returnType.name}" but got another value.`, {
    nodes: fieldNodes,
  });
}

/** graphql-tools' completeLeafValue (a GraphQLError from serialize becomes a plain Error, as there). */
function completeLeaf(returnType: GraphQLLeafType, result: unknown): unknown {
  let serialized: unknown;
  try {
    serialized = returnType.serialize(result);
  } catch (error) {
    if (error instanceof GraphQLError) throw new Error(error.message);
    throw error;
  }
  if (serialized == null) {
    throw new Error(
      `Expected \`${returnType.name}.serialize(…)\` to return non-nullable value, returned: ${String(serialized)}`,
    );
  }
  return serialized;
}

/** Yoga's executor replaced by planned queries (before the plugins that wrap execute: limits, tracing). */
export function usePlannedQueries(): Plugin {
  const run = queryPlans();
  return {
    onExecute({ executeFn, setExecuteFn }) {
      const fallback = executeFn as Execute;
      setExecuteFn(((args: Args) => run(args, fallback)) as typeof executeFn);
    },
  };
}
