/**
 * The log follow benchmark in a tiny configuration (10 subscribers, 4 seconds), end to end
 * through its script, so that it cannot rot: lines arrive on both paths, every subscriber got
 * the same lines (give or take one in flight at the start and the end), one upstream request served them all, and the files go to --out.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const OUT = mkdtempSync(join(tmpdir(), 'kubegate-bench-logs-test-'));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

it('measures follow latency through the gateway and straight from the simulator, and writes its results', async () => {
  await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'bench/logs.ts', '--subscribers', '10', '--seconds', '4', '--out', OUT],
    // The gateway from source (tsx), not a tsc build made for this run: the build took 13 of
    // this test's 23 s, and test/server/main.test.ts already runs the production build.
    { timeout: 180_000, env: { ...process.env, KUBEGATE_BENCH_FROM_SOURCE: '1' } },
  );
  const results = JSON.parse(readFileSync(join(OUT, 'logs.json'), 'utf8')) as {
    gateway: { n: number; p50: number; p99: number };
    direct: { n: number };
    linesPerSubscriber: { min: number; max: number };
    upstreamLogRequestsOpen: number;
    errors: number;
  };
  expect(results.errors).toBe(0);
  expect(results.direct.n).toBeGreaterThan(0);
  expect(results.linesPerSubscriber.min).toBeGreaterThan(0);
  // A line in flight when counting starts or stops may be counted for some subscribers only.
  expect(results.linesPerSubscriber.max - results.linesPerSubscriber.min).toBeLessThanOrEqual(2);
  expect(results.gateway.n).toBeGreaterThanOrEqual(10 * results.linesPerSubscriber.min);
  expect(results.gateway.n).toBeLessThanOrEqual(10 * results.linesPerSubscriber.max);
  expect(results.gateway.p99).toBeGreaterThanOrEqual(results.gateway.p50);
  expect(results.upstreamLogRequestsOpen).toBe(2);
  expect(readFileSync(join(OUT, 'logs.md'), 'utf8')).toContain('| through the gateway (10 subscribers) |');
}, 200_000);
