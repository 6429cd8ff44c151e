/** Events, as `kubectl describe pod` shows them: what the scheduler and the kubelet did. */
import type { KubeObject } from '../types.js';
import type { Json } from './json.js';
import {
  isoTime,
  MINUTE,
  microTime,
  type RandomFn,
  randomHex,
  randomInt,
  randomUid,
  SECOND,
} from './random.js';

const MAX_EVENTS = 1000;

/**
 * Events for a sample of pods spread over all of them (at most MAX_EVENTS in all): the
 * scheduler's, and the kubelet's for pulling, creating and starting the first container,
 * or for failing to.
 */
export function buildEvents(random: RandomFn, pods: KubeObject[], nowMs: number): KubeObject[] {
  const events: KubeObject[] = [];
  if (pods.length === 0) return events;
  const stride = Math.max(1, Math.floor(pods.length / 240));
  for (let i = 0; i < pods.length && events.length < MAX_EVENTS - 6; i += stride) {
    const pod = pods[i];
    const meta = pod.metadata;
    const spec = pod.spec as Json;
    const status = pod.status as Json;
    const c = (spec.containers as Json[])[0];
    const node = spec.nodeName as string | undefined;
    const createdMs = Date.parse(meta.creationTimestamp!);
    const involved = (fieldPath?: string): Json => {
      const o: Json = {
        kind: 'Pod',
        namespace: meta.namespace,
        name: meta.name,
        uid: meta.uid,
        apiVersion: 'v1',
        resourceVersion: meta.resourceVersion,
      };
      if (fieldPath) o.fieldPath = fieldPath;
      return o;
    };
    const base = (
      reason: string,
      message: string,
      atMs: number,
      type = 'Normal',
      count = 1,
      fieldPath?: string,
    ): KubeObject => {
      const at = isoTime(atMs);
      return {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${meta.name}.${randomHex(random, 16)}`,
          namespace: meta.namespace,
          uid: randomUid(random),
          creationTimestamp: at,
        },
        involvedObject: involved(fieldPath),
        reason,
        message,
        source: { component: 'kubelet', host: node },
        firstTimestamp: at,
        lastTimestamp: count > 1 ? isoTime(Math.max(atMs, nowMs - randomInt(random, 5 * MINUTE))) : at,
        count,
        type,
        eventTime: null,
        reportingComponent: 'kubelet',
        reportingInstance: node,
      };
    };
    if (!node) {
      const conditions = (status.conditions as Json[]) ?? [];
      events.push({
        ...base(
          'FailedScheduling',
          String(conditions[0]?.message ?? 'no nodes available'),
          createdMs,
          'Warning',
        ),
        source: { component: 'default-scheduler' },
        reportingComponent: 'default-scheduler',
        reportingInstance: 'default-scheduler',
      });
      continue;
    }
    const scheduled = base(
      'Scheduled',
      `Successfully assigned ${meta.namespace}/${meta.name} to ${node}`,
      createdMs,
    );
    events.push({
      ...scheduled,
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      count: undefined,
      eventTime: microTime(createdMs, random),
      action: 'Binding',
      reportingComponent: 'default-scheduler',
      reportingInstance: `default-scheduler-${node}`,
    });
    const path = `spec.containers{${c.name}}`;
    const waiting = ((status.containerStatuses as Json[] | undefined)?.[0]?.state as Json | undefined)
      ?.waiting as Json | undefined;
    if (waiting?.reason === 'ImagePullBackOff') {
      events.push(base('Pulling', `Pulling image "${c.image}"`, createdMs + SECOND, 'Normal', 12, path));
      events.push(
        base(
          'Failed',
          `Failed to pull image "${c.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": not found`,
          createdMs + 2 * SECOND,
          'Warning',
          12,
          path,
        ),
      );
      events.push(
        base('BackOff', `Back-off pulling image "${c.image}"`, createdMs + 3 * SECOND, 'Normal', 40, path),
      );
      continue;
    }
    if (waiting?.reason === 'ContainerCreating' || waiting?.reason === 'PodInitializing') continue;
    events.push(
      base(
        'Pulled',
        `Container image "${c.image}" already present on machine`,
        createdMs + SECOND,
        'Normal',
        1,
        path,
      ),
    );
    events.push(base('Created', `Created container ${c.name}`, createdMs + SECOND, 'Normal', 1, path));
    events.push(base('Started', `Started container ${c.name}`, createdMs + 2 * SECOND, 'Normal', 1, path));
    if (waiting?.reason === 'CrashLoopBackOff') {
      events.push(
        base(
          'BackOff',
          `Back-off restarting failed container ${c.name} in pod ${meta.name}_${meta.namespace}(${meta.uid})`,
          createdMs + MINUTE,
          'Warning',
          20 + randomInt(random, 500),
          path,
        ),
      );
    }
  }
  for (const e of events) {
    for (const key of Object.keys(e)) if (e[key] === undefined) delete e[key];
  }
  return events;
}
