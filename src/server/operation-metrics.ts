/**
 * The per-operation Prometheus metrics, with the names, labels, help texts and buckets that
 * `@graphql-yoga/plugin-prometheus` (over `@envelop/prometheus`) gave them, recorded by one
 * plugin of ours:
 *
 *   graphql_envelop_request               counter    an operation executed (a subscription: ended)
 *   graphql_envelop_request_duration      histogram  seconds from execute (or subscribe) to its end
 *   graphql_envelop_phase_execute         histogram  seconds of execution
 *   graphql_envelop_phase_subscribe       histogram  seconds of a subscription, to its end
 *   graphql_envelop_error_result          counter    errors, by phase: parse, validate, context,
 *                                                    execute (each error of a result), subscribe
 *   graphql_yoga_http_duration            histogram  seconds from the HTTP request to its response
 *
 * Labels: `operationName` (the request's `operationName`, else the document's, else
 * `Anonymous`; bounded by `name`) and `operationType`; `phase` on errors; `method` and
 * `statusCode` on the HTTP one. No URL and no error path: both are unbounded.
 *
 * Why not the library: under a cluster-summary load (Q1, 10 connections;
 * `KUBEGATE_BENCH_CPU_PROF=DIR npx tsx bench/q1-ratio.ts S 6 10 Q2,Q3,Q4,Q5`, the last 35 s by
 * `bench/profile-top.ts`, about 55 % of the samples busy) its hooks (`@envelop/prometheus`
 * under `@graphql-yoga/plugin-prometheus`) took about 3.3 % of the gateway's samples: per
 * request they filtered their hook lists, built label objects through `Object.fromEntries`,
 * kept three WeakMap entries and looked the operation up in the document twice. Here an
 * operation's labels, and the series they name (metric-series.ts), are found once per
 * document and operation name, and what a request needs is kept on its objects
 * (request-slot.ts).
 */
import { type DocumentNode, type ExecutionResult, getOperationAST } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import { type CounterSeries, type HistogramSeries, SeriesCounter, SeriesHistogram } from './metric-series.js';
import { requestSlot } from './request-slot.js';

type OperationLabels = { readonly operationName: string; readonly operationType: string };

/** An operation's labels, with the series it updates, found once per document and name. */
interface Operation {
  readonly labels: OperationLabels;
  readonly requests: CounterSeries;
  readonly duration: HistogramSeries;
  readonly execute: HistogramSeries;
  readonly subscribe: HistogramSeries;
  /** `graphql_yoga_http_duration`, by method and status. */
  readonly http: Map<string, HistogramSeries>;
}

/** A context's (or its HTTP request's) operation, once its document parsed. */
const OPERATION = requestSlot<Operation>('kubegate.operation');
/** When an HTTP request came. */
const STARTED = requestSlot<number>('kubegate.requestStarted');

export function useOperationMetrics(registry: Registry, name: (n: string | undefined) => string): Plugin {
  const labelNames = ['operationName', 'operationType'] as const;
  const requests = new SeriesCounter(
    'graphql_envelop_request',
    'Counts the amount of GraphQL requests executed through Envelop',
    labelNames,
    registry,
  );
  const histogram = (metric: string, help: string) => new SeriesHistogram(metric, help, labelNames, registry);
  const requestDuration = histogram(
    'graphql_envelop_request_duration',
    'Time spent on running the GraphQL operation from parse to execute',
  );
  const executeDuration = histogram(
    'graphql_envelop_phase_execute',
    'Time spent on running the GraphQL "execute" function',
  );
  const subscribeDuration = histogram(
    'graphql_envelop_phase_subscribe',
    'Time spent on running the GraphQL "subscribe" function',
  );
  const errors = new SeriesCounter(
    'graphql_envelop_error_result',
    'Counts the amount of errors reported from all phases',
    [...labelNames, 'phase'],
    registry,
  );
  const httpDuration = new SeriesHistogram(
    'graphql_yoga_http_duration',
    'Time spent on HTTP connection',
    [...labelNames, 'method', 'statusCode'],
    registry,
  );

  const operationOf = (labels: OperationLabels): Operation => ({
    labels,
    requests: requests.series(labels),
    duration: requestDuration.series(labels),
    execute: executeDuration.series(labels),
    subscribe: subscribeDuration.series(labels),
    http: new Map(),
  });
  /** Per document, per operation name asked (`''` for none): its operation, made once. */
  const byDocument = new WeakMap<DocumentNode, Map<string, Operation>>();
  const operationIn = (document: DocumentNode, asked: string | undefined): Operation => {
    let byName = byDocument.get(document);
    if (byName === undefined) {
      byName = new Map();
      byDocument.set(document, byName);
    }
    const key = asked ?? '';
    let operation = byName.get(key);
    if (operation === undefined) {
      const definition = getOperationAST(document, asked);
      // As envelop named it: the name the client asked for, else the document's.
      operation = operationOf({
        operationName: name(asked || definition?.name?.value),
        operationType: definition?.operation ?? 'unknown',
      });
      // A client sending the same document with ever new operation names keeps no more than these.
      if (byName.size >= 64) byName.clear();
      byName.set(key, operation);
    }
    return operation;
  };
  /** Labels of a request whose document did not parse (envelop's: no name, no type). */
  const unparsed: OperationLabels = { operationName: name(undefined), operationType: 'unknown' };

  // A request's start and operation, and an operation context's, are kept on the request and
  // context objects themselves (request-slot.ts), not in WeakMaps.
  const byContext = (context: unknown) => OPERATION.get(context as object);

  const countErrors = (operation: Operation, phase: string, result: ExecutionResult) => {
    const n = result.errors?.length;
    if (n) errors.series({ ...operation.labels, phase }).inc(n);
  };
  const ended = (operation: Operation, phase: HistogramSeries, start: number) => {
    const seconds = (performance.now() - start) / 1000;
    phase.observe(seconds);
    operation.duration.observe(seconds);
    operation.requests.inc();
  };

  /**
   * An execution's (or a subscription's) result: counted and timed now, or, for a stream, its
   * events' errors as they come (each event is an execution of the selection: its errors count
   * as execute's) and its time when it ends.
   */
  const done = (
    operation: Operation,
    phase: HistogramSeries,
    start: number,
    result: ExecutionResult | AsyncIterable<unknown>,
  ) => {
    if (isAsyncIterable(result))
      return {
        onNext: ({ result: next }: { result: unknown }) =>
          countErrors(operation, 'execute', next as ExecutionResult),
        onEnd: () => ended(operation, phase, start),
      };
    countErrors(operation, 'execute', result);
    ended(operation, phase, start);
    return undefined;
  };

  return {
    onPluginInit({ registerContextErrorHandler }) {
      registerContextErrorHandler(({ context }) => {
        errors.series({ ...(byContext(context)?.labels ?? unparsed), phase: 'context' }).inc();
      });
    },
    onRequest({ request }) {
      STARTED.set(request, performance.now());
    },
    onParse({ context }) {
      const asked = (context as { params?: { operationName?: string } }).params?.operationName;
      return ({ result, context: parsedContext }) => {
        if (result === null || result instanceof Error) {
          errors.series({ ...unparsed, phase: 'parse' }).inc();
          return;
        }
        const operation = operationIn(result, asked);
        OPERATION.set(parsedContext, operation);
        const request = (parsedContext as { request?: Request }).request;
        if (request) OPERATION.set(request, operation);
      };
    },
    onValidate({ context }) {
      const operation = byContext(context);
      if (!operation) return;
      return ({ valid }) => {
        if (!valid) errors.series({ ...operation.labels, phase: 'validate' }).inc();
      };
    },
    onExecute({ args }) {
      const operation = byContext(args.contextValue);
      if (!operation) return;
      const start = performance.now();
      return {
        onExecuteDone: ({ result }) => done(operation, operation.execute, start, result),
      };
    },
    onSubscribe({ args }) {
      const operation = byContext(args.contextValue);
      if (!operation) return;
      const start = performance.now();
      return {
        onSubscribeResult: ({ result }) => done(operation, operation.subscribe, start, result),
        onSubscribeError() {
          errors.series({ ...operation.labels, phase: 'subscribe' }).inc();
        },
      };
    },
    onResponse({ request, response }) {
      const start = STARTED.get(request);
      const operation = OPERATION.get(request);
      if (start === undefined || operation === undefined) return;
      const key = `${request.method} ${response.status}`;
      let series = operation.http.get(key);
      if (series === undefined) {
        series = httpDuration.series({
          ...operation.labels,
          method: request.method,
          statusCode: response.status,
        });
        // Methods and statuses are few, but a method is the client's to choose.
        if (operation.http.size >= 32) operation.http.clear();
        operation.http.set(key, series);
      }
      series.observe((performance.now() - start) / 1000);
    },
  };
}
