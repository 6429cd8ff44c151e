/**
 * What the authenticator asks of each of its methods (static tokens, OIDC, TokenReview),
 * and the two ways a method can fail, which the client sees differently.
 */
import type { Principal } from '../loaders/principal.js';

/** The group kube-apiserver adds to every authenticated user (RBAC binds to it). */
export const AUTHENTICATED_GROUP = 'system:authenticated';

export type AuthMethodName = 'static' | 'oidc' | 'kubernetes';

export interface TokenMethod {
  readonly name: AuthMethodName;
  /**
   * The principal of a bearer token; undefined when the token is not one this method
   * handles (the next method is asked). Throws CredentialRejected or CheckUnavailable.
   *
   * @param digest the token's SHA-256 in hex, computed once for every method.
   */
  authenticate(token: string, digest: string): Promise<Principal | undefined>;
  /** Releases what the method holds (connection pools). */
  close?(): Promise<void>;
}

/**
 * A credential this method handles and refuses: the client gets 401. The reason is for the
 * operator's log only (which check failed), never for the client, and never holds the
 * credential.
 */
export class CredentialRejected extends Error {
  override readonly name = 'CredentialRejected';
}

/**
 * The method could not decide (the issuer's keys or the cluster's TokenReview failed): the
 * client gets 503 and Retry-After, since its credential may well be good.
 */
export class CheckUnavailable extends Error {
  override readonly name = 'CheckUnavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
