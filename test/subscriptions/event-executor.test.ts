/**
 * The per-subscription executor (server/event-executor.ts) against graphql-js's own
 * `execute`, on a schema made for it: for every event, whatever the document (fragments,
 * aliases, arguments from variables, @skip/@include, __typename, lists, an interface, null
 * leaves), its result must equal graphql-js's, field order included; and where graphql-js
 * would report an error (a throwing resolver, a null in a non-null field, a promise that
 * rejects, a failed serialisation) the result is graphql-js's to the letter. The resolvers
 * count their calls: a plain event resolves each field once (the prepared path, not a
 * second run by graphql-js).
 */
import {
  type ExecutionResult,
  execute,
  GraphQLBoolean,
  type GraphQLError,
  GraphQLInt,
  GraphQLInterfaceType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  parse,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { prepareEventExecutor } from '../../src/server/event-executor.js';

interface Item {
  name: string;
  size?: number | null;
  tags?: unknown;
  broken?: 'throw' | 'null' | 'reject' | 'serialise';
}

const calls = new Map<string, number>();
/** `read`, counted under `name`. */
const counted =
  <S, R>(name: string, read: (source: S) => R) =>
  (source: S): R => {
    calls.set(name, (calls.get(name) ?? 0) + 1);
    return read(source);
  };

const Odd = new GraphQLScalarType({
  name: 'Odd',
  serialize: (value) => {
    if (typeof value !== 'number' || value % 2 === 0) throw new TypeError(`not odd: ${String(value)}`);
    return value;
  },
});

const Named = new GraphQLInterfaceType({
  name: 'Named',
  fields: { name: { type: new GraphQLNonNull(GraphQLString) } },
  resolveType: () => 'Item',
});

const ItemType: GraphQLObjectType = new GraphQLObjectType<Item>({
  name: 'Item',
  interfaces: [Named],
  fields: () => ({
    name: {
      type: new GraphQLNonNull(GraphQLString),
      resolve: (i) => {
        calls.set('name', (calls.get('name') ?? 0) + 1);
        if (i.broken === 'throw') throw new Error('no name today');
        if (i.broken === 'null') return null;
        return i.name;
      },
    },
    size: { type: GraphQLInt, resolve: counted('size', (i: Item) => i.size) },
    label: {
      type: GraphQLString,
      args: { prefix: { type: GraphQLString, defaultValue: '>' }, upper: { type: GraphQLBoolean } },
      resolve: (i, args: { prefix: string; upper?: boolean }) => {
        calls.set('label', (calls.get('label') ?? 0) + 1);
        const text = `${args.prefix}${i.name}`;
        return args.upper ? text.toUpperCase() : text;
      },
    },
    later: {
      type: GraphQLString,
      resolve: (i) => {
        calls.set('later', (calls.get('later') ?? 0) + 1);
        return i.broken === 'reject'
          ? Promise.reject(new Error('later failed'))
          : Promise.resolve(`later ${i.name}`);
      },
    },
    odd: { type: Odd, resolve: counted('odd', (i: Item) => (i.broken === 'serialise' ? 2 : 3)) },
    tags: {
      type: new GraphQLList(new GraphQLNonNull(GraphQLString)),
      resolve: counted('tags', (i: Item) => i.tags),
    },
    self: { type: ItemType, resolve: counted('self', (i: Item) => i) },
    named: { type: Named, resolve: counted('named', (i: Item) => i) },
  }),
});

type EventValue = { type: string; items: Item[] };
const Event = new GraphQLObjectType<EventValue>({
  name: 'Event',
  fields: {
    type: { type: new GraphQLNonNull(GraphQLString), resolve: counted('type', (e: EventValue) => e.type) },
    items: { type: new GraphQLList(ItemType), resolve: counted('items', (e: EventValue) => e.items) },
    first: { type: new GraphQLNonNull(ItemType), resolve: counted('first', (e: EventValue) => e.items[0]) },
  },
});

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLBoolean } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      events: {
        type: Event,
        args: { filter: { type: GraphQLString } },
        resolve: counted('events', (payload: unknown) => payload),
        subscribe: async function* () {},
      },
    },
  }),
});

const PLAIN = `subscription Plain($upper: Boolean!, $bare: Boolean!, $prefix: String) {
  events(filter: "x") {
    __typename
    kind: type
    items {
      ...ItemFields
      again: name
      label(prefix: $prefix, upper: $upper)
      tags @skip(if: $bare)
      ... on Item { size self { name self { __typename label } } }
    }
    first { name ...ItemFields named { __typename name ... on Item { odd } } }
  }
}
fragment ItemFields on Item { name size ...ItemFields2 }
fragment ItemFields2 on Named { name ... on Item { odd } }`;

const ERRORS = `subscription Errors {
  events { type items { name size odd tags } first { name } }
}`;

const LATER = `subscription Later { events { items { name later } } }`;

function both(query: string, variables: Record<string, unknown>, payload: unknown) {
  const args = { schema, document: parse(query), variableValues: variables, contextValue: {} };
  const executor = prepareEventExecutor(args);
  if (!executor) throw new Error('expected a prepared executor');
  return {
    ours: () => executor.execute(payload),
    theirs: () => execute({ ...args, rootValue: payload }),
  };
}

/** What a client receives: the result as JSON (errors as graphql-js formats them). */
function wire(result: ExecutionResult): unknown {
  return JSON.parse(
    JSON.stringify({ ...result, errors: result.errors?.map((e) => (e as GraphQLError).toJSON()) }),
  );
}

const plainEvent = {
  type: 'MODIFIED',
  items: [
    { name: 'a', size: 1, tags: ['x', 'y'] },
    { name: 'b', size: null, tags: null },
  ],
};

describe('the prepared per-event executor', () => {
  it('answers a plain event exactly as graphql-js does, resolving each field once', async () => {
    for (const variables of [
      { upper: true, bare: false, prefix: '#' },
      { upper: false, bare: true },
    ]) {
      const { ours, theirs } = both(PLAIN, variables, plainEvent);
      calls.clear();
      const mine = (await ours()) as ExecutionResult;
      const once = new Map(calls);
      calls.clear();
      const reference = (await theirs()) as ExecutionResult;
      // Same keys in the same order, same values.
      expect(JSON.stringify(mine)).toBe(JSON.stringify(reference));
      expect(mine.errors).toBeUndefined();
      // The prepared path ran: graphql-js did not run the event a second time.
      expect(once).toEqual(calls);
      // And a second event through the same executor.
      const again = both(PLAIN, variables, { ...plainEvent, type: 'ADDED' });
      expect(JSON.stringify(await again.ours())).toBe(JSON.stringify(await again.theirs()));
    }
  });

  it('gives graphql-js’s result for every kind of error, to the letter', async () => {
    const cases: Item[][] = [
      [{ name: 'a', broken: 'throw' }],
      [{ name: 'a', broken: 'null' }, { name: 'b' }],
      [{ name: 'a', broken: 'serialise' }],
      [{ name: 'a', tags: 'not a list' }],
      [{ name: 'a', tags: ['x', null] }],
    ];
    for (const items of cases) {
      const { ours, theirs } = both(ERRORS, {}, { type: 'ADDED', items });
      const mine = (await ours()) as ExecutionResult;
      const reference = (await theirs()) as ExecutionResult;
      expect(mine.errors?.length, JSON.stringify(items)).toBeGreaterThan(0);
      expect(wire(mine)).toEqual(wire(reference));
    }
  });

  it('settles promised fields as graphql-js does, rejections included', async () => {
    for (const items of [[{ name: 'a' }, { name: 'b' }], [{ name: 'a', broken: 'reject' as const }]]) {
      const { ours, theirs } = both(LATER, {}, { type: 'ADDED', items });
      const first = ours();
      expect(first).toBeInstanceOf(Promise);
      expect(wire(await first)).toEqual(wire(await theirs()));
      // The subscription now knows it is asynchronous: the next event goes straight to graphql-js.
      calls.clear();
      await ours();
      expect(calls.get('items')).toBe(1);
    }
  });

  it('leaves to graphql-js what it cannot prepare (variables that do not coerce)', () => {
    expect(
      prepareEventExecutor({ schema, document: parse(PLAIN), variableValues: { upper: 'yes', bare: false } }),
    ).toBeUndefined();
    expect(prepareEventExecutor({ schema, document: parse('query { ok }') })).toBeUndefined();
  });
});
