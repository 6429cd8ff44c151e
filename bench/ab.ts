/**
 * `npx tsx bench/ab.ts BASE_DIR CHANGE_DIR [S|L|T] [Q2,Q3] [requests] [rounds]`: an A/B of two
 * trees of kubegate (say a `git worktree` of the base commit, with node_modules linked, and
 * the working tree) on ONE simulator (churn 20/s), each gateway in its own process from its
 * own sources. Per operation and round, `requests` requests one at a time to each (the order
 * alternating per round, 20 untimed first): each side's p50 and its CPU per request from
 * /proc, which a busy, shared machine moves much less than latency. It includes the idle
 * watch work of the churn over the round's wall time, alike for both. With LOAD=SECONDS each
 * round is instead that long under 10 connections (autocannon, 1 s warm-up): p50, req/s and
 * CPU per request.
 *
 * Both run from source (tsx): the bench's tsc build is made once per process, from one tree.
 * AB_CHANGE_NODE_OPTIONS="--flag" gives the change side those Node/V8 flags (NODE_OPTIONS):
 * `AB_CHANGE_NODE_OPTIONS=--max-semi-space-size=64 npx tsx bench/ab.ts . . L Q2`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { killChildrenOnExit, stopAll } from './lib/children.js';
import { SIZES } from './lib/config.js';
import { startGateway } from './lib/gateway.js';
import { measureGraphql, timedRequest } from './lib/load.js';
import { processCpuMs } from './lib/machine.js';
import { loadOperations, loadSchema, type OperationId, variablesFor } from './lib/operations.js';
import { secondNodePage } from './lib/size-run.js';
import { median, round } from './lib/stats.js';
import { pickVariables, startUpstream } from './lib/upstream.js';

const [baseDir, changeDir, sizeName = 'L', idsArg = 'Q2,Q3', requestsArg = '200', roundsArg = '4'] =
  process.argv.slice(2);
const size = SIZES[sizeName.toUpperCase()];
if (!baseDir || !changeDir || !size) {
  process.stderr.write(
    'usage: npx tsx bench/ab.ts BASE_DIR CHANGE_DIR [S|L|T] [Q2,Q3] [requests] [rounds]\n',
  );
  process.exit(2);
}
process.env.KUBEGATE_BENCH_FROM_SOURCE = '1';
const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'kubegate-ab-'));
killChildrenOnExit();
try {
  const upstream = await startUpstream(size, { cwd: root, logDir: work, workDir: work, churn: 20, seed: 1 });
  const sides = [];
  for (const [name, dir] of [
    ['base', baseDir],
    ['change', changeDir],
  ] as const) {
    // AB_CHANGE_NODE_OPTIONS: Node/V8 flags for the change side only (NODE_OPTIONS), to
    // measure a flag with the same tree on both sides.
    const nodeOptions = name === 'change' ? process.env.AB_CHANGE_NODE_OPTIONS : undefined;
    const gateway = await startGateway({
      name,
      ...(nodeOptions ? { env: { ...process.env, NODE_OPTIONS: nodeOptions } } : {}),
      kubeconfig: upstream.kubeconfigPath,
      cache: true,
      cwd: resolve(dir),
      logDir: work,
      syncTimeoutMs: 900_000,
    });
    sides.push({
      name,
      gateway,
      p50: new Map<string, number[]>(),
      cpu: new Map<string, number[]>(),
      rps: new Map<string, number[]>(),
    });
  }
  const operations = loadOperations(root, loadSchema(root));
  const picked = await pickVariables(upstream);
  const requests = Number(requestsArg);
  const loadSeconds = Number(process.env.LOAD ?? 0);
  for (const id of idsArg.split(',') as OperationId[]) {
    const op = operations.find((o) => o.id === id);
    if (!op) throw new Error(`no operation ${id}`);
    for (let r = 0; r < Number(roundsArg); r++) {
      for (const side of r % 2 ? [...sides].reverse() : sides) {
        const { gateway } = side;
        const pages = id === 'Q2' ? await secondNodePage(gateway.url, gateway.cluster, () => {}) : {};
        const target = { url: gateway.url, query: op.query };
        const body = JSON.stringify({
          query: op.query,
          operationName: op.operationName,
          variables: { ...variablesFor(id, gateway.cluster, picked), ...pages },
        });
        for (let i = 0; i < 20; i++) await timedRequest(target, body, 60_000);
        const pid = gateway.child.pid;
        const before = processCpuMs(pid) ?? 0;
        let p50: number;
        let done: number;
        if (loadSeconds > 0) {
          const cell = await measureGraphql(
            { ...target, operationName: op.operationName, variables: JSON.parse(body).variables },
            {
              connections: 10,
              durationSeconds: loadSeconds,
              warmupSeconds: 1,
              runs: 1,
              slowThresholdMs: 5_000,
              slowBudgetMs: 10_000,
              requestTimeoutMs: 60_000,
            },
          );
          if (!cell.ok) throw new Error(cell.error);
          p50 = cell.p50Ms;
          done = cell.requests;
          side.rps.set(id, [...(side.rps.get(id) ?? []), cell.rps]);
        } else {
          const times: number[] = [];
          for (let i = 0; i < requests; i++) times.push((await timedRequest(target, body, 60_000)).ms);
          p50 = median(times);
          done = requests;
        }
        // Under load the CPU includes the warm-up's requests; per request it is close enough for an A/B.
        const cpu = ((processCpuMs(pid) ?? 0) - before) / done;
        side.p50.set(id, [...(side.p50.get(id) ?? []), p50]);
        side.cpu.set(id, [...(side.cpu.get(id) ?? []), cpu]);
      }
    }
    for (const side of sides) {
      const p50 = side.p50.get(id) ?? [];
      const cpu = side.cpu.get(id) ?? [];
      const rps = side.rps.get(id) ?? [];
      console.log(
        `${id} ${side.name}: p50 ${round(median(p50), 2)} ms (rounds ${p50.map((x) => round(x, 2)).join(', ')}); ` +
          `CPU per request ${round(median(cpu), 2)} ms (rounds ${cpu.map((x) => round(x, 2)).join(', ')})` +
          (rps.length
            ? `; req/s ${round(median(rps), 1)} (rounds ${rps.map((x) => round(x, 1)).join(', ')})`
            : ''),
      );
    }
  }
} finally {
  await stopAll();
}
console.log(`logs in ${work}`);
