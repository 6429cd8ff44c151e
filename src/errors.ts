/**
 * The one errors module: every error a client sees carries a stable
 * `extensions.code`, and a message that says what was expected and what came.
 * Upstream Kubernetes failures (Status codes, refused connections) are mapped here;
 * anything unexpected is masked for clients and logged by the server.
 * A leaf module (imports only graphql), so loaders, schema and server all use it.
 */
import { GraphQLError } from 'graphql';

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  UNAVAILABLE: 'UNAVAILABLE',
  RATE_LIMITED: 'RATE_LIMITED',
  CONFLICT: 'CONFLICT',
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  /** A subscription over a cap (per caller, per WebSocket connection). */
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  /** A log follow over a cap of upstream log streams (per cluster, per caller; extensions.scope, limit). */
  TOO_MANY_LOG_STREAMS: 'TOO_MANY_LOG_STREAMS',
  /** A request a browser could have forged cross-site (no preflight-forcing header). */
  CSRF_HEADER_REQUIRED: 'CSRF_HEADER_REQUIRED',
  /** A Host header this gateway does not answer to (DNS rebinding). */
  HOST_NOT_ALLOWED: 'HOST_NOT_ALLOWED',
  /** A browser page of an origin that is not allowed. */
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
  /** An operation's text over the byte limit. */
  DOCUMENT_TOO_LARGE: 'DOCUMENT_TOO_LARGE',
  /** A request body over the limit (graphql-yoga's own code for it). */
  REQUEST_ENTITY_TOO_LARGE: 'REQUEST_ENTITY_TOO_LARGE',
  /** A POST whose Content-Type is not one GraphQL over HTTP uses. */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** An Accept header that allows none of the answers' media types. */
  NOT_ACCEPTABLE: 'NOT_ACCEPTABLE',
  /** A malformed HTTP request (graphql-yoga's own code for it). */
  BAD_REQUEST: 'BAD_REQUEST',
  /** An operation nested deeper than the limit (extensions.limit, extensions.depth). */
  DEPTH_LIMIT: 'DEPTH_LIMIT',
  /** An operation with more aliases than the limit. */
  ALIAS_LIMIT: 'ALIAS_LIMIT',
  /** A document of more tokens than the limit. */
  TOKEN_LIMIT: 'TOKEN_LIMIT',
  /** An operation with more directives than the limit. */
  DIRECTIVE_LIMIT: 'DIRECTIVE_LIMIT',
  /** An operation whose estimated answer (objects and values it returns) is over the limit. */
  COST_LIMIT: 'COST_LIMIT',
  /** An answer whose serialized size is over the limit (extensions.limit, extensions.bytes). */
  RESPONSE_TOO_LARGE: 'RESPONSE_TOO_LARGE',
  /** An execution that took longer than the limit. */
  TIMEOUT: 'TIMEOUT',
  /**
   * The gateway is shutting down: a subscription it ended, or an operation that outlasted
   * the shutdown timeout. Retrying (another replica answers) is the right move.
   */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /**
   * A subscription's `sinceResourceVersion` is older than what the gateway retained (or
   * not one it can place): refetch with `initial: true`.
   */
  RESUME_EXPIRED: 'RESUME_EXPIRED',
  /**
   * A cluster another replica's shard serves (sharding): `extensions.shard` names it; send
   * the request there (the README's Sharding shows routing by shard).
   */
  WRONG_SHARD: 'WRONG_SHARD',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The most characters of a client's input an error message quotes back. */
export const MAX_ECHO_CHARS = 100;

/**
 * A client's input as an error message quotes it: as JSON, a string cut to MAX_ECHO_CHARS
 * with "…" and its full length when longer, so a 900 KB argument is not sent back in full.
 */
export function quote(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length <= MAX_ECHO_CHARS) return JSON.stringify(value);
    return `${JSON.stringify(value.slice(0, MAX_ECHO_CHARS))}… (${value.length} characters)`;
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= MAX_ECHO_CHARS
    ? text
    : `${text.slice(0, MAX_ECHO_CHARS)}… (${text.length} characters)`;
}

export interface GatewayErrorExtensions {
  code: ErrorCode;
  /** The cluster the error is about, when there is one. */
  cluster?: string;
  /** The upstream HTTP status, when the error came from an API server. */
  upstreamStatus?: number;
  /** Seconds after which a retry makes sense (RATE_LIMITED, UNAVAILABLE). */
  retryAfterSeconds?: number;
  [key: string]: unknown;
}

/** An error meant for the client: its message and extensions are shown as they are. */
export class GatewayError extends GraphQLError {
  constructor(message: string, extensions: GatewayErrorExtensions) {
    super(message, { extensions: { ...extensions } });
    this.name = 'GatewayError';
  }

  get code(): ErrorCode {
    return this.extensions.code as ErrorCode;
  }
}

export function badUserInput(message: string, extra: Record<string, unknown> = {}): GatewayError {
  return new GatewayError(message, { code: ErrorCode.BAD_USER_INPUT, ...extra });
}

export function notFound(message: string, extra: Record<string, unknown> = {}): GatewayError {
  return new GatewayError(message, { code: ErrorCode.NOT_FOUND, ...extra });
}

export function forbidden(message: string, extra: Record<string, unknown> = {}): GatewayError {
  return new GatewayError(message, { code: ErrorCode.FORBIDDEN, ...extra });
}

/**
 * A resume the gateway cannot serve: `oldest` is the oldest resourceVersion it can resume
 * the cluster's kind from (null when none: not synced since a relist, or not cached).
 */
export function resumeExpired(
  message: string,
  details: { cluster: string; oldestResourceVersion: string | null },
): GatewayError {
  return new GatewayError(
    `${message}; ${details.oldestResourceVersion === null ? 'nothing can be resumed here right now' : `the oldest resourceVersion this gateway can resume from is ${details.oldestResourceVersion}`}: refetch with initial: true`,
    { code: ErrorCode.RESUME_EXPIRED, ...details },
  );
}

/** RFC 6750: a 401 names the scheme the client should authenticate with. */
export const WWW_AUTHENTICATE = 'Bearer realm="kubegate"';

export function unauthenticated(message: string): GatewayError {
  return new GatewayError(message, {
    code: ErrorCode.UNAUTHENTICATED,
    http: { status: 401, headers: { 'WWW-Authenticate': WWW_AUTHENTICATE } },
  });
}

/**
 * Credentials that could not be checked because what checks them (an OIDC issuer's keys, a
 * cluster's TokenReview API) failed: 503 with Retry-After, not 401, since the credential may
 * be good and a client told 401 would throw it away. Says nothing about the credential.
 */
export function credentialsUnavailable(retryAfterSeconds: number): GatewayError {
  return new GatewayError('the gateway cannot check credentials right now; retry later', {
    code: ErrorCode.UNAVAILABLE,
    retryAfterSeconds,
    http: { status: 503, headers: { 'Retry-After': String(retryAfterSeconds) } },
  });
}

/**
 * The same answer wherever a cluster name is checked (loaders, subscriptions), for a cluster
 * that does not exist and for one the caller may not see: only the visible ones are named.
 */
export function clusterNotFound(name: string, visible: readonly string[]): GatewayError {
  return notFound(
    `expected one of the clusters ${JSON.stringify(visible)}, received ${JSON.stringify(name)}`,
    {
      cluster: name,
    },
  );
}

/**
 * A read of a whole kind that waited `waitedMs` for the cluster's first LIST of it and the
 * LIST is still running (a large cluster, or a fleet syncing after a restart): this cluster's
 * part of the answer is an error, the rest of the page is answered. The LIST goes on; once
 * stored, the same read answers from memory.
 */
export function clusterSyncing(cluster: string, kind: string, waitedMs: number): GatewayError {
  const retryAfterSeconds = Math.max(1, Math.ceil(waitedMs / 1000));
  return new GatewayError(
    `cluster ${quote(cluster)} is still listing its ${kind} objects for the first time (waited ${waitedMs} ms); retry in ${retryAfterSeconds} s, when they are answered from memory`,
    { code: ErrorCode.UNAVAILABLE, cluster, kind, reason: 'SYNCING', retryAfterSeconds },
  );
}

/**
 * A configured cluster this replica's shard does not serve: which shard does, so a client
 * or router can go there. It confirms the name exists (a missing one is NOT_FOUND).
 */
export function wrongShard(name: string, owner: string, self: string | undefined): GatewayError {
  return new GatewayError(
    `cluster ${quote(name)} is served by shard ${owner}, not by this replica (shard ${self ?? '?'}): send the request to shard ${owner}`,
    { code: ErrorCode.WRONG_SHARD, cluster: name, shard: owner, ...(self ? { servedBy: self } : {}) },
  );
}

/** A label selector that does not parse: where, what was expected, what was found. */
export function selectorError(err: {
  message: string;
  position: number;
  expected: string;
  found: string;
}): GatewayError {
  return badUserInput(err.message, { position: err.position, expected: err.expected, found: err.found });
}

/**
 * A failure of an API server or the network on the way to it, as the kube layer
 * classifies it (kube/client.ts `upstreamFailure`): never anything else.
 */
export interface UpstreamFailureLike {
  status?: number;
  body?: string;
  retryAfter?: string;
  network?: string;
}

/** The Status message of an upstream error body, when there is one. Never headers or tokens. */
function statusMessage(body: string | undefined): string | undefined {
  if (body === undefined) return undefined;
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

/** What a field of an object is wrong with, as an API server's 422 Status lists it (details.causes). */
export interface FieldCause {
  field: string;
  message: string;
}

/** The causes of an upstream Status (a 422's fields), when there are any. */
function statusCauses(body: string | undefined): FieldCause[] | undefined {
  if (body === undefined) return undefined;
  try {
    const parsed = JSON.parse(body) as { details?: { causes?: unknown } };
    const causes = parsed.details?.causes;
    if (!Array.isArray(causes) || causes.length === 0) return undefined;
    return causes.slice(0, 20).map((c: { field?: unknown; message?: unknown }) => ({
      field: typeof c?.field === 'string' ? c.field : '',
      message: typeof c?.message === 'string' ? c.message : '',
    }));
  } catch {
    return undefined;
  }
}

/** Over a rate limit (the gateway's or a cluster's): retry after `retryAfterSeconds`. */
export function rateLimited(
  message: string,
  retryAfterSeconds: number,
  extra: Record<string, unknown> = {},
): GatewayError {
  return new GatewayError(message, { code: ErrorCode.RATE_LIMITED, retryAfterSeconds, ...extra });
}

/**
 * Maps a failure talking to a cluster's API server to a client error with a stable
 * code. The message names the cluster and says what the server answered; an invalid
 * object's causes (field and message) come along as `extensions.causes`.
 */
export function fromUpstream(failure: UpstreamFailureLike, cluster: string, action: string): GatewayError {
  const status = failure.status;
  const upstream = statusMessage(failure.body);
  const detail = upstream ? `: ${upstream}` : '';
  const retryAfterSeconds =
    failure.retryAfter && Number.isFinite(Number(failure.retryAfter))
      ? Number(failure.retryAfter)
      : undefined;
  const base = { cluster, ...(status ? { upstreamStatus: status } : {}) };
  switch (status) {
    case 400:
    case 422: {
      const causes = statusCauses(failure.body);
      return new GatewayError(`cluster "${cluster}" rejected ${action}${detail}`, {
        code: ErrorCode.BAD_USER_INPUT,
        ...base,
        ...(causes ? { causes } : {}),
      });
    }
    case 401:
      return new GatewayError(`cluster "${cluster}" did not accept kubegate's credentials for ${action}`, {
        code: ErrorCode.UNAVAILABLE,
        ...base,
      });
    case 403:
      return new GatewayError(`cluster "${cluster}" forbids ${action}${detail}`, {
        code: ErrorCode.FORBIDDEN,
        ...base,
      });
    case 404:
      return new GatewayError(`cluster "${cluster}" has no such object for ${action}${detail}`, {
        code: ErrorCode.NOT_FOUND,
        ...base,
      });
    case 409:
      return new GatewayError(`cluster "${cluster}" reported a conflict for ${action}${detail}`, {
        code: ErrorCode.CONFLICT,
        ...base,
      });
    case 429:
      return new GatewayError(`cluster "${cluster}" is rate limiting ${action}${detail}; retry later`, {
        code: ErrorCode.RATE_LIMITED,
        ...base,
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      });
  }
  if (status !== undefined) {
    return new GatewayError(`cluster "${cluster}" failed ${action} with HTTP ${status}${detail}`, {
      code: ErrorCode.UNAVAILABLE,
      ...base,
    });
  }
  const network = failure.network;
  return new GatewayError(
    `cluster "${cluster}" is unreachable for ${action}${network ? ` (${network})` : ''}`,
    { code: ErrorCode.UNAVAILABLE, ...base },
  );
}
