import { describe, expect, it } from 'vitest';
import { exactObject, shape } from '../../src/kube/shape.js';
import { heapPerObject } from '../helpers/heap.js';

interface Cond {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastProbeTime?: Date;
  lastTransitionTime?: Date;
  observedGeneration?: number;
}
const COND = shape<Cond>([
  'type',
  'status',
  'reason',
  'message',
  'lastProbeTime',
  'lastTransitionTime',
  'observedGeneration',
]);

describe('shape', () => {
  it('builds exactly the keys whose values are present, in the order of the keys', () => {
    const t = new Date(0);
    const c = COND('Ready', 'True', undefined, null, undefined, t, 0);
    expect(c).toStrictEqual({ type: 'Ready', status: 'True', lastTransitionTime: t, observedGeneration: 0 });
    expect(Object.keys(c)).toEqual(['type', 'status', 'lastTransitionTime', 'observedGeneration']);
    expect('reason' in c).toBe(false);
    // false, 0 and '' are values, not absences.
    expect(COND('', 'False', undefined, undefined, undefined, undefined, 0)).toStrictEqual({
      type: '',
      status: 'False',
      observedGeneration: 0,
    });
    expect(COND()).toStrictEqual({});
  });

  it('gives each combination of present keys its own literal, reused', () => {
    const a = COND('Ready', 'True');
    const b = COND('PodScheduled', 'False', 'Unschedulable');
    const c = COND('Initialized', 'True');
    expect(Object.keys(b)).toEqual(['type', 'status', 'reason']);
    expect(Object.keys(a)).toEqual(Object.keys(c));
  });

  it('lays the fields out in the object itself: less heap than adding them one by one', () => {
    const t = new Date(0);
    const put = (o: Record<string, unknown>, k: string, v: unknown) => {
      if (v !== undefined && v !== null) o[k] = v;
    };
    // 100,000 each: heapUsed moves by a few hundred KB of the process's own between two
    // readings (148 KB once in CI, 7.4 B an object at 20,000, enough to cross the bound).
    const added = heapPerObject(100_000, (i) => {
      const o: Record<string, unknown> = { type: 'Ready', status: i % 2 ? 'True' : 'False' };
      put(o, 'reason', 'Because');
      put(o, 'lastTransitionTime', t);
      put(o, 'observedGeneration', i);
      return o;
    });
    const exact = heapPerObject(100_000, (i) =>
      COND('Ready', i % 2 ? 'True' : 'False', 'Because', undefined, undefined, t, i),
    );
    // Header (24 B) and five slots. Property by property: the literal's two slots, then a
    // PropertyArray (its own 16 B header and three slots) for the other three.
    expect(exact).toBeLessThanOrEqual(24 + 5 * 8 + 4);
    expect(added).toBeGreaterThanOrEqual(24 + 2 * 8 + 16 + 3 * 8 - 4);
  });

  it('refuses keys that are not identifiers, duplicates, and too many keys', () => {
    expect(() => shape<Record<string, unknown>>(['a-b'])).toThrow(/expected identifiers as keys, got "a-b"/);
    expect(() => shape<Record<string, unknown>>(['a', 'a'])).toThrow(/duplicate keys/);
    expect(() => shape<Record<string, unknown>>(['__proto__'])).toThrow(/identifiers/);
    expect(() => shape<Record<string, unknown>>([])).toThrow(/expected 1 to 24 keys, got 0/);
    expect(() => shape<Record<string, unknown>>(Array.from({ length: 25 }, (_, i) => `k${i}`))).toThrow(
      /got 25/,
    );
  });
});

describe('exactObject', () => {
  it('builds the same object whether its keys are identifiers or not, dropping null and undefined', () => {
    expect(exactObject(['active', 'ready', 'failed'], [1, null, 0])).toStrictEqual({ active: 1, failed: 0 });
    const labels = exactObject(['app.kubernetes.io/name', 'tier', 'zone'], ['web', undefined, 'a']);
    expect(Object.keys(labels)).toEqual(['app.kubernetes.io/name', 'zone']);
    expect(labels['app.kubernetes.io/name']).toBe('web');
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(exactObject([], [])).toStrictEqual({});
  });

  it('treats keys that come from data as plain property names, even when they name builtins', () => {
    // A selector's labels reach it through clone(): identifiers are generated into a literal.
    const o = exactObject(['constructor', 'toString', 'delete'], ['a', 'b', 'c']);
    expect(Object.keys(o)).toEqual(['constructor', 'toString', 'delete']);
    expect(Object.getOwnPropertyDescriptor(o, 'toString')?.value).toBe('b');
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    // Not an identifier: never generated, built key by key.
    const odd = exactObject(['a}; throw 1; ({b', 'x'], [1, 2]);
    expect(odd).toStrictEqual({ 'a}; throw 1; ({b': 1, x: 2 });
  });
});
