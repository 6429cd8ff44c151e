/**
 * Where the test run's gateways log, and what the tests' secrets were, for log-scan.ts.
 *
 * The run's globalSetup (log-global-setup.ts) makes a directory and names it in
 * KUBEGATE_TEST_LOG_DIR, which every worker inherits. In it each process writes its own
 * files (appends are synchronous, so nothing is lost when a worker exits):
 *
 * - `gateway-<pid>.log`: what the harness's gateways, authenticators, registries and hubs
 *   logged through their hooks (`gatewayLog()`), errors printed whole (every property, the
 *   cause), stricter than the CLI's one-line summaries, as a structured logger would;
 * - `pino-<pid>.log`: the structured log itself (src/server/logger.ts) of the harness's
 *   gateways (`gatewayLogger()`), at debug: the JSON lines the CLI writes, with its redaction;
 * - `cli-<pid>.log`: a CLI process's stdout and stderr (main.test.ts);
 * - `console-<pid>.log`: whatever the tests' processes printed through `console` (yoga's
 *   logger, graphql-ws's warnings...), collected by vitest in its main process
 *   (`onConsoleLog` in vitest.config.ts, `captureConsoleLog` in log-global-setup.ts);
 * - `secrets-<pid>.jsonl`: the secret values tests configured or sent.
 *
 * Without the variable (a helper used outside vitest) nothing is written.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import pino, { type DestinationStream } from 'pino';
import type { ClusterOptions } from '../../src/kube/cluster.js';
import type { EventHubOptions } from '../../src/kube/event-hub.js';
import { describe as describeClusterError } from '../../src/kube/reflector.js';
import type { RegistryOptions } from '../../src/kube/registry.js';
import type { AuthFailure } from '../../src/server/auth.js';
import type { GatewayOptions } from '../../src/server/gateway.js';
import { createLogger, type Logger, type LogLevel } from '../../src/server/logger.js';
import { LOG_DIR_ENV, LOG_SUFFIX, MIN_SECRET_CHARS, SECRETS_PREFIX, type Secret } from './log-scan.js';

export { LOG_DIR_ENV } from './log-scan.js';

/** Writes into one directory: log lines to named files, secrets to this process's file. */
export interface TestLog {
  /** Appends an entry (a line, or several: a stack) to `<file>.log`. */
  write(file: string, source: string, text: string): void;
  /** Appends raw output (a child process's chunks) to `<file>.log`. */
  append(file: string, chunk: string): void;
  /** Records a secret value the logs must never hold (values shorter than 8 are ignored). */
  secret(value: string | undefined, label: string): void;
}

const recorded = new Set<string>();
const recordedHere: Secret[] = [];

export function testLog(dir: string | undefined): TestLog {
  const path = (file: string) => join(dir!, `${file}${LOG_SUFFIX}`);
  return {
    write(file, source, text) {
      if (dir) appendFileSync(path(file), `${source}: ${text}\n`);
    },
    append(file, chunk) {
      if (dir) appendFileSync(path(file), chunk);
    },
    secret(value, label) {
      if (!value || value.length < MIN_SECRET_CHARS) return;
      const key = `${dir}\u0000${value}`;
      if (recorded.has(key)) return;
      recorded.add(key);
      if (dir === runDir()) recordedHere.push({ value, label });
      if (dir)
        appendFileSync(
          join(dir, `${SECRETS_PREFIX}${process.pid}.jsonl`),
          `${JSON.stringify({ label, value })}\n`,
        );
    },
  };
}

function runDir(): string | undefined {
  return process.env[LOG_DIR_ENV] || undefined;
}

/** The run's log (a no-op outside a vitest run). */
export function runLog(): TestLog {
  return testLog(runDir());
}

/** Records a secret for the run's scan. */
export function recordSecret(value: string | undefined, label: string): void {
  runLog().secret(value, label);
}

/** Records the credential of an Authorization value (`Bearer <token>`, or whatever scheme). */
export function recordAuthorization(authorization: string | undefined, label: string): void {
  const credential = authorization?.trim().split(/\s+/)[1];
  recordSecret(credential, label);
}

/** The secrets this process recorded for the run so far (main.test.ts scans its CLI's output with them). */
export function recordedSecrets(): readonly Secret[] {
  return recordedHere;
}

/** A value printed whole: every own property, nested errors and causes, no line breaks inside objects. */
function show(value: unknown): string {
  return inspect(value, { depth: 8, breakLength: Number.POSITIVE_INFINITY, maxStringLength: 1_000_000 });
}

export interface GatewayLogHooks {
  logError: NonNullable<GatewayOptions['logError']>;
  onAuthFailure: (failure: AuthFailure) => void;
  onClusterError: NonNullable<ClusterOptions['onError']>;
  onReload: NonNullable<RegistryOptions['onReload']>;
  onListenerError: NonNullable<EventHubOptions['onListenerError']>;
  logWrite: NonNullable<GatewayOptions['logWrite']>;
}

/**
 * The hooks through which a gateway, its authenticator, registry and hub log, writing to
 * this process's `gateway-<pid>.log` in the run's directory.
 */
export function gatewayLog(source = 'gateway'): GatewayLogHooks {
  const log = runLog();
  const write = (text: string) => log.write(`gateway-${process.pid}`, source, text);
  return {
    logError: (err, { requestId }) => write(`unexpected error (request ${requestId}): ${show(err)}`),
    onAuthFailure: ({ method, outcome, reason }) => write(`auth ${method}: ${outcome}: ${reason}`),
    onClusterError: (cluster, kind, err) =>
      write(`cluster "${cluster}" ${kind ?? '-'}: ${describeClusterError(err)}: ${show(err)}`),
    onReload: (change) => write(`kubeconfig reload: ${show(change)}`),
    onListenerError: (err, event) =>
      write(`event hub listener failed on ${event.cluster}/${event.kind}: ${show(err)}`),
    // As the CLI prints it: one JSON line per write.
    logWrite: (record) => write(`write ${JSON.stringify(record)}`),
  };
}

/** One open file per directory and process: every harness gateway of a worker appends to it. */
const pinoFiles = new Map<string, DestinationStream>();

/**
 * The structured logger of a test's gateway: its JSON lines go to `pino-<pid>.log` in the
 * run's directory (or `dir`), scanned at the end of the run like every log, and to `also`
 * (a test that reads its lines) when given.
 */
export function gatewayLogger(
  options: { level?: LogLevel; also?: DestinationStream; dir?: string } = {},
): Logger {
  const dir = options.dir ?? runDir();
  let file: DestinationStream | undefined;
  if (dir) {
    const path = join(dir, `pino-${process.pid}${LOG_SUFFIX}`);
    file = pinoFiles.get(path);
    if (!file) {
      file = pino.destination({ dest: path, sync: true, append: true });
      pinoFiles.set(path, file);
    }
  }
  const targets = [file, options.also].filter((d): d is DestinationStream => d !== undefined);
  return createLogger({
    level: options.level ?? 'debug',
    pretty: false,
    destination: {
      write(line) {
        for (const target of targets) target.write(line);
      },
    },
  });
}
