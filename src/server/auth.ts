/**
 * Who is calling the gateway. Without configured authentication the gateway is open (a
 * local developer tool, bound to 127.0.0.1 by default); with it, every request, over HTTP,
 * SSE or WebSocket, must carry a bearer token, and its principal limits what it sees.
 *
 * A token is tried against the configured methods in a fixed order:
 *
 * 1. **static tokens** (`auth.tokens`): a lookup by the token's SHA-256, no I/O;
 * 2. **OIDC** (`auth.oidc`): a JWT whose (unverified) `iss` is the configured issuer is
 *    verified against the issuer's keys; such a token is never passed on to step 3, so a
 *    forged or expired ID token costs no call to an API server;
 * 3. **Kubernetes** (`auth.kubernetes`): anything else is reviewed by the cluster's
 *    TokenReview API (cached; see token-review.ts).
 *
 * The first method that handles a token decides. The client learns only "401
 * UNAUTHENTICATED" (or 503 UNAVAILABLE when a method could not decide), never which check
 * failed; the operator's `onFailure` hook gets the reason, never the token.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { credentialsUnavailable, GatewayError, unauthenticated } from '../errors.js';
import { type Clock, systemClock } from '../kube/clock.js';
import {
  identityPrincipal,
  kubeUser,
  OPEN_ACCESS,
  type Principal,
  type StaticPrincipal,
} from '../loaders/principal.js';
import {
  AUTHENTICATED_GROUP,
  type AuthMethodName,
  CheckUnavailable,
  CredentialRejected,
  type TokenMethod,
} from './auth-method.js';

export { AUTHENTICATED_GROUP } from './auth-method.js';

import { createOidcMethod, type OidcOptions, type OidcTuning } from './oidc.js';
import { tokenDigest } from './token-digest.js';
import { createTokenReviewMethod, type TokenReviewOptions } from './token-review.js';

/**
 * A configured static token: its value or its SHA-256 (hex), and either lists of clusters
 * and namespaces (a static principal) or a Kubernetes identity (`user`, `groups`, `uid`)
 * that each cluster's RBAC authorises.
 */
export interface StaticToken {
  name: string;
  token?: string;
  tokenSha256?: string;
  clusters?: '*' | readonly string[];
  namespaces?: '*' | readonly string[];
  user?: string;
  groups?: readonly string[];
  uid?: string;
  /** A token with lists: the Kubernetes identity its writes are made as (without it, it may not write). */
  writeAs?: WriteAs;
}

/** A Kubernetes identity writes are made as (impersonated), for principals that have none of their own. */
export interface WriteAs {
  user: string;
  groups?: readonly string[];
  uid?: string;
}

/** The older name of StaticToken (a token with its lists). */
export type TokenPrincipal = StaticToken;

/** Longer bearer tokens are refused unread (JWTs are a few KB; connectionParams could carry 1 MB). */
export const MAX_TOKEN_CHARS = 16 * 1024;

/** Why a credential was refused or could not be checked: for the operator's log. */
export interface AuthFailure {
  method: AuthMethodName | 'header';
  outcome: 'rejected' | 'unavailable';
  reason: string;
}

export interface AuthenticatorOptions {
  tokens?: readonly StaticToken[];
  oidc?: OidcOptions & Partial<OidcTuning>;
  kubernetes?: TokenReviewOptions;
  /** Token expiry and the caches' ages are read from it (the system's by default). */
  clock?: Clock;
  /** Called for every refused or unchecked credential, with the reason (never the credential). */
  onFailure?: (failure: AuthFailure) => void;
  /**
   * Without any method (the open gateway): the identity everyone's writes are made as.
   * Without it the open gateway may not write. The CLI allows it only on loopback.
   */
  openWriteAs?: WriteAs;
}

export interface Authenticator {
  /** True when no method is configured: everyone is the open principal. */
  readonly open: boolean;
  /** The configured methods, in the order a token is tried against them. */
  readonly methods: readonly AuthMethodName[];
  /**
   * The caller's principal. Rejects with an UNAUTHENTICATED GatewayError (401) when it has
   * none, or an UNAVAILABLE one (503) when its token could not be checked now.
   */
  authenticate(headers: Headers): Promise<Principal>;
  /** Releases connection pools (the OIDC issuer's). */
  close(): Promise<void>;
}

export { tokenDigest };

/** The principal a static token stands for: its lists, or a Kubernetes identity. */
export function staticPrincipal(t: StaticToken): Principal {
  if (t.user !== undefined) {
    if (t.writeAs !== undefined) {
      throw new Error(`token "${t.name}": "writeAs" is for tokens with lists; a "user" writes as itself`);
    }
    if (t.clusters !== undefined || t.namespaces !== undefined) {
      throw new Error(`token "${t.name}": expected either "user" or "clusters"/"namespaces", not both`);
    }
    return identityPrincipal(
      { username: t.user, uid: t.uid, groups: [...(t.groups ?? []), AUTHENTICATED_GROUP] },
      'token',
    );
  }
  if (t.groups !== undefined || t.uid !== undefined) {
    throw new Error(`token "${t.name}": "groups" and "uid" need "user"`);
  }
  const principal: StaticPrincipal = {
    name: t.name,
    clusters: t.clusters ?? '*',
    namespaces: t.namespaces ?? '*',
    ...(t.writeAs ? { writeAs: writeIdentityOf(t.writeAs) } : {}),
  };
  return Object.freeze(principal);
}

/** The identity a `writeAs` names, with `system:authenticated` as the API server will add it. */
function writeIdentityOf(w: WriteAs) {
  return kubeUser({ username: w.user, uid: w.uid, groups: [...(w.groups ?? []), AUTHENTICATED_GROUP] });
}

function createStaticMethod(tokens: readonly StaticToken[]): TokenMethod {
  // Keyed by the digest of the token: a Map lookup on attacker-chosen input then leaks
  // nothing about the configured tokens (finding a digest's neighbours needs preimages).
  const known = new Map<string, Principal>();
  for (const t of tokens) {
    const digest = t.tokenSha256?.toLowerCase() ?? (t.token !== undefined ? tokenDigest(t.token) : undefined);
    if (!digest || !/^[0-9a-f]{64}$/.test(digest)) {
      throw new Error(`token "${t.name}": expected "token" or a 64-hex-digit "tokenSha256"`);
    }
    if (known.has(digest)) throw new Error(`token "${t.name}" has the same value as another token`);
    known.set(digest, staticPrincipal(t));
  }
  return {
    name: 'static',
    authenticate: async (_token, digest) => known.get(digest),
  };
}

/** The bearer token of a request; throws 401 when there is none or the header is malformed. */
function bearerToken(headers: Headers): string {
  const header = headers.get('authorization') ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw unauthenticated(
      header
        ? 'expected an Authorization header of the form "Bearer <token>"'
        : 'this gateway requires a bearer token',
    );
  }
  if (match[1].length > MAX_TOKEN_CHARS) {
    throw unauthenticated(`expected a bearer token of at most ${MAX_TOKEN_CHARS} characters`);
  }
  return match[1];
}

/** What a client is told when a method refused its token: the same for every method and reason. */
const NOT_ACCEPTED = 'the bearer token was not accepted';

export function createAuthenticator(
  input: AuthenticatorOptions | readonly StaticToken[] = {},
): Authenticator {
  const options: AuthenticatorOptions = Array.isArray(input)
    ? { tokens: input as readonly StaticToken[] }
    : (input as AuthenticatorOptions);
  const clock = options.clock ?? systemClock;
  const methods: TokenMethod[] = [];
  if (options.tokens?.length) methods.push(createStaticMethod(options.tokens));
  if (options.oidc) methods.push(createOidcMethod(options.oidc, { clock, ...options.oidc }));
  if (options.kubernetes) methods.push(createTokenReviewMethod(options.kubernetes, clock));
  const names = Object.freeze(methods.map((m) => m.name));
  const close = async () => {
    await Promise.all(methods.map((m) => m.close?.()));
  };
  if (methods.length === 0) {
    const open: Principal = options.openWriteAs
      ? Object.freeze({ ...OPEN_ACCESS, writeAs: writeIdentityOf(options.openWriteAs) })
      : OPEN_ACCESS;
    return { open: true, methods: names, authenticate: async () => open, close };
  }
  const report = (failure: AuthFailure) => {
    try {
      options.onFailure?.(failure);
    } catch {
      // A logging hook must not change the answer.
    }
  };
  return {
    open: false,
    methods: names,
    close,
    async authenticate(headers) {
      let token: string;
      try {
        token = bearerToken(headers);
      } catch (err) {
        report({ method: 'header', outcome: 'rejected', reason: (err as Error).message });
        throw err;
      }
      const digest = tokenDigest(token);
      for (const method of methods) {
        let principal: Principal | undefined;
        try {
          principal = await method.authenticate(token, digest);
        } catch (err) {
          if (err instanceof CheckUnavailable) {
            report({ method: method.name, outcome: 'unavailable', reason: err.message });
            throw credentialsUnavailable(err.retryAfterSeconds);
          }
          if (err instanceof CredentialRejected) {
            report({ method: method.name, outcome: 'rejected', reason: err.message });
            throw unauthenticated(NOT_ACCEPTED);
          }
          if (err instanceof GatewayError) throw err;
          // Anything else is a bug of ours: refuse (never admit on an error), and say why in the log.
          report({
            method: method.name,
            outcome: 'rejected',
            reason: `unexpected error: ${(err as Error)?.message ?? String(err)}`,
          });
          throw unauthenticated(NOT_ACCEPTED);
        }
        if (principal) return principal;
      }
      report({
        method: methods[methods.length - 1].name,
        outcome: 'rejected',
        reason: `no method (${names.join(', ')}) knows the token`,
      });
      throw unauthenticated(NOT_ACCEPTED);
    },
  };
}

/**
 * Headers for a WebSocket connection: the upgrade request's, overlaid with
 * connectionParams (browsers cannot set headers on a WebSocket, so graphql-ws clients
 * send `{ authorization: "Bearer ..." }` there).
 */
export function headersFrom(
  upgrade: IncomingHttpHeaders,
  connectionParams?: Readonly<Record<string, unknown>>,
): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(upgrade)) {
    if (typeof value === 'string') headers.set(key, value);
    else if (Array.isArray(value)) headers.set(key, value.join(', '));
  }
  for (const [key, value] of Object.entries(connectionParams ?? {})) {
    if (typeof value === 'string' && key.toLowerCase() === 'authorization')
      headers.set('authorization', value);
  }
  return headers;
}
