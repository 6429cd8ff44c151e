/**
 * A graphql-ws subscription's `next` messages, written straight to its connection.
 *
 * graphql-ws's server sends each result through `emit.next`: an `async` function that
 * awaits the `onNext` hook, spreads the result into a new object, validates the message,
 * `JSON.stringify`s it whole (the payload once per subscriber) and awaits a promise per
 * send; ws then writes the frame's header and its payload as two buffers (cork, two
 * writes, uncork: a `writev`). Here the payload is serialised once per result object
 * (identical subscribers receive the same one, shared-events.ts, and the SSE transport
 * serialises it the same way, result-json.ts), and each subscriber's frame is built as one
 * buffer: header, `{"id":…,"type":"next","payload":`, the payload, `}` — the message
 * graphql-ws would send — and written with one `write`. Measured with 10,000 identical
 * subscribers (`npx tsx bench/subscriptions-only.ts 10000 20 ws`, alternating runs, gateway
 * CPU over the timed events per delivered event): 61.7 and 62.4 µs before, 50.0 with the
 * shared payload through `ws.send`, 44.5 and 44.2 with the one-buffer write
 * (bench/results/fanout-layers.md).
 *
 * graphql-ws still runs the protocol: it subscribes, sends `complete` when the stream ends
 * and `error` when it throws, and calls `return` when the client completes or the socket
 * closes. It iterates the stream this module returns, which yields nothing: its `next`
 * writes every result itself and settles when the results end.
 *
 * Back-pressure as before: graphql-ws waited for each send's callback before it pulled the
 * next result, so a subscriber that does not read backs up into its relay queue, which
 * cuts it with SLOW_CONSUMER (loaders/streams.ts). Here a result is pulled at once when the
 * socket took the frame whole, and otherwise once the frame has been written.
 *
 * The results are read without a promise each when the stream allows it (a ResultStream
 * over a relay's queue, `canReadNow`): when an event comes, every subscriber waiting for one
 * is called back in one microtask (event-queue.ts `soon`) and writes what is there now.
 */

import type { Duplex } from 'node:stream';
import type { ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import { memoised } from './result-json.js';
import { ResultStream } from './result-stream.js';

const payload = memoised((json) => Buffer.from(json));
const SUFFIX = Buffer.from('}');
const TEXT = { binary: false } as const;

/** One unmasked, final text frame: header, the subscription's prefix, the payload, `}`. */
function frame(prefix: Buffer, body: Buffer): Buffer {
  const length = prefix.length + body.length + 1;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(header + length);
  out[0] = 0x81;
  if (header === 2) out[1] = length;
  else if (header === 4) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(0, 2);
    out.writeUInt32BE(length, 6);
  }
  prefix.copy(out, header);
  body.copy(out, header + prefix.length);
  out[header + length - 1] = 0x7d;
  return out;
}

export function deliverToSocket(
  results: AsyncIterable<ExecutionResult>,
  socket: WebSocket,
  upgraded: Duplex,
  id: string,
): AsyncIterableIterator<never> {
  const iterator = results[Symbol.asyncIterator]();
  // With no extension negotiated (the gateway's server offers none), ws writes each of its
  // frames to the upgraded connection synchronously and whole, so a frame written there
  // directly keeps its place among them. With one (permessage-deflate), ws's sender.
  const raw = socket.extensions === '' ? upgraded : undefined;
  const prefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
  // This subscription's frames written and acknowledged: the socket calls back in order.
  let sent = 0;
  let acknowledged = 0;
  let flushed: (() => void) | undefined;
  const written = () => {
    acknowledged += 1;
    if (acknowledged === sent && flushed) {
      const resume = flushed;
      flushed = undefined;
      resume();
    }
  };
  const write = (result: ExecutionResult) => {
    const body = payload(result);
    sent += 1;
    if (raw) raw.write(frame(prefix, body), written);
    else socket.send(Buffer.concat([prefix, body, SUFFIX], prefix.length + body.length + 1), TEXT, written);
  };
  // Wait only when the socket could not take it all: then until our frames are written (or
  // failed, when the connection goes), not until the socket is empty, which other
  // subscriptions on the same connection could put off indefinitely.
  const mustWait = () => socket.bufferedAmount > 0 && acknowledged < sent;
  if (results instanceof ResultStream && results.canReadNow) {
    return readingNow(results, socket, write, mustWait, (resume) => {
      flushed = resume;
    });
  }
  const delivery: AsyncIterableIterator<never> = {
    async next() {
      for (;;) {
        const item = await iterator.next();
        if (item.done) return { done: true, value: undefined };
        // As graphql-ws: nothing is sent to a socket that is closing (it returns the stream).
        if (socket.readyState !== socket.OPEN) continue;
        write(item.value);
        if (mustWait()) {
          await new Promise<void>((resume) => {
            flushed = resume;
          });
        }
      }
    },
    async return() {
      const resume = flushed;
      flushed = undefined;
      resume?.();
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return delivery;
    },
  };
  return delivery;
}

const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true });

/**
 * The delivery for a stream read with `nextNow`: graphql-ws's one `next` settles when the
 * results end (or rejects with the stream's error); meanwhile every result there is now is
 * written at once, and the stream calls back when there is more.
 */
function readingNow(
  stream: ResultStream,
  socket: WebSocket,
  write: (result: ExecutionResult) => void,
  mustWait: () => boolean,
  onFlushed: (resume: () => void) => void,
): AsyncIterableIterator<never> {
  let started = false;
  let finished = false;
  let resolveEnd!: (result: IteratorResult<never>) => void;
  let rejectEnd!: (error: unknown) => void;
  const end = new Promise<IteratorResult<never>>((resolve, reject) => {
    resolveEnd = resolve;
    rejectEnd = reject;
  });
  const finish = (error?: unknown) => {
    if (finished) return;
    finished = true;
    if (error === undefined) resolveEnd(DONE);
    else rejectEnd(error);
  };
  const failed = (error: unknown) => finish(error === undefined ? new Error('stream failed') : error);
  /** Handles one read; true to read on at once. */
  const handle = (item: IteratorResult<ExecutionResult>): boolean => {
    if (finished) return false;
    if (item.done) {
      finish();
      return false;
    }
    // As graphql-ws: nothing is sent to a socket that is closing (it returns the stream).
    if (socket.readyState !== socket.OPEN) return true;
    write(item.value);
    if (mustWait()) {
      onFlushed(pump);
      return false;
    }
    return true;
  };
  const settled = (item: IteratorResult<ExecutionResult>) => {
    if (handle(item)) pump();
  };
  function pump(): void {
    while (!finished) {
      const item = stream.nextNow();
      if (item === undefined) {
        stream.whenReady(pump);
        return;
      }
      if (item instanceof Promise) {
        item.then(settled, failed);
        return;
      }
      if (!handle(item)) return;
    }
  }
  const delivery: AsyncIterableIterator<never> = {
    next() {
      if (!started) {
        started = true;
        pump();
      }
      return end;
    },
    async return() {
      finish();
      await stream.return();
      return DONE;
    },
    async throw(error: unknown) {
      finish();
      await stream.return();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return delivery;
    },
  };
  return delivery;
}
