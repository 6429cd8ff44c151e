/**
 * `lazyMethods`: the context's `write` and `logs` are built on their first call, once, and
 * offer exactly the interface's methods on a frozen object.
 */
import { describe, expect, it } from 'vitest';
import { lazyMethods } from '../../src/loaders/lazy.js';

interface Greeter {
  hello(name: string): string;
  twice(a: number, b: number): Promise<number>;
}

const lazyGreeter = lazyMethods<Greeter>({ hello: true, twice: true });

describe('lazyMethods', () => {
  it('builds the real object on the first call, once, and passes arguments and results through', async () => {
    let built = 0;
    const greeter = lazyGreeter(() => {
      built++;
      return { hello: (name) => `hello ${name}`, twice: async (a, b) => 2 * (a + b) };
    });
    expect(built).toBe(0);
    expect(greeter.hello('kube')).toBe('hello kube');
    expect(await greeter.twice(1, 2)).toBe(6);
    expect(greeter.hello('gate')).toBe('hello gate');
    expect(built).toBe(1);
  });

  it('builds one real object per facade', () => {
    const made: string[] = [];
    const named = (label: string) => () => ({
      hello: (n: string) => {
        made.push(`${label}:${n}`);
        return label;
      },
      twice: async () => 0,
    });
    const a = lazyGreeter(named('a'));
    const b = lazyGreeter(named('b'));
    expect([a.hello('1'), b.hello('2'), a.hello('3')]).toEqual(['a', 'b', 'a']);
    expect(made).toEqual(['a:1', 'b:2', 'a:3']);
  });

  it('is frozen, and has the listed methods and nothing else', () => {
    const greeter = lazyGreeter(() => ({ hello: () => '', twice: async () => 0 }));
    expect(Object.isFrozen(greeter)).toBe(true);
    expect(Object.isFrozen(Object.getPrototypeOf(greeter))).toBe(true);
    expect(Object.getOwnPropertyNames(Object.getPrototypeOf(greeter)).sort()).toEqual([
      'constructor',
      'hello',
      'twice',
    ]);
    expect(() => {
      (greeter as unknown as Record<string, unknown>).hello = () => 'replaced';
    }).toThrow(TypeError);
  });

  it('passes a failure of the builder to the caller, and builds again on the next call', () => {
    let attempts = 0;
    const greeter = lazyGreeter(() => {
      attempts++;
      if (attempts === 1) throw new Error('not yet');
      return { hello: () => 'ok', twice: async () => 0 };
    });
    expect(() => greeter.hello('x')).toThrow('not yet');
    expect(greeter.hello('x')).toBe('ok');
    expect(attempts).toBe(2);
  });
});
