/**
 * One size, end to end: the simulator in its own process, then each system in turn
 * (never two at once, so none is charged for another's work or upstream traffic), then
 * the derived figures (memory per pod, ratios). A failure is recorded in the size's
 * `errors` and the run goes on; every process of the size is stopped in `finally`.
 */

import { collectionPath } from '../../src/kube/kinds/define.js';
import { CACHE_KINDS, kindOf } from '../../src/kube/kinds.js';
import { loadSource } from '../../src/kube/sources.js';
import { DEFAULT_SUBSCRIPTIONS_PER_PRINCIPAL } from '../../src/server/subscription-limits.js';
import { measureUnderAttack, writeAttackConfig } from './attack.js';
import { floorEntry } from './build.js';
import { type Child, startNodeChild } from './children.js';
import type { BenchConfig } from './config.js';
import { startGateway } from './gateway.js';
import { kubectlEnv, measureKubectl, runKubectl } from './kubectl.js';
import { listFloor } from './list-floor.js';
import { type CellResult, measureGraphql, measureInterleaved } from './load.js';
import { processCpuMs } from './machine.js';
import { HELLO_QUERY, kubectlPlan, type Operation, type OperationId, variablesFor } from './operations.js';
import {
  answerOf,
  RBAC_VARIANTS,
  type RbacFigures,
  type RbacSetup,
  ratiosOverB,
  setUpRbac,
  writeRbacConfig,
} from './rbac.js';
import { measureCompile } from './rbac-compile.js';
import type { FloorFigures, MemoryFigures, Ratios, SizeResult, SyncFigures } from './results.js';
import { measureRevocation } from './revocation.js';
import { measureSocketFloor, openFileLimit } from './socket-floor.js';
import { median, round } from './stats.js';
import {
  describeSlowest,
  measureSubscriptionLatency,
  type SubscriptionFigures,
  type Transport,
} from './subscriptions.js';
import {
  pickJobPod,
  pickVariables,
  podExists,
  type QueryVariables,
  type SizeSpec,
  startUpstream,
  type Upstream,
} from './upstream.js';

export interface SizeContext {
  config: BenchConfig;
  root: string;
  logDir: string;
  workDir: string;
  operations: Operation[];
  subscription: { query: string } | { unavailable: string };
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSize(size: SizeSpec, ctx: SizeContext): Promise<SizeResult> {
  const { config, log } = ctx;
  const result: SizeResult = {
    size,
    simulator: { buildMs: 0, podsAtStart: 0 },
    cluster: '',
    variables: null,
    ceiling: null,
    cells: {},
    kubectlNotes: {},
    sync: null,
    memory: null,
    subscriptions: { available: false, results: [] },
    ratios: {},
    errors: [],
  };
  const children: Child[] = [];
  const opts = { cwd: ctx.root, logDir: ctx.logDir };
  let upstream: Upstream | undefined;
  const record = (what: string, err: unknown) => {
    const message = `${what}: ${(err as Error)?.message ?? String(err)}`;
    result.errors.push(message);
    log(`  ERROR ${message}`);
  };

  try {
    log(
      `size ${size.name}: starting the simulator (${size.nodes} nodes, ${size.pods} pods, ${size.jobs} jobs)`,
    );
    upstream = await startUpstream(size, {
      ...opts,
      workDir: ctx.workDir,
      churn: config.churn,
      seed: config.seed,
    });
    children.push(upstream.child);
    result.simulator = { buildMs: upstream.buildMs, podsAtStart: (await upstream.counters()).pods };
    const variables = await pickVariables(upstream);
    result.variables = variables;
    log(`  variables: ${JSON.stringify(variables)}`);

    const openAnswers: RbacFigures['openAnswers'] = {};
    const rbac = config.systems.includes('R');

    if (config.systems.includes('A')) {
      try {
        const ceiling = startNodeChild(`ceiling-${size.name}`, 'bench/ceiling-server.ts', [], opts);
        children.push(ceiling);
        const [, url] = await ceiling.waitFor(/ceiling listening on (\S+)/, 60_000);
        result.ceiling = await measureGraphql({ url, query: HELLO_QUERY }, config.load);
        log(`  A { hello }: ${describe(result.ceiling)}`);
        await ceiling.stop();
      } catch (err) {
        record('system A', err);
      }
    }

    let noCacheMemory: MemoryFigures['noCache'] = null;
    let cacheMemory: MemoryFigures['cache'] | null = null;
    for (const system of ['B', 'C'] as const) {
      if (!config.systems.includes(system)) continue;
      const cache = system === 'B';
      const start = () =>
        startGateway({
          name: `gateway-${system}-${size.name}`,
          kubeconfig: upstream!.kubeconfigPath,
          cache,
          ...opts,
          syncTimeoutMs: 900_000,
          // The subscribers are one (anonymous) caller: the fan-out row needs more than the default 5,000.
          ...(cache && config.fanout ? { env: subscriberLimitEnv(config.fanout) } : {}),
        });
      try {
        // The floor B's first sync is measured against, right before it on the same simulator.
        const floor = cache ? await measureFloor(upstream.kubeconfigPath, record) : undefined;
        log(`  ${system}: starting kubegate${cache ? '' : ' --no-cache'}`);
        let gw = await start();
        children.push(gw.child);
        result.cluster = gw.cluster;
        if (cache) {
          result.sync = gw.sync && { ...gw.sync, floor };
          log(
            `  B synced in ${gw.sync?.firstSyncMs} ms (peak RSS ${mb(gw.sync?.peakRssDuringSyncBytes)}; floor ${floor?.ms} ms)`,
          );
        }
        await sleep(config.mode === 'full' ? 2_000 : config.mode === 'quick' ? 1_000 : 200);
        const memory = await gw.child.memoryAfterGc().catch((err) => {
          record(`${system} memory`, err);
          return null;
        });
        if (cache) cacheMemory = memory;
        else noCacheMemory = memory;
        const cells: Partial<Record<OperationId, CellResult>> = {};
        result.cells[system] = cells;
        for (const op of ctx.operations) {
          if (!gw.child.alive()) {
            record(
              `${system} before ${op.id}`,
              new Error(`the gateway had exited; restarted it:\n${gw.child.tail(10)}`),
            );
            gw = await start();
            children.push(gw.child);
          }
          const vars = () => variablesFor(op.id, gw.cluster, variables);
          const extra = op.id === 'Q2' ? await secondNodePage(gw.url, gw.cluster, record) : {};
          const target = () => ({
            url: gw.url,
            query: op.query,
            operationName: op.operationName,
            variables: { ...vars(), ...extra },
          });
          const cell = await withLivePod(op.id, upstream, variables, async () => {
            // What the open gateway answers, for R's report to set its users' answers beside.
            if (cache && rbac) openAnswers[op.id] = await answerOf(op.id, target());
            return measureGraphql(target(), config.load, upstream);
          });
          if (!gw.child.alive())
            cell.error = `${cell.error ? `${cell.error}; ` : ''}the gateway exited during the measurement`;
          cells[op.id] = cell;
          log(`  ${system} ${op.id}: ${describe(cell)}`);
          if (!cell.ok && gw.child.alive()) {
            // A request that failed (a timeout, say) may still be running in the gateway:
            // the next operation gets a fresh process rather than its leftovers.
            await gw.child.stop();
            gw = await start();
            children.push(gw.child);
          }
        }
        if (cache && config.systems.includes('A') && cells.Q1?.ok) {
          try {
            result.q1Pairs = null;
            result.q1Pairs = await q1Pairs(gw, ctx, opts, children, log);
          } catch (err) {
            record('Q1 B/A in pairs', err);
          }
        }
        if (cache) await runSubscriptions(result, gw, upstream, ctx);
        await gw.child.stop();
      } catch (err) {
        record(`system ${system}`, err);
      }
      if (cache) {
        // With B's own process stopped: B again beside the floor, in a process of their own.
        try {
          result.floor = null;
          result.floor = await runFloor(size.name, upstream, children, ctx);
          for (const f of result.floor)
            log(
              `  floor ${f.id}: B p50 ${f.bP50Ms} ms, floor p50 ${f.floorP50Ms} ms = ${f.ratio}×; a bare server sending the same bytes: p50 ${f.rawHttpP50Ms} ms`,
            );
        } catch (err) {
          record('B beside the floor', err);
        }
      }
      if (cache && config.attack) {
        try {
          result.attack = await runAttacks(size.name, upstream, variables, children, ctx);
        } catch (err) {
          record('B under attack', err);
        }
      }
    }

    if (config.systems.includes('D')) {
      try {
        const env = kubectlEnv(upstream.kubeconfigPath, `${ctx.workDir}/kubectl-${size.name}`);
        // Warm the discovery cache once, as a dashboard's long-lived HOME would have it.
        await runKubectl(env, ['get', 'namespaces', '-o', 'name'], config.kubectlTimeoutMs);
        const cells: Partial<Record<OperationId, CellResult>> = {};
        result.cells.D = cells;
        for (const op of ctx.operations) {
          const plan = kubectlPlan(op.id, variables);
          if (!plan) continue;
          cells[op.id] = await withLivePod(op.id, upstream, variables, () => {
            const current = kubectlPlan(op.id, variables)!;
            result.kubectlNotes[op.id] = current.note;
            return measureKubectl(
              env,
              current.invocations,
              {
                runs: config.kubectlRuns,
                budgetMs: config.kubectlBudgetMs,
                timeoutMs: config.kubectlTimeoutMs,
                note: current.note,
              },
              upstream,
            );
          });
          log(`  D ${op.id}: ${describe(cells[op.id]!)}`);
        }
      } catch (err) {
        record('system D', err);
      }
    }

    if (rbac) {
      // Last, so that its namespaces and bindings (written just before its gateway starts)
      // are not in the cluster the other systems were measured on.
      result.rbac = null;
      try {
        const setup = await setUpRbac(upstream, variables, config.rbac.manyNamespaces);
        log(
          `  R set-up: ${setup.createdNamespaces} namespaces and ${setup.createdBindings} RoleBindings written in ${setup.setupMs} ms (bench-few in ${setup.few.namespaces.join(', ')}; bench-many in ${setup.many.namespaces.length})`,
        );
        result.rbac = await runRbac(size.name, upstream, setup, openAnswers, result, children, ctx);
      } catch (err) {
        record('system R', err);
      }
    }

    const pods = (await upstream.counters()).pods;
    if (cacheMemory) result.memory = memoryFigures(pods, cacheMemory, noCacheMemory);
    result.ratios = ratios(result);
  } catch (err) {
    record(`size ${size.name}`, err);
  } finally {
    for (const c of children.reverse()) await c.stop();
  }
  return result;
}

/**
 * B once more, with auth configured (the unauthenticated class needs a gateway that
 * authenticates), for the honest client's Q5 alone and under each attack class.
 */
/**
 * The bare client's pass over every LIST the gateway's first sync makes (lib/list-floor.ts:
 * the kinds a cluster with the cache mirrors, in the order it lists them), in this process;
 * null when it fails. B's figure is "listening → every informer synced", so its floor is
 * every one of those LISTs, not the pods' alone (which are ~94 % of the bytes at L; kept
 * beside it as `pods`).
 */
export async function measureFloor(
  kubeconfigPath: string,
  record: (what: string, err: unknown) => void,
): Promise<NonNullable<SyncFigures['floor']> | null> {
  const spec = loadSource({ type: 'kubeconfig', path: kubeconfigPath }, { cache: true })[0];
  try {
    const total = { ms: 0, pages: 0, bytes: 0, parseMs: 0 };
    let pods: typeof total | undefined;
    for (const kind of CACHE_KINDS) {
      const { ms, pages, bytes, parseMs } = await listFloor(
        spec.kubeconfig,
        collectionPath(kindOf(kind)),
        500,
      );
      total.ms += ms;
      total.pages += pages;
      total.bytes += bytes;
      total.parseMs += parseMs;
      if (kind === 'Pod') pods = { ms, pages, bytes, parseMs };
    }
    return { ...total, kinds: [...CACHE_KINDS], ...(pods ? { pods } : {}) };
  } catch (err) {
    record('sync floor', err);
    return null;
  } finally {
    await spec.kubeconfig.closePool();
  }
}

async function runAttacks(
  size: string,
  upstream: Upstream,
  variables: QueryVariables,
  children: Child[],
  ctx: SizeContext,
): Promise<SizeResult['attack']> {
  const { config, log } = ctx;
  const op = ctx.operations.find((o) => o.id === 'Q5');
  if (!op) throw new Error('Q5 is not among the operations');
  const auth = writeAttackConfig(ctx.workDir, size, upstream.kubeconfigPath);
  log('  B under attack: starting kubegate with auth (two tokens: honest, attacker)');
  const gw = await startGateway({
    name: `gateway-B-attack-${size}`,
    kubeconfig: upstream.kubeconfigPath,
    configFile: auth.path,
    token: auth.honestToken,
    cache: true,
    cwd: ctx.root,
    logDir: ctx.logDir,
    syncTimeoutMs: 900_000,
  });
  children.push(gw.child);
  try {
    await sleep(config.mode === 'full' ? 2_000 : 1_000);
    return await measureUnderAttack({
      url: gw.url,
      cluster: gw.cluster,
      hostileToken: auth.hostileToken,
      operation: op.id,
      setup:
        'kubegate with caches and `auth.tokens` (the honest client and the attacker each with a token of their own), default limits',
      load: config.load,
      cwd: ctx.root,
      logDir: ctx.logDir,
      sizeName: size,
      gatewayPid: gw.child.pid,
      log,
      measure: () =>
        withLivePod(op.id, upstream, variables, () =>
          measureGraphql(
            {
              url: gw.url,
              query: op.query,
              operationName: op.operationName,
              variables: variablesFor(op.id, gw.cluster, variables),
              headers: { authorization: `Bearer ${auth.honestToken}` },
            },
            config.load,
            upstream,
          ),
        ),
    });
  } finally {
    await gw.child.stop();
  }
}

/**
 * System R: B as RBAC users (bench/lib/rbac.ts), Q1–Q5 with each user's token on a gateway
 * that mirrors the cluster's RBAC, set beside B's cells; then the revocation delay on the
 * same gateway; then, with the gateway stopped, the access-set compile time.
 */
async function runRbac(
  size: string,
  upstream: Upstream,
  setup: RbacSetup,
  openAnswers: RbacFigures['openAnswers'],
  result: SizeResult,
  children: Child[],
  ctx: SizeContext,
): Promise<RbacFigures> {
  const { config, log } = ctx;
  const figures: RbacFigures = {
    fewNamespaces: setup.few.namespaces,
    manyNamespaces: setup.many.namespaces.length,
    createdNamespaces: setup.createdNamespaces,
    createdBindings: setup.createdBindings,
    setupMs: setup.setupMs,
    sync: null,
    openAnswers,
    variants: [],
    compile: null,
    revocation: null,
  };
  const record = (what: string, err: unknown) => {
    const message = `${what}: ${(err as Error)?.message ?? String(err)}`;
    result.errors.push(message);
    log(`  ERROR ${message}`);
  };
  const start = () =>
    startGateway({
      name: `gateway-R-${size}`,
      kubeconfig: upstream.kubeconfigPath,
      configFile: writeRbacConfig(ctx.workDir, size, upstream.kubeconfigPath, setup),
      token: setup.many.token,
      cache: true,
      cwd: ctx.root,
      logDir: ctx.logDir,
      syncTimeoutMs: 900_000,
    });
  log(
    `  R: starting kubegate with auth.tokens as RBAC identities (bench-few: ${setup.few.namespaces.length} namespaces, bench-many: ${setup.many.namespaces.length})`,
  );
  let gw = await start();
  children.push(gw.child);
  figures.sync = gw.sync;
  log(`  R synced in ${gw.sync?.firstSyncMs} ms (RBAC kinds included)`);
  // The open B the ratios are taken over, up beside R on the same simulator (the same
  // namespaces, bindings and churn), each operation measured on both in turn: B's own cells
  // ran tens of minutes earlier, on a cluster without R's 1,000 namespaces, on a machine
  // whose speed had moved since (bench/rbac-only.ts with OPEN=N measures the same way).
  let open: Awaited<ReturnType<typeof startGateway>> | undefined;
  try {
    open = await startGateway({
      name: `gateway-B-beside-R-${size}`,
      kubeconfig: upstream.kubeconfigPath,
      cache: true,
      cwd: ctx.root,
      logDir: ctx.logDir,
      syncTimeoutMs: 900_000,
    });
    children.push(open.child);
    figures.openCells = {};
    log(`  B beside R synced in ${open.sync?.firstSyncMs} ms`);
  } catch (err) {
    record('the open B beside R (ratios fall back to B’s own cells)', err);
  }
  try {
    await sleep(config.mode === 'full' ? 2_000 : config.mode === 'quick' ? 1_000 : 200);
    const variables = setup.variables;
    for (const id of RBAC_VARIANTS) {
      const user = setup[id];
      figures.variants.push({
        id,
        user: user.user,
        namespaces: user.namespaces.length,
        cells: {},
        answers: {},
        overB: {},
      });
    }
    for (const op of ctx.operations) {
      if (!gw.child.alive()) {
        record(`R before ${op.id}`, new Error(`the gateway had exited; restarted it:\n${gw.child.tail(10)}`));
        gw = await start();
        children.push(gw.child);
      }
      const measureOn = async (url: string, cluster: string, headers: Record<string, string>) => {
        const extra = op.id === 'Q2' ? await secondNodePage(url, cluster, record, headers) : {};
        return () => ({
          url,
          query: op.query,
          operationName: op.operationName,
          variables: { ...variablesFor(op.id, cluster, variables), ...extra },
          headers,
        });
      };
      // B beside R and each caller, run by run in turn (lib/load.ts measureInterleaved).
      const callers = RBAC_VARIANTS.map((id) => ({ id, user: setup[id] }));
      const beside = open?.child.alive() && figures.openCells ? open : undefined;
      const targets = [
        ...(beside ? [await measureOn(beside.url, beside.cluster, {})] : []),
        ...(await Promise.all(
          callers.map(({ user }) => measureOn(gw.url, gw.cluster, { authorization: `Bearer ${user.token}` })),
        )),
      ];
      const cells = await withLivePod(
        op.id,
        upstream,
        variables,
        async () => {
          for (const [i, { id }] of callers.entries()) {
            const variant = figures.variants.find((v) => v.id === id)!;
            variant.answers[op.id] = await answerOf(op.id, targets[targets.length - callers.length + i]());
          }
          return measureInterleaved(targets, config.load, upstream);
        },
        variables.pod.namespace,
        (measured) => measured.every((c) => c.ok && !c.error),
      );
      if (beside && figures.openCells) {
        figures.openCells[op.id] = cells[0];
        log(`  B beside R ${op.id}: ${describe(cells[0])}`);
      }
      for (const [i, { id }] of callers.entries()) {
        const cell = cells[cells.length - callers.length + i];
        if (!gw.child.alive())
          cell.error = `${cell.error ? `${cell.error}; ` : ''}the gateway exited during the measurement`;
        figures.variants.find((v) => v.id === id)!.cells[op.id] = cell;
      }
      for (const variant of figures.variants) {
        const cell = variant.cells[op.id];
        variant.overB[op.id] = ratiosOverB(cell, figures.openCells?.[op.id] ?? result.cells.B?.[op.id]);
        if (cell)
          log(
            `  R ${variant.id} ${op.id}: ${describe(cell)}; p50 ${variant.overB[op.id]?.p50 ?? 'n/a'}× B; answered ${variant.answers[op.id]}`,
          );
      }
    }
    // Nothing else runs while revocation and compileAccess are timed.
    await open?.child.stop();
    figures.revocation = await measureRevocation({
      url: gw.url,
      cluster: gw.cluster,
      upstream,
      user: setup.revoked.user,
      token: setup.revoked.token,
      namespace: setup.revoked.namespace,
      runsPerTransport: config.rbac.revocationRuns,
      log,
    });
    if (figures.revocation.error) record('R revocation', new Error(figures.revocation.error));
  } finally {
    await open?.child.stop();
    await gw.child.stop();
  }
  // With the gateway stopped, nothing else runs while compileAccess is timed.
  figures.compile = await measureCompile({
    kubeconfig: upstream.kubeconfigPath,
    upstream,
    users: [
      { variant: 'few', user: setup.few.user },
      { variant: 'many', user: setup.many.user },
    ],
    namespaces: setup.many.namespaces,
    otherBindings: config.rbac.otherBindings,
    runs: config.rbac.compileRuns,
    budgetMs: config.rbac.compileBudgetMs,
    log,
  });
  if (figures.compile.error) record('R compile time', new Error(figures.compile.error));
  return figures;
}

/**
 * Q1 B/A in alternating pairs (issue #16's "Throughput" target), with B's gateway up and the
 * ceiling started again beside it: A, B, then B, A, ... so that whatever else the machine
 * does charges both sides of a pair alike (bench/q1-ratio.ts, measured the same way, also
 * reports CPU per request). The median of the pairs' ratios by requests/s (the target), and
 * of their CPU per request (A's over B's), which the machine's neighbours move much less.
 */
async function q1Pairs(
  gw: { url: string; cluster: string; child: Child },
  ctx: SizeContext,
  opts: { cwd: string; logDir: string },
  children: Child[],
  log: (line: string) => void,
): Promise<NonNullable<SizeResult['q1Pairs']>> {
  const pairs = ctx.config.mode === 'full' ? 6 : ctx.config.mode === 'quick' ? 3 : 1;
  // 4 s windows at L read A anywhere from 870 to 1,944 req/s within one run (whatever else the
  // machine did fell in some windows and not others): 10 s per side in a full run.
  const secondsEach = ctx.config.mode === 'full' ? 10 : ctx.config.mode === 'quick' ? 2 : 1;
  const q1 = ctx.operations.find((o) => o.id === 'Q1');
  if (!q1) throw new Error('Q1 is not among the operations');
  const ceiling = startNodeChild('ceiling-q1-pairs', 'bench/ceiling-server.ts', [], opts);
  children.push(ceiling);
  try {
    const [, aUrl] = await ceiling.waitFor(/ceiling listening on (\S+)/, 60_000);
    const settings = { ...ctx.config.load, durationSeconds: secondsEach, warmupSeconds: 1, runs: 1 };
    // Each side's CPU per request (/proc, its whole process) beside its rate: on a shared
    // machine the rates of one pair's two windows move with the neighbours (A from 2,505 to
    // 6,114 req/s within two minutes of one run), what a request costs much less.
    const rate = async (pid: number, target: Parameters<typeof measureGraphql>[0]) => {
      const before = processCpuMs(pid);
      const cell = await measureGraphql(target, settings);
      const after = processCpuMs(pid);
      if (!cell.ok || !cell.rps) throw new Error(cell.error ?? 'no requests answered');
      const cpuUs =
        before === null || after === null
          ? undefined
          : ((after - before) * 1000) / Math.max(1, cell.requests);
      return { rps: cell.rps, cpuUs };
    };
    const a = () => rate(ceiling.pid, { url: aUrl, query: HELLO_QUERY });
    const b = () =>
      rate(gw.child.pid, {
        url: gw.url,
        query: q1.query,
        operationName: q1.operationName,
        variables: { cluster: gw.cluster },
      });
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let i = 0; i < pairs; i++) {
      const [ra, rb] = i % 2 === 0 ? [await a(), await b()] : [undefined, await b()];
      const rA = ra ?? (await a());
      ratios.push(round(rb.rps / rA.rps, 3));
      const cpu = rA.cpuUs !== undefined && rb.cpuUs ? round(rA.cpuUs / rb.cpuUs, 3) : undefined;
      if (cpu !== undefined) cpuRatios.push(cpu);
      log(
        `  Q1 B/A pair ${i}: A ${rA.rps} req/s (${round(rA.cpuUs ?? Number.NaN, 0)} µs CPU/request), ` +
          `B ${rb.rps} req/s (${round(rb.cpuUs ?? Number.NaN, 0)} µs CPU/request) = ${round(rb.rps / rA.rps, 2)} by rate, ${cpu === undefined ? 'n/a' : round(cpu, 2)} by CPU`,
      );
    }
    return {
      ratios,
      median: round(median(ratios), 3),
      secondsEach,
      ...(cpuRatios.length === ratios.length ? { cpuRatios, cpuMedian: round(median(cpuRatios), 3) } : {}),
    };
  } finally {
    await ceiling.stop();
  }
}

/**
 * bench/floor.ts on this size's simulator: B's single-request service time on Q2 and Q3
 * and their floor, alternating in one process (issue #16), and on `{ __typename }`.
 */
async function runFloor(size: string, upstream: Upstream, children: Child[], ctx: SizeContext) {
  // 1,000 samples each in a full run, after floor-run.ts's warm-up: 300 were over in 1.5 s at
  // size L, and read one moment of the process (bench/results/floor-settle.md).
  const rounds = ctx.config.mode === 'full' ? 100 : ctx.config.mode === 'quick' ? 10 : 2;
  const { entry, nodeArgs } = floorEntry(ctx.root);
  const child = startNodeChild(
    `floor-${size}`,
    entry,
    // `hello` ({ __typename }): what every request costs before its fields, to read Q2's and Q3's by.
    [
      ...['--kubeconfig', upstream.kubeconfigPath, String(rounds), '--ops', 'Q2,Q3,hello'],
      ...[
        '--warmup-ms',
        String(ctx.config.mode === 'full' ? 5_000 : ctx.config.mode === 'quick' ? 1_000 : 0),
      ],
    ],
    { cwd: ctx.root, logDir: ctx.logDir },
    nodeArgs,
  );
  children.push(child);
  try {
    const [, json] = await child.waitFor(/floor-result (.*)/, 1_800_000);
    return JSON.parse(json) as FloorFigures[];
  } finally {
    await child.stop();
  }
}

/**
 * Q5 names one pod, and churn or the job controller may delete it: the pod is picked
 * again (and the caches given a moment to see it) when it is gone before or during a
 * measurement, up to three attempts; within `namespace` when given (an RBAC user's).
 */
async function withLivePod<T = CellResult>(
  id: OperationId,
  upstream: Upstream,
  variables: QueryVariables,
  measure: () => Promise<T>,
  namespace?: string,
  succeeded: (measured: T) => boolean = (c) => (c as CellResult).ok && !(c as CellResult).error,
): Promise<T> {
  if (id !== 'Q5') return measure();
  let measured: T | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt > 0 || !(await podExists(upstream, variables.pod))) {
      variables.pod = await pickJobPod(upstream, namespace);
      await sleep(1_000);
    }
    measured = await measure();
    if (succeeded(measured)) return measured;
    if (await podExists(upstream, variables.pod)) return measured;
  }
  return measured!;
}

/** Q2's second page: the first page's end cursor, read from the system about to be measured. */
export async function secondNodePage(
  url: string,
  cluster: string,
  record: (what: string, err: unknown) => void,
  headers: Record<string, string> = {},
): Promise<{ twoPages: boolean; after?: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      query:
        'query($cluster: String!) { cluster(name: $cluster) { nodes(first: 500) { totalCount pageInfo { hasNextPage endCursor } } } }',
      variables: { cluster },
    }),
  });
  const body = (await res.json()) as {
    data?: {
      cluster?: { nodes?: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    };
  };
  const nodes = body.data?.cluster?.nodes;
  if (!nodes) return { twoPages: false };
  if (nodes.totalCount > 1000)
    record('Q2', new Error(`covers 1,000 of ${nodes.totalCount} nodes (two pages of 500)`));
  return nodes.pageInfo.hasNextPage
    ? { twoPages: true, after: nodes.pageInfo.endCursor }
    : { twoPages: false };
}

async function runSubscriptions(
  result: SizeResult,
  gateway: { url: string; cluster: string; child: Child },
  upstream: Upstream,
  ctx: SizeContext,
): Promise<void> {
  const { url, cluster } = gateway;
  const cpuMs = () => processCpuMs(gateway.child.proc.pid);
  if ('unavailable' in ctx.subscription) {
    result.subscriptions = { available: false, reason: ctx.subscription.unavailable, results: [] };
    ctx.log(`  subscriptions: not available (${ctx.subscription.unavailable})`);
    return;
  }
  result.subscriptions = { available: true, results: [] };
  // Every count with one identical operation (tabs of one live page, which share a relay
  // and an execution per event), then the largest with an operation per subscriber.
  const most = Math.max(...ctx.config.subscribers);
  const plan = [
    ...ctx.config.subscribers.map((subscribers) => ({ subscribers, distinct: false })),
    ...(most > 1 ? [{ subscribers: most, distinct: true }] : []),
  ];
  for (const transport of ['sse', 'ws'] as Transport[]) {
    for (const { subscribers, distinct } of plan) {
      const figures = await measureSubscriptionLatency({
        url,
        query: ctx.subscription.query,
        cluster,
        upstream,
        transport,
        subscribers,
        events: ctx.config.subscriptionEvents,
        eventTimeoutMs: 5_000,
        distinct,
        cpuMs,
      });
      result.subscriptions.results.push(figures);
      ctx.log(
        `  subscriptions ${transport} ×${subscribers}${distinct ? ' (distinct operations)' : ''}: p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms (${figures.samples} samples, ${figures.lost} lost)${figures.slowestEvent ? `; ${describeSlowest(figures.slowestEvent)}` : ''}${figures.error ? `; ${figures.error}` : ''}`,
      );
    }
  }
  if (ctx.config.fanout > 0)
    result.subscriptions.results.push(await fanoutRow(url, cluster, upstream, ctx, cpuMs));
}

/**
 * The WebSocket fan-out row: N subscribers of one identical operation, between two
 * measurements of the machine's floor for N sockets, so the row is read as a ratio over
 * a floor of the same moment (the machine is shared).
 */
async function fanoutRow(
  url: string,
  cluster: string,
  upstream: Upstream,
  ctx: SizeContext,
  cpuMs: () => number | null,
): Promise<SubscriptionFigures> {
  const n = ctx.config.fanout;
  const base = {
    transport: 'ws' as const,
    subscribers: n,
    fanout: true as const,
    connected: 0,
    events: ctx.config.subscriptionEvents,
  };
  const limit = openFileLimit();
  if (limit !== undefined && limit < n + 1_000) {
    const error = `needs an open-file limit (ulimit -n) of at least ${n + 1_000} for ${n} sockets per process, have ${limit}`;
    ctx.log(`  subscriptions ws ×${n} (fan-out): not run: ${error}`);
    return { ...base, samples: 0, lost: 0, p50Ms: Number.NaN, p99Ms: Number.NaN, error };
  }
  const before = await measureSocketFloor(n);
  const figures = await measureSubscriptionLatency({
    url,
    query: (ctx.subscription as { query: string }).query,
    cluster,
    upstream,
    transport: 'ws',
    subscribers: n,
    events: ctx.config.subscriptionEvents,
    eventTimeoutMs: 30_000,
    cpuMs,
  });
  const after = await measureSocketFloor(n);
  const floorMs = round(median([...before.rounds, ...after.rounds]));
  ctx.log(
    `  subscriptions ws ×${n} (fan-out): p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms (${figures.samples} samples, ${figures.lost} lost); floor ${floorMs} ms (${fmtRatio(figures.p99Ms / floorMs)}×)${figures.slowestEvent ? `; ${describeSlowest(figures.slowestEvent)}` : ''}${figures.error ? `; ${figures.error}` : ''}`,
  );
  return { ...figures, fanout: true, floorMs };
}

/** The gateway's environment with room for `subscribers` subscriptions of one caller. */
export function subscriberLimitEnv(subscribers: number): NodeJS.ProcessEnv {
  const limit = Math.max(DEFAULT_SUBSCRIPTIONS_PER_PRINCIPAL, subscribers + 1_000);
  return { ...process.env, KUBEGATE_SUBSCRIPTIONS_PER_PRINCIPAL: String(limit) };
}

function fmtRatio(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : 'n/a';
}

function memoryFigures(
  pods: number,
  cache: MemoryFigures['cache'],
  noCache: MemoryFigures['noCache'],
): MemoryFigures {
  const per10k = (bytes: number) => Math.round((bytes / pods) * 10_000);
  return {
    pods,
    cache,
    noCache,
    rssPer10kPodsBytes: per10k(cache.rss),
    heapPer10kPodsBytes: per10k(cache.heapUsed),
    cacheHeapPerPodBytes: noCache ? Math.round((cache.heapUsed - noCache.heapUsed) / pods) : null,
    totalHeapPerPodBytes: Math.round(cache.heapUsed / pods),
  };
}

function ratios(result: SizeResult): SizeResult['ratios'] {
  const out: SizeResult['ratios'] = {};
  const ok = (c?: CellResult | null) => (c?.ok && !c.error ? c : undefined);
  const ratio = (a?: number, b?: number) =>
    a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0
      ? round(a / b, 2)
      : null;
  for (const id of ['Q1', 'Q2', 'Q3', 'Q4', 'Q5'] as OperationId[]) {
    const a = ok(result.ceiling);
    const b = ok(result.cells.B?.[id]);
    const c = ok(result.cells.C?.[id]);
    const d = ok(result.cells.D?.[id]);
    const r: Ratios = {
      BoverA_rps: ratio(b?.rps, a?.rps),
      CoverB_p50: ratio(c?.p50Ms, b?.p50Ms),
      BoverC_rps: ratio(b?.rps, c?.rps),
      DoverB_p50: ratio(d?.p50Ms, b?.p50Ms),
    };
    out[id] = r;
  }
  return out;
}

function mb(bytes: number | null | undefined): string {
  return bytes == null ? '?' : `${Math.round(bytes / 1048576)} MB`;
}

export function describe(cell: CellResult): string {
  if (!cell.ok) return `FAILED: ${cell.error}`;
  return `p50 ${cell.p50Ms} ms, p99 ${cell.p99Ms} ms, ${cell.rps} req/s (${cell.mode}, ${cell.requests} requests)${
    cell.upstream ? `, upstream ${cell.upstream.requestsPerOp} req/op ${cell.upstream.bytesPerOp} B/op` : ''
  }${cell.error ? `; ERROR ${cell.error}` : ''}`;
}
