/**
 * The gateway's own Prometheus metrics: per operation (requests, phases, errors, HTTP
 * durations: operation-metrics.ts) on a registry of ours, plus kubegate's cache gauges
 * collected on scrape. `/metrics` serves the registry.
 */
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ClusterDirectory } from '../loaders/directory.js';
import type { InformerStatus } from '../loaders/index.js';
import type { LogGate } from '../loaders/logs.js';
import { relayStats } from '../loaders/streams.js';
import type { WriteRecord } from '../loaders/writes.js';
import { useOperationMetrics } from './operation-metrics.js';

export interface GatewayMetrics {
  registry: Registry;
  plugin: Plugin;
  /** Counts one write (sent or refused) in `kubegate_writes_total`. */
  recordWrite(record: WriteRecord): void;
  /** The gateway's log streams, for `kubegate_log_streams` and `kubegate_log_followers` (the last gate given). */
  observeLogs(gate: LogGate): void;
}

/** Operation names kept as labels: the first this many distinct ones; later ones are `other`. */
export const MAX_OPERATION_NAMES = 100;

/**
 * The first `max` distinct GraphQL operation names seen, as they are; any later one, and
 * anything that is not a GraphQL name of at most 64 characters (the raw `operationName`
 * parameter of a request), is `other`. Bounded whatever clients send.
 */
export function boundedNames(max: number): (name: string | undefined) => string {
  const kept = new Set<string>();
  return (name) => {
    if (name === undefined || name === 'Anonymous') return 'Anonymous';
    if (kept.has(name)) return name;
    if (kept.size >= max || name.length > 64 || !/^[_A-Za-z][_0-9A-Za-z]*$/.test(name)) return 'other';
    kept.add(name);
    return name;
  };
}

export function createMetrics(directory?: ClusterDirectory): GatewayMetrics {
  const registry = new Registry();
  const operationName = boundedNames(MAX_OPERATION_NAMES);
  collectDefaultMetrics({ register: registry });
  let logGate: LogGate | undefined;
  if (directory) {
    const perCluster = (read: (logs: { openStreams: number; followers: number }) => number) =>
      function (this: Gauge<'cluster'>) {
        this.reset();
        if (!logGate) return;
        for (const cluster of directory.list()) {
          const logs = logGate.peek(cluster);
          if (logs) this.set({ cluster: cluster.name }, read(logs));
        }
      };
    new Gauge({
      name: 'kubegate_log_streams',
      help: 'Upstream log follow streams open (podLogs, jobLogs, workloadLogs): one per pod, container and options, shared by every identical subscriber.',
      labelNames: ['cluster'] as const,
      registers: [registry],
      collect: perCluster((logs) => logs.openStreams),
    });
    new Gauge({
      name: 'kubegate_log_followers',
      help: 'Subscribers reading those log streams (a merged jobLogs/workloadLogs stream counts once per container it follows).',
      labelNames: ['cluster'] as const,
      registers: [registry],
      collect: perCluster((logs) => logs.followers),
    });
    /** Every mirrored kind of every cluster, with its labels, as the informers report it now. */
    const eachKind = (visit: (labels: { cluster: string; kind: string }, kind: InformerStatus) => void) => {
      for (const cluster of directory.list())
        for (const kind of cluster.status().kinds) visit({ cluster: cluster.name, kind: kind.kind }, kind);
    };
    new Gauge({
      name: 'kubegate_cache_objects',
      help: 'Objects held in the informer caches, by cluster and kind.',
      labelNames: ['cluster', 'kind'] as const,
      registers: [registry],
      collect() {
        this.reset();
        eachKind((labels, kind) => this.set(labels, kind.objects));
      },
    });
    new Gauge({
      name: 'kubegate_cache_synced',
      help: '1 when the informer of a cluster and kind has synced.',
      labelNames: ['cluster', 'kind'] as const,
      registers: [registry],
      collect() {
        this.reset();
        eachKind((labels, kind) => this.set(labels, kind.synced ? 1 : 0));
      },
    });
    // The informers' own counters, read when scraped (reflector.ts keeps them): an operator
    // alerts on failures moving, and tells a flaky network (failures, watch restarts) from a
    // compacting API server (relists). Labels bounded: configured clusters × mirrored kinds.
    const informerCounter = (name: string, help: string, read: (kind: InformerStatus) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['cluster', 'kind'] as const,
        registers: [registry],
        collect() {
          this.reset();
          eachKind((labels, kind) => this.inc(labels, read(kind)));
        },
      });
    informerCounter(
      'kubegate_informer_failures_total',
      'Failed LIST or watch attempts of an informer (network, HTTP error, watch ERROR event, silent watch, 410 Expired), each retried through the backoff, by cluster and kind.',
      (k) => k.failures,
    );
    informerCounter(
      'kubegate_informer_relists_total',
      'Full LISTs an informer made again after its first sync (its resourceVersion expired, or a watch could not resume), by cluster and kind.',
      (k) => k.relists,
    );
    informerCounter(
      'kubegate_informer_watch_restarts_total',
      'Watches an informer opened again from its resourceVersion (the server ended one, or one failed without a relist), by cluster and kind.',
      (k) => k.watchRestarts,
    );
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
  // Labels bounded: configured clusters (a write names one only once it is known to exist),
  // four verbs, the written resources, the error codes.
  const writes = new Counter({
    name: 'kubegate_writes_total',
    help: 'Writes made as callers (and refused), by cluster, Kubernetes verb, resource and outcome code (OK or the error code).',
    labelNames: ['cluster', 'verb', 'resource', 'code'] as const,
    registers: [registry],
  });
  const plugin = useOperationMetrics(registry, operationName);
  return {
    registry,
    plugin,
    recordWrite: (r) => writes.inc({ cluster: r.cluster, verb: r.verb, resource: r.resource, code: r.code }),
    observeLogs: (gate) => {
      logGate = gate;
    },
  };
}
