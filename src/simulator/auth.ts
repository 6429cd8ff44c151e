/**
 * Bearer-token authentication and a small RBAC: each token names a user and the
 * rules it is allowed (verbs x resources x namespaces), enough to make a client see
 * 401 and 403 exactly as a real API server answers them.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ResourceName } from './types.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface PolicyRule {
  /** Verbs allowed; '*' for all. */
  verbs: (Verb | '*')[];
  /** Resources allowed; '*' for all. */
  resources: (ResourceName | '*')[];
  /** Namespaces the rule covers; omitted or ['*'] means all, including cluster-scoped resources. */
  namespaces?: string[];
}

export interface TokenGrant {
  user: string;
  rules: PolicyRule[];
}

export interface Principal {
  user: string;
  rules: PolicyRule[];
}

export const ADMIN_RULES: PolicyRule[] = [{ verbs: ['*'], resources: ['*'] }];

export class TokenAuthenticator {
  private readonly tokens = new Map<string, TokenGrant>();

  constructor(initial: Record<string, TokenGrant> = {}) {
    for (const [token, grant] of Object.entries(initial)) this.tokens.set(token, grant);
  }

  set(token: string, grant: TokenGrant): void {
    this.tokens.set(token, grant);
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  /** The principal for an Authorization header, or undefined when it is missing or unknown. */
  authenticate(header: string | undefined): Principal | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) return undefined;
    const offered = Buffer.from(match[1]);
    for (const [token, grant] of this.tokens) {
      const known = Buffer.from(token);
      // Constant-time compare so a token cannot be guessed byte by byte from timings.
      if (known.length === offered.length && timingSafeEqual(known, offered)) return grant;
    }
    return undefined;
  }
}

/** Whether a principal may do `verb` on `resource` in `namespace` (undefined: cluster-wide or cluster-scoped). */
export function authorize(
  principal: Principal,
  verb: Verb,
  resource: ResourceName,
  namespace: string | undefined,
): boolean {
  return principal.rules.some(
    (rule) =>
      (rule.verbs.includes('*') || rule.verbs.includes(verb)) &&
      (rule.resources.includes('*') || rule.resources.includes(resource)) &&
      (!rule.namespaces ||
        rule.namespaces.includes('*') ||
        (namespace !== undefined && rule.namespaces.includes(namespace))),
  );
}
