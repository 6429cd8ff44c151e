/**
 * The planned query executor (server/query-executor.ts) against the executor it replaces,
 * @graphql-tools/executor's `normalizedExecutor` (what yoga runs), on a schema made for it:
 * whatever the document (fragments, aliases, arguments from variables, @skip/@include,
 * __typename, introspection, lists, an interface, promises, object fields whose resolver,
 * default resolver's method or type's isTypeOf reads `info`) and whatever goes wrong (a
 * throwing resolver, a null in a non-null field inside a list, a rejected promise, a failed
 * serialisation, an argument that does not coerce, a value that is not a list), its answer
 * is that executor's to the letter, errors and their order included; and the plan is kept:
 * a second request with the same document and variables resolves the same fields and
 * computes no argument again.
 */
import { normalizedExecutor } from '@graphql-tools/executor';
import {
  type ExecutionResult,
  GraphQLBoolean,
  type GraphQLError,
  GraphQLFloat,
  GraphQLID,
  GraphQLInt,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLResolveInfo,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  Kind,
  parse,
  responsePathAsArray,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { queryPlans } from '../../src/server/query-executor.js';

interface Item {
  name: string;
  size?: number | null;
  tags?: unknown;
  broken?: 'throw' | 'null' | 'reject' | 'serialise' | 'string';
  /** Read by graphql-js's default resolver: a value, or a method it calls with (args, context, info). */
  plain?: unknown;
  /** A Box, or a method returning one (graphql-js's default resolver calls it with `info`). */
  boxed?: unknown;
  /** Leaves by the default resolver, of each built-in scalar the generated code checks inline. */
  score?: unknown;
  flag?: unknown;
  ident?: unknown;
  count?: unknown;
}

const calls = new Map<string, number>();
const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
/** `f`, its calls counted under `name`. */
const counted =
  <A extends unknown[], R>(name: string, f: (...args: A) => R) =>
  (...args: A): R => {
    count(name);
    return f(...args);
  };
let parsedLiterals = 0;

const Odd = new GraphQLScalarType({
  name: 'Odd',
  serialize: (value) => {
    if (typeof value !== 'number' || value % 2 === 0) throw new TypeError(`not odd: ${String(value)}`);
    return value;
  },
  parseValue: (value) => value,
  parseLiteral: (node) => {
    parsedLiterals++;
    if (node.kind !== Kind.INT || Number(node.value) % 2 === 0)
      throw new TypeError('an odd Int literal, please');
    return Number(node.value);
  },
});

const Named = new GraphQLInterfaceType({
  name: 'Named',
  fields: { name: { type: new GraphQLNonNull(GraphQLString) } },
  resolveType: () => 'Item',
});

/** An object type whose isTypeOf reads `info`: the executor must make one for fields of this type. */
const BoxType = new GraphQLObjectType<{ kind: string; label: string }>({
  name: 'Box',
  isTypeOf: (value, _context, info: GraphQLResolveInfo) =>
    (value as { kind?: string }).kind === 'box' && info.returnType.toString().startsWith('Box'),
  fields: {
    label: { type: GraphQLString },
    at: {
      type: GraphQLString,
      resolve: (_b, _args, _context, info: GraphQLResolveInfo) => responsePathAsArray(info.path).join('/'),
    },
  },
});

const ItemType: GraphQLObjectType = new GraphQLObjectType<Item>({
  name: 'Item',
  interfaces: [Named],
  // As the gateway's own types: an isTypeOf that takes no `info` (so its fields may go without).
  isTypeOf: (value) => typeof (value as Item).name === 'string',
  fields: () => ({
    name: {
      type: new GraphQLNonNull(GraphQLString),
      resolve: (i) => {
        count('name');
        if (i.broken === 'throw') throw new Error('no name today');
        if (i.broken === 'string') throw 'a string, not an Error';
        if (i.broken === 'null') return null;
        return i.name;
      },
    },
    size: { type: GraphQLInt, resolve: counted('size', (i: Item) => i.size) },
    label: {
      type: GraphQLString,
      args: { prefix: { type: GraphQLString, defaultValue: '>' }, upper: { type: GraphQLBoolean } },
      resolve: (i, args: { prefix: string; upper?: boolean }) => {
        count('label');
        const text = `${args.prefix}${i.name}`;
        return args.upper ? text.toUpperCase() : text;
      },
    },
    times: {
      type: GraphQLInt,
      args: { by: { type: Odd } },
      resolve: counted('times', (i: Item, args: { by?: number }) => (i.size ?? 0) * (args.by ?? 1)),
    },
    mutating: {
      type: GraphQLString,
      args: { note: { type: GraphQLString } },
      resolve: (_i: Item, args: { note?: string }) => {
        args.note = 'changed';
        return args.note;
      },
    },
    later: {
      type: GraphQLString,
      resolve: (i) => {
        count('later');
        return i.broken === 'reject'
          ? Promise.reject(new Error('later failed'))
          : Promise.resolve(`later ${i.name}`);
      },
    },
    laterStrict: {
      type: new GraphQLNonNull(GraphQLString),
      resolve: (i) =>
        i.broken === 'reject' ? Promise.reject(new Error('strictly late')) : Promise.resolve(i.name),
    },
    odd: { type: Odd, resolve: counted('odd', (i: Item) => (i.broken === 'serialise' ? 2 : 3)) },
    tags: {
      type: new GraphQLList(new GraphQLNonNull(GraphQLString)),
      resolve: counted('tags', (i: Item) => i.tags),
    },
    self: { type: ItemType, resolve: counted('self', (i: Item) => i) },
    // Leaves by graphql-js's default resolver: a property, a method, a missing non-null one.
    plain: { type: GraphQLString, args: { x: { type: GraphQLString } } },
    strictPlain: { type: new GraphQLNonNull(GraphQLString), resolve: undefined },
    score: { type: GraphQLFloat },
    flag: { type: GraphQLBoolean },
    ident: { type: GraphQLID },
    count: { type: new GraphQLNonNull(GraphQLInt) },
    // The same built-in scalars from a resolver (compiled-fields.ts calls it from its own site).
    scoreOf: { type: GraphQLFloat, resolve: (i: Item) => i.score },
    flagOf: { type: new GraphQLNonNull(GraphQLBoolean), resolve: (i: Item) => i.flag },
    identOf: { type: GraphQLID, resolve: (i: Item) => i.ident },
    // A leaf whose resolver takes info: it is given the field's own.
    where: {
      type: GraphQLString,
      resolve: (_i: Item, _args: unknown, _context: unknown, info: GraphQLResolveInfo) =>
        `${info.parentType.name}.${info.fieldName} at ${responsePathAsArray(info.path).join('/')}`,
    },
    named: { type: Named, resolve: counted('named', (i: Item) => i) },
    // Object fields: one whose type's isTypeOf reads info, one by the default resolver (a
    // property, or a method given info), one whose resolver reads info.
    box: {
      type: BoxType,
      resolve: counted('box', (i: Item) => ({ kind: 'box', label: `box of ${i.name}` })),
    },
    boxed: { type: BoxType },
    located: {
      type: ItemType,
      resolve: (i: Item, _args: unknown, _context: unknown, info: GraphQLResolveInfo) => ({
        name: `${i.name} at ${responsePathAsArray(info.path).join('/')} of ${info.parentType.name}`,
      }),
    },
  }),
});

let items: Item[] = [];
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      items: { type: new GraphQLList(ItemType), resolve: counted('items', () => items) },
      strictItems: { type: new GraphQLList(new GraphQLNonNull(ItemType)), resolve: () => items },
      laterItems: {
        type: new GraphQLList(ItemType),
        resolve: () => Promise.resolve(items.map((i) => Promise.resolve(i))),
      },
      first: { type: new GraphQLNonNull(ItemType), resolve: () => items[0] },
      count: { type: GraphQLInt, resolve: () => items.length },
    },
  }),
  mutation: new GraphQLObjectType({
    name: 'Mutation',
    fields: { touch: { type: GraphQLInt, resolve: counted('touch', () => 1) } },
  }),
});

const PLAIN = `query Plain($upper: Boolean!, $bare: Boolean!, $prefix: String) {
  __typename
  count
  items {
    ...ItemFields
    again: name
    label(prefix: $prefix, upper: $upper)
    tags @skip(if: $bare)
    times(by: 3)
    plain(x: "y")
    where
    ... on Item { size self { name self { __typename label where } } }
    box { label at }
    boxed { label at }
    located { name self { where } }
  }
  first { name ...ItemFields named { __typename name ... on Item { odd } } }
  __type(name: "Item") { name kind }
  __schema { queryType { name } }
}
fragment ItemFields on Item { name size ...ItemFields2 }
fragment ItemFields2 on Named { name ... on Item { odd } }`;

const ERRORS = `{ count items { name size odd tags later plain self { name later } } first { name } }`;
const STRICT_PLAIN = `{ count items { name strictPlain } }`;
const STRICT = `{ count strictItems { name later } laterItems { name later laterStrict } }`;
const BAD_ARGUMENT = `{ count items { name times(by: 2) } }`;

/** What a client receives: the result as JSON (errors as graphql-js formats them). */
function wire(result: unknown): unknown {
  const r = result as ExecutionResult;
  return JSON.parse(JSON.stringify({ ...r, errors: r.errors?.map((e) => (e as GraphQLError).toJSON()) }));
}

function runner() {
  const planned = queryPlans();
  return (query: string | ReturnType<typeof parse>, variables?: Record<string, unknown>) => {
    const document = typeof query === 'string' ? parse(query) : query;
    const args = { schema, document, variableValues: variables, contextValue: {} };
    return {
      ours: async () => planned(args, normalizedExecutor as never),
      theirs: async () => normalizedExecutor(args),
    };
  };
}

describe('the planned query executor', () => {
  it('answers as yoga’s executor does, field order included, and keeps its plan', async () => {
    const run = runner();
    items = [
      { name: 'a', size: 1, tags: ['x', 'y'], plain: 'as is', boxed: { kind: 'box', label: 'a box' } },
      {
        name: 'b',
        size: null,
        tags: null,
        plain: (args: { x: string }, _context: unknown, info: GraphQLResolveInfo) =>
          `${args.x} from ${info.fieldName}`,
        boxed: (_args: unknown, _context: unknown, info: GraphQLResolveInfo) => ({
          kind: 'box',
          label: `made for ${info.parentType.name}.${info.fieldName}`,
        }),
      },
    ];
    for (const variables of [
      { upper: true, bare: false, prefix: '#' },
      { upper: false, bare: true },
    ]) {
      const document = parse(PLAIN);
      const { ours, theirs } = run(document, variables);
      calls.clear();
      parsedLiterals = 0;
      const mine = (await ours()) as ExecutionResult;
      const once = new Map(calls);
      const literalsOnce = parsedLiterals;
      calls.clear();
      const reference = (await theirs()) as ExecutionResult;
      expect(mine.errors).toBeUndefined();
      expect(JSON.stringify(mine)).toBe(JSON.stringify(reference));
      expect(once).toEqual(calls);
      // `times(by: 3)` was coerced once for both items, where the reference coerces it per item.
      expect(literalsOnce).toBe(1);
      expect(parsedLiterals).toBe(3);
      // The same document and variables again: same fields resolved, no argument coerced again.
      items = [...items, { name: 'c', size: 5, tags: [] }];
      parsedLiterals = 0;
      calls.clear();
      const second = (await run(document, variables).ours()) as ExecutionResult;
      expect(parsedLiterals).toBe(0);
      // Four names per item: its own, `again`, `self`'s and `located`'s.
      expect(calls.get('name')).toBe(once.get('name')! + 4);
      expect(JSON.stringify(second)).toBe(JSON.stringify(await run(document, variables).theirs()));
      items = items.slice(0, 2);
    }
  });

  it('gives the same errors, nulls and order for every kind of failure', async () => {
    const run = runner();
    const cases: Item[][] = [
      [{ name: 'a', broken: 'throw' }],
      [{ name: 'a', broken: 'string' }],
      [{ name: 'a', broken: 'null' }, { name: 'b' }],
      [{ name: 'a', broken: 'serialise' }],
      [{ name: 'a', tags: 'not a list' }],
      [{ name: 'a', tags: ['x', null] }],
      [{ name: 'a', plain: 2 ** 40 }], // a property that does not serialise as a String: fine
      [{ name: 'a', plain: {} }], // nor this: a field error
      // A property whose getter throws: that field's error, the rest of the item answered.
      [
        Object.defineProperty({ name: 'a' } as Item, 'plain', {
          enumerable: true,
          get() {
            throw new Error('getter failed');
          },
        }),
        { name: 'b', plain: 'fine' },
      ],
      [
        { name: 'a', plain: () => Promise.reject(new Error('method failed')) },
        { name: 'b', plain: () => 'ok' },
      ],
      [
        { name: 'a', broken: 'reject' },
        { name: 'b', broken: 'throw' },
      ],
    ];
    for (const [index, list] of cases.entries()) {
      items = list;
      for (const query of [ERRORS, STRICT, BAD_ARGUMENT, STRICT_PLAIN]) {
        const { ours, theirs } = run(query);
        const mine = await ours();
        const reference = await theirs();
        expect(wire(mine), `${query}, case ${index}`).toEqual(wire(reference));
      }
    }
    // A failure that reaches the root: the answer is null with the error.
    items = [];
    const { ours, theirs } = run('{ count first { name } }');
    const mine = (await ours()) as ExecutionResult;
    expect(mine.data).toBeNull();
    expect(wire(mine)).toEqual(wire(await theirs()));
  });

  it('completes each built-in scalar as its serialize would, whatever the resolver gave', async () => {
    // The generated code (compiled-fields.ts) takes a value as it is when it already is its
    // scalar's answer (a string for String and ID, a boolean, a 32-bit integer, a finite
    // number); anything else must still be coerced, or fail, exactly as serialize does.
    const run = runner();
    const odd: unknown[] = [
      0,
      -0,
      1.5,
      2 ** 31,
      -(2 ** 31),
      2 ** 31 - 1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '7',
      '2.5',
      'x',
      '',
      true,
      false,
      null,
      undefined,
      {},
      [],
      12345678901234567890n,
    ];
    items = odd.map((v, i) => ({
      name: `n${i}`,
      size: v as number,
      score: v,
      flag: v,
      ident: v,
      count: v,
      plain: v,
    }));
    const query = '{ items { name size score flag ident count plain scoreOf flagOf identOf } }';
    const mine = await run(query).ours();
    const reference = await run(query).theirs();
    expect(wire(mine)).toEqual(wire(reference));
    expect((mine as ExecutionResult).errors?.length).toBeGreaterThan(10);
    // And the plain case: every value taken as it is.
    items = [{ name: 'a', size: 3, score: 0.5, flag: true, ident: 'id-1', count: 2, plain: 'p' }];
    const clean = (await run(query).ours()) as ExecutionResult;
    expect(clean).toEqual(await run(query).theirs());
    expect(clean.errors).toBeUndefined();
  });

  it('answers an alias `__proto__` as a field, never as a prototype', async () => {
    items = [{ name: 'a' }];
    const { ours, theirs } = runner()('{ __proto__: count items { __proto__: name n: name } }');
    const mine = (await ours()) as ExecutionResult<{ items: object[] }>;
    expect(JSON.stringify(mine)).toBe('{"data":{"__proto__":1,"items":[{"__proto__":"a","n":"a"}]}}');
    expect(JSON.stringify(mine)).toBe(JSON.stringify(await theirs()));
    // Where no alias is `__proto__`, the answer is a plain object (V8's fast properties).
    const plain = (await runner()('{ count }').ours()) as ExecutionResult;
    expect(Object.getPrototypeOf(plain.data)).toBe(Object.prototype);
  });

  it('hands every argument object to resolvers frozen, so no request changes another’s', async () => {
    items = [{ name: 'a' }];
    const { ours } = runner()('{ items { mutating(note: "n") } }');
    const result = (await ours()) as ExecutionResult;
    expect(result.errors?.[0].message).toMatch(/read only|read-only|not extensible|Cannot assign/);
  });

  it('leaves mutations and variables that do not coerce to the executor it replaces', async () => {
    const run = runner();
    calls.clear();
    const mutation = (await run('mutation { touch }').ours()) as ExecutionResult;
    expect(mutation).toEqual({ data: { touch: 1 } });
    const bad = (await run('query ($u: Boolean!) { items { label(upper: $u) } }', {
      u: 'yes',
    }).ours()) as ExecutionResult;
    const reference = (await run('query ($u: Boolean!) { items { label(upper: $u) } }', {
      u: 'yes',
    }).theirs()) as ExecutionResult;
    expect(bad.data).toBeUndefined();
    expect(wire(bad)).toEqual(wire(reference));
  });

  it('stops at the abort signal, as yoga’s executor does', async () => {
    items = [{ name: 'a' }, { name: 'b' }];
    const planned = queryPlans();
    const abort = new AbortController();
    const reason = new Error('time is up');
    const document = parse('{ laterItems { name later } count }');
    const running = planned(
      { schema, document, contextValue: {}, signal: abort.signal } as never,
      normalizedExecutor as never,
    ) as Promise<unknown>;
    abort.abort(reason);
    await expect(running).rejects.toBe(reason);
  });
});
