/**
 * Graceful shutdown's part inside GraphQL execution: it counts the queries and mutations
 * running, ends every live subscription with a last result carrying SHUTTING_DOWN (then
 * the transport's own complete), and cuts the executions still running when the drain's
 * time is up with the same code. The gateway (gateway.ts `shutdown`) drives it: it turns
 * /readyz to 503, stops accepting connections after the delay, calls `endSubscriptions`
 * and, past the timeout, `cut`.
 */
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode, GatewayError } from '../errors.js';

export function shuttingDown(message: string): GatewayError {
  return new GatewayError(message, { code: ErrorCode.SHUTTING_DOWN });
}

const ENDED = Symbol('ended');

type ExecuteFn = (args: ExecutionArgs) => unknown;

export class Drain {
  /** Queries and mutations executing now. */
  executions = 0;
  /** Subscriptions whose stream has not ended. */
  subscriptions = 0;
  private endAll!: () => void;
  private readonly ended = new Promise<typeof ENDED>((resolve) => {
    this.endAll = () => resolve(ENDED);
  });
  private cutAll!: () => void;
  private readonly cutting = new Promise<typeof ENDED>((resolve) => {
    this.cutAll = () => resolve(ENDED);
  });
  private subscriptionsEnded = false;

  /** Every live subscription (and any started from now on) ends with SHUTTING_DOWN. */
  endSubscriptions(): void {
    this.subscriptionsEnded = true;
    this.endAll();
  }

  /** Every execution still running answers SHUTTING_DOWN now (its resolvers finish unobserved). */
  cut(): void {
    this.cutAll();
  }

  plugin(): Plugin {
    return {
      onExecute: ({ executeFn, setExecuteFn }) => {
        const execute = executeFn as ExecuteFn;
        setExecuteFn(((args: ExecutionArgs) => {
          this.executions++;
          const running = Promise.resolve().then(() => execute(args));
          const cut = this.cutting.then(() => ({
            data: null,
            errors: [
              shuttingDown(
                'the gateway is shutting down and this operation outlasted its shutdown timeout; retry it',
              ),
            ],
          }));
          return Promise.race([running, cut]).finally(() => {
            this.executions--;
          });
        }) as typeof executeFn);
      },
      onSubscribe: () => ({
        onSubscribeResult: ({ result, setResult }) => {
          if (!isAsyncIterable(result)) return;
          setResult(this.endable(result) as never);
        },
      }),
    };
  }

  /** The subscription's results, ended with a SHUTTING_DOWN result when the drain says so. */
  private endable(source: AsyncIterable<ExecutionResult>): AsyncIterableIterator<ExecutionResult> {
    const iterator = source[Symbol.asyncIterator]();
    let finished = false;
    this.subscriptions++;
    const finish = () => {
      if (finished) return;
      finished = true;
      this.subscriptions--;
    };
    const last = (): ExecutionResult => ({
      errors: [
        shuttingDown('the gateway is shutting down: subscribe again (another replica will answer) to go on'),
      ],
    });
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      next: async () => {
        if (finished) return { done: true, value: undefined };
        if (this.subscriptionsEnded) {
          finish();
          void iterator.return?.();
          return { done: false, value: last() };
        }
        const next = await Promise.race([iterator.next(), this.ended]);
        if (next === ENDED) {
          finish();
          void iterator.return?.();
          return { done: false, value: last() };
        }
        if (next.done) finish();
        return next;
      },
      return: async () => {
        finish();
        await iterator.return?.();
        return { done: true, value: undefined };
      },
      throw: async (error: unknown) => {
        finish();
        if (iterator.throw) return iterator.throw(error);
        throw error;
      },
    };
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
