/**
 * `Pod.logs` over HTTP against the simulator: the lines equal what the real kubectl prints
 * for the same pod (`kubectl logs --tail=N`, `--since`, `--previous`, `--limit-bytes`),
 * timestamps parsed off, the byte bound and `truncated`, the container choice, and the
 * rights: `get pods/log` needed (FORBIDDEN), a pod the caller may not get is NOT_FOUND.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindClusterRole, RBAC_API, simCreate, userSubject } from '../auth/kit.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { Kubectl, requireKubectl } from '../simulator/kubectl-runner.js';
import { type Json, subscribe } from '../subscriptions/clients.js';
import {
  type LogsHarness,
  POD_LOGS,
  POD_LOGS_SUB,
  runningPods,
  startLogsHarness,
  T0,
  textLines,
} from './kit.js';

const ADMIN = 'logs-read-admin-token-0123';
const NO_LOGS = 'logs-read-nologs-token-0123';
const READER = 'logs-read-reader-token-0123';

let env: LogsHarness;
let h: Harness;
let kubectl: Kubectl;
let ns: string;
let otherNs: string;

const gql = (variables: Record<string, unknown>, token = ADMIN) =>
  h.query<Json>(POD_LOGS, variables, { authorization: `Bearer ${token}` });

beforeAll(async () => {
  await requireKubectl();
  env = await startLogsHarness({
    identities: true,
    tokens: [
      { name: 'admin', token: ADMIN, clusters: '*', namespaces: '*' },
      { name: 'no-logs', token: NO_LOGS, user: 'no-logs' },
      { name: 'reader', token: READER, user: 'reader' },
    ],
  });
  h = env.h;
  kubectl = new Kubectl(h.sim.kubeconfig());
  const namespaces = [...new Set(runningPods(h).map((p) => p.metadata.namespace))].sort();
  [ns, otherNs] = namespaces;
  // no-logs may read pods in `ns` but not their logs; reader may read both (the view role has pods/log).
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
    subjects: [userSubject('no-logs')],
  });
  await bindClusterRole(h, {
    name: 'reader',
    namespace: ns,
    clusterRole: 'view',
    subjects: [userSubject('reader')],
  });
  // Wait for the gateway's RBAC mirror: the reader sees the pods.
  const pod = runningPods(h, { namespace: ns })[0];
  await waitFor(
    async () =>
      (await gql({ ns, name: pod.metadata.name, container: pod.spec.containers[0].name, tail: 1 }, READER))
        .data?.cluster?.pod?.logs,
    "the gateway's RBAC mirror to let the reader read logs",
  );
}, 60_000);

afterAll(async () => {
  kubectl?.cleanup();
  await env?.h.close();
});

describe('Pod.logs', () => {
  it('equals `kubectl logs --tail=N` for the same pod, line for line, with parsed timestamps', async () => {
    const pods = runningPods(h).slice(0, 4);
    for (const pod of pods) {
      const { namespace, name } = pod.metadata;
      for (const c of pod.spec.containers) {
        for (const n of [1, 25, 300]) {
          const printed = await kubectl.ok(['logs', name, '-n', namespace, '-c', c.name, `--tail=${n}`]);
          const r = await gql({ ns: namespace, name, container: c.name, tail: n });
          expect(r.errors).toBeUndefined();
          const logs = r.data.cluster.pod.logs;
          expect(logs.truncated).toBe(false);
          expect(logs.lines.map((l: Json) => l.text)).toEqual(printed ? textLines(printed) : []);
          for (const l of logs.lines) {
            expect(l).toMatchObject({ container: c.name, pod: name, namespace, cluster: 'sim' });
            expect(l.exactTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
            expect(Date.parse(l.timestamp)).toBeLessThanOrEqual(T0);
          }
        }
      }
    }
    // A long tail: hundreds of KB in many chunks (lines split across them) and multi-KB lines.
    // The pod whose container has run longest (the log keeps its last hour).
    const long = runningPods(h, { containers: 1 }).sort(
      (a, b) =>
        Date.parse(a.status.containerStatuses[0].state.running.startedAt) -
        Date.parse(b.status.containerStatuses[0].state.running.startedAt),
    )[0];
    const lc = long.spec.containers[0].name;
    const printed = await kubectl.ok([
      'logs',
      long.metadata.name,
      '-n',
      long.metadata.namespace,
      '-c',
      lc,
      '--tail=3000',
    ]);
    const r3000 = await gql({
      ns: long.metadata.namespace,
      name: long.metadata.name,
      container: lc,
      tail: 3000,
    });
    const texts = r3000.data.cluster.pod.logs.lines.map((l: Json) => l.text);
    expect(texts).toEqual(textLines(printed));
    expect(Buffer.byteLength(printed)).toBeGreaterThan(128 * 1024);
    expect(texts.some((t: string) => t.length > 2048)).toBe(true);
    // And with timestamps, the timestamp is the one kubectl prints.
    const pod = pods[0];
    const c = pod.spec.containers[0].name;
    const stamped = await kubectl.ok([
      'logs',
      pod.metadata.name,
      '-n',
      pod.metadata.namespace,
      '-c',
      c,
      '--tail=20',
      '--timestamps',
    ]);
    const r = await gql({ ns: pod.metadata.namespace, name: pod.metadata.name, container: c, tail: 20 });
    expect(r.data.cluster.pod.logs.lines.map((l: Json) => `${l.exactTimestamp} ${l.text}`)).toEqual(
      textLines(stamped),
    );
  });

  it('reads the last 100 lines by default, sinceSeconds as --since, previous as --previous', async () => {
    const pod = runningPods(h, { restarted: true })[0];
    const { namespace, name } = pod.metadata;
    const status = pod.status.containerStatuses.find((s: Json) => s.restartCount > 0);
    const c = status.name;
    const byDefault = await gql({ ns: namespace, name, container: c });
    expect(byDefault.data.cluster.pod.logs.lines.map((l: Json) => l.text)).toEqual(
      textLines(await kubectl.ok(['logs', name, '-n', namespace, '-c', c, '--tail=100'])),
    );
    const since = await gql({ ns: namespace, name, container: c, tail: null, since: 45 });
    expect(since.data.cluster.pod.logs.lines.map((l: Json) => l.text)).toEqual(
      textLines(await kubectl.ok(['logs', name, '-n', namespace, '-c', c, '--since=45s'])),
    );
    const previous = await gql({ ns: namespace, name, container: c, tail: 30, previous: true });
    const printed = await kubectl.ok(['logs', name, '-n', namespace, '-c', c, '--tail=30', '--previous']);
    expect(previous.data.cluster.pod.logs.lines.map((l: Json) => l.text)).toEqual(textLines(printed));
    // finishedAt is in whole seconds: the run's lines end within that second.
    const finished = Date.parse(status.lastState.terminated.finishedAt) + 999;
    for (const l of previous.data.cluster.pod.logs.lines)
      expect(Date.parse(l.timestamp)).toBeLessThanOrEqual(finished);
  });

  it('is bounded by limitBytes as --limit-bytes: the crossing line cut, truncated: true', async () => {
    const pod = runningPods(h)[1];
    const { namespace, name } = pod.metadata;
    const c = pod.spec.containers[0].name;
    const printed = await kubectl.ok([
      'logs',
      name,
      '-n',
      namespace,
      '-c',
      c,
      '--tail=50',
      '--limit-bytes=700',
    ]);
    const r = await gql({ ns: namespace, name, container: c, tail: 50, limit: 700 });
    const logs = r.data.cluster.pod.logs;
    expect(logs.truncated).toBe(true);
    expect(Buffer.byteLength(printed)).toBe(700);
    expect(logs.lines.map((l: Json) => l.text).join('\n')).toBe(printed.replace(/\n$/, ''));
    // A limit the log fits in: all of it, not truncated.
    const whole = await gql({ ns: namespace, name, container: c, tail: 3, limit: 1_000_000 });
    expect(whole.data.cluster.pod.logs).toMatchObject({ truncated: false });
    expect(whole.data.cluster.pod.logs.lines).toHaveLength(3);
    // Over the gateway's maximum (1 MiB by default): refused, naming the maximum.
    const over = await gql({ ns: namespace, name, container: c, limit: 2 * 1024 * 1024 });
    expect(over.errors?.[0]).toMatchObject({
      message: 'expected "limitBytes" of at most 1048576 (containerLogs.maxBytes), received 2097152',
      extensions: { code: 'BAD_USER_INPUT', field: 'limitBytes', limit: 1048576 },
    });
    const zero = await gql({ ns: namespace, name, container: c, limit: 0 });
    expect(zero.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'limitBytes' });
  });

  it('needs the container of a pod with several, and refuses one it does not have', async () => {
    const pod = [...h.sim.store.scan('pods')].find(
      (p: Json) => p.spec.containers.length > 1 && !p.metadata.namespace.startsWith('kube-'),
    ) as Json;
    const { namespace, name } = pod.metadata;
    const names = pod.spec.containers.map((c: Json) => c.name);
    const missing = await gql({ ns: namespace, name });
    expect(missing.data.cluster.pod).toBeNull();
    expect(missing.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'container' });
    expect(missing.errors?.[0].message).toContain(`choose one of ${JSON.stringify(names).slice(0, -1)}`);
    const wrong = await gql({ ns: namespace, name, container: 'nope' });
    expect(wrong.errors?.[0].message).toMatch(/^expected "container" to be one of .* received "nope"$/);
    // kubectl says the same through the API server.
    const refused = await kubectl.run(['logs', name, '-n', namespace]);
    expect(refused.code).not.toBe(0);
  });

  it("maps the API server's failures to codes, for reads and follows", async () => {
    const pod = runningPods(h)[2];
    const { namespace, name } = pod.metadata;
    const c = pod.spec.containers[0].name;
    for (const [status, code] of [
      [500, 'UNAVAILABLE'],
      [503, 'UNAVAILABLE'],
      [429, 'RATE_LIMITED'],
    ] as const) {
      h.sim.injectFaults({ errorRate: 1, errorCode: status, resources: ['pods/log'] });
      try {
        const r = await gql({ ns: namespace, name, container: c, tail: 1 });
        expect(r.errors?.[0].extensions).toMatchObject({ code, cluster: 'sim', upstreamStatus: status });
        expect(r.errors?.[0].message).toContain(`reading the logs of pod "${namespace}/${name}"`);
        const follow = subscribe('sse', h.url, POD_LOGS_SUB, {
          token: ADMIN,
          variables: { ns: namespace, name, container: c, tail: 1 },
        });
        await follow.end();
        expect(follow.errors[0]?.extensions).toMatchObject({ code, upstreamStatus: status });
      } finally {
        h.sim.injectFaults({ reset: true });
      }
    }
    expect(
      (await gql({ ns: namespace, name, container: c, tail: 1 })).data.cluster.pod.logs.lines,
    ).toHaveLength(1);
  });

  it('is FORBIDDEN without get pods/log, and NOT_FOUND for a pod the caller may not get', async () => {
    const pod = runningPods(h, { namespace: ns })[0];
    const c = pod.spec.containers[0].name;
    // The caller may read the pod (its field resolves) but not its logs.
    const noLogs = await h.query<Json>(
      `query($ns: String!, $name: String!, $c: String) { cluster(name: "sim") { pod(namespace: $ns, name: $name) {
        name logs(container: $c) { truncated } } } }`,
      { ns, name: pod.metadata.name, c },
      { authorization: `Bearer ${NO_LOGS}` },
    );
    expect(noLogs.data?.cluster?.pod).toBeNull();
    expect(noLogs.errors?.[0]).toMatchObject({
      message: `the caller may not read the logs of pod "${ns}/${pod.metadata.name}": that needs "get" on "pods/log" in namespace "${ns}"`,
      extensions: { code: 'FORBIDDEN' },
    });
    const reader = await gql({ ns, name: pod.metadata.name, container: c, tail: 2 }, READER);
    expect(reader.data.cluster.pod.logs.lines).toHaveLength(2);
    // A pod in a namespace the reader may not see: no pod at all (and so no logs).
    const hidden = runningPods(h, { namespace: otherNs })[0];
    const elsewhere = await gql(
      { ns: otherNs, name: hidden.metadata.name, container: hidden.spec.containers[0].name },
      READER,
    );
    expect(elsewhere.data?.cluster?.pod ?? null).toBeNull();
    expect(elsewhere.errors).toBeUndefined();
  });
});

describe('where the API server decides (authorization: subjectAccessReview)', () => {
  let sar: Harness;
  beforeAll(async () => {
    sar = await startHarness({
      existingSimulator: h.sim,
      identities: true,
      authorization: 'subjectAccessReview',
      tokens: [
        { name: 'no-logs', token: NO_LOGS, user: 'no-logs' },
        { name: 'reader', token: READER, user: 'reader' },
      ],
    });
  }, 60_000);
  afterAll(() => sar?.close(), 30_000);

  it('asks the reviews for pods/log: the reader reads and follows, the one without it is FORBIDDEN', async () => {
    const pod = runningPods(h, { namespace: ns })[0];
    const variables = { ns, name: pod.metadata.name, container: pod.spec.containers[0].name, tail: 3 };
    const reader = await sar.query<Json>(POD_LOGS, variables, { authorization: `Bearer ${READER}` });
    expect(reader.errors).toBeUndefined();
    expect(reader.data.cluster.pod.logs.lines).toHaveLength(3);
    const refused = await sar.query<Json>(POD_LOGS, variables, { authorization: `Bearer ${NO_LOGS}` });
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const follow = subscribe('ws', sar.url, POD_LOGS_SUB, { token: READER, variables });
    try {
      await follow.count(3);
      expect(follow.events.map((e: Json) => e.text)).toEqual(
        reader.data.cluster.pod.logs.lines.map((l: Json) => l.text),
      );
    } finally {
      follow.dispose();
    }
    // A namespace the reader may not get pods in: no such pod, as ever.
    const hidden = runningPods(h, { namespace: otherNs })[0];
    const elsewhere = subscribe('ws', sar.url, POD_LOGS_SUB, {
      token: READER,
      variables: { ns: otherNs, name: hidden.metadata.name, container: hidden.spec.containers[0].name },
    });
    await elsewhere.end();
    expect(elsewhere.errors[0].extensions.code).toBe('NOT_FOUND');
  });
});
