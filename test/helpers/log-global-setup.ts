/**
 * The run's globalSetup (vitest.config.ts): makes the directory the run's gateways log into
 * (test-log.ts), and at the end scans it (log-scan.ts). A credential in any log line fails
 * the run: vitest only prints a teardown's error, so the exit code is set here too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNoCredentials } from './log-scan.js';
import { LOG_DIR_ENV } from './test-log.js';

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

export function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-test-logs-'));
  // Workers (forks) are started after this and inherit the environment.
  process.env[LOG_DIR_ENV] = dir;
  return () => scanRunLogs(dir);
}
