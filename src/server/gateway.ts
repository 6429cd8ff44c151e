/**
 * The gateway's HTTP face: graphql-yoga (GraphQL over HTTP, SSE subscriptions,
 * GraphiQL served from the package, no CDN) and graphql-ws on the same endpoint,
 * with auth, limits (graphql-armor), metrics and health.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { type ExecutionArgs, type ExecutionResult, GraphQLError, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, isAsyncIterable, type YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { ErrorCode, GatewayError, WWW_AUTHENTICATE } from '../errors.js';
import { systemClock } from '../kube/clock.js';
import type { ClusterDirectory } from '../loaders/directory.js';
import {
  type Clock,
  createContext,
  type GatewayContext,
  LogGate,
  type LogSettings,
  WriteGate,
  type WriteRecord,
  type WriteSettings,
} from '../loaders/index.js';
import type { Principal } from '../loaders/principal.js';
import { boundedParseCaches, documentOverLimit, documentTooLarge, useAdmission } from './admission.js';
import { type Authenticator, headersFrom } from './auth.js';
import { MAX_REQUEST_BODY_BYTES, useRequestBodyLimit } from './body-limit.js';
import {
  browserPolicy,
  headerOf,
  hostRefusal,
  originAllowed,
  PREFLIGHT_HEADERS,
  refusalBody,
  useCsrfPrevention,
} from './browsers.js';
import { useCodedHttpErrors, useCompressedGraphiQL } from './http-answers.js';
import { armorConfig, useOperationLimits } from './limits.js';
import { type Logger, yogaLogger } from './logger.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import { usePlannedQueries } from './query-executor.js';
import { readiness } from './readiness.js';
import { useRequestLog } from './request-log.js';
import { useStreamHooks } from './result-stream.js';
import { useShardExtension } from './shard.js';
import { useSharedEventExecution } from './shared-events.js';
import { Drain } from './shutdown.js';
import './held-shapes.js';
import { requestSlot } from './request-slot.js';
import { SlicedResponse } from './sliced-response.js';
import { useNodeEventStream } from './sse.js';
import {
  DEFAULT_SUBSCRIPTIONS_PER_CONNECTION,
  tooManySubscriptions,
  useSubscriptionLimits,
} from './subscription-limits.js';
import { useTracing } from './tracing.js';
import { deliverToSocket } from './ws-delivery.js';

/** How long an idle keep-alive connection is kept (see the server below). */
export const KEEP_ALIVE_MS = 65_000;

export interface GatewayOptions {
  schema: GraphQLSchema;
  directory: ClusterDirectory;
  auth: Authenticator;
  /** The query GraphiQL opens with. */
  defaultQuery?: string;
  /** More queries GraphiQL opens in tabs after the default one (the live usage example). */
  exampleTabs?: readonly string[];
  /** Limits on operations (limits.ts; defaults in DEFAULT_LIMITS there). */
  limits?: {
    maxDepth?: number;
    maxAliases?: number;
    maxTokens?: number;
    maxDirectives?: number;
    /** The estimated values an answer may hold (limits.ts `operationCost`). */
    costLimit?: number;
    /** Bytes of a serialized answer. */
    maxResponseBytes?: number;
    /** Milliseconds an execution may take (0: no limit). */
    timeoutMs?: number;
  };
  /**
   * The structured log (logger.ts): a line per operation (request-log.ts), unexpected
   * errors with their stack, writes, WebSocket connections. Without it the gateway logs
   * only through the hooks below.
   */
  logger?: Logger;
  /**
   * Where unexpected (masked) errors are logged, with the id the client was given (besides
   * `logger`). Never receives credentials.
   */
  logError?: (err: unknown, context: { requestId: string }) => void;
  /**
   * Where every write (sent or refused) is logged, one record each: principal, identity,
   * cluster, verb, object, outcome, latency. Never credentials or object contents.
   */
  logWrite?: (record: WriteRecord & { requestId: string }) => void;
  /** Write limits and the read-your-writes bound (the `writes:` section; defaults in loaders/writes.ts). */
  writes?: WriteSettings;
  /** Container logs: bytes of a read, upstream follow streams per cluster and per principal (the `containerLogs:` section). */
  containerLogs?: LogSettings;
  metrics?: GatewayMetrics;
  /** Bounds of subscriptions (config.ts reads them from the environment). */
  settings?: {
    subscriberQueue?: number;
    subscriptionsPerPrincipal?: number;
    subscriptionsPerConnection?: number;
    snapshotSyncTimeoutMs?: number;
  };
  /** The clock resolvers' timers and timestamps go through; the system's by default. */
  clock?: Clock;
  /**
   * Serve /metrics on a listener of its own (an address only Prometheus reaches) instead of
   * the GraphQL listener, where it then answers 404.
   */
  metricsListener?: { host: string; port: number };
  /**
   * Browsers: origins allowed to read cross-origin and open WebSockets (CORS is off
   * without them), and the host names the gateway answers to (default: loopback names
   * when it has no auth, any otherwise).
   */
  browsers?: { origins?: readonly string[]; hosts?: readonly string[] };
  /** The longest WebSocket message accepted, as the HTTP body limit. */
  maxMessageBytes?: number;
  /** How long a WebSocket may take to send connection_init before it is closed. */
  connectionInitTimeoutMs?: number;
}

interface ServerContext {
  /** Headers of the WebSocket upgrade request, when the operation came over graphql-ws. */
  upgradeHeaders?: Headers;
}

export interface Gateway {
  yoga: YogaServerInstance<ServerContext, GatewayContext>;
  server: Server;
  /** Starts the GraphQL listener (and the metrics listener, if configured); resolves the GraphQL URL. */
  listen(port: number, host: string): Promise<string>;
  /** The URL of /metrics on its own listener, once listening (undefined without one). */
  metricsUrl(): string | undefined;
  /** What the parse caches hold now, by their own (estimated) byte count. */
  parseCacheBytes(): number;
  /**
   * Graceful shutdown: /readyz answers 503 at once and answers carry `Connection: close`;
   * after `delayMs` (so Kubernetes can take the pod out of its endpoints) no new connection
   * is accepted and every subscription ends with SHUTTING_DOWN and its transport's complete
   * (graphql-ws sockets then close with 1012 Service Restart); queries and mutations still
   * running get `timeoutMs` more to finish, after which they are answered SHUTTING_DOWN.
   * Resolves once everything is closed (as `close`). Timers go through the gateway's clock.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
  /** Whether shutdown has begun. */
  readonly shuttingDown: boolean;
  /** HTTP requests on the GraphQL listener not answered yet (what shutdown waits for). */
  readonly openRequests: number;
  close(): Promise<void>;
}

export interface ShutdownOptions {
  /** How long new connections are still accepted after /readyz turns 503 (default 5 s). */
  delayMs?: number;
  /** How long in-flight operations get after the delay before they are cut (default 10 s). */
  timeoutMs?: number;
}

export const DEFAULT_SHUTDOWN_DELAY_MS = 5_000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * RFC 6455's "Service Restart": the close code of a socket the gateway ends when it shuts
 * down. graphql-ws clients treat it (like 1001) as one to reconnect on, and it says what
 * happened: this replica is going away while the service stays, so reconnecting at once
 * (to another replica behind the Service) is right, where 1001 Going Away is also what a
 * browser sends leaving a page.
 */
export const WS_SERVICE_RESTART = 1012;

/**
 * Errors meant for the client pass unmasked: ours (GatewayError, with a stable code),
 * GraphQL's own validation errors, and yoga's request errors (bad JSON, wrong method),
 * which carry an HTTP status. Anything else is an unexpected failure: masked and logged.
 */
function isClientError(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  if (error.extensions?.code || error.extensions?.http) return true;
  const original = error.originalError;
  return !original || (original instanceof GraphQLError && isClientError(original));
}

/** RFC 6455's "Try Again Later": a WebSocket whose credentials could not be checked now. */
export const WS_TRY_AGAIN_LATER = 1013;

/** The id of the request being served, for masked errors; set per HTTP request (x-request-id). */
const requestIds = new AsyncLocalStorage<string>();

/** What a graphql-ws operation's `execute` and `subscribe` need, carried in its root value. */
interface WsRoot {
  execute: (args: ExecutionArgs) => ExecutionResult | Promise<ExecutionResult>;
  subscribe: (
    args: ExecutionArgs,
  ) =>
    | Promise<AsyncIterable<ExecutionResult> | ExecutionResult>
    | AsyncIterable<ExecutionResult>
    | ExecutionResult;
  socket: import('ws').WebSocket;
  /** The upgraded HTTP connection the WebSocket runs on. */
  upgraded: import('node:stream').Duplex;
  id: string;
}

/** A caller's x-request-id when it is a plain token (so it can be logged), else a new one. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
}

export function createGateway(options: GatewayOptions): Gateway {
  const metrics = options.metrics ?? createMetrics();
  /** Principals authenticated before their request was parsed (useAdmission). */
  const admitted = requestSlot<Principal>('kubegate.principal');
  const parseCaches = boundedParseCaches();
  const policy = browserPolicy({
    open: options.auth.open,
    origins: options.browsers?.origins,
    hosts: options.browsers?.hosts,
  });
  const principalOf = async (headers: Headers): Promise<Principal> => options.auth.authenticate(headers);
  const clock = options.clock ?? systemClock;
  const drain = new Drain();
  let shuttingDown = false;
  let closed = false;
  /** HTTP requests whose response has not closed (SSE streams among them). */
  let openRequests = 0;
  const writes = new WriteGate({
    settings: options.writes,
    clock: options.clock,
    onWrite: (record) => {
      metrics.recordWrite(record);
      const logged = { ...record, requestId: requestIds.getStore() ?? '' };
      options.logger?.info(logged, `write ${record.mutation} ${record.code}`);
      options.logWrite?.(logged);
    },
  });

  const logs = new LogGate({ settings: options.containerLogs, clock: options.clock });
  metrics.observeLogs(logs);

  const streamHooks = useStreamHooks();
  const yoga = createYoga<ServerContext, GatewayContext>({
    schema: options.schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: {
      title: 'kubegate',
      defaultQuery: options.defaultQuery,
      ...(options.defaultQuery && options.exampleTabs?.length
        ? { defaultTabs: [options.defaultQuery, ...options.exampleTabs].map((query) => ({ query })) }
        : {}),
      subscriptionsProtocol: 'WS',
    },
    renderGraphiQL,
    // With a logger, yoga's messages go into it (not to the console).
    ...(options.logger ? { logging: yogaLogger(options.logger) } : {}),
    // Ours instead (body-limit.ts): the same limit without a stream pipeline per request.
    maxRequestBodySize: false,
    // No CORS unless origins are listed; never `*`, so credentials are never offered to any page.
    cors: policy.origins.length
      ? {
          origin: [...policy.origins],
          credentials: true,
          methods: ['GET', 'POST', 'OPTIONS'],
          allowedHeaders: ['content-type', 'accept', 'authorization', ...PREFLIGHT_HEADERS],
        }
      : false,
    // Bounded in bytes: distinct 900 KB operations would otherwise each keep ~120 MB parsed.
    parserAndValidationCache: parseCaches,
    context: async ({ request, upgradeHeaders }) => {
      const principal = admitted.get(request) ?? (await principalOf(upgradeHeaders ?? request.headers));
      return createContext({
        directory: options.directory,
        principal,
        settings: {
          queueLimit: options.settings?.subscriberQueue,
          syncTimeoutMs: options.settings?.snapshotSyncTimeoutMs,
        },
        clock: options.clock,
        writes,
        logs,
      });
    },
    maskedErrors: {
      maskError(error, message) {
        if (isClientError(error)) return error as Error;
        const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
        // A subscription's later events run outside the request's async context: they get an id of their own.
        const requestId = requestIds.getStore() ?? randomUUID();
        options.logger?.error({ err: original, requestId }, `unexpected error (request ${requestId})`);
        options.logError?.(original, { requestId });
        return new GraphQLError(`${message} It was logged as request ${requestId}.`, {
          nodes: error instanceof GraphQLError ? error.nodes : undefined,
          path: error instanceof GraphQLError ? error.path : undefined,
          extensions: { code: ErrorCode.INTERNAL, requestId },
        });
      },
    },
    plugins: [
      // The plugins that watch a subscription's results (these, and yoga's error masking and
      // abort hook) do it through callbacks on its one stream, not an iterator each
      // (result-stream.ts); checked once the plugins have started, below.
      streamHooks,
      // First: nothing is read, parsed or validated for a caller without credentials.
      useAdmission(options.auth, admitted),
      useCodedHttpErrors(),
      useCompressedGraphiQL(),
      // Depth, aliases, tokens, directives with coded errors; armor's cost limit is replaced by ours.
      EnvelopArmorPlugin(armorConfig(options.limits)),
      // Queries run on plans kept per document and variables; before the plugins that wrap execute.
      usePlannedQueries(),
      useOperationLimits({
        maxCost: options.limits?.costLimit,
        maxResponseBytes: options.limits?.maxResponseBytes,
        timeoutMs: options.limits?.timeoutMs,
        clock: options.clock,
        listSize: (type, field) =>
          type === 'Query' && field === 'clusters' ? options.directory.list().length : undefined,
      }),
      metrics.plugin,
      ...(options.logger
        ? [
            useRequestLog({
              logger: options.logger,
              requestId: () => requestIds.getStore(),
              principal: (request) => admitted.get(request),
            }),
          ]
        : []),
      useSubscriptionLimits(options.settings?.subscriptionsPerPrincipal),
      useSharedEventExecution(),
      useRequestBodyLimit(),
      useCsrfPrevention(),
      useNodeEventStream({ clock: options.clock }),
      drain.plugin(),
      // A sharded replica's lists of clusters say which clusters other shards serve.
      useShardExtension(),
      // A trace span per operation (a no-op unless the CLI started the OpenTelemetry SDK).
      // Last: it wraps the execute and subscribe functions the plugins above set (shared
      // events replaces subscribe outright), so they all run inside the span.
      useTracing({ masked: (error) => !isClientError(error), requestId: () => requestIds.getStore() }),
    ],
  });
  streamHooks.assert();

  const serveMetrics = async (res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
    res.end(await metrics.registry.metrics());
  };
  const metricsServer = options.metricsListener
    ? createServer({ ServerResponse: SlicedResponse }, (req, res) => {
        if ((req.url ?? '/').split('?')[0] === '/metrics') void serveMetrics(res);
        else
          res
            .writeHead(404, { 'Content-Type': 'text/plain' })
            .end('not found: this listener serves /metrics\n');
      })
    : undefined;

  const server = createServer({ ServerResponse: SlicedResponse }, async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    openRequests++;
    res.once('close', () => {
      openRequests--;
    });
    // Draining: the client should open its next connection elsewhere (to a ready replica).
    if (shuttingDown) res.setHeader('Connection', 'close');
    // Probes come addressed to a pod IP: health says nothing a page could use.
    if (path !== '/healthz' && path !== '/livez' && path !== '/readyz') {
      const refused = browserRefusal(req);
      if (refused) {
        res.writeHead(refused.status, { 'Content-Type': 'application/json' }).end(refused.body);
        return;
      }
    }
    if (path === '/metrics') {
      if (metricsServer) {
        res
          .writeHead(404, { 'Content-Type': 'text/plain' })
          .end('not found: /metrics is served on its own listener\n');
        return;
      }
      // On the GraphQL listener, the metrics (cluster-wide object counts among them) are for
      // callers who see everything: an operator's token when the gateway has auth.
      const denied = await metricsDenied(options.auth, req.headers);
      if (denied) {
        res
          .writeHead(denied.status, { ...denied.headers, 'Content-Type': 'application/json' })
          .end(JSON.stringify(denied.body));
        return;
      }
      await serveMetrics(res);
      return;
    }
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    if (path === '/readyz') {
      if (shuttingDown) {
        res.writeHead(503, { 'Content-Type': 'text/plain' }).end('shutting down\n');
        return;
      }
      const { status, body } = readiness(
        options.directory.list(),
        req.url ?? '/',
        options.directory.notOwnedClusters?.(),
      );
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body);
      return;
    }
    if (path === '/') {
      res.writeHead(302, { Location: '/graphql' }).end();
      return;
    }
    // A request refused before its body was read (413) leaves the rest of the body on
    // the connection: close it after the answer instead of letting the client reuse it.
    const socket = req.socket;
    res.once('finish', () => {
      if (!req.complete) socket.end();
    });
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    requestIds.run(requestId, () => yoga(req, res));
  });
  // An idle keep-alive connection is kept 65 s, past the idle timeouts of the proxies put in
  // front of a gateway (ingress-nginx's upstream keepalive_timeout and AWS ALB's idle
  // timeout are 60 s). With Node's default 5 s the server closes connections a proxy is about
  // to reuse, and the request sent on one fails (a 502 at the proxy). A direct client meets
  // the same race when the event loop stalls past the timeout (a full GC of a fleet's heap):
  // the expired timer runs before the waiting request is read, and the socket is reset under
  // it (ECONNRESET). Headers still have their own 60 s bound (headersTimeout, unchanged: the
  // slow-headers guard), which Node applies only once a request has begun. Shutdown closes
  // idle connections itself (closeIdleConnections, below), so draining is not held up.
  server.keepAliveTimeout = KEEP_ALIVE_MS;

  /** Host and Origin checks of a request (HTTP or WebSocket upgrade); undefined when it may go on. */
  function browserRefusal(req: IncomingMessage): { status: number; body: string } | undefined {
    const host = headerOf(req.headers, 'host');
    const badHost = hostRefusal(policy, host);
    if (badHost) return { status: 421, body: refusalBody(ErrorCode.HOST_NOT_ALLOWED, badHost) };
    const origin = headerOf(req.headers, 'origin');
    if (!originAllowed(policy, origin, host)) {
      const listed = policy.origins.length
        ? `one of ${JSON.stringify(policy.origins)}`
        : 'none (cors.origins is empty)';
      return {
        status: 403,
        body: refusalBody(
          ErrorCode.ORIGIN_NOT_ALLOWED,
          `expected a page of this gateway's own origin or of ${listed}, received Origin ${JSON.stringify((origin ?? '').slice(0, 100))}`,
        ),
      };
    }
    return undefined;
  }

  const wss = new WebSocketServer({
    server,
    path: '/graphql',
    // The ws default is 100 MiB: a message may be no larger than an HTTP body.
    maxPayload: options.maxMessageBytes ?? MAX_REQUEST_BODY_BYTES,
    // ws's default, said here: ws-delivery.ts writes frames to the connection itself when
    // no extension is negotiated (compressing every subscriber's copy would cost more CPU
    // per event than it saves on loopback or a cluster network).
    perMessageDeflate: false,
    // Browsers apply no CORS to WebSockets: Host and Origin are checked here.
    verifyClient: (info, done) => {
      const refused = browserRefusal(info.req);
      if (!refused) return done(true);
      done(false, refused.status, JSON.parse(refused.body).errors[0].message);
    },
  });
  /** graphql-ws connections past connection_init: their `subscriptions` hold every operation not yet completed. */
  const sockets = new Set<{
    subscriptions: Record<string, unknown>;
    extra: { socket: import('ws').WebSocket };
  }>();
  const acknowledged = new WeakSet<import('ws').WebSocket>();
  // A socket closed before its connection_init was acknowledged (graphql-ws's 4408 init
  // timeout, a refused principal, or the client going) is not in the log lines below, which
  // start at onConnect: logged here, so a client that never got connected can be traced.
  const initTimeoutMs = options.connectionInitTimeoutMs ?? 3_000;
  wss.on('connection', (socket, request) => {
    const openedAt = performance.now();
    // A socket that sends nothing (no connection_init) in time is closed with graphql-ws's
    // 4408. graphql-ws's own timer (turned off below) decides when it fires; but timers run
    // before the loop reads its sockets, so after a stall longer than the timeout (a connect
    // storm, a large fan-out) it closed clients whose connection_init had long arrived and
    // was only waiting to be read. Here the decision waits for that read: setImmediate runs
    // after the loop's I/O phase.
    let spoke = false;
    socket.once('message', () => {
      spoke = true;
    });
    const initTimer = clock.setTimeout(
      () =>
        setImmediate(() => {
          if (!spoke && socket.readyState === socket.OPEN)
            socket.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
        }),
      initTimeoutMs,
    );
    socket.once('close', (code) => {
      clock.clearTimeout(initTimer);
      if (acknowledged.has(socket)) return;
      options.logger?.info(
        {
          connectionId: requestIdOf(request),
          transport: 'ws',
          code,
          durationMs: Math.round(performance.now() - openedAt),
        },
        `websocket closed before connection_init was acknowledged (${code})`,
      );
    });
  });
  const wsCleanup = useServer<
    Record<string, unknown>,
    { upgradeHeaders: Headers; operationRequest: Request; connectionId: string; openedAt: number }
  >(
    {
      // Its 4408 for a socket with no connection_init in time is ours (above).
      connectionInitWaitTimeout: 0,
      onConnect: async (ctx) => {
        // Auth over WebSocket: the upgrade request's headers, or connectionParams
        // (browsers cannot set headers on a WebSocket), as graphql-ws clients send them.
        const headers = headersFrom(ctx.extra.request.headers, ctx.connectionParams);
        // The upgrade request's x-request-id (or a new one) names the connection in the log
        // lines of every operation it carries; each operation has a request id of its own.
        const connectionId = requestIdOf(ctx.extra.request);
        let principal: Principal;
        try {
          principal = await principalOf(headers);
        } catch (err) {
          // 4401 (graphql-ws's Unauthorized) as HTTP's 401, rather than the library's 4403
          // for `false`: graphql-ws clients give up on 4401 and retry 4403 with backoff,
          // which a bad token can only fail again. A check that could not be made (the
          // issuer or TokenReview down) closes with 1013 Try Again Later, which they retry.
          // graphql-ws's own close(4403) that follows is a no-op on a closing socket.
          const unavailable = err instanceof GatewayError && err.code === ErrorCode.UNAVAILABLE;
          ctx.extra.socket.close(
            unavailable ? WS_TRY_AGAIN_LATER : CloseCode.Unauthorized,
            unavailable ? 'Try Again Later' : 'Unauthorized',
          );
          return false;
        }
        ctx.extra.upgradeHeaders = headers;
        // The `request` of every operation on this connection: one per connection, not one per
        // subscription, which kept it (and what plugins key by it) while it lived. Apollo and urql
        // put all of a page's subscriptions on one socket: with 10 to a connection a subscription
        // kept 15.0 KiB of heap, 13.6 with this (`PER_CONNECTION=10 npx tsx
        // bench/subscriber-memory.ts 2000 ws`). Nothing keys per-operation state by it over
        // WebSocket: the request log, ids and the time limit go by the operation (request-log.ts,
        // `requestIds`), and only SSE reads a request's stream (result-stream.ts).
        ctx.extra.operationRequest = new Request('http://ws/graphql', { headers });
        ctx.extra.connectionId = connectionId;
        ctx.extra.openedAt = performance.now();
        options.logger?.info(
          { connectionId, transport: 'ws', principal: principal.name },
          'websocket connected',
        );
        sockets.add(ctx);
        acknowledged.add(ctx.extra.socket);
        return true;
      },
      onClose: (ctx, code) => {
        if (sockets.delete(ctx))
          options.logger?.info(
            {
              connectionId: ctx.extra.connectionId,
              transport: 'ws',
              code,
              durationMs: Math.round(performance.now() - (ctx.extra.openedAt ?? performance.now())),
            },
            `websocket closed (${code})`,
          );
      },
      onSubscribe: async (ctx, id, params) => {
        // Per connection: graphql-ws keeps the ids of this socket's live subscriptions.
        const perConnection =
          options.settings?.subscriptionsPerConnection ?? DEFAULT_SUBSCRIPTIONS_PER_CONNECTION;
        const live = Object.keys(ctx.subscriptions).filter((other) => other !== id).length;
        if (live >= perConnection) return [tooManySubscriptions('connection', perConnection)];
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          upgradeHeaders: ctx.extra.upgradeHeaders,
          connectionId: ctx.extra.connectionId,
          request: ctx.extra.operationRequest,
        });
        const bytes = documentOverLimit(params.query);
        if (bytes !== undefined) return [documentTooLarge(bytes)];
        const args = {
          schema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          // Not the operation's root (no resolver reads it): what `execute`/`subscribe` below need.
          rootValue: {
            execute,
            subscribe,
            socket: ctx.extra.socket,
            upgraded: ctx.extra.request.socket,
            id,
          } satisfies WsRoot,
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
      execute: (args) => requestIds.run(randomUUID(), () => (args.rootValue as WsRoot).execute(args)),
      // The stream's results are written by ws-delivery.ts; graphql-ws keeps the protocol.
      subscribe: (args) =>
        requestIds.run(randomUUID(), async () => {
          const root = args.rootValue as WsRoot;
          const result = await root.subscribe(args);
          return isAsyncIterable(result)
            ? deliverToSocket(result, root.socket, root.upgraded, root.id)
            : result;
        }),
    },
    wss,
  );

  return {
    yoga,
    server,
    listen: async (port, host) => {
      if (metricsServer && options.metricsListener) {
        await listenOn(metricsServer, options.metricsListener.port, options.metricsListener.host);
      }
      return `${await listenOn(server, port, host)}/graphql`;
    },
    parseCacheBytes: () => parseCaches.documentCache.calculatedSize + parseCaches.errorCache.calculatedSize,
    metricsUrl: () =>
      metricsServer?.listening ? `${urlOf(metricsServer.address() as AddressInfo)}/metrics` : undefined,
    get shuttingDown() {
      return shuttingDown;
    },
    get openRequests() {
      return openRequests;
    },
    shutdown: async (shutdownOptions = {}) => {
      if (shuttingDown) return;
      shuttingDown = true;
      const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
      await sleep(shutdownOptions.delayMs ?? DEFAULT_SHUTDOWN_DELAY_MS);
      // No new connections from here; the open ones stay until their operations end.
      const stopped = [server, metricsServer].map((s) =>
        s?.listening ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve(),
      );
      server.closeIdleConnections();
      drain.endSubscriptions();
      const idle = () =>
        drain.executions === 0 &&
        drain.subscriptions === 0 &&
        openRequests === 0 &&
        [...sockets].every((c) => Object.keys(c.subscriptions).length === 0);
      const timeoutMs = shutdownOptions.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
      let timedOut = false;
      const timer = clock.setTimeout(() => {
        timedOut = true;
        drain.cut();
      }, timeoutMs);
      // Until everything has answered (or was cut and has answered that).
      while (!idle()) {
        await sleep(timedOut ? 5 : 10);
        if (timedOut && drain.executions === 0) {
          // Cut executions have answered; what is left are responses still being written.
          await sleep(50);
          break;
        }
      }
      clock.clearTimeout(timer);
      // Every operation has completed on the socket; the close tells the client why.
      const closing = [...sockets].map((c) => {
        const socket = c.extra.socket;
        socket.close(WS_SERVICE_RESTART, 'Service Restart: the gateway is shutting down');
        return new Promise<void>((resolve) => socket.once('close', () => resolve()));
      });
      // The close handshake, bounded: a client that does not answer is cut below.
      await Promise.race([Promise.all(closing), sleep(1_000)]);
      closed = true;
      await wsCleanup.dispose();
      server.closeAllConnections();
      metricsServer?.closeAllConnections();
      await Promise.all(stopped);
    },
    close: async () => {
      // After shutdown, nothing is left to close.
      if (closed) return;
      closed = true;
      await wsCleanup.dispose();
      wss.close();
      for (const s of [server, metricsServer]) {
        if (!s) continue;
        s.closeAllConnections();
        if (s.listening) await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}

function urlOf(address: AddressInfo): string {
  const shown = address.address.includes(':') ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}`;
}

function listenOn(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(urlOf(server.address() as AddressInfo));
    });
  });
}

/**
 * Whether /metrics on the GraphQL listener is refused to this caller: open gateways serve
 * it (they are loopback-only tools); with auth, only a principal who sees every cluster
 * and namespace may read it, since it counts objects cluster-wide.
 */
async function metricsDenied(
  auth: Authenticator,
  headers: import('node:http').IncomingHttpHeaders,
): Promise<{ status: number; body: unknown; headers?: Record<string, string> } | undefined> {
  if (auth.open) return undefined;
  let principal: Principal;
  try {
    principal = await auth.authenticate(headersFrom(headers));
  } catch (err) {
    // The same answer as the GraphQL endpoint's: 401, or 503 when the check could not be made.
    const error = err instanceof GatewayError ? err : undefined;
    const http = error?.extensions.http as { status?: number; headers?: Record<string, string> } | undefined;
    return {
      status: http?.status ?? 401,
      headers: http?.headers ?? { 'WWW-Authenticate': WWW_AUTHENTICATE },
      body: {
        errors: [
          {
            message: error?.message ?? 'the bearer token was not accepted',
            extensions: { code: error?.code ?? ErrorCode.UNAUTHENTICATED },
          },
        ],
      },
    };
  }
  if (principal.clusters === '*' && principal.namespaces === '*') return undefined;
  return {
    status: 403,
    body: {
      errors: [
        {
          message: `principal "${principal.name}" may not read /metrics: it needs every cluster and namespace`,
          extensions: { code: ErrorCode.FORBIDDEN },
        },
      ],
    },
  };
}
