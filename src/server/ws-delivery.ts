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
 */

import type { Duplex } from 'node:stream';
import type { ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import { memoised } from './result-json.js';

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
  const delivery: AsyncIterableIterator<never> = {
    async next() {
      for (;;) {
        const item = await iterator.next();
        if (item.done) return { done: true, value: undefined };
        // As graphql-ws: nothing is sent to a socket that is closing (it returns the stream).
        if (socket.readyState !== socket.OPEN) continue;
        const body = payload(item.value);
        sent += 1;
        if (raw) raw.write(frame(prefix, body), written);
        else
          socket.send(Buffer.concat([prefix, body, SUFFIX], prefix.length + body.length + 1), TEXT, written);
        // Wait only when the socket could not take it all: then until our frames are written
        // (or failed, when the connection goes), not until the socket is empty, which other
        // subscriptions on the same connection could put off indefinitely.
        if (socket.bufferedAmount > 0 && acknowledged < sent) {
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
