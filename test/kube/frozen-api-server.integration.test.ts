/**
 * A hung API server: one that keeps its sockets open and answers nothing. First, requests
 * to a server that accepts and never answers fail within the pool's timeouts, as upstream
 * failures (not bugs to mask). Then the simulator as a process of its own, frozen with
 * SIGSTOP under a gateway with a 1 s watch liveness: the cluster's status turns stale with
 * an age, `clusterStatus` publishes STALE, /readyz says so; after SIGCONT both recover.
 * Waits poll for what the gateway says; nothing here asserts on elapsed time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsFromEnv } from '../../src/config.js';
import { ClusterClient, PooledKubeConfig, upstreamFailure } from '../../src/kube/client.js';
import { EventHub } from '../../src/kube/event-hub.js';
import { describe as describeError } from '../../src/kube/reflector.js';
import { ClusterRegistry } from '../../src/kube/registry.js';
import { buildSchema } from '../../src/schema/index.js';
import { createAuthenticator } from '../../src/server/auth.js';
import { createGateway, type Gateway } from '../../src/server/gateway.js';
import { createMetrics } from '../../src/server/metrics.js';
import { gatewayLog } from '../helpers/test-log.js';
import { waitFor } from '../helpers/wait.js';
import { type Json, type Subscription, subscribe, TRANSPORTS } from '../subscriptions/clients.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('requests to a server that accepts and never answers', () => {
  let server: Server;
  let config: PooledKubeConfig;
  let client: ClusterClient;

  beforeAll(async () => {
    // Headers never come, except for one path whose body starts and then stalls.
    server = createServer((req, res) => {
      if (req.url?.startsWith('/api/v1/namespaces/stalled-body/')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    config = new PooledKubeConfig({ headersTimeoutMs: 300, bodyTimeoutMs: 300 });
    config.loadFromOptions({
      clusters: [{ name: 'hung', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'not-a-secret' }],
      contexts: [{ name: 'hung', cluster: 'hung', user: 'u' }],
      currentContext: 'hung',
    });
    client = new ClusterClient(config);
  });

  afterAll(async () => {
    await config?.closePool();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function failure(call: () => Promise<unknown>): Promise<unknown> {
    try {
      await call();
    } catch (err) {
      return err;
    }
    throw new Error('expected the call to fail');
  }

  it('fails a list, a get and a watch start on the headers timeout, as a network failure', async () => {
    const calls: [string, () => Promise<unknown>][] = [
      ['list', () => client.list('Pod', { limit: 500 })],
      ['get', () => client.get('Pod', 'default', 'a')],
      [
        'watch',
        () =>
          client.watch(
            'Pod',
            { resourceVersion: '1', timeoutSeconds: 60, allowWatchBookmarks: true },
            () => {},
          ),
      ],
    ];
    for (const [what, call] of calls) {
      const err = await failure(call);
      expect(upstreamFailure(err), what).toEqual({ network: 'UND_ERR_HEADERS_TIMEOUT' });
      expect(describeError(err), what).toBe('connection failed (UND_ERR_HEADERS_TIMEOUT)');
    }
  });

  it('fails a list whose body stalls on the body timeout, as a network failure', async () => {
    const err = await failure(() => client.list('Pod', { namespace: 'stalled-body' }));
    expect(upstreamFailure(err)).toEqual({ network: 'UND_ERR_BODY_TIMEOUT' });
  });
});

interface SimProcess {
  child: ChildProcess;
  output: () => string;
}

function startSimulatorProcess(kubeconfig: string): SimProcess {
  // node with tsx's loader, one process: signals reach the simulator itself (see test/simulator/cli.test.ts).
  const args = [
    '--import',
    'tsx',
    'src/simulator/cli.ts',
    ...'--port 0 --nodes 2 --pods 12 --jobs 1 --namespaces 1 --churn 0 --bookmark-interval-ms 200'.split(' '),
    '--kubeconfig-out',
    kubeconfig,
  ];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    output += c;
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    output += c;
  });
  return { child, output: () => output };
}

const STATUS = `{ clusters { name status { ready stale staleSeconds reachable lastError
  kinds { kind connected stale staleSeconds lastError } } } }`;
const SUBSCRIPTION =
  'subscription { clusterStatus { cluster reason live stale status { stale staleSeconds } } }';

describe('a frozen API server (SIGSTOP) and its return (SIGCONT)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-frozen-'));
  let sim: SimProcess | undefined;
  let registry: ClusterRegistry | undefined;
  let gateway: Gateway | undefined;
  let url = '';
  let name = '';
  const subs: Subscription[] = [];

  beforeAll(async () => {
    const kubeconfig = join(dir, 'sim.kubeconfig');
    const running = startSimulatorProcess(kubeconfig);
    sim = running;
    await waitFor(
      () =>
        /listening on https:\/\/127\.0\.0\.1:\d+/.test(running.output()) &&
        /kubeconfig written/.test(running.output()),
      {
        message: 'the simulator process to print its URL and write its kubeconfig',
        timeoutMs: 20_000,
        giveUpIf: () => running.child.exitCode !== null && `it exited ${running.child.exitCode}`,
        observe: () => running.output(),
      },
    );
    const log = gatewayLog();
    registry = new ClusterRegistry({
      hub: new EventHub({ onListenerError: log.onListenerError }),
      sources: [{ type: 'kubeconfig', path: kubeconfig }],
      // Requests give up after 2 s; a watch silent for 1 s (5 bookmarks missed) is dead.
      defaults: { cache: true, pool: { headersTimeoutMs: 2000, bodyTimeoutMs: 2000 } },
      reflector: { livenessMs: 1000, backoff: { initialMs: 50, maxMs: 500 } },
      onError: log.onClusterError,
    });
    registry.start();
    expect(await registry.waitForSync(20_000)).toBe(true);
    [name] = registry.names();
    gateway = createGateway({
      schema: buildSchema(),
      directory: registry,
      auth: createAuthenticator([]),
      metrics: createMetrics(registry),
      settings: settingsFromEnv(),
      logError: log.logError,
    });
    url = await gateway.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    for (const s of subs) s.dispose();
    const child = sim?.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      // Never leave a stopped process behind, whatever failed.
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    await gateway?.close();
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  async function status(): Promise<Json> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: STATUS }),
    });
    const body = (await res.json()) as Json;
    expect(body.errors).toBeUndefined();
    return body.data.clusters.find((c: Json) => c.name === name).status;
  }

  async function readyz(query = ''): Promise<{ status: number; body: string }> {
    const res = await fetch(`${url.replace(/\/graphql$/, '')}/readyz${query}`);
    return { status: res.status, body: await res.text() };
  }

  it('says stale with an age and publishes STALE while frozen, and recovers after', async () => {
    const pid = sim?.child.pid;
    if (pid === undefined) throw new Error('no simulator process');

    // Healthy first (waited for: a loaded machine may have tripped the 1 s liveness once already).
    await waitFor(async () => {
      const s = await status();
      return s.ready && !s.stale && s.staleSeconds === null && s.kinds.every((k: Json) => k.connected);
    }, 'the cluster synced, connected and not stale');
    for (const t of TRANSPORTS) subs.push(subscribe(t, url, SUBSCRIPTION));
    for (const sub of subs) await sub.until('a live event', (s) => s.events.some((e: Json) => e.live));
    expect(await readyz()).toEqual({ status: 200, body: `${name}: synced\n` });
    const marks = subs.map((s) => s.events.length);
    /** Per subscriber, the index of the last STALE event seen while frozen: recovery is looked for after it. */
    const staleMarks = subs.map(() => -1);

    process.kill(pid, 'SIGSTOP');
    try {
      // The watches go silent: liveness stops them, the status says stale, with an age that grows.
      const stale = await waitFor(async () => {
        const s = await status();
        return s.stale && s.staleSeconds >= 2 ? s : undefined;
      }, 'the cluster stale for 2 s or more');
      expect(stale.ready).toBe(true); // still synced: answers come from memory, and say how old
      expect(stale.reachable).toBe(false);
      const silent = stale.kinds.filter((k: Json) => k.stale);
      expect(silent.length).toBeGreaterThan(0);
      for (const k of silent) {
        expect(k.staleSeconds).toBeGreaterThanOrEqual(1);
        expect(k.connected).toBe(false);
      }
      // Every kind's watch was given up as silent (some may have met a timeout of a retry since).
      expect(stale.kinds.map((k: Json) => k.lastError)).toContainEqual(
        expect.stringMatching(/^watch silent for \d+ s \(no event or bookmark\)$/),
      );
      expect(stale.lastError).toMatch(/: (watch silent for \d+ s|connection failed)/);

      for (const [i, sub] of subs.entries()) {
        await sub.until('STALE', (s) => s.events.slice(marks[i]).some((e: Json) => e.reason === 'STALE'));
        const event = sub.events.slice(marks[i]).find((e: Json) => e.reason === 'STALE');
        expect(event).toMatchObject({ cluster: name, live: false, stale: true, status: { stale: true } });
        expect(event.status.staleSeconds).toBeGreaterThanOrEqual(1);
        staleMarks[i] = sub.events.findLastIndex((e: Json) => e.reason === 'STALE');
      }

      const ready = await readyz();
      expect(ready.status).toBe(503);
      expect(ready.body).toMatch(new RegExp(`^${name}: stale \\(\\d+s\\)\\n$`));
      expect((await readyz(`?cluster=${encodeURIComponent(name)}`)).status).toBe(503);
      expect((await readyz('?cluster=no-such-cluster')).status).toBe(404);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // Back: watches resume, the status is current again, and clusterStatus says so.
    await waitFor(async () => {
      const s = await status();
      return (
        !s.stale &&
        s.staleSeconds === null &&
        s.reachable &&
        s.kinds.every((k: Json) => k.connected && !k.stale)
      );
    }, 'the cluster current again after SIGCONT');
    for (const [i, sub] of subs.entries()) {
      await sub.until('live again', (s) => s.events.slice(staleMarks[i]).some((e: Json) => e.live));
      const back = sub.events.slice(staleMarks[i]).find((e: Json) => e.live);
      expect(['CONNECTED', 'RELISTED']).toContain(back.reason);
      expect(back).toMatchObject({
        cluster: name,
        stale: false,
        status: { stale: false, staleSeconds: null },
      });
    }
    await waitFor(async () => (await readyz()).status === 200, '/readyz 200 again');
    expect(await readyz(`?cluster=${encodeURIComponent(name)}`)).toEqual({
      status: 200,
      body: `${name}: synced\n`,
    });
  }, 90_000);
});
