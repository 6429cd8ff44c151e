/**
 * One log line per operation (issue #15): request id, transport, operation name and type,
 * principal name (never a credential), duration, HTTP status and the `extensions.code` of
 * every error answered. A subscription has two: when it starts, and when it ends (with its
 * duration, events sent and the codes of its last result: SHUTTING_DOWN, FORBIDDEN...).
 *
 * Where each line is written:
 * - HTTP queries and mutations (POST, GET), and anything refused before execution (401,
 *   validation, limits): at yoga's `onResponse`, which knows the status; the request's
 *   state lives on its Request (request-slot.ts);
 * - operations over graphql-ws: at the end of execution (their context carries the
 *   connection's id, `connectionId`: the upgrade request's `x-request-id`);
 * - subscriptions, either transport: at subscribe and at the end of the stream.
 *
 * The level says who should look: info for answers (client errors included: a bad argument
 * or a refused token is the caller's business), warn when the cluster or the gateway could
 * not serve (UNAVAILABLE, TIMEOUT, SLOW_CONSUMER, 5xx), error for masked unexpected errors
 * (whose stack the gateway logs separately, with the same request id).
 *
 * The cost is per operation, never per field; when even warn is off, the hooks return at once.
 */
import type { ExecutionResult } from 'graphql';
import { getOperationAST } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.js';
import type { Logger } from './logger.js';
import { requestSlot } from './request-slot.js';

export interface RequestLogOptions {
  logger: Logger;
  /** The id of the request being served (gateway.ts keeps it in AsyncLocalStorage). */
  requestId: () => string | undefined;
  /** The principal a request was admitted as, before its context exists (gateway.ts `admitted`). */
  principal: (request: Request) => { name: string } | undefined;
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

/** Codes that say the gateway or a cluster could not serve: warn. */
const WARN_CODES = new Set<string>([ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT, ErrorCode.SLOW_CONSUMER]);

interface RequestState {
  start: number;
  requestId?: string;
  operationName?: string;
  operationType?: string;
  principal?: string;
  codes?: string[];
  /** A live subscription: its own lines are written by the subscribe hooks, not at the response. */
  subscription?: boolean;
  /** GraphQL parameters were read (so this was not GraphiQL's page or a bare 404). */
  params?: boolean;
}

/** What the gateway's context holds that a log line uses. */
interface LoggedContext {
  request?: Request;
  principal?: { name: string };
  /** Set for operations over graphql-ws: the connection's request id. */
  connectionId?: string;
}

export function useRequestLog(options: RequestLogOptions): Plugin {
  const { logger } = options;
  const states = requestSlot<RequestState>('kubegate.requestLog');
  const on = () => logger.isLevelEnabled('warn');
  const ms = (start: number) => Math.round((performance.now() - start) * 10) / 10;

  const write = (
    fields: Record<string, unknown>,
    codes: readonly string[] | undefined,
    status: number | undefined,
    msg: string,
  ) => {
    const level =
      codes?.includes(ErrorCode.INTERNAL) || (status !== undefined && status >= 500 && status !== 503)
        ? 'error'
        : codes?.some((c) => WARN_CODES.has(c)) || status === 503
          ? 'warn'
          : 'info';
    if (!logger.isLevelEnabled(level)) return;
    logger[level](codes?.length ? { ...fields, codes } : fields, msg);
  };

  return {
    onRequest({ request }) {
      if (on()) states.set(request, { start: performance.now(), requestId: options.requestId() });
    },
    onParams({ params, request }) {
      const state = states.get(request);
      if (!state) return;
      state.params = true;
      // Client input: kept only when it is a GraphQL name (the document's own is taken at execution).
      if (typeof params.operationName === 'string' && GRAPHQL_NAME.test(params.operationName))
        state.operationName = params.operationName;
    },
    onExecute({ args }) {
      if (!on()) return;
      const context = args.contextValue as LoggedContext;
      const operation = getOperationAST(args.document, args.operationName);
      const operationType = operation?.operation;
      const operationName = operation?.name?.value;
      const principal = context.principal?.name;
      const state = context.request && states.get(context.request);
      if (state && context.connectionId === undefined) {
        state.operationType = operationType;
        state.operationName = operationName;
        state.principal = principal;
        return;
      }
      if (context.connectionId === undefined) return;
      // graphql-ws: no HTTP response to wait for.
      const start = performance.now();
      const requestId = options.requestId();
      return {
        onExecuteDone({ result }) {
          const codes = codesOf(result as ExecutionResult);
          write(
            {
              requestId,
              connectionId: context.connectionId,
              transport: 'ws',
              operationType,
              operationName,
              principal,
              durationMs: ms(start),
            },
            codes,
            undefined,
            `${operationType ?? 'operation'} ${operationName ?? 'anonymous'}`,
          );
        },
      };
    },
    onSubscribe({ args }) {
      if (!on()) return;
      const context = args.contextValue as LoggedContext;
      const operationName = getOperationAST(args.document, args.operationName)?.name?.value;
      const state =
        context.request && context.connectionId === undefined ? states.get(context.request) : undefined;
      const start = state?.start ?? performance.now();
      const fields = {
        requestId: state?.requestId ?? options.requestId(),
        ...(context.connectionId !== undefined ? { connectionId: context.connectionId } : {}),
        transport: context.connectionId !== undefined ? 'ws' : 'http',
        operationType: 'subscription',
        operationName,
        principal: context.principal?.name,
      };
      if (state) {
        state.operationType = 'subscription';
        state.operationName = operationName;
        state.principal = fields.principal;
      }
      const name = `subscription ${operationName ?? 'anonymous'}`;
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) {
            // Refused at once (FORBIDDEN, a bad argument): one line, at the response for HTTP.
            if (!state)
              write(
                { ...fields, durationMs: ms(start) },
                codesOf(result as ExecutionResult),
                undefined,
                name,
              );
            return;
          }
          if (state) state.subscription = true;
          write(fields, undefined, undefined, `${name} started`);
          let events = 0;
          let last: string[] | undefined;
          return {
            onNext({ result: next }) {
              events += 1;
              last = codesOf(next);
            },
            onEnd() {
              write(
                { ...fields, durationMs: ms(start), events },
                last,
                undefined,
                `${name} ended${last?.length ? ` with ${last.join(', ')}` : ''}`,
              );
            },
          };
        },
      };
    },
    onResultProcess({ request, result }) {
      const state = states.get(request);
      if (!state || isAsyncIterable(result)) return;
      const results = Array.isArray(result) ? result : [result];
      const codes = results.flatMap((r) => codesOf(r as ExecutionResult) ?? []);
      if (codes.length) state.codes = [...new Set(codes)];
    },
    onResponse({ request, response }) {
      const state = states.get(request);
      if (!state || state.subscription) return;
      // GraphiQL's page, a redirect: not operations.
      if (!state.params && response.status < 400) return;
      write(
        {
          requestId: state.requestId,
          transport: 'http',
          method: request.method,
          status: response.status,
          operationType: state.operationType,
          operationName: state.operationName,
          principal: state.principal ?? options.principal(request)?.name,
          durationMs: ms(state.start),
        },
        state.codes,
        response.status,
        `${state.operationType ?? 'request'} ${state.operationName ?? 'anonymous'} ${response.status}`,
      );
    },
  };
}

/** The distinct `extensions.code` values of a result's errors (undefined when it has none). */
function codesOf(result: ExecutionResult | undefined): string[] | undefined {
  const errors = result?.errors;
  if (!errors?.length) return undefined;
  const codes = new Set<string>();
  for (const error of errors) {
    const code = error.extensions?.code;
    codes.add(typeof code === 'string' ? code : 'UNCODED');
  }
  return [...codes];
}
