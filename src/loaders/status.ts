/**
 * Batch functions about a cluster as a whole: its version and whether it answers.
 * Both are per cluster, so a batch is simply one call per distinct cluster.
 */
import DataLoader from 'dataloader';
import { type ErrorCode, GatewayError } from '../errors.js';
import type { BatchHook } from './lists.js';
import { type RequestReads, readError } from './reads.js';
import { tracedBatch } from './tracing.js';

export interface ClusterHealth {
  /** The API server answered (no cache), or no informer has lost its watch to an error (cache). */
  reachable: boolean;
  /** Why not, when it is not reachable: the upstream error as a client would see it. */
  error?: string;
  code?: ErrorCode;
}

export function createVersionLoader(reads: RequestReads, onBatch?: BatchHook) {
  return new DataLoader<string, string>(
    tracedBatch('version', async (clusters) => {
      onBatch?.('version', clusters);
      return Promise.all(
        clusters.map(async (name) => {
          try {
            // Cluster.version() asks once and remembers: 0 upstream requests after the first.
            return await reads.reader(name).version();
          } catch (err) {
            return readError(err, name, 'reading the server version');
          }
        }),
      );
    }),
  );
}

/**
 * With the cache, health is read from the informers (no upstream request): a kind whose
 * watch is down with an error makes the cluster unreachable, and the error says why.
 * Without the cache there is nothing to read it from, so it costs one GET /version.
 */
export function createHealthLoader(reads: RequestReads, onBatch?: BatchHook) {
  return new DataLoader<string, ClusterHealth>(
    tracedBatch('health', async (clusters) => {
      onBatch?.('health', clusters);
      return Promise.all(
        clusters.map(async (name): Promise<ClusterHealth | Error> => {
          let reader: ReturnType<RequestReads['reader']>;
          try {
            reader = reads.reader(name);
          } catch (err) {
            return err as Error;
          }
          if (reader.cache) {
            const status = reader.status();
            const broken = status.kinds.find((k) => !k.connected && k.lastError);
            if (!broken) return { reachable: true };
            return { reachable: false, error: `${broken.kind}: ${broken.lastError}` };
          }
          try {
            await reader.ping();
            return { reachable: true };
          } catch (err) {
            const e = readError(err, name, 'reading the server version');
            if (!(e instanceof GatewayError)) return e; // not the server's fault: masked and logged
            return { reachable: false, error: e.message, code: e.code };
          }
        }),
      );
    }),
  );
}
