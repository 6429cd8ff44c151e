/**
 * System A, the ceiling: a bare graphql-yoga server answering `{ hello }` on Node's http
 * server, run as its own process. What it manages per second is the most any GraphQL
 * server built on yoga can manage on this machine, before it does any work of its own.
 * `tsx bench/ceiling-server.ts [--port N]` prints `ceiling listening on <url>`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createSchema, createYoga } from 'graphql-yoga';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });

const yoga = createYoga({
  schema: createSchema({
    typeDefs: 'type Query { hello: String! }',
    resolvers: { Query: { hello: () => 'world' } },
  }),
  graphqlEndpoint: '/graphql',
  landingPage: false,
  graphiql: false,
  logging: false,
});

const server = createServer(yoga);
server.listen(Number(values.port), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`ceiling listening on http://127.0.0.1:${port}/graphql\n`);
});

const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
