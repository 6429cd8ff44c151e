/** What bench/floor.ts runs (there: the usage), once NODE_ENV is set. */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { EventHub } from '../../src/kube/event-hub.js';
import { ClusterRegistry } from '../../src/kube/registry.js';
import { buildSchema } from '../../src/schema/index.js';
import { createAuthenticator } from '../../src/server/auth.js';
import { createGateway } from '../../src/server/gateway.js';
import { batchedStdout, createLogger } from '../../src/server/logger.js';
import { createMetrics } from '../../src/server/metrics.js';
import { killChildrenOnExit, stopAll } from './children.js';
import { SIZES } from './config.js';
import { createFloor, floorBody } from './floor.js';
import { loadOperations, loadSchema } from './operations.js';
import type { FloorFigures } from './results.js';
import { median, percentile, round } from './stats.js';
import { startUpstream } from './upstream.js';

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const [, value] = argv.splice(i, 2);
  return value;
};
const kubeconfigArg = flag('--kubeconfig');
const only = flag('--only') as 'B' | 'floor' | undefined;
/** `--prof DIR`: a V8 CPU profile of the timed rounds alone, per operation (`DIR/Q2.cpuprofile`...). */
const profDir = flag('--prof');
/**
 * `--ops Q2,Q3,hello`: which to time; `hello` is `{ __typename }`, what every request costs
 * the gateway before any field (HTTP, plugins, context), beside a floor that only stringifies.
 * Q1, Q4 and Q5 have no floor: B alone is timed (for a profile).
 */
const ids = (flag('--ops') ?? 'Q2,Q3').split(',') as FloorFigures['id'][];
/**
 * `--warmup-ms N`: untimed pairs (B, then the floor) for at least this long, and at least 20,
 * before each operation's timed rounds. The timed rounds come right after this process synced
 * every object of the cluster: at size L a heap of ~500 MB just built, which the collector is
 * still marking and sweeping, on the same two cores. Timed at once, B's p50 read 2.46–4.15 ms
 * on Q2 and the floor's 0.93–1.39 ms; B, which allocates more per answer, is slowed more than
 * the floor, so the ratio read high (2.65–2.99× at 300 samples, against 2.36–2.45× at 5,000:
 * bench/results/floor-settle.md).
 */
const warmupMs = Number(flag('--warmup-ms') ?? 5_000);
// The repository: two folders up from bench/lib, or further when this runs from the tsc build
// the bench makes of it (bench/.build/<pid>-floor/bench/lib: see lib/build.ts, floorEntry).
let root = resolve(import.meta.dirname, '../..');
while (!existsSync(join(root, 'schema', 'schema.graphql')) && dirname(root) !== root) root = dirname(root);
const work = mkdtempSync(join(tmpdir(), 'kubegate-floor-'));
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<FloorFigures[]> {
  let kubeconfig = kubeconfigArg;
  let rounds = Number(argv[0] ?? 30);
  if (!kubeconfig) {
    const size = SIZES[(argv[0] ?? 'S').toUpperCase()];
    if (!size) throw new Error(`expected a size (${Object.keys(SIZES).join(', ')}), received ${argv[0]}`);
    rounds = Number(argv[1] ?? 30);
    killChildrenOnExit();
    const upstream = await startUpstream(size, {
      cwd: root,
      logDir: work,
      workDir: work,
      churn: 20,
      seed: 1,
    });
    kubeconfig = upstream.kubeconfigPath;
  }
  const hub = new EventHub();
  const registry = new ClusterRegistry({
    hub,
    sources: [{ type: 'kubeconfig', path: kubeconfig }],
    defaults: { cache: true, identities: false },
  });
  registry.start();
  const started = performance.now();
  if (!(await registry.waitForSync(900_000))) throw new Error('caches not synced within 900 s');
  // Events too (readiness does not wait for them): their first LIST would land in the timed rounds.
  await Promise.all(registry.list().map((c) => c.waitForSync(900_000, c.mirrored)));
  log(`synced in ${Math.round(performance.now() - started)} ms; logs in ${work}`);
  const gateway = createGateway({
    schema: buildSchema(),
    directory: registry,
    auth: createAuthenticator({}),
    metrics: createMetrics(registry),
    // As the CLI logs to stdout: in batches (a write per line cost B ~4 % of `{ __typename }`).
    logger: createLogger({ destination: batchedStdout(join(work, 'gateway.log')) }),
  });
  const url = new URL(await gateway.listen(0, '127.0.0.1'));
  const cluster = registry.list()[0];
  const floor = createFloor(cluster);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  // What HTTP alone costs for an answer: a bare Node server in this process sending the bytes
  // of B's last answer (`rawAnswer`), over the same client. No server answering over HTTP
  // can take less than this plus building the answer, whatever it runs.
  let rawAnswer: Buffer = Buffer.alloc(0);
  const rawServer = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res
        .writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': rawAnswer.length,
        })
        .end(rawAnswer),
    );
  });
  await new Promise<void>((listening) => rawServer.listen(0, '127.0.0.1', listening));
  const rawUrl = new URL(`http://127.0.0.1:${(rawServer.address() as AddressInfo).port}/graphql`);
  /** One POST; resolves with the answer's bytes (read, not decoded: the client costs little). */
  const post = (body: string, to: URL = url) =>
    new Promise<Buffer>((done, fail) => {
      const req = request(
        to,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', accept: 'application/json' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(Buffer.concat(chunks)));
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(body);
    });

  const operations = loadOperations(root, loadSchema(root));
  const figures: FloorFigures[] = [];
  for (const id of ids) {
    const op =
      id === 'hello'
        ? { query: '{ __typename }', operationName: undefined }
        : operations.find((o) => o.id === id)!;
    let variables: Record<string, unknown> = { cluster: cluster.name };
    if (id === 'Q2') {
      const first = JSON.parse(
        (
          await post(JSON.stringify({ query: op.query, variables, operationName: op.operationName }))
        ).toString(),
      );
      const info = first.data.cluster.nodes.pageInfo;
      if (info.hasNextPage) variables = { ...variables, twoPages: true, after: info.endCursor };
    }
    const body = JSON.stringify({ query: op.query, variables, operationName: op.operationName });
    const which = id === 'Q2' || id === 'Q3' || id === 'hello' ? only : 'B';
    const viaFloor = () =>
      floorBody(
        id === 'Q2'
          ? floor.q2(variables as { after?: string; twoPages?: boolean })
          : id === 'Q3'
            ? floor.q3()
            : { __typename: 'Query' },
      );
    // The answers must agree in size (churn may move a count between the two: not exactly equal here;
    // test/bench/floor.test.ts checks equality on a still cluster).
    const answer = await post(body);
    const parsed = JSON.parse(answer.toString());
    if (parsed.errors) throw new Error(`${id}: ${JSON.stringify(parsed.errors).slice(0, 300)}`);
    rawAnswer = answer;
    const b: number[] = [];
    const f: number[] = [];
    const raw: number[] = [];
    const timeB = async () => {
      const t = performance.now();
      await post(body);
      b.push(performance.now() - t);
    };
    const timeRaw = async () => {
      const t = performance.now();
      await post(body, rawUrl);
      raw.push(performance.now() - t);
    };
    const timeFloor = () => {
      const t = performance.now();
      viaFloor();
      f.push(performance.now() - t);
    };
    const warmupEnd = performance.now() + warmupMs;
    for (let i = 0; i < 20 || performance.now() < warmupEnd; i++) {
      await timeB();
      if (which !== 'B') timeFloor();
      if (which !== 'floor') await timeRaw();
      // As between the timed rounds: timers and watch events get their turn.
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    b.length = 0;
    f.length = 0;
    raw.length = 0;
    const perRound = 10;
    const session = profDir ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
    }
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < perRound; i++) {
        if (r % 2 === 0) {
          if (which !== 'floor') await timeB();
          if (which !== 'B') timeFloor();
          if (which !== 'floor') await timeRaw();
        } else {
          if (which !== 'floor') await timeRaw();
          if (which !== 'B') timeFloor();
          if (which !== 'floor') await timeB();
        }
      }
      // Lets timers and watch events in between, as between a page's requests.
      await new Promise((r) => setImmediate(r));
    }
    if (session && profDir) {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(profDir, { recursive: true });
      writeFileSync(join(profDir, `${id}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    }
    const bP50 = b.length ? median(b) : Number.NaN;
    const fP50 = f.length ? median(f) : Number.NaN;
    const row: FloorFigures = {
      id,
      samples: Math.max(b.length, f.length),
      bP50Ms: round(bP50, 3),
      bP99Ms: b.length ? round(percentile(b, 99), 3) : Number.NaN,
      floorP50Ms: round(fP50, 3),
      ratio: round(bP50 / fP50, 2),
      floorRps: Math.round(1000 / fP50),
      responseBytes: answer.length,
      rawHttpP50Ms: raw.length ? round(median(raw), 3) : Number.NaN,
    };
    figures.push(row);
    log(
      `${id}: B p50 ${row.bP50Ms} ms (p99 ${row.bP99Ms}), floor p50 ${row.floorP50Ms} ms: ${row.ratio}× (${row.samples} samples each, ${row.responseBytes} B); a bare server sending the same bytes: p50 ${row.rawHttpP50Ms} ms`,
    );
  }
  agent.destroy();
  rawServer.close();
  await gateway.close();
  await registry.stop();
  return figures;
}

main().then(
  async (figures) => {
    log(`floor-result ${JSON.stringify(figures)}`);
    await stopAll();
    process.exit(0);
  },
  async (err) => {
    process.stderr.write(`floor: ${(err as Error)?.stack ?? String(err)}\n`);
    await stopAll();
    process.exit(1);
  },
);
