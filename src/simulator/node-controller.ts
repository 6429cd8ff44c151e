/**
 * The node lifecycle controller's TaintNodesByCondition for cordoning: a node whose
 * `spec.unschedulable` is true (what `kubectl cordon` patches) gets the taint
 * `node.kubernetes.io/unschedulable:NoSchedule` (with its timeAdded), and loses it once
 * uncordoned. Listeners only schedule (on the injectable clock, delay 0); the taint is
 * written by its own update, a MODIFIED event after the client's, as on a real cluster.
 * It also records the events a cluster writes when a node changes state: NodeNotSchedulable
 * / NodeSchedulable on cordon and uncordon, NodeNotReady / NodeReady when Ready flips.
 */
import type { EventRecorder } from './event-recorder.js';
import type { TimeoutClock } from './job-controller.js';
import { type SimStore, StoreError } from './store.js';
import type { KubeObject, StoredEvent } from './types.js';

type Json = Record<string, unknown>;

export const UNSCHEDULABLE_TAINT_KEY = 'node.kubernetes.io/unschedulable';

export interface NodeControllerOptions {
  clock?: TimeoutClock;
  /** The taint's timeAdded. Default the wall clock. */
  now?: () => Date;
  /** Where NodeNotSchedulable/NodeSchedulable and NodeNotReady/NodeReady events go. */
  recorder?: EventRecorder;
}

const SYSTEM_CLOCK: TimeoutClock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

function hasTaint(node: KubeObject): boolean {
  return ((node.spec?.taints ?? []) as Json[]).some(
    (t) => t.key === UNSCHEDULABLE_TAINT_KEY && t.effect === 'NoSchedule',
  );
}

function readyStatus(node: KubeObject): unknown {
  return ((node.status?.conditions ?? []) as Json[]).find((c) => c.type === 'Ready')?.status;
}

/** Whether the node's taints disagree with its `spec.unschedulable`. */
function needsSync(node: KubeObject): boolean {
  return Boolean(node.spec?.unschedulable) !== hasTaint(node);
}

export class NodeController {
  private readonly clock: TimeoutClock;
  private readonly now: () => Date;
  private readonly recorder: EventRecorder | undefined;
  private readonly scheduled = new Map<string, unknown>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: SimStore,
    opts: NodeControllerOptions = {},
  ) {
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.now = opts.now ?? (() => new Date());
    this.recorder = opts.recorder;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.store.subscribe('nodes', (event) => this.onNode(event));
    for (const node of this.store.scan('nodes')) if (needsSync(node)) this.schedule(node.metadata.name);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const handle of this.scheduled.values()) this.clock.clearTimeout(handle);
    this.scheduled.clear();
  }

  private onNode(event: StoredEvent): void {
    if (event.type !== 'DELETED' && needsSync(event.object)) this.schedule(event.object.metadata.name);
    if (event.type === 'MODIFIED' && event.previous) this.statusEvents(event.previous, event.object);
  }

  /**
   * What a cluster records when a node changes state: the kubelet's NodeNotSchedulable /
   * NodeSchedulable when it sees itself cordoned or uncordoned (its events name the node by
   * name, uid included), the node lifecycle controller's NodeNotReady when Ready leaves True
   * (and the kubelet's NodeReady when it comes back).
   */
  private statusEvents(before: KubeObject, after: KubeObject): void {
    if (!this.recorder) return;
    const name = after.metadata.name;
    const cordoned = Boolean(after.spec?.unschedulable);
    if (cordoned !== Boolean(before.spec?.unschedulable)) {
      const status = cordoned ? 'NodeNotSchedulable' : 'NodeSchedulable';
      this.recorder.record({
        involved: after,
        uid: name,
        reason: status,
        message: `Node ${name} status is now: ${status}`,
        source: { component: 'kubelet', host: name },
      });
    }
    const ready = readyStatus(after);
    const was = readyStatus(before);
    if (was === 'True' && ready !== 'True') {
      this.recorder.record({
        involved: after,
        reason: 'NodeNotReady',
        message: `Node ${name} status is now: NodeNotReady`,
        source: { component: 'node-controller' },
      });
    } else if (was !== 'True' && ready === 'True') {
      this.recorder.record({
        involved: after,
        uid: name,
        reason: 'NodeReady',
        message: `Node ${name} status is now: NodeReady`,
        source: { component: 'kubelet', host: name },
      });
    }
  }

  private schedule(name: string): void {
    if (this.scheduled.has(name)) return;
    const handle = this.clock.setTimeout(() => {
      this.scheduled.delete(name);
      this.sync(name);
    }, 0);
    this.scheduled.set(name, handle);
  }

  private sync(name: string): void {
    const current = this.store.get('nodes', undefined, name);
    if (!current || !needsSync(current)) return;
    try {
      this.store.mutate('nodes', undefined, name, (node) => {
        const others = ((node.spec?.taints ?? []) as Json[]).filter((t) => t.key !== UNSCHEDULABLE_TAINT_KEY);
        const taints = node.spec?.unschedulable
          ? [
              ...others,
              {
                key: UNSCHEDULABLE_TAINT_KEY,
                effect: 'NoSchedule',
                timeAdded: this.now()
                  .toISOString()
                  .replace(/\.\d+Z$/, 'Z'),
              },
            ]
          : others;
        const spec = { ...(node.spec ?? {}) };
        if (taints.length) spec.taints = taints;
        else delete spec.taints;
        return { ...node, spec };
      });
    } catch (err) {
      // A concurrent write won: its event brings the node back here if it still needs it.
      if (!(err instanceof StoreError)) throw err;
    }
  }
}
