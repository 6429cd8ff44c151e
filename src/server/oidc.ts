/**
 * OpenID Connect ID tokens, verified with jose and mapped to a Kubernetes user exactly as
 * kube-apiserver's `--oidc-*` flags map them, so the gateway's subjects are the cluster's
 * (k8s.io/apiserver/plugin/pkg/authenticator/token/oidc, pkg/kubeapiserver/options):
 *
 * - the token's `iss` must equal the issuer, its `aud` contain the audience, `exp` be in
 *   the future (and `nbf`, when present, in the past), with at most 60 s of clock skew;
 * - signatures by asymmetric algorithms only (kube-apiserver's allowlist: RS, PS, ES), with
 *   a key of the issuer's key set: never `none`, never an HMAC keyed by a public key;
 * - the user name is the `usernameClaim` (default `sub`), a string; with the `email` claim a
 *   present `email_verified` must be `true`; it is prefixed by `usernamePrefix`, which when
 *   unset is `{issuer}#` for every claim but `email` (none for `email`), and `-` for none;
 * - groups are the `groupsClaim` (default `groups`; kube-apiserver has none by default), a
 *   string or an array of strings, each prefixed by `groupsPrefix`; an absent claim is no
 *   groups. Like every authenticated user, the identity is in `system:authenticated`.
 *
 * The key set is found by discovery (`{issuer}/.well-known/openid-configuration`, whose
 * `issuer` must be the configured one) unless `jwksUri` is given. It is kept for 10 minutes
 * and fetched again sooner only for a token whose key it does not hold, at most once per
 * 30 s (successful or not), so a flood of made-up key ids costs the issuer nothing. jose's
 * createRemoteJWKSet does the same on Date.now(); this one runs on the gateway's Clock,
 * and its fetches go through an undici Agent that trusts `ca` when given.
 */
import { createLocalJWKSet, decodeJwt, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';
import { Agent, fetch } from 'undici';
import type { Clock } from '../kube/clock.js';
import { identityPrincipal, type Principal } from '../loaders/principal.js';
import {
  AUTHENTICATED_GROUP,
  CheckUnavailable,
  CredentialRejected,
  type TokenMethod,
} from './auth-method.js';

export interface OidcOptions {
  /** Exactly the `iss` of the tokens (and of the discovery document). */
  issuer: string;
  /** The client ID: a token's `aud` must contain it (one of them, when a list). */
  audience: string | readonly string[];
  usernameClaim?: string;
  usernamePrefix?: string;
  groupsClaim?: string;
  groupsPrefix?: string;
  /** The key set's URL; without it, discovery's `jwks_uri`. */
  jwksUri?: string;
  /** PEM certificates the issuer's TLS certificate is checked against (default: the system's). */
  ca?: string;
}

/** How the key set is kept; defaults below. */
export interface OidcTuning {
  clock: Clock;
  /** The least time between two fetches of the key set (successful or not). */
  refreshCooldownMs: number;
  /** How long a fetched key set is used before it is fetched again. */
  keysMaxAgeMs: number;
  /** How long a fetch may wait for the issuer's headers, and between body chunks. */
  fetchTimeoutMs: number;
}

/** kube-apiserver's allowlist (`--oidc-signing-algs`): asymmetric only. */
export const OIDC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
] as const;

/** The clock skew tolerated on `exp` and `nbf`. */
export const OIDC_CLOCK_SKEW_SECONDS = 60;
export const KEYS_REFRESH_COOLDOWN_MS = 30_000;
export const KEYS_MAX_AGE_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 10_000;

/** The user name prefix kube-apiserver applies for these options. */
export function usernamePrefixOf(
  options: Pick<OidcOptions, 'issuer' | 'usernameClaim' | 'usernamePrefix'>,
): string {
  const claim = options.usernameClaim ?? 'sub';
  const prefix = options.usernamePrefix ?? '';
  if (prefix === '-') return '';
  if (prefix === '') return claim === 'email' ? '' : `${options.issuer}#`;
  return prefix;
}

/** The Kubernetes user of verified claims; throws CredentialRejected as kube-apiserver refuses. */
function userOf(claims: JWTPayload, options: OidcOptions): { username: string; groups: string[] } {
  const usernameClaim = options.usernameClaim ?? 'sub';
  const name = claims[usernameClaim];
  if (typeof name !== 'string' || name === '') {
    throw new CredentialRejected(`oidc: the username claim "${usernameClaim}" is missing or not a string`);
  }
  if (usernameClaim === 'email' && Object.hasOwn(claims, 'email_verified')) {
    if (typeof claims.email_verified !== 'boolean') {
      throw new CredentialRejected('oidc: the "email_verified" claim is not a boolean');
    }
    if (!claims.email_verified) throw new CredentialRejected('oidc: email not verified');
  }
  const groupsClaim = options.groupsClaim ?? 'groups';
  let groups: string[] = [];
  if (Object.hasOwn(claims, groupsClaim)) {
    const value = claims[groupsClaim];
    if (typeof value === 'string') groups = [value];
    else if (Array.isArray(value) && value.every((g) => typeof g === 'string')) groups = value;
    else {
      throw new CredentialRejected(
        `oidc: the groups claim "${groupsClaim}" is neither a string nor an array of strings`,
      );
    }
  }
  const groupsPrefix = options.groupsPrefix ?? '';
  return {
    username: `${usernamePrefixOf(options)}${name}`,
    groups: groups.map((g) => `${groupsPrefix}${g}`),
  };
}

type KeyFunction = ReturnType<typeof createLocalJWKSet>;

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const detail = cause && typeof cause === 'object' ? ` (${String(cause.code ?? cause.message ?? '')})` : '';
  return `${err.message}${detail}`;
}

/** The issuer's key set, fetched on the Clock's terms (see the file's comment). */
class IssuerKeys {
  private keys?: KeyFunction;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private discovered?: string;
  private pending?: Promise<void>;
  private lastFailure = 'not fetched yet';
  readonly agent: Agent;

  constructor(
    private readonly options: OidcOptions,
    private readonly tuning: OidcTuning,
  ) {
    this.agent = new Agent({
      connect: options.ca ? { ca: options.ca } : {},
      headersTimeout: tuning.fetchTimeoutMs,
      bodyTimeout: tuning.fetchTimeoutMs,
    });
  }

  /** The key a token's header names; refreshes the set as the bounds allow. */
  resolve = async (
    header: Parameters<KeyFunction>[0],
    token: Parameters<KeyFunction>[1],
  ): Promise<Awaited<ReturnType<KeyFunction>>> => {
    if (!this.keys || this.age() >= this.tuning.keysMaxAgeMs) {
      if (this.mayFetch()) await this.refresh().catch((err) => this.keepStale(err));
      if (!this.keys) throw this.unavailable();
    }
    try {
      return await this.keys(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || !this.mayFetch()) throw err;
      // A key id the set does not hold: the issuer may have rotated. Once per cooldown.
      await this.refresh();
      return this.keys(header, token);
    }
  };

  private age(): number {
    return this.tuning.clock.now() - this.fetchedAt;
  }

  /** Whether a fetch may start now (or one is under way, to be joined). */
  private mayFetch(): boolean {
    return (
      this.pending !== undefined ||
      this.tuning.clock.now() - this.attemptedAt >= this.tuning.refreshCooldownMs
    );
  }

  /** After a failed refresh: an old key set beats none (the issuer may be down for a while). */
  private keepStale(err: unknown): void {
    if (!this.keys) throw err;
  }

  private unavailable(): CheckUnavailable {
    const wait = this.attemptedAt + this.tuning.refreshCooldownMs - this.tuning.clock.now();
    return new CheckUnavailable(
      `oidc: the issuer's keys are not available: ${this.lastFailure}`,
      Math.max(1, Math.ceil(wait / 1000)),
    );
  }

  private refresh(): Promise<void> {
    if (this.pending) return this.pending;
    this.attemptedAt = this.tuning.clock.now();
    const run = async () => {
      try {
        const uri = this.options.jwksUri ?? (await this.discover());
        const jwks = await this.getJson(uri, 'the key set');
        this.keys = createLocalJWKSet(jwks as JSONWebKeySet);
        this.fetchedAt = this.attemptedAt;
      } catch (err) {
        this.lastFailure = describe(err);
        throw this.unavailable();
      }
    };
    this.pending = run().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** The jwks_uri of the issuer's discovery document, fetched once it has been found. */
  private async discover(): Promise<string> {
    if (this.discovered) return this.discovered;
    const url = `${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const doc = (await this.getJson(url, 'the discovery document')) as {
      issuer?: unknown;
      jwks_uri?: unknown;
    };
    if (doc?.issuer !== this.options.issuer) {
      throw new Error(
        `the discovery document at ${url} names the issuer ${JSON.stringify(doc?.issuer)}, expected ${JSON.stringify(this.options.issuer)}`,
      );
    }
    if (typeof doc.jwks_uri !== 'string' || !URL.canParse(doc.jwks_uri)) {
      throw new Error(`the discovery document at ${url} has no jwks_uri URL`);
    }
    this.discovered = doc.jwks_uri;
    return doc.jwks_uri;
  }

  private async getJson(url: string, what: string): Promise<unknown> {
    const response = await fetch(url, {
      dispatcher: this.agent,
      redirect: 'manual',
      headers: { accept: 'application/json, application/jwk-set+json' },
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`${what} at ${url} answered HTTP ${response.status}`);
    }
    try {
      return await response.json();
    } catch {
      throw new Error(`${what} at ${url} is not JSON`);
    }
  }
}

/** A JWT's issuer, unverified: only to decide whether the token is this method's to check. */
function untrustedIssuer(token: string): string | undefined {
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

export function createOidcMethod(
  options: OidcOptions,
  tuning: Partial<OidcTuning> & { clock: Clock },
): TokenMethod {
  const full: OidcTuning = {
    refreshCooldownMs: KEYS_REFRESH_COOLDOWN_MS,
    keysMaxAgeMs: KEYS_MAX_AGE_MS,
    fetchTimeoutMs: FETCH_TIMEOUT_MS,
    ...tuning,
  };
  const keys = new IssuerKeys(options, full);
  const audience = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  return {
    name: 'oidc',
    close: () => keys.agent.close(),
    async authenticate(token): Promise<Principal | undefined> {
      // As kube-apiserver: a token of another issuer (or not a JWT) is not this method's.
      if (untrustedIssuer(token) !== options.issuer) return undefined;
      let claims: JWTPayload;
      const checks = {
        issuer: options.issuer,
        audience,
        algorithms: [...OIDC_ALGORITHMS],
        requiredClaims: ['iss', 'aud', 'exp'],
        clockTolerance: OIDC_CLOCK_SKEW_SECONDS,
        currentDate: new Date(full.clock.now()),
      };
      try {
        ({ payload: claims } = await jwtVerify(token, keys.resolve, checks).catch(async (err) => {
          // A token without a kid, and several keys of its algorithm: each is tried (as
          // go-oidc does); the first whose signature holds decides.
          if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
          for await (const key of err as unknown as AsyncIterable<CryptoKey>) {
            try {
              return await jwtVerify(token, key, checks);
            } catch (inner) {
              if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
            }
          }
          throw new errors.JWSSignatureVerificationFailed();
        }));
      } catch (err) {
        if (err instanceof CheckUnavailable) throw err;
        // jose's messages name the check ('"exp" claim timestamp check failed'), never a value.
        const code = err instanceof errors.JOSEError ? `${err.code}: ` : '';
        throw new CredentialRejected(`oidc: ${code}${(err as Error)?.message ?? String(err)}`);
      }
      const user = userOf(claims, options);
      return identityPrincipal(
        { username: user.username, groups: [...user.groups, AUTHENTICATED_GROUP] },
        'oidc',
      );
    },
  };
}
