/**
 * The kubelets' node-lease heartbeat: every `intervalMs` (the kubelet's 10 s renew
 * interval by default) each node whose Ready condition is True renews its Lease in
 * `kube-node-lease` (`spec.renewTime`), creating it when it is missing; a node that is
 * not Ready stops renewing, so its lease ages past `leaseDurationSeconds` as on a real
 * cluster. Timers come from an injectable clock, like the churn's.
 */
import type { IntervalClock } from './churn.js';
import { microTime, NODE_LEASE_NAMESPACE, nodeIsReady, nodeLeaseObject } from './scenario/leases.js';
import { type SimStore, StoreError } from './store.js';

export interface NodeLeaseOptions {
  /** Renew interval. Default 10 000 ms (the kubelet's). */
  intervalMs?: number;
  /** Where the interval comes from. Default the global timers. */
  clock?: IntervalClock;
  /** Renew times written. Default the wall clock. */
  now?: () => Date;
}

const SYSTEM_CLOCK: IntervalClock = {
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export class NodeLeaseController {
  /** Renewals and creations made. */
  readonly stats = { renewed: 0, created: 0 };
  private readonly clock: IntervalClock;
  private readonly now: () => Date;
  private readonly intervalMs: number;
  private timer: unknown;

  constructor(
    private readonly store: SimStore,
    opts: NodeLeaseOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 10_000;
    if (!(this.intervalMs > 0))
      throw new RangeError(`node lease intervalMs must be > 0, received ${this.intervalMs}`);
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.now = opts.now ?? (() => new Date());
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setInterval(() => this.heartbeat(), this.intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One heartbeat of every kubelet. */
  heartbeat(): void {
    const nowMs = this.now().getTime();
    for (const node of [...this.store.scan('nodes', {})]) {
      if (!nodeIsReady(node)) continue;
      const name = node.metadata.name;
      try {
        const renewed = this.store.mutate('leases', NODE_LEASE_NAMESPACE, name, (lease) => {
          lease.spec = {
            ...lease.spec,
            holderIdentity: lease.spec?.holderIdentity ?? name,
            renewTime: microTime(nowMs),
          };
          return lease;
        });
        if (renewed) {
          this.stats.renewed += 1;
        } else if (this.store.get('namespaces', undefined, NODE_LEASE_NAMESPACE)) {
          this.store.create(
            'leases',
            nodeLeaseObject(node, nowMs, new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z')),
          );
          this.stats.created += 1;
        }
      } catch (err) {
        // A client's concurrent write won; the next heartbeat renews.
        if (!(err instanceof StoreError)) throw err;
      }
    }
  }
}
