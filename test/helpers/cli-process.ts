/**
 * The kubegate CLI as a child process: node itself (the pinned one running vitest) with
 * tsx's loader, or a built entry, so SIGTERM reaches our process and not a wrapper. Its
 * stdout and stderr go to the run's log directory (scanned for credentials at the end of
 * the run, test-log.ts) and are kept for the test to read.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { runLog } from './test-log.js';
import { waitFor } from './wait.js';

export interface CliProcess {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr interleaved. */
  output: () => string;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** The first match of `pattern` in a log line's message; fails (with the output) if it never comes or the process exits. */
  printed(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

export interface CliOptions {
  /** What node runs: the sources through tsx (the default, as `npm start`), or a built entry. */
  entry?: string[];
  /** The working directory (default this one). */
  cwd?: string;
  /** The environment (default this process's). */
  env?: NodeJS.ProcessEnv;
  /** Variables added to the environment (this process's, or `env`). */
  extraEnv?: Record<string, string>;
}

export function startCli(args: string[], options: CliOptions = {}): CliProcess {
  const entry = options.entry ?? ['--import', 'tsx', 'src/main.ts'];
  const child = spawn(process.execPath, [...entry, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { ...(options.env ?? process.env), ...options.extraEnv },
  });
  let out = '';
  const log = runLog();
  const file = `cli-${child.pid}`;
  for (const stream of [child.stdout, child.stderr]) {
    stream!.on('data', (d) => {
      out += d;
      log.append(file, String(d));
    });
  }
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const output = () => out;
  return {
    child,
    output,
    exited,
    printed: (pattern, timeoutMs = 30_000) =>
      printed(
        output,
        pattern,
        timeoutMs,
        () => exitCode !== undefined && `the gateway exited with ${exitCode}`,
      ),
  };
}

/**
 * The CLI's output as a person reads it: each JSON log line's `msg` (JSON escapes the
 * quotes a message holds), any other line (the usage) as it is.
 */
export function messagesOf(output: string): string {
  return output
    .split('\n')
    .map((line) => {
      try {
        const entry = JSON.parse(line) as { msg?: unknown };
        return typeof entry.msg === 'string' ? entry.msg : line;
      } catch {
        return line;
      }
    })
    .join('\n');
}

/** Waits until the process has printed `pattern` (in a log line's message); fails with its output so far. */
export function printed(
  output: () => string,
  pattern: RegExp,
  timeoutMs = 30_000,
  giveUpIf?: () => string | false,
): Promise<RegExpMatchArray> {
  return waitFor(() => messagesOf(output()).match(pattern), {
    message: `the gateway to print ${pattern}`,
    timeoutMs,
    intervalMs: 100,
    observe: () => `output so far:\n${output()}`,
    ...(giveUpIf ? { giveUpIf } : {}),
  });
}
