/**
 * The gateway's HTTP responses, with large text bodies written as bytes.
 *
 * Node writes a string chunk to a socket by encoding it inside the write (stream_base's
 * `writeUtf8String`), and above about 128 KiB that became the slowest step of a wide answer:
 * Q2 at size L (a 218 KB answer) spent 1.5 ms per request in it, as much as serialising
 * the answer. `Buffer.from` (simdutf) and a write of the buffer take 0.1–0.2 ms for the same
 * text. Below that size the string write is as fast or faster (it skips a buffer), so only
 * larger strings are encoded first. Measured on Node 24, an HTTP server answering a keep-alive
 * client one request at a time (write time, p50 of 1,000; three alternating runs each):
 *
 *   body chars   string write   Buffer.from + write
 *   64,000       31–45 µs       48–510 µs
 *   100,000      45 µs          45 µs
 *   125,000      52–55 µs       49–65 µs
 *   160,000      1,111 µs       131 µs
 *   218,000      1,064 µs       98 µs
 *   600,000      2,591 µs       336 µs
 *
 * yoga (through @whatwg-node/server) writes a JSON answer as the string its serialiser made,
 * so this is where the encoding can change without reaching into its internals: the class is
 * `http.createServer`'s `ServerResponse`, for every answer the listener sends.
 */
import { type IncomingMessage, ServerResponse } from 'node:http';

/** Strings longer than this (UTF-16 units) are encoded to a Buffer before they are written. */
export const ENCODE_ABOVE_CHARS = 96 * 1024;

function encoded(chunk: unknown, encoding: unknown): unknown {
  if (typeof chunk !== 'string' || chunk.length <= ENCODE_ABOVE_CHARS) return chunk;
  // Only text meant as UTF-8 (the default); any other encoding is left to Node.
  if (typeof encoding === 'string' && encoding !== 'utf8' && encoding !== 'utf-8') return chunk;
  return Buffer.from(chunk, 'utf8');
}

type Write = (chunk: unknown, ...rest: unknown[]) => boolean;
type End<T> = (...args: unknown[]) => T;

export class EncodedResponse<
  Request extends IncomingMessage = IncomingMessage,
> extends ServerResponse<Request> {
  override write(chunk: unknown, ...rest: unknown[]): boolean {
    return (super.write as Write)(encoded(chunk, rest[0]), ...rest);
  }

  override end(...args: unknown[]): this {
    if (args.length > 0 && typeof args[0] !== 'function') args[0] = encoded(args[0], args[1]);
    return (super.end as End<this>)(...args);
  }
}
