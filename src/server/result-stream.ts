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
 * The callbacks are synchronous: an `onNext` that returns a promise is not awaited. An
 * `onNext` may replace the result (`setResult`, as yoga's error masking does for a result
 * with errors): this subscriber then gets the new object, and later hooks see it; the
 * result identical subscribers share is never changed in place.
 *
 * No plugin's hooks are left to envelop: `useStreamHooks` (first in the gateway's plugins)
 * moves those of every plugin, yoga's own masking and abort hooks included, onto the
 * stream, and its `assert()` refuses to start a gateway where one is not. So the
 * transports get this stream itself, which they read without a promise per event.
 *
 * Read either as an async iterator or, when its source is a ReadySource (each relay's
 * queue is), with `nextNow` and `whenReady`: a result already in memory (a shared event's,
 * or one executed synchronously) is then handed out without a promise (ws-delivery.ts).
 */
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { isReadySource, type ReadySource, soon } from '../loaders/index.js';

type Result = ExecutionResult | Promise<ExecutionResult>;

const DONE: IteratorResult<ExecutionResult> = Object.freeze({ value: undefined, done: true });

export function isPromise<T>(value: unknown): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}

export class ResultStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly resultHooks: ((result: ExecutionResult) => ExecutionResult | undefined)[] = [];
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
  /** The source read without promises, when it can be. */
  private readonly readySource: ReadySource<unknown> | undefined;
  /** A `whenReady` reader's callback, while it waits. */
  private onReady: (() => void) | undefined;

  /**
   * @param source the events (each subscriber's relay queue)
   * @param map an event's result
   * @param cleanup called once when the stream ends, before the end hooks
   */
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly map: (event: unknown) => Result,
    private readonly cleanup?: () => void,
  ) {
    this.readySource = isReadySource(source) ? source : undefined;
  }

  /** Whether `nextNow` and `whenReady` may be used: the source can be read without promises. */
  get canReadNow(): boolean {
    return this.readySource !== undefined;
  }

  /**
   * Called with every result this stream hands out, before it does; a result returned
   * replaces it (for this stream only) for the hooks after and the reader.
   */
  onResult(hook: (result: ExecutionResult) => ExecutionResult | undefined): void {
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
      this.wake();
      return;
    }
    this.deliver(pending, last);
    this.finish();
  }

  /**
   * The next result if there is one now (or the end), without a promise; a promise when
   * the result is being executed asynchronously (or the stream failed: rejected); undefined
   * when there is nothing yet (then `whenReady`). Only when `canReadNow`.
   */
  nextNow(): IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>> | undefined {
    const last = this.last;
    if (last) {
      this.last = undefined;
      const out = this.handOut(last);
      this.finish();
      return out;
    }
    if (this.ended) return DONE;
    let item: IteratorResult<unknown> | undefined;
    let result: Result;
    try {
      item = this.readySource!.nextNow();
      if (item === undefined) return undefined;
      if (item.done) {
        this.finish();
        return DONE;
      }
      result = this.map(item.value);
    } catch (error) {
      return this.failNow(error);
    }
    if (!isPromise<ExecutionResult>(result)) return this.handOut(result);
    return result.then(
      // Cut or returned while it executed: the cut's result (or the end) instead.
      (done) => (this.last || this.ended ? (this.nextNow() ?? DONE) : this.handOut(done)),
      (error: unknown) => (this.ended ? DONE : this.failNow(error)),
    );
  }

  /** Calls `ready` back once (soon) when `nextNow` has something: a result, the end, a failure. */
  whenReady(ready: () => void): void {
    if (this.last || this.ended) {
      soon(ready);
      return;
    }
    this.onReady = ready;
    this.readySource!.whenReady(this.sourceReady);
  }

  private readonly sourceReady = () => {
    const ready = this.onReady;
    this.onReady = undefined;
    ready?.();
  };

  private wake(): void {
    const ready = this.onReady;
    this.onReady = undefined;
    if (ready) soon(ready);
  }

  /** A result handed out by `nextNow`: after the result hooks. */
  private handOut(result: ExecutionResult): IteratorResult<ExecutionResult> | Promise<never> {
    let out: ExecutionResult;
    try {
      out = this.hooked(result);
    } catch (error) {
      return this.failNow(error);
    }
    return { value: out, done: false };
  }

  /** The result after the result hooks (each may replace it). */
  private hooked(result: ExecutionResult): ExecutionResult {
    let out = result;
    const hooks = this.resultHooks;
    for (let i = 0; i < hooks.length; i++) out = hooks[i](out) ?? out;
    return out;
  }

  /**
   * The error after the error hooks, as envelop passes it: each may replace it, and one
   * that throws ends the chain with what it threw (yoga's abort hook rethrows an abort so
   * that the masking hook after it never sees it).
   */
  private passedOn(error: unknown): unknown {
    let passed = error;
    try {
      for (const hook of this.errorHooks) passed = hook(passed);
    } catch (thrown) {
      passed = thrown;
    }
    return passed;
  }

  /** `fail` for a `nextNow` reader: the error (as the error hooks pass it on), rejected. */
  private failNow(error: unknown): Promise<never> {
    const passed = this.passedOn(error);
    this.finish();
    void this.closeSource();
    return Promise.reject(passed);
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
    this.wake();
    return this.closeSource().then(() => DONE);
  }

  throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    return this.return().then(() => Promise.reject(error));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private deliver(pending: NonNullable<ResultStream['pending']>, result: ExecutionResult): void {
    let out: ExecutionResult;
    try {
      out = this.hooked(result);
    } catch (error) {
      this.fail(pending, error);
      return;
    }
    pending.resolve({ value: out, done: false });
  }

  private fail(pending: NonNullable<ResultStream['pending']>, error: unknown): void {
    this.pending = undefined;
    const passed = this.passedOn(error);
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
      if (onNext) stream.onResult(resultHook(onNext, payload.args));
      if (perResult?.onEnd) stream.onEnd(perResult.onEnd);
      if (onSubscribeError) stream.onError(errorHook(onSubscribeError));
      return undefined;
    },
  };
}

/*
 * The hooks a stream keeps for as long as it lives are made by these two functions, not inline
 * above: a closure keeps its whole scope's context, and that one holds envelop's payload
 * (its `setResult` and the state behind it) and the plugin's hook objects. Made inline, they
 * kept ~1.7 KiB of envelop's state alive with every live subscriber
 * (`SNAPSHOT=FILE PATHS=ResultStream npx tsx bench/subscriber-memory.ts 2000 ws`).
 */

/** An `onNext` as a result hook: one setter per stream, not a closure per event and subscriber. */
function resultHook(
  onNext: NonNullable<SubscribeResultHooks['onNext']>,
  args: unknown,
): (result: ExecutionResult) => ExecutionResult | undefined {
  let out: ExecutionResult | undefined;
  const setResult = (replaced: unknown) => {
    out = replaced as ExecutionResult;
  };
  return (result) => {
    out = undefined;
    void onNext({ args, result, setResult });
    return out;
  };
}

function errorHook(
  onSubscribeError: NonNullable<SubscribeHooks['onSubscribeError']>,
): (error: unknown) => unknown {
  return (error) => {
    let passed = error;
    onSubscribeError({ error, setError: (e) => (passed = e) });
    return passed;
  };
}

/** Each request's subscription stream, as its subscribe made it (see `requestStream`). */
const byRequest = new WeakMap<object, ResultStream | null>();

/**
 * Records the stream a request's subscribe made (shared-events.ts), keyed by the request
 * (yoga's context holds it), for a transport that yoga hands the stream only wrapped. A
 * request that made more than one (a batch, were batching ever enabled) has no one stream
 * to read: its transports read what yoga hands them.
 */
export function recordRequestStream(context: unknown, stream: ResultStream): void {
  const request = (context as { request?: unknown } | undefined)?.request;
  if (typeof request !== 'object' || request === null) return;
  byRequest.set(request, byRequest.has(request) ? null : stream);
}

/**
 * The subscription stream a request's subscribe made. yoga's HTTP path (its `handleParams`)
 * wraps every subscription's result in an iterator of its own, which turns a failure into a
 * last `{ errors }` result and reads with a promise per event; its result processors (sse.ts)
 * get that wrapper, and read the stream itself through this instead.
 */
export function requestStream(request: object): ResultStream | undefined {
  return byRequest.get(request) ?? undefined;
}

/** Plugins whose subscription hooks are on the stream (made by `onResultStream`). */
const onStreamPlugins = new WeakSet<object>();

/**
 * The plugin (and every plugin it adds) with its subscriptions' `onNext`, `onEnd` and
 * `onSubscribeError` registered on the result stream rather than returned to envelop,
 * which would wrap the stream in an iterator per hook. Its other hooks are its own (the
 * copy keeps its prototype); a plugin already so made is returned as it is.
 */
export function onResultStream<P extends Plugin>(plugin: P): P {
  if (onStreamPlugins.has(plugin)) return plugin;
  const { onSubscribe, onPluginInit } = plugin as Plugin & Record<string, never>;
  const made = Object.assign(Object.create(Object.getPrototypeOf(plugin) as object) as P, plugin, {
    ...(onPluginInit
      ? {
          onPluginInit: (payload: Parameters<NonNullable<Plugin['onPluginInit']>>[0]) =>
            (onPluginInit as NonNullable<Plugin['onPluginInit']>).call(plugin, {
              ...payload,
              addPlugin: (added: Plugin) => payload.addPlugin(onResultStream(added)),
            }),
        }
      : {}),
    ...(onSubscribe
      ? {
          onSubscribe: (payload: unknown) => {
            const hooks = (onSubscribe as (p: unknown) => unknown).call(plugin, payload);
            return isPromise(hooks) ? hooks.then(onStream) : onStream(hooks);
          },
        }
      : {}),
  });
  onStreamPlugins.add(made);
  return made;
}

/**
 * First among the gateway's plugins: when envelop starts its plugins, every one with an
 * `onSubscribe` (those after this one in yoga's list too: yoga adds its error masking and
 * its abort hook after the caller's plugins) is replaced by its `onResultStream` form, as is
 * every one with an `onPluginInit` (so the plugins it adds are too). envelop collects the
 * hooks only after every plugin has started, from the same list.
 *
 * `assert()`, once the server is made, throws unless every plugin of that list with an
 * `onSubscribe` has its hooks on the stream: one left to envelop would wrap the stream, and
 * the transports would read envelop's iterator instead of this stream (ws-delivery.ts).
 */
export function useStreamHooks(): Plugin & { assert(): void } {
  let started: unknown[] | undefined;
  const plugin: Plugin & { assert(): void } = {
    onPluginInit({ plugins }) {
      started = plugins;
      for (let i = 0; i < plugins.length; i++) {
        const p = plugins[i] as Plugin | undefined;
        if (p && p !== plugin && (p.onSubscribe || p.onPluginInit)) plugins[i] = onResultStream(p);
      }
    },
    assert() {
      if (!started) throw new Error('useStreamHooks: the plugins have not started (is it in the list?)');
      const left = started.filter(
        (p): p is Plugin => !!p && !!(p as Plugin).onSubscribe && !onStreamPlugins.has(p as Plugin),
      );
      if (left.length)
        throw new Error(
          `${left.length} plugin(s) with onSubscribe are not on the result stream: ${left
            .map((p) => Object.keys(p).join('/'))
            .join('; ')}`,
        );
    },
  };
  onStreamPlugins.add(plugin);
  return plugin;
}
