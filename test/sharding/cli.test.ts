/**
 * --shard through the real CLI process: a replica given four kubeconfig clusters serves the
 * ones its shard owns, says so when it starts, answers WRONG_SHARD for the others; a bad
 * --shard exits 2 saying what was expected.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownerOf } from '../../src/kube/shard.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { type CliProcess, printed, startCli } from '../helpers/cli-process.js';
import { recordSecret } from '../helpers/test-log.js';

const NAMES = ['fleet-a', 'fleet-b', 'fleet-c', 'fleet-d'];
let sims: Simulator[] = [];
let config: string;
const running: CliProcess[] = [];

beforeAll(async () => {
  sims = await Promise.all(
    NAMES.map(() =>
      startSimulator({ churnPerSecond: 0, scenario: { nodes: 1, pods: 2, jobs: 0, namespaces: 1 } }),
    ),
  );
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-shard-'));
  const files = sims.map((sim, i) => {
    recordSecret(sim.adminToken, 'simulator admin token');
    const file = join(dir, `${NAMES[i]}.kubeconfig`);
    writeFileSync(file, sim.kubeconfig({ context: NAMES[i] }));
    return file;
  });
  config = join(dir, 'kubegate.yaml');
  writeFileSync(config, `clusters:\n${files.map((f) => `  - kubeconfig: ${f}\n`).join('')}`);
}, 60_000);

afterAll(async () => {
  for (const cli of running) cli.child.kill('SIGKILL');
  await Promise.all(sims.map((s) => s.close()));
}, 60_000);

describe('--shard through the CLI', () => {
  it("serves its shard's clusters and answers WRONG_SHARD for the others", async () => {
    const mine = NAMES.filter((n) => ownerOf(n, 2) === 1);
    const others = NAMES.filter((n) => ownerOf(n, 2) === 0);
    expect(mine.length * others.length).toBeGreaterThan(0);
    const cli = startCli(['--config', config, '--shard', '1/2', '--port', '0', '--shutdown-delay-ms', '0']);
    running.push(cli);
    const [, url] = await printed(cli.output, /kubegate listening on (http:\/\/\S+\/graphql)/);
    await printed(
      cli.output,
      new RegExp(
        `shard 1/2: serving ${mine.length} of 4 clusters; other shards serve: ${others.map((n) => `${n} \\(0/2\\)`).join(', ')}`,
      ),
    );
    await printed(cli.output, /ready: caches synced/);
    const post = async (query: string) =>
      (
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        })
      ).json();
    const all = await post('{ clusters { name } }');
    expect(all.data.clusters.map((c: { name: string }) => c.name)).toEqual(mine);
    const wrong = await post(`{ cluster(name: "${others[0]}") { name } }`);
    expect(wrong.errors[0].extensions).toEqual({
      code: 'WRONG_SHARD',
      cluster: others[0],
      shard: '0/2',
      servedBy: '1/2',
    });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('starts only the embedded simulators its shard owns', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kubegate-shard-sim-')), 'kubegate.yaml');
    const scenario = '{ nodes: 1, pods: 2, jobs: 0, namespaces: 1 }';
    writeFileSync(
      file,
      `clusters:\n${NAMES.map((n) => `  - { name: ${n}, simulator: ${scenario} }\n`).join('')}`,
    );
    const cli = startCli(['--config', file, '--shard', '1/2', '--port', '0', '--shutdown-delay-ms', '0']);
    running.push(cli);
    await printed(cli.output, /ready: caches synced/);
    const started = [...cli.output().matchAll(/embedded simulator \\"([\w-]+)\\"/g)].map((m) => m[1]);
    expect(started).toEqual(NAMES.filter((n) => ownerOf(n, 2) === 1));
    await printed(
      cli.output,
      /shard 1\/2: serving 1 of 4 clusters; other shards serve: fleet-a \(0\/2\), fleet-b \(0\/2\), fleet-c \(0\/2\)/,
    );
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('a bad --shard exits 2 saying what it expected', async () => {
    const cli = startCli(['--config', config, '--shard', '2/2', '--port', '0']);
    running.push(cli);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain(
      '--shard: expected "i/n": this replica\'s shard i of n shards, integers with 0 ≤ i < n (e.g. "0/3"), received "2/2"',
    );
  });
});
