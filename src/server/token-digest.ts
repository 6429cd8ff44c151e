import { createHash } from 'node:crypto';

/**
 * A token's SHA-256 in hex: the static tokens' and the review cache's key, never the token.
 * Apart from auth.ts so that the configuration (src/config.ts) can digest tokens without
 * loading the authenticators and the Kubernetes client behind them.
 */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
