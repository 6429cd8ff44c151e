/**
 * How much heap a mirrored Event costs after trimming (the figure behind "Events are
 * mirrored by an informer" in docs/ARCHITECTURE.md). Builds N events shaped like the
 * kubelet's and the scheduler's (distinct names, uids and messages), trims them as the
 * informer does, and reports the retained heap per event.
 *
 *   node --expose-gc --import tsx scripts/measure-event-memory.ts [N]
 */
import { transformObject } from '../src/kube/transform.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const n = Number(process.argv[2] ?? 50_000);
const reasons = ['Scheduled', 'Pulled', 'Created', 'Started', 'BackOff', 'Killing', 'Unhealthy'];

function raw(i: number) {
  const pod = `web-${(i / 7) | 0}-${(i * 2654435761) % 100000}`;
  const reason = reasons[i % reasons.length];
  const t = new Date(Date.UTC(2026, 10, 30, 7, 0, i % 3600));
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${pod}.${(i * 40503).toString(16).padStart(16, '0')}`,
      namespace: `team-${i % 20}`,
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resourceVersion: String(100000 + i),
      creationTimestamp: t,
      managedFields: [
        { manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: t, fieldsType: 'FieldsV1' },
      ],
    },
    involvedObject: {
      kind: 'Pod',
      namespace: `team-${i % 20}`,
      name: pod,
      uid: `11111111-0000-4000-8000-${String(i).padStart(12, '0')}`,
      apiVersion: 'v1',
      resourceVersion: String(90000 + i),
      fieldPath: 'spec.containers{web}',
    },
    reason,
    message: `${reason}: container web in pod ${pod} (image registry.example.com/team/web:1.${i % 50})`,
    source: { component: 'kubelet', host: `node-${i % 100}` },
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1 + (i % 5),
    type: reason === 'BackOff' || reason === 'Unhealthy' ? 'Warning' : 'Normal',
    reportingComponent: 'kubelet',
    reportingInstance: `node-${i % 100}`,
  };
}

gc();
const before = process.memoryUsage().heapUsed;
const kept: unknown[] = [];
for (let i = 0; i < n; i++) kept.push(transformObject('Event', raw(i) as never));
gc();
const after = process.memoryUsage().heapUsed;
const perEvent = (after - before) / n;
process.stdout.write(
  `${n} trimmed events: ${((after - before) / 1024 / 1024).toFixed(1)} MiB retained, ${perEvent.toFixed(0)} B per event\n`,
);
if (kept.length !== n) throw new Error('unreachable');
