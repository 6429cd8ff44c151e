/** DateTime: ISO-8601 UTC strings out (`2024-05-01T12:00:00.000Z`), ISO-8601 in. */
import { Kind } from 'graphql';
import { badUserInput, quote } from '../errors.js';
import { builder } from './builder.js';

function parse(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(value as string)) {
    throw badUserInput(
      `expected an ISO-8601 date-time such as "2024-05-01T12:00:00Z", received ${quote(value)}`,
    );
  }
  return date;
}

/**
 * `toISOString`'s own form (`2024-05-01T12:00:00.000Z`, fields in range): text a resolver
 * made once with `toISOString` (a metrics window's timestamp, shared by every node and pod
 * of the window) goes out as it is rather than through a Date and `toISOString` again per
 * field. Anything else (RFC 3339 without milliseconds, with nanoseconds or an offset) is
 * normalised through a Date as before.
 */
const CANONICAL =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

export const DateTime = builder.scalarType('DateTime', {
  description: 'A point in time, as an ISO-8601 UTC string (Kubernetes timestamps have second precision).',
  serialize: (value) => {
    if (typeof value === 'string' && value.length === 24 && CANONICAL.test(value)) return value;
    const date = value instanceof Date ? value : new Date(value);
    if (Number.isNaN(date.getTime())) throw new TypeError(`DateTime cannot represent ${String(value)}`);
    return date.toISOString();
  },
  parseValue: parse,
  parseLiteral: (ast) => parse(ast.kind === Kind.STRING ? ast.value : undefined),
});

/** Milliseconds since the epoch of a Kubernetes timestamp (a Date, or RFC 3339 text); 0 when absent. */
export function millis(value: Date | string | undefined): number {
  if (value === undefined) return 0;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
}
