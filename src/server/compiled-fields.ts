/**
 * A selection set's fields as one generated function (per FieldList of a plan): what the
 * planned executor's `executeFields` loop does, unrolled, with each resolver called from a
 * call site of its own and each built-in scalar's value checked inline.
 *
 * Why: in the loop every field's resolver is called from the same site, `field.resolve(...)`,
 * which sees every resolver of the schema and so can inline none; each leaf then goes through
 * `serialize`, a try/catch and two calls before its value is known. Generated, a site sees one
 * resolver (`namespace` of a Job is `(j) => j.object.metadata?.namespace ?? ''`, inlined), a
 * default resolver is a property read of a constant name, and a String field whose resolver
 * gave a string is done. Anything else (a promise, null, an enum, a custom scalar, an error, a
 * field that is not a leaf) takes the executor's own step for that field, after its resolver
 * ran once: same values, same errors, same order.
 *
 * Only GraphQL names reach the code (checked against NAME, written as JSON strings); the
 * source depends on nothing but the selection's shape (type, fields, response names), and is
 * generated once per shape.
 */
import {
  GraphQLBoolean,
  GraphQLFloat,
  GraphQLID,
  GraphQLInt,
  type GraphQLLeafType,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  GraphQLString,
} from 'graphql';
import { type FieldList, type FieldPlan, isThenable } from './selection-plan.js';

type Path = GraphQLResolveInfo['path'];

/** What the generated code calls back into: the planned executor's steps (query-executor.ts). */
export interface FieldSteps {
  readonly contextValue: unknown;
  throwIfAborted(): void;
  /** The executor's step for a whole selection set (a source that is not an object). */
  executeFieldsGeneric(fields: FieldList, source: unknown, path: Path | undefined): unknown;
  /** The executor's step for one field (leaf or not), resolver included. */
  field(field: FieldPlan, source: unknown, path: Path | undefined): unknown;
  /** A leaf's value once its resolver (or property) gave `result`: the rest of the leaf's step. */
  leafAfter(field: FieldPlan, result: unknown, source: unknown, path: Path | undefined): unknown;
  /** A leaf whose resolver threw: its field error (null, or thrown on for a non-null field). */
  leafThrown(field: FieldPlan, error: unknown, path: Path | undefined): null;
  /** A field that is not a leaf, once its resolver gave `result`: the rest of its step. */
  completeField(field: FieldPlan, result: unknown, path: Path | undefined): unknown;
  /** A field that is not a leaf whose resolver threw: its field error (null, or thrown on). */
  fieldThrown(field: FieldPlan, error: unknown, path: Path | undefined): null;
  /** The answer object from the values in field order (promises, omitted fields). */
  assemble(fields: FieldList, values: unknown[]): unknown;
  /** An error thrown out of the selection set, once the fields' promises have settled. */
  escaped(error: unknown, values: unknown[]): never | Promise<never>;
}

export type CompiledFields = (steps: FieldSteps, source: unknown, path: Path | undefined) => unknown;

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** The inline check that a value is already its built-in scalar's serialized form. */
function fastCheck(leaf: GraphQLLeafType, v: string): string | undefined {
  if (leaf === GraphQLString || leaf === GraphQLID) return `typeof ${v} === 'string'`;
  if (leaf === GraphQLBoolean) return `typeof ${v} === 'boolean'`;
  // graphql-js's serializeInt: an integer in the signed 32-bit range.
  if (leaf === GraphQLInt) return `typeof ${v} === 'number' && (${v} | 0) === ${v}`;
  if (leaf === GraphQLFloat) return `typeof ${v} === 'number' && Number.isFinite(${v})`;
  return undefined;
}

/**
 * The rest of a leaf's step once its value `v${i}` is read: taken as it is when `check` (its
 * built-in scalar's) passes, else completed by the executor (which may give a promise).
 */
function leafRest(i: number, check: string | undefined): string {
  const rest = `v${i} = steps.leafAfter(f${i}, v${i}, source, path); if (v${i} === undefined || isThenable(v${i})) slow = true;`;
  return check ? `if (!(${check})) { ${rest} }` : rest;
}

type Outer = (fields: FieldList, thenable: typeof isThenable) => CompiledFields;
/** Generated functions per shape; beyond this many the map starts again (plans keep theirs). */
const MAX_SHAPES = 512;
const outers = new Map<string, Outer>();

/** The generated function of `fields` on `type`, or undefined when the executor's loop must run them. */
export function compileFields(type: GraphQLObjectType, fields: FieldList): CompiledFields | undefined {
  if (fields.build === undefined || !NAME.test(type.name)) return undefined;
  const head: string[] = [];
  const body: string[] = [];
  const values: string[] = [];
  const answer: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.args instanceof Error || !NAME.test(f.responseName)) return undefined;
    const v = `v${i}`;
    values.push(v);
    answer.push(`${JSON.stringify(f.responseName)}: ${v}`);
    head.push(`const f${i} = F[${i}];`);
    const check = f.leaf === undefined ? undefined : fastCheck(f.leaf, v);
    if (f.leaf !== undefined && f.property !== undefined && NAME.test(f.property)) {
      // A getter may throw: the field's error, as the executor's property read makes it.
      body.push(
        `try { ${v} = source[${JSON.stringify(f.property)}]; } catch (e) { ${v} = steps.leafThrown(f${i}, e, path); }`,
      );
      body.push(leafRest(i, check));
    } else if (f.leaf !== undefined && f.property === undefined) {
      head.push(`const r${i} = f${i}.resolve, a${i} = f${i}.args;`);
      body.push(
        `try { ${v} = r${i}(source, a${i}, ctx, undefined); } catch (e) { ${v} = steps.leafThrown(f${i}, e, path); }`,
      );
      body.push(leafRest(i, check));
    } else if (f.leaf === undefined && !f.needsInfo && f.property === undefined) {
      // An object or list field: its resolver here, its completion the executor's.
      head.push(`const r${i} = f${i}.resolve, a${i} = f${i}.args;`);
      body.push(
        `try { ${v} = r${i}(source, a${i}, ctx, undefined); } catch (e) { ${v} = steps.fieldThrown(f${i}, e, path); }`,
      );
      body.push(
        `${v} = steps.completeField(f${i}, ${v}, path); if (${v} === undefined || isThenable(${v})) slow = true;`,
      );
    } else {
      body.push(
        `${v} = steps.field(f${i}, source, path); if (${v} === undefined || isThenable(${v})) slow = true;`,
      );
    }
  }
  const code = [
    `// ${type.name}`,
    ...head,
    'return function compiled(steps, source, path) {',
    `  if (typeof source !== 'object' || source === null) return steps.executeFieldsGeneric(F, source, path);`,
    '  steps.throwIfAborted();',
    '  const ctx = steps.contextValue;',
    '  let slow = false;',
    `  let ${values.join(', ')};`,
    '  try {',
    ...body.map((line) => `    ${line}`),
    '  } catch (error) {',
    `    return steps.escaped(error, [${values.join(', ')}]);`,
    '  }',
    `  if (slow) return steps.assemble(F, [${values.join(', ')}]);`,
    `  return { ${answer.join(', ')} };`,
    '};',
  ].join('\n');
  let outer = outers.get(code);
  if (!outer) {
    outer = new Function('F', 'isThenable', code) as Outer;
    if (outers.size >= MAX_SHAPES) outers.clear();
    outers.set(code, outer);
  }
  return outer(fields, isThenable);
}
