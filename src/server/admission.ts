/**
 * What a request must pass before any work is done for it (issue #10, "Authenticate
 * first"): its credentials are checked before its body is read or its document parsed or
 * validated, so an unauthenticated request costs only the header check; its document is
 * bounded in bytes (not only in tokens); and the parse cache is bounded in bytes.
 */
import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { ErrorCode, GatewayError } from '../errors.js';
import type { Principal } from '../loaders/principal.js';
import type { Authenticator } from './auth.js';
import type { RequestSlot } from './request-slot.js';

/** The longest operation text accepted: a dashboard's operations are a few KB. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;

/**
 * Heap a parsed document costs per character of its text: 134 B, measured with graphql 16
 * on field-dense documents (200 of 7 KB: `parse` keeps a node and a location per token).
 */
export const PARSED_BYTES_PER_CHAR = 140;

/** What the parse caches may hold, by that estimate. */
export const PARSE_CACHE_BYTES = 64 * 1024 * 1024;

/** The document-too-large rejection, the same over HTTP and WebSocket. */
export function documentTooLarge(bytes: number, limit = MAX_DOCUMENT_BYTES): GatewayError {
  return new GatewayError(
    `expected an operation of at most ${limit} bytes, received ${bytes} bytes; send smaller documents (or persisted ones)`,
    { code: ErrorCode.DOCUMENT_TOO_LARGE, limit, http: { status: 413 } },
  );
}

/** The byte length of a document, when it is over the limit; undefined otherwise (cheap for short ones). */
export function documentOverLimit(query: unknown, limit = MAX_DOCUMENT_BYTES): number | undefined {
  if (typeof query !== 'string' || query.length * 3 <= limit) return undefined; // UTF-8: ≤ 3 bytes per code unit
  const bytes = Buffer.byteLength(query, 'utf8');
  return bytes > limit ? bytes : undefined;
}

/**
 * Authenticates in onRequestParse, before yoga reads the body; the principal is kept for
 * the context factory. Then checks the document's size before it is parsed.
 */
export function useAdmission(
  auth: Authenticator,
  principals: RequestSlot<Principal>,
  maxDocumentBytes = MAX_DOCUMENT_BYTES,
): Plugin {
  return {
    // yoga awaits this hook (PromiseOrValue) before it reads the body.
    async onRequestParse({ request }) {
      principals.set(request, await auth.authenticate(request.headers));
    },
    onParams({ params }) {
      const bytes = documentOverLimit(params.query, maxDocumentBytes);
      if (bytes !== undefined) throw documentTooLarge(bytes, maxDocumentBytes);
    },
  };
}

/** yoga's parse caches, bounded in (estimated) bytes instead of only in entries. */
export function boundedParseCaches(maxBytes = PARSE_CACHE_BYTES) {
  const size = (_value: unknown, key: string) => Math.max(1, key.length * PARSED_BYTES_PER_CHAR);
  return {
    documentCache: new LRUCache<string, DocumentNode>({ maxSize: maxBytes, sizeCalculation: size }),
    errorCache: new LRUCache<string, Error>({ maxSize: maxBytes / 8, sizeCalculation: size }),
  };
}
