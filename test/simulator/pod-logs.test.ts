/**
 * Container logs over HTTPS as kube-apiserver and the kubelet answer them: the options
 * (container, tailLines, sinceSeconds, sinceTime, timestamps, previous, limitBytes, follow),
 * the refusals with their real messages, determinism, growth on the clock, RBAC on pods/log,
 * the counters and faults. Time is a FakeClock: a follow's new lines come when the test moves it.
 */
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { waitFor } from '../helpers/wait.js';
import { RbacKit } from './rbac-kit.js';
import { type AnyJson, getJson, metric, scrape, simFetch } from './sim-kit.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
let clock: FakeClock;
let sim: Simulator;
let all: AnyJson[];

beforeAll(async () => {
  clock = new FakeClock(T0);
  sim = await startSimulator({
    churnPerSecond: 0,
    jobStepMs: 3_600_000,
    nodeLeaseRenewMs: 0,
    scenario: { now: new Date(T0) },
    clock,
  });
  all = (await getJson<AnyJson>(sim, '/api/v1/pods')).items;
});
afterAll(() => sim.close());

const logPath = (pod: AnyJson, query = '') =>
  `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/log${query ? `?${query}` : ''}`;

const running = (p: AnyJson) =>
  p.status.phase === 'Running' && p.status.containerStatuses.every((s: AnyJson) => s.state.running);
/** A Running pod of one container that never restarted. */
const simple = () =>
  all.find(
    (p) => running(p) && p.spec.containers.length === 1 && p.status.containerStatuses[0].restartCount === 0,
  );

async function text(path: string, expected = 200): Promise<string> {
  const res = await simFetch(sim, path);
  const body = await res.text();
  if (res.status !== expected)
    throw new Error(`GET ${path}: expected ${expected}, received ${res.status}: ${body}`);
  return body;
}

async function status(path: string): Promise<{ code: number; body: AnyJson }> {
  const res = await simFetch(sim, path);
  return { code: res.status, body: await res.json() };
}

const lines = (body: string) => body.split('\n').slice(0, -1);
const RFC3339_NANO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z) /;

describe("a running container's log", () => {
  it('is plain text, deterministic for a clock, a few lines a second with realistic and sometimes multi-KB lines', async () => {
    const pod = simple();
    const res = await simFetch(sim, logPath(pod));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    const body = await res.text();
    expect(await text(logPath(pod))).toBe(body);
    const started = Date.parse(pod.status.containerStatuses[0].state.running.startedAt);
    const spanSeconds = Math.min(3600, (T0 - started) / 1000);
    const count = lines(body).length;
    expect(count / spanSeconds).toBeGreaterThan(1);
    expect(count / spanSeconds).toBeLessThan(5);
    // Across the running pods: stack traces, multi-KB lines, several formats.
    const bodies = await Promise.all(
      all
        .filter(running)
        .slice(0, 16)
        .map((p) => text(logPath(p, `container=${p.spec.containers[0].name}&tailLines=3000`))),
    );
    const every = bodies.flatMap(lines);
    expect(every.some((l) => l.startsWith('\tat '))).toBe(true);
    expect(every.some((l) => l.length > 2048)).toBe(true);
    expect(every.some((l) => l.startsWith('{"level"'))).toBe(true);
    expect(every.some((l) => /HTTP\/1\.1" \d{3}/.test(l))).toBe(true);
  });

  it('grows as the clock moves', async () => {
    const pod = simple();
    const since = new Date(T0 - 60_000).toISOString();
    const before = await text(logPath(pod, `sinceTime=${since}`));
    clock.advance(10_000);
    const after = await text(logPath(pod, `sinceTime=${since}`));
    expect(after.startsWith(before)).toBe(true);
    expect(lines(after).length).toBeGreaterThan(lines(before).length);
  });

  it('applies tailLines, timestamps, sinceSeconds, sinceTime and limitBytes as the kubelet does', async () => {
    const pod = simple();
    const full = lines(await text(logPath(pod)));
    expect(lines(await text(logPath(pod, 'tailLines=5')))).toEqual(full.slice(-5));
    expect(await text(logPath(pod, 'tailLines=0'))).toBe('');

    const stamped = lines(await text(logPath(pod, 'timestamps=true&tailLines=50')));
    expect(stamped.map((l) => l.replace(RFC3339_NANO, ''))).toEqual(full.slice(-50));
    const times = stamped.map((l) => Date.parse(RFC3339_NANO.exec(l)![1]));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(Math.max(...times)).toBeLessThanOrEqual(clock.now());
    // Go's RFC3339Nano drops the fraction's trailing zeros.
    for (const l of stamped) expect(RFC3339_NANO.exec(l)![1]).not.toMatch(/\.\d*0Z$/);

    const now = clock.now();
    const recent = lines(await text(logPath(pod, 'sinceSeconds=20&timestamps=1')));
    expect(recent.length).toBeGreaterThan(0);
    for (const l of recent) expect(Date.parse(RFC3339_NANO.exec(l)![1])).toBeGreaterThanOrEqual(now - 20_000);
    const sinceTime = new Date(now - 20_000).toISOString().replace(/\.\d+Z$/, 'Z');
    expect(lines(await text(logPath(pod, `sinceTime=${sinceTime}&timestamps=1`)))).toEqual(recent);

    const limited = await text(logPath(pod, 'limitBytes=100'));
    expect(Buffer.byteLength(limited)).toBe(100);
    expect(full.join('\n').startsWith(limited)).toBe(true);
  });

  it('answers a bad option as kube-apiserver: 400 for what does not parse, 422 for what is invalid', async () => {
    const pod = simple();
    expect((await status(logPath(pod, 'tailLines=ten'))).code).toBe(400);
    const negative = await status(logPath(pod, 'tailLines=-1'));
    expect(negative.code).toBe(422);
    expect(negative.body.message).toBe(
      `PodLogOptions "${pod.metadata.name}" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0`,
    );
    expect((await status(logPath(pod, 'sinceSeconds=0'))).code).toBe(422);
    expect((await status(logPath(pod, 'sinceSeconds=5&sinceTime=2030-01-01T00:00:00Z'))).code).toBe(422);
    const time = await status(logPath(pod, 'sinceTime=yesterday'));
    expect(time.code).toBe(400);
    expect(time.body.message).toMatch(/sinceTime: expected an RFC 3339 time .*received "yesterday"/);
  });
});

describe('which container and which run', () => {
  it('requires a container name when the pod has several, and refuses one it does not have', async () => {
    const pod = all.find((p) => p.spec.containers.length > 1)!;
    const names = pod.spec.containers.map((c: AnyJson) => c.name).join(' ');
    const inits = (pod.spec.initContainers ?? []).map((c: AnyJson) => c.name).join(' ');
    const missing = await status(logPath(pod));
    expect(missing.code).toBe(400);
    expect(missing.body).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      message: `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names}]${inits ? ` or one of the init containers: [${inits}]` : ''}`,
    });
    const wrong = await status(logPath(pod, 'container=nope'));
    expect(wrong.code).toBe(400);
    expect(wrong.body.message).toBe(`container nope is not valid for pod ${pod.metadata.name}`);
    expect((await status(`/api/v1/namespaces/default/pods/no-such-pod/log`)).body).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'pods "no-such-pod" not found',
    });
  });

  it('serves the last terminated run with previous, and refuses previous for a container that never restarted', async () => {
    const pod = simple();
    const c = pod.spec.containers[0].name;
    const never = await status(logPath(pod, 'previous=true'));
    expect(never.code).toBe(400);
    expect(never.body.message).toBe(
      `previous terminated container "${c}" in pod "${pod.metadata.name}" not found`,
    );

    const restarted = all.find((p) => running(p) && p.status.containerStatuses[0].restartCount > 0)!;
    const status0 = restarted.status.containerStatuses[0];
    const path = (q: string) => logPath(restarted, `container=${status0.name}&${q}`);
    const previous = lines(await text(path('previous=true&timestamps=true')));
    const current = lines(await text(path('timestamps=true')));
    expect(previous.length).toBeGreaterThan(0);
    // finishedAt is in whole seconds (as the API stamps it): the run's lines end within that second.
    const finished = Date.parse(status0.lastState.terminated.finishedAt) + 999;
    for (const l of previous) expect(Date.parse(RFC3339_NANO.exec(l)![1])).toBeLessThanOrEqual(finished);
    for (const l of current)
      expect(Date.parse(RFC3339_NANO.exec(l)![1])).toBeGreaterThanOrEqual(
        Date.parse(status0.state.running.startedAt),
      );
  });

  it('refuses a container that has not started, naming why as the kubelet does', async () => {
    const waiting = all.find(
      (p) =>
        p.spec.nodeName && p.status.containerStatuses?.[0]?.state.waiting?.reason === 'ContainerCreating',
    )!;
    const c = waiting.status.containerStatuses[0].name;
    const answer = await status(logPath(waiting, `container=${c}`));
    expect(answer.code).toBe(400);
    expect(answer.body.message).toBe(
      `container "${c}" in pod "${waiting.metadata.name}" is waiting to start: ContainerCreating`,
    );
  });
});

/** A raw follow request: its body as it arrives, and whether it ended. */
function openFollow(sim: Simulator, path: string) {
  const state = { body: '', ended: false, status: 0 };
  const abort = new AbortController();
  const opened = new Promise<void>((resolve, reject) => {
    const req = httpsRequest(
      `${sim.url}${path}`,
      {
        ca: sim.caPem,
        agent: false,
        signal: abort.signal,
        headers: { authorization: `Bearer ${sim.adminToken}` },
      },
      (res) => {
        state.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          state.body += chunk;
        });
        res.on('end', () => {
          state.ended = true;
        });
        res.on('error', () => {
          state.ended = true;
        });
        resolve();
      },
    );
    req.on('error', (err) => (abort.signal.aborted ? resolve() : reject(err)));
    req.end();
  });
  return { state, opened, close: () => abort.abort() };
}

describe('follow', () => {
  it('streams new lines as the clock reaches them, and ends when the pod is deleted', async () => {
    const pod = all.filter((p) => running(p) && p.spec.containers.length === 1)[3];
    const follow = openFollow(sim, logPath(pod, 'follow=true&tailLines=2'));
    await follow.opened;
    expect(follow.state.status).toBe(200);
    await waitFor(() => lines(follow.state.body).length === 2, { message: 'the two tail lines' });
    clock.advance(5_000);
    await waitFor(() => lines(follow.state.body).length > 4 && follow.state.body.endsWith('\n'), {
      message: 'new lines after the clock moved',
      observe: () => follow.state.body,
    });
    // What was followed is exactly the end of the log as a plain request reads it now.
    const full = await text(logPath(pod));
    await waitFor(() => full.endsWith(follow.state.body), {
      message: "the followed text to be the log's end",
    });
    expect(follow.state.ended).toBe(false);
    const del = await simFetch(
      sim,
      `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}?gracePeriodSeconds=0`,
      {
        method: 'DELETE',
      },
    );
    expect(del.status).toBe(200);
    await waitFor(() => follow.state.ended, { message: 'the stream to end once the pod is gone' });
  });

  it("ends after the container's last line when the container terminates, the pod staying", async () => {
    const pod = all.filter((p) => running(p) && p.spec.containers.length === 1)[5];
    const follow = openFollow(sim, logPath(pod, 'follow=true&tailLines=1&timestamps=true'));
    await follow.opened;
    await waitFor(() => lines(follow.state.body).length === 1, { message: 'the tail line' });
    clock.advance(3_000);
    // The container exits (as the kubelet reports a crash): its status says terminated.
    const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
    const current = await getJson<AnyJson>(sim, path);
    const finishedAt = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const [s0] = current.status.containerStatuses;
    const terminated = {
      ...s0,
      ready: false,
      started: false,
      state: {
        terminated: { exitCode: 1, reason: 'Error', startedAt: s0.state.running.startedAt, finishedAt },
      },
    };
    const put = await simFetch(sim, `${path}/status`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...current, status: { ...current.status, containerStatuses: [terminated] } }),
    });
    expect(put.status).toBe(200);
    await waitFor(() => follow.state.ended, { message: 'the stream to end once the container stopped' });
    const times = lines(follow.state.body).map((l) => Date.parse(RFC3339_NANO.exec(l)![1]));
    expect(times.length).toBeGreaterThan(1);
    // Its last lines are those of finishedAt's second (the API's timestamps are whole seconds).
    expect(Math.max(...times)).toBeLessThanOrEqual(Date.parse(finishedAt) + 999);
    expect(Math.max(...times)).toBeGreaterThan(Date.parse(finishedAt) - 5_000);
    expect((await simFetch(sim, path)).status).toBe(200);
  });

  it('stops its timer when the client goes away', async () => {
    const pod = simple();
    const pendingBefore = clock.pending;
    const follow = openFollow(sim, logPath(pod, 'follow=true&tailLines=1'));
    await follow.opened;
    await waitFor(() => clock.pending === pendingBefore + 1, {
      message: 'the follow to schedule its next line',
    });
    // As kube-apiserver, an open pods/log request counts as long-running.
    const open = async () =>
      metric(await scrape(sim), 'apiserver_longrunning_requests', { verb: 'GET', resource: 'pods/log' });
    expect(await open()).toBe(1);
    follow.close();
    await waitFor(() => clock.pending === pendingBefore, { message: 'the follow to clear its timer' });
    await waitFor(async () => (await open()) === 0, 'the long-running count to drop');
  });
});

describe('access, counters and faults', () => {
  it('is authorised as get on pods/log: reading pods is not enough', async () => {
    const rbac = new RbacKit(sim);
    const pod = simple();
    const ns = pod.metadata.namespace;
    sim.addUser({ token: 'pod-reader-token', user: 'pod-reader', groups: [] });
    sim.addUser({ token: 'log-reader-token', user: 'log-reader', groups: [] });
    await rbac.role(ns, 'pods-only', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]);
    await rbac.roleBinding(ns, 'pods-only', 'role:pods-only', [{ user: 'pod-reader' }]);
    await rbac.role(ns, 'logs', [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }]);
    await rbac.roleBinding(ns, 'logs', 'role:logs', [{ user: 'log-reader' }]);
    const refused = await rbac.answer('GET', logPath(pod), { token: 'pod-reader-token' });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      `pods "${pod.metadata.name}" is forbidden: User "pod-reader" cannot get resource "pods/log" in API group "" in the namespace "${ns}"`,
    );
    expect((await rbac.answer('GET', logPath(pod), { token: 'log-reader-token' })).status).toBe(200);
  });

  it('counts log requests as GET pods/log, apart from pod GETs, and applies injected faults to them', async () => {
    const pod = simple();
    const before = await scrape(sim);
    await text(logPath(pod, 'tailLines=1'));
    const after = await scrape(sim);
    const delta = (resource: string) =>
      metric(after, 'apiserver_request_total', { verb: 'GET', resource, code: '200' }) -
      metric(before, 'apiserver_request_total', { verb: 'GET', resource, code: '200' });
    expect(delta('pods/log')).toBe(1);
    expect(delta('pods')).toBe(0);

    sim.injectFaults({ errorRate: 1, errorCode: 500, resources: ['pods/log'] });
    try {
      expect((await simFetch(sim, logPath(pod))).status).toBe(500);
      expect(
        (await simFetch(sim, `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`))
          .status,
      ).toBe(200);
    } finally {
      sim.injectFaults({ reset: true });
    }
  });
});
