/**
 * The real CLI as a child process (`node --import tsx src/main.ts`), its output kept and
 * copied to the run's log directory (scanned for secrets at the end of the run).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { runLog } from './test-log.js';
import { waitFor } from './wait.js';

export interface CliProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
  /** Resolves to the first match of `pattern` in the output; fails (with the output) if it never comes or the process exits. */
  printed(pattern: RegExp): Promise<RegExpMatchArray>;
}

/** Starts the CLI with `args`, its environment being this process's plus `env`. */
export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  // Node itself (the pinned one running vitest) with tsx's loader, so signals reach our process, not npx.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let exitCode: number | null | undefined;
  const log = runLog();
  const file = `cli-${child.pid}`;
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (d) => {
      out += d;
      log.append(file, String(d));
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  return {
    child,
    output: () => out,
    exited,
    printed: (pattern) =>
      waitFor(() => out.match(pattern), {
        message: `the gateway to print ${pattern}`,
        timeoutMs: 30_000,
        intervalMs: 50,
        observe: () => `output so far:\n${out}`,
        giveUpIf: () => exitCode !== undefined && `the gateway exited with ${exitCode}`,
      }),
  };
}
