/**
 * DateTime's serializer: toISOString's own text goes out as it is (a metrics window's
 * timestamp is made once per window and shared by every node), anything else is normalised
 * through a Date, and what is not a time is refused.
 */
import { GraphQLScalarType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../../src/schema/index.js';

const scalar = buildSchema().getType('DateTime');
if (!(scalar instanceof GraphQLScalarType)) throw new Error('DateTime is not a scalar');
const serialize = (value: unknown) => scalar.serialize(value);

describe('DateTime.serialize', () => {
  it('passes toISOString text through unchanged, the same text a Date gives', () => {
    const at = new Date(Date.UTC(2026, 10, 30, 23, 59, 59, 7));
    expect(serialize(at.toISOString())).toBe('2026-11-30T23:59:59.007Z');
    expect(serialize(at)).toBe('2026-11-30T23:59:59.007Z');
    expect(serialize(at.getTime())).toBe('2026-11-30T23:59:59.007Z');
  });

  it('normalises RFC 3339 text that is not in toISOString form', () => {
    expect(serialize('2026-11-30T12:00:00Z')).toBe('2026-11-30T12:00:00.000Z');
    expect(serialize('2026-11-30T12:00:00.123456789Z')).toBe('2026-11-30T12:00:00.123Z');
    expect(serialize('2026-11-30T13:00:00.000+01:00')).toBe('2026-11-30T12:00:00.000Z');
  });

  it('refuses what is not a time, also in toISOString shape with fields out of range', () => {
    expect(() => serialize('yesterday')).toThrow('DateTime cannot represent yesterday');
    expect(() => serialize('2026-13-01T00:00:00.000Z')).toThrow('DateTime cannot represent');
    // ES dates allow 24:00 as the end of a day: not toISOString's form, so normalised.
    expect(serialize('2026-11-30T24:00:00.000Z')).toBe('2026-12-01T00:00:00.000Z');
  });
});
