/**
 * Bearer tokens the other methods do not know, reviewed by one cluster's TokenReview API
 * (authentication.k8s.io/v1): a user's kubectl token, a service account's. The server is
 * handed the review as a function (src/kube does the call), so it never holds a client.
 *
 * The API server must not become the gateway's password oracle under load, so:
 *
 * - answers are cached by the token's SHA-256 (never the token), accepted ones for 60 s,
 *   refused ones for 10 s, each cache bounded in entries (least recently used go first),
 *   so a flood of made-up tokens cannot evict the honest users' identities;
 * - concurrent requests with the same token share one review (lru-cache's fetchMethod);
 * - at most 8 reviews run at once and 256 wait; beyond that a token is not reviewed
 *   (503), so random tokens cost the API server 8 concurrent requests at most.
 *
 * A review that fails (the API server or the network) is not an answer about the token:
 * nothing is cached and the client gets 503 UNAVAILABLE with Retry-After, not 401, which
 * would make it drop a credential that may be good.
 */
import { LRUCache } from 'lru-cache';
import { fromUpstream } from '../errors.js';
import { type TokenReviewAnswer, upstreamFailure } from '../kube/client.js';
import type { Clock } from '../kube/clock.js';
import { identityPrincipal, type Principal } from '../loaders/principal.js';
import { CheckUnavailable, CredentialRejected, type TokenMethod } from './auth-method.js';

export type { TokenReviewAnswer } from '../kube/client.js';

/** Asks a cluster who a token belongs to; rejects when the cluster could not answer. */
export type ReviewToken = (token: string) => Promise<TokenReviewAnswer>;

export interface TokenReviewOptions {
  /** The cluster whose API server reviews the tokens (for logs). */
  cluster: string;
  review: ReviewToken;
}

/** How long an accepted token's identity is reused without asking again. */
export const REVIEW_TTL_MS = 60_000;
/** How long a refused token is refused without asking again. */
export const REVIEW_FAILURE_TTL_MS = 10_000;
export const REVIEW_CACHE_ENTRIES = 10_000;
export const REVIEW_FAILURE_CACHE_ENTRIES = 10_000;
export const MAX_REVIEWS_IN_FLIGHT = 8;
export const MAX_REVIEWS_WAITING = 256;
/** What a client is told to wait after a review could not be made. */
const RETRY_AFTER_SECONDS = 5;

/** A bounded semaphore: `run` waits for a slot, or throws when too many already wait. */
class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly size: number,
    private readonly queue: number,
  ) {}

  async run<T>(task: () => Promise<T>, full: () => Error): Promise<T> {
    if (this.running >= this.size) {
      if (this.waiting.length >= this.queue) throw full();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      // The slot passes to the next waiter as it is (running stays), or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

export function createTokenReviewMethod(options: TokenReviewOptions, clock: Clock): TokenMethod {
  const perf = { now: () => clock.now() };
  const slots = new Slots(MAX_REVIEWS_IN_FLIGHT, MAX_REVIEWS_WAITING);
  const refused = new LRUCache<string, string>({
    max: REVIEW_FAILURE_CACHE_ENTRIES,
    ttl: REVIEW_FAILURE_TTL_MS,
    ttlResolution: 0,
    perf,
  });
  const unavailable = (message: string) => new CheckUnavailable(message, RETRY_AFTER_SECONDS);
  const accepted = new LRUCache<string, Principal, string>({
    max: REVIEW_CACHE_ENTRIES,
    ttl: REVIEW_TTL_MS,
    ttlResolution: 0,
    perf,
    fetchMethod: async (digest, _stale, { context: token }) => {
      let answer: TokenReviewAnswer;
      try {
        answer = await slots.run(
          () => options.review(token),
          () => unavailable(`kubernetes: more than ${MAX_REVIEWS_WAITING} token reviews waiting`),
        );
      } catch (err) {
        if (err instanceof CheckUnavailable) throw err;
        // Described by its status and Status message, or its network code: not the raw error,
        // whose text a client library may fill with the request.
        const failure = upstreamFailure(err);
        throw unavailable(
          failure
            ? `kubernetes: ${fromUpstream(failure, options.cluster, 'a token review').message}`
            : `kubernetes: the token review of cluster "${options.cluster}" failed: ${(err as Error)?.message ?? String(err)}`,
        );
      }
      if (!answer.authenticated) {
        refused.set(digest, answer.error ? answer.error.slice(0, 200) : 'not authenticated');
        return undefined; // not cached here: the refusal is, in its own cache
      }
      return identityPrincipal(answer.user, 'kubernetes');
    },
  });
  return {
    name: 'kubernetes',
    async authenticate(token, digest) {
      const known = refused.get(digest);
      if (known !== undefined) throw new CredentialRejected(`kubernetes: refused (cached): ${known}`);
      const principal = await accepted.fetch(digest, { context: token });
      if (principal) return principal;
      throw new CredentialRejected(
        `kubernetes: cluster "${options.cluster}" did not authenticate the token: ${refused.get(digest) ?? 'not authenticated'}`,
      );
    },
  };
}
