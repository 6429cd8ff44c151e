/**
 * Where a wide answer's service time goes (issue #16), in ONE process: for Q2 and Q3, each
 * timed alternately, medians of every sample:
 *   http   B over loopback HTTP (gateway as the CLI wires it: open auth, metrics, request log);
 *   exec   the same document executed in-process by yoga's executor (@graphql-tools/executor's
 *          normalizedExecutor), no HTTP, no plugins, a fresh context per call;
 *   fetch  the same over yoga's own `fetch` (yoga, its plugins and serialization; no socket);
 *   node   yoga over a bare node HTTP server (no gateway request listener around it);
 *   pre    as node, the body read first and handed to whatwg-node as a string (so it makes
 *          no stream of the request): what reading the body as a stream costs;
 *   raw    a bare node HTTP server in this process answering fetch's last body (what HTTP
 *          alone costs for an answer of that size, over the same agent);
 *   plan   the same by the gateway's planned query executor (src/server/query-executor.ts),
 *          plans kept across calls as the gateway keeps them;
 *   plans  plan with an abort signal, as the gateway's time limit passes one (what checking
 *          it costs);
 *   gqljs  the same by graphql-js's own `execute` (which has no abort signal: the gateway's
 *          time limit needs one, so this is a measurement, not an option);
 *   json   JSON.stringify of exec's result (null-prototype objects);
 *   pjson  JSON.stringify of plan's result (what the gateway serialises);
 *   floor  bench/lib/floor.ts (its data built, then serialised);
 *   fjson  the floor's serialisation alone (of floor's last data);
 *   base   as plan, by the planned executor of another checkout (BASE=DIR, e.g. a git worktree
 *          of the commit before a change; its node_modules linked to this one's): a change
 *          to the executor measured against what it replaces, alternating in one process.
 * http − exec − json is what yoga, the plugins and HTTP add; http − fetch is node's HTTP
 * adapter. Each step's deciles are printed as well: a bimodal http is GC or event-loop turns.
 *
 *   npx tsx bench/wide-breakdown.ts [S|L] [rounds]
 */
import type { AddressInfo } from 'node:net';

process.env.NODE_ENV ??= 'production';
const { mkdirSync, mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
const { Session } = await import('node:inspector/promises');
const { Agent, createServer, request } = await import('node:http');
const { tmpdir } = await import('node:os');
const { join, resolve } = await import('node:path');
const { execute: graphqlExecute, parse } = await import('graphql');
const { normalizedExecutor } = await import('@graphql-tools/executor');
const { EventHub } = await import('../src/kube/event-hub.js');
const { ClusterRegistry } = await import('../src/kube/registry.js');
const { createContext } = await import('../src/loaders/index.js');
const { buildSchema } = await import('../src/schema/index.js');
const { createAuthenticator } = await import('../src/server/auth.js');
const { createGateway } = await import('../src/server/gateway.js');
const { queryPlans } = await import('../src/server/query-executor.js');
const { batchedStdout, createLogger } = await import('../src/server/logger.js');
const { createMetrics } = await import('../src/server/metrics.js');
const { killChildrenOnExit, stopAll } = await import('./lib/children.js');
const { SIZES } = await import('./lib/config.js');
const { createFloor, floorBody } = await import('./lib/floor.js');
const { loadOperations, loadSchema } = await import('./lib/operations.js');
const { median, round } = await import('./lib/stats.js');
const { startUpstream } = await import('./lib/upstream.js');

const [sizeName = 'S', roundsArg = '20'] = process.argv.slice(2);
const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'kubegate-breakdown-'));
killChildrenOnExit();
const upstream = await startUpstream(SIZES[sizeName.toUpperCase()], {
  cwd: root,
  logDir: work,
  workDir: work,
  // CHURN=0 shows what the watch events' work (on the same event loop) adds to the HTTP figure.
  churn: Number(process.env.CHURN ?? 20),
  seed: 1,
});
const registry = new ClusterRegistry({
  hub: new EventHub(),
  sources: [{ type: 'kubeconfig', path: upstream.kubeconfigPath }],
  defaults: { cache: true, identities: false },
});
registry.start();
await registry.waitForSync(900_000);
await Promise.all(registry.list().map((c) => c.waitForSync(900_000, c.mirrored)));
const schema = buildSchema();
const auth = createAuthenticator({});
const gateway = createGateway({
  schema,
  directory: registry,
  auth,
  metrics: createMetrics(registry),
  // As the CLI logs to stdout: in batches (a write per line cost B ~4 % of `{ __typename }`).
  logger: createLogger({ destination: batchedStdout(join(work, 'gateway.log')) }),
});
const url = new URL(await gateway.listen(0, '127.0.0.1'));
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const post = (body: string, to: URL | string = url) =>
  new Promise<void>((done, fail) => {
    const req = request(
      to,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => done());
      },
    );
    req.on('error', fail);
    req.end(body);
  });
// `raw`: the same bytes as yoga's last answer, from a bare node HTTP server.
let rawText = '';
const rawServer = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(rawText));
});
await new Promise<void>((ready) => rawServer.listen(0, '127.0.0.1', ready));
const rawUrl = `http://127.0.0.1:${(rawServer.address() as AddressInfo).port}/`;
// `node`: the same yoga over node's HTTP, without the gateway's own request listener
// (src/server/gateway.ts: probes, Host/Origin checks, the request id) around it.
const yogaServer = createServer((req, res) => void gateway.yoga(req, res));
await new Promise<void>((ready) => yogaServer.listen(0, '127.0.0.1', ready));
const yogaUrl = `http://127.0.0.1:${(yogaServer.address() as AddressInfo).port}/graphql`;
// `pre`: the same, its body read first and handed over as a string (whatwg-node then makes no stream of it).
const preServer = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    (req as unknown as { body: string }).body = Buffer.concat(chunks).toString('utf8');
    void gateway.yoga(req, res);
  });
});
await new Promise<void>((ready) => preServer.listen(0, '127.0.0.1', ready));
// `own`: yoga's `fetch` (as the fetch step) inside a bare node server: the body read, the answer written by hand.
const ownServer = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const r = await gateway.yoga.fetch(url, {
      method: req.method,
      body: Buffer.concat(chunks).toString('utf8'),
      headers: req.headers as Record<string, string>,
    });
    const text = await r.text();
    res.writeHead(r.status, Object.fromEntries(r.headers)).end(text);
  });
});
await new Promise<void>((ready) => ownServer.listen(0, '127.0.0.1', ready));
const ownUrl = `http://127.0.0.1:${(ownServer.address() as AddressInfo).port}/graphql`;
const preUrl = `http://127.0.0.1:${(preServer.address() as AddressInfo).port}/graphql`;
const cluster = registry.list()[0];
const floor = createFloor(cluster);
const principal = await auth.authenticate(new Headers());
const operations = loadOperations(root, loadSchema(root));
const planned = queryPlans();
const based: typeof planned | undefined = process.env.BASE
  ? (await import(join(resolve(process.env.BASE), 'src/server/query-executor.ts'))).queryPlans()
  : undefined;
// IDS=Q2,Q2U: Q2U is Q2 with usage and utilization (issue #14's ratio; its floor is Q2's).
const q2u = {
  id: 'Q2U',
  query: readFileSync(join(root, 'bench/operations/q2u-nodes-usage.graphql'), 'utf8'),
  operationName: 'BenchQ2NodesUsage',
};
for (const id of (process.env.IDS ?? 'Q2,Q3').split(',')) {
  // IDS=T: `{ __typename }`, what every request costs before its fields.
  const op =
    id === 'Q2U'
      ? q2u
      : id === 'T'
        ? { id, query: 'query T { __typename }', operationName: 'T' }
        : operations.find((o) => o.id === id)!;
  let variables: Record<string, unknown> = { cluster: cluster.name };
  const document = parse(op.query);
  const contextValue = () => createContext({ directory: registry, principal });
  const args = () => ({
    schema,
    document,
    variableValues: variables,
    operationName: op.operationName,
    contextValue: contextValue(),
  });
  if (id.startsWith('Q2')) {
    const first = (await normalizedExecutor(args())) as {
      data: { cluster: { nodes: { pageInfo: { hasNextPage: boolean; endCursor: string } } } };
    };
    const info = first.data.cluster.nodes.pageInfo;
    if (info.hasNextPage) variables = { ...variables, twoPages: true, after: info.endCursor };
  }
  const body = JSON.stringify({ query: op.query, variables, operationName: op.operationName });
  const times: Record<string, number[]> = {
    http: [],
    fetch: [],
    fetchh: [],
    raw: [],
    node: [],
    pre: [],
    own: [],
    exec: [],
    plan: [],
    plans: [],
    base: [],
    gqljs: [],
    json: [],
    pjson: [],
    floor: [],
    fjson: [],
  };
  let last: unknown;
  let lastPlan: unknown;
  let lastFloor: unknown;
  const steps: Record<string, () => unknown> = {
    http: () => post(body),
    fetch: async () => {
      const r = await gateway.yoga.fetch(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
      });
      rawText = await r.text();
    },
    // fetch with the headers node's client sends (host, connection, content-length too).
    fetchh: async () => {
      const r = await gateway.yoga.fetch(url, {
        method: 'POST',
        body,
        headers: {
          host: url.host,
          connection: 'keep-alive',
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': String(Buffer.byteLength(body)),
        },
      });
      rawText = await r.text();
    },
    raw: () => post(body, rawUrl),
    node: () => post(body, yogaUrl),
    pre: () => post(body, preUrl),
    own: () => post(body, ownUrl),
    exec: async () => {
      last = await normalizedExecutor(args());
    },
    plan: async () => {
      lastPlan = await planned(args(), normalizedExecutor as never);
    },
    // plan with an abort signal as the gateway's time limit gives one (limits.ts: AbortSignal.any).
    plans: async () => {
      const signal = AbortSignal.any([new AbortController().signal, new AbortController().signal]);
      await planned({ ...args(), signal } as never, normalizedExecutor as never);
    },
    base: async () => {
      if (!based) throw new Error('the step base needs BASE=DIR (another checkout)');
      await based(args(), normalizedExecutor as never);
    },
    gqljs: () => graphqlExecute(args()),
    json: () => JSON.stringify(last),
    pjson: () => JSON.stringify(lastPlan),
    floor: () => {
      lastFloor = id.startsWith('Q2') ? floor.q2(variables) : floor.q3();
      return floorBody(lastFloor);
    },
    fjson: () => floorBody(lastFloor),
  };
  // `ONLY=http` (or exec...) times that step alone; `PROF=DIR` profiles the timed rounds.
  const names = process.env.ONLY ? process.env.ONLY.split(',') : Object.keys(steps);
  for (let r = 0; r < 5; r++) for (const n of names) await steps[n]();
  const rounds = Number(roundsArg);
  /** CPU time of this process (server and client sides, every thread) per step, ms. */
  const cpu: Record<string, number> = {};
  const session = process.env.PROF ? new Session() : undefined;
  // `HEAP_PROF=DIR`: a sampling heap profile of the timed rounds, every allocation sampled
  // (collected ones too): where a request's bytes are allocated, which the young generation's
  // scavenges then cost under load.
  const heapSession = process.env.HEAP_PROF ? new Session() : undefined;
  if (heapSession) {
    heapSession.connect();
    await heapSession.post('HeapProfiler.enable');
    await heapSession.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  for (let r = 0; r < rounds; r++) {
    for (const n of r % 2 ? [...names].reverse() : names) {
      const before = process.cpuUsage();
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await steps[n]();
        times[n].push(performance.now() - t);
      }
      const used = process.cpuUsage(before);
      cpu[n] = (cpu[n] ?? 0) + (used.user + used.system) / 1000;
    }
    await new Promise((r) => setImmediate(r));
  }
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(process.env.PROF!, { recursive: true });
    writeFileSync(join(process.env.PROF!, `${id}-${names.join('+')}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
  if (heapSession) {
    const { profile } = await heapSession.post('HeapProfiler.stopSampling');
    mkdirSync(process.env.HEAP_PROF!, { recursive: true });
    writeFileSync(
      join(process.env.HEAP_PROF!, `${id}-${names.join('+')}.heapprofile`),
      JSON.stringify(profile),
    );
    heapSession.disconnect();
  }
  const m = Object.fromEntries(names.map((n) => [n, round(median(times[n]), 3)]));
  for (const n of names) {
    const xs = [...times[n]].sort((a, b) => a - b);
    process.stdout.write(
      `${id} ${n} q: ${[0.1, 0.25, 0.5, 0.75, 0.9].map((q) => round(xs[Math.floor(q * xs.length)], 2)).join(' ')}; CPU ${round(cpu[n] / xs.length, 3)} ms a call (this process, both sides)\n`,
    );
  }
  process.stdout.write(
    `${id} ${sizeName}: ${names.map((n) => `${n} ${m[n]} ms`).join(', ')}; http/floor ${round(m.http / m.floor, 2)}×, exec/floor ${round(m.exec / m.floor, 2)}×, plan/floor ${round(m.plan / m.floor, 2)}×, gqljs/exec ${round(m.gqljs / m.exec, 2)}${based ? `, plan/base ${round(m.plan / m.base, 3)}` : ''}\n`,
  );
}
agent.destroy();
rawServer.close();
await gateway.close();
await registry.stop();
await stopAll();
process.exit(0);
