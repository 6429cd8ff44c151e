/**
 * The gateway's one logger (issue #15): pino, writing JSON lines to stdout, where
 * Kubernetes' container runtime collects a pod's logs for every collector (Fluent Bit,
 * Vector, Loki's promtail, Cloud Logging) without configuration.
 *
 * A line is `{"level":"info","time":"2026-…Z","msg":"…", …fields}`:
 * - `level` as its label, not pino's number: collectors map `level: "warn"` to a severity
 *   as they are (Loki, Cloud Logging, Datadog), and a person reading `kubectl logs` can too;
 * - `time` ISO 8601 in UTC;
 * - no `pid` or `hostname`: one process per container, and the collector adds pod and node.
 *
 * Credentials are redacted by configuration (`REDACT_PATHS`, pino's `redact`): Authorization
 * and cookie headers, tokens, passwords, client keys, a kubeconfig's users' secrets, at the
 * top level of a line and in the places secrets sit (headers, options, a kubeconfig). Errors are serialised as their type, message, stack and
 * code only (`serializeError`): pino's default copies every enumerable property, and a
 * client library's error may carry the request it made, headers and all.
 *
 * On a terminal (`process.stdout.isTTY`) the same lines are printed readably by
 * `prettyLine` rather than by pino-pretty: that package brings thirteen dependencies (a
 * CLI, config-file loading, date formatting) for a developer's convenience, where forty
 * lines here do what `npm start` needs.
 *
 * The kube layer takes hooks, not this logger (it imports nothing of ours); the CLI wires
 * them here: `clusterErrorLog` (failures once per episode), `authFailureLog` (each reason
 * at most once a minute).
 */
import type { YogaLogger } from 'graphql-yoga';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { AuthFailure } from './auth.js';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

/** Keys whose values are credentials, at the top level or inside the containers below. */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'token',
  'bearerToken',
  'idToken',
  'id-token',
  'id_token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh-token',
  'refresh_token',
  'password',
  'secret',
  'clientKey',
  'client-key-data',
  'keyData',
  'tokenSha256',
];

/**
 * Where secrets sit in what a gateway could log: request headers, options and configs, a
 * kubeconfig's users (as the parsed file, or under `kubeconfig`).
 *
 * Named, not `*.token`: pino's redaction (@pinojs/redact) runs for every top-level key a
 * path could match, so a leading wildcard makes every line pay: measured on a request
 * line, 3.7 µs with these paths against 137 µs with `*.key` ones and 324 µs with `*.*.key`.
 * A line without any of these keys (every request line) costs nothing extra.
 */
const SECRET_CONTAINERS = [
  'headers',
  'req.headers',
  'request.headers',
  'options',
  'config',
  'auth',
  'user',
  'credentials',
  'kubeconfig.users[*].user',
  'users[*].user',
  'kubeconfig.users[*].user["auth-provider"].config',
  'users[*].user["auth-provider"].config',
];

const at = (prefix: string, key: string) =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? `${prefix}${prefix ? '.' : ''}${key}` : `${prefix}["${key}"]`;

/** pino's redaction paths: each secret key at the top level and in each container. */
export const REDACT_PATHS: readonly string[] = ['', ...SECRET_CONTAINERS].flatMap((container) =>
  SECRET_KEYS.map((key) => at(container, key)),
);

export interface LoggerOptions {
  /** The least severe level written (default info); `silent` writes nothing. */
  level?: LogLevel;
  /** Where lines go (default stdout); tests pass a stream of their own. */
  destination?: DestinationStream;
  /** Readable lines instead of JSON (default: when writing to stdout and stdout is a terminal). */
  pretty?: boolean;
}

/**
 * pino's `isoTime`, the same text, with the date and time up to the second made once a
 * second: `toISOString` per line was ~1.4 % of a cluster-summary request's CPU under load.
 */
let isoSecond = Number.NaN;
let isoPrefix = '';
export function isoTime(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20); // 2026-11-30T21:01:28.
  }
  const ms = now - second * 1000;
  return `,"time":"${isoPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const toStdout = options.destination === undefined;
  const pretty = options.pretty ?? (toStdout && process.stdout.isTTY === true);
  const out = options.destination ?? batchedStdout();
  const destination: DestinationStream = pretty
    ? { write: (line) => out.write(prettyLine(line, toStdout && process.stdout.hasColors?.() === true)) }
    : out;
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      timestamp: isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    },
    destination,
  );
}

/** Lines wait until this many characters are buffered (pino's asynchronous-logging default)... */
export const LOG_BATCH_CHARS = 4096;
/** ...or until this long has passed since a line was written, whichever comes first. */
export const LOG_FLUSH_MS = 100;

/**
 * stdout for the logger: written asynchronously and in batches.
 *
 * A write per line went through libuv's thread pool (sonic-boom's `fs.write`), and its
 * completion woke the event loop once more per request: with one request at a time, the
 * request log's line was 45–55 µs of the gateway's ~350–400 µs of CPU for `{ __typename }`
 * and 0.04–0.08 ms of its 0.4 ms answer (/tmp A/B of two gateways on one simulator,
 * alternating blocks of 200 requests: with the line 398/400 µs, without it 343/355, in
 * batches 348). A synchronous write per line cost ~6 % of a cluster-summary request's CPU
 * (in `writeString`). So lines are gathered in sonic-boom's buffer (`minLength`) and written
 * once LOG_BATCH_CHARS have gathered, or LOG_FLUSH_MS after a line came when fewer did: a
 * quiet gateway's lines still reach `kubectl logs` within a tenth of a second. The timer runs
 * only while lines come (sonic-boom's own `periodicFlush` writes an empty string every period
 * forever), and flushes once more after a quiet period, for a flush that found a write in
 * progress and so left the rest waiting.
 *
 * Nothing is lost on the way out: pino flushes the buffer synchronously on exit (process.exit
 * after a fatal error included) and before the event loop empties; only a SIGKILL (an OOM kill)
 * loses the last tenth of a second. Bounded: while stdout's reader stalls, at most 16 MB
 * wait, and lines beyond are dropped rather than held.
 *
 * `dest`: another file descriptor or a file path, written the same way (the benches' in-process
 * gateways log to a file as the CLI's logs to stdout, so they pay what it pays per line).
 */
export function batchedStdout(dest: number | string = 1): DestinationStream {
  const out = pino.destination({
    dest,
    sync: false,
    minLength: LOG_BATCH_CHARS,
    maxLength: 16 * 1024 * 1024,
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  let written = false;
  // Ended by pino's exit handling once the event loop empties; flush() would throw then.
  const ended = () => (out as unknown as { destroyed?: boolean }).destroyed === true;
  const tick = () => {
    if (!ended()) out.flush();
    if (!written) {
      clearInterval(timer);
      timer = undefined;
    }
    written = false;
  };
  return {
    write(line: string) {
      out.write(line);
      written = true;
      if (timer === undefined) {
        timer = setInterval(tick, LOG_FLUSH_MS);
        timer.unref();
      }
    },
    // pino's `logger.flush(cb)` reaches the buffer through this.
    flush: (cb?: (err?: Error) => void) => out.flush(cb),
  } as DestinationStream;
}

/** An error as a log shows it: type, message, stack, code and cause; no other property. */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return typeof err === 'object' ? String(err) : err;
  const code = (err as { code?: unknown }).code;
  const cause = (err as { cause?: unknown }).cause;
  return {
    type: err.constructor?.name ?? 'Error',
    message: err.message,
    stack: err.stack,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(cause !== undefined && depth < 3 ? { cause: serializeError(cause, depth + 1) } : {}),
  };
}

const COLORS: Record<string, string> = {
  trace: '90',
  debug: '36',
  info: '32',
  warn: '33',
  error: '31',
  fatal: '35',
};

/** One JSON line as a person reads it: `12:04:05.123 INFO  msg key=value …`, an error's stack below. */
export function prettyLine(line: string, colors = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  const { time, level, msg, err, ...fields } = entry;
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const label = String(level).toUpperCase().padEnd(5);
  const shown = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const paint = (code: string | undefined, text: string) =>
    colors && code ? `\x1b[${code}m${text}\x1b[0m` : text;
  const stack = (err as { stack?: unknown } | undefined)?.stack;
  return (
    `${clock} ${paint(COLORS[String(level)], label)} ${msg ?? ''}${shown ? ` ${paint('2', shown)}` : ''}\n` +
    (typeof stack === 'string' ? `${stack.replace(/^/gm, '    ')}\n` : '')
  );
}

/**
 * yoga's own logger, into ours: its messages at their levels (`component: "yoga"`), except
 * that its error line for each masked error goes to debug, since the gateway logs that error
 * itself, at error, with the request id its message names (gateway.ts `maskError`). Without
 * this yoga prints to the console, in plain text beside the JSON lines.
 */
export function yogaLogger(logger: Logger): YogaLogger {
  const at =
    (level: 'debug' | 'info' | 'warn') =>
    (...args: unknown[]) => {
      if (!logger.isLevelEnabled(level)) return;
      const [first] = args;
      if (first instanceof Error) logger[level]({ err: first, component: 'yoga' }, first.message);
      else
        logger[level](
          { component: 'yoga' },
          args.map((a) => (typeof a === 'string' ? a : String(a))).join(' '),
        );
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('debug') };
}

/**
 * Why credentials were refused or could not be checked (never the credential): each
 * distinct reason at most once a minute, so a flood of bad tokens cannot flood the log.
 * A refusal is the caller's doing (info); a check that could not be made is ours (warn).
 */
export function authFailureLog(logger: Logger, now: () => number = Date.now): (failure: AuthFailure) => void {
  const last = new Map<string, number>();
  return ({ method, outcome, reason }) => {
    const msg = `auth ${method}: ${outcome === 'unavailable' ? 'could not check a token' : 'refused a token'}: ${reason}`;
    const at = now();
    if ((last.get(msg) ?? Number.NEGATIVE_INFINITY) > at - 60_000) return;
    if (last.size >= 1000) last.clear();
    last.set(msg, at);
    logger[outcome === 'unavailable' ? 'warn' : 'info']({ method, outcome }, msg);
  };
}

/** What the reflectors' hooks tell (kube/cluster.ts `onError`, `onRecovered`). */
export interface ClusterErrorHooks {
  onError(cluster: string, kind: string | undefined, err: unknown): void;
  onRecovered(
    cluster: string,
    kind: string | undefined,
    episode: { failures: number; durationMs: number },
  ): void;
}

/**
 * Upstream failures, relists and watch restarts, once per episode: a (cluster, kind)'s
 * first failure is a warn line (a relist after 410 Expired, routine, is info), the retries
 * of the same episode are debug, and the recovery (the next watch that opens) is one info
 * line with how many failures and how long it took. `describe` gives each error's one-line,
 * credential-free text (kube/reflector.ts).
 */
export function clusterErrorLog(
  logger: Logger,
  describe: (err: unknown) => string,
  expired: (err: unknown) => boolean,
): ClusterErrorHooks {
  const failing = new Set<string>();
  return {
    onError(cluster, kind, err) {
      const key = `${cluster}\u0000${kind ?? ''}`;
      const error = describe(err);
      const where = `cluster "${cluster}"${kind ? ` ${kind}` : ''}`;
      if (failing.has(key)) {
        logger.debug({ cluster, kind, error }, `${where}: ${error} (retrying)`);
        return;
      }
      failing.add(key);
      if (expired(err))
        logger.info(
          { cluster, kind, error },
          `${where}: ${error}: relisting (logged once until it recovers)`,
        );
      else
        logger.warn({ cluster, kind, error }, `${where}: ${error} (retrying; logged once until it recovers)`);
    },
    onRecovered(cluster, kind, { failures, durationMs }) {
      failing.delete(`${cluster}\u0000${kind ?? ''}`);
      const seconds = Math.round(durationMs / 100) / 10;
      logger.info(
        { cluster, kind, failures, durationMs },
        `cluster "${cluster}"${kind ? ` ${kind}` : ''}: recovered after ${failures} failure${failures === 1 ? '' : 's'} / ${seconds} s`,
      );
    },
  };
}
