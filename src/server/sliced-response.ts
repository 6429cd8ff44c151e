/**
 * The gateway's HTTP responses, with long text bodies written in slices.
 *
 * Node writes a string chunk to a socket by encoding it inside the write (stream_base's
 * `writeUtf8String`), and above about 128 KiB of text that became the slowest step of a wide
 * answer: Q2 at size L (a 218 KB answer) spent 1.5 ms per request in it, as much as
 * serialising the answer. Written as slices of 64 Ki characters the same text takes 0.1 ms,
 * as fast as `Buffer.from` and one buffer write, without a buffer of the answer's size per
 * request: such buffers count as V8 external memory, which starts garbage collections of the
 * whole heap (the simulator, with 100,000 pods in its heap, spent twice the CPU serving its
 * 4 MB LIST pages as buffers, and 27 % less in slices than as whole strings). Measured on
 * Node 24, an HTTP server answering a keep-alive client one request at a time (write time,
 * p50 of 1,000), and in the gateway: docs/ARCHITECTURE.md, "Queries are executed from a plan".
 *
 *   body chars   one string   Buffer.from + write   64 Ki slices
 *   64,000       31–45 µs     48–510 µs             (one slice)
 *   125,000      52–55 µs     49–65 µs
 *   160,000      1,111 µs     131 µs
 *   218,000      966–1,013 µs 98 µs                 102 µs
 *   4,000,000    16.8–17.6 ms 2.3–2.5 ms            2.9 ms
 *
 * yoga (through @whatwg-node/server) writes a JSON answer as the string its serialiser made,
 * so this is where the writing can change without reaching into its internals: the class is
 * `http.createServer`'s `ServerResponse`, for every answer the listener sends. The simulator
 * slices its LIST pages the same way (simulator/http.ts `writeText`, its own: the simulator
 * imports nothing of ours).
 */
import { type IncomingMessage, ServerResponse } from 'node:http';

/** Slices of at most this many UTF-16 units: below the size where Node's string writes slow down. */
export const SLICE_CHARS = 64 * 1024;

/**
 * Calls `write` with `text` in slices of at most `SLICE_CHARS` units, never between the two
 * halves of a surrogate pair (each half alone would be encoded as U+FFFD), `last` true for the
 * final one; returns the final call's answer (a stream's `write`: false means wait for 'drain').
 */
export function writeInSlices(text: string, write: (slice: string, last: boolean) => boolean): boolean {
  let ok = true;
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + SLICE_CHARS);
    const before = text.charCodeAt(end - 1);
    if (end < text.length && before >= 0xd800 && before <= 0xdbff) end--;
    ok = write(text.slice(start, end), end === text.length);
    start = end;
  }
  return ok;
}

type Callback = (error?: Error | null) => void;
type Write = (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean;
type End<T> = (...args: unknown[]) => T;

/** Whether `chunk` is UTF-8 text to slice (any other encoding, or bytes, are left to Node). */
function sliceable(chunk: unknown, encoding: unknown): chunk is string {
  return (
    typeof chunk === 'string' &&
    chunk.length > SLICE_CHARS &&
    (typeof encoding !== 'string' || encoding === 'utf8' || encoding === 'utf-8')
  );
}

/** The bytes `chunk` stands for, or -1 when it is neither text nor bytes. */
function byteLengthOf(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') {
    return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  }
  return chunk instanceof Uint8Array ? chunk.byteLength : -1;
}

export class SlicedResponse<
  Request extends IncomingMessage = IncomingMessage,
> extends ServerResponse<Request> {
  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const write = super.write as Write;
    let ok: boolean;
    if (!sliceable(chunk, encoding)) ok = write.call(this, chunk, encoding, callback);
    else {
      const done = (typeof encoding === 'function' ? encoding : callback) as Callback | undefined;
      // The callback goes with the last slice: it is called once the whole text is written.
      ok = writeInSlices(chunk, (slice, last) => write.call(this, slice, 'utf8', last ? done : undefined));
    }
    return ok || this.#wholeBody(chunk, encoding);
  }

  /**
   * Whether `chunk` was the whole body its Content-Length declares: then there is nothing
   * more to hold back, and `write` says so. @whatwg-node/server sends a string answer as
   * `write(body)` and, when that returns false (any body above the socket's 16 KiB
   * high-water mark), calls `end()` only after 'drain': the response stayed open until the
   * client had read most of it, and a keep-alive client's next request waited behind it.
   * The bytes are the socket's either way (the string was already handed over), so a
   * writer that has nothing left to write gains nothing by waiting. A body of unknown
   * length (SSE, chunked) or one written in parts keeps Node's answer and its backpressure.
   * Q2 at size L (a 218 KB answer), the gateway in its own process under 10 connections:
   * 393 / 367 -> 444 / 434 req/s, CPU per request 3.14 / 3.34 -> 2.79 / 2.86 ms (`LOAD=5 npx
   * tsx bench/ab.ts BASE . L Q2 0 4`, two runs); one request at a time it moved within the
   * machine's noise. A client in the gateway's own process (bench/floor.ts) cannot read
   * until the gateway yields, and waited for each drain: 2.70 / 2.58 -> 2.28 / 2.26 ms
   * (`CHURN=0 IDS=Q2 ONLY=http npx tsx bench/wide-breakdown.ts L 300`).
   */
  #wholeBody(chunk: unknown, encoding: unknown): boolean {
    const declared = this.getHeader('content-length');
    if (declared === undefined) return false;
    return Number(declared) === byteLengthOf(chunk, typeof encoding === 'function' ? undefined : encoding);
  }

  override end(...args: unknown[]): this {
    const end = super.end as End<this>;
    const [chunk, encoding, callback] = args;
    if (!sliceable(chunk, encoding)) return end.apply(this, args);
    // As `end(chunk)` would: a body whose length is known up front goes out with it, not chunked.
    if (!this.headersSent && !this.hasHeader('content-length') && !this.hasHeader('transfer-encoding'))
      this.setHeader('content-length', Buffer.byteLength(chunk));
    this.write(chunk, 'utf8');
    return end.call(this, typeof encoding === 'function' ? encoding : callback);
  }
}
