/**
 * An operation's selections, collected once per plan: per (selection, object type), the
 * fields with their definition, resolver and coerced arguments. graphql-js (and yoga's
 * executor, @graphql-tools/executor) collect the fields of every selection set once per
 * execution but coerce a field's arguments again for every object it is asked of: on a
 * page of 1,000 nodes, 1,000 times per field. A plan does both once, and is reused by every
 * event of a subscription (event-executor.ts) and every request of the same query with the
 * same variables (query-executor.ts).
 *
 * What collection does is graphql-js's `collectFields`: @skip/@include, each fragment once
 * per selection, type conditions (abstract ones by `isSubType`), unknown fields left out,
 * and the introspection fields on the query root.
 */
import {
  type DocumentNode,
  defaultFieldResolver,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLField,
  type GraphQLFieldResolver,
  GraphQLIncludeDirective,
  type GraphQLLeafType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  GraphQLSkipDirective,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  type InlineFragmentNode,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  SchemaMetaFieldDef,
  type SelectionSetNode,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  typeFromAST,
} from 'graphql';
import type { CompiledFields } from './compiled-fields.js';

/** One collected field of a selection set on a given object type, ready to resolve. */
export interface FieldPlan {
  readonly responseName: string;
  readonly fieldNodes: readonly FieldNode[];
  readonly fieldDef: GraphQLField<unknown, unknown>;
  readonly resolve: GraphQLFieldResolver<unknown, unknown>;
  readonly returnType: GraphQLOutputType;
  readonly parentType: GraphQLObjectType;
  /**
   * Coerced once (they depend only on the field node and the operation's variables), and
   * frozen: every object of a list, and every request of the plan, is handed the same
   * object. An argument that does not coerce is its error, raised where the field runs (as
   * graphql-js raises it: a field error with that field's path).
   */
  readonly args: Readonly<Record<string, unknown>> | Error;
  /**
   * A leaf field the executor completes without an `info` object or a path unless it fails
   * (query-executor.ts `#executeLeaf`): its scalar or enum type, when the field returns one
   * (nullable or not) and its resolver does not take `info` (declares one to three
   * parameters), or it is read by graphql-js's default resolver (`property`).
   */
  readonly leaf: GraphQLLeafType | undefined;
  readonly nonNull: boolean;
  /** The property graphql-js's default resolver reads (the field's name), when that is the resolver. */
  readonly property: string | undefined;
  /**
   * Whether executing the field needs its `info` object (query-executor.ts `#executeField`):
   * its resolver takes it (declares four parameters), or completing its type reads it (an
   * abstract type's resolveType, an object type's isTypeOf that declares three). A default
   * resolver's property that turns out to be a method is given one then.
   */
  readonly needsInfo: boolean;
  /** The object type the field returns (through non-null and list wrappers), if it is one. */
  readonly objectType: GraphQLObjectType | undefined;
  /** That type's fields of this field's selection, kept by the executor once asked. */
  subfields: FieldList | undefined;
  /** How its value is completed (`completionOf(returnType)`). */
  readonly completion: Completion;
}

/**
 * How a value of one output type is completed, decided once per type: the executor's
 * `completeValue` asks up to seven `instanceof` questions of the type for every value
 * (non-null, list, scalar, enum, interface, union) to learn what a plan already knows. On Q3
 * (100 jobs and their pods) that dispatch was 8 % of execution (`IDS=Q3 ONLY=plan PROF=DIR`).
 */
export interface Completion {
  readonly kind: CompletionKind;
  readonly type: GraphQLOutputType;
  /** What a non-null type's inner type, or a list's item type, completes as. */
  readonly inner: Completion | undefined;
}

export const NON_NULL = 0;
export const LIST = 1;
export const LEAF = 2;
export const ABSTRACT = 3;
export const OBJECT = 4;
export type CompletionKind = typeof NON_NULL | typeof LIST | typeof LEAF | typeof ABSTRACT | typeof OBJECT;

const completions = new WeakMap<GraphQLOutputType, Completion>();

export function completionOf(type: GraphQLOutputType): Completion {
  let known = completions.get(type);
  if (known === undefined) {
    if (isNonNullType(type)) known = { kind: NON_NULL, type, inner: completionOf(type.ofType) };
    else if (isListType(type)) known = { kind: LIST, type, inner: completionOf(type.ofType) };
    else if (isLeafType(type)) known = { kind: LEAF, type, inner: undefined };
    else if (isAbstractType(type)) known = { kind: ABSTRACT, type, inner: undefined };
    else known = { kind: OBJECT, type, inner: undefined };
    completions.set(type, known);
  }
  return known;
}

/**
 * Whether `resolve` cannot read `info`: it declares one to three parameters. `info` is the
 * fourth, so a resolver that uses it declares four (a rest parameter or one with a default
 * value declares fewer, hence not zero: such a resolver is given `info` as before).
 */
function takesNoInfo(resolve: GraphQLFieldResolver<unknown, unknown>): boolean {
  return resolve.length >= 1 && resolve.length <= 3;
}

function leafOf(type: GraphQLOutputType): { leaf: GraphQLLeafType | undefined; nonNull: boolean } {
  const nonNull = isNonNullType(type);
  const inner = nonNull ? type.ofType : type;
  return { leaf: isLeafType(inner) ? inner : undefined, nonNull };
}

/**
 * The fields of one selection on one type. `plainObject`: its answer may be a plain object
 * (`{}`) rather than graphql-js's null-prototype one, which V8 keeps in dictionary mode:
 * building 1,000 node objects takes 1.8× as long and `JSON.stringify` of them 1.6× (Node 24,
 * 1,000 objects of 10 fields). Only a response name `__proto__` (a legal alias) needs the null
 * prototype, or the assignment would set the prototype instead of a field.
 */
export type FieldList = readonly FieldPlan[] & {
  readonly plainObject: boolean;
  /**
   * The answer object of these fields from their values in order, as one literal of exactly
   * these keys (see `answerBuilder`), when the keys allow it; undefined otherwise.
   */
  readonly build: AnswerBuilder | undefined;
  /** Its generated function (compiled-fields.ts), null when it has none; made on first use. */
  compiled?: CompiledFields | null;
};

/** A new answer object for `fields`. */
export function answerObject(fields: FieldList): Record<string, unknown> {
  return fields.plainObject ? {} : Object.create(null);
}

export type AnswerBuilder = (values: readonly unknown[]) => Record<string, unknown>;

/** A GraphQL name (the only response names the parser lets through, aliases included). */
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
/** Builders kept per key signature; beyond this many the map starts again (plans keep theirs). */
const MAX_BUILDERS = 1024;
/** Wider selections are built key by key: a literal of hundreds of keys is not worth generating. */
const MAX_BUILDER_KEYS = 64;
const builders = new Map<string, AnswerBuilder>();

/**
 * A function making `{ k0: values[0], k1: values[1], ... }` as ONE object literal, generated
 * once per key signature. Built field by field from `{}` (graphql-js's way), an answer
 * object of more than four fields keeps the rest in a separate PropertyArray that grows
 * three slots at a time, and each store is a keyed store whose key changes every field; a
 * literal is allocated at its final size with a map V8 already knows. Only GraphQL names
 * reach the generated code (checked, and written as JSON strings); `__proto__`, which a
 * literal would read as the prototype, is refused, as is anything else that is not a name.
 * Not kube/shape.ts's `exactObject`: that one leaves out null and undefined values (a trimmed
 * object's absent fields), where an answer keeps every field, null included.
 */
export function answerBuilder(keys: readonly string[]): AnswerBuilder | undefined {
  if (keys.length === 0 || keys.length > MAX_BUILDER_KEYS) return undefined;
  for (const k of keys) if (!NAME.test(k) || k === '__proto__') return undefined;
  const signature = keys.join(',');
  let build = builders.get(signature);
  if (!build) {
    const fields = keys.map((k, i) => `${JSON.stringify(k)}: values[${i}]`);
    build = new Function('values', `return { ${fields.join(', ')} };`) as AnswerBuilder;
    if (builders.size >= MAX_BUILDERS) builders.clear();
    builders.set(signature, build);
  }
  return build;
}

/**
 * The executor's `isPromise` (anything with a `then` method), without a property lookup on
 * a primitive's wrapper, and a native promise known without one at all: it runs for every
 * field's value (~2 % of a nodes page).
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (typeof value !== 'object' || value === null)
    return typeof value === 'function' && typeof (value as { then?: unknown }).then === 'function';
  return value instanceof Promise || typeof (value as { then?: unknown }).then === 'function';
}

export function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = Object.create(null);
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  return fragments;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function argumentsOf(
  fieldDef: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: Record<string, unknown>,
): Readonly<Record<string, unknown>> | Error {
  if (fieldDef.args.length === 0 && !node.arguments?.length) return EMPTY;
  try {
    return deepFreeze(getArgumentValues(fieldDef, node, variables));
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze(Object.create(null));

export class SelectionPlan {
  /** Per selection (the field nodes, or the operation's selection set) and object type: its fields. */
  readonly #collected = new WeakMap<object, Map<GraphQLObjectType, FieldList>>();
  readonly #queryType: GraphQLObjectType | null | undefined;

  constructor(
    readonly schema: GraphQLSchema,
    readonly fragments: Record<string, FragmentDefinitionNode>,
    readonly variableValues: Record<string, unknown>,
    readonly operation: OperationDefinitionNode,
    readonly fieldResolver: GraphQLFieldResolver<unknown, unknown>,
  ) {
    this.#queryType = schema.getQueryType();
  }

  /** The root fields of the operation on `type`. */
  root(type: GraphQLObjectType): FieldList {
    return this.fields(type, this.operation, () => [this.operation.selectionSet]);
  }

  /** The fields the selection sets of `fieldNodes` collect on `type`. */
  subfields(type: GraphQLObjectType, fieldNodes: readonly FieldNode[]): FieldList {
    // Asked for every object of a list: a hit makes no closure.
    const known = this.#collected.get(fieldNodes)?.get(type);
    if (known) return known;
    return this.fields(type, fieldNodes, () => {
      const sets: SelectionSetNode[] = [];
      for (const node of fieldNodes) if (node.selectionSet) sets.push(node.selectionSet);
      return sets;
    });
  }

  /**
   * The fields a selection collects on `type`, once per plan; `key` names the selection (the
   * operation, or the field nodes of one response key, as graphql-js's memo does).
   */
  fields(type: GraphQLObjectType, key: object, selectionSets: () => readonly SelectionSetNode[]): FieldList {
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
        const fieldDef = this.#fieldDef(type, fieldNodes[0].name.value);
        if (!fieldDef) continue; // as graphql-js: an unknown field is left out
        const resolve = fieldDef.resolve ?? this.fieldResolver;
        const byDefault = resolve === defaultFieldResolver;
        const { leaf, nonNull } = leafOf(fieldDef.type);
        const named = getNamedType(fieldDef.type);
        const objectType = isObjectType(named) ? named : undefined;
        const typeReadsInfo = isAbstractType(named) || (objectType?.isTypeOf?.length ?? 0) >= 3;
        list.push({
          responseName,
          fieldNodes,
          fieldDef,
          resolve,
          returnType: fieldDef.type,
          parentType: type,
          args: argumentsOf(fieldDef, fieldNodes[0], this.variableValues),
          leaf: byDefault || takesNoInfo(resolve) ? leaf : undefined,
          nonNull,
          property: byDefault ? fieldDef.name : undefined,
          needsInfo: typeReadsInfo || !(byDefault || takesNoInfo(resolve)),
          objectType,
          subfields: undefined,
          completion: completionOf(fieldDef.type),
        });
      }
      const plainObject = !nodes.has('__proto__');
      plans = Object.assign(list, {
        plainObject,
        build: plainObject ? answerBuilder(list.map((f) => f.responseName)) : undefined,
      });
      byType.set(type, plans);
    }
    return plans;
  }

  /** graphql-js's getFieldDef: the meta fields, then the type's own. */
  #fieldDef(type: GraphQLObjectType, name: string): GraphQLField<unknown, unknown> | undefined {
    if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
    if (type === this.#queryType) {
      if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
      if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
    }
    return type.getFields()[name];
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
}
