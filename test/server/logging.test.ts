/**
 * The structured log (issue #15), read back as the JSON lines a harness gateway writes
 * (the harness wires src/server/logger.ts as the CLI does, into a stream captured here and
 * into the run's log directory): one line per operation with its request id, operation,
 * principal name, duration, status and error codes; the `x-request-id` a client sent, or a
 * generated one when it is not a plain token, returned on every HTTP transport and naming
 * WebSocket connections; credentials redacted; an upstream outage logged once, and its end
 * once, however many retries it takes. `--log-level` through the real CLI is in main.test.ts.
 */

import { createClient as createWsClient } from 'graphql-ws';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseCli, plan, validateConfigFile } from '../../src/config.js';
import { createLogger, isoTime, prettyLine, REDACTED } from '../../src/server/logger.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { recordSecret } from '../helpers/test-log.js';
import { waitFor } from '../helpers/wait.js';

type Line = Record<string, unknown> & { level: string; time: string; msg: string };

/** Every JSON line the harness's logger wrote, parsed. */
class Captured {
  readonly lines: Line[] = [];
  readonly text: string[] = [];
  write(line: string): void {
    this.text.push(line);
    this.lines.push(JSON.parse(line));
  }
  where(match: Record<string, unknown>): Line[] {
    return this.lines.filter((l) => Object.entries(match).every(([k, v]) => l[k] === v));
  }
  async one(match: Record<string, unknown>): Promise<Line> {
    return waitFor(() => this.where(match)[0], {
      message: `a log line with ${JSON.stringify(match)}`,
      observe: () => this.text.slice(-20).join(''),
    });
  }
}

const TOKEN = 'logging-test-static-token-5f0e2b7c91';
const log = new Captured();
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    cache: false,
    simulator: { scenario: { nodes: 2, pods: 6, jobs: 1, namespaces: 1, seed: 3 } },
    tokens: [{ name: 'ops', token: TOKEN }],
    logDestination: log,
  });
  // As masked-errors.test.ts: a pod whose null condition makes the transform throw a TypeError.
  h.sim.store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'broken' } });
  h.sim.store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'malformed', namespace: 'broken' },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
    status: { phase: 'Running', conditions: [null] },
  } as never);
});
afterAll(() => h?.close());

function post(body: unknown, headers: Record<string, string> = {}) {
  return fetch(h.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    body: JSON.stringify(body),
  });
}

describe('a line per operation', () => {
  it("logs a query with level, time, the request id sent and returned, operation, principal's name, duration and status", async () => {
    const res = await post(
      { query: 'query ClusterNames { clusters { name } }', operationName: 'ClusterNames' },
      { 'x-request-id': 'log-query-1' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('log-query-1');
    await res.json();
    const line = await log.one({ requestId: 'log-query-1' });
    expect(line).toMatchObject({
      level: 'info',
      transport: 'http',
      method: 'POST',
      status: 200,
      operationType: 'query',
      operationName: 'ClusterNames',
      principal: 'ops',
      msg: 'query ClusterNames 200',
    });
    expect(new Date(line.time).toISOString()).toBe(line.time);
    expect(line.durationMs).toBeTypeOf('number');
    expect(line.codes).toBeUndefined();
    expect(log.where({ requestId: 'log-query-1' })).toHaveLength(1);
  });

  it('logs the error codes of a failing operation, and a refused token at 401 without a principal', async () => {
    const bad = await post(
      { query: 'query Bad { cluster(name: "sim") { pods(labelSelector: "app in (") { totalCount } } }' },
      { 'x-request-id': 'log-bad-input' },
    );
    expect((await bad.json()).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(await log.one({ requestId: 'log-bad-input' })).toMatchObject({
      level: 'info',
      operationName: 'Bad',
      codes: ['BAD_USER_INPUT'],
    });
    const invalid = await post({ query: '{ nope }' }, { 'x-request-id': 'log-invalid' });
    expect(invalid.status).toBe(200);
    expect(await log.one({ requestId: 'log-invalid' })).toMatchObject({
      level: 'info',
      codes: ['GRAPHQL_VALIDATION_FAILED'],
    });
    const stranger = 'logging-test-unknown-token-0c9d8e7f';
    recordSecret(stranger, 'a token the logging test sent');
    const refused = await post(
      { query: '{ clusters { name } }' },
      {
        authorization: `Bearer ${stranger}`,
        'x-request-id': 'log-refused',
      },
    );
    expect(refused.status).toBe(401);
    const line = await log.one({ requestId: 'log-refused' });
    expect(line).toMatchObject({ level: 'info', status: 401, codes: ['UNAUTHENTICATED'] });
    expect(line.principal).toBeUndefined();
  });

  it('logs a masked error at error level under the id its message gives, with the stack on a line of the same id', async () => {
    const res = await post({
      query: 'query Broken { cluster(name: "sim") { pods(namespace: "broken") { totalCount } } }',
    });
    const id = res.headers.get('x-request-id');
    const body = (await res.json()) as { errors: { message: string; extensions: { requestId: string } }[] };
    expect(body.errors[0].message).toBe(`Unexpected error. It was logged as request ${id}.`);
    expect(await log.one({ requestId: id, msg: 'query Broken 200' })).toMatchObject({
      level: 'error',
      codes: ['INTERNAL_SERVER_ERROR'],
    });
    const stack = await log.one({ requestId: id, msg: `unexpected error (request ${id})` });
    expect(stack.level).toBe('error');
    expect((stack.err as { type: string; stack: string }).type).toBe('TypeError');
    expect((stack.err as { stack: string }).stack).toMatch(/TypeError/);
    // The pod's null condition broke the trim (which field it read first is the trim's business).
    const message = (stack.err as { message: string }).message;
    expect(message).toMatch(/^Cannot read properties of null \(reading '\w+'\)$/);
    // yoga's own report of it comes into the same log (not the console), at debug: ours is the error line.
    expect(await log.one({ component: 'yoga', msg: message })).toMatchObject({ level: 'debug' });
  });

  it('replaces an x-request-id that is not a plain token (too long, quotes and spaces, a tab) with a generated one', async () => {
    // A newline cannot arrive at all: Node's HTTP parser refuses the request (400) before
    // any of our code runs, and fetch refuses to send it.
    for (const sent of ['x'.repeat(500), 'id" , "level":"fatal', 'tab\there']) {
      const res = await post({ query: '{ clusters { name } }' }, { 'x-request-id': sent });
      await res.json();
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(await log.one({ requestId: id })).toMatchObject({ status: 200 });
      expect(log.text.join('')).not.toContain(sent);
    }
  });

  it('returns the request id on GET and on an SSE subscription, whose start and end are logged with it', async () => {
    const get = await fetch(`${h.url}?query=${encodeURIComponent('query ByGet { clusters { name } }')}`, {
      headers: { authorization: `Bearer ${TOKEN}`, 'x-request-id': 'log-get-1' },
    });
    expect(get.headers.get('x-request-id')).toBe('log-get-1');
    await get.json();
    expect(await log.one({ requestId: 'log-get-1' })).toMatchObject({
      method: 'GET',
      operationName: 'ByGet',
    });

    const sse = (id: string, query: string, signal?: AbortSignal) =>
      fetch(h.url, {
        method: 'POST',
        signal,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          authorization: `Bearer ${TOKEN}`,
          'x-request-id': id,
        },
        body: JSON.stringify({ query }),
      });
    const abort = new AbortController();
    const live = await sse('log-sse-1', 'subscription Watch { podEvents { type } }', abort.signal);
    expect(live.headers.get('x-request-id')).toBe('log-sse-1');
    expect(await log.one({ requestId: 'log-sse-1', msg: 'subscription Watch started' })).toMatchObject({
      level: 'info',
      transport: 'http',
      operationType: 'subscription',
      principal: 'ops',
    });
    abort.abort();
    const ended = await log.one({ requestId: 'log-sse-1', msg: 'subscription Watch ended' });
    expect(ended).toMatchObject({ level: 'info', events: 0 });
    expect(ended.durationMs).toBeTypeOf('number');
    // One start and one end: no third line at the response.
    expect(log.where({ requestId: 'log-sse-1' })).toHaveLength(2);

    // Refused at once (this cluster has no cache to start from): one line, with the code.
    const refused = await sse('log-sse-2', 'subscription Initial { podEvents(initial: true) { type } }');
    expect(refused.headers.get('x-request-id')).toBe('log-sse-2');
    await refused.text();
    expect(await log.one({ requestId: 'log-sse-2' })).toMatchObject({
      level: 'info',
      operationType: 'subscription',
      operationName: 'Initial',
      codes: ['BAD_USER_INPUT'],
    });
    expect(log.where({ requestId: 'log-sse-2' })).toHaveLength(1);
  });

  it("names a WebSocket connection by its upgrade request's x-request-id in every operation's line", async () => {
    class IdentifiedSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { 'x-request-id': 'log-ws-conn-1' } });
      }
    }
    const client = createWsClient({
      url: h.url.replace(/^http/, 'ws'),
      webSocketImpl: IdentifiedSocket,
      connectionParams: { authorization: `Bearer ${TOKEN}` },
      retryAttempts: 0,
      lazy: true,
      lazyCloseTimeout: 0,
    });
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        let value: unknown;
        client.subscribe(
          { query: 'query OverWs { clusters { name } }', operationName: 'OverWs' },
          { next: (v) => (value = v), error: reject, complete: () => resolve(value) },
        );
      });
      expect(result).toEqual({ data: { clusters: [{ name: 'sim' }] } });
      expect(await log.one({ connectionId: 'log-ws-conn-1', msg: 'websocket connected' })).toMatchObject({
        principal: 'ops',
      });
      const line = await log.one({ connectionId: 'log-ws-conn-1', operationName: 'OverWs' });
      expect(line).toMatchObject({
        level: 'info',
        transport: 'ws',
        operationType: 'query',
        principal: 'ops',
      });
      expect(line.requestId).toMatch(/^[0-9a-f-]{36}$/);
      // A subscription on the same socket: its start, and its end when the client completes it.
      const unsubscribe = client.subscribe(
        { query: 'subscription LiveOverWs { podEvents { type } }' },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
      const started = await log.one({
        connectionId: 'log-ws-conn-1',
        msg: 'subscription LiveOverWs started',
      });
      expect(started).toMatchObject({ transport: 'ws', operationType: 'subscription', principal: 'ops' });
      unsubscribe();
      const ended = await log.one({ connectionId: 'log-ws-conn-1', msg: 'subscription LiveOverWs ended' });
      expect(ended.requestId).toBe(started.requestId);
      expect(ended.requestId).not.toBe(line.requestId);
    } finally {
      await client.dispose();
    }
    await log.one({ connectionId: 'log-ws-conn-1', msg: 'websocket closed (1000)' });
  });

  it('logs a WebSocket closed before its connection_init was acknowledged (a refused token: 4401), under its upgrade request id, without the token', async () => {
    const bad = 'logging-test-wrong-token-0c41d9a7e2';
    recordSecret(bad, 'a wrong token the logging test sends');
    const socket = new WebSocket(h.url.replace(/^http/, 'ws'), 'graphql-transport-ws', {
      headers: { 'x-request-id': 'log-ws-refused-1' },
    });
    const code = await new Promise<number>((resolve, reject) => {
      socket.once('open', () =>
        socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${bad}` } })),
      );
      socket.once('close', resolve).once('error', reject);
    });
    expect(code).toBe(4401);
    const line = await log.one({ connectionId: 'log-ws-refused-1' });
    expect(line).toMatchObject({
      level: 'info',
      transport: 'ws',
      code: 4401,
      msg: 'websocket closed before connection_init was acknowledged (4401)',
    });
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(log.where({ connectionId: 'log-ws-refused-1' })).toHaveLength(1);
    expect(log.text.join('')).not.toContain(bad);
  });
});

describe('credentials', () => {
  it('never logs the Authorization header sent, and redacts tokens and kubeconfig secrets in any object logged', async () => {
    await (await post({ query: '{ clusters { name } }' }, { 'x-request-id': 'log-auth-1' })).json();
    await log.one({ requestId: 'log-auth-1' });
    expect(log.text.join('')).not.toContain(TOKEN);

    const clientKey = Buffer.from(`-----BEGIN PRIVATE KEY-----\nlogging-test-${process.pid}\n`).toString(
      'base64',
    );
    recordSecret(clientKey, 'a client key the logging test made');
    const kubeconfig = parseYaml(h.sim.kubeconfig()) as { users: { user: Record<string, string> }[] };
    kubeconfig.users.push({ user: { 'client-certificate-data': 'Y2VydA==', 'client-key-data': clientKey } });
    const written: string[] = [];
    const logger = createLogger({
      level: 'info',
      pretty: false,
      destination: { write: (l) => written.push(l) },
    });
    logger.info(
      {
        req: { headers: { authorization: `Bearer ${TOKEN}`, cookie: `session=${TOKEN}` } },
        headers: { authorization: `Bearer ${TOKEN}` },
        kubeconfig,
        ...kubeconfig,
        options: { token: TOKEN, password: TOKEN, clientKey, idToken: TOKEN },
      },
      'an object full of credentials',
    );
    const [line] = written;
    for (const secret of [TOKEN, h.sim.adminToken, clientKey]) expect(line).not.toContain(secret);
    const entry = JSON.parse(line);
    expect(entry.req.headers).toEqual({ authorization: REDACTED, cookie: REDACTED });
    expect(entry.kubeconfig.users[0].user.token).toBe(REDACTED);
    expect(entry.users[1].user['client-key-data']).toBe(REDACTED);
    expect(entry.options).toEqual({
      token: REDACTED,
      password: REDACTED,
      clientKey: REDACTED,
      idToken: REDACTED,
    });
    // What is not a credential stays: the server and the CA.
    expect(entry.clusters[0].cluster.server).toBe(h.sim.url);
  });
});

describe('on a terminal', () => {
  it("prints each line readably: time, level, message, fields, an error's stack indented below", () => {
    const written: string[] = [];
    const logger = createLogger({ pretty: false, destination: { write: (l) => written.push(l) } });
    const err = new TypeError('boom');
    logger.error({ err, requestId: 'r-1', codes: ['INTERNAL_SERVER_ERROR'] }, 'unexpected error');
    const entry = JSON.parse(written[0]);
    const [first, ...stack] = prettyLine(written[0]).trimEnd().split('\n');
    expect(first).toBe(
      `${entry.time.slice(11, 23)} ERROR unexpected error requestId=r-1 codes=["INTERNAL_SERVER_ERROR"]`,
    );
    expect(stack[0]).toBe('    TypeError: boom');
    expect(stack.length).toBeGreaterThan(1);
    // Colours only when asked (a terminal that has them).
    expect(prettyLine(written[0], true)).toContain('\x1b[31mERROR\x1b[0m');
    expect(prettyLine('not json\n')).toBe('not json\n');
  });
});

describe('configuration', () => {
  it('takes --log-level and logging.level, the flag first, and refuses anything else by name', () => {
    expect(plan(parseCli([], {}), {}, {}).logLevel).toBe('info');
    expect(plan(parseCli([], {}), { logging: { level: 'debug' } }, {}).logLevel).toBe('debug');
    expect(plan(parseCli(['--log-level', 'warn'], {}), { logging: { level: 'debug' } }, {}).logLevel).toBe(
      'warn',
    );
    expect(() => parseCli(['--log-level', 'loud'], {})).toThrow(
      new ConfigError(
        '--log-level: expected one of trace, debug, info, warn, error, fatal, silent, received "loud"',
      ),
    );
    expect(() => validateConfigFile({ logging: { level: 'loud' } }, 'kubegate.yaml')).toThrow(
      /logging\.level: .*"trace".*"silent".*; received "loud"/,
    );
  });
});

describe('upstream failures', () => {
  it("logs a kind's outage once (warn), its retries at debug, and its recovery once (info), however many retries it takes", async () => {
    const captured = new Captured();
    const c = await startHarness({
      simulator: { scenario: { nodes: 1, pods: 3, jobs: 0, namespaces: 1 } },
      logDestination: captured,
    });
    try {
      const pods = (level: string) =>
        captured.lines.filter((l) => l.cluster === 'sim' && l.kind === 'Pod' && l.level === level);
      // The pods' watch drops and every new watch (and list) of pods fails with 503.
      c.sim.injectFaults({
        errorRate: 1,
        errorCode: 503,
        verbs: ['WATCH', 'LIST'],
        resources: ['pods'],
        dropWatches: 'reset',
      });
      await waitFor(() => pods('debug').length >= 5, {
        message: 'five retries of the pods watch',
        observe: () => captured.text.slice(-10).join(''),
      });
      c.sim.injectFaults({ reset: true });
      const [recovered] = await waitFor(() => pods('info').length > 0 && pods('info'), {
        message: 'the recovery line',
        observe: () => captured.text.slice(-10).join(''),
      });
      const warns = pods('warn');
      expect(warns).toHaveLength(1);
      expect(warns[0].msg).toMatch(
        /^cluster "sim" Pod: (HTTP 503|connection failed).*\(retrying; logged once until it recovers\)$/,
      );
      expect(recovered.msg).toMatch(/^cluster "sim" Pod: recovered after \d+ failures \/ [\d.]+ s$/);
      // Every failure of the episode: the warn, then one debug line per retry.
      expect(recovered.failures).toBe(1 + pods('debug').length);
      expect(recovered.failures).toBeGreaterThanOrEqual(6);
      expect(pods('info')).toHaveLength(1);
    } finally {
      await c.close();
    }
  });
});

describe('log timestamps', () => {
  it("write pino's isoTime text, to the millisecond, across seconds, days and years", () => {
    const instants = [
      0,
      7,
      42,
      999,
      1_000,
      Date.UTC(2026, 10, 30, 21, 1, 28, 5),
      Date.UTC(2026, 10, 30, 21, 1, 28, 50),
      Date.UTC(2026, 10, 30, 21, 1, 28, 500),
      Date.UTC(2026, 10, 30, 21, 1, 29, 0),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1, 0, 0, 0, 0),
    ];
    const now = vi.spyOn(Date, 'now');
    try {
      for (const at of [...instants, ...instants.reverse()]) {
        now.mockReturnValue(at);
        expect(isoTime(), String(at)).toBe(pino.stdTimeFunctions.isoTime());
      }
    } finally {
      now.mockRestore();
    }
  });
});
