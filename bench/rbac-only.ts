/**
 * `npx tsx bench/rbac-only.ts [Q1,...] [few|many] [seconds] [size]`: one or more of R's
 * cells alone (B as an RBAC user, bench/lib/rbac.ts), for working on them: the same
 * simulator, users, bindings and gateway as `npm run bench`, load for `seconds` per
 * operation (default 10) at 10 connections, p50/p99 printed. With
 * KUBEGATE_BENCH_CPU_PROF=DIR the gateway (and the simulator) write CPU profiles to DIR
 * when they stop, so a profile holds only these operations.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killChildrenOnExit, stopAll } from './lib/children.js';
import { SIZES } from './lib/config.js';
import { startGateway } from './lib/gateway.js';
import { measureGraphql } from './lib/load.js';
import { loadOperations, loadSchema, type OperationId, variablesFor } from './lib/operations.js';
import { answerOf, type RbacVariantId, setUpRbac, writeRbacConfig } from './lib/rbac.js';
import { pickVariables, startUpstream } from './lib/upstream.js';

const args = process.argv.slice(2);
const ids = (args[0] ?? 'Q1').split(',') as OperationId[];
const who = (args[1] ?? 'many') as RbacVariantId;
const seconds = Number(args[2] ?? 10);
const size = SIZES[(args[3] ?? 'S').toUpperCase()];
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
  const operations = loadOperations(root, loadSchema(root)).filter((o) => ids.includes(o.id));
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
    const cell = await measureGraphql(target, {
      connections: 10,
      durationSeconds: seconds,
      warmupSeconds: 1,
      runs: 1,
      slowThresholdMs: 1_000,
      slowBudgetMs: 10_000,
      requestTimeoutMs: 60_000,
    });
    log(
      `${op.id}: p50 ${cell.p50Ms} ms, p99 ${cell.p99Ms} ms, ${cell.rps} req/s${cell.error ? `; ${cell.error}` : ''}`,
    );
  }
} finally {
  await stopAll();
}
