/**
 * Which selection sets the planned executor runs by a generated function (compiled-fields.ts):
 * every one whose response names and arguments allow it, so a wide page takes that way, and
 * none that must go field by field (an alias `__proto__`, an argument that does not coerce).
 * What the generated code answers is checked against yoga's executor in query-executor.test.ts.
 */
import {
  defaultFieldResolver,
  GraphQLInt,
  GraphQLList,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  getOperationAST,
  parse,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { compileFields } from '../../src/server/compiled-fields.js';
import { fragmentsOf, SelectionPlan } from '../../src/server/selection-plan.js';

const Item = new GraphQLObjectType({
  name: 'Item',
  fields: {
    name: { type: GraphQLString },
    size: { type: GraphQLInt, args: { times: { type: GraphQLInt } }, resolve: () => 1 },
  },
});
const Query = new GraphQLObjectType({
  name: 'Query',
  fields: { items: { type: new GraphQLList(Item), resolve: () => [] }, count: { type: GraphQLInt } },
});
const schema = new GraphQLSchema({ query: Query });

function itemFields(query: string) {
  const document = parse(query);
  const operation = getOperationAST(document);
  if (!operation) throw new Error('no operation');
  const plan = new SelectionPlan(schema, fragmentsOf(document), {}, operation, defaultFieldResolver);
  const root = plan.root(Query);
  const items = root.find((f) => f.responseName === 'items');
  return { root, items: items ? plan.subfields(Item, items.fieldNodes) : undefined };
}

describe('compiled selection sets', () => {
  it('compiles a selection of names, aliases and arguments', () => {
    const { root, items } = itemFields('{ count items { name other: name size(times: 2) } }');
    expect(compileFields(Query, root)).toBeTypeOf('function');
    expect(compileFields(Item, items!)).toBeTypeOf('function');
  });

  it('leaves to the loop what the generated code must not do', () => {
    // An alias `__proto__` (an object literal would set the prototype).
    expect(compileFields(Item, itemFields('{ items { __proto__: name } }').items!)).toBeUndefined();
    // An argument that does not coerce: its error is raised where the field runs.
    const bad = itemFields('{ items { size(times: "many") } }').items!;
    expect(bad[0].args).toBeInstanceOf(Error);
    expect(compileFields(Item, bad)).toBeUndefined();
  });
});
