/**
 * Server-sent events for subscriptions, written straight to Node's response.
 *
 * graphql-yoga's own SSE processor (same protocol: graphql-sse's "distinct connections"
 * mode, `event: next` / `event: complete`, a `:` ping every 12 s) enqueues every message
 * as two chunks into a WHATWG ReadableStream ponyfill, which @whatwg-node pumps through
 * promise helpers into a Node stream and then into the response. With a thousand
 * subscribers that machinery was a quarter of the gateway's CPU per event, beside the
 * write itself. Here a message is one Buffer pushed into a Node Readable that
 * @whatwg-node pipes into the response as it is, and identical subscribers, who receive
 * the same result object (shared-events.ts), share its serialised bytes.
 *
 * Only subscription streams take this path (an async iterable result, the client
 * accepting text/event-stream before multipart/mixed); single results and everything
 * else keep yoga's processors.
 */
import { Readable } from 'node:stream';
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { type Clock, systemClock } from '../kube/clock.js';
import { memoised } from './result-json.js';

const PING_MS = 12_000;
const PING = Buffer.from(':\n\n');
const COMPLETE = Buffer.from('event: complete\ndata:\n\n');

const HEADERS = {
  'Content-Type': 'text/event-stream',
  Connection: 'keep-alive',
  'Cache-Control': 'no-cache',
  'Content-Encoding': 'none',
};

/** Serialised `next` messages, per result object: identical subscribers share one. */
const message = memoised((json) => Buffer.from(`event: next\ndata: ${json}\n\n`));

/** The stream of one subscription: pulls a result when the response can take more. */
function eventStream(results: AsyncIterable<ExecutionResult>, clock: Clock): Readable {
  const iterator = results[Symbol.asyncIterator]();
  let pulling = false;
  let ping: unknown;
  const stream = new Readable({
    read() {
      if (pulling) return;
      pulling = true;
      iterator.next().then(
        ({ value, done }) => {
          pulling = false;
          if (stream.destroyed) return;
          if (value != null) stream.push(message(value));
          if (done) {
            clock.clearInterval(ping);
            stream.push(COMPLETE);
            stream.push(null);
          }
        },
        (error: unknown) => {
          pulling = false;
          stream.destroy(error instanceof Error ? error : new Error(String(error)));
        },
      );
    },
    destroy(error, callback) {
      clock.clearInterval(ping);
      // The client went away (or the stream failed): release the subscription.
      Promise.resolve(iterator.return?.()).then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
  // A first ping: some browsers wait for a body byte before they hand the stream over.
  stream.push(PING);
  ping = clock.setInterval(() => {
    if (!stream.destroyed && stream.readableLength === 0) stream.push(PING);
  }, PING_MS);
  (ping as { unref?: () => void } | undefined)?.unref?.();
  return stream;
}

/** Whether the client takes text/event-stream before multipart/mixed (yoga's own order). */
function wantsEventStream(accept: string | null): boolean {
  for (const part of (accept ?? '*/*').toLowerCase().split(',')) {
    const type = part.split(';')[0].trim();
    if (type === 'text/event-stream' || type === 'text/*' || type === '*/*') return true;
    if (type === 'multipart/mixed' || type === 'multipart/*') return false;
  }
  return false;
}

export function useNodeEventStream(options: { clock?: Clock } = {}): Plugin {
  const clock = options.clock ?? systemClock;
  return {
    onResultProcess({ request, result, setResultProcessor }) {
      if (!isAsyncIterable(result) || !wantsEventStream(request.headers.get('accept'))) return;
      setResultProcessor(
        (results, fetchAPI) =>
          new fetchAPI.Response(eventStream(results as AsyncIterable<ExecutionResult>, clock) as never, {
            status: 200,
            headers: HEADERS,
          }),
        'text/event-stream',
      );
    },
  };
}
