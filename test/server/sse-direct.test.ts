/**
 * The SSE transport reads a subscription's own stream, not the iterator yoga wraps it in
 * (server/sse.ts, `requestStream`). yoga's HTTP path wraps every subscription's result in
 * an iterator that reads with a promise per event and turns a stream's failure into a
 * last `{ errors }` result; the transport reads the stream without a promise per event and
 * must still say the same on the wire. Here a yoga server with the gateway's subscription
 * plugins (the result stream's hooks, the shared execution, the SSE transport) runs over
 * real HTTP, on a relay queue of the gateway's (a ReadySource), with a plugin whose `onNext`
 * throws on the second event: the client gets the first event, then the masked error as
 * its last result, then `complete`, the messages yoga's own wrapper gives.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { EventQueue } from '../../src/loaders/event-queue.js';
import { ResultStream, useStreamHooks } from '../../src/server/result-stream.js';
import { useSharedEventExecution } from '../../src/server/shared-events.js';
import { useNodeEventStream } from '../../src/server/sse.js';
import { waitFor } from '../helpers/wait.js';

const queues: EventQueue<number>[] = [];
const logged: unknown[] = [];

/** A plugin with a bug: its `onNext` throws on the event numbered 2. */
const brokenOnNext: Plugin = {
  onSubscribe: () => ({
    onSubscribeResult: () => ({
      onNext: ({ result }) => {
        if ((result.data as { tick?: number } | null | undefined)?.tick === 2)
          throw new Error('a plugin bug');
      },
    }),
  }),
};

let server: Server;
let url: string;

beforeAll(async () => {
  const streamHooks = useStreamHooks();
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: 'type Query { ok: Boolean } type Subscription { tick: Int! }',
      resolvers: {
        Subscription: {
          tick: {
            subscribe: () => {
              const queue = new EventQueue<number>({ limit: 100 });
              queues.push(queue);
              return queue;
            },
            resolve: (n: number) => n,
          },
        },
      },
    }),
    logging: {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (...args: unknown[]) => logged.push(args[0]),
    },
    plugins: [streamHooks, brokenOnNext, useSharedEventExecution(), useNodeEventStream()],
  });
  streamHooks.assert();
  server = createServer(yoga);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The `event:`/`data:` messages of an SSE body, pings left out. */
function messages(text: string): { event: string; data: string }[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [event, data] = block.split('\n');
      return { event: event.slice('event: '.length), data: data.slice('data:'.length).trim() };
    });
}

it('reads the stream itself, and a failing stream ends with the masked error, then complete, as yoga says it', async () => {
  const next = vi.spyOn(ResultStream.prototype, 'next');
  const nextNow = vi.spyOn(ResultStream.prototype, 'nextNow');
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: 'subscription { tick }' }),
  });
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  let text = '';
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
    }
  })();
  await waitFor(() => queues.length === 1, 'the subscription');
  const queue = queues[0];
  queue.push(1);
  await waitFor(() => messages(text).length === 1, 'the first event');
  queue.push(2);
  queue.push(3);
  await done;

  expect(messages(text)).toEqual([
    { event: 'next', data: JSON.stringify({ data: { tick: 1 } }) },
    {
      event: 'next',
      data: JSON.stringify({
        errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
      }),
    },
    { event: 'complete', data: '' },
  ]);
  // The bug was logged, not sent; the third event never went out; the queue was released.
  expect(logged.some((entry) => String((entry as Error)?.message ?? entry).includes('a plugin bug'))).toBe(
    true,
  );
  await waitFor(() => (queue as unknown as { closed: boolean }).closed, 'the queue to close');
  // Every event was read without the promise-per-read iterator.
  expect(next).not.toHaveBeenCalled();
  expect(nextNow.mock.calls.length).toBeGreaterThanOrEqual(2);
});
