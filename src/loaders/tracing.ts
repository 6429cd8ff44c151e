/**
 * A trace span per DataLoader batch (through `@opentelemetry/api` only: a no-op until the
 * server layer starts an SDK). DataLoader runs a batch function after the tick in which
 * its first key was asked, in that caller's async context, so the span is a child of the
 * operation's span (or of whatever span asked first); the API calls and cache waits of the
 * batch are its children.
 */
import type { BatchLoadFn } from 'dataloader';
import { recordFailure, tracer } from '../kube/tracing.js';

/** At most this many distinct clusters, kinds and namespaces are listed on a batch's span. */
const MAX_LISTED = 20;

/** The distinct values of one string property of the keys (a key that is a string is a cluster). */
function distinct(keys: readonly unknown[], property: 'cluster' | 'kind' | 'namespace'): string[] {
  const seen = new Set<string>();
  for (const key of keys) {
    const value =
      typeof key === 'string'
        ? property === 'cluster'
          ? key
          : undefined
        : (key as Record<string, unknown> | null)?.[property];
    if (typeof value === 'string') seen.add(value);
    if (seen.size >= MAX_LISTED) break;
  }
  return [...seen];
}

/**
 * `batch` in a span `dataloader.batch <loader>` with the batch's size, its clusters, kinds
 * and namespaces, and how many of its keys failed.
 */
export function tracedBatch<K, V>(loader: string, batch: BatchLoadFn<K, V>): BatchLoadFn<K, V> {
  return (keys) =>
    tracer.startActiveSpan(`dataloader.batch ${loader}`, async (span) => {
      if (!span.isRecording()) {
        span.end();
        return batch(keys);
      }
      span.setAttributes({
        'kubegate.loader': loader,
        'kubegate.batch.size': keys.length,
        'kubegate.batch.clusters': distinct(keys, 'cluster'),
        'kubegate.batch.kinds': distinct(keys, 'kind'),
        'kubegate.batch.namespaces': distinct(keys, 'namespace'),
      });
      try {
        const results = await batch(keys);
        let failed = 0;
        for (let i = 0; i < results.length; i++) if (results[i] instanceof Error) failed++;
        if (failed > 0) span.setAttribute('kubegate.batch.errors', failed);
        return results;
      } catch (err) {
        recordFailure(span, err);
        throw err;
      } finally {
        span.end();
      }
    });
}
