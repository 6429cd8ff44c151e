/**
 * OpenTelemetry traces, configured by the standard `OTEL_*` variables and started by the
 * CLI only when an OTLP endpoint is set. Off (the default), nothing of the SDK is even
 * loaded: the kube, loaders and server layers call `@opentelemetry/api` only, whose tracer
 * is a no-op until a provider is registered here.
 *
 * Honoured: `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (on),
 * `OTEL_SDK_DISABLED`, `OTEL_TRACES_EXPORTER` (`otlp` or `none`),
 * `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` (`http/protobuf`, the default, or `http/json`),
 * `OTEL_SERVICE_NAME` (default `kubegate`), `OTEL_RESOURCE_ATTRIBUTES`,
 * `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`, and everything the OTLP exporter itself
 * reads (`OTEL_EXPORTER_OTLP_[TRACES_]HEADERS`, `_TIMEOUT`, `_COMPRESSION`, `_CERTIFICATE`...).
 * Headers hold credentials: they are passed to the exporter and never printed.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { ConfigError } from './config.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface TracingSettings {
  /** Where spans go (for the log line: no credentials, no query). */
  endpoint: string;
  /** The URL spans are posted to, as given (it may hold credentials: never printed). */
  url: string;
  protocol: OtlpProtocol;
  sampler: SamplerName;
  /** The ratio of the `traceidratio` samplers. */
  ratio: number;
}

export interface Tracing {
  readonly settings: TracingSettings;
  /** Exports what is still buffered, then stops; bounded by `timeoutMs` (a collector that is down must not hold the exit). */
  shutdown(timeoutMs?: number): Promise<void>;
  /** Exports what is buffered now. */
  forceFlush(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A variable's value, trimmed; undefined when unset or blank (the spec treats both as unset). */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function quoted(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value);
}

/** A URL as it may be printed: scheme, host, port and path; no user info, query or fragment. */
function printable(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function endpointOf(env: Env): { name: string; url: URL; signalPath: boolean } | undefined {
  for (const [name, signalPath] of [
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', false],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', true],
  ] as const) {
    const value = read(env, name);
    if (value === undefined) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(
        `${name}: expected an http:// or https:// URL, received a value that is not a URL`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(`${name}: expected an http:// or https:// URL, received a ${url.protocol} URL`);
    }
    return { name, url, signalPath };
  }
  return undefined;
}

/**
 * What the environment asks for; undefined when traces are off (no endpoint,
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`). Bad values are a ConfigError
 * naming the variable, what was expected and what came (never a header's value).
 */
export function tracingSettings(env: Env): TracingSettings | undefined {
  const disabled = read(env, 'OTEL_SDK_DISABLED')?.toLowerCase();
  if (disabled !== undefined && disabled !== 'true' && disabled !== 'false') {
    throw new ConfigError(`OTEL_SDK_DISABLED: expected true or false, received ${quoted(disabled)}`);
  }
  const exporter = read(env, 'OTEL_TRACES_EXPORTER')?.toLowerCase() ?? 'otlp';
  if (exporter !== 'otlp' && exporter !== 'none') {
    throw new ConfigError(
      `OTEL_TRACES_EXPORTER: expected otlp or none (kubegate exports OTLP over HTTP only), received ${quoted(exporter)}`,
    );
  }
  if (disabled === 'true' || exporter === 'none') return undefined;
  const endpoint = endpointOf(env);
  if (!endpoint) return undefined;

  const protocolVar = read(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = read(env, protocolVar) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError(
      `${protocolVar}: expected http/protobuf or http/json (kubegate does not export over grpc), received ${quoted(protocol)}`,
    );
  }

  const sampler = (read(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on') as SamplerName;
  if (!SAMPLERS.includes(sampler)) {
    throw new ConfigError(
      `OTEL_TRACES_SAMPLER: expected one of ${SAMPLERS.join(', ')}, received ${quoted(sampler)}`,
    );
  }
  let ratio = 1;
  const arg = read(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (arg !== undefined && sampler.endsWith('traceidratio')) {
    ratio = Number(arg);
    if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
      throw new ConfigError(
        `OTEL_TRACES_SAMPLER_ARG: expected a ratio from 0 to 1 for ${sampler}, received ${quoted(arg)}`,
      );
    }
  }

  // As the exporter builds it: the general endpoint gets the signal's path, the traces one is used as it is.
  const url = new URL(endpoint.url);
  if (endpoint.signalPath) url.pathname = `${url.pathname.replace(/\/$/, '')}/v1/traces`;
  return { endpoint: printable(url), url: url.toString(), protocol, sampler, ratio };
}

/**
 * Starts the SDK when the environment asks for traces (see `tracingSettings`): a batch
 * span processor exporting OTLP over HTTP, the resource (`service.name` kubegate unless
 * `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` say otherwise), the sampler, W3C trace
 * context propagation and an AsyncLocalStorage context manager, all registered globally.
 * Undefined, with nothing loaded, when traces are off.
 */
export async function startTracing(env: Env = process.env): Promise<Tracing | undefined> {
  const settings = tracingSettings(env);
  if (!settings) return undefined;
  const [core, hooks, resources, sdk, exporterModule] = await Promise.all([
    import('@opentelemetry/core'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
    settings.protocol === 'http/json'
      ? import('@opentelemetry/exporter-trace-otlp-http')
      : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  const ratio = () => new sdk.TraceIdRatioBasedSampler(settings.ratio);
  const root = {
    always_on: () => new sdk.AlwaysOnSampler(),
    always_off: () => new sdk.AlwaysOffSampler(),
    traceidratio: ratio,
  };
  const sampler = settings.sampler.startsWith('parentbased_')
    ? new sdk.ParentBasedSampler({
        root: root[settings.sampler.slice('parentbased_'.length) as keyof typeof root](),
      })
    : root[settings.sampler as keyof typeof root]();
  // From `env`, not from process.env as the SDK's own detector would: the SDK's
  // attributes, then OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME (or ours) as the name.
  const attributes = core.parseKeyPairsIntoRecord(read(env, 'OTEL_RESOURCE_ATTRIBUTES'));
  const resource = resources.defaultResource().merge(
    resources.resourceFromAttributes({
      ...attributes,
      'service.name': read(env, 'OTEL_SERVICE_NAME') ?? attributes['service.name'] ?? 'kubegate',
    }),
  );
  // The endpoint and headers from `env` (headers: the general ones, the traces ones winning);
  // timeout, compression and TLS files the exporter reads from the process's environment.
  const exporter = new exporterModule.OTLPTraceExporter({
    url: settings.url,
    headers: {
      ...core.parseKeyPairsIntoRecord(read(env, 'OTEL_EXPORTER_OTLP_HEADERS')),
      ...core.parseKeyPairsIntoRecord(read(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS')),
    },
  });
  const provider = new sdk.TracerProvider({
    resource,
    sampler,
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter })],
  });
  context.setGlobalContextManager(new hooks.AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    settings,
    forceFlush: () => provider.forceFlush(),
    shutdown: async (timeoutMs = 5_000) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      try {
        await Promise.race([provider.shutdown().catch(() => undefined), late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
