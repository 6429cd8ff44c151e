/**
 * Who is calling the gateway. Without configured tokens the gateway is open (a local
 * developer tool, bound to 127.0.0.1 by default); with tokens, every request, over
 * HTTP, SSE or WebSocket, must carry one, and its principal limits what it sees.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { unauthenticated } from '../errors.js';
import { OPEN_ACCESS, type Principal, type StaticPrincipal } from '../loaders/principal.js';

export interface TokenPrincipal extends StaticPrincipal {
  token: string;
}

export interface Authenticator {
  /** True when no credentials are configured: everyone is the open principal. */
  readonly open: boolean;
  /** The caller's principal; throws an UNAUTHENTICATED GatewayError when it has none. */
  authenticate(headers: Headers): Principal;
}

/** Compares digests, so neither a token's length nor its bytes leak through timing. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function createAuthenticator(tokens: readonly TokenPrincipal[]): Authenticator {
  if (tokens.length === 0) return { open: true, authenticate: () => OPEN_ACCESS };
  const known = tokens.map((t) => ({
    digest: digest(t.token),
    principal: Object.freeze({ name: t.name, clusters: t.clusters, namespaces: t.namespaces }),
  }));
  return {
    open: false,
    authenticate(headers) {
      const header = headers.get('authorization') ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) {
        throw unauthenticated(
          header
            ? 'expected an Authorization header of the form "Bearer <token>"'
            : 'this gateway requires a bearer token',
        );
      }
      const offered = digest(match[1]);
      const found = known.find((k) => timingSafeEqual(k.digest, offered));
      if (!found) throw unauthenticated('the bearer token is not one this gateway knows');
      return found.principal;
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
