/**
 * The writes benchmark in a tiny configuration (3 calls per path, 20 pods), end to end
 * through its npm script, so that it cannot rot: every path answers, the figures are there
 * and positive, every gateway write was visible, and the files go to --out.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const OUT = mkdtempSync(join(tmpdir(), 'kubegate-bench-writes-test-'));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

it('measures deletePod and createJob on every path and writes its results', async () => {
  await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'bench/writes.ts', '--iterations', '3', '--pods', '20', '--out', OUT],
    // The gateway from source (tsx), not a tsc build made for this run: the build took 13 of
    // this test's 23 s, and test/server/main.test.ts already runs the production build.
    { timeout: 180_000, env: { ...process.env, KUBEGATE_BENCH_FROM_SOURCE: '1' } },
  );
  const results = JSON.parse(readFileSync(join(OUT, 'writes.json'), 'utf8')) as {
    notVisible: number;
    rows: Record<string, number | string>[];
  };
  expect(results.rows.map((r) => r.op)).toEqual(['deletePod', 'createJob']);
  for (const row of results.rows) {
    expect(row.n).toBe(3);
    for (const key of ['apiP50', 'apiP99', 'noWaitP50', 'noWaitP99', 'gatewayP50', 'gatewayP99', 'ratioP50'])
      expect(row[key], `${row.op} ${key}`).toBeGreaterThan(0);
  }
  expect(results.notVisible).toBe(0);
  expect(readFileSync(join(OUT, 'writes.md'), 'utf8')).toContain('| deletePod |');
}, 200_000);
