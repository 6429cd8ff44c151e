/**
 * Defaults the configuration (src/config.ts) reads, apart from the modules that use them so
 * that reading the flags does not load the loaders and the Kubernetes client behind them.
 */

/** How long a subscription's initial snapshot waits for its clusters to sync (KUBEGATE_SNAPSHOT_SYNC_TIMEOUT_MS). */
export const DEFAULT_SNAPSHOT_SYNC_TIMEOUT_MS = 30_000;
