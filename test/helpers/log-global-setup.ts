/**
 * The run's globalSetup (vitest.config.ts): makes the directory the run's gateways log into
 * (test-log.ts), and at the end scans it (log-scan.ts). A credential in any log line fails
 * the run: vitest only prints a teardown's error, so the exit code is set here too.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { assertNoCredentials, LOG_DIR_ENV, LOG_SUFFIX } from './log-scan.js';

/**
 * Scans a run's log directory: throws (and sets the process's exit code) on a finding,
 * keeping the directory for a look; removes it when clean (unless KUBEGATE_TEST_KEEP_LOGS).
 */
export function scanRunLogs(dir: string, out: Pick<Console, 'log' | 'error'> = console): void {
  let scanned: ReturnType<typeof assertNoCredentials>;
  try {
    scanned = assertNoCredentials(dir);
  } catch (err) {
    process.exitCode = 1;
    out.error(`\nlog scan FAILED; the logs and the recorded secrets are kept in ${dir}`);
    throw err;
  }
  out.log(
    `log scan: ${scanned.lines} lines in ${scanned.files} log file(s), ${scanned.secrets} recorded secrets: no credential`,
  );
  if (!process.env.KUBEGATE_TEST_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
}

/**
 * vitest's `onConsoleLog` (in its main process): what a test worker printed through
 * `console` (libraries log there: yoga's logger, graphql-ws) goes to the run's directory
 * too, and is printed as before.
 */
export function captureConsoleLog(
  log: string,
  type: 'stdout' | 'stderr',
  entity?: { moduleId?: string; module?: { moduleId: string } },
): void {
  const dir = process.env[LOG_DIR_ENV];
  if (!dir) return;
  const moduleId = entity?.moduleId ?? entity?.module?.moduleId;
  const from = moduleId ? relative(process.cwd(), moduleId) : 'unknown';
  appendFileSync(
    join(dir, `console-${process.pid}${LOG_SUFFIX}`),
    `${from} ${type}: ${log.replace(/\n?$/, '\n')}`,
  );
}

export function setup(): () => void {
  // Each project of vitest.config.ts runs this (in vitest's own process, maybe as a module of
  // its own each time): the run has one directory, made and scanned once.
  const run = globalThis as { kubegateTestLogDir?: string };
  if (run.kubegateTestLogDir) return () => {};
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-test-logs-'));
  run.kubegateTestLogDir = dir;
  // Workers (forks) are started after this and inherit the environment.
  process.env[LOG_DIR_ENV] = dir;
  return () => scanRunLogs(dir);
}
