/**
 * `podLogs` over WebSocket and SSE against the simulator, whose log lines are written as
 * its fake clock reaches them: 100 subscribers of one pod get the same followed lines
 * through one upstream request (the simulator's count of open pods/log requests), which
 * closes when the last one leaves; a stream ends when its container ends or its pod goes;
 * a subscriber that stops reading is cut off with SLOW_CONSUMER while another keeps
 * receiving; the stream limits; NOT_FOUND, FORBIDDEN and revocation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bindClusterRole, RBAC_API, simApi, simCreate, userSubject } from '../auth/kit.js';
import type { Harness } from '../helpers/harness.js';
import { simFetch } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import {
  type Json,
  type Subscription,
  subscribe,
  subscribeOn,
  TRANSPORTS,
  wsConnection,
} from '../subscriptions/clients.js';
import {
  type LogsHarness,
  logGauges,
  openLogRequests,
  POD_LOGS_SUB,
  runningPods,
  startLogsHarness,
  textLines,
  untilOpenLogRequests,
} from './kit.js';

const QUEUE_LIMIT = 50;
const ADMIN = 'logs-follow-admin-token-0123';
const OTHER = 'logs-follow-other-token-0123';
const VIEWER = 'logs-follow-viewer-token-0123';

let env: LogsHarness;
let h: Harness;
let ns: string;
/** The running single-container pods when the tests began (tests take their own, by index). */
let all: Json[];
const savedQueue = process.env.KUBEGATE_SUBSCRIBER_QUEUE;

beforeAll(async () => {
  // Read by config.ts's settingsFromEnv, which the harness calls as the CLI does.
  process.env.KUBEGATE_SUBSCRIBER_QUEUE = String(QUEUE_LIMIT);
  env = await startLogsHarness({
    identities: true,
    containerLogs: { maxStreamsPerCluster: 3, maxStreamsPerPrincipal: 2 },
    tokens: [
      { name: 'admin', token: ADMIN, clusters: '*', namespaces: '*' },
      { name: 'other', token: OTHER, clusters: '*', namespaces: '*' },
      { name: 'viewer', token: VIEWER, user: 'viewer' },
    ],
  });
  h = env.h;
  // The namespace with the most running single-container pods: the rights test's.
  all = runningPods(h, { containers: 1 });
  const counts = new Map<string, number>();
  for (const p of all) counts.set(p.metadata.namespace, (counts.get(p.metadata.namespace) ?? 0) + 1);
  ns = [...counts].sort((a, b) => b[1] - a[1])[0][0];
}, 60_000);

afterAll(async () => {
  if (savedQueue === undefined) delete process.env.KUBEGATE_SUBSCRIBER_QUEUE;
  else process.env.KUBEGATE_SUBSCRIBER_QUEUE = savedQueue;
  await env?.h.close();
}, 30_000);

/** The pod's log as the API serves it now, with timestamps: "timestamp text" per line. */
async function apiTail(pod: Json, lines: number): Promise<string[]> {
  const res = await simFetch(
    h.sim,
    `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/log?timestamps=true&tailLines=${lines}`,
  );
  const text = await res.text();
  if (res.status !== 200) throw new Error(`log: ${res.status} ${text}`);
  return text ? textLines(text) : [];
}

const stamped = (s: Subscription) => s.events.map((e: Json) => `${e.exactTimestamp} ${e.text}`);

const vars = (pod: Json, tail = 5) => ({ ns: pod.metadata.namespace, name: pod.metadata.name, tail });

describe('one followed pod, many subscribers', () => {
  it('100 subscribers get the same followed lines through one upstream stream, closed when the last leaves', async () => {
    const pod = all[0];
    const client = wsConnection(h.url, ADMIN);
    const subs = Array.from({ length: 100 }, () => subscribeOn(client, POD_LOGS_SUB, vars(pod)));
    try {
      const start = await apiTail(pod, 5);
      for (const s of subs) await s.until('the tail', (x) => x.events.length >= 5);
      for (const s of subs) expect(stamped(s)).toEqual(start);
      expect(await openLogRequests(h)).toBe(1);
      expect(await logGauges(h, ADMIN)).toEqual({ streams: 1, followers: 100 });

      env.clock.advance(20_000);
      const after = await apiTail(pod, 200);
      const expected = after.slice(after.indexOf(start[0]));
      expect(expected.length).toBeGreaterThan(10);
      for (const s of subs) await s.until('the followed lines', (x) => x.events.length >= expected.length);
      for (const s of subs) expect(stamped(s)).toEqual(expected);
      expect(subs[0].events[0]).toMatchObject({
        pod: pod.metadata.name,
        container: pod.spec.containers[0].name,
      });
      expect(await openLogRequests(h)).toBe(1);

      // 99 leave: the stream stays for the last one, which keeps receiving.
      for (const s of subs.slice(1)) s.dispose();
      env.clock.advance(20_000);
      const later = await apiTail(pod, 400);
      const last = subs[0];
      await last.until(
        'lines after the others left',
        (x) => x.events.length >= later.length - later.indexOf(expected[0]),
      );
      expect(stamped(last)).toEqual(later.slice(later.indexOf(expected[0])));
      expect(await openLogRequests(h)).toBe(1);
      expect(await logGauges(h, ADMIN)).toEqual({ streams: 1, followers: 1 });
      last.dispose();
      await untilOpenLogRequests(h, 0);
      expect(await logGauges(h, ADMIN)).toEqual({ streams: 0, followers: 0 });
    } finally {
      for (const s of subs) s.dispose();
      await client.dispose();
    }
  }, 60_000);

  for (const transport of TRANSPORTS) {
    it(`ends when the container ends, and when the pod is deleted (${transport})`, async () => {
      const [a, b] = all.slice(transport === 'ws' ? 1 : 3);
      const first = subscribe(transport, h.url, POD_LOGS_SUB, { token: ADMIN, variables: vars(a, 1) });
      const second = subscribe(transport, h.url, POD_LOGS_SUB, { token: ADMIN, variables: vars(b, 1) });
      try {
        await first.count(1);
        await second.count(1);
        env.clock.advance(3_000);
        // The container exits (as the kubelet reports a crash).
        const path = `/api/v1/namespaces/${a.metadata.namespace}/pods/${a.metadata.name}`;
        const current = (await (await simFetch(h.sim, path)).json()) as Json;
        const [s0] = current.status.containerStatuses;
        const finishedAt = new Date(env.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
        const terminated = {
          ...s0,
          ready: false,
          started: false,
          state: {
            terminated: {
              exitCode: 1,
              reason: 'Error',
              startedAt: s0.state.running.startedAt,
              finishedAt,
              containerID: s0.containerID,
            },
          },
        };
        expect(
          await simApi(h, 'PUT', `${path}/status`, {
            ...current,
            status: { ...current.status, containerStatuses: [terminated] },
          }),
        ).toBe(200);
        await first.end();
        expect(first.completed).toBe(true);
        expect(first.errors).toEqual([]);
        expect(stamped(first)).toEqual(await apiTail(current, first.events.length));

        expect(
          await simApi(
            h,
            'DELETE',
            `/api/v1/namespaces/${b.metadata.namespace}/pods/${b.metadata.name}?gracePeriodSeconds=0`,
          ),
        ).toBe(200);
        await second.end();
        expect(second.completed).toBe(true);
        expect(second.errors).toEqual([]);
        await untilOpenLogRequests(h, 0);
      } finally {
        first.dispose();
        second.dispose();
      }
    });
  }
});

/** A raw graphql-transport-ws client, so the test can stop reading its socket. */
async function rawSubscriber(id: string, query: string, variables: Record<string, unknown>) {
  const messages: Json[] = [];
  const socket = new WebSocket(h.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${ADMIN}` } }));
  await waitFor(() => messages.some((m) => m.type === 'connection_ack'), 'connection_ack');
  socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  const tcp = (socket as unknown as { _socket: import('node:net').Socket })._socket;
  return { socket, messages, pause: () => tcp.pause(), resume: () => tcp.resume() };
}

it('cuts off a subscriber that stops reading with SLOW_CONSUMER while the others keep receiving', async () => {
  const pod = all[5];
  // Its messages are large (the text 30 times over) so that the socket buffers fill with an hour
  // of log (about 800 lines went through them in a measured run); the fast one asks the plain query.
  const wide = `subscription($ns: String!, $name: String!, $tail: Int) {
    podLogs(cluster: "sim", namespace: $ns, name: $name, tailLines: $tail) {
      ${Array.from({ length: 30 }, (_, i) => `t${i}: text`).join(' ')} } }`;
  const slow = await rawSubscriber('slow', wide, vars(pod, 1));
  const fast = subscribe('ws', h.url, POD_LOGS_SUB, { token: ADMIN, variables: vars(pod, 1) });
  try {
    await fast.count(1);
    await waitFor(
      () => slow.messages.some((m) => m.id === 'slow' && m.type === 'next'),
      'the slow one’s tail line',
    );
    slow.pause();
    // An hour of log, a minute at a time (a burst the size of a chunk or two each): the fast
    // one reads each minute as it comes; the slow one's socket buffers, then its queue, fill.
    const first = stamped(fast)[0];
    for (let minute = 0; minute < 60; minute++) {
      env.clock.advance(60_000);
      const due = env.clock.now() - 60_000;
      await fast.until('the minute’s lines', (s) => Date.parse(s.events.at(-1).exactTimestamp) >= due);
    }
    // The API keeps the last hour: the fast one's last hour is exactly it, and nothing repeats.
    const lastHour = await apiTail(pod, 100_000);
    const got = stamped(fast);
    expect(got.slice(-lastHour.length)).toEqual(lastHour);
    expect(got[0]).toBe(first);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual(got);
    expect(fast.errors).toEqual([]);
    expect(fast.ended).toBe(false);

    slow.resume();
    await waitFor(
      () => slow.messages.some((m) => m.id === 'slow' && m.type === 'complete'),
      'the slow one to end',
    );
    const own = slow.messages.filter((m) => m.id === 'slow');
    const last = own.at(-2);
    expect(last.payload.errors[0].extensions).toMatchObject({
      code: 'SLOW_CONSUMER',
      queueLimit: QUEUE_LIMIT,
    });
    // A log has no snapshot to resynchronise from: the advice is to pick the lines again.
    expect(last.payload.errors[0].message).toMatch(/resubscribe \(with tailLines or sinceSeconds/);
    const delivered = own.filter((m) => m.type === 'next' && m.payload.data?.podLogs).length;
    expect(delivered).toBeLessThan(got.length);
    // The upstream stream still serves the fast one.
    expect(await openLogRequests(h)).toBe(1);
  } finally {
    slow.socket.terminate();
    fast.dispose();
  }
  await untilOpenLogRequests(h, 0);
}, 90_000);

it('refuses an upstream stream over the per-principal and per-cluster limits, and lets identical ones join', async () => {
  const [a, b, c] = all.slice(6);
  const opened: Subscription[] = [];
  const open = (pod: Json, token: string) => {
    const s = subscribe('ws', h.url, POD_LOGS_SUB, { token, variables: vars(pod, 1) });
    opened.push(s);
    return s;
  };
  try {
    await open(a, ADMIN).count(1);
    await open(b, ADMIN).count(1);
    const third = open(c, ADMIN);
    await third.end();
    expect(third.errors[0]).toMatchObject({
      message:
        'expected at most 2 log streams of this caller at once, received one more; end a log subscription before starting another',
      extensions: { code: 'TOO_MANY_LOG_STREAMS', scope: 'principal', limit: 2 },
    });
    // The same stream again is no new stream: it joins.
    await open(a, ADMIN).count(1);
    // Another caller: one more stream fits the cluster's 3, a fourth does not.
    await open(c, OTHER).count(1);
    const fourth = open(all[9], OTHER);
    await fourth.end();
    expect(fourth.errors[0].extensions).toMatchObject({
      code: 'TOO_MANY_LOG_STREAMS',
      scope: 'cluster',
      limit: 3,
    });
    expect(await openLogRequests(h)).toBe(3);
    // Another caller may join the streams the first one opened.
    await open(b, OTHER).count(1);
  } finally {
    for (const s of opened) s.dispose();
  }
  await untilOpenLogRequests(h, 0);
});

describe('rights', () => {
  it('NOT_FOUND for a pod the caller may not get, FORBIDDEN without pods/log, and FORBIDDEN once revoked', async () => {
    const pod = all.filter((p) => p.metadata.namespace === ns).at(-1);
    const hidden = all.find((p) => p.metadata.namespace !== ns);
    // Nothing bound yet: the viewer may not get the pod.
    const none = subscribe('ws', h.url, POD_LOGS_SUB, { token: VIEWER, variables: vars(pod) });
    await none.end();
    expect(none.errors[0].extensions.code).toBe('NOT_FOUND');

    // Pods but not pods/log: FORBIDDEN, once the gateway has mirrored the binding.
    await simCreate(h, `${RBAC_API}/namespaces/${ns}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pods-only', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    });
    await simCreate(h, `${RBAC_API}/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'pods-only', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pods-only' },
      subjects: [userSubject('viewer')],
    });
    const refused = await waitFor(async () => {
      const s = subscribe('ws', h.url, POD_LOGS_SUB, { token: VIEWER, variables: vars(pod) });
      await s.end();
      return s.errors[0]?.extensions.code === 'FORBIDDEN' ? s : undefined;
    }, 'the viewer to be refused its logs once it may get the pod');
    expect(refused.errors[0].message).toBe(
      `the caller may not read the logs of pod "${ns}/${pod.metadata.name}": that needs "get" on "pods/log" in namespace "${ns}"`,
    );

    await bindClusterRole(h, {
      name: 'viewer',
      namespace: ns,
      clusterRole: 'view',
      subjects: [userSubject('viewer')],
    });
    const live = await waitFor(async () => {
      const s = subscribe('ws', h.url, POD_LOGS_SUB, { token: VIEWER, variables: vars(pod, 2) });
      await s.until('a line or an error', (x) => x.events.length > 0 || x.ended);
      if (s.events.length > 0) return s;
      s.dispose();
      return undefined;
    }, 'the viewer to follow once bound');
    // A namespace it does not see: the pod does not exist for it.
    const elsewhere = subscribe('ws', h.url, POD_LOGS_SUB, { token: VIEWER, variables: vars(hidden) });
    await elsewhere.end();
    expect(elsewhere.errors[0]).toMatchObject({
      message: `expected a pod, but cluster "sim" has no pod "${hidden.metadata.namespace}/${hidden.metadata.name}"`,
      extensions: { code: 'NOT_FOUND' },
    });
    // The view binding goes (pods-only stays: it may still get the pod): the follow ends FORBIDDEN.
    expect(await simApi(h, 'DELETE', `${RBAC_API}/namespaces/${ns}/rolebindings/viewer`)).toBe(200);
    await live.end();
    expect(live.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(live.errors[0].message).toMatch(/may no longer read these logs/);
    await untilOpenLogRequests(h, 0);
  });
});

it('ends a follow UNAVAILABLE when the upstream connection breaks mid-stream', async () => {
  const pod = all[10];
  const sub = subscribe('sse', h.url, POD_LOGS_SUB, { token: ADMIN, variables: vars(pod, 2) });
  try {
    await sub.count(2);
    // The API server goes away for a second: every connection drops (the informers reconnect).
    h.sim.refuseConnections(1);
    await sub.end();
    expect(sub.errors[0]).toMatchObject({
      // The network's own code says how it broke (a reset socket: UND_ERR_SOCKET, ECONNRESET).
      message: expect.stringMatching(
        /^cluster "sim" is unreachable for reading the logs of pod "[^"]+" \([A-Z_]+\)$/,
      ),
      extensions: { code: 'UNAVAILABLE', cluster: 'sim' },
    });
  } finally {
    sub.dispose();
  }
  await waitFor(() => !h.sim.down, 'the simulator to listen again');
});
