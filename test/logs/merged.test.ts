/**
 * `jobLogs` and `workloadLogs`: every container of the matching pods merged into one
 * stream, each line naming its pod and container. A job whose pod the simulator's job
 * controller starts after the subscription began: that pod's lines join, from its start.
 * A selector's pods: those running give their tail; one that starts later joins; one that is
 * deleted leaves. The simulator's clock (FakeClock, started at the wall clock's now, since
 * the scenario is stamped with it) writes the lines and the containers’ states.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.js';
import { simFetch } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import {
  barePod,
  cached,
  ensureNamespace,
  type Json,
  keyOf,
  nodeNames,
  subscribe,
} from '../subscriptions/clients.js';
import {
  JOB_LOGS_SUB,
  type LogsHarness,
  startLogsHarness,
  textLines,
  untilOpenLogRequests,
  WORKLOAD_LOGS_SUB,
} from './kit.js';

const ADMIN = 'logs-merged-admin-token-0123';
const NS = 'logs-merged';
const STEP_MS = 10_000;

let env: LogsHarness;
let h: Harness;

beforeAll(async () => {
  env = await startLogsHarness({
    start: Date.now(),
    jobStepMs: STEP_MS,
    tokens: [{ name: 'admin', token: ADMIN, clusters: '*', namespaces: '*' }],
  });
  h = env.h;
  ensureNamespace(h, NS);
}, 60_000);

afterAll(() => env?.h.close(), 30_000);

/** The whole log of a pod's container as the API serves it: "timestamp text" per line. */
async function apiLog(pod: string, container: string, tail?: number): Promise<string[]> {
  const res = await simFetch(
    h.sim,
    `/api/v1/namespaces/${NS}/pods/${pod}/log?container=${container}&timestamps=true${tail !== undefined ? `&tailLines=${tail}` : ''}`,
  );
  const text = await res.text();
  if (res.status !== 200) throw new Error(`log of ${pod}: ${res.status} ${text}`);
  return text ? textLines(text) : [];
}

const linesOf = (events: Json[], pod: string) =>
  events.filter((e) => e.pod === pod).map((e) => `${e.exactTimestamp} ${e.text}`);

/** Waits until the gateway's cache holds the simulator's current version of a pod. */
async function gatewaySees(name: string): Promise<Json> {
  const pod = h.sim.store.get('pods', NS, name) as Json;
  await cached(h, 'Pod', keyOf(pod), pod.metadata.resourceVersion);
  return pod;
}

/** Creates a one-container job through the API and waits until the gateway has it. */
async function createJob(name: string): Promise<void> {
  const created = await simFetch(h.sim, `/apis/batch/v1/namespaces/${NS}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: NS },
      spec: {
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'worker', image: 'busybox:1.36' }] },
        },
      },
    }),
  });
  expect(created.status).toBe(201);
  const job = (await created.json()) as Json;
  await cached(h, 'Job', `${NS}/${name}`, job.metadata.resourceVersion);
}

it('jobLogs includes a pod that starts after the subscription began, from its start, and ends with the job', async () => {
  await createJob('later');
  const listeners = h.hub.listenerCount();
  const sub = subscribe('ws', h.url, JOB_LOGS_SUB, {
    token: ADMIN,
    variables: { ns: NS, name: 'later', tail: 5 },
  });
  try {
    // Two hub listeners: the job's pods, and the job itself (its deletion ends the stream).
    await waitFor(() => h.hub.listenerCount() === listeners + 2, 'the job stream to listen for its pods');
    const podOfJob = () =>
      [...h.sim.store.scan('pods')].find(
        (p: Json) => p.metadata.namespace === NS && p.metadata.labels?.['job-name'] === 'later',
      ) as Json | undefined;
    expect(podOfJob()).toBeUndefined();
    // The job controller creates the pod, binds it to a node if it could not at once, then
    // starts it: one step each. Steps until it runs (and no further: it would finish).
    const running = () => podOfJob()?.status?.containerStatuses?.[0]?.state?.running;
    for (let step = 0; step < 6 && !running(); step++) env.clock.advance(STEP_MS);
    expect(running()).toBeTruthy();
    const pending = podOfJob() as Json;
    await gatewaySees(pending.metadata.name);
    // Lines come as the clock moves (less than a step: the next one would finish the pod).
    env.clock.advance(STEP_MS - 1_000);
    const name = pending.metadata.name;
    const expected = await apiLog(name, 'worker');
    // Its whole log so far (how many lines depends on the wall clock the test starts at: a
    // fifth of the simulated log's seconds have none): the stream must give exactly these.
    expect(expected.length).toBeGreaterThan(0);
    await sub.until('the new pod’s lines', (s) => linesOf(s.events, name).length >= expected.length);
    expect(linesOf(sub.events, name)).toEqual(expected);
    expect(sub.events.every((e: Json) => e.pod === name && e.container === 'worker')).toBe(true);
    expect(sub.errors).toEqual([]);
    // The job deleted: the stream completes.
    const deleted = await simFetch(h.sim, `/apis/batch/v1/namespaces/${NS}/jobs/later`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    await sub.end();
    expect(sub.completed).toBe(true);
    expect(sub.errors).toEqual([]);
  } finally {
    sub.dispose();
  }
  await untilOpenLogRequests(h, 0);
});

it('jobLogs ends by itself once the job has finished and its containers have ended, after their last line; at once for a finished job', async () => {
  await createJob('finishing');
  const podOfJob = () =>
    [...h.sim.store.scan('pods')].find(
      (p: Json) => p.metadata.namespace === NS && p.metadata.labels?.['job-name'] === 'finishing',
    ) as Json | undefined;
  const running = () => podOfJob()?.status?.containerStatuses?.[0]?.state?.running;
  for (let step = 0; step < 6 && !running(); step++) env.clock.advance(STEP_MS);
  expect(running()).toBeTruthy();
  const name = podOfJob()!.metadata.name;
  await gatewaySees(name);
  // It writes some lines: the simulated log has none in a fifth of its seconds and one in
  // another third, so a fixed wait may leave fewer than the tail asks (the lines depend on the
  // wall clock the test starts at). Seconds until there are three, within half a step (the
  // next step would finish the pod).
  for (let s = 0; s < STEP_MS / 2_000; s++) {
    env.clock.advance(1_000);
    if ((await apiLog(name, 'worker')).length >= 3) break;
  }
  const tail = await apiLog(name, 'worker', 3);
  expect(tail.length).toBeGreaterThan(0);
  const sub = subscribe('ws', h.url, JOB_LOGS_SUB, {
    token: ADMIN,
    variables: { ns: NS, name: 'finishing', tail: 3 },
  });
  try {
    await sub.until('the running pod’s tail', (x) => linesOf(x.events, name).length >= tail.length);
    expect(linesOf(sub.events, name).slice(0, tail.length)).toEqual(tail);
    // Still running: the stream stays open.
    env.clock.advance(2_000);
    expect(sub.completed).toBe(false);
    // The job controller finishes the pod, then the job.
    const finished = () =>
      (h.sim.store.get('jobs', NS, 'finishing') as Json).status?.conditions?.some(
        (c: Json) => c.type === 'Complete' && c.status === 'True',
      );
    for (let step = 0; step < 10 && !finished(); step++) env.clock.advance(STEP_MS);
    expect(finished()).toBe(true);
    await sub.end();
    expect(sub.completed).toBe(true);
    expect(sub.errors).toEqual([]);
    // Every line from the tail to the container's last one, once each, before the end.
    const all = await apiLog(name, 'worker');
    const got = linesOf(sub.events, name);
    expect(got).toEqual(all.slice(all.indexOf(got[0])));
    expect(got.at(-1)).toBe(all.at(-1));
  } finally {
    sub.dispose();
  }
  await untilOpenLogRequests(h, 0);

  // Subscribing to the finished job: the tail of its container, then the end.
  const late = subscribe('sse', h.url, JOB_LOGS_SUB, {
    token: ADMIN,
    variables: { ns: NS, name: 'finishing', tail: 4 },
  });
  try {
    await late.end();
    expect(late.completed).toBe(true);
    expect(late.errors).toEqual([]);
    expect(linesOf(late.events, name)).toEqual(await apiLog(name, 'worker', 4));
    expect(late.events.length).toBeGreaterThan(0);
  } finally {
    late.dispose();
  }
  await untilOpenLogRequests(h, 0);
});

/** A pod of `labels` running on a node since `startedMs` (its container started then). */
function runningPod(name: string, startedMs: number): Json {
  const pod = barePod(NS, name, { nodeName: nodeNames(h)[0], labels: { app: 'logs-w' } }) as Json;
  const at = new Date(startedMs).toISOString().replace(/\.\d+Z$/, 'Z');
  pod.status = {
    phase: 'Running',
    startTime: at,
    containerStatuses: [
      {
        name: 'main',
        ready: true,
        started: true,
        restartCount: 0,
        image: 'busybox:1.36',
        imageID: '',
        containerID: `containerd://${name}`,
        state: { running: { startedAt: at } },
      },
    ],
  };
  return pod;
}

it('workloadLogs merges the selected pods: their tails, a pod that starts later, a pod that leaves', async () => {
  const now = env.clock.now();
  h.sim.store.create('pods', runningPod('w-a', now - 120_000));
  h.sim.store.create('pods', runningPod('w-b', now - 120_000));
  h.sim.store.create('pods', {
    ...runningPod('other', now - 120_000),
    metadata: { name: 'other', namespace: NS, labels: { app: 'else' } },
  });
  await gatewaySees('w-a');
  await gatewaySees('w-b');
  await gatewaySees('other');
  const sub = subscribe('ws', h.url, WORKLOAD_LOGS_SUB, {
    token: ADMIN,
    variables: { ns: NS, selector: 'app=logs-w', tail: 3 },
  });
  try {
    await sub.until(
      'both tails',
      (s) => linesOf(s.events, 'w-a').length === 3 && linesOf(s.events, 'w-b').length === 3,
    );
    expect(linesOf(sub.events, 'w-a')).toEqual(await apiLog('w-a', 'main', 3));
    expect(linesOf(sub.events, 'w-b')).toEqual(await apiLog('w-b', 'main', 3));
    expect(sub.events.some((e: Json) => e.pod === 'other')).toBe(false);

    // A pod that starts later joins from its start; one deleted leaves.
    h.sim.store.create('pods', runningPod('w-c', env.clock.now()));
    await gatewaySees('w-c');
    await untilOpenLogRequests(h, 3);
    h.sim.store.delete('pods', NS, 'w-a');
    await untilOpenLogRequests(h, 2);
    const before = linesOf(sub.events, 'w-a').length;
    env.clock.advance(10_000);
    const c = await apiLog('w-c', 'main');
    const b = await apiLog('w-b', 'main');
    expect(c.length).toBeGreaterThan(0);
    await sub.until('w-c’s lines', (s) => linesOf(s.events, 'w-c').length >= c.length);
    expect(linesOf(sub.events, 'w-c')).toEqual(c);
    await sub.until('w-b’s new lines', (s) => linesOf(s.events, 'w-b').at(-1) === b.at(-1));
    expect(linesOf(sub.events, 'w-a')).toHaveLength(before);
    // Each line is tagged: pod and container.
    for (const e of sub.events) expect(e.container).toBe('main');
  } finally {
    sub.dispose();
  }
  await untilOpenLogRequests(h, 0);
});
