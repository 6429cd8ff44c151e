/**
 * No credential ever reaches a log. The test run writes what the gateways log (test-log.ts:
 * the harness's hooks, the CLI's stderr) into one directory, next to the secret values the
 * tests used (static tokens, simulator tokens, signed ID tokens, any bearer token a helper
 * sent). This scanner reads that directory back and finds, in every log line:
 *
 * - any recorded secret, verbatim;
 * - anything shaped like a JWT (`eyJ...` header and payload), recorded or not;
 * - `Bearer <token>`, the way an Authorization header is printed.
 *
 * It is a plain function: the run's globalSetup teardown (log-global-setup.ts) calls it on
 * the run's directory, and log-scan.test.ts on planted files to prove it bites. A finding
 * names the file and line and shows the credential masked, never whole.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Names the run's log directory; set by the run's globalSetup, inherited by the workers. */
export const LOG_DIR_ENV = 'KUBEGATE_TEST_LOG_DIR';
/** Log files end so; each one is one process's (a test worker's gateway log, a CLI's output). */
export const LOG_SUFFIX = '.log';
/** Secret files (JSON lines of { label, value }) start so. */
export const SECRETS_PREFIX = 'secrets-';
/** Shorter recorded values are not secrets worth the name (and would match ordinary words). */
export const MIN_SECRET_CHARS = 8;

export interface Secret {
  value: string;
  /** Where it came from ("static token", "simulator admin token", ...), for the report. */
  label: string;
}

export interface Finding {
  file: string;
  /** 1-based. */
  line: number;
  kind: 'secret' | 'jwt' | 'bearer';
  label: string;
  /** The credential as the report shows it: its first characters and its length. */
  masked: string;
}

const JWT = /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
/** An Authorization value: the scheme, then a token68 (RFC 7235). */
const BEARER = /\bBearer\s+([A-Za-z0-9\-._~+/]+=*)/gi;

/** A credential for a report: enough to recognise it, never enough to use it. */
export function mask(value: string): string {
  const shown = value.length >= 16 ? 4 : 2;
  return `${value.slice(0, shown)}…(${value.length} chars)`;
}

/**
 * What follows "Bearer" is a credential unless it is too short to be one or a plain word
 * ("bearer credentials" in a sentence); a token of lowercase letters alone is still found
 * when it was recorded as a secret.
 */
function looksLikeToken(value: string): boolean {
  return value.length >= MIN_SECRET_CHARS && !/^[a-z]+$/.test(value);
}

/** The findings in one text (a log file's contents); `file` is left to the caller. */
export function scanText(text: string, secrets: readonly Secret[]): Omit<Finding, 'file'>[] {
  const findings: Omit<Finding, 'file'>[] = [];
  const usable = secrets.filter((s) => s.value.length >= MIN_SECRET_CHARS);
  text.split('\n').forEach((content, i) => {
    const line = i + 1;
    for (const s of usable) {
      if (content.includes(s.value))
        findings.push({ line, kind: 'secret', label: s.label, masked: mask(s.value) });
    }
    for (const m of content.matchAll(JWT)) {
      findings.push({ line, kind: 'jwt', label: 'a JWT', masked: mask(m[0]) });
    }
    for (const m of content.matchAll(BEARER)) {
      if (looksLikeToken(m[1]))
        findings.push({ line, kind: 'bearer', label: 'a bearer token', masked: `Bearer ${mask(m[1])}` });
    }
  });
  return findings;
}

/** Every secret recorded in a directory's secret files, once each. */
export function readSecrets(dir: string): Secret[] {
  const byValue = new Map<string, Secret>();
  for (const name of readdirSync(dir).sort()) {
    if (!name.startsWith(SECRETS_PREFIX)) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const secret = JSON.parse(line) as Secret;
      if (!byValue.has(secret.value)) byValue.set(secret.value, secret);
    }
  }
  return [...byValue.values()];
}

export interface ScanResult {
  findings: Finding[];
  files: number;
  lines: number;
  secrets: number;
}

/** Scans every log file of a directory for its recorded secrets, JWTs and bearer tokens. */
export function scanLogDir(dir: string): ScanResult {
  const secrets = readSecrets(dir);
  const findings: Finding[] = [];
  let files = 0;
  let lines = 0;
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(LOG_SUFFIX)) continue;
    const file = join(dir, name);
    const text = readFileSync(file, 'utf8');
    files += 1;
    lines += text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    for (const f of scanText(text, secrets)) findings.push({ file, ...f });
  }
  return { findings, files, lines, secrets: secrets.length };
}

/** One line per finding: `file:line: <kind> (<label>) <masked>`. */
export function describeFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.file}:${f.line}: ${f.kind} (${f.label}) ${f.masked}`).join('\n');
}

/** Throws, listing every finding (masked), when a directory's logs hold a credential. */
export function assertNoCredentials(dir: string): ScanResult {
  const result = scanLogDir(dir);
  if (result.findings.length > 0) {
    throw new Error(
      `credentials reached the logs (${result.findings.length} finding(s) in ${result.files} file(s)):\n` +
        describeFindings(result.findings),
    );
  }
  return result;
}
