/**
 * A sharded replica's answers say what they left out: when an operation listed the clusters
 * (`clusters`, a summary over all of them), its result carries `extensions.shard` — this
 * replica's shard and the configured clusters other shards serve that the caller may know
 * of (name → "j/n"), so a page can ask those shards too. Single results only: a
 * subscription's events are each one cluster's.
 */
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../loaders/index.js';

export function useShardExtension(): Plugin<GatewayContext> {
  return {
    onExecute: () => ({
      onExecuteDone: ({ args, result, setResult }) => {
        if (Symbol.asyncIterator in result) return;
        const notOwned = (args.contextValue as Partial<GatewayContext>).clusters?.notOwned();
        if (!notOwned) return;
        setResult({
          ...result,
          extensions: { ...result.extensions, shard: { shard: notOwned.shard, notOwned: notOwned.clusters } },
        });
      },
    }),
  };
}
