/**
 * A subscription result as both streaming transports send it, serialised once per result
 * object: identical subscribers receive the same object (shared-events.ts), so a fan-out
 * to 10,000 of them serialises each event once, not 10,000 times.
 */
import type { ExecutionResult, GraphQLError } from 'graphql';

/**
 * As yoga serialises a result: an error's `extensions.http` (its HTTP status, for the
 * transport) and `unexpected` stay on the server, and so does a result's `extensions.http`.
 */
export function serialise(result: ExecutionResult): string {
  if (!result.errors?.length && !(result.extensions as { http?: unknown } | undefined)?.http) {
    return JSON.stringify(result);
  }
  const { http: _http, ...extensions } = (result.extensions ?? {}) as Record<string, unknown>;
  return JSON.stringify({
    ...result,
    errors: result.errors?.map((error: GraphQLError) => {
      const json = error.toJSON();
      const { http: _h, unexpected: _u, ...rest } = (json.extensions ?? {}) as Record<string, unknown>;
      return { ...json, extensions: Object.keys(rest).length ? rest : undefined };
    }),
    extensions: Object.keys(extensions).length ? extensions : undefined,
  });
}

/** Results handed to more than one subscriber (shared-events.ts): the ones worth a memo. */
const shared = new WeakSet<object>();

/** Marks a result that several subscribers receive, so transports serialise it once. */
export function markShared(result: ExecutionResult): void {
  shared.add(result);
}

/**
 * Per result object, as a transport frames it: its bytes go when the result does. A result
 * only one subscriber receives (a distinct operation's) is framed without the memo.
 */
export function memoised<T>(frame: (json: string) => T): (result: ExecutionResult) => T {
  const frames = new WeakMap<object, T>();
  return (result) => {
    if (!shared.has(result)) return frame(serialise(result));
    let framed = frames.get(result);
    if (framed === undefined) {
      framed = frame(serialise(result));
      frames.set(result, framed);
    }
    return framed;
  };
}
