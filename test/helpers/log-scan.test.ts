/**
 * The log scan bites: a token planted in a log file is found (named by file and line, shown
 * masked), a JWT and a printed Authorization header are found without being recorded, and
 * a clean file (with every harmless mention of bearer tokens the gateway's own messages
 * make) passes. And the harness really writes what its gateway logs, with the secrets it was
 * given, where the run's teardown scans them.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { askViewer } from './auth-transports.js';
import { startHarness } from './harness.js';
import { scanRunLogs } from './log-global-setup.js';
import { assertNoCredentials, describeFindings, scanLogDir } from './log-scan.js';
import { gatewayLogger, LOG_DIR_ENV, testLog } from './test-log.js';

const PLANTED = 'planted-token-8f3a1c9e5b7d2046';
// {"alg":"RS256","kid":"k1"} . {"sub":"someone"} . a signature: never recorded anywhere.
const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJzb21lb25lIn0.c2lnbmF0dXJlLWJ5dGVz';

const dirs: string[] = [];
function tempLogDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-log-scan-test-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** What the gateway's own messages say about tokens: none of it is a credential. */
const CLEAN_LINES = [
  'gateway: auth header: rejected: this gateway requires a bearer token',
  'gateway: auth header: rejected: expected an Authorization header of the form "Bearer <token>"',
  'gateway: auth header: rejected: expected a bearer token of at most 16384 characters',
  'gateway: auth kubernetes: rejected: kubernetes: cluster "sim" did not authenticate the token: invalid bearer token',
  'gateway: auth oidc: rejected: oidc: ERR_JWT_EXPIRED: "exp" claim timestamp check failed',
  'gateway: auth static: rejected: no method (static) knows the token',
  'www-authenticate: Bearer realm="kubegate"',
  'operators: rotate the bearer credentials yearly',
  // The token's digest (the caches' key) and a prefix shorter than a secret are not the token.
  `cache key ${createHash('sha256').update(PLANTED).digest('hex')}`,
  `token starting ${PLANTED.slice(0, 7)}`,
];

describe('the log scan', () => {
  it('finds a planted token, by file and line, masked', () => {
    const dir = tempLogDir();
    const log = testLog(dir);
    log.secret(PLANTED, 'static token ops');
    log.write('gateway-1', 'gateway', 'auth static: rejected: no method (static) knows the token');
    log.write('gateway-1', 'gateway', `auth static: rejected: unknown token ${PLANTED} (a leak)`);
    const { findings } = scanLogDir(dir);
    expect(findings).toEqual([
      {
        file: join(dir, 'gateway-1.log'),
        line: 2,
        kind: 'secret',
        label: 'static token ops',
        masked: 'plan…(30 chars)',
      },
    ]);
    expect(() => assertNoCredentials(dir)).toThrow(/gateway-1\.log:2: secret \(static token ops\) plan…/);
    expect(() => assertNoCredentials(dir)).not.toThrow(PLANTED);
  });

  it('finds a JWT and a printed Authorization header that no test recorded', () => {
    const dir = tempLogDir();
    const log = testLog(dir);
    log.append('cli-2', `kubegate: unexpected error: token ${JWT} failed\n`);
    log.append('cli-2', 'kubegate: request headers: { authorization: "Bearer s3cr3t-V4lue_xyz" }\n');
    const { findings } = scanLogDir(dir);
    expect(findings.map((f) => [f.line, f.kind, f.masked])).toEqual([
      [1, 'jwt', 'eyJh…(80 chars)'],
      [2, 'bearer', 'Bearer s3cr…(16 chars)'],
    ]);
    const report = describeFindings(findings);
    expect(report).not.toContain(JWT.split('.')[1]);
    expect(report).not.toContain('s3cr3t-V4lue_xyz');
  });

  it('passes a clean log, however often it speaks of bearer tokens', () => {
    const dir = tempLogDir();
    const log = testLog(dir);
    log.secret(PLANTED, 'static token ops');
    log.secret('short', 'too short to be a secret');
    for (const line of CLEAN_LINES) log.write('gateway-3', 'gateway', line);
    expect(scanLogDir(dir)).toEqual({ findings: [], files: 1, lines: CLEAN_LINES.length, secrets: 1 });
    expect(() => assertNoCredentials(dir)).not.toThrow();
  });

  it("fails the run at teardown on a finding (exit code 1, the directory kept), and removes a clean run's logs", () => {
    const leaky = tempLogDir();
    testLog(leaky).secret(PLANTED, 'static token ops');
    testLog(leaky).write('gateway-4', 'gateway', `Authorization: ${PLANTED}`);
    const printed: string[] = [];
    const out = { log: (line: string) => printed.push(line), error: (line: string) => printed.push(line) };
    const exitCode = process.exitCode;
    try {
      expect(() => scanRunLogs(leaky, out)).toThrow(/credentials reached the logs \(1 finding/);
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = exitCode;
    }
    expect(printed).toEqual([`\nlog scan FAILED; the logs and the recorded secrets are kept in ${leaky}`]);
    expect(existsSync(leaky)).toBe(true);

    const clean = tempLogDir();
    testLog(clean).write('gateway-5', 'gateway', CLEAN_LINES[0]);
    const keep = process.env.KUBEGATE_TEST_KEEP_LOGS;
    delete process.env.KUBEGATE_TEST_KEEP_LOGS;
    try {
      scanRunLogs(clean, out);
    } finally {
      if (keep !== undefined) process.env.KUBEGATE_TEST_KEEP_LOGS = keep;
    }
    expect(printed[1]).toBe('log scan: 1 lines in 1 log file(s), 0 recorded secrets: no credential');
    expect(existsSync(clean)).toBe(false);
  });

  it('finds a token in a structured (pino) line where redaction does not reach: a message', () => {
    const dir = tempLogDir();
    testLog(dir).secret(PLANTED, 'static token ops');
    const logger = gatewayLogger({ dir });
    logger.info({ headers: { authorization: `Bearer ${PLANTED}` } }, 'redacted: not found');
    logger.info(`a careless message with ${PLANTED}`);
    const { findings } = scanLogDir(dir);
    expect(findings.map((f) => [f.file, f.line, f.kind])).toEqual([
      [join(dir, `pino-${process.pid}.log`), 2, 'secret'],
    ]);
  });

  it("is fed by the harness: its gateway's log lines and the secrets it was given", async () => {
    const dir = process.env[LOG_DIR_ENV];
    expect(dir, 'the run has a log directory (vitest.config.ts globalSetup)').toBeTruthy();
    const token = `harness-static-token-${process.pid}-0123456789`;
    const unknown = `harness-unknown-token-${process.pid}-abcdef`;
    const h = await startHarness({
      simulator: { scenario: { nodes: 1, pods: 1, jobs: 0, namespaces: 1 } },
      cache: false,
      tokens: [{ name: 'ops', token }],
    });
    try {
      expect(await askViewer(h.url, 'post', `Bearer ${unknown}`)).toMatchObject({ status: 401 });
      const read = (prefix: string) =>
        readdirSync(dir!)
          .filter((f) => f.startsWith(`${prefix}${process.pid}.`))
          .map((f) => readFileSync(join(dir!, f), 'utf8'))
          .join('');
      expect(read('gateway-')).toContain(
        'gateway: auth static: rejected: no method (static) knows the token',
      );
      // The structured log's own lines too: the refusal and its 401 request line.
      const structured = read('pino-')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
      expect(structured).toContainEqual(
        expect.objectContaining({ msg: 'auth static: refused a token: no method (static) knows the token' }),
      );
      expect(structured).toContainEqual(
        expect.objectContaining({ status: 401, codes: ['UNAUTHENTICATED'], msg: 'request anonymous 401' }),
      );
      const secrets = read('secrets-');
      for (const value of [token, unknown, h.sim.adminToken])
        expect(secrets).toContain(JSON.stringify(value));
    } finally {
      await h.close();
    }
  });
});
