/**
 * The one iterator of a subscription's results (src/server/result-stream.ts), over the
 * relays' own queue (EventQueue), and its hooks as the plugins use them: results seen
 * before they are handed out, one end whatever ends it, errors passed through their hooks,
 * a cut that answers a pending read at once, and envelop plugins' per-result hooks moved
 * onto it. End to end, the limits, drain, request log and metrics tests run through it.
 */
import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { EventQueue } from '../../src/loaders/event-queue.js';
import { onResultStream, ResultStream, streamOf } from '../../src/server/result-stream.js';

const DONE = { value: undefined, done: true };

function queued() {
  const queue = new EventQueue<number>({ limit: 100 });
  const seen: ExecutionResult[] = [];
  let ends = 0;
  let cleanups = 0;
  const stream = new ResultStream(
    queue,
    (n) => {
      if (n === 13) throw new Error('unlucky');
      return n === 7 ? Promise.resolve({ data: { n } }) : { data: { n } };
    },
    () => cleanups++,
  );
  stream.onResult((r) => seen.push(r));
  stream.onEnd(() => ends++);
  return { queue, stream, seen, ends: () => ends, cleanups: () => cleanups };
}

describe('ResultStream', () => {
  it('hands out each event’s result, sync or async, after its result hooks, and ends once', async () => {
    const { queue, stream, seen, ends, cleanups } = queued();
    queue.push(1);
    const waiting = stream.next();
    queue.push(7);
    expect(await waiting).toEqual({ value: { data: { n: 1 } }, done: false });
    expect(await stream.next()).toEqual({ value: { data: { n: 7 } }, done: false });
    expect(seen).toEqual([{ data: { n: 1 } }, { data: { n: 7 } }]);
    queue.end();
    expect(await stream.next()).toEqual(DONE);
    expect(await stream.next()).toEqual(DONE);
    await stream.return();
    expect([ends(), cleanups()]).toEqual([1, 1]);
    let late = 0;
    stream.onEnd(() => late++);
    expect(late).toBe(1);
  });

  it('return() answers a pending read with done, closes the source and ends once', async () => {
    const { queue, stream, ends } = queued();
    const waiting = stream.next();
    expect(await stream.return()).toEqual(DONE);
    expect(await waiting).toEqual(DONE);
    expect(queue.push(1)).toBe(false);
    expect(ends()).toBe(1);
  });

  it('cut() answers a pending read with its last result, then ends; a later cut changes nothing', async () => {
    const { queue, stream, seen, ends } = queued();
    const waiting = stream.next();
    stream.cut({ errors: [new GatewayError('bye', { code: 'SHUTTING_DOWN' })] });
    stream.cut({ data: { other: true } });
    const last = await waiting;
    expect((last.value as ExecutionResult).errors?.[0]?.message).toBe('bye');
    expect(seen).toHaveLength(1);
    expect(ends()).toBe(1);
    expect(queue.push(1)).toBe(false);
    expect(await stream.next()).toEqual(DONE);
  });

  it('cut() with no read pending: the next read gets the last result, and the end comes after it', async () => {
    const { stream, seen, ends } = queued();
    stream.cut({ data: { last: true } });
    expect(ends()).toBe(0);
    expect(await stream.next()).toEqual({ value: { data: { last: true } }, done: false });
    expect(seen).toEqual([{ data: { last: true } }]);
    expect(ends()).toBe(1);
    expect(await stream.next()).toEqual(DONE);
  });

  it('a failing event passes its error through the error hooks, which may replace it, and ends the stream', async () => {
    const { queue, stream, ends } = queued();
    const hooked: unknown[] = [];
    stream.onError((error) => {
      hooked.push(error);
      return new Error(`wrapped: ${(error as Error).message}`);
    });
    queue.push(13);
    await expect(stream.next()).rejects.toThrow('wrapped: unlucky');
    expect(hooked).toHaveLength(1);
    expect(ends()).toBe(1);
    expect(queue.push(1)).toBe(false);
  });

  it('serves reads asked at once in order, each its own result', async () => {
    const { queue, stream } = queued();
    const reads = [stream.next(), stream.next(), stream.next()];
    queue.push(1);
    queue.push(2);
    queue.end();
    expect(await Promise.all(reads)).toEqual([
      { value: { data: { n: 1 } }, done: false },
      { value: { data: { n: 2 } }, done: false },
      DONE,
    ]);
  });

  it('a source whose return throws or rejects still ends quietly (no unhandled rejection)', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      for (const failing of [
        () => Promise.reject(new Error('return rejected')),
        () => {
          throw new Error('return threw');
        },
      ]) {
        const source = { next: () => new Promise<IteratorResult<unknown>>(() => {}), return: failing };
        const cut = new ResultStream(source as AsyncIterator<unknown>, (e) => e as ExecutionResult);
        const waiting = cut.next();
        cut.cut({ data: { bye: true } });
        expect(await waiting).toEqual({ value: { data: { bye: true } }, done: false });
        const returned = new ResultStream(source as AsyncIterator<unknown>, (e) => e as ExecutionResult);
        expect(await returned.return()).toEqual(DONE);
      }
      await new Promise((r) => setTimeout(r, 20));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('streamOf hooks the stream it is given, or wraps another iterable and sets it as the result', async () => {
    const { stream } = queued();
    let set: unknown;
    expect(streamOf(stream, (r) => (set = r))).toBe(stream);
    expect(set).toBeUndefined();
    async function* two() {
      yield { data: { a: 1 } };
      yield { data: { a: 2 } };
    }
    const wrapped = streamOf(two(), (r) => (set = r));
    expect(set).toBe(wrapped);
    expect(await wrapped.next()).toEqual({ value: { data: { a: 1 } }, done: false });
    expect(await wrapped.next()).toEqual({ value: { data: { a: 2 } }, done: false });
    expect(await wrapped.next()).toEqual(DONE);
  });

  it('onResultStream moves a plugin’s onNext, onEnd and onSubscribeError, and those of plugins it adds, onto the stream', async () => {
    const calls: string[] = [];
    const inner = {
      onSubscribe: () => ({
        onSubscribeResult: () => ({
          onNext: ({ result }: { result: ExecutionResult }) =>
            calls.push(`next ${JSON.stringify(result.data)}`),
          onEnd: () => calls.push('end'),
        }),
        onSubscribeError: ({ error, setError }: { error: unknown; setError: (e: unknown) => void }) => {
          calls.push(`error ${(error as Error).message}`);
          setError(new Error('masked'));
        },
      }),
    };
    const added: unknown[] = [];
    const outer = onResultStream({
      onPluginInit: ({ addPlugin }: { addPlugin: (p: unknown) => void }) => addPlugin(inner),
    } as never) as { onPluginInit: (p: unknown) => void };
    outer.onPluginInit({ addPlugin: (p: unknown) => added.push(p) });
    const plugin = added[0] as typeof inner;
    const { queue, stream } = queued();
    const hooks = plugin.onSubscribe() as unknown as {
      onSubscribeResult: (p: { args: unknown; result: unknown; setResult: (r: never) => void }) => unknown;
    };
    // Nothing for envelop to wrap: the hooks are on the stream.
    expect(hooks.onSubscribeResult({ args: {}, result: stream, setResult: () => {} })).toBeUndefined();
    queue.push(1);
    await stream.next();
    queue.push(13);
    await expect(stream.next()).rejects.toThrow('masked');
    expect(calls).toEqual(['next {"n":1}', 'error unlucky', 'end']);
  });
});
