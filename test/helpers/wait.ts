/**
 * The test suite's one way to wait for something that happens elsewhere (a cache catching
 * up, a watch opening, a process printing a line): poll a check until it gives a value,
 * and when it never does, fail saying what was awaited and what was last seen.
 */
import { inspect } from 'node:util';

export interface WaitOptions {
  /** What is awaited, as the failure reads: "timed out after 5000 ms waiting for <message>". */
  message: string;
  /** Default 15 s: generous, as a loaded machine needs; a wait that succeeds ends early. */
  timeoutMs?: number;
  /** Pause between checks. Default 20 ms. */
  intervalMs?: number;
  /**
   * What to report as last seen instead of the check's own last value (which, for a
   * boolean check, is just `false`): e.g. a process's output so far.
   */
  observe?: () => unknown;
  /**
   * Called before each pause: a reason (a string) to stop waiting at once because the
   * thing awaited can no longer happen (the process exited, the stream ended).
   */
  giveUpIf?: () => string | undefined | false;
}

/** Not a result yet: the check is polled again. */
type Pending = undefined | null | false;

/**
 * Polls `check` every `intervalMs` until it returns something other than
 * undefined/null/false, and resolves to that. A check that throws counts as not yet
 * (the error is reported if the wait times out). Rejects after `timeoutMs` with the
 * message and what was last seen.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitOptions | string,
): Promise<Exclude<T, Pending>> {
  const {
    message,
    timeoutMs = 15_000,
    intervalMs = 20,
    observe,
    giveUpIf,
  } = typeof options === 'string' ? { message: options } : options;
  const deadline = Date.now() + timeoutMs;
  let last: { value: unknown } | { error: unknown } = { value: undefined };
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, Pending>;
      last = { value };
    } catch (error) {
      last = { error };
    }
    const reason = giveUpIf?.();
    const timedOut = Date.now() > deadline;
    if (reason || timedOut) {
      const why = reason ? `gave up (${reason})` : `timed out after ${timeoutMs} ms`;
      throw new Error(`${why} waiting for ${message}; last saw: ${lastSeen(last, observe)}`);
    }
    await sleep(intervalMs);
  }
}

function lastSeen(
  last: { value: unknown } | { error: unknown },
  observe: (() => unknown) | undefined,
): string {
  const seen = 'error' in last ? `an error: ${describe(last.error)}` : inspect(last.value, { depth: 4 });
  if (!observe) return seen;
  let observed: unknown;
  try {
    observed = observe();
  } catch (err) {
    observed = `(observing failed: ${describe(err)})`;
  }
  return `${seen}; ${typeof observed === 'string' ? observed : inspect(observed, { depth: 4 })}`;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : inspect(err);
}

/** A fixed pause, for pacing a producer or letting a known period pass; not for waiting on a change. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
