/**
 * OpenTelemetry traces, end to end: the real CLI, started with the standard `OTEL_*`
 * variables, exports to a local OTLP/HTTP receiver (a plain node:http server here that
 * decodes what it is sent). The spans are awaited by shutting the gateway down with
 * SIGTERM (graceful shutdown flushes the SDK), never by sleeping.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { startTracing, tracingSettings } from '../../src/tracing.js';
import { type CliProcess, startCli } from '../helpers/cli-process.js';
import { scanText } from '../helpers/log-scan.js';
import { descends, spansOf, startReceiver } from '../helpers/otlp-receiver.js';
import { recordedSecrets, recordSecret } from '../helpers/test-log.js';
import { subscribe } from '../subscriptions/clients.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
const processes: CliProcess[] = [];

afterEach(async () => {
  for (const p of processes.splice(0)) {
    p.child.kill('SIGKILL');
    expect(scanText(p.output(), recordedSecrets()), 'credentials in the CLI output').toEqual([]);
  }
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function post(
  url: string,
  token: string | undefined,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

describe('OpenTelemetry traces', () => {
  it('exports a span per operation, continuing traceparent, with its batches, API calls and cache waits below it', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => new Promise((resolve) => receiver.server.close(resolve)));
    const sim: Simulator = await startSimulator({
      churnPerSecond: 0,
      scenario: { nodes: 2, pods: 12, jobs: 0, namespaces: 1 },
    });
    cleanups.push(() => sim.close());
    recordSecret(sim.adminToken, "the simulator's admin token (the gateway's credentials)");
    const token = `trace-test-${randomBytes(12).toString('hex')}`;
    recordSecret(token, 'the static token the test calls with');
    const collectorSecret = `collector-${randomBytes(12).toString('hex')}`;
    recordSecret(collectorSecret, "the collector's credentials (OTEL_EXPORTER_OTLP_HEADERS)");

    // One simulator served twice: "cached" (informers) and "direct" (--no-cache: every read an API call).
    const dir = mkdtempSync(join(tmpdir(), 'kubegate-tracing-'));
    writeFileSync(join(dir, 'cached.yaml'), sim.kubeconfig({ context: 'cached' }));
    writeFileSync(join(dir, 'direct.yaml'), sim.kubeconfig({ context: 'direct' }));
    const config = join(dir, 'kubegate.yaml');
    writeFileSync(
      config,
      [
        'clusters:',
        `  - { kubeconfig: ${JSON.stringify(join(dir, 'cached.yaml'))} }`,
        `  - { kubeconfig: ${JSON.stringify(join(dir, 'direct.yaml'))}, cache: false }`,
        'auth:',
        '  tokens:',
        `    - { name: dash, tokenEnv: TRACE_TEST_TOKEN, clusters: "*", namespaces: "*", writeAs: { user: admin, groups: [system:masters] } }`,
        '',
      ].join('\n'),
    );
    const gateway = startCli(['--config', config, '--port', '0', '--shutdown-delay-ms', '0'], {
      extraEnv: {
        TRACE_TEST_TOKEN: token,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${collectorSecret}`,
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
      },
    });
    processes.push(gateway);
    const [, url] = await gateway.printed(/kubegate listening on (http:\/\/\S+\/graphql)/);
    await gateway.printed(/ready: caches synced/);
    expect(gateway.output()).toContain(`traces: exporting to ${receiver.url}/v1/traces (http/json)`);

    // Two pods of one namespace, to ask for by name.
    const listed = await post(url, token, {
      query: '{ cluster(name: "direct") { pods(first: 100) { edges { node { name namespace } } } } }',
    });
    const pods = (
      listed.data as { cluster: { pods: { edges: { node: { name: string; namespace: string } }[] } } }
    ).cluster.pods.edges.map((e) => e.node);
    const namespace = pods.find(
      (p) => pods.filter((q) => q.namespace === p.namespace).length >= 2,
    )!.namespace;
    const [a, b] = pods.filter((p) => p.namespace === namespace);

    // Two lists and two lookups of one namespace in the uncached cluster: the list batch and
    // the object batch each need that namespace's pods: one LIST, the other batch waits for it.
    const secretSelector = `app notin (variable-${randomBytes(8).toString('hex')})`;
    recordSecret(secretSelector, "a variable's value");
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const query = `query TracedPods($selector: String!, $ns: String!, $a: String!, $b: String!) {
      cluster(name: "direct") {
        matching: pods(namespace: $ns, labelSelector: $selector) { totalCount }
        all: pods(namespace: $ns) { totalCount }
        a: pod(namespace: $ns, name: $a) { name node { name } }
        b: pod(namespace: $ns, name: $b) { name }
      }
    }`;
    const answer = await post(
      url,
      token,
      {
        query,
        operationName: 'TracedPods',
        variables: { selector: secretSelector, ns: namespace, a: a.name, b: b.name },
      },
      { traceparent: `00-${traceId}-${parentId}-01` },
    );
    expect(answer.errors).toBeUndefined();

    // A client's mistake: its code on the span, which is not failed for it.
    const bad = await post(url, token, {
      query: 'query BadSelector { cluster(name: "direct") { pods(labelSelector: "a in (") { totalCount } } }',
    });
    expect(bad.errors).toHaveLength(1);

    // A write as the caller, which waits for the cache to show it.
    const found = await post(url, token, {
      query:
        'query ($ns: String!, $name: String!) { cluster(name: "cached") { pod(namespace: $ns, name: $name) { id } } }',
      variables: { ns: namespace, name: a.name },
    });
    const id = (found.data as { cluster: { pod: { id: string } } }).cluster.pod.id;
    const mutation = await post(url, token, {
      query: `mutation Relabel($id: ID!) { setLabels(id: $id, set: [{ key: "traced", value: "yes" }]) { visible } }`,
      operationName: 'Relabel',
      variables: { id },
    });
    expect(mutation).toEqual({ data: { setLabels: { visible: true } } });

    // A subscription: its span covers its start (the snapshot), not its life.
    const sse = subscribe(
      'sse',
      url,
      'subscription WatchPods($ns: String!) { podEvents(cluster: "cached", namespace: $ns, initial: true) { type } }',
      { token, variables: { ns: namespace } },
    );
    cleanups.push(() => sse.dispose());
    await sse.count(1);

    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);

    const exports = receiver.received.filter((r) => r.path === '/v1/traces');
    expect(exports.length).toBeGreaterThan(0);
    for (const r of exports) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers.authorization).toBe(`Bearer ${collectorSecret}`);
    }
    const spans = spansOf(exports);
    expect(spans[0].resource).toMatchObject({
      'service.name': 'kubegate',
      'deployment.environment.name': 'test',
    });

    // The operation: a SERVER span continuing the caller's trace.
    const operation = spans.find((s) => s.name === 'query TracedPods');
    expect(operation).toBeDefined();
    expect(operation).toMatchObject({ traceId, parentSpanId: parentId, kind: 2 });
    expect(operation?.attributes).toMatchObject({
      'graphql.operation.name': 'TracedPods',
      'graphql.operation.type': 'query',
    });
    expect(operation?.attributes['graphql.document.hash']).toMatch(/^[0-9a-f]{64}$/);
    const inTrace = spans.filter((s) => s.traceId === traceId);
    const below = (name: string | RegExp) =>
      inTrace.filter(
        (s) =>
          (typeof name === 'string' ? s.name === name : name.test(s.name)) && descends(spans, s, operation!),
      );

    // DataLoader batches, with their kind, cluster, namespace and size.
    const listBatch = below('dataloader.batch list');
    expect(listBatch).toHaveLength(1);
    expect(listBatch[0].attributes).toMatchObject({
      'kubegate.loader': 'list',
      'kubegate.batch.size': 2,
      'kubegate.batch.clusters': ['direct'],
      'kubegate.batch.kinds': ['Pod'],
      'kubegate.batch.namespaces': [namespace],
    });
    expect(below('dataloader.batch object').map((s) => s.attributes['kubegate.batch.kinds'])).toEqual(
      expect.arrayContaining([['Pod'], ['Node']]),
    );

    // Upstream calls: CLIENT spans named by method and path template, with the status.
    const podList = below('GET /api/v1/namespaces/{namespace}/pods');
    expect(podList).toHaveLength(1); // one LIST for both batches
    expect(podList[0]).toMatchObject({ kind: 3 });
    expect(podList[0].attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.template': '/api/v1/namespaces/{namespace}/pods',
      'http.response.status_code': 200,
      'k8s.cluster.name': 'direct',
      'server.address': '127.0.0.1',
    });
    expect(below('GET /api/v1/nodes/{name}')[0]?.attributes).toMatchObject({
      'http.response.status_code': 200,
      'k8s.cluster.name': 'direct',
    });

    // The batch that found the other's LIST in flight waited for it.
    const shared = below('cache.wait shared-fetch');
    expect(shared).toHaveLength(1);
    expect(shared[0].attributes).toMatchObject({
      'kubegate.wait': 'shared-fetch',
      'kubegate.wait.outcome': 'answered',
      'k8s.cluster.name': 'direct',
      'kubegate.kind': 'Pod',
    });

    const badSpan = spans.find((s) => s.name === 'query BadSelector')!;
    expect(badSpan.attributes).toMatchObject({
      'graphql.error.codes': ['BAD_USER_INPUT'],
      'graphql.error.count': 1,
    });
    expect(badSpan.events).toEqual([
      {
        name: 'graphql.error',
        attributes: { 'graphql.error.code': 'BAD_USER_INPUT', 'graphql.error.path': 'cluster.pods' },
      },
    ]);
    expect(badSpan.status.code ?? 0).toBe(0); // UNSET: the gateway did its job

    // The mutation: its PATCH as the caller, and the wait for the cache to show it.
    const relabel = spans.find((s) => s.name === 'mutation Relabel')!;
    expect(relabel.parentSpanId).toBe(''); // no traceparent: a trace of its own
    const relabelSpans = spans.filter((s) => s.traceId === relabel.traceId);
    expect(
      relabelSpans.find((s) => s.name === 'PATCH /api/v1/namespaces/{namespace}/pods/{name}')?.attributes,
    ).toMatchObject({
      'http.response.status_code': 200,
      'k8s.cluster.name': 'cached',
    });
    expect(relabelSpans.find((s) => s.name === 'cache.wait visible')?.attributes).toMatchObject({
      'kubegate.wait.outcome': 'visible',
      'k8s.cluster.name': 'cached',
      'kubegate.kind': 'Pod',
    });

    expect(spans.find((s) => s.name === 'subscription WatchPods')?.attributes).toMatchObject({
      'graphql.operation.type': 'subscription',
      'graphql.operation.name': 'WatchPods',
    });

    // The informers' lists: root spans of their own, their pages below them.
    const informerList = spans.find(
      (s) => s.name === 'informer.list' && s.attributes['kubegate.kind'] === 'Pod',
    )!;
    expect(informerList.parentSpanId).toBe('');
    expect(informerList.attributes).toMatchObject({ 'k8s.cluster.name': 'cached', 'kubegate.relist': false });
    expect(spans.some((s) => s.name === 'GET /api/v1/pods' && s.parentSpanId === informerList.spanId)).toBe(
      true,
    );

    // No secret in any span: not the caller's token, the gateway's credentials, the collector's, nor a variable.
    const everything = exports.map((r) => r.body.toString('utf8')).join('\n');
    for (const secret of [token, sim.adminToken, collectorSecret, secretSelector, 'variable-']) {
      expect(everything).not.toContain(secret);
    }
  }, 120_000);

  it('traces a subscription that waits for an informer to sync, until its timeout', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => new Promise((resolve) => receiver.server.close(resolve)));
    const sim = await startSimulator({
      churnPerSecond: 0,
      scenario: { nodes: 1, pods: 2, jobs: 0, namespaces: 1 },
    });
    cleanups.push(() => sim.close());
    recordSecret(sim.adminToken, "the simulator's admin token (the gateway's credentials)");
    // Pods never sync: every LIST of them fails, so the snapshot's wait can only end in its
    // timeout (KUBEGATE_SNAPSHOT_SYNC_TIMEOUT_MS, 2 s here instead of the default 30 s).
    sim.injectFaults({ errorRate: 1, errorCode: 503, verbs: ['LIST'], resources: ['pods'] });
    const dir = mkdtempSync(join(tmpdir(), 'kubegate-tracing-'));
    writeFileSync(join(dir, 'kubeconfig'), sim.kubeconfig({ context: 'slow' }));
    const gateway = startCli(
      ['--kubeconfig', join(dir, 'kubeconfig'), '--port', '0', '--shutdown-delay-ms', '0'],
      {
        extraEnv: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          KUBEGATE_SNAPSHOT_SYNC_TIMEOUT_MS: '2000',
        },
      },
    );
    processes.push(gateway);
    const [, url] = await gateway.printed(/kubegate listening on (http:\/\/\S+\/graphql)/);
    const sse = subscribe('sse', url, 'subscription Snapshot { podEvents(initial: true) { type } }');
    cleanups.push(() => sse.dispose());
    await sse.until('the refusal', (s) => s.errors.length > 0, 60_000);
    expect(sse.errors.map((e: { extensions?: { code?: string } }) => e.extensions?.code)).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(sse.errors[0].message).toContain('has none after 2 s');
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);

    const spans = spansOf(receiver.received);
    const operation = spans.find((s) => s.name === 'subscription Snapshot');
    const wait = spans.find((s) => s.name === 'cache.wait sync');
    expect(operation && wait && descends(spans, wait, operation)).toBe(true);
    expect(wait?.attributes).toMatchObject({
      'kubegate.wait': 'sync',
      'kubegate.wait.outcome': 'timeout',
      'k8s.cluster.name': 'slow',
      'kubegate.kind': ['Pod'],
    });
    expect(operation?.attributes['graphql.error.codes']).toEqual(['BAD_USER_INPUT']);
    // The informer's failed LISTs: root spans with the status the API server answered.
    const failed = spans.find((s) => s.name === 'GET /api/v1/pods');
    expect(failed?.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' });
    expect(failed?.status.code).toBe(2);
  }, 120_000);

  it('exports OTLP protobuf by default (http/protobuf), and flushes on SIGTERM', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => new Promise((resolve) => receiver.server.close(resolve)));
    const gateway = startCli(['--port', '0', '--shutdown-delay-ms', '0'], {
      extraEnv: {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/traces`,
        OTEL_SERVICE_NAME: 'kubegate-under-test',
      },
    });
    processes.push(gateway);
    const [, url] = await gateway.printed(/kubegate listening on (http:\/\/\S+\/graphql)/);
    expect(gateway.output()).toContain(`traces: exporting to ${receiver.url}/custom/traces (http/protobuf)`);
    expect(await post(url, undefined, { query: 'query Ping { clusters { name } }' })).toEqual({
      data: { clusters: [{ name: 'simulator' }] },
    });
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    // The traces endpoint is used as it is; protobuf strings are their UTF-8 bytes.
    const exports = receiver.received.filter((r) => r.path === '/custom/traces');
    expect(exports.length).toBeGreaterThan(0);
    expect(exports.every((r) => r.headers['content-type'] === 'application/x-protobuf')).toBe(true);
    const bytes = Buffer.concat(exports.map((r) => r.body));
    expect(bytes.includes('query Ping')).toBe(true);
    expect(bytes.includes('graphql.operation.name')).toBe(true);
    expect(bytes.includes('kubegate-under-test')).toBe(true);
  }, 60_000);

  it('starts no SDK and sends nothing when OTEL_SDK_DISABLED=true, an endpoint notwithstanding', async () => {
    const receiver = await startReceiver();
    cleanups.push(() => new Promise((resolve) => receiver.server.close(resolve)));
    const gateway = startCli(['--port', '0', '--shutdown-delay-ms', '0'], {
      extraEnv: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SDK_DISABLED: 'true',
      },
    });
    processes.push(gateway);
    const [, url] = await gateway.printed(/kubegate listening on (http:\/\/\S+\/graphql)/);
    expect((await post(url, undefined, { query: 'query Ping { clusters { name } }' })).data).toBeDefined();
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    expect(gateway.output()).not.toContain('traces:');
    expect(receiver.received).toEqual([]);
  }, 60_000);

  it("is off without an endpoint: no SDK, the API's no-op tracer", async () => {
    expect(tracingSettings({})).toBeUndefined();
    expect(await startTracing({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' })).toBeUndefined();
    expect(trace.getTracer('kubegate').startSpan('probe').isRecording()).toBe(false);
    expect(
      tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toBeUndefined();
  });

  it('reads the standard variables, and names the variable, what was expected and what came when one is wrong', () => {
    expect(
      tracingSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:pass@collector:4318/base/?key=secret',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }),
    ).toEqual({
      // Printable: no user info, no query.
      endpoint: 'https://collector:4318/base/v1/traces',
      url: 'https://user:pass@collector:4318/base/v1/traces?key=secret',
      protocol: 'http/json',
      sampler: 'parentbased_traceidratio',
      ratio: 0.25,
    });
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(tracingSettings(endpoint)).toMatchObject({
      protocol: 'http/protobuf',
      sampler: 'parentbased_always_on',
    });
    const wrong: [Record<string, string>, string][] = [
      [
        { OTEL_TRACES_SAMPLER: 'sometimes' },
        'OTEL_TRACES_SAMPLER: expected one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, received "sometimes"',
      ],
      [
        { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' },
        'OTEL_TRACES_SAMPLER_ARG: expected a ratio from 0 to 1 for traceidratio, received "2"',
      ],
      [
        { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
        'OTEL_EXPORTER_OTLP_PROTOCOL: expected http/protobuf or http/json (kubegate does not export over grpc), received "grpc"',
      ],
      [
        { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'json' },
        'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: expected http/protobuf or http/json (kubegate does not export over grpc), received "json"',
      ],
      [{ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED: expected true or false, received "yes"'],
      [
        { OTEL_TRACES_EXPORTER: 'zipkin' },
        'OTEL_TRACES_EXPORTER: expected otlp or none (kubegate exports OTLP over HTTP only), received "zipkin"',
      ],
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
        'OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:// or https:// URL, received a collector: URL',
      ],
      [
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' },
        'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: expected an http:// or https:// URL, received a value that is not a URL',
      ],
    ];
    for (const [env, message] of wrong) {
      let thrown: unknown;
      try {
        tracingSettings({ ...endpoint, ...env });
      } catch (err) {
        thrown = err;
      }
      expect(thrown, JSON.stringify(env)).toBeInstanceOf(ConfigError);
      expect((thrown as Error).message).toBe(message);
    }
  });

  it('refuses to start the CLI with a bad OTEL variable: exit 2 and the message', async () => {
    const gateway = startCli(['--port', '0'], {
      extraEnv: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
        OTEL_TRACES_SAMPLER: 'sometimes',
      },
    });
    processes.push(gateway);
    expect(await gateway.exited).toBe(2);
    expect(gateway.output()).toContain('OTEL_TRACES_SAMPLER: expected one of always_on');
  }, 30_000);
});
