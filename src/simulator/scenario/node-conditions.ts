/**
 * Node conditions and the taints that follow them, as the kubelet and the node lifecycle
 * controller write them. Shared by the scenario and the churn (nodes that stop reporting).
 */
import type { Json } from './json.js';

/**
 * A node's conditions as its kubelet (or, for Unknown, the node lifecycle controller)
 * reports them: `since` is when it became healthy, `lost` when it stopped being so.
 */
export function nodeConditions(
  ready: 'True' | 'False' | 'Unknown',
  heartbeat: string,
  since: string,
  lost: string,
): Json[] {
  const pressure = (type: string, reason: string, message: string): Json =>
    ready === 'Unknown'
      ? {
          type,
          status: 'Unknown',
          lastHeartbeatTime: heartbeat,
          lastTransitionTime: lost,
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
        }
      : { type, status: 'False', lastHeartbeatTime: heartbeat, lastTransitionTime: since, reason, message };
  const readyCondition =
    ready === 'True'
      ? {
          type: 'Ready',
          status: 'True',
          lastHeartbeatTime: heartbeat,
          lastTransitionTime: since,
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
        }
      : ready === 'False'
        ? {
            type: 'Ready',
            status: 'False',
            lastHeartbeatTime: heartbeat,
            lastTransitionTime: lost,
            reason: 'KubeletNotReady',
            message:
              'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
          }
        : {
            type: 'Ready',
            status: 'Unknown',
            lastHeartbeatTime: heartbeat,
            lastTransitionTime: lost,
            reason: 'NodeStatusUnknown',
            message: 'Kubelet stopped posting node status.',
          };
  return [
    pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    readyCondition,
  ];
}

/** The taint the node lifecycle controller puts on a node whose Ready condition is not True. */
export function readinessTaints(ready: string, since: string): Json[] {
  if (ready === 'True') return [];
  const key = ready === 'False' ? 'node.kubernetes.io/not-ready' : 'node.kubernetes.io/unreachable';
  return [
    { key, effect: 'NoSchedule', timeAdded: since },
    { key, effect: 'NoExecute', timeAdded: since },
  ];
}
