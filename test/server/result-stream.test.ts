/**
 * The one iterator of a subscription's results (src/server/result-stream.ts), over the
 * relays' own queue (EventQueue), and its hooks as the plugins use them: results seen
 * before they are handed out, one end whatever ends it, errors passed through their hooks,
 * a cut that answers a pending read at once, and envelop plugins' per-result hooks moved
 * onto it. End to end, the limits, drain, request log and metrics tests run through it.
 */
import { type ExecutionResult, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ErrorCode, GatewayError } from '../../src/errors.js';
import { EventQueue } from '../../src/loaders/event-queue.js';
import { createContext } from '../../src/loaders/index.js';
import { OPEN_ACCESS } from '../../src/loaders/principal.js';
import { buildSchema } from '../../src/schema/index.js';
import {
  onResultStream,
  ResultStream,
  recordRequestStream,
  requestStream,
  streamOf,
  useStreamHooks,
} from '../../src/server/result-stream.js';
import { sharedSubscribe } from '../../src/server/shared-events.js';
import { startHarness } from '../helpers/harness.js';

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
  stream.onResult((r) => {
    seen.push(r);
    return undefined;
  });
  stream.onEnd(() => ends++);
  return { queue, stream, seen, ends: () => ends, cleanups: () => cleanups };
}

describe('ResultStream', () => {
  it('is found by the request whose subscribe made it, unless that request made more than one', () => {
    const stream = () => new ResultStream(new EventQueue<number>({ limit: 1 }), () => ({ data: {} }));
    const one = { request: new Request('http://gateway/graphql') };
    const made = stream();
    recordRequestStream(one, made);
    expect(requestStream(one.request)).toBe(made);
    // A batch's request made two: neither is "the" stream, so a transport reads what yoga hands it.
    const batch = { request: new Request('http://gateway/graphql') };
    recordRequestStream(batch, stream());
    recordRequestStream(batch, stream());
    expect(requestStream(batch.request)).toBeUndefined();
    // A context without a request records nothing.
    recordRequestStream({}, stream());
    expect(requestStream(new Request('http://gateway/graphql'))).toBeUndefined();
  });

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

  it('an onNext may replace the result for its own stream: later hooks and the reader get the new one, the shared one is untouched', async () => {
    const { queue, stream, seen } = queued();
    const shared: ExecutionResult[] = [];
    stream.onResult((r) => {
      shared.push(r);
      return r.data?.n === 1 ? { ...r, errors: [] } : undefined;
    });
    stream.onResult((r) => {
      seen.push({ ...r, extensions: { second: true } });
      return undefined;
    });
    queue.push(1);
    const { value } = await stream.next();
    expect(value).toEqual({ data: { n: 1 }, errors: [] });
    expect(shared[0]).toEqual({ data: { n: 1 } });
    expect(seen.at(-1)).toEqual({ data: { n: 1 }, errors: [], extensions: { second: true } });
    queue.push(2);
    expect((await stream.next()).value).toBe(shared[1]);
  });

  it('an error hook that throws ends the chain with what it threw (as envelop: yoga’s abort hook, then its masking)', async () => {
    const { queue, stream } = queued();
    const masked: unknown[] = [];
    // As yoga's abort hook: it rethrows what it must pass unmasked (here the event's error).
    stream.onError((error) => {
      if ((error as Error).message === 'unlucky') throw error;
      return error;
    });
    stream.onError((error) => {
      masked.push(error);
      return new Error('masked');
    });
    queue.push(13);
    await expect(stream.next()).rejects.toThrow('unlucky');
    expect(masked).toEqual([]);
  });

  it('useStreamHooks puts every plugin’s subscription hooks on the stream, those after it in the list too; assert() names one that is not', () => {
    const seen: string[] = [];
    const later = {
      onSubscribe: () => ({
        onSubscribeResult: () => ({ onNext: () => void seen.push('later') }),
      }),
    };
    const streamHooks = useStreamHooks();
    const plugins: unknown[] = [streamHooks, later];
    (streamHooks.onPluginInit as (p: unknown) => void)({ plugins, addPlugin: () => {} });
    expect(plugins[1]).not.toBe(later);
    const { stream } = queued();
    const hooks = (plugins[1] as typeof later).onSubscribe() as unknown as {
      onSubscribeResult: (p: { args: unknown; result: unknown; setResult: (r: never) => void }) => unknown;
    };
    expect(hooks.onSubscribeResult({ args: {}, result: stream, setResult: () => {} })).toBeUndefined();
    expect(() => streamHooks.assert()).not.toThrow();
    // A plugin that got into the list afterwards, unconverted: refused.
    plugins.push({ onSubscribe: () => undefined, onExecute: () => undefined });
    expect(() => streamHooks.assert()).toThrow(
      /1 plugin\(s\) with onSubscribe are not on the result stream: onSubscribe\/onExecute/,
    );
    expect(() => useStreamHooks().assert()).toThrow(/have not started/);
  });

  describe('read without promises (nextNow, whenReady)', () => {
    /** Lets the microtask that calls the waiting readers back run. */
    const turn = () => Promise.resolve();

    it('answers what is there now, calls a waiting reader back once after the push’s turn, and ends once', async () => {
      const { queue, stream, seen, ends, cleanups } = queued();
      expect(stream.canReadNow).toBe(true);
      expect(stream.nextNow()).toBeUndefined();
      let calls = 0;
      stream.whenReady(() => calls++);
      queue.push(1);
      queue.push(2);
      expect(calls).toBe(0); // not inside the push: after the fan-out that pushed it
      await turn();
      expect(calls).toBe(1);
      expect(stream.nextNow()).toEqual({ value: { data: { n: 1 } }, done: false });
      expect(stream.nextNow()).toEqual({ value: { data: { n: 2 } }, done: false });
      expect(stream.nextNow()).toBeUndefined();
      expect(seen).toEqual([{ data: { n: 1 } }, { data: { n: 2 } }]);
      queue.push(7); // executed asynchronously: a promise of the result
      const later = stream.nextNow();
      expect(later).toBeInstanceOf(Promise);
      expect(await later).toEqual({ value: { data: { n: 7 } }, done: false });
      stream.whenReady(() => calls++);
      queue.end();
      await turn();
      expect(calls).toBe(2);
      expect(stream.nextNow()).toEqual(DONE);
      expect(stream.nextNow()).toEqual(DONE);
      expect([ends(), cleanups()]).toEqual([1, 1]);
    });

    it('a reader waiting when the stream is cut is called back and gets the last result, then the end', async () => {
      const { queue, stream, seen, ends } = queued();
      let calls = 0;
      stream.whenReady(() => calls++);
      stream.cut({ data: { last: true } });
      await turn();
      expect(calls).toBe(1);
      expect(stream.nextNow()).toEqual({ value: { data: { last: true } }, done: false });
      expect(stream.nextNow()).toEqual(DONE);
      expect(seen).toEqual([{ data: { last: true } }]);
      expect(ends()).toBe(1);
      expect(queue.push(1)).toBe(false);
    });

    it('a cut while a result executes: the cut’s result instead of it', async () => {
      const { queue, stream, seen } = queued();
      queue.push(7);
      const executing = stream.nextNow();
      stream.cut({ data: { last: true } });
      expect(await executing).toEqual({ value: { data: { last: true } }, done: false });
      expect(stream.nextNow()).toEqual(DONE);
      expect(seen).toEqual([{ data: { last: true } }]);
    });

    it('return() calls a waiting reader back with the end', async () => {
      const { stream, ends } = queued();
      let calls = 0;
      stream.whenReady(() => calls++);
      await stream.return();
      expect(calls).toBe(1);
      expect(stream.nextNow()).toEqual(DONE);
      expect(ends()).toBe(1);
    });

    it('a failing event rejects through the error hooks and ends the stream', async () => {
      const { queue, stream, ends } = queued();
      stream.onError(
        (error) => new GatewayError(`wrapped: ${(error as Error).message}`, { code: ErrorCode.INTERNAL }),
      );
      queue.push(13);
      await expect(stream.nextNow()).rejects.toThrow('wrapped: unlucky');
      expect(ends()).toBe(1);
      expect(stream.nextNow()).toEqual(DONE);
      expect(queue.push(1)).toBe(false);
    });

    it('a queue cut off as a slow consumer hands its error over as an item, then ends', async () => {
      const queue = new EventQueue<number>({ limit: 2 });
      const stream = new ResultStream(queue, (item) =>
        item instanceof GatewayError ? { errors: [item] } : { data: { n: item } },
      );
      let calls = 0;
      stream.whenReady(() => calls++);
      queue.push(1);
      queue.push(2);
      queue.push(3); // over the limit of 2: everything queued is dropped for one SLOW_CONSUMER
      await turn();
      expect(calls).toBe(1);
      const item = stream.nextNow() as IteratorResult<ExecutionResult>;
      expect((item.value as ExecutionResult).errors?.[0]).toMatchObject({
        extensions: { code: 'SLOW_CONSUMER' },
      });
      expect(stream.nextNow()).toEqual(DONE);
    });

    it('is not offered over a source without it (a foreign iterable: the async iterator only)', async () => {
      async function* foreign() {
        yield { data: { n: 1 } };
      }
      const stream = streamOf(foreign(), () => {});
      expect(stream.canReadNow).toBe(false);
      expect(await stream.next()).toEqual({ value: { data: { n: 1 } }, done: false });
    });
  });

  it('the gateway’s object subscriptions are read so: its relays are ReadySources, end to end', async () => {
    const h = await startHarness({ simulator: { scenario: { nodes: 1, pods: 3, jobs: 0, namespaces: 1 } } });
    try {
      const stream = await sharedSubscribe({
        schema: buildSchema(),
        document: parse('subscription { podEvents(cluster: "sim", initial: true) { type object { name } } }'),
        contextValue: createContext({ directory: h.registry, principal: OPEN_ACCESS }),
      });
      expect(stream).toBeInstanceOf(ResultStream);
      // And through yoga with every plugin of the gateway (its error masking and abort hook
      // included): the transports get this stream itself, not an envelop iterator around it.
      const query = 'subscription { podEvents(cluster: "sim") { type } }';
      const enveloped = h.gateway.yoga.getEnveloped({
        request: new Request('http://gateway/graphql'),
        params: { query },
      });
      const throughYoga = await enveloped.subscribe({
        schema: enveloped.schema,
        document: enveloped.parse(query),
        contextValue: await enveloped.contextFactory(),
      });
      expect(throughYoga).toBeInstanceOf(ResultStream);
      expect((throughYoga as ResultStream).canReadNow).toBe(true);
      await (throughYoga as ResultStream).return();
      const results = stream as ResultStream;
      expect(results.canReadNow).toBe(true);
      const names: string[] = [];
      while (names.length < 3) {
        const item = results.nextNow();
        if (!item) {
          await new Promise<void>((r) => results.whenReady(r));
          continue;
        }
        const { value } = item instanceof Promise ? await item : item;
        const data = (value as ExecutionResult<{ podEvents: { type: string; object: { name: string } } }>)
          .data;
        expect(data?.podEvents.type).toBe('ADDED');
        names.push(data!.podEvents.object.name);
      }
      expect(names.sort()).toEqual([...h.sim.store.scan('pods')].map((p) => p.metadata.name).sort());
      await results.return();
    } finally {
      await h.close();
    }
  });
});
