/**
 * The gateway's own Prometheus metrics: yoga's prometheus plugin (request, phase and
 * error metrics) on a registry of ours, plus kubegate's cache gauges collected on
 * scrape. `/metrics` serves the registry.
 */
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ClusterDirectory } from '../loaders/directory.js';
import { relayStats } from '../loaders/streams.js';

export interface GatewayMetrics {
  registry: Registry;
  plugin: Plugin;
}

export function createMetrics(directory?: ClusterDirectory): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (directory) {
    new Gauge({
      name: 'kubegate_cache_objects',
      help: 'Objects held in the informer caches, by cluster and kind.',
      labelNames: ['cluster', 'kind'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const cluster of directory.list()) {
          for (const kind of cluster.status().kinds)
            this.set({ cluster: cluster.name, kind: kind.kind }, kind.objects);
        }
      },
    });
    new Gauge({
      name: 'kubegate_cache_synced',
      help: '1 when the informer of a cluster and kind has synced.',
      labelNames: ['cluster', 'kind'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const cluster of directory.list()) {
          for (const kind of cluster.status().kinds)
            this.set({ cluster: cluster.name, kind: kind.kind }, kind.synced ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'kubegate_subscribers',
      help: 'Live event subscriptions (podEvents, nodeEvents, jobEvents).',
      registers: [registry],
      collect() {
        this.set(relayStats(directory.hub).subscribers);
      },
    });
    new Gauge({
      name: 'kubegate_subscription_relays',
      help: 'Hub listeners serving those subscriptions: one per distinct filter, principal and selection.',
      registers: [registry],
      collect() {
        this.set(relayStats(directory.hub).relays);
      },
    });
  }
  const plugin = usePrometheus({
    registry,
    endpoint: false,
    // Every metric named, on or off: the plugin turns on whatever is left out. Off are
    // the ones that cost per request without telling an operator of this gateway
    // anything: deprecated-field counting walks every document with a TypeInfo visitor
    // (10% of a cached query's CPU; this schema deprecates nothing), the time summary
    // keeps quantile sketches, parse and validate are cached by yoga, and the context
    // phase only builds DataLoaders.
    metrics: {
      graphql_envelop_request: true,
      graphql_envelop_request_duration: true,
      graphql_envelop_error_result: true,
      graphql_envelop_phase_execute: true,
      graphql_envelop_phase_subscribe: true,
      graphql_yoga_http_duration: true,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_execute_resolver: false,
      graphql_envelop_schema_change: false,
    },
  });
  return { registry, plugin };
}
