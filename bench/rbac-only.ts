/**
 * `npx tsx bench/rbac-only.ts [Q1,...] [few|many] [seconds] [size]`: one or more of R's
 * cells alone (B as an RBAC user, bench/lib/rbac.ts), for working on them: the same
 * simulator, users, bindings and gateway as `npm run bench`, load for `seconds` per
 * operation (default 10) at 10 connections, p50/p99 printed. With
 * KUBEGATE_BENCH_CPU_PROF=DIR the gateway (and the simulator) write CPU profiles to DIR
 * when they stop, so a profile holds only these operations.
 *
 * With OPEN=N an open B (no auth, as the bench's B) runs beside R on the same simulator and
 * each operation is measured N times on each, alternating which goes first; R's p50 over
 * B's is printed per round and as the median, the ratio the bench's R target reads. SEQ=N
 * (with OPEN) then sends N requests one at a time to each, alternating, per round: the
 * service time (p50) and each gateway's CPU per request (/proc), steadier than load on a
 * shared machine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killChildrenOnExit, stopAll } from './lib/children.js';
import { SIZES } from './lib/config.js';
import { startGateway } from './lib/gateway.js';
import { type CellResult, type GraphqlTarget, measureGraphql, timedRequest } from './lib/load.js';
import { processCpuMs } from './lib/machine.js';
import { loadOperations, loadSchema, type OperationId, variablesFor } from './lib/operations.js';
import { answerOf, type RbacVariantId, setUpRbac, writeRbacConfig } from './lib/rbac.js';
import { median } from './lib/stats.js';
import { pickVariables, startUpstream } from './lib/upstream.js';

const args = process.argv.slice(2);
const ids = (args[0] ?? 'Q1').split(',') as OperationId[];
const who = (args[1] ?? 'many') as RbacVariantId;
const seconds = Number(args[2] ?? 10);
const size = SIZES[(args[3] ?? 'S').toUpperCase()];
const rounds = Number(process.env.OPEN ?? 0);
const sequential = Number(process.env.SEQ ?? 0);
if (!size || !['few', 'many'].includes(who)) {
  process.stderr.write('usage: npx tsx bench/rbac-only.ts [Q1,...] [few|many] [seconds] [S|L|T]\n');
  process.exit(2);
}
killChildrenOnExit();
const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'kubegate-rbac-'));
const log = (line: string) => process.stdout.write(`${line}\n`);
try {
  const upstream = await startUpstream(size, { cwd: root, logDir: work, workDir: work, churn: 20, seed: 1 });
  const setup = await setUpRbac(upstream, await pickVariables(upstream), 1_000);
  log(
    `set-up: ${setup.createdNamespaces} namespaces, ${setup.createdBindings} RoleBindings in ${setup.setupMs} ms`,
  );
  const user = setup[who];
  const gw = await startGateway({
    name: 'gateway-R',
    kubeconfig: upstream.kubeconfigPath,
    configFile: writeRbacConfig(work, size.name, upstream.kubeconfigPath, setup),
    token: user.token,
    cache: true,
    cwd: root,
    logDir: work,
    syncTimeoutMs: 900_000,
  });
  log(`gateway synced in ${gw.sync?.firstSyncMs} ms; logs in ${work}`);
  const open = rounds
    ? await startGateway({
        name: 'gateway-B',
        kubeconfig: upstream.kubeconfigPath,
        cache: true,
        cwd: root,
        logDir: work,
        syncTimeoutMs: 900_000,
      })
    : undefined;
  if (open) log(`open gateway synced in ${open.sync?.firstSyncMs} ms`);
  const operations = loadOperations(root, loadSchema(root)).filter((o) => ids.includes(o.id));
  const measure = async (target: Parameters<typeof measureGraphql>[0]) => {
    const cell = await measureGraphql(target, {
      connections: 10,
      durationSeconds: seconds,
      warmupSeconds: 1,
      runs: 1,
      slowThresholdMs: 1_000,
      slowBudgetMs: 10_000,
      requestTimeoutMs: 60_000,
    });
    if (cell.error) log(`  ${cell.error}`);
    return cell;
  };
  for (const op of operations) {
    const target = {
      url: gw.url,
      query: op.query,
      operationName: op.operationName,
      variables: variablesFor(op.id, gw.cluster, setup.variables),
      headers: { authorization: `Bearer ${user.token}` },
    };
    log(
      `${op.id} as ${user.user} (${user.namespaces.length} namespaces) answers ${await answerOf(op.id, target)}`,
    );
    if (!open) {
      const cell = await measure(target);
      log(`${op.id}: p50 ${cell.p50Ms} ms, p99 ${cell.p99Ms} ms, ${cell.rps} req/s`);
      continue;
    }
    const openTarget = {
      url: open.url,
      query: op.query,
      operationName: op.operationName,
      variables: variablesFor(op.id, open.cluster, setup.variables),
    };
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      let r: CellResult;
      let b: CellResult;
      if (round % 2 === 0) {
        r = await measure(target);
        b = await measure(openTarget);
      } else {
        b = await measure(openTarget);
        r = await measure(target);
      }
      const ratio = r.p50Ms !== null && b.p50Ms !== null ? r.p50Ms / b.p50Ms : Number.NaN;
      ratios.push(ratio);
      log(
        `${op.id} round ${round + 1}: R p50 ${r.p50Ms} ms (${r.rps} req/s), B p50 ${b.p50Ms} ms (${b.rps} req/s): R/B ${ratio.toFixed(2)}`,
      );
    }
    log(`${op.id}: median R/B p50 ${median(ratios).toFixed(2)} over ${rounds} rounds`);
    if (sequential > 0) {
      const serial = async (t: GraphqlTarget, pid: number) => {
        const body = JSON.stringify({
          query: t.query,
          operationName: t.operationName,
          variables: t.variables,
        });
        const times: number[] = [];
        const cpu = processCpuMs(pid) ?? Number.NaN;
        for (let i = 0; i < sequential; i++) times.push((await timedRequest(t, body, 60_000)).ms);
        return { p50: median(times), cpuPerRequest: ((processCpuMs(pid) ?? Number.NaN) - cpu) / sequential };
      };
      const p50s: number[] = [];
      const cpus: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const first = round % 2 === 0;
        const a = await serial(first ? target : openTarget, first ? gw.child.pid : open.child.pid);
        const b = await serial(first ? openTarget : target, first ? open.child.pid : gw.child.pid);
        const [r, o] = first ? [a, b] : [b, a];
        p50s.push(r.p50 / o.p50);
        cpus.push(r.cpuPerRequest / o.cpuPerRequest);
        log(
          `${op.id} one at a time, round ${round + 1}: R p50 ${r.p50.toFixed(2)} ms, ${r.cpuPerRequest.toFixed(2)} ms CPU/request; B ${o.p50.toFixed(2)} ms, ${o.cpuPerRequest.toFixed(2)} ms CPU/request`,
        );
      }
      log(
        `${op.id} one at a time: median R/B p50 ${median(p50s).toFixed(2)}, CPU per request ${median(cpus).toFixed(2)}`,
      );
    }
  }
} finally {
  await stopAll();
}
