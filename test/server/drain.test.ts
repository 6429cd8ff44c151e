/**
 * The drain keeps nothing of an operation once it settled. It used to race each execution
 * (and each subscription read) against a promise that stays pending until shutdown: every
 * race left a reaction on it holding the race's settled value, so a gateway kept every
 * answer it ever gave (RSS +48 KB per Q2 query, 3.2 GB after 66k). Subscriptions are no
 * longer raced at all: the drain keeps their streams and cuts them (result-stream.ts). The
 * plugin is driven here as yoga drives it: onExecute's setExecuteFn, onSubscribe's setResult.
 */
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { Drain } from '../../src/server/shutdown.js';

type Execute = (args: ExecutionArgs) => Promise<ExecutionResult>;

function wrappedExecute(drain: Drain, execute: Execute): Execute {
  let wrapped: Execute | undefined;
  const plugin = drain.plugin() as {
    onExecute: (payload: { executeFn: Execute; setExecuteFn: (fn: Execute) => void }) => void;
  };
  plugin.onExecute({ executeFn: execute, setExecuteFn: (fn) => (wrapped = fn) });
  return wrapped!;
}

function wrappedSubscription(drain: Drain, source: AsyncIterable<ExecutionResult>) {
  let result: AsyncIterableIterator<ExecutionResult> | undefined;
  const plugin = drain.plugin() as {
    onSubscribe: () => {
      onSubscribeResult: (payload: { result: unknown; setResult: (r: unknown) => void }) => void;
    };
  };
  plugin.onSubscribe().onSubscribeResult({
    result: source,
    setResult: (r) => (result = r as AsyncIterableIterator<ExecutionResult>),
  });
  return result!;
}

describe('Drain', () => {
  it('holds no execution once it settled, answered or failed', async () => {
    const drain = new Drain();
    const execute = wrappedExecute(drain, async () => ({ data: { big: 'x'.repeat(1000) } }));
    for (let i = 0; i < 100; i++) await execute({} as ExecutionArgs);
    const failing = wrappedExecute(drain, async () => {
      throw new Error('boom');
    });
    await expect(failing({} as ExecutionArgs)).rejects.toThrow('boom');
    expect(drain.executions).toBe(0);
    expect(drain.waiting).toBe(0);
  });

  it('still cuts what is running, and only that', async () => {
    const drain = new Drain();
    const never = wrappedExecute(drain, () => new Promise<ExecutionResult>(() => {}));
    const quick = wrappedExecute(drain, async () => ({ data: { ok: true } }));
    const running = never({} as ExecutionArgs);
    expect(await quick({} as ExecutionArgs)).toEqual({ data: { ok: true } });
    expect(drain.waiting).toBe(1);
    drain.cut();
    const cut = (await running) as ExecutionResult;
    expect(cut.errors?.[0]?.extensions?.code).toBe('SHUTTING_DOWN');
    expect(drain.executions).toBe(0);
    expect(drain.waiting).toBe(0);
  });

  it('races no subscription read, and still ends a waiting one, and one started after', async () => {
    const drain = new Drain();
    async function* events() {
      for (let i = 0; i < 50; i++) yield { data: { n: i } };
      await new Promise(() => {});
    }
    const stream = wrappedSubscription(drain, events());
    for (let i = 0; i < 50; i++) expect((await stream.next()).value).toEqual({ data: { n: i } });
    const waiting = stream.next();
    // The drain holds the live stream, not a race per read (nor any result).
    expect(drain.waiting).toBe(0);
    expect(drain.subscriptions).toBe(1);
    drain.endSubscriptions();
    const last = await waiting;
    expect((last.value as ExecutionResult).errors?.[0]?.extensions?.code).toBe('SHUTTING_DOWN');
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(drain.subscriptions).toBe(0);
    // One that starts during the shutdown gets the same last result at once.
    const late = wrappedSubscription(drain, events());
    expect(drain.subscriptions).toBe(0);
    const lateLast = await late.next();
    expect((lateLast.value as ExecutionResult).errors?.[0]?.extensions?.code).toBe('SHUTTING_DOWN');
    expect(await late.next()).toEqual({ value: undefined, done: true });
  });
});
