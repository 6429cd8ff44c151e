/**
 * The answer objects of planned executions (server/selection-plan.ts `answerBuilder`): one
 * literal of exactly the selection's response names, in order, null values kept; only
 * GraphQL names reach the generated code; and an answer of many fields costs less heap than
 * the same answer written field by field into `{}` (graphql-js's way), which is why it exists.
 */
import { describe, expect, it } from 'vitest';
import { answerBuilder } from '../../src/server/selection-plan.js';
import { heapPerObject } from '../helpers/heap.js';

const KEYS = ['name', 'ready', 'unschedulable', 'podCount', 'requested', 'allocatable', 'usage', 'n2'];

describe('answerBuilder', () => {
  it('builds exactly the keys, in order, nulls and falsy values kept', () => {
    const build = answerBuilder(KEYS)!;
    const values = ['n1', false, null, 0, { cpuMillis: 1 }, '', undefined, 7];
    const o = build(values);
    expect(Object.keys(o)).toEqual(KEYS);
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(JSON.stringify(o)).toBe(
      '{"name":"n1","ready":false,"unschedulable":null,"podCount":0,"requested":{"cpuMillis":1},"allocatable":"","n2":7}',
    );
    // One function per key signature, shared by every plan that selects the same names.
    expect(answerBuilder([...KEYS])).toBe(build);
    expect(answerBuilder(['ready', ...KEYS.slice(1)].reverse())).not.toBe(build);
  });

  it('refuses what is not a GraphQL name, `__proto__` included, and selections too wide to generate', () => {
    expect(answerBuilder(['__proto__', 'a'])).toBeUndefined();
    for (const bad of ['a-b', '1a', 'a b', 'a"}); throw 1; ({"', '', 'ä', 'constructor)(']) {
      expect(answerBuilder(['ok', bad]), bad).toBeUndefined();
    }
    expect(answerBuilder([])).toBeUndefined();
    expect(answerBuilder(Array.from({ length: 65 }, (_, i) => `f${i}`))).toBeUndefined();
    // Names that are Object.prototype's own stay plain data properties.
    const o = answerBuilder(['constructor', 'toString', 'hasOwnProperty'])!([1, 2, 3]);
    expect(Object.getOwnPropertyDescriptor(o, 'toString')).toMatchObject({ value: 2, writable: true });
    expect(JSON.stringify(o)).toBe('{"constructor":1,"toString":2,"hasOwnProperty":3}');
  });

  it('costs less heap than the same answer written field by field', () => {
    const build = answerBuilder(KEYS)!;
    const values = (i: number) => ['node', true, false, i, null, null, null, i];
    const built = heapPerObject(20_000, (i) => build(values(i)));
    const byField = heapPerObject(20_000, (i) => {
      const v = values(i);
      const o: Record<string, unknown> = {};
      for (let k = 0; k < KEYS.length; k++) o[KEYS[k]] = v[k];
      return o;
    });
    // 8 fields: a literal is 3 + 8 words (88 B); from `{}`, 4 in-object slots and the other
    // four in a PropertyArray of its own (16 B of header, slots grown three at a time): 112 B
    // measured, so 24 B more. The bound leaves room for the measurement's noise (a few
    // hundredths of a byte per object), and the same layout both ways differs by nothing.
    expect(built).toBeLessThanOrEqual(96);
    expect(byField).toBeGreaterThanOrEqual(built + 16);
  });
});
