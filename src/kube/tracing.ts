/**
 * Trace spans of the kube layer, through `@opentelemetry/api` only: without an SDK (the
 * default: tracing is configured in the server layer, and only when an OTLP endpoint is)
 * the API's tracer is a no-op, each helper below costs a function call and a non-recording
 * span, and no attribute is computed (they are built behind `isRecording()`).
 *
 * What is traced here: each API call a request makes (CLIENT spans named as OpenTelemetry's
 * HTTP conventions say, `GET /api/v1/namespaces/{namespace}/pods`: a path template, never
 * the URL with its names, selectors or continue tokens), a request waiting for the cache
 * (for an informer to sync, for a write to show), and each informer LIST as a root span of
 * its own. Watches are not traced: one lasts minutes, and a span that long says nothing
 * (the informers' status, `Cluster.status` and the metrics say how they are).
 */
import {
  type Attributes,
  context,
  createContextKey,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

export const tracer = trace.getTracer('kubegate');

/** OpenTelemetry's attribute for the cluster (the gateway's name for it). */
export const ATTR_CLUSTER = 'k8s.cluster.name';
/** The Kubernetes kind a span reads or writes. */
export const ATTR_KIND = 'kubegate.kind';
export const ATTR_NAMESPACE = 'k8s.namespace.name';

/**
 * The template of a Kubernetes REST path: the namespace and the object's name replaced,
 * the query dropped. `/api/v1/namespaces/a/pods/b/eviction` →
 * `/api/v1/namespaces/{namespace}/pods/{name}/eviction`; `/api/v1/namespaces/a` →
 * `/api/v1/namespaces/{name}`. Anything else keeps only its first segment (`/version`, `/healthz/{path}`).
 */
export function pathTemplate(path: string): string {
  const segments = path.split('?')[0].split('/').filter(Boolean);
  const prefix = segments[0] === 'api' ? 2 : segments[0] === 'apis' ? 3 : 0;
  if (prefix === 0 || segments.length < prefix)
    return segments.length > 1 ? `/${segments[0]}/{path}` : `/${segments.join('/')}`;
  const out = segments.slice(0, prefix);
  let rest = segments.slice(prefix);
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    out.push('namespaces', '{namespace}');
    rest = rest.slice(2);
  }
  // resource, {name}, subresource
  if (rest.length > 0) out.push(rest[0]);
  if (rest.length > 1) out.push('{name}');
  if (rest.length > 2) out.push(rest[2]);
  return `/${out.join('/')}`;
}

/** What kind of failure ended a span: the HTTP status, a network code, or the error's class. */
function errorType(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'number' || typeof code === 'string') return String(code);
  const cause = (err as { cause?: { code?: unknown } })?.cause?.code;
  if (typeof cause === 'string') return cause;
  return err instanceof Error ? err.name : 'unknown';
}

/**
 * Marks a span failed. Only the failure's type: messages of API errors carry the answer's
 * body (object names, selectors), which a trace backend need not hold.
 */
export function recordFailure(span: Span, err: unknown): void {
  const type = errorType(err);
  span.setAttribute('error.type', type);
  const status = (err as { code?: unknown })?.code;
  if (typeof status === 'number') span.setAttribute('http.response.status_code', status);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

export interface ApiCall {
  cluster: string;
  method: string;
  /** The path called (templated here) or its template. */
  path: string;
  /** The API server's URL (its host and port are recorded; nothing else of it). */
  server: string;
}

/** Where the API call running in this context records the status it was answered with. */
const STATUS_SINK = createContextKey('kubegate.api-status');

/**
 * Records the HTTP status of the API call running in the active context (client-node's
 * response middleware calls it: its typed APIs answer the body only). A no-op outside one.
 */
export function recordApiStatus(code: number): void {
  (context.active().getValue(STATUS_SINK) as ((code: number) => void) | undefined)?.(code);
}

/**
 * Runs one API call in a CLIENT span. The status is recorded by `recordApiStatus` (or
 * `run`'s `setStatus`); a rejection records its status or error type and rethrows.
 */
export async function apiCallSpan<T>(
  call: () => ApiCall,
  run: (setStatus: (code: number) => void) => Promise<T>,
): Promise<T> {
  const parent = context.active();
  const span = tracer.startSpan('kube.api', { kind: SpanKind.CLIENT }, parent);
  if (!span.isRecording()) return run(() => {});
  const { cluster, method, path, server } = call();
  const template = pathTemplate(path);
  span.updateName(`${method} ${template}`);
  const attributes: Attributes = {
    'http.request.method': method,
    'url.template': template,
    [ATTR_CLUSTER]: cluster,
  };
  try {
    const url = new URL(server);
    attributes['server.address'] = url.hostname;
    attributes['server.port'] = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  } catch {
    // no server URL: nothing to say about it
  }
  span.setAttributes(attributes);
  const setStatus = (code: number) => span.setAttribute('http.response.status_code', code);
  try {
    return await context.with(trace.setSpan(parent, span).setValue(STATUS_SINK, setStatus), () =>
      run(setStatus),
    );
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/**
 * A request waiting on the cache (an informer to sync, a write to show, another loader's
 * fetch to answer): a child span of whatever the request is doing. Outside a request
 * (no active span: a cluster swap waiting for its new informers) nothing is recorded.
 * `outcome` names how the wait ended (`synced`, `timeout`, `visible`...).
 */
export async function cacheWaitSpan<T>(
  what: string,
  attributes: () => Attributes,
  wait: () => Promise<T>,
  outcome: (result: T) => string,
): Promise<T> {
  const parent = context.active();
  if (!trace.getSpan(parent)?.isRecording()) return wait();
  const span = tracer.startSpan(`cache.wait ${what}`, { attributes: { 'kubegate.wait': what } }, parent);
  span.setAttributes(attributes());
  try {
    const result = await context.with(trace.setSpan(parent, span), wait);
    span.setAttribute('kubegate.wait.outcome', outcome(result));
    return result;
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/**
 * A background loop started from wherever (the CLI, a kubeconfig reload, a test) runs
 * detached from the caller's trace: an informer started while a request's span is active
 * must not hang its LISTs under that request for the rest of its life.
 */
export function detached<T>(fn: () => T): T {
  return context.with(ROOT_CONTEXT, fn);
}

/** An informer's (re)list: a root span of its own, its page calls as children. */
export async function informerListSpan<T>(
  attributes: () => Attributes,
  run: (span: Span) => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan('informer.list', { kind: SpanKind.INTERNAL, root: true });
  if (span.isRecording()) span.setAttributes(attributes());
  try {
    return await context.with(trace.setSpan(ROOT_CONTEXT, span), () => run(span));
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}
