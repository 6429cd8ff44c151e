/**
 * The request body limit, enforced where it costs nothing.
 *
 * graphql-yoga's own limit pipes every request body through a WHATWG TransformStream to
 * count its bytes; each such pipeline ends by aborting its AbortController, which builds
 * a DOMException with a stack trace. On a query answered from memory that was a tenth of
 * the gateway's CPU. A body with a Content-Length cannot be longer than that header says
 * (node:http frames the request by it), so checking the header is enough; only a body
 * without one (chunked) is counted as it streams, as yoga does. yoga's limit is turned
 * off (`maxRequestBodySize: false`) where this plugin is used.
 */
import type { Plugin } from 'graphql-yoga';
import { ErrorCode, GatewayError } from '../errors.js';

/** GraphQL documents are small; a megabyte is far more than any real operation needs. */
export const MAX_REQUEST_BODY_BYTES = 1_000_000;

function tooLarge(limit: number, received?: number): GatewayError {
  return new GatewayError(
    `expected a request body of at most ${limit} bytes, received ${received === undefined ? 'more' : received}`,
    { code: ErrorCode.REQUEST_ENTITY_TOO_LARGE, http: { status: 413 } },
  );
}

export function useRequestBodyLimit(limit = MAX_REQUEST_BODY_BYTES): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const header = request.headers.get('content-length');
      if (header !== null) {
        if (!/^\d+$/.test(header)) {
          throw new GatewayError(
            `expected Content-Length to be one non-negative integer, received "${header}"`,
            {
              code: ErrorCode.BAD_REQUEST,
              http: { status: 400 },
            },
          );
        }
        if (Number(header) > limit) throw tooLarge(limit, Number(header));
        return;
      }
      if (requestParser === undefined || request.body === null) return;
      const parse = requestParser;
      setRequestParser((req) => {
        const body = req.body;
        if (!body) return parse(req);
        // Same as yoga: the native TransformStream for a native body, the ponyfill's otherwise.
        const Transform =
          body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
        let read = 0;
        const counted = body.pipeThrough(
          new Transform({
            transform(chunk: Uint8Array, controller: TransformStreamDefaultController<Uint8Array>) {
              read += chunk.byteLength;
              if (read > limit) controller.error(tooLarge(limit));
              else controller.enqueue(chunk);
            },
          }),
        );
        return parse(
          new fetchAPI.Request(req.url, {
            method: req.method,
            headers: req.headers,
            signal: req.signal,
            body: counted,
            duplex: 'half',
          } as RequestInit),
        );
      });
    },
  };
}
