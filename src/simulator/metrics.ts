/**
 * The simulator's Prometheus metrics, on a registry of its own (not prom-client's
 * global one) so that several simulators in one process count separately. The names
 * follow kube-apiserver's where one exists, so a dashboard built for a real server
 * reads them too; the simulator_* ones count what a real server does not expose.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { ResourceName } from './types.js';

export type ApiVerb = 'LIST' | 'GET' | 'WATCH' | 'CREATE' | 'UPDATE' | 'PATCH' | 'DELETE';

export class SimulatorMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'apiserver_request_total',
    help: 'API requests by verb, resource and HTTP status code.',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers: [this.registry],
  });
  readonly responseBytes = new Counter({
    name: 'simulator_response_bytes_total',
    help: 'Bytes of response bodies sent, by verb and resource (watch streams included).',
    labelNames: ['verb', 'resource'] as const,
    registers: [this.registry],
  });
  readonly openWatches = new Gauge({
    name: 'apiserver_longrunning_requests',
    help: 'Open long-running requests (watches, pods/log) by verb and resource.',
    labelNames: ['verb', 'resource'] as const,
    registers: [this.registry],
  });
  readonly watchEvents = new Counter({
    name: 'simulator_watch_events_sent_total',
    help: 'Watch events sent to clients, by resource and type (BOOKMARK and ERROR included).',
    labelNames: ['resource', 'type'] as const,
    registers: [this.registry],
  });
  readonly connectionsAccepted = new Counter({
    name: 'simulator_connections_accepted_total',
    help: 'TCP connections accepted by the simulator.',
    registers: [this.registry],
  });
  readonly openConnections = new Gauge({
    name: 'simulator_open_connections',
    help: 'TCP connections currently open.',
    registers: [this.registry],
  });
  readonly faultsInjected = new Counter({
    name: 'simulator_faults_injected_total',
    help: 'Requests answered with an injected error, by code ("reset": the connection destroyed on arrival).',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  /**
   * LIST requests (not watches) being answered right now, from the request's arrival to the
   * last byte of the answer, and the most seen at once since start: a client that promises
   * to list one kind at a time (kubegate's spread initial sync) can be held to it.
   */
  readonly listsInFlight = new Gauge({
    name: 'simulator_list_requests_in_flight',
    help: 'LIST requests (not watches) being answered now.',
    registers: [this.registry],
  });
  readonly listsInFlightMax = new Gauge({
    name: 'simulator_list_requests_in_flight_max',
    help: 'The most LIST requests (not watches) answered at once since the simulator started.',
    registers: [this.registry],
  });
  private lists = 0;
  private listsMax = 0;

  /** LISTs being answered now, and the most answered at once since start (the gauges' values). */
  get listsNow(): number {
    return this.lists;
  }

  get listsMostAtOnce(): number {
    return this.listsMax;
  }

  /** A LIST began; the returned function ends it (idempotent). */
  listStarted(): () => void {
    this.lists += 1;
    this.listsInFlight.set(this.lists);
    if (this.lists > this.listsMax) {
      this.listsMax = this.lists;
      this.listsInFlightMax.set(this.listsMax);
    }
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.lists -= 1;
      this.listsInFlight.set(this.lists);
    };
  }

  readonly objects = new Gauge({
    name: 'simulator_objects',
    help: 'Objects stored, by resource.',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });

  constructor(objectCount: (resource: ResourceName) => number, resources: ResourceName[]) {
    const objects = this.objects;
    // Collected on scrape, so the store pays nothing per change.
    this.collectObjects = () => {
      for (const resource of resources) objects.set({ resource }, objectCount(resource));
    };
  }

  private readonly collectObjects: () => void;

  async text(): Promise<string> {
    this.collectObjects();
    return this.registry.metrics();
  }
}

/** Parses Prometheus text into `name{labels}` → value, for tests and benchmarks. */
export function parsePrometheusText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}
