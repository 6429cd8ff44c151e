/**
 * The kubelets' node-lease heartbeat: every `intervalMs` (the kubelet's 10 s renew
 * interval by default) each node whose Ready condition is True renews its Lease in
 * `kube-node-lease` (`spec.renewTime`), creating it when it is missing; a node that is
 * not Ready stops renewing, so its lease ages past `leaseDurationSeconds` as on a real
 * cluster. Timers come from an injectable clock, like the churn's.
 *
 * Each kubelet runs its own timer, started when it started, so a real API server sees the
 * renewals spread over the interval, not all at once. Here each node renews in its own slot
 * of the interval (slots of ~100 ms, a node's slot a hash of its name): at 1,000 nodes, ten
 * renewals every 100 ms rather than 980 in one turn every 10 s, which held the simulator's
 * event loop for 10-12 ms (`heartbeat()` timed on the bench's L scenario, no lease watcher)
 * while the watch events a benchmark times waited behind it.
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
    const slots = slotsIn(this.intervalMs);
    let slot = 0;
    this.timer = this.clock.setInterval(() => {
      this.beat(slot, slots);
      slot = (slot + 1) % slots;
    }, this.intervalMs / slots);
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One heartbeat of every kubelet at once. */
  heartbeat(): void {
    this.beat(0, 1);
  }

  /** The heartbeats of the kubelets whose slot (of `slots` in the interval) is `slot`. */
  private beat(slot: number, slots: number): void {
    const nowMs = this.now().getTime();
    for (const node of [...this.store.scan('nodes', {})]) {
      const name = node.metadata.name;
      if (slots > 1 && slotOf(name, slots) !== slot) continue;
      if (!nodeIsReady(node)) continue;
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

/** Slots of about 100 ms in the interval (one for an interval under 150 ms). */
export function slotsIn(intervalMs: number): number {
  return Math.max(1, Math.round(intervalMs / 100));
}

/** A node's slot: FNV-1a of its name, so it keeps its place while it lives. */
export function slotOf(name: string, slots: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h >>> 0) % slots;
}
