/**
 * Server-sent events for subscriptions, written straight to Node's response.
 *
 * graphql-yoga's own SSE processor (same protocol: graphql-sse's "distinct connections"
 * mode, `event: next` / `event: complete`, a `:` ping every 12 s) enqueues every message
 * as two chunks into a WHATWG ReadableStream ponyfill, which @whatwg-node pumps through
 * promise helpers into a Node stream and then into the response. With a thousand
 * subscribers that machinery was a quarter of the gateway's CPU per event, beside the
 * write itself. Here the body is a Node Readable, which @whatwg-node pipes into the
 * response: its `pipe` hands over the response, and each message is written there
 * directly, as the WebSocket transport writes its frames (ws-delivery.ts):
 * - read without a promise per event when the stream allows it (a ResultStream over a
 *   relay's queue, `canReadNow`): every subscriber one event wakes writes in one microtask.
 *   yoga hands a processor the stream wrapped in an iterator of its own, so this reads the
 *   request's own stream (`requestStream`) and says on a failure what the wrapper would
 *   (`failureResult`);
 * - on a chunked HTTP/1.1 response (what every HTTP/1.1 client gets for an open-ended
 *   body), each message is written to the connection as one chunk already framed (its size
 *   line, the message, CRLF), one buffer and one `write`, where the response would cork the
 *   socket, write the size line, the message and CRLF separately and uncork on the next
 *   tick; identical subscribers, who receive the same result object (shared-events.ts),
 *   share that buffer as they share the serialised result. The response's own head and
 *   first ping, and its last chunk with `event: complete`, go through the response, which
 *   knows nothing of the chunks in between and needs to know nothing: a chunked body is a
 *   sequence of self-delimiting chunks. An HTTP/1.0 request (no chunking), or a response
 *   still queued behind another on its connection, is written through the response.
 * Measured with 1,000 identical subscribers (`npx tsx bench/subscriptions-only.ts 1000 20
 * sse`): see docs/ARCHITECTURE.md, "One iterator per subscription".
 *
 * Back-pressure: a result is pulled only while the connection takes what is written; when
 * its buffer is full, the next one once it drains, so a subscriber that stops reading backs
 * up into its relay queue, which cuts it with SLOW_CONSUMER (loaders/streams.ts).
 *
 * Only subscription streams take this path (an async iterable result, the client
 * accepting text/event-stream before multipart/mixed); single results and everything
 * else keep yoga's processors. Read any other way than piped into a Node response (yoga's
 * `fetch`), the Readable pushes the same messages as a Node stream.
 */
import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin, type YogaLogger } from 'graphql-yoga';
import { type Clock, systemClock } from '../kube/clock.js';
import { memoised } from './result-json.js';
import { ResultStream, requestStream } from './result-stream.js';

const PING_MS = 12_000;
const PING = Buffer.from(':\n\n');
const COMPLETE = Buffer.from('event: complete\ndata:\n\n');

const HEADERS = {
  'Content-Type': 'text/event-stream',
  Connection: 'keep-alive',
  'Cache-Control': 'no-cache',
  'Content-Encoding': 'none',
};

/** `text` as one chunk of a chunked HTTP/1.1 body (RFC 9112 7.1): its size in hex, CRLF, its UTF-8 bytes, CRLF; one buffer. */
export function httpChunk(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const size = length.toString(16);
  const out = Buffer.allocUnsafe(size.length + length + 4);
  let at = out.write(size, 0, 'latin1');
  at = out.write('\r\n', at, 'latin1') + at;
  at = out.write(text, at, 'utf8') + at;
  out.write('\r\n', at, 'latin1');
  return out;
}

const nextText = (json: string) => `event: next\ndata: ${json}\n\n`;
/** Serialised `next` messages, per result object: identical subscribers share one. */
const message = memoised((json) => Buffer.from(nextText(json)));
/** The same, framed as a chunk of a chunked body. */
const chunkedMessage = memoised((json) => httpChunk(nextText(json)));
const PING_CHUNK = httpChunk(':\n\n');

/** yoga's error masking as its server normalised it (its `maskedErrorsOpts`), or null when masking is off. */
interface Masking {
  maskError(error: unknown, message: string, isDev?: boolean): unknown;
  errorMessage: string;
  isDev?: boolean;
}

/**
 * What yoga's HTTP path makes of a subscription stream that fails: its last result, the
 * error masked (graphql-yoga's `handleError`, which it does not export), or undefined for
 * an abort, which ends the stream without one. yoga wraps every subscription's stream in an
 * iterator that does this (its `handleParams`); a stream read directly (EventStream's
 * `direct`) does it here, so that the client gets the same messages either way.
 */
export function failureResult(
  error: unknown,
  masking: Masking | null,
  logger?: YogaLogger,
): ExecutionResult | undefined {
  if ((error as { name?: unknown } | null)?.name === 'AbortError') return undefined;
  const each = error instanceof AggregateError ? error.errors : [error];
  const errors = each.map((one: unknown) => {
    const masked = masking ? masking.maskError(one, masking.errorMessage, masking.isDev) : one;
    if (masked !== one) logger?.error(one);
    if (masked instanceof GraphQLError) return masked;
    const message = masked instanceof Error ? masked.message : String(masked);
    return new GraphQLError(message, { originalError: masked instanceof Error ? masked : undefined });
  });
  return { errors };
}

/** The stream of one subscription (see the file's comment). */
class EventStream extends Readable {
  readonly #iterator: AsyncIterator<ExecutionResult>;
  /**
   * The subscription's own stream, read without a promise per event, when it can be: yoga
   * hands a processor the stream wrapped in an iterator of its own (see `failureResult`),
   * which reads with a promise per event and subscriber. That wrapper stays `#iterator`,
   * for a Readable read any other way and for `return` (which it passes on).
   */
  readonly #direct: ResultStream | undefined;
  readonly #failure: (error: unknown) => ExecutionResult | undefined;
  readonly #clock: Clock;
  #ping: unknown;
  /** The response it writes to, once piped into one. */
  #res: ServerResponse | undefined;
  /** Its connection, when chunks are written to it directly. */
  #socket: Socket | undefined;
  #started = false;
  #finished = false;
  /** A read (a promise) in flight, for the Readable's own reads. */
  #pulling = false;

  constructor(
    results: AsyncIterable<ExecutionResult>,
    clock: Clock,
    direct: ResultStream | undefined,
    failure: (error: unknown) => ExecutionResult | undefined,
  ) {
    super();
    this.#iterator = results[Symbol.asyncIterator]();
    const own = direct ?? (results instanceof ResultStream ? results : undefined);
    this.#direct = own?.canReadNow ? own : undefined;
    this.#failure = failure;
    this.#clock = clock;
  }

  /** @whatwg-node pipes the body into the response: the response is written to directly. */
  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    if (this.#started || !(destination instanceof ServerResponse)) return super.pipe(destination, options);
    this.#started = true;
    const res: ServerResponse = destination;
    this.#res = res;
    // A first ping, through the response: it sends the head, and Node decides how the body
    // is framed (some browsers also wait for a body byte before they hand the stream over).
    res.write(PING);
    if ((res as { chunkedEncoding?: boolean }).chunkedEncoding === true && res.socket)
      this.#socket = res.socket;
    this.#startPings();
    this.#pump();
    return destination;
  }

  override _read(): void {
    if (this.#res) return;
    if (!this.#started) {
      this.#started = true;
      this.push(PING);
      this.#startPings();
    }
    if (this.#pulling || this.#finished) return;
    this.#pulling = true;
    this.#iterator.next().then(
      ({ value, done }) => {
        this.#pulling = false;
        if (this.destroyed) return;
        if (value != null) this.push(message(value));
        if (done) {
          this.#finished = true;
          this.#clock.clearInterval(this.#ping);
          this.push(COMPLETE);
          this.push(null);
        }
      },
      (error: unknown) => {
        this.#pulling = false;
        this.destroy(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#finished = true;
    this.#clock.clearInterval(this.#ping);
    // The client went away (or the stream failed): release the subscription.
    Promise.resolve(this.#iterator.return?.()).then(
      () => callback(error),
      () => callback(error),
    );
  }

  #startPings(): void {
    this.#ping = this.#clock.setInterval(() => {
      if (this.#finished || this.destroyed) return;
      const res = this.#res;
      if (!res) {
        if (this.readableLength === 0) this.push(PING);
        return;
      }
      const socket = this.#socket;
      if (socket) {
        if (socket.writableLength === 0) socket.write(PING_CHUNK);
      } else if (res.writableLength === 0) res.write(PING);
    }, PING_MS);
    (this.#ping as { unref?: () => void } | undefined)?.unref?.();
  }

  /** Writes every result there is now; calls itself back when there are more, or the connection drained. */
  readonly #pump = (): void => {
    const direct = this.#direct;
    if (direct) {
      while (!this.#finished && !this.destroyed) {
        const item = direct.nextNow();
        if (item === undefined) {
          direct.whenReady(this.#pump);
          return;
        }
        if (item instanceof Promise) {
          item.then(this.#settled, this.#directFailed);
          return;
        }
        if (!this.#handle(item)) return;
      }
      return;
    }
    if (!this.#finished && !this.destroyed) this.#iterator.next().then(this.#settled, this.#failed);
  };

  readonly #settled = (item: IteratorResult<ExecutionResult>): void => {
    if (this.#handle(item)) this.#pump();
  };

  /** A direct read failed: its last result, as yoga's wrapper would give it, then the end (the stream has ended). */
  readonly #directFailed = (error: unknown): void => {
    const last = this.#failure(error);
    if (last === undefined) this.#failed();
    else this.#settled({ value: last, done: false });
  };

  readonly #failed = (): void => {
    // The error went through yoga's hooks (masked and logged there); the stream cannot go on.
    this.#finished = true;
    this.#res?.destroy();
    this.destroy();
  };

  /** Writes one read's result (or ends); true to read on at once. */
  #handle(item: IteratorResult<ExecutionResult>): boolean {
    if (this.#finished || this.destroyed) return false;
    const res = this.#res!;
    if (item.done) {
      this.#finished = true;
      this.#clock.clearInterval(this.#ping);
      res.end(COMPLETE);
      return false;
    }
    const socket = this.#socket;
    // A connection closing: nothing more is written (its close destroys this stream).
    if (socket && !socket.writable) return false;
    if (socket ? socket.write(chunkedMessage(item.value)) : res.write(message(item.value))) return true;
    // The connection's buffer is full: the next result once it drained.
    (socket ?? res).once('drain', this.#pump);
    return false;
  }
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
  let failure: (error: unknown) => ExecutionResult | undefined = (error) => failureResult(error, null);
  return {
    onYogaInit({ yoga }) {
      // yoga's own normalised masking (a private field of its server): the same maskError,
      // message and logging its wrapper applies to a failed stream.
      const masking = (yoga as unknown as { maskedErrorsOpts?: Masking | null }).maskedErrorsOpts ?? null;
      failure = (error) => failureResult(error, masking, yoga.logger);
    },
    onResultProcess({ request, result, setResultProcessor }) {
      if (!isAsyncIterable(result) || !wantsEventStream(request.headers.get('accept'))) return;
      const direct = requestStream(request);
      setResultProcessor(
        (results, fetchAPI) =>
          new fetchAPI.Response(
            new EventStream(results as AsyncIterable<ExecutionResult>, clock, direct, failure) as never,
            { status: 200, headers: HEADERS },
          ),
        'text/event-stream',
      );
    },
  };
}
