/**
 * One trace span per GraphQL operation (an envelop plugin, per operation, never per field),
 * through `@opentelemetry/api` only: without the SDK (started by the CLI, src/tracing.ts,
 * only when an OTLP endpoint is configured) every call here is a no-op.
 *
 * The span continues the caller's W3C `traceparent` (a page's, a BFF's), is named
 * `query PodsPage` as OpenTelemetry's GraphQL conventions say, and is the active span while
 * the operation executes: the DataLoader batches (loaders/tracing.ts), API calls and cache
 * waits (kube/tracing.ts) of the request are its descendants. It records the operation's
 * name and type and a SHA-256 of its document, never the document itself nor variables
 * (either can hold secrets: literals, tokens, label values); errors as their codes, and
 * the status ERROR when an error is masked (a bug or an unexpected failure, logged under
 * the request id the span also carries). A subscription's span covers its start (auth,
 * waiting for the cache, the snapshot), not its lifetime.
 */
import { createHash } from 'node:crypto';
import {
  type Context,
  context,
  isSpanContextValid,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import { type DocumentNode, type ExecutionResult, type GraphQLError, getOperationAST, print } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.js';

const tracer = trace.getTracer('kubegate');

/** At most this many errors become span events (their codes are all counted). */
const MAX_ERROR_EVENTS = 10;

export interface TracingPluginOptions {
  /** Whether the gateway masks this error (an unexpected failure): the span's status is then ERROR. */
  masked: (error: GraphQLError) => boolean;
  /** The id the request is logged under (x-request-id), recorded on the span. */
  requestId?: () => string | undefined;
}

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** SHA-256 of a document's source, once per parsed document (yoga's parse cache hands back the same object). */
const hashes = new WeakMap<DocumentNode, string>();
function documentHash(document: DocumentNode): string {
  let hash = hashes.get(document);
  if (hash === undefined) {
    hash = createHash('sha256')
      .update(document.loc?.source.body ?? print(document))
      .digest('hex');
    hashes.set(document, hash);
  }
  return hash;
}

/** The context the operation's span continues: the incoming `traceparent`, if any. */
function parentOf(contextValue: unknown): Context {
  const headers = (contextValue as { request?: { headers?: Headers } } | undefined)?.request?.headers;
  const base = context.active();
  // Not `instanceof Headers`: yoga's requests come with headers of @whatwg-node's own class.
  return typeof headers?.get === 'function' ? propagation.extract(base, headers, headerGetter) : base;
}

function startOperation(
  args: { document: DocumentNode; operationName?: string | null; contextValue?: unknown },
  options: TracingPluginOptions,
): { span: Span; active: Context } | undefined {
  const parent = parentOf(args.contextValue);
  const operation = getOperationAST(args.document, args.operationName);
  const type = operation?.operation ?? 'unknown';
  const name = operation?.name?.value;
  const span = tracer.startSpan(name ? `${type} ${name}` : type, { kind: SpanKind.SERVER }, parent);
  if (!span.isRecording()) {
    // No SDK (tracing off, the default) and no caller's trace: the API's no-op span, which
    // says nothing to what follows. Nothing more is done for it: no context made to hold it
    // (a copy of the context's map, 1.0 % of a `{ __typename }` profile), no wrapper around
    // execution, no hook at its end (session 38).
    if (!isSpanContextValid(span.spanContext())) return undefined;
    // Not sampled: still the parent of what follows, so it is not sampled either.
    return { span, active: trace.setSpan(parent, span) };
  }
  span.setAttributes({
    'graphql.operation.type': type,
    ...(name ? { 'graphql.operation.name': name } : {}),
    'graphql.document.hash': documentHash(args.document),
  });
  const requestId = options.requestId?.();
  if (requestId) span.setAttribute('kubegate.request_id', requestId);
  return { span, active: trace.setSpan(parent, span) };
}

/** Records a result's errors (codes, paths) on the span; ERROR status when one is masked. */
function recordErrors(span: Span, result: ExecutionResult, options: TracingPluginOptions): void {
  if (!span.isRecording() || !result.errors?.length) return;
  const codes = new Set<string>();
  let masked = false;
  for (const [i, error] of result.errors.entries()) {
    const isMasked = options.masked(error);
    masked ||= isMasked;
    const code = isMasked ? ErrorCode.INTERNAL : String(error.extensions?.code ?? 'GRAPHQL_ERROR');
    codes.add(code);
    if (i < MAX_ERROR_EVENTS) {
      span.addEvent('graphql.error', {
        'graphql.error.code': code,
        ...(error.path ? { 'graphql.error.path': error.path.join('.') } : {}),
      });
    }
  }
  span.setAttributes({ 'graphql.error.codes': [...codes], 'graphql.error.count': result.errors.length });
  if (masked) span.setStatus({ code: SpanStatusCode.ERROR, message: 'an unexpected error was masked' });
}

export function useTracing(options: TracingPluginOptions): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const started = startOperation(args, options);
      if (!started) return;
      const { span, active } = started;
      setExecuteFn((a) => context.with(active, () => executeFn(a)));
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) {
            recordErrors(span, result, options);
            span.end();
            return;
          }
          // Incremental delivery: the span lasts until the last part.
          return {
            onNext: ({ result: part }) => recordErrors(span, part as ExecutionResult, options),
            onEnd: () => span.end(),
          };
        },
      };
    },
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const started = startOperation(args, options);
      if (!started) return;
      const { span, active } = started;
      setSubscribeFn((a) => context.with(active, () => subscribeFn(a)));
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) recordErrors(span, result, options);
          span.end();
        },
        onSubscribeError({ error }) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.name ?? 'error' });
          span.end();
        },
      };
    },
  };
}
