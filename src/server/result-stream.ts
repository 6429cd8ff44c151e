/**
 * A subscription's results as one iterator, with the plugins' per-stream hooks as callbacks.
 *
 * Every plugin that watches a subscription used to wrap its stream in an iterator of its
 * own: the per-principal limit (to release its place at the end), the drain (to end it
 * with SHUTTING_DOWN), and envelop itself for every `onNext`, `onEnd` and
 * `onSubscribeError` a plugin returns (request log, Prometheus, tracing), each a layer of
 * promises per subscriber per event. A 10,000-subscriber fan-out spent more CPU in those
 * layers than in executing and serialising the events (bench/results/fanout-layers.md).
 * Here the stream that `shared-events.ts` makes is the only iterator between the relay's
 * queue and the transport; the plugins register callbacks on it (`streamOf`), and
 * `onResultStream` makes any plugin's `onNext`/`onEnd`/`onSubscribeError` such callbacks.
 *
 * The callbacks are synchronous: an `onNext` that returns a promise is not awaited, and
 * `setResult` is refused (identical subscribers share one result object, which no hook of
 * one of them may replace). No plugin of this gateway does either.
 */
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

type Result = ExecutionResult | Promise<ExecutionResult>;

const DONE: IteratorResult<ExecutionResult> = Object.freeze({ value: undefined, done: true });

function isPromise<T>(value: unknown): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}

export class ResultStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly resultHooks: ((result: ExecutionResult) => void)[] = [];
  private readonly endHooks: (() => void)[] = [];
  private readonly errorHooks: ((error: unknown) => unknown)[] = [];
  private ended = false;
  /** A cut's last result, not yet handed out. */
  private last: ExecutionResult | undefined;
  private pending:
    | { resolve: (r: IteratorResult<ExecutionResult>) => void; reject: (e: unknown) => void }
    | undefined;
  /** The read in flight (while `pending` is set). */
  private reading: Promise<IteratorResult<ExecutionResult>> | undefined;

  /**
   * @param source the events (each subscriber's relay queue)
   * @param map an event's result
   * @param cleanup called once when the stream ends, before the end hooks
   */
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly map: (event: unknown) => Result,
    private readonly cleanup?: () => void,
  ) {}

  /** Called with every result this stream hands out, before it does. */
  onResult(hook: (result: ExecutionResult) => void): void {
    this.resultHooks.push(hook);
  }

  /** Called once when the stream ends: done, returned, failed, or its cut's last result handed out (at once if it has ended). */
  onEnd(hook: () => void): void {
    if (this.ended) hook();
    else this.endHooks.push(hook);
  }

  /** Called with an error the stream fails with; what it returns is the error passed on. */
  onError(hook: (error: unknown) => unknown): void {
    this.errorHooks.push(hook);
  }

  /**
   * Ends the stream with `last` as its final result: a pending `next` gets it now, or the
   * next `next` does; then the stream ends. The source is returned at once.
   */
  cut(last: ExecutionResult): void {
    if (this.ended || this.last) return;
    void this.closeSource();
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) {
      this.last = last;
      return;
    }
    this.deliver(pending, last);
    this.finish();
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const last = this.last;
    if (last) {
      this.last = undefined;
      return new Promise((resolve, reject) => {
        this.deliver({ resolve, reject }, last);
        this.finish();
      });
    }
    if (this.ended) return Promise.resolve(DONE);
    // Reads are served in order: a read asked while one is in flight waits for it.
    const reading = this.reading;
    if (this.pending && reading) return reading.then(this.nextRead, this.nextRead);
    const promise = new Promise<IteratorResult<ExecutionResult>>((resolve, reject) => {
      const pending = { resolve, reject };
      this.pending = pending;
      let item: Promise<IteratorResult<unknown>>;
      try {
        item = this.source.next();
      } catch (error) {
        this.fail(pending, error);
        return;
      }
      item.then(
        (item) => {
          if (this.pending !== pending) return; // cut or returned meanwhile
          if (item.done) {
            this.pending = undefined;
            this.finish();
            resolve(DONE);
            return;
          }
          const ok = (result: ExecutionResult) => {
            if (this.pending !== pending) return;
            this.pending = undefined;
            this.deliver(pending, result);
          };
          const failed = (error: unknown) => {
            if (this.pending === pending) this.fail(pending, error);
          };
          let result: Result;
          try {
            result = this.map(item.value);
          } catch (error) {
            failed(error);
            return;
          }
          if (isPromise(result)) result.then(ok, failed);
          else ok(result);
        },
        (error: unknown) => {
          if (this.pending === pending) this.fail(pending, error);
        },
      );
    });
    this.reading = promise;
    return promise;
  }

  private readonly nextRead = () => this.next();

  return(): Promise<IteratorResult<ExecutionResult>> {
    const pending = this.pending;
    this.pending = undefined;
    this.last = undefined;
    this.finish();
    pending?.resolve(DONE);
    return this.closeSource().then(() => DONE);
  }

  throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    return this.return().then(() => Promise.reject(error));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private deliver(pending: NonNullable<ResultStream['pending']>, result: ExecutionResult): void {
    try {
      for (const hook of this.resultHooks) hook(result);
    } catch (error) {
      this.fail(pending, error);
      return;
    }
    pending.resolve({ value: result, done: false });
  }

  private fail(pending: NonNullable<ResultStream['pending']>, error: unknown): void {
    this.pending = undefined;
    let passed = error;
    for (const hook of this.errorHooks) passed = hook(passed);
    this.finish();
    void this.closeSource();
    pending.reject(passed);
  }

  /** Ends the source; what its `return` throws or rejects with is of no use to anyone now. */
  private closeSource(): Promise<unknown> {
    try {
      return Promise.resolve(this.source.return?.()).catch(() => undefined);
    } catch {
      return Promise.resolve();
    }
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.cleanup?.();
    for (const hook of this.endHooks) hook();
    this.endHooks.length = 0;
  }
}

/**
 * The result stream of a subscription, to hook: the one `shared-events.ts` made, or (a
 * stream some other subscribe function made) a ResultStream around it, set as the result.
 */
export function streamOf(result: AsyncIterable<unknown>, setResult: (result: never) => void): ResultStream {
  if (result instanceof ResultStream) return result;
  const stream = new ResultStream(result[Symbol.asyncIterator](), (event) => event as ExecutionResult);
  setResult(stream as never);
  return stream;
}

interface SubscribeResultHooks {
  onNext?: (payload: { args: unknown; result: ExecutionResult; setResult: (r: unknown) => void }) => unknown;
  onEnd?: () => void;
}

interface SubscribeHooks {
  onSubscribeResult?: (payload: {
    args: unknown;
    result: unknown;
    setResult: (r: never) => void;
  }) => SubscribeResultHooks | undefined;
  onSubscribeError?: (payload: { error: unknown; setError: (e: unknown) => void }) => void;
}

const refuseSetResult = () => {
  throw new Error(
    'a subscription result is shared by identical subscribers: an onNext hook may not replace it',
  );
};

function onStream(hooks: unknown): unknown {
  if (typeof hooks !== 'object' || hooks === null) return hooks;
  const { onSubscribeResult, onSubscribeError, ...rest } = hooks as SubscribeHooks;
  if (!onSubscribeResult && !onSubscribeError) return hooks;
  return {
    ...rest,
    onSubscribeResult(payload: Parameters<NonNullable<SubscribeHooks['onSubscribeResult']>>[0]) {
      const perResult = onSubscribeResult?.(payload);
      if (!isAsyncIterable(payload.result)) return perResult;
      const stream = streamOf(payload.result, payload.setResult);
      const onNext = perResult?.onNext;
      if (onNext)
        stream.onResult((result) => void onNext({ args: payload.args, result, setResult: refuseSetResult }));
      if (perResult?.onEnd) stream.onEnd(perResult.onEnd);
      if (onSubscribeError)
        stream.onError((error) => {
          let passed = error;
          onSubscribeError({ error, setError: (e) => (passed = e) });
          return passed;
        });
      return undefined;
    },
  };
}

/**
 * The plugin (and every plugin it adds) with its subscriptions' `onNext`, `onEnd` and
 * `onSubscribeError` registered on the result stream rather than returned to envelop,
 * which would wrap the stream in an iterator per hook.
 */
export function onResultStream<P extends Plugin>(plugin: P): P {
  const { onSubscribe, onPluginInit } = plugin as Plugin & Record<string, never>;
  return {
    ...plugin,
    ...(onPluginInit
      ? {
          onPluginInit: (payload: Parameters<NonNullable<Plugin['onPluginInit']>>[0]) =>
            (onPluginInit as NonNullable<Plugin['onPluginInit']>)({
              ...payload,
              addPlugin: (added: Plugin) => payload.addPlugin(onResultStream(added)),
            }),
        }
      : {}),
    ...(onSubscribe
      ? {
          onSubscribe: (payload: unknown) => {
            const hooks = (onSubscribe as (p: unknown) => unknown)(payload);
            return isPromise(hooks) ? hooks.then(onStream) : onStream(hooks);
          },
        }
      : {}),
  } as P;
}
