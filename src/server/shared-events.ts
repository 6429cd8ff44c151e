/**
 * One execution per event for identical subscriptions.
 *
 * A thousand tabs on the same live page subscribe with the same document, variables
 * and token. The relays (loaders/streams.ts) already hand each of them the very same
 * event object; this plugin's subscribe computes the result for an event once per
 * (document, operation, variables, principal) and hands that result to all of them,
 * where graphql-yoga's executor would run the same selection a thousand times.
 *
 * It is graphql-js's own `subscribe` algorithm (createSourceEventStream, then
 * `execute` per event with the event as root value), plus the memo, except that each
 * subscription prepares its operation once (event-executor.ts) instead of graphql-js
 * building the execution context again for every event. Results are shared
 * only between subscribers of the same principal, so nothing crosses an authorisation
 * boundary; an event that is not shared (a snapshot, a SLOW_CONSUMER end) is executed
 * for its subscriber alone. The memo is keyed by the event object (a WeakMap), so it
 * goes when the event has been delivered to everyone.
 */
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  GraphQLError,
} from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { identityKeys } from '../identity.js';
import type { GatewayContext } from '../loaders/index.js';
import { principalKey } from '../loaders/principal.js';
import { isSharedEvent } from '../loaders/streams.js';
import { type EventExecutor, prepareEventExecutor } from './event-executor.js';
import { markShared } from './result-json.js';
import { isPromise, ResultStream, recordRequestStream } from './result-stream.js';

type Result = ExecutionResult | Promise<ExecutionResult>;

/** yoga caches parsed documents, so the same query text comes back as the same DocumentNode. */
const documentId = identityKeys<DocumentNode>();

/** Per shared event: operation key → its result. */
const results = new WeakMap<object, Map<string, Result>>();

function operationKey(args: ExecutionArgs): string | undefined {
  const principal = (args.contextValue as Partial<GatewayContext> | undefined)?.principal;
  if (!principal) return undefined;
  return JSON.stringify([
    documentId(args.document),
    args.operationName ?? null,
    args.variableValues ?? null,
    principalKey(principal),
  ]);
}

function executeEvent(executor: EventExecutor, key: string | undefined, payload: unknown): Result {
  if (key === undefined || !isSharedEvent(payload)) return executor.execute(payload);
  const event = payload as object;
  let byOperation = results.get(event);
  if (!byOperation) {
    byOperation = new Map();
    results.set(event, byOperation);
  }
  let result = byOperation.get(key);
  if (!result) {
    result = executor.execute(payload);
    byOperation.set(key, result);
    // Registered before any subscriber's own `then`, so marked before any is framed.
    if (isPromise<ExecutionResult>(result)) result.then(markShared, () => undefined);
    else markShared(result);
  }
  return result;
}

export async function sharedSubscribe(
  args: ExecutionArgs & { signal?: AbortSignal },
): Promise<ResultStream | ExecutionResult> {
  let source: AsyncIterable<unknown> | ExecutionResult;
  try {
    source = await createSourceEventStream(args);
  } catch (error) {
    // Invalid arguments to the executor itself (a programming error, not the client's).
    return { errors: [error instanceof GraphQLError ? error : new GraphQLError(String(error))] };
  }
  if (!isAsyncIterable(source)) {
    // Bad variables and the like: the client's mistake, as graphql-yoga's executor marks it.
    for (const error of source.errors ?? []) {
      if (!error.extensions.code && !error.path) {
        Object.assign(error.extensions, { code: 'BAD_USER_INPUT', http: { status: 400 } });
      }
    }
    return source;
  }
  const iterator = source[Symbol.asyncIterator]();
  const key = operationKey(args);
  const executor = prepareEventExecutor(args) ?? {
    execute: (payload) => execute({ ...args, rootValue: payload }),
  };
  const stop = () => iterator.return?.();
  args.signal?.addEventListener('abort', stop, { once: true });
  // The only iterator between the relay's queue and the transport: the plugins hook it (result-stream.ts).
  const stream = new ResultStream(
    iterator,
    (payload) => executeEvent(executor, key, payload),
    () => args.signal?.removeEventListener('abort', stop),
  );
  recordRequestStream(args.contextValue, stream);
  return stream;
}

/** Makes every subscription use `sharedSubscribe`. */
export function useSharedEventExecution(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(sharedSubscribe as never);
    },
  };
}
