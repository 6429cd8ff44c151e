/**
 * Graceful shutdown's part inside GraphQL execution: it counts the queries and mutations
 * running, ends every live subscription with a last result carrying SHUTTING_DOWN (then
 * the transport's own complete), and cuts the executions still running when the drain's
 * time is up with the same code. The gateway (gateway.ts `shutdown`) drives it: it turns
 * /readyz to 503, stops accepting connections after the delay, calls `endSubscriptions`
 * and, past the timeout, `cut`.
 */
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { ErrorCode, GatewayError } from '../errors.js';
import { type ResultStream, streamOf } from './result-stream.js';

export function shuttingDown(message: string): GatewayError {
  return new GatewayError(message, { code: ErrorCode.SHUTTING_DOWN });
}

type ExecuteFn = (args: ExecutionArgs) => unknown;

/**
 * A one-shot signal that work can be raced against. Not `Promise.race` with a promise that
 * stays pending until shutdown: every race registers a reaction on that promise which keeps
 * the race's own promise, and so its settled value (a whole ExecutionResult), reachable
 * until the promise settles, i.e. for the process's life. Measured before this: RSS grew by
 * ~48 KB per query (3.2 GB after 66k Q2 requests). Here a race's callback leaves the set as
 * soon as its work settles.
 */
class Signal {
  fired = false;
  private readonly waiting = new Set<() => void>();

  fire(): void {
    if (this.fired) return;
    this.fired = true;
    for (const wake of this.waiting) wake();
    this.waiting.clear();
  }

  /** `work`'s outcome, or `onFire()` if the signal fires first. */
  race<T>(work: Promise<T>, onFire: () => T): Promise<T> {
    if (this.fired) return Promise.resolve(onFire());
    return new Promise<T>((resolve, reject) => {
      const wake = () => resolve(onFire());
      this.waiting.add(wake);
      work.then(
        (value) => {
          this.waiting.delete(wake);
          resolve(value);
        },
        (error: unknown) => {
          this.waiting.delete(wake);
          reject(error);
        },
      );
    });
  }

  /** Races in flight: 0 when nothing waits (tests check that nothing is kept). */
  get size(): number {
    return this.waiting.size;
  }
}

export class Drain {
  /** Queries and mutations executing now. */
  executions = 0;
  /** Subscriptions whose stream has not ended. */
  subscriptions = 0;
  private readonly cutting = new Signal();
  /** The live subscriptions' streams (result-stream.ts): only the streams, never a result. */
  private readonly live = new Set<ResultStream>();
  private subscriptionsEnded = false;

  /** Every live subscription (and any started from now on) ends with SHUTTING_DOWN. */
  endSubscriptions(): void {
    this.subscriptionsEnded = true;
    for (const stream of [...this.live]) this.end(stream);
  }

  /** Its last result is SHUTTING_DOWN: it no longer counts as live, though a transport has yet to send that. */
  private end(stream: ResultStream): void {
    stream.cut(lastResult());
    this.forget(stream);
  }

  private forget(stream: ResultStream): void {
    if (this.live.delete(stream)) this.subscriptions--;
  }

  /** Every execution still running answers SHUTTING_DOWN now (its resolvers finish unobserved). */
  cut(): void {
    this.cutting.fire();
  }

  /** Executions waiting on the drain now (none once they settled). */
  get waiting(): number {
    return this.cutting.size;
  }

  plugin(): Plugin {
    return {
      onExecute: ({ executeFn, setExecuteFn }) => {
        const execute = executeFn as ExecuteFn;
        setExecuteFn(((args: ExecutionArgs) => {
          this.executions++;
          const running = Promise.resolve().then(() => execute(args));
          return this.cutting
            .race<unknown>(running, () => ({
              data: null,
              errors: [
                shuttingDown(
                  'the gateway is shutting down and this operation outlasted its shutdown timeout; retry it',
                ),
              ],
            }))
            .finally(() => {
              this.executions--;
            });
        }) as typeof executeFn);
      },
      onSubscribe: () => ({
        onSubscribeResult: ({ result, setResult }) => {
          if (!isAsyncIterable(result)) return;
          const stream = streamOf(result, setResult);
          this.subscriptions++;
          this.live.add(stream);
          stream.onEnd(() => this.forget(stream));
          if (this.subscriptionsEnded) this.end(stream);
        },
      }),
    };
  }
}

/** A subscription's last result when the gateway shuts down. */
function lastResult(): ExecutionResult {
  return {
    errors: [
      shuttingDown('the gateway is shutting down: subscribe again (another replica will answer) to go on'),
    ],
  };
}
